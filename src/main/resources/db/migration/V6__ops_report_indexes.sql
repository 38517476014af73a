-- Supervision reports read bookings by facility and clinic day, and by facility and the time they were made
-- (the day page and its per-hour chart). Without these a one-day page scans every booking of the city.
CREATE INDEX ix_booking_facility_day ON booking (facility_id, slot_date);
CREATE INDEX ix_booking_facility_made ON booking (facility_id, created_at);
