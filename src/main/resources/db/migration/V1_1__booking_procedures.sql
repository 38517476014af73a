-- Taking a place is the hottest path of the whole service (the 08:00 release rush). This procedure does
-- the conditional UPDATE on the pool row and writes the hold in one round trip instead of five
-- (autocommit off, UPDATE, INSERT, COMMIT, autocommit on). Inside a caller's transaction it joins
-- that transaction; otherwise it is its own.
DELIMITER $$
CREATE PROCEDURE take_hold(IN p_pool BIGINT, IN p_slot BIGINT, IN p_channel VARCHAR(24), IN p_now DATETIME(3),
                           IN p_expires DATETIME(3))
BEGIN
  DECLARE v_own BOOLEAN DEFAULT (@@in_transaction = 0);
  DECLARE v_hold BIGINT DEFAULT 0;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    IF v_own THEN ROLLBACK; END IF;
    RESIGNAL;
  END;
  IF v_own THEN START TRANSACTION; END IF;
  UPDATE quota_pool SET held = held + 1
   WHERE id = p_pool AND held + booked < capacity AND opens_at <= p_now AND closes_at > p_now;
  IF ROW_COUNT() = 1 THEN
    INSERT INTO hold (pool_id, slot_id, channel, status, created_at, expires_at)
    VALUES (p_pool, p_slot, p_channel, 'ACTIVE', p_now, p_expires);
    SET v_hold = LAST_INSERT_ID();
  END IF;
  IF v_own THEN COMMIT; END IF;
  SELECT v_hold AS hold_id;
END$$
DELIMITER ;
