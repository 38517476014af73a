-- Booking core: facilities, services, sessions, slots, quota pools, holds, bookings.
-- All DATETIME values are local time in Asia/Shanghai (the service's zone).

CREATE TABLE facility (
  id          BIGINT AUTO_INCREMENT PRIMARY KEY,
  code        VARCHAR(32)  NOT NULL UNIQUE,
  name        VARCHAR(100) NOT NULL,
  kind        VARCHAR(32)  NOT NULL,          -- DISTRICT_HOSPITAL, COMMUNITY_CENTRE, VACCINATION_CLINIC
  district    VARCHAR(64)  NULL,
  address     VARCHAR(200) NULL,
  sort_order  INT          NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE vaccine (
  id                 BIGINT AUTO_INCREMENT PRIMARY KEY,
  code               VARCHAR(32)  NOT NULL UNIQUE,
  name               VARCHAR(100) NOT NULL,
  doses              INT          NOT NULL,
  min_interval_days  INT          NOT NULL DEFAULT 0,
  min_age_years      INT          NOT NULL DEFAULT 0,
  max_age_years      INT          NOT NULL DEFAULT 150,
  bring_note         VARCHAR(200) NULL,
  CHECK (doses >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A bookable service: an outpatient department (optionally a named doctor) or a vaccine at a clinic.
CREATE TABLE service (
  id           BIGINT AUTO_INCREMENT PRIMARY KEY,
  facility_id  BIGINT       NOT NULL,
  code         VARCHAR(32)  NOT NULL,
  kind         VARCHAR(16)  NOT NULL,          -- OUTPATIENT, VACCINE
  name         VARCHAR(100) NOT NULL,
  doctor_name  VARCHAR(64)  NULL,
  vaccine_id   BIGINT       NULL,
  sort_order   INT          NOT NULL DEFAULT 0,
  UNIQUE KEY uq_service_code (facility_id, code),
  CONSTRAINT fk_service_facility FOREIGN KEY (facility_id) REFERENCES facility (id),
  CONSTRAINT fk_service_vaccine FOREIGN KEY (vaccine_id) REFERENCES vaccine (id),
  CHECK ((kind = 'VACCINE') = (vaccine_id IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE clinic_session (
  id            BIGINT AUTO_INCREMENT PRIMARY KEY,
  service_id    BIGINT      NOT NULL,
  session_date  DATE        NOT NULL,
  period        VARCHAR(16) NOT NULL,          -- MORNING, AFTERNOON, EVENING
  starts_at     DATETIME    NOT NULL,
  ends_at       DATETIME    NOT NULL,
  UNIQUE KEY uq_session (service_id, session_date, period),
  CONSTRAINT fk_session_service FOREIGN KEY (service_id) REFERENCES service (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE slot (
  id          BIGINT AUTO_INCREMENT PRIMARY KEY,
  session_id  BIGINT   NOT NULL,
  service_id  BIGINT   NOT NULL,
  slot_date   DATE     NOT NULL,
  starts_at   DATETIME NOT NULL,
  ends_at     DATETIME NOT NULL,
  UNIQUE KEY uq_slot (service_id, starts_at),
  KEY ix_slot_date (service_id, slot_date, starts_at),
  CONSTRAINT fk_slot_session FOREIGN KEY (session_id) REFERENCES clinic_session (id),
  CONSTRAINT fk_slot_service FOREIGN KEY (service_id) REFERENCES service (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per slot and pool. The CHECK is the database's own guard against oversell.
CREATE TABLE quota_pool (
  id         BIGINT AUTO_INCREMENT PRIMARY KEY,
  slot_id    BIGINT      NOT NULL,
  pool       VARCHAR(16) NOT NULL,             -- ONSITE, COMMUNITY, PUBLIC
  capacity   INT         NOT NULL,
  held       INT         NOT NULL DEFAULT 0,
  booked     INT         NOT NULL DEFAULT 0,
  opens_at   DATETIME    NOT NULL,
  closes_at  DATETIME    NOT NULL,
  UNIQUE KEY uq_pool (slot_id, pool),
  CONSTRAINT fk_pool_slot FOREIGN KEY (slot_id) REFERENCES slot (id),
  CONSTRAINT ck_pool_counts CHECK (held >= 0 AND booked >= 0 AND capacity >= 0 AND held + booked <= capacity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A patient is known only by a keyed hash of the resident ID; the masked form is for display.
CREATE TABLE patient (
  id_hash     VARCHAR(64)    NOT NULL PRIMARY KEY,
  id_masked   VARCHAR(18) NOT NULL,
  birth_date  DATE        NOT NULL,
  phone_blocked_until DATE NULL,               -- set by the no-show rule; phone menu refuses until then
  created_at  DATETIME    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Serialises the per-calling-number daily limit: one row per number and day.
CREATE TABLE caller_day (
  caller_hash  VARCHAR(64) NOT NULL,
  day          DATE     NOT NULL,
  PRIMARY KEY (caller_hash, day)
) ENGINE=InnoDB;

CREATE TABLE hold (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  pool_id         BIGINT      NOT NULL,
  slot_id         BIGINT      NOT NULL,
  channel         VARCHAR(24) NOT NULL,
  status          VARCHAR(16) NOT NULL,        -- ACTIVE, CONFIRMED, RELEASED, EXPIRED
  created_at      DATETIME(3) NOT NULL,
  expires_at      DATETIME(3) NOT NULL,
  ended_at        DATETIME(3) NULL,
  KEY ix_hold_expiry (status, expires_at),
  CONSTRAINT fk_hold_pool FOREIGN KEY (pool_id) REFERENCES quota_pool (id)
) ENGINE=InnoDB;

CREATE TABLE booking (
  id                 BIGINT AUTO_INCREMENT PRIMARY KEY,
  code               VARCHAR(6)      NOT NULL,
  status             VARCHAR(16)  NOT NULL,    -- ACTIVE, CANCELLED, NO_SHOW, ATTENDED
  slot_id            BIGINT       NOT NULL,
  pool_id            BIGINT       NOT NULL,
  pool               VARCHAR(16)  NOT NULL,
  service_id         BIGINT       NOT NULL,
  facility_id        BIGINT       NOT NULL,
  vaccine_id         BIGINT       NULL,
  dose_number        INT          NULL,
  slot_date          DATE         NOT NULL,
  slot_starts_at     DATETIME     NOT NULL,
  patient_hash       VARCHAR(64)     NOT NULL,
  patient_masked     VARCHAR(18)  NOT NULL,
  patient_birth_date DATE         NOT NULL,
  sms_phone          VARCHAR(16)  NULL,
  calling_number     VARCHAR(32)  NULL,
  caller_hash        VARCHAR(64)     NULL,
  channel            VARCHAR(24)  NOT NULL,
  actor              VARCHAR(64)  NULL,        -- agent or doctor user name, call id for the menu
  referring_facility_id BIGINT    NULL,
  hold_id            BIGINT       NULL,
  created_at         DATETIME(3)  NOT NULL,
  cancelled_at       DATETIME(3)  NULL,
  cancel_channel     VARCHAR(24)  NULL,
  active_code        VARCHAR(6)  AS (IF(status = 'ACTIVE', code, NULL)) PERSISTENT,
  active_patient_day VARCHAR(100) AS (IF(status = 'ACTIVE', CONCAT(patient_hash, ':', service_id, ':', slot_date), NULL)) PERSISTENT,
  UNIQUE KEY uq_active_code (active_code),
  UNIQUE KEY uq_active_patient_day (active_patient_day),
  KEY ix_booking_patient (patient_hash, status),
  KEY ix_booking_sms_phone (sms_phone),
  KEY ix_booking_caller (caller_hash, created_at),
  KEY ix_booking_slot (slot_id),
  CONSTRAINT fk_booking_pool FOREIGN KEY (pool_id) REFERENCES quota_pool (id),
  CONSTRAINT fk_booking_slot FOREIGN KEY (slot_id) REFERENCES slot (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every phone tied to a booking: the SMS number and each family phone. Lookups and SMS replies use it.
CREATE TABLE booking_phone (
  booking_id  BIGINT      NOT NULL,
  phone       VARCHAR(16) NOT NULL,
  role        VARCHAR(16) NOT NULL,            -- PATIENT, FAMILY
  PRIMARY KEY (booking_id, phone),
  KEY ix_booking_phone (phone),
  CONSTRAINT fk_phone_booking FOREIGN KEY (booking_id) REFERENCES booking (id)
) ENGINE=InnoDB;
