-- SMS outbox (written in the booking's own transaction), the parts the SMSC accepted, receipts that
-- arrived before their part was recorded, and notices for agents when a number cannot be reached.
-- phone is whole because the SMSC must reach it; logs and other people's messages use phone_masked.

CREATE TABLE sms_message (
  id               BIGINT AUTO_INCREMENT PRIMARY KEY,
  booking_id       BIGINT       NULL,
  kind             VARCHAR(24)  NOT NULL,        -- SmsKind
  phone            VARCHAR(16)  NOT NULL,
  phone_masked     VARCHAR(16)  NOT NULL,
  body             TEXT         NOT NULL,
  parts            INT          NOT NULL,
  status           VARCHAR(16)  NOT NULL,        -- PENDING, SENDING, SUBMITTED, DELIVERED, FAILED, EXPIRED, CANCELLED
  attempts         INT          NOT NULL DEFAULT 0,
  next_attempt_at  DATETIME(3)  NOT NULL,        -- also "not before" for scheduled kinds (next dose)
  claimed_by       VARCHAR(64)  NULL,
  claimed_until    DATETIME(3)  NULL,
  last_error       VARCHAR(200) NULL,
  dedupe_key       VARCHAR(100) NULL,            -- one confirmation / reminder / ... per booking and phone
  created_at       DATETIME(3)  NOT NULL,
  submitted_at     DATETIME(3)  NULL,
  done_at          DATETIME(3)  NULL,
  UNIQUE KEY uq_sms_dedupe (dedupe_key),
  KEY ix_sms_due (status, next_attempt_at),
  KEY ix_sms_claim (status, claimed_until),
  KEY ix_sms_booking (booking_id),
  KEY ix_sms_phone (phone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per part the SMSC accepted (submit_sm_resp OK). A part without a row is still to send.
CREATE TABLE sms_part (
  message_id       BIGINT       NOT NULL,
  part_no          INT          NOT NULL,
  smsc_id          VARCHAR(65)  NOT NULL,
  smsc_id_hex      DECIMAL(20,0) NULL,           -- the id read as hex, to match receipts that quote it in decimal
  status           VARCHAR(16)  NOT NULL,        -- SUBMITTED, DELIVERED, FAILED, EXPIRED
  node             VARCHAR(64)  NOT NULL,
  submitted_at     DATETIME(3)  NOT NULL,
  receipt_at       DATETIME(3)  NULL,
  receipt_stat     VARCHAR(8)   NULL,
  PRIMARY KEY (message_id, part_no),
  KEY ix_part_smsc (smsc_id),
  KEY ix_part_smsc_hex (smsc_id_hex),
  CONSTRAINT fk_part_message FOREIGN KEY (message_id) REFERENCES sms_message (id)
) ENGINE=InnoDB;

-- A receipt can overtake the recording of its submit_sm_resp; it waits here until its part exists.
CREATE TABLE sms_receipt_waiting (
  id               BIGINT AUTO_INCREMENT PRIMARY KEY,
  smsc_id          VARCHAR(65)  NOT NULL,
  stat             VARCHAR(8)   NOT NULL,
  err              VARCHAR(8)   NULL,
  received_at      DATETIME(3)  NOT NULL,
  KEY ix_waiting_smsc (smsc_id)
) ENGINE=InnoDB;

CREATE TABLE sms_agent_notice (
  id               BIGINT AUTO_INCREMENT PRIMARY KEY,
  message_id       BIGINT       NOT NULL,
  booking_id       BIGINT       NULL,
  phone_masked     VARCHAR(16)  NOT NULL,
  text             VARCHAR(500) NOT NULL,
  created_at       DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_notice_message (message_id),
  KEY ix_notice_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
