-- Complaints (投诉受理, issue 16): left by phone as the caller's own voice (a recording on the Asterisk server,
-- RECORD FILE) or taken by a person (transfer reason COMPLAINT). Owned by the handoff module (Complaints); listed
-- for supervisors under /ops/complaints and counted in the bureau reports. caller_number is whole because a
-- supervisor may have to call back; pages and logs show caller_masked.
CREATE TABLE complaint (
  id                BIGINT AUTO_INCREMENT PRIMARY KEY,
  call_id           VARCHAR(64)  NOT NULL,
  caller_number     VARCHAR(20)  NULL,
  caller_masked     VARCHAR(20)  NULL,
  taken_as          VARCHAR(16)  NOT NULL,        -- RECORDING, PERSON
  recording         VARCHAR(255) NULL,            -- where the voice is: the file on the Asterisk server
  recording_seconds INT          NULL,
  transfer_id       VARCHAR(64)  NULL,            -- PERSON: the transfer the agent's screen shows
  status            VARCHAR(16)  NOT NULL,        -- OPEN, HANDLED
  created_at        DATETIME(3)  NOT NULL,
  handled_at        DATETIME(3)  NULL,
  handled_by        VARCHAR(64)  NULL,
  handled_note      VARCHAR(500) NULL,
  KEY ix_complaint_status (status, created_at),
  KEY ix_complaint_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
