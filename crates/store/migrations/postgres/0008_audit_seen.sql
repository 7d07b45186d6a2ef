-- What a use case's one audit record saw: the parts of the patient's record read to answer,
-- comma-separated codes (patient, screenings, plans, sessions, check_ins, appointments, messages,
-- staff). Older rows, one per store call, have none.
ALTER TABLE audit ADD COLUMN seen TEXT;
