#!/usr/bin/env bash
# Runs every test suite against the binaries in build dir $1 and ends with one
# line "N passed, N failed". Exit status is non-zero if anything failed.
#   suites: C unit tests, API integration tests (node:test, real sealroomd on
#   loopback), abuse tests (hostile clients against a server carrying an honest
#   call), browser tests (playwright-core + Debian chromium).
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/tests/out"
mkdir -p "$OUT"
export SEALROOM_BIN="$ROOT/$BUILD/sealroomd"
case "$BUILD" in
  build-san*) export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
              export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} ;;
esac

total_pass=0
total_fail=0
run_start=$SECONDS
suite_start=$SECONDS

# add_counts NAME PASS FAIL: one summary line with the suite's wall time
# (seconds since the previous suite ended, or since the start).
add_counts() {
  local secs=$((SECONDS - suite_start))
  printf '%-12s %s passed, %s failed (%d s)\n' "$1:" "$2" "$3" "$secs" >>"$OUT/summary.txt"
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
  suite_start=$SECONDS
}

: >"$OUT/summary.txt"

echo "== C unit tests"
"$ROOT/$BUILD/unit_tests" 2>&1 | tee "$OUT/unit.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$OUT/unit.log" | tail -1)
if [ -n "$line" ]; then
  add_counts unit "$(echo "$line" | awk '{print $1}')" "$(echo "$line" | awk '{print $3}')"
else
  add_counts unit 0 1 # crashed before printing its summary
fi

# node_suite NAME JOBS FILE...: runs node's test runner on the files (paths
# from the project's root), JOBS files at a time, and adds its counts.
node_suite() {
  local name=$1 jobs=$2
  shift 2
  echo "== $name tests ($# files, $jobs at a time)"
  if [ $# -eq 0 ] || ! (cd "$ROOT" && ls "$@" >/dev/null 2>&1); then
    echo "no tests for $name"; add_counts "$name" 0 1; return
  fi
  (cd "$ROOT" && node --test --test-concurrency="$jobs" --test-reporter=spec \
      --test-reporter-destination=stdout --test-reporter=tap \
      --test-reporter-destination="$OUT/$name.tap" "$@") 2>&1 | tee "$OUT/$name.log"
  local pass fail
  pass=$(grep -E '^# pass [0-9]+' "$OUT/$name.tap" | awk '{print $3}')
  fail=$(grep -E '^# fail [0-9]+' "$OUT/$name.tap" | awk '{print $3}')
  add_counts "$name" "${pass:-0}" "${fail:-1}"
}

# The test files of DIR (from the project's root), but those named after it.
files_of() {
  local dir=$1 f skip
  shift
  for f in "$ROOT/$dir"/*.test.mjs; do
    [ -e "$f" ] || continue
    skip=''
    for x in "$@"; do [ "$(basename "$f")" = "$x" ] && skip=1; done
    [ -n "$skip" ] || echo "$dir/$(basename "$f")"
  done
}

# One libFuzzer target from its seed corpus for FUZZ_SECONDS; a crash fails
# it. Prints "ok" or "FAIL" and the target's name (fuzz_one PATH).
fuzz_one() {
  local f=$1 name
  [ -x "$f" ] || return 0
  name=$(basename "$f" | sed 's/^fuzz_//')
  mkdir -p "$OUT/fuzz-corpus/$name"
  if "$f" -max_total_time="$FUZZ_SECONDS" "$OUT/fuzz-corpus/$name" "$ROOT/tests/fuzz/corpus/$name" \
       >"$OUT/fuzz-$name.log" 2>&1; then
    echo "ok   fuzz/$name ($(grep -o 'Done [0-9]* runs' "$OUT/fuzz-$name.log"))"
  else
    echo "FAIL fuzz/$name (see tests/out/fuzz-$name.log)"; tail -30 "$OUT/fuzz-$name.log"
  fi
}
export -f fuzz_one
export OUT ROOT

# The targets two at a time (one per core of the machine this runs on).
echo "== fuzz targets (${FUZZ_SECONDS:=3} s each, two at a time; make fuzz runs them long)"
export FUZZ_SECONDS
ls "$ROOT"/build-fuzz/fuzz_* 2>/dev/null | xargs -r -d '\n' -P 2 -I{} bash -c 'fuzz_one "$1"' _ {} | tee "$OUT/fuzz.log"
fz_pass=$(grep -c '^ok   fuzz/' "$OUT/fuzz.log")
fz_fail=$(grep -c '^FAIL fuzz/' "$OUT/fuzz.log")
[ $((fz_pass + fz_fail)) -gt 0 ] || fz_fail=1
add_counts fuzz "$fz_pass" "$fz_fail"

# The integration tests run two files at a time (each file starts its own
# server, on ports the kernel picks), but those that measure under load
# (sealroom-load's runs): they run one at a time ("load"), as do the
# JavaScript tests (bench.test.mjs times SFrame against raw AES-GCM), the
# abuse tests (they time an honest call under attack) and the browser
# tests (they load both cores).
SERIAL_INTEGRATION="load.test.mjs workers.test.mjs"
# shellcheck disable=SC2046,SC2086
node_suite js 1 $(files_of tests/js)
# shellcheck disable=SC2046,SC2086
node_suite integration 2 $(files_of tests/integration $SERIAL_INTEGRATION)
# shellcheck disable=SC2046,SC2086
node_suite load 1 $(for f in $SERIAL_INTEGRATION; do echo "tests/integration/$f"; done)
# shellcheck disable=SC2046
node_suite abuse 1 $(files_of tests/abuse)
# shellcheck disable=SC2046
node_suite browser 1 $(files_of tests/browser)

printf '%-12s %d s\n' "total:" "$((SECONDS - run_start))" >>"$OUT/summary.txt"

# Why each failed test failed, just above the summary: a CI log is often
# read from its tail.
for tap in js integration load abuse browser; do
  [ -f "$OUT/$tap.tap" ] && awk -f "$ROOT/scripts/tap-failures.awk" "$OUT/$tap.tap"
done

echo
cat "$OUT/summary.txt"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
