-- The waitlist (候补, issue 16), owned by booking: a caller for whom nothing was free waits for a place of a
-- service within a date window. When a place frees (a cancellation, an expired hold, a community place moved
-- to public), the first one waiting gets it held and an SMS with a code to confirm by reply within a set
-- time (hotline.booking.waitlist.offer-ttl); then the next. Like booking, the patient is kept only as the
-- keyed hash, the last four and the age on a day (no ID, no birth date: docs/security.md).
CREATE TABLE waitlist_entry (
  id                BIGINT AUTO_INCREMENT PRIMARY KEY,
  service_id        BIGINT       NOT NULL,
  from_date         DATE         NOT NULL,
  until_date        DATE         NOT NULL,
  patient_hash      VARCHAR(64)  NOT NULL,
  patient_masked    VARCHAR(18)  NOT NULL,
  patient_age       SMALLINT     NOT NULL,
  age_on            DATE         NOT NULL,
  sms_phone         VARCHAR(16)  NOT NULL,
  calling_number    VARCHAR(32)  NULL,
  status            VARCHAR(16)  NOT NULL,        -- WAITING, OFFERED, BOOKED, EXPIRED, LEFT
  offer_hold_id     BIGINT       NULL,
  offer_code        VARCHAR(6)   NULL,
  offered_at        DATETIME(3)  NULL,
  offer_expires_at  DATETIME(3)  NULL,
  booking_id        BIGINT       NULL,
  created_at        DATETIME(3)  NOT NULL,
  ended_at          DATETIME(3)  NULL,
  -- one open entry per patient and service
  active_patient_service VARCHAR(100) AS (IF(status IN ('WAITING', 'OFFERED'), CONCAT(patient_hash, ':', service_id), NULL)) PERSISTENT,
  UNIQUE KEY uq_waitlist_active (active_patient_service),
  KEY ix_waitlist_queue (service_id, status, id),
  KEY ix_waitlist_offer (status, offer_expires_at),
  KEY ix_waitlist_reply (sms_phone, offer_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
