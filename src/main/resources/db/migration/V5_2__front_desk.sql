-- The facility's front desk (导诊台) checks patients in: a console role tied to one hospital or clinic, as a
-- community doctor is tied to their centre. V5's unnamed CHECK (MariaDB calls it CONSTRAINT_1) allowed a
-- facility for community doctors only.
ALTER TABLE console_user DROP CONSTRAINT IF EXISTS CONSTRAINT_1;
ALTER TABLE console_user ADD CONSTRAINT ck_user_facility
  CHECK ((role IN ('COMMUNITY_DOCTOR', 'FRONT_DESK')) = (facility_id IS NOT NULL));
