-- Personal data minimised (docs/security.md, "Personal data"). The masked ID used to keep the region
-- prefix (4) and the last four, and the birth date was kept whole: with the hash key that left about 9
-- candidates per resident ID. Now a patient is kept as
--   * the keyed hash (matching), and
--   * the last four characters (display, read-out: "the ID ending 123X"), and
--   * on each booking, the age in whole years on the day of the slot (reports, the voice menu's elder
--     priority); the vaccine age rules read the whole ID when a booking is made or moved.
-- No region digit and no birth date is kept anywhere.

-- booking: the age on the slot's day replaces the birth date
ALTER TABLE booking ADD COLUMN patient_age SMALLINT NULL AFTER patient_masked;
UPDATE booking SET patient_age = TIMESTAMPDIFF(YEAR, patient_birth_date, slot_date);
ALTER TABLE booking MODIFY patient_age SMALLINT NOT NULL, DROP COLUMN patient_birth_date;

-- the masked ID keeps only the last four (old form 1101**********123X: region prefix, 10 stars, last four)
UPDATE booking SET patient_masked = CONCAT(REPEAT('*', CHAR_LENGTH(patient_masked) - 4), RIGHT(patient_masked, 4))
  WHERE patient_masked REGEXP '^[0-9]';
UPDATE call_transfer SET patient_masked = CONCAT(REPEAT('*', CHAR_LENGTH(patient_masked) - 4), RIGHT(patient_masked, 4))
  WHERE patient_masked REGEXP '^[0-9]';
UPDATE callback_request SET patient_masked = CONCAT(REPEAT('*', CHAR_LENGTH(patient_masked) - 4), RIGHT(patient_masked, 4))
  WHERE patient_masked REGEXP '^[0-9]';

-- the same masked form inside free text: what the caller had chosen (shown to the agent), audit details, SMS
-- bodies (a family copy names the patient), agent notices
UPDATE call_transfer SET choices_json = REGEXP_REPLACE(choices_json, '[0-9]{4}[*]{10}([0-9]{3}[0-9Xx])', '**************\\1')
  WHERE choices_json REGEXP '[0-9]{4}[*]{10}[0-9]{3}[0-9Xx]';
UPDATE audit_event SET detail = REGEXP_REPLACE(detail, '[0-9]{4}[*]{10}([0-9]{3}[0-9Xx])', '**************\\1')
  WHERE detail REGEXP '[0-9]{4}[*]{10}[0-9]{3}[0-9Xx]';
UPDATE sms_message SET body = REGEXP_REPLACE(body, '[0-9]{4}[*]{10}([0-9]{3}[0-9Xx])', '**************\\1')
  WHERE body REGEXP '[0-9]{4}[*]{10}[0-9]{3}[0-9Xx]';
UPDATE sms_agent_notice SET text = REGEXP_REPLACE(text, '[0-9]{4}[*]{10}([0-9]{3}[0-9Xx])', '**************\\1')
  WHERE text REGEXP '[0-9]{4}[*]{10}[0-9]{3}[0-9Xx]';

-- patient: only the hash (and the phone block); nothing of the ID, no birth date
ALTER TABLE patient DROP COLUMN id_masked, DROP COLUMN birth_date;
