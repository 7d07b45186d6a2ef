-- Booking rules (issue 11): an appointment names the practitioner who treats (so one
-- practitioner's appointments cannot overlap) and, when it lies outside the plan's window for
-- the next session, the reason it was booked there anyway.

ALTER TABLE appointments ADD COLUMN practitioner_id UUID;
ALTER TABLE appointments ADD COLUMN window_reason TEXT;
CREATE INDEX appointments_practitioner ON appointments (clinic_id, practitioner_id, starts_at);
