-- Agent console: users and roles, the audit trail, call-back attempts, who took which transfer.

-- Console users. Passwords only as a DelegatingPasswordEncoder hash ({bcrypt}…).
CREATE TABLE console_user (
  id             BIGINT AUTO_INCREMENT PRIMARY KEY,
  username       VARCHAR(64)  NOT NULL UNIQUE,
  password_hash  VARCHAR(200) NOT NULL,
  display_name   VARCHAR(64)  NOT NULL,
  role           VARCHAR(24)  NOT NULL,          -- AGENT, COMMUNITY_DOCTOR, SUPERVISOR, ADMIN
  facility_id    BIGINT       NULL,              -- the community centre of a COMMUNITY_DOCTOR
  enabled        BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at     DATETIME(3)  NOT NULL,
  created_by     VARCHAR(64)  NOT NULL,
  CONSTRAINT fk_user_facility FOREIGN KEY (facility_id) REFERENCES facility (id),
  CHECK ((role = 'COMMUNITY_DOCTOR') = (facility_id IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every console action: who, when, what, from which call. Only masked personal data in detail.
CREATE TABLE audit_event (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  at            DATETIME(3)  NOT NULL,
  username      VARCHAR(64)  NOT NULL,
  role          VARCHAR(24)  NOT NULL,
  action        VARCHAR(32)  NOT NULL,           -- BOOK, CANCEL, MOVE, CALLBACK_ATTEMPT, USER_CREATE, ...
  outcome       VARCHAR(32)  NOT NULL,           -- OK or the Refusal name
  transfer_id   VARCHAR(40)  NULL,               -- the call the action was made for
  callback_id   BIGINT       NULL,
  booking_id    BIGINT       NULL,
  booking_code  VARCHAR(6)   NULL,
  detail        VARCHAR(500) NOT NULL,
  KEY ix_audit_at (at),
  KEY ix_audit_user (username, at),
  KEY ix_audit_transfer (transfer_id),
  KEY ix_audit_booking (booking_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each try to call a caller back, and what came of it.
CREATE TABLE callback_attempt (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  callback_id   BIGINT       NOT NULL,
  attempted_at  DATETIME(3)  NOT NULL,
  username      VARCHAR(64)  NOT NULL,
  outcome       VARCHAR(24)  NOT NULL,           -- CallbackOutcome
  note          VARCHAR(300) NULL,
  CONSTRAINT fk_attempt_callback FOREIGN KEY (callback_id) REFERENCES callback_request (id),
  KEY ix_attempt_callback (callback_id, attempted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which agent took a transferred call (first one wins), so two agents do not serve one caller.
CREATE TABLE transfer_pickup (
  transfer_id   VARCHAR(40)  NOT NULL PRIMARY KEY,
  username      VARCHAR(64)  NOT NULL,
  picked_at     DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
