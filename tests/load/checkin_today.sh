#!/usr/bin/env bash
# Requests per second for a patient's check-in (POST /api/v1/me/check-ins) and the Today page
# (GET /me), measured with wrk against the release binary on a fresh SQLite database: the
# figures issue 13 asks for before and after the application layer. The server is pinned to
# core 0 and wrk to core 1 (taskset), 16 connections, 10 s each. The patient is seeded through
# the API as the README shows (setup, practitioner, screening, review, plan, session, invite).
#
# Usage: cargo build --release -p needlepath && tests/load/checkin_today.sh [target/release/needlepath]
set -euo pipefail
BIN=${1:-target/release/needlepath}
PORT=${PORT:-18089}
DIR=$(mktemp -d)
trap 'kill $SRV 2>/dev/null || true; rm -rf "$DIR"' EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }

taskset -c 0 "$BIN" serve --listen "127.0.0.1:$PORT" --database-url "sqlite://$DIR/load.db" --create-database >"$DIR/log" 2>&1 &
SRV=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$(grep -o 'setup?token=[A-Za-z0-9_-]*' "$DIR/log" | head -1 | cut -d= -f2)
API=http://127.0.0.1:$PORT/api/v1
J='content-type: application/json'
curl -sf -X POST $API/setup -H "$J" -d "{\"token\": \"$TOKEN\",
  \"clinic\": {\"name\": \"Load Clinic\", \"time_zone\": \"Europe/Berlin\"},
  \"admin\": {\"email\": \"ada@clinic.example\", \"name\": \"Ada\", \"password\": \"correct horse battery\"}}" >/dev/null
CSRF=$(curl -sf -c "$DIR/jar" -X POST $API/auth/login -H "$J" \
  -d '{"email": "ada@clinic.example", "password": "correct horse battery"}' | jq -r .csrf_token)
S=(-b "$DIR/jar" -H "$J" -H "x-csrf-token: $CSRF")
P=$(curl -sf "${S[@]}" -X POST $API/patients -d '{"name": "Pat Load", "email": "pat@example.org", "fitzpatrick": 3}' | jq -r .id)
curl -sf "${S[@]}" -X POST $API/staff -d '{"email": "pia@clinic.example", "name": "Pia", "role": "practitioner", "password": "another long password"}' >/dev/null
PRAC=$(curl -sf -c "$DIR/pjar0" -X POST $API/auth/login -H "$J" -d '{"email": "pia@clinic.example", "password": "another long password"}' | jq -r .csrf_token)
C=(-b "$DIR/pjar0" -H "$J" -H "x-csrf-token: $PRAC")
curl -sf "${C[@]}" -X POST $API/patients/$P/screenings -d '{"concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 3}' >/dev/null
curl -sf "${C[@]}" -X POST $API/patients/$P/plans -d "{\"concern\": \"acne_scars\", \"scar_grade\": 3, \"start\": \"$(date -u +%F)\"}" >/dev/null
curl -sf "${C[@]}" -X POST $API/patients/$P/sessions \
  -d '{"device": "Dermapen 4", "cold_sore_now": false, "depths": [{"area": "cheeks", "depth_mm": 1.5}],
       "numbing": {"agent": "lidocaine", "area_cm2": 200, "minutes": 30, "occluded": false, "removed": true}}' >/dev/null
# Staff never see an invite link (it is e-mailed to the patient); read it from the outbox.
curl -sf "${S[@]}" -X POST $API/patients/$P/invites >/dev/null
INVITE=$(python3 tests/load/invite_token.py "$DIR/load.db" "$P")
PCSRF=$(curl -sf -c "$DIR/pjar" -X POST $API/auth/invite -H "$J" -d "{\"token\": \"$INVITE\"}" | jq -r .csrf_token)
COOKIE=$(awk '(!/^#/ || /^#HttpOnly_/) && NF>=7 {print $6"="$7}' "$DIR/pjar" | head -1)
# One check-in by hand: it must be answered (201) before it is loaded.
curl -sf -b "$DIR/pjar" -H "$J" -H "x-csrf-token: $PCSRF" -X POST $API/me/check-ins \
  -d '{"symptoms": [{"code": "redness", "severity": "mild", "trend": "improving"}]}' >/dev/null

cat >"$DIR/checkin.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"symptoms": [{"code": "redness", "severity": "mild", "trend": "improving"}, {"code": "dryness", "severity": "mild"}]}'
wrk.headers["content-type"] = "application/json"
wrk.headers["x-csrf-token"] = "$PCSRF"
wrk.headers["cookie"] = "$COOKIE"
LUA
run() { # name, then wrk arguments
  local name=$1; shift
  local out; out=$(taskset -c 1 wrk -t1 -c16 -d10s --latency "$@")
  local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local p50; p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  local p99; p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local bad; bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-28s %10s req/s  p50 %-9s p99 %-9s non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}"
}
run "GET /healthz" "http://127.0.0.1:$PORT/healthz"
run "GET /me (Today page)" -H "cookie: $COOKIE" "http://127.0.0.1:$PORT/me"
run "POST /api/v1/me/check-ins" -s "$DIR/checkin.lua" "$API/me/check-ins"
run "GET /me after the check-ins" -H "cookie: $COOKIE" "http://127.0.0.1:$PORT/me"
echo "check-ins stored: $(curl -sf -b "$DIR/pjar" $API/me/check-ins | jq ".check_ins | length")"
