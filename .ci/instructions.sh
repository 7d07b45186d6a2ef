#!/usr/bin/env bash
# The performance regression gate (issue 16, item 6): the instructions executed by 1,000
# triages, 1,000 renders of a patient's Today page and 1,000 check-ins, counted by valgrind's
# callgrind, against the reference counts in .ci/instructions.ref.
#
# Why instructions: a shared machine's noise moves wall-clock times by tens of per cent; the
# instructions a workload executes are the same from run to run within a fraction of a per cent
# (what is left is UUIDv7 ids, session tokens and hash-map seeds: under 0.5 % here), so a rise
# is the code doing more work, not the neighbours.
#
# The workloads are crates/server/benches/instructions.rs, run once under callgrind with
# `--zero-before=F --dump-after=F` for each workload's function F: its costs are zeroed when F
# is entered and written out (one callgrind.out part per workload) when F returns, summed over
# all threads, so the setup (a clinic, a patient with a history) is not counted and the SQLite
# work on sqlx's connection threads is. The count of a workload is the part's `totals:` line.
#
# Build profile: `dev`, the one `cargo test` builds, so CI compiles nothing but this bench (the
# dependencies, with the features of the workspace-wide build, are already there; `--workspace`
# keeps them: `-p needlepath-server` resolves features differently and rebuilds for minutes).
# Release counts would say more about the code as it ships, but the release build is a second
# dependency tree of its own: measured on the project machine (2 shared cores, one job) after a
# debug build, `cargo build --profile bench -p needlepath-server --bench instructions` took
# 14 min 13 s and the callgrind run 57 s, against the 8 minutes this step may cost in CI; the
# dev build takes seconds after `cargo test` and the callgrind run 3.5 min (11.5 min at a load
# average of 8, with the same counts). Debug
# counts are larger (unoptimised code) and weigh abstractions more, but they rise when the code
# does more work, which is what the gate is for. BENCHMARKS.md has both sets of figures.
#
# Exit status: 1 when any workload rises more than LIMIT per cent (10) over its reference, or a
# reference is missing. A fall of more than LIMIT per cent passes with a note to update the
# reference (so the gate keeps tracking the better figure). The new counts are always printed in
# the reference file's format; `--update` writes them to .ci/instructions.ref instead of failing.
#
# Usage: .ci/instructions.sh [--update]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

REF=.ci/instructions.ref
LIMIT="${INSTRUCTIONS_LIMIT_PERCENT:-10}"
WORKLOADS="triage today check_in"
update=no
case "${1:-}" in
  --update) update=yes ;;
  "") ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }

started=$SECONDS
exe=$(cargo build --workspace --bench instructions --message-format=json-render-diagnostics \
  | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -x "$exe" ] || { echo "the instructions bench was not built"; exit 1; }
echo "built $exe in $((SECONDS - started)) s"

out=$(mktemp -d "${TMPDIR:-/tmp}/needlepath-callgrind.XXXXXX")
trap 'rm -rf "$out"' EXIT
args=()
for w in $WORKLOADS; do
  args+=("--zero-before=instructions::measured_$w" "--dump-after=instructions::measured_$w")
done
started=$SECONDS
if ! valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$out/callgrind.out" "${args[@]}" \
    "$exe" $WORKLOADS >"$out/run.log" 2>&1; then
  cat "$out/run.log"; echo "the workloads failed under callgrind (above)"; exit 1
fi
echo "callgrind ran the workloads in $((SECONDS - started)) s"
grep -E '^(triage|today|check_in):' "$out/run.log" || true

# One part per workload, named by its trigger; the count is the part's `totals:` line.
counts="$out/counts"
: >"$counts"
for part in "$out"/callgrind.out.*; do
  w=$(sed -n 's/^desc: Trigger: --dump-after=instructions::measured_\(.*\)$/\1/p' "$part")
  total=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$part")
  [ -n "$w" ] && [ -n "$total" ] && echo "$w $total" >>"$counts"
done
for w in $WORKLOADS; do
  grep -q "^$w " "$counts" || { cat "$out/run.log"; echo "no count for $w: its part is missing"; exit 1; }
done

touch "$REF"
status=0
printf '\n%-10s %15s %15s %9s\n' workload reference now change
for w in $WORKLOADS; do
  now=$(awk -v w="$w" '$1 == w { print $2 }' "$counts")
  ref=$(awk -v w="$w" '$1 == w { print $2 }' "$REF")
  if [ -z "$ref" ]; then
    printf '%-10s %15s %15s %9s\n' "$w" - "$now" new
    echo "  no reference for $w in $REF"
    status=1
    continue
  fi
  verdict=$(awk -v now="$now" -v ref="$ref" -v limit="$LIMIT" -v w="$w" 'BEGIN {
    change = (now - ref) * 100 / ref
    printf "%+8.2f%%", change
    if (change > limit) printf "\n  %s rose %.1f %% (more than %s %%): the gate fails", w, change, limit
    else if (change < -limit) printf "\n  %s fell %.1f %%: update the reference so the gate keeps it", w, -change
  }')
  printf '%-10s %15s %15s %s\n' "$w" "$ref" "$now" "$verdict"
  awk -v now="$now" -v ref="$ref" -v limit="$LIMIT" 'BEGIN { exit !((now - ref) * 100 / ref > limit) }' && status=1
done

new_ref="$out/ref"
{
  echo "# Instructions (callgrind Ir) of 1,000 rounds of each workload, dev profile:"
  echo "# crates/server/benches/instructions.rs, counted by .ci/instructions.sh (--update rewrites this file)."
  for w in $WORKLOADS; do awk -v w="$w" '$1 == w' "$counts"; done
} >"$new_ref"
printf '\nThe counts now, in the format of %s (for an intentional change):\n' "$REF"
grep -v '^#' "$new_ref"
if [ "$update" = yes ]; then
  cp "$new_ref" "$REF"
  echo "wrote $REF"
  exit 0
fi
[ "$status" = 0 ] || echo "instruction counts: the gate fails (a rise over $LIMIT % or a missing reference); if the change is intended, run .ci/instructions.sh --update"
exit "$status"
