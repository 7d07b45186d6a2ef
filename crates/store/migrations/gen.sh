#!/bin/sh
# Regenerates each backend's migrations from the templates: schema.sql.in is the initial schema
# (0001_initial.sql), and each later NNNN_name.sql.in gives NNNN_name.sql. Applied migrations are
# never edited; a change is a new numbered template.
set -eu
cd "$(dirname "$0")"
gen() {
    sed -e 's/@ID@/BLOB/g' -e 's/@TS@/INTEGER/g' -e 's/@JSON@/TEXT/g' -e 's/@BOOL@/INTEGER/g' \
        -e 's/@REAL@/REAL/g' -e 's/@INT@/INTEGER/g' "$1" > "sqlite/$2"
    sed -e 's/@ID@/UUID/g' -e 's/@TS@/TIMESTAMPTZ/g' -e 's/@JSON@/JSONB/g' -e 's/@BOOL@/BOOLEAN/g' \
        -e 's/@REAL@/DOUBLE PRECISION/g' -e 's/@INT@/BIGINT/g' "$1" > "postgres/$2"
}
gen schema.sql.in 0001_initial.sql
for t in 0*.sql.in; do
    gen "$t" "${t%.in}"
done
