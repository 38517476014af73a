-- Transfers to a person and call-back requests, written by the voice menu, read by the agent console.
-- caller_number is whole because an agent may have to call back; it is never logged.

CREATE TABLE call_transfer (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  transfer_id     VARCHAR(40)  NOT NULL UNIQUE,
  call_id         VARCHAR(64)  NOT NULL,
  caller_number   VARCHAR(32)  NULL,
  caller_masked   VARCHAR(32)  NULL,
  patient_masked  VARCHAR(18)  NULL,
  patient_age     INT          NULL,
  reason          VARCHAR(32)  NOT NULL,         -- TransferReason
  flow            VARCHAR(64)  NOT NULL,
  node            VARCHAR(64)  NOT NULL,
  choices_json    TEXT         NOT NULL,         -- what the caller had chosen, as the agent reads it
  priority        INT          NOT NULL,
  created_at      DATETIME(3)  NOT NULL,
  KEY ix_transfer_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE callback_request (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  transfer_id     VARCHAR(40)  NULL,
  call_id         VARCHAR(64)  NOT NULL,
  caller_number   VARCHAR(32)  NOT NULL,
  caller_masked   VARCHAR(32)  NOT NULL,
  patient_masked  VARCHAR(18)  NULL,
  patient_age     INT          NULL,
  reason          VARCHAR(64)  NOT NULL,
  status          VARCHAR(16)  NOT NULL,         -- OPEN, DONE, GAVE_UP
  created_at      DATETIME(3)  NOT NULL,
  KEY ix_callback_status (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
