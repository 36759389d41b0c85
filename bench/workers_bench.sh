#!/usr/bin/env bash
# Media workers benchmark (issue 11, docs/performance.md "Media workers"):
# what a second media worker buys, measured with sealroom-load against
# sealroomd --media-workers 1 and 2 in the same run, alternating, BENCH_REPEATS
# times. Two questions:
#
# A. Scaling. Does a worker forward as cheaply while another works on the
#    other core? CPU per forwarded packet of each worker thread (media-N in
#    /proc/PID/task) next to the packets it sent (/metrics), at three loads:
#      1w/L   one worker carrying L (BENCH_ROOMS rooms x (BENCH_PUBS + BENCH_SUBS))
#      2w/L   two workers carrying L between them
#      2w/2L  two workers carrying twice L: each carries what the one did
#    Capacity of a worker = packets it sends per second of its CPU. The
#    scaling figure is (the two workers' capacities added, at 2L) / (the one
#    worker's, at L): what two cores carry over what one carries, each worker
#    at the same load. It is not a saturation figure: on this 2-core machine
#    the load tool needs about 0.7 core per server core (docs/performance.md),
#    so two saturated workers cannot be driven from the same machine.
#
# B. Isolation. Does a busy room slow a quiet one? A quiet room (2 publishers
#    + 2 subscribers) is measured alone, then beside a busy room (BENCH_BUSY_PUBS
#    publishers + BENCH_BUSY_SUBS subscribers at BENCH_BUSY_KBPS: every video
#    frame is copied to every subscriber in one burst), with one worker (the
#    quiet room's packets wait behind the busy room's bursts in the one loop)
#    and with two (each room on its own worker). Printed: the quiet room's
#    end-to-end delay p50/p99 (sealroom-load's), and its p99 (the worse of
#    audio's and video's) beside the busy room over its p99 alone.
#
# Raw summaries: $BENCH_OUT/*.json (default tests/out/workers_bench).
# Usage: bench/workers_bench.sh [build-dir]
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRV="$ROOT/$BUILD/sealroomd"
LOAD="$ROOT/$BUILD/sealroom-load"
REPEATS=${BENCH_REPEATS:-3}
SECS=${BENCH_SECONDS:-8}
ROOMS=${BENCH_ROOMS:-8}
PUBS=${BENCH_PUBS:-4}
SUBS=${BENCH_SUBS:-8}
KBPS=${BENCH_KBPS:-1000}
BUSY_PUBS=${BENCH_BUSY_PUBS:-6}
BUSY_SUBS=${BENCH_BUSY_SUBS:-60}
BUSY_KBPS=${BENCH_BUSY_KBPS:-1500}
OUT=${BENCH_OUT:-$ROOT/tests/out/workers_bench}
for f in "$SRV" "$LOAD"; do [ -x "$f" ] || { echo "workers_bench: build first ($f)" >&2; exit 1; }; done
mkdir -p "$OUT"
rm -f "$OUT"/*.json
work=$(mktemp -d)
srv_pid='' busy_pid=''
cleanup() {
  [ -n "$busy_pid" ] && kill -INT "$busy_pid" 2>/dev/null
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

start_server() { # workers
  rm -rf "$work/data"
  "$SRV" --listen 127.0.0.1 --port 0 --media-port 0 --media-workers "$1" --data-dir "$work/data" \
    --web-dir "$ROOT/web" --rate-limit 0 --join-rate 0 --room-join-rate 0 --max-participants-per-ip 0 \
    --max-connections-per-ip 4096 --max-transports 1024 --log-level warn >"$work/srv.out" 2>"$work/srv.err" &
  srv_pid=$!
  for _ in $(seq 300); do grep -q "Dashboard:" "$work/srv.out" 2>/dev/null && break; sleep 0.1; done
  local url team key
  url=$(grep -o 'http://127[0-9.:]*' "$work/srv.out" | head -1)
  team=$(awk '/Team ID:/ {print $3}' "$work/srv.out")
  key=$(awk '/Developer key:/ {print $3}' "$work/srv.out")
  [ -n "$key" ] || { echo "workers_bench: sealroomd did not start" >&2; cat "$work/srv.out" "$work/srv.err" >&2; return 1; }
  load_args=(--url "${url/http/ws}/ws" --api-key "$team:$key" --server-pid "$srv_pid" --join-rate 50 --quiet)
}

stop_server() {
  [ -n "$srv_pid" ] || return
  kill -TERM "$srv_pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$srv_pid" 2>/dev/null
  wait "$srv_pid" 2>/dev/null
  srv_pid=''
}

# run NAME ARGS...: one load-tool run; its summary into $OUT/NAME.json.
run() {
  local name=$1
  shift
  "$LOAD" "${load_args[@]}" "$@" --warmup 2 --duration "$SECS" --ready-timeout 60 >"$work/load.json" 2>"$work/load.err"
  grep '"event":"summary"' "$work/load.json" | tail -1 >"$OUT/$name.json"
  [ -s "$OUT/$name.json" ] || { echo "workers_bench: $name: no summary" >&2; cat "$work/load.err" >&2; return 1; }
}

echo "workers_bench: load average at the start: $(cut -d" " -f1-3 /proc/loadavg)"
echo "workers_bench: A: L = $ROOMS rooms x ($PUBS publishers + $SUBS subscribers), video $KBPS kbit/s + Opus;" \
  "B: busy room $BUSY_PUBS + $BUSY_SUBS at $BUSY_KBPS kbit/s; ${SECS} s windows; $REPEATS repeats"
for r in $(seq "$REPEATS"); do
  echo "== repeat $r"
  for w in 1 2; do
    start_server "$w" || exit 1
    run "a-${w}w-L-r$r" --rooms "$ROOMS" --publishers "$PUBS" --subscribers "$SUBS" --video-kbps "$KBPS" || exit 1
    stop_server
    start_server "$w" || exit 1
    if [ "$w" = 2 ]; then
      run "a-2w-2L-r$r" --rooms $((ROOMS * 2)) --publishers "$PUBS" --subscribers "$SUBS" --video-kbps "$KBPS" || exit 1
      stop_server
      start_server "$w" || exit 1
    fi
    run "b-${w}w-alone-r$r" --rooms 1 --publishers 2 --subscribers 2 --video-kbps 500 || exit 1
    # The busy room: joins first, runs through the quiet room's whole run.
    "$LOAD" "${load_args[@]}" --rooms 1 --publishers "$BUSY_PUBS" --subscribers "$BUSY_SUBS" \
      --video-kbps "$BUSY_KBPS" --warmup 1 --duration $((SECS * 4)) >"$work/busy.json" 2>"$work/busy.err" &
    busy_pid=$!
    sleep 8
    run "b-${w}w-busy-r$r" --rooms 1 --publishers 2 --subscribers 2 --video-kbps 500 || exit 1
    kill -INT "$busy_pid" 2>/dev/null
    wait "$busy_pid" 2>/dev/null
    busy_pid=''
    stop_server
  done
done

node - "$OUT" "$REPEATS" <<'EOF'
const fs = require('fs');
const [dir, repeats] = [process.argv[2], Number(process.argv[3])];
const read = (n) => { try { return JSON.parse(fs.readFileSync(`${dir}/${n}.json`, 'utf8')); } catch { return null; } };
const median = (a) => { const s = a.filter((x) => Number.isFinite(x)).sort((x, y) => x - y); const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
// A worker's capacity: packets it sent per second of its own CPU.
const capacity = (m) => (m.cpu.workers || []).reduce((sum, w) =>
  sum + (w.cores > 0 && w.packets_out_per_s ? w.packets_out_per_s / w.cores : 0), 0);
const fmtA = (name, m) => `  ${name.padEnd(6)} ${m.all.pps.toFixed(0).padStart(7)} pps loss ${m.all.lost_pct.toFixed(2)}%` +
  ` | workers: ${(m.cpu.workers || []).map((w) => `#${w.worker} ${w.cores.toFixed(2)} core ` +
    `${(w.packets_out_per_s || 0).toFixed(0)} pps ${w.us_per_packet_out ? w.us_per_packet_out.toFixed(2) : '-'} us/pkt`).join(', ')}` +
  ` | capacity ${(capacity(m) / 1000).toFixed(0)}k pps per worker-core-second${m.ready ? '' : ' NOT READY'}`;
const caps = { '1w-L': [], '2w-L': [], '2w-2L': [] }, ratios = [];
const quiet = { '1w-alone': [], '1w-busy': [], '2w-alone': [], '2w-busy': [] }, audio = structuredClone(quiet);
const p99ratio = { '1w': [], '2w': [] };
let bad = 0;
for (let r = 1; r <= repeats; r++) {
  console.log(`repeat ${r}, A (scaling):`);
  for (const k of Object.keys(caps)) {
    const m = read(`a-${k}-r${r}`);
    if (!m) { console.log(`  ${k}: missing`); bad++; continue; }
    if (!m.ready || m.all.lost_pct >= 1) bad++;
    console.log(fmtA(k, m));
    caps[k].push(capacity(m));
  }
  console.log(`repeat ${r}, B (isolation): the quiet room's delay p50/p99 us`);
  for (const w of ['1w', '2w']) {
    const a = read(`b-${w}-alone-r${r}`), b = read(`b-${w}-busy-r${r}`);
    if (!a || !b) { console.log(`  ${w}: missing`); bad++; continue; }
    const split = (b.cpu.workers || []).map((x) => (x.packets_out_per_s || 0).toFixed(0)).join(' / ');
    console.log(`  ${w} alone: video ${a.video.delay_us.p50}/${a.video.delay_us.p99} audio ${a.audio.delay_us.p50}/${a.audio.delay_us.p99}` +
      ` | beside the busy room: video ${b.video.delay_us.p50}/${b.video.delay_us.p99} audio ${b.audio.delay_us.p50}/${b.audio.delay_us.p99}` +
      ` | pps per worker ${split}${b.ready && a.ready ? '' : ' NOT READY'}`);
    // The room's p99: the worse of its audio's and its video's (which of the
    // two meets the busy room's bursts depends on the two rooms' frame phases).
    const p99 = (m) => Math.max(m.video.delay_us.p99, m.audio.delay_us.p99);
    quiet[`${w}-alone`].push(p99(a)); quiet[`${w}-busy`].push(p99(b));
    audio[`${w}-alone`].push(a.audio.delay_us.p99); audio[`${w}-busy`].push(b.audio.delay_us.p99);
    p99ratio[w].push(p99(b) / p99(a));
  }
}
const c1 = median(caps['1w-L']), c2 = median(caps['2w-2L']), c2L = median(caps['2w-L']);
console.log('');
console.log(`A. capacity (packets a worker sends per second of its CPU, medians): one worker at L ${(c1 / 1000).toFixed(0)}k;` +
  ` two at L ${(c2L / 1000).toFixed(0)}k together; two at 2L ${(c2 / 1000).toFixed(0)}k together`);
console.log(`   scaling 1 -> 2 workers, each at the same load: ${(c2 / c1).toFixed(2)}x (two at 2L over one at L);` +
  ` the same total load spread over two: ${(c2L / c1).toFixed(2)}x`);
console.log(`B. the quiet room's p99 (the worse of audio and video; medians): one worker ${median(quiet['1w-alone']).toFixed(0)} us alone,` +
  ` ${median(quiet['1w-busy']).toFixed(0)} us beside the busy room (${median(p99ratio['1w']).toFixed(2)}x);` +
  ` two workers ${median(quiet['2w-alone']).toFixed(0)} us alone, ${median(quiet['2w-busy']).toFixed(0)} us beside it` +
  ` (${median(p99ratio['2w']).toFixed(2)}x)`);
console.log(`   audio p99: one worker ${median(audio['1w-alone']).toFixed(0)} -> ${median(audio['1w-busy']).toFixed(0)} us;` +
  ` two workers ${median(audio['2w-alone']).toFixed(0)} -> ${median(audio['2w-busy']).toFixed(0)} us`);
if (bad) { console.log(`${bad} run(s) lost >= 1%, were not ready or are missing: figures above are not clean`); process.exit(1); }
EOF
