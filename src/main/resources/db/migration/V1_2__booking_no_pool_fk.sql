-- The foreign key from booking to quota_pool made every confirmation take a shared lock on the pool row
-- (the hot row) when it inserted the booking, and then upgrade it to write the counts: two confirmations
-- on one slot deadlocked. booking.pool_id comes from its hold, whose own foreign key keeps it honest.
ALTER TABLE booking DROP FOREIGN KEY fk_booking_pool;
