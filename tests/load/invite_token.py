"""The token of the latest invite e-mail queued to a patient, read from a SQLite database's
outbox: staff never see an invite link (issue 14, defect 5), so a script that plays the patient
reads it where the patient's e-mail starts. Usage: invite_token.py DATABASE PATIENT_ID"""
import json
import sqlite3
import sys
import uuid

db, patient = sys.argv[1], uuid.UUID(sys.argv[2])
conn = sqlite3.connect(db)
row = None
for key in (patient.bytes, str(patient)):
    row = conn.execute(
        "SELECT payload FROM messages WHERE patient_id = ? AND kind = 'sign_in' ORDER BY created_at DESC LIMIT 1",
        (key,),
    ).fetchone()
    if row:
        break
if not row:
    sys.exit(f"no invite e-mail queued to patient {patient}")
print(json.loads(row[0])["link"].split("token=", 1)[1])
