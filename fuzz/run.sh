#!/usr/bin/env bash
# Runs every fuzz target for a while and fails if any of them crashes.
#
#   fuzz/run.sh [seconds-per-target]      (default 60)
#
# Installs cargo-fuzz 0.13.2 when it is missing. libFuzzer needs nightly-only compiler flags;
# the project's toolchain is stable, so RUSTC_BOOTSTRAP=1 lets this build (and only this build)
# use them. The targets are built with AddressSanitizer and debug assertions (integer overflow
# is a crash); FUZZ_SANITIZER=none builds without ASan, which is faster to build and run.
#
# Each target starts from its committed seeds (fuzz/corpus/<target>/, read only) and grows its
# own corpus in fuzz/work/corpus/<target>/; a crash is written to fuzz/artifacts/<target>/
# (neither is committed). At the end, a table: runs, coverage and crashes per target, then
# "fuzz: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: fuzz/run.sh [seconds-per-target]" >&2; exit 2 ;;
esac
sanitizer="${FUZZ_SANITIZER:-address}"
targets=(protocol_loader protocol_floor decision_requests form_bodies renderers)

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The fuzz project has its own target directory (fuzz/target), whatever the caller's is.
unset CARGO_TARGET_DIR

if ! cargo fuzz --version 2>/dev/null | grep -q '0\.13\.2'; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

start=$(date +%s)
cargo fuzz build --sanitizer "$sanitizer" --debug-assertions
echo "built in $(( $(date +%s) - start ))s (sanitizer: $sanitizer)"

mkdir -p work/logs
passed=0
failed=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "work/corpus/$t" "artifacts/$t"
  dict=()
  [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
  log="work/logs/$t.log"
  touch "$log.start"
  echo "== $t for ${seconds}s"
  status=0
  cargo fuzz run --sanitizer "$sanitizer" --debug-assertions "$t" "work/corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 "${dict[@]}" \
    >"$log" 2>&1 || status=$?
  runs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -n 1 || true)
  [ -n "$runs" ] || runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1 || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  crashes=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -newer "$log.start" 2>/dev/null | wc -l || true)
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    result="ok"
  else
    failed=$((failed + 1))
    result="FAILED (exit $status)"
    grep -E '^(thread .* panicked|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -n 20 || true
    echo "   the whole log: fuzz/$log"
  fi
  summary+=("$(printf '%-18s %-12s %-22s %-8s %s' "$t" "${runs:-?}" "${cov:-?}" "$crashes" "$result")")
done

echo
printf '%-18s %-12s %-22s %-8s %s\n' target runs coverage crashes result
printf '%s\n' "${summary[@]}"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
