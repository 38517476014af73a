-- Issue 17, part B (booking module): session cancellations (停诊) and vaccine schedules.
-- docs/operations.md ("停诊") and docs/booking.md ("Vaccine schedules").

-- A hospital closes a session or a whole day of one service, or of every service of a facility.
CREATE TABLE session_cancellation (
  id                  BIGINT AUTO_INCREMENT PRIMARY KEY,
  facility_id         BIGINT       NOT NULL,
  service_id          BIGINT       NULL,           -- NULL: every service of the facility
  session_date        DATE         NOT NULL,
  period              VARCHAR(16)  NULL,           -- MORNING, AFTERNOON, EVENING; NULL: the whole day
  reason              VARCHAR(200) NOT NULL,       -- what the hospital gave (医生临时停诊, 临时放假…)
  actor               VARCHAR(64)  NOT NULL,       -- console user name
  created_at          DATETIME(3)  NOT NULL,       -- the moment the places were closed
  done_at             DATETIME(3)  NULL,           -- every booking in it cancelled and told
  sessions            INT          NOT NULL DEFAULT 0,
  slots               INT          NOT NULL DEFAULT 0,
  bookings_cancelled  INT          NOT NULL DEFAULT 0,
  holds_released      INT          NOT NULL DEFAULT 0,
  KEY ix_cancellation_day (facility_id, session_date),
  CONSTRAINT fk_cancellation_facility FOREIGN KEY (facility_id) REFERENCES facility (id),
  CONSTRAINT fk_cancellation_service FOREIGN KEY (service_id) REFERENCES service (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A cancelled session keeps its slots and pools (bookings point at them) but can never be sold again:
-- closed_by is set on every pool of it in one UPDATE (the row take_hold updates, so a hold either came
-- first and is swept, or finds the pool closed), and take_hold refuses a pool with closed_by set.
ALTER TABLE clinic_session ADD COLUMN cancellation_id BIGINT NULL;
ALTER TABLE quota_pool ADD COLUMN closed_by BIGINT NULL;
-- Why a booking was cancelled: NULL by the patient's side (phone, agent, SMS reply), HOSPITAL by a 停诊.
ALTER TABLE booking ADD COLUMN cancel_reason VARCHAR(16) NULL AFTER cancel_channel;

-- One row per booking a 停诊 cancelled: the alternative offered by SMS ("reply 1 to move to it"), and what
-- became of it.
CREATE TABLE cancellation_notice (
  id                BIGINT AUTO_INCREMENT PRIMARY KEY,
  cancellation_id   BIGINT       NOT NULL,
  booking_id        BIGINT       NOT NULL,
  offer_slot_id     BIGINT       NULL,             -- NULL: no free slice to offer
  offer_pool        VARCHAR(16)  NULL,
  offer_status      VARCHAR(16)  NOT NULL,        -- OPEN, MOVED, NONE (nothing to offer), WITHDRAWN
  moved_booking_id  BIGINT       NULL,
  answered_at       DATETIME(3)  NULL,
  created_at        DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_notice_booking (booking_id),
  KEY ix_notice_cancellation (cancellation_id),
  CONSTRAINT fk_notice_cancellation FOREIGN KEY (cancellation_id) REFERENCES session_cancellation (id),
  CONSTRAINT fk_notice_booking FOREIGN KEY (booking_id) REFERENCES booking (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The console's worklist: every call made to an elder (60+) a 停诊 affected, with its outcome.
CREATE TABLE cancellation_call (
  id          BIGINT AUTO_INCREMENT PRIMARY KEY,
  notice_id   BIGINT       NOT NULL,
  outcome     VARCHAR(16)  NOT NULL,              -- REACHED, MOVED, CANCELLED, NO_ANSWER
  note        VARCHAR(200) NULL,
  actor       VARCHAR(64)  NOT NULL,
  created_at  DATETIME(3)  NOT NULL,
  KEY ix_call_notice (notice_id, created_at),
  CONSTRAINT fk_call_notice FOREIGN KEY (notice_id) REFERENCES cancellation_notice (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- take_hold (V6_1) also refuses a pool a 停诊 closed.
DROP PROCEDURE IF EXISTS take_hold;
DELIMITER $$
CREATE PROCEDURE take_hold(IN p_slot BIGINT,
                           IN p_pool VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
                           IN p_channel VARCHAR(24) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
                           IN p_now DATETIME(3), IN p_expires DATETIME(3))
BEGIN
  -- autocommit off (Spring transaction) or an open transaction: join it
  DECLARE v_own BOOLEAN DEFAULT (@@autocommit = 1 AND @@in_transaction = 0);
  DECLARE v_pool BIGINT DEFAULT 0;
  DECLARE v_hold BIGINT DEFAULT 0;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    IF v_own THEN ROLLBACK; END IF;
    RESIGNAL;
  END;
  IF v_own THEN START TRANSACTION; END IF;
  UPDATE quota_pool SET held = held + 1
   WHERE slot_id = p_slot AND pool = p_pool AND held + booked < capacity
     AND opens_at <= p_now AND closes_at > p_now AND closed_by IS NULL
     AND EXISTS (SELECT 1 FROM slot WHERE id = p_slot AND starts_at > p_now);
  IF ROW_COUNT() = 1 THEN
    SELECT id INTO v_pool FROM quota_pool WHERE slot_id = p_slot AND pool = p_pool;
    INSERT INTO hold (pool_id, slot_id, channel, status, created_at, expires_at)
    VALUES (v_pool, p_slot, p_channel, 'ACTIVE', p_now, p_expires);
    SET v_hold = LAST_INSERT_ID();
  END IF;
  IF v_own THEN COMMIT; END IF;
  SELECT v_hold AS hold_id;
END$$
DELIMITER ;

-- Vaccine schedules that match real vaccines (booking.VaccineSchedule, docs/booking.md "Vaccine schedules").
-- Seasonal: one series per season (flu); season_start/season_end are MM-DD, both inclusive, and a season
-- whose end comes before its start runs over the new year. booster_after_days: once a series is complete, a
-- new one may start this many days after its last dose (pneumococcal re-vaccination after 5 years).
ALTER TABLE vaccine
  ADD COLUMN season_start CHAR(5) NULL,
  ADD COLUMN season_end CHAR(5) NULL,
  ADD COLUMN booster_after_days INT NULL,
  ADD CONSTRAINT ck_vaccine_season CHECK ((season_start IS NULL) = (season_end IS NULL));

-- Per dose of a series, what differs from the vaccine's own row: the interval since the previous dose
-- (minimum and maximum, days) and the age band (years, both inclusive). NULL: the vaccine's value (no maximum).
CREATE TABLE vaccine_dose (
  vaccine_id         BIGINT NOT NULL,
  dose_number        INT    NOT NULL,
  min_interval_days  INT    NULL,
  max_interval_days  INT    NULL,
  min_age_years      INT    NULL,
  max_age_years      INT    NULL,
  PRIMARY KEY (vaccine_id, dose_number),
  CONSTRAINT fk_dose_vaccine FOREIGN KEY (vaccine_id) REFERENCES vaccine (id),
  CONSTRAINT ck_dose_interval CHECK (max_interval_days IS NULL OR min_interval_days IS NULL
    OR max_interval_days >= min_interval_days)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
