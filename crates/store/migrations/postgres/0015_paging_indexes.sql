-- Issue 16: every list of a patient's history is read a page at a time, newest first, and these
-- indexes give each page in its order without sorting the patient's whole history (the
-- tie-breaker `id` is part of each order, so it is part of each index). The queue's open
-- follow-ups are read oldest first, a page at a time.
CREATE INDEX sessions_recent ON sessions (clinic_id, patient_id, performed_at, id);
CREATE INDEX plans_recent ON plans (clinic_id, patient_id, created_at, id);
CREATE INDEX screenings_recent ON screenings (clinic_id, patient_id, created_at, id);
CREATE INDEX appointments_recent ON appointments (clinic_id, patient_id, starts_at, id);
CREATE INDEX check_ins_recent ON check_ins (clinic_id, patient_id, (COALESCE(submitted_at, due_at)), id);
CREATE INDEX follow_ups_queue ON follow_ups (clinic_id, resolved_at, raised_at, id);
CREATE INDEX alerts_patient ON alerts (clinic_id, patient_id);
-- A patient's check-ins of the last hour (the per-hour limit asks at every check-in).
CREATE INDEX check_ins_sent ON check_ins (clinic_id, patient_id, submitted_at);
-- The latest audit records of the clinic and of a patient, and a patient's latest messages.
CREATE INDEX audit_clinic ON audit (clinic_id, at, id);
CREATE INDEX audit_patient_recent ON audit (clinic_id, patient_id, at, id);
CREATE INDEX messages_recent ON messages (clinic_id, patient_id, due_at, id);
