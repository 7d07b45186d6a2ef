#!/bin/sh
# Regenerates the first migration of each backend from schema.sql.in. Only for the initial
# schema: applied migrations are never edited; later changes are new numbered files per backend.
set -eu
cd "$(dirname "$0")"
sed -e 's/@ID@/BLOB/g' -e 's/@TS@/INTEGER/g' -e 's/@JSON@/TEXT/g' -e 's/@BOOL@/INTEGER/g' \
    -e 's/@REAL@/REAL/g' -e 's/@INT@/INTEGER/g' schema.sql.in > sqlite/0001_initial.sql
sed -e 's/@ID@/UUID/g' -e 's/@TS@/TIMESTAMPTZ/g' -e 's/@JSON@/JSONB/g' -e 's/@BOOL@/BOOLEAN/g' \
    -e 's/@REAL@/DOUBLE PRECISION/g' -e 's/@INT@/BIGINT/g' schema.sql.in > postgres/0001_initial.sql
