#!/usr/bin/env bash
# The plans of the hot queries (issue 16) on a seeded database: `explain.sh sqlite PATH` or
# `explain.sh postgres URL`. The hot queries of crates/store/tests/query_plans.rs, with the
# seeded heavy patient's ids as values (PostgreSQL plans for the values given). Prints one plan
# per query, for BENCHMARKS.md.
set -euo pipefail
kind=$1; where=$2
queries=(
  "recent check-ins|SELECT * FROM check_ins WHERE clinic_id = :c AND patient_id = :p ORDER BY COALESCE(submitted_at, due_at) DESC, id DESC LIMIT 50 OFFSET 0"
  "check-ins of the last hour|SELECT count(*) FROM check_ins WHERE clinic_id = :c AND patient_id = :p AND submitted_at >= :t"
  "a session's check-ins|SELECT * FROM check_ins WHERE clinic_id = :c AND patient_id = :p AND session_id = :s AND due_at IS NOT NULL ORDER BY due_at, id"
  "recent sessions|SELECT * FROM sessions WHERE clinic_id = :c AND patient_id = :p ORDER BY performed_at DESC, id DESC LIMIT 12 OFFSET 0"
  "latest messages|SELECT * FROM messages WHERE clinic_id = :c AND patient_id = :p ORDER BY due_at DESC, id DESC LIMIT 50"
  "open alert of a patient|SELECT * FROM alerts WHERE clinic_id = :c AND patient_id = :p AND resolved_at IS NULL"
  "open follow-ups, a page|SELECT f.*, p.name FROM follow_ups f JOIN patients p ON p.clinic_id = f.clinic_id AND p.id = f.patient_id WHERE f.clinic_id = :c AND f.resolved_at IS NULL ORDER BY f.raised_at, f.id LIMIT 50 OFFSET 0"
  "open alerts (queue)|SELECT * FROM alerts a WHERE a.clinic_id = :c AND a.resolved_at IS NULL ORDER BY CASE a.disposition WHEN 'emergency' THEN 0 WHEN 'urgent_same_day' THEN 1 ELSE 2 END, a.deadline_at, a.id LIMIT 50 OFFSET 0"
  "the clinic's audit|SELECT * FROM audit WHERE clinic_id = :c ORDER BY at DESC, id DESC LIMIT 100"
  "login|SELECT * FROM logins WHERE token_hash = 'x'"
)
if [ "$kind" = sqlite ]; then
  one() { sqlite3 "$where" "$1"; }
  c="x'$(one "SELECT hex(clinic_id) FROM clinics LIMIT 1")'"; p="x'$(one "SELECT hex(id) FROM patients WHERE name = 'Heavy Patient'")'"
  s="x'$(one "SELECT hex(id) FROM sessions WHERE patient_id = $p LIMIT 1")'"; t="0"
  for q in "${queries[@]}"; do
    name=${q%%|*}; sql=${q#*|}; sql=${sql//:c/$c}; sql=${sql//:p/$p}; sql=${sql//:s/$s}; sql=${sql//:t/$t}
    echo "-- $name"; sqlite3 "$where" "EXPLAIN QUERY PLAN $sql" | grep -v "^QUERY PLAN" | sed 's/^/   /'
  done
else
  one() { psql "$where" -Atc "$1"; }
  c="'$(one "SELECT clinic_id FROM clinics LIMIT 1")'"; p="'$(one "SELECT id FROM patients WHERE name = 'Heavy Patient'")'"
  s="'$(one "SELECT id FROM sessions WHERE patient_id = $p LIMIT 1")'"; t="now()"
  for q in "${queries[@]}"; do
    name=${q%%|*}; sql=${q#*|}; sql=${sql//:c/$c}; sql=${sql//:p/$p}; sql=${sql//:s/$s}; sql=${sql//:t/$t}
    echo "-- $name"; psql "$where" -Atc "EXPLAIN (COSTS OFF) $sql" | sed 's/^/   /'
  done
fi
