#!/usr/bin/env bash
# Soak test (make soak): SOAK_SECONDS (default 600) of load with joins and
# leaves every second against an ASan+UBSan build of sealroomd. Prints the
# server's RSS (VmRSS) and open descriptors at the start (after warm-up) and
# at the end, and fails if
#   - RSS grew by more than SOAK_RSS_MB (default 32 MiB; ASan's quarantine
#     is capped at 16 MiB below so that freed memory held back does not count),
#   - the descriptors under load grew by more than SOAK_FD_SLACK (default 8:
#     the churn itself moves a few), or those left once everyone has gone
#     differ from before the load by more than 2,
#   - the server died, exited non-zero after SIGTERM, or ASan/UBSan/LSan
#     reported anything on its stderr,
#   - the load tool saw a failed join, a dropped call, or more than 1% loss.
# Usage: scripts/soak.sh [sealroomd (default build-san/sealroomd)] [sealroom-load (default build/sealroom-load)]
# Load shape: SOAK_ROOMS x (SOAK_PUBS + SOAK_SUBS), SOAK_CHURN subscribers
# leaving and joining per second (defaults 2 x (2 + 8), 2).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRV=${1:-$ROOT/build-san/sealroomd}
LOAD=${2:-$ROOT/build/sealroom-load}
SECS=${SOAK_SECONDS:-600}
RSS_MB=${SOAK_RSS_MB:-32}
FD_SLACK=${SOAK_FD_SLACK:-8}
ROOMS=${SOAK_ROOMS:-2} PUBS=${SOAK_PUBS:-2} SUBS=${SOAK_SUBS:-8} CHURN=${SOAK_CHURN:-2}
[ "$SECS" -ge 30 ] || { echo "soak: SOAK_SECONDS must be at least 30" >&2; exit 2; }
for b in "$SRV" "$LOAD"; do [ -x "$b" ] || { echo "soak: $b missing" >&2; exit 1; }; done

work=$(mktemp -d)
srv_pid='' load_pid=''
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$SRV" --listen 127.0.0.1 --port 0 --media-port 0 --data-dir "$work/data" --web-dir "$ROOT/web" \
  --rate-limit 0 --join-rate 0 --room-join-rate 0 --max-participants-per-ip 0 --log-level warn \
  >"$work/srv.out" 2>"$work/srv.err" &
srv_pid=$!
for _ in $(seq 100); do grep -q 'Dashboard:' "$work/srv.out" && break; sleep 0.1; done
url=$(grep -o 'http://127[0-9.:]*' "$work/srv.out" | head -1)
team=$(awk '/Team ID:/ {print $3}' "$work/srv.out")
key=$(awk '/Developer key:/ {print $3}' "$work/srv.out")
[ -n "$url" ] && [ -n "$key" ] || { echo "soak: sealroomd did not start"; cat "$work/srv.out" "$work/srv.err"; exit 1; }

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$srv_pid/status"; } # KiB
fds() { ls "/proc/$srv_pid/fd" | wc -l; }
alive() { kill -0 "$srv_pid" 2>/dev/null; }

fd_idle0=$(fds)
echo "soak: sealroomd (ASan) pid $srv_pid; ${SECS} s of ${ROOMS} rooms x (${PUBS} publishers + ${SUBS} subscribers), ${CHURN} leave + ${CHURN} join per second"
"$LOAD" --url "${url/http/ws}/ws" --api-key "$team:$key" --server-pid "$srv_pid" --rooms "$ROOMS" \
  --publishers "$PUBS" --subscribers "$SUBS" --churn "$CHURN" --warmup 10 --duration "$SECS" \
  --interval 5 --quiet >"$work/load.json" 2>"$work/load.err" &
load_pid=$!

# Start figures: 10 s into the window (the first interval line comes at 5 s).
for _ in $(seq 1200); do grep -q '"event":"interval"' "$work/load.json" 2>/dev/null && break
  alive && kill -0 "$load_pid" 2>/dev/null || break; sleep 0.1; done
sleep 5
alive || { echo "soak: FAIL: sealroomd died during warm-up"; tail -50 "$work/srv.err"; exit 1; }
rss0=$(rss) fd0=$(fds)
echo "soak: start: RSS $((rss0 / 1024)) MiB, $fd0 descriptors"

# End figures: a few seconds before the window closes, still under load.
left=$((SECS - 15))
while [ "$left" -gt 0 ] && alive && kill -0 "$load_pid" 2>/dev/null; do sleep 1; left=$((left - 1)); done
alive || { echo "soak: FAIL: sealroomd died"; tail -50 "$work/srv.err"; exit 1; }
rss1=$(rss) fd1=$(fds)
echo "soak: end:   RSS $((rss1 / 1024)) MiB, $fd1 descriptors"
wait "$load_pid"; load_rc=$?; load_pid=''
sleep 2
fd_idle1=$(fds)
echo "soak: descriptors with nobody in a call: $fd_idle0 before, $fd_idle1 after"

fail=0
summary=$(grep '"event":"summary"' "$work/load.json" | tail -1)
if [ "$load_rc" -ne 0 ] || [ -z "$summary" ]; then
  echo "soak: FAIL: sealroom-load exited $load_rc"; cat "$work/load.err"; fail=1
else
  grep -E '^load: (received|joins|own)' "$work/load.err"
  read -r failed lost loss left_n <<<"$(node -e '
    const m = JSON.parse(process.argv[1]);
    console.log(m.joins.failed, m.joins.lost, m.all.lost_pct, m.joins.left);' "$summary")"
  [ "$failed" -eq 0 ] && [ "$lost" -eq 0 ] || { echo "soak: FAIL: $failed failed joins, $lost calls dropped"; fail=1; }
  awk -v l="$loss" 'BEGIN { exit !(l < 1) }' || { echo "soak: FAIL: ${loss}% loss"; fail=1; }
  [ "$left_n" -gt 0 ] || { echo "soak: FAIL: no churn happened"; fail=1; }
fi
if [ $((rss1 - rss0)) -gt $((RSS_MB * 1024)) ]; then
  echo "soak: FAIL: RSS grew by $(((rss1 - rss0) / 1024)) MiB (tolerance $RSS_MB MiB)"; fail=1
fi
if [ $((fd1 - fd0)) -gt "$FD_SLACK" ]; then echo "soak: FAIL: descriptors grew by $((fd1 - fd0)) under load"; fail=1; fi
d=$((fd_idle1 - fd_idle0)); [ "${d#-}" -le 2 ] || { echo "soak: FAIL: $d descriptors more once everyone left"; fail=1; }

kill -TERM "$srv_pid"; wait "$srv_pid"; srv_rc=$?; srv_pid=''
if [ "$srv_rc" -ne 0 ]; then echo "soak: FAIL: sealroomd exited $srv_rc after SIGTERM"; fail=1; fi
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$work/srv.err"; then
  echo "soak: FAIL: sanitizer report:"; grep -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$work/srv.err" | head -60
  fail=1
fi
if [ "$fail" -eq 0 ]; then
  echo "soak: PASS (RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB, descriptors $fd0 -> $fd1, ${SECS} s)"
fi
exit "$fail"
