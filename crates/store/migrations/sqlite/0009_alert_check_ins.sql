-- How many check-ins an open alert stands for: repeated check-ins while an alert is open update
-- that alert (its worst disposition, its earliest deadline) instead of opening new ones
-- (issue 14: one patient opened 300 emergency alerts in 80 seconds). Older alerts stand for one.
ALTER TABLE alerts ADD COLUMN check_ins INTEGER NOT NULL DEFAULT 1;
