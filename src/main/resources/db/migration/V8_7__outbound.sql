-- Outbound voice calls (module outbound, docs/asterisk.md): reminders and call-backs the gateway dials itself,
-- over Asterisk's Manager Interface (Originate) or the direct SIP adapter; and the agents' queue as Asterisk
-- reports it (AMI queue events), for the bureau reports.

-- One call to make: what for (purpose, ref), to whom. (purpose, ref) is unique, so a reminder or a call-back is
-- queued once however many nodes see its cause. A node claims a due row (FOR UPDATE SKIP LOCKED) by writing its
-- name, a fresh token and claimed_until; the token travels with the call (AGI argument) and is how the answered
-- call finds its row. A claim whose node died expires and the row is due again.
CREATE TABLE outbound_call (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  purpose         VARCHAR(16)  NOT NULL,         -- REMINDER, CALLBACK, SESSION_CANCELLED, WAITLIST_OFFER
  ref             VARCHAR(64)  NOT NULL,         -- booking id, call-back request id, ...
  number          VARCHAR(32)  NOT NULL,         -- whole: it is dialled (never logged whole)
  number_masked   VARCHAR(32)  NOT NULL,
  status          VARCHAR(16)  NOT NULL,         -- PENDING, DIALLING, DONE, GAVE_UP, OPTED_OUT, EXPIRED
  attempts        INT          NOT NULL DEFAULT 0,
  max_attempts    INT          NOT NULL,
  next_try_at     DATETIME(3)  NOT NULL,
  not_after       DATETIME(3)  NOT NULL,         -- no try starts later (a reminder after its booking is useless)
  claimed_by      VARCHAR(64)  NULL,
  claim_token     CHAR(32)     NULL,
  claimed_until   DATETIME(3)  NULL,
  outcome         VARCHAR(16)  NULL,             -- the last attempt's outcome
  created_at      DATETIME(3)  NOT NULL,
  updated_at      DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_outbound_call (purpose, ref),
  UNIQUE KEY uq_outbound_token (claim_token),
  KEY ix_outbound_due (status, next_try_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each try: who placed it, how it ended (ANSWERED, BUSY, NO_ANSWER, SILENCE, FAILED, CANCELLED, ...).
CREATE TABLE outbound_attempt (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  call_id         BIGINT       NOT NULL,
  attempt_no      INT          NOT NULL,
  node            VARCHAR(64)  NOT NULL,
  via             VARCHAR(8)   NOT NULL,         -- AMI, SIP
  started_at      DATETIME(3)  NOT NULL,
  answered_at     DATETIME(3)  NULL,
  ended_at        DATETIME(3)  NULL,
  outcome         VARCHAR(16)  NULL,
  keys_pressed    VARCHAR(32)  NULL,             -- menu keys only (never digits of an ID)
  channel_id      VARCHAR(64)  NULL,             -- Asterisk's Uniqueid / the SIP Call-ID
  UNIQUE KEY uq_outbound_attempt (call_id, attempt_no),
  CONSTRAINT fk_outbound_attempt_call FOREIGN KEY (call_id) REFERENCES outbound_call (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Calls placed to a number on a day (China time): the per-number cap is one conditional UPDATE on this row.
CREATE TABLE outbound_number_day (
  number          VARCHAR(32)  NOT NULL,
  day             DATE         NOT NULL,
  calls           INT          NOT NULL,
  PRIMARY KEY (number, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Numbers that want no calls from the hotline (a key during a call, an SMS reply, the console), and numbers whose
-- owner asked for reminders by voice. A number here with opted_out_at set is never dialled.
CREATE TABLE outbound_contact (
  number          VARCHAR(32)  NOT NULL PRIMARY KEY,
  voice_reminders TINYINT(1)   NOT NULL DEFAULT 0,
  opted_out_at    DATETIME(3)  NULL,
  opted_out_via   VARCHAR(16)  NULL,             -- KEY, SMS, CONSOLE
  opted_out_by    VARCHAR(64)  NULL,             -- console user, or phone:<masked>
  updated_at      DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One caller in the agents' queue as Asterisk's AMI events tell it (app_queue.c): joined (QueueCallerJoin), taken
-- by a member (AgentConnect: HoldTime, RingTime), abandoned (QueueCallerAbandon: HoldTime) or left
-- (QueueCallerLeave). uniqueid is the caller channel's Uniqueid, which is agi_uniqueid, i.e. call_transfer.call_id.
CREATE TABLE queue_call (
  uniqueid        VARCHAR(64)  NOT NULL PRIMARY KEY,
  queue_name      VARCHAR(64)  NOT NULL,
  asterisk        VARCHAR(64)  NOT NULL,         -- which configured Asterisk reported it
  joined_at       DATETIME(3)  NOT NULL,
  join_position   INT          NULL,
  connected_at    DATETIME(3)  NULL,
  member_name     VARCHAR(80)  NULL,
  hold_seconds    INT          NULL,             -- AgentConnect HoldTime, or QueueCallerAbandon HoldTime
  ring_seconds    INT          NULL,
  abandoned       TINYINT(1)   NOT NULL DEFAULT 0,
  left_at         DATETIME(3)  NULL,
  KEY ix_queue_call_joined (joined_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
