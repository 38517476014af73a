-- Exactly-once across a gateway killed mid-submit (docs/sms.md, "What nothing lost means").
-- in_flight_part: the part whose submit_sm this row's node has started and not yet recorded (NULL: none).
-- A row whose lease ran out with it set is IN_DOUBT until in_doubt_until: a delivery receipt from its
-- destination settles it, or the part is sent again when the wait ends.
ALTER TABLE sms_message
  ADD COLUMN in_flight_part  INT          NULL,
  ADD COLUMN in_flight_at    DATETIME(3)  NULL,
  ADD COLUMN in_doubt_until  DATETIME(3)  NULL,
  ADD KEY ix_sms_in_doubt (status, in_doubt_until);

-- Unmatched receipts keep who they came from (the handset: the original destination) and the SMSC's
-- submit date, so an in-doubt part can adopt the receipt of its own submission.
ALTER TABLE sms_receipt_waiting
  ADD COLUMN source_addr     VARCHAR(21)  NULL,
  ADD COLUMN submit_date     DATETIME     NULL,
  ADD KEY ix_waiting_source (source_addr);
