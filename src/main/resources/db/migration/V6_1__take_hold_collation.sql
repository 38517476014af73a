-- take_hold's string parameters took the collation of the database at creation time. The tables are
-- utf8mb4_unicode_ci, but a production database (or a Galera cluster) created with the server's
-- default (utf8mb4_general_ci, or uca1400 on 11.x) made `pool = p_pool` fail at every hold with 1267
-- "Illegal mix of collations". Same procedure, with the parameters' collation stated.
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
     AND opens_at <= p_now AND closes_at > p_now
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
