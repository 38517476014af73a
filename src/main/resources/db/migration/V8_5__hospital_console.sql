-- Issue 17 (part A): hospitals run their catalogue, rosters, closures and release policies in the console.

-- A hospital administrator (医院管理员) is tied to the one facility they administer, as a front desk is.
ALTER TABLE console_user DROP CONSTRAINT IF EXISTS ck_user_facility;
ALTER TABLE console_user ADD CONSTRAINT ck_user_facility
  CHECK ((role IN ('COMMUNITY_DOCTOR', 'FRONT_DESK', 'HOSPITAL_ADMIN')) = (facility_id IS NOT NULL));

-- booking: an entry added in the console is offered by phone only once its name can be spoken
ALTER TABLE facility ADD COLUMN spoken_name_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE service ADD COLUMN spoken_name_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE vaccine ADD COLUMN spoken_name_required BOOLEAN NOT NULL DEFAULT FALSE;

-- booking: the spoken name of a facility, service or vaccine (8 kHz 16-bit mono WAV), in the database so that
-- every gateway node serves and plays the same audio; addressed by its SHA-1 (Asterisk caches it by URL)
CREATE TABLE name_audio (
  kind        VARCHAR(16) NOT NULL,            -- FACILITY, SERVICE, VACCINE
  entry_id    BIGINT      NOT NULL,
  sha1        CHAR(40)    NOT NULL,
  wav         MEDIUMBLOB  NOT NULL,
  source      VARCHAR(16) NOT NULL,            -- UPLOAD, TTS
  updated_at  DATETIME    NOT NULL,
  updated_by  VARCHAR(64) NOT NULL,
  PRIMARY KEY (kind, entry_id),
  KEY ix_name_audio_sha1 (sha1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- release: a day or one session closed (holiday, closure); no session is generated for it
CREATE TABLE closure (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  facility_id  BIGINT       NOT NULL,
  service_id   BIGINT       NULL,             -- NULL: every service of the facility
  service_key  BIGINT       AS (IFNULL(service_id, 0)) PERSISTENT,
  closed_date  DATE         NOT NULL,
  period       VARCHAR(16)  NULL,             -- NULL: the whole day
  period_key   VARCHAR(16)  AS (IFNULL(period, '')) PERSISTENT,
  reason       VARCHAR(200) NOT NULL,
  created_by   VARCHAR(64)  NOT NULL,
  created_at   DATETIME     NOT NULL,
  UNIQUE KEY uq_closure (facility_id, service_key, closed_date, period_key),
  KEY ix_closure_date (closed_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- release: a roster or policy stored against the bureau's rules by an ADMIN, with the reason (listed on /ops/policy)
CREATE TABLE policy_override (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  facility_id  BIGINT       NOT NULL,
  service_id   BIGINT       NULL,
  subject      VARCHAR(16)  NOT NULL,         -- ROSTER, POLICY
  rules        VARCHAR(200) NOT NULL,         -- the rules broken, comma-separated
  detail       VARCHAR(500) NOT NULL,
  reason       VARCHAR(500) NOT NULL,
  username     VARCHAR(64)  NOT NULL,
  at           DATETIME     NOT NULL,
  KEY ix_override_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
