-- Hospital systems (HIS) over FHIR R4 (module his, docs/his.md): machine clients and their tokens, the
-- facilities each may reach, idempotent requests, the Appointment versions and the push outbox.

CREATE TABLE his_client (
  id                    BIGINT AUTO_INCREMENT PRIMARY KEY,
  name                  VARCHAR(100) NOT NULL,
  push_url              VARCHAR(500) NULL,                    -- where Appointment changes are POSTed (webhook)
  rate_per_minute       INT          NOT NULL DEFAULT 600,
  created_by            VARCHAR(64)  NOT NULL,
  created_at            DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_his_client_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The facilities a client may read and write: nothing else.
CREATE TABLE his_client_facility (
  client_id    BIGINT NOT NULL,
  facility_id  BIGINT NOT NULL,
  PRIMARY KEY (client_id, facility_id),
  KEY ix_his_facility (facility_id),
  CONSTRAINT fk_his_cf_client FOREIGN KEY (client_id) REFERENCES his_client (id)
) ENGINE=InnoDB;

-- Bearer tokens: only the SHA-256 of the secret is kept (the secret is shown once, at issue). Two may be
-- valid at once per client (rotation without downtime).
CREATE TABLE his_token (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  client_id     BIGINT      NOT NULL,
  token_hash    CHAR(64)    NOT NULL,
  hint          VARCHAR(16) NOT NULL,                   -- the token's first characters, for operators
  created_by    VARCHAR(64) NOT NULL,
  created_at    DATETIME(3) NOT NULL,
  revoked_by    VARCHAR(64) NULL,
  revoked_at    DATETIME(3) NULL,
  last_used_at  DATETIME(3) NULL,
  UNIQUE KEY uq_his_token_hash (token_hash),
  KEY ix_his_token_client (client_id),
  CONSTRAINT fk_his_token_client FOREIGN KEY (client_id) REFERENCES his_client (id)
) ENGINE=InnoDB;

-- A retried request (If-None-Exist, conditional update, X-Request-Id) answers what the first one did.
CREATE TABLE his_request (
  client_id      BIGINT       NOT NULL,
  request_key    VARCHAR(190) NOT NULL,
  resource_type  VARCHAR(32)  NOT NULL,
  resource_id    BIGINT       NULL,
  created_at     DATETIME(3)  NOT NULL,
  PRIMARY KEY (client_id, request_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Each booking's Appointment version: written in the booking's transaction by the event listeners.
CREATE TABLE his_appointment (
  booking_id    BIGINT      NOT NULL PRIMARY KEY,
  facility_id   BIGINT      NOT NULL,
  version       INT         NOT NULL,
  status        VARCHAR(16) NOT NULL,
  last_updated  DATETIME(3) NOT NULL,
  KEY ix_his_appt_updated (facility_id, last_updated)
) ENGINE=InnoDB;

-- The push outbox: one row per client and Appointment version, sent in order per booking, retried with back-off.
CREATE TABLE his_push (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  client_id    BIGINT       NOT NULL,
  booking_id   BIGINT       NOT NULL,
  version      INT          NOT NULL,
  status       VARCHAR(12)  NOT NULL,                   -- PENDING, SENT
  attempts     INT          NOT NULL DEFAULT 0,
  next_at      DATETIME(3)  NOT NULL,
  created_at   DATETIME(3)  NOT NULL,
  sent_at      DATETIME(3)  NULL,
  last_error   VARCHAR(200) NULL,
  KEY ix_his_push_due (status, next_at),
  KEY ix_his_push_order (client_id, booking_id, id)
) ENGINE=InnoDB;
