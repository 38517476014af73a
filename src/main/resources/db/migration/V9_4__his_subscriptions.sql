-- Hospital systems (module his, docs/his.md): FHIR R4 Subscriptions (rest-hook) that a hospital system registers
-- itself, signed pushes, and a rate limit shared by every gateway node.

-- The key that signs this client's pushes (HMAC-SHA256, header X-Hotline-Signature). Kept in clear: the gateway
-- must sign with it. Shown to the admin once, at creation or rotation. Existing clients get a fresh one here.
ALTER TABLE his_client ADD COLUMN push_secret VARCHAR(80) NULL;
UPDATE his_client SET push_secret = CONCAT('hlpush_', SHA2(CONCAT(UUID(), RAND(), id, NOW(6)), 256))
  WHERE push_secret IS NULL;
-- The hosts a client's own Subscriptions may name as endpoint (set by the admin; none: no Subscription).
ALTER TABLE his_client ADD COLUMN endpoint_hosts VARCHAR(500) NULL;

-- Subscription (R4, channel rest-hook) registered by a hospital system over /fhir: where its Appointment changes go.
CREATE TABLE his_subscription (
  id             BIGINT AUTO_INCREMENT PRIMARY KEY,
  client_id      BIGINT       NOT NULL,
  status         VARCHAR(12)  NOT NULL,                 -- active, off (error is shown from last_error)
  reason         VARCHAR(200) NOT NULL,
  criteria       VARCHAR(500) NOT NULL,                 -- as the client wrote it: Appointment?location=…&status=…
  facility_id    BIGINT       NULL,                     -- criteria location: null for all of the client's
  statuses       VARCHAR(100) NULL,                     -- criteria status (FHIR codes, comma-separated): null for all
  endpoint       VARCHAR(500) NOT NULL,
  payload        VARCHAR(40)  NULL,                     -- application/fhir+json, or null: an empty POST (a ping)
  headers        TEXT         NULL,                     -- channel.header, one per line
  end_at         DATETIME(3)  NULL,
  version        INT          NOT NULL,
  last_error     VARCHAR(200) NULL,
  created_at     DATETIME(3)  NOT NULL,
  updated_at     DATETIME(3)  NOT NULL,
  KEY ix_his_sub_client (client_id),
  CONSTRAINT fk_his_sub_client FOREIGN KEY (client_id) REFERENCES his_client (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A push goes to the client's admin-set push_url (subscription_id NULL) or to one of its Subscriptions.
ALTER TABLE his_push ADD COLUMN subscription_id BIGINT NULL AFTER client_id;

-- Each client's token bucket, shared by every gateway node (HisRateLimiter).
CREATE TABLE his_rate (
  client_id  BIGINT      NOT NULL PRIMARY KEY,
  tokens     DOUBLE      NOT NULL,
  at         DATETIME(3) NOT NULL
) ENGINE=InnoDB;
