-- Phone menu (issue 14): wrong look-ups by booking code or resident ID, per calling number and day, so a
-- caller cannot try codes without limit across calls. A look-up takes one from the day's allowance before
-- it runs and gives it back when it finds a booking the number may manage; so concurrent calls from one
-- number cannot overrun the limit. The number only as its keyed hash (as booking.caller_hash).
CREATE TABLE phone_lookup_day (
  caller_hash  VARCHAR(64)  NOT NULL,
  day          DATE         NOT NULL,
  failures     INT          NOT NULL DEFAULT 0,
  updated_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (caller_hash, day)
) ENGINE=InnoDB;
