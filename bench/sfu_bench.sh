#!/usr/bin/env bash
# SFU benchmark (issue 10, docs/performance.md): the same load from
# sealroom-load against sealroomd and against Janus's VideoRoom, alternating,
# BENCH_REPEATS times. The server runs pinned to core 0 (taskset -c 0), the
# load tool to core 1, so every figure is per server core.
#
# A run is a ladder of steps: BENCH_ROOMS rooms x (BENCH_PUBS publishers +
# S subscribers) for S in BENCH_STEPS; each step is a fresh server, joins,
# a warm-up and a BENCH_SECONDS measurement window. The ladder stops at the
# first step that loses more than 1% or where the server core saturates
# (>= 0.97 of a core), or where the load tool's core does (then the figure is
# a floor: the load tool could not load the server further).
#
# Printed per server (median over the repeats):
#   CPU us per forwarded packet at the reference step (BENCH_REF_SUBS
#     subscribers per room, the same load for both servers): the server's
#     utime+stime over the window / packets received by all participants in
#     the window; and the sealroom/Janus ratio;
#   forwarded packets per second on the one core at < 1% loss: the highest
#     step that held, and the subscribers it carried;
#   the SFU's added delay, p50 and p99 (sealroom-load's one-way delay of
#     audio packets and of the last packet of each video frame), at the step
#     nearest half of that maximum.
# Raw summaries: $BENCH_OUT/*.json (default tests/out/sfu_bench).
# BENCH_SERVER_PRELOAD: an LD_PRELOAD for sealroomd (bench/nss_preload.c).
# Usage: bench/sfu_bench.sh [build-dir]
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRV="$ROOT/$BUILD/sealroomd"
LOAD="$ROOT/$BUILD/sealroom-load"
REPEATS=${BENCH_REPEATS:-3}
SECS=${BENCH_SECONDS:-10}
ROOMS=${BENCH_ROOMS:-8}
PUBS=${BENCH_PUBS:-4}
STEPS=${BENCH_STEPS:-4 8 16 24 32 48 60}
REF=${BENCH_REF_SUBS:-8}
SERVERS=${BENCH_SERVERS:-sealroom janus}
KBPS=${BENCH_VIDEO_KBPS:-1000}
OUT=${BENCH_OUT:-$ROOT/tests/out/sfu_bench}
JANUS_PORT=${BENCH_JANUS_PORT:-18088}
mkdir -p "$OUT"
for b in "$SRV" "$LOAD"; do [ -x "$b" ] || { echo "sfu_bench: $b missing (make $BUILD/${b##*/})" >&2; exit 1; }; done
[ "$(nproc)" -ge 2 ] || { echo "sfu_bench: needs 2 cores (server on 0, load on 1)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# Janus: installed here if missing (Debian's package; its service is not started).
if [[ " $SERVERS " == *" janus "* ]]; then
  if ! "$LOAD" --list-backends | grep -qx janus; then
    echo "sfu_bench: this sealroom-load has no Janus backend yet: Janus is skipped" >&2
    SERVERS=${SERVERS//janus/}
  elif ! command -v janus >/dev/null; then
    echo "sfu_bench: installing Janus (apt-get install janus)" >&2
    apt-get install -y --no-install-recommends janus >/dev/null || { echo "sfu_bench: could not install janus" >&2; exit 1; }
  fi
fi

work=$(mktemp -d)
srv_pid='' load_pid=''
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# start_server NAME: starts it on core 0; sets srv_pid and load_args.
start_server() {
  rm -rf "$work/data" "$work/janus"
  if [ "$1" = sealroom ]; then
    LD_PRELOAD=${BENCH_SERVER_PRELOAD:-} taskset -c 0 "$SRV" --listen 127.0.0.1 --port 0 --media-port 0 --data-dir "$work/data" \
      --web-dir "$ROOT/web" --rate-limit 0 --join-rate 0 --room-join-rate 0 --max-participants-per-ip 0 \
      --max-connections-per-ip 4096 --max-transports 1024 --log-level warn >"$work/srv.out" 2>"$work/srv.err" &
    srv_pid=$!
    for _ in $(seq 300); do grep -q "Dashboard:" "$work/srv.out" 2>/dev/null && break; sleep 0.1; done
    local url team key
    url=$(grep -o 'http://127[0-9.:]*' "$work/srv.out" | head -1)
    team=$(awk '/Team ID:/ {print $3}' "$work/srv.out")
    key=$(awk '/Developer key:/ {print $3}' "$work/srv.out")
    [ -n "$key" ] || { echo "sfu_bench: sealroomd did not start" >&2; cat "$work/srv.out" "$work/srv.err" >&2; return 1; }
    load_args=(--url "${url/http/ws}/ws" --api-key "$team:$key")
  else
    taskset -c 0 "$ROOT/bench/janus/start.sh" "$JANUS_PORT" "$work/janus" >"$work/srv.out" 2>&1 &
    srv_pid=$!
    "$ROOT/bench/janus/wait_ready.sh" "$JANUS_PORT" 10 >/dev/null || { echo "sfu_bench: janus did not start" >&2; cat "$work/srv.out" >&2; return 1; }
    load_args=(--server janus --janus-url "http://127.0.0.1:$JANUS_PORT/janus")
  fi
}

stop_server() {
  [ -n "$srv_pid" ] || return
  kill -TERM "$srv_pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$srv_pid" 2>/dev/null
  wait "$srv_pid" 2>/dev/null
  srv_pid=''
}

# step SERVER SUBS REPEAT: one step; the summary goes to $OUT/<server>-r<repeat>-s<subs>.json.
step() {
  local f="$OUT/$1-r$3-s$2.json"
  start_server "$1" || return 1
  taskset -c 1 "$LOAD" "${load_args[@]}" --server-pid "$srv_pid" --rooms "$ROOMS" --publishers "$PUBS" \
    --subscribers "$2" --video-kbps "$KBPS" --join-rate 50 --warmup 3 --duration "$SECS" --ready-timeout 60 \
    --quiet >"$work/load.json" 2>"$work/load.err" &
  load_pid=$!
  wait "$load_pid"
  load_pid=''
  stop_server
  grep '"event":"summary"' "$work/load.json" | tail -1 >"$f"
  [ -s "$f" ] || { echo "sfu_bench: $1 step $2: no summary" >&2; cat "$work/load.err" >&2; return 1; }
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const held = m.ready && m.all.lost_pct < 1 && m.cpu.server_cores < 0.97;
    console.log(`  ${m.server.padEnd(8)} ${String(m.rooms * m.subscribers_per_room).padStart(4)} subs` +
      ` ${m.all.pps.toFixed(0).padStart(7)} pps  loss ${m.all.lost_pct.toFixed(3)}%` +
      `  server ${m.cpu.server_us_per_packet.toFixed(2)} us/pkt (${m.cpu.server_cores.toFixed(2)} core)` +
      `  load ${m.cpu.load_us_per_packet.toFixed(2)} us/pkt (${m.cpu.load_cores.toFixed(2)} core)` +
      `  delay p50/p99 ${m.video.delay_us.p50}/${m.video.delay_us.p99} us video,` +
      ` ${m.audio.delay_us.p50}/${m.audio.delay_us.p99} us audio${m.ready ? "" : " NOT READY"}`);
    process.exit(held ? 0 : (m.cpu.load_cores >= 0.97 ? 3 : 2));' "$f"
}

echo "sfu_bench: $ROOMS rooms x ($PUBS publishers + S subscribers), S in {$STEPS}; video $KBPS kbit/s + Opus;" \
  "${SECS} s windows; $REPEATS repeats; servers: $SERVERS"
for r in $(seq "$REPEATS"); do
  for s in $SERVERS; do
    echo "== repeat $r: $s"
    for subs in $STEPS; do
      step "$s" "$subs" "$r"
      rc=$?
      if [ "$rc" -eq 3 ]; then echo "  (the load tool's core is saturated: the server was not)"; break; fi
      [ "$rc" -eq 0 ] || break
    done
  done
done

# The table: medians over the repeats.
node - "$OUT" "$REF" "$SERVERS" <<'JS'
const fs = require('fs');
const [dir, ref, servers] = [process.argv[2], Number(process.argv[3]), process.argv[4].split(/\s+/).filter(Boolean)];
const med = (a) => { if (!a.length) return NaN; const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
const res = {};
for (const srv of servers) {
  const runs = {};
  for (const f of fs.readdirSync(dir)) {
    const m = f.match(new RegExp(`^${srv}-r(\\d+)-s(\\d+)\\.json$`));
    if (!m) continue;
    const j = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
    (runs[m[1]] ||= []).push({ subs: Number(m[2]), j });
  }
  const cpu = [], maxPps = [], maxSubs = [], d50 = [], d99 = [], limited = [];
  for (const steps of Object.values(runs)) {
    steps.sort((a, b) => a.subs - b.subs);
    const r = steps.find((x) => x.subs === ref);
    if (r) cpu.push(r.j.cpu.server_us_per_packet);
    const held = steps.filter((x) => x.j.ready && x.j.all.lost_pct < 1 && x.j.cpu.server_cores < 0.97);
    if (!held.length) continue;
    const top = held[held.length - 1];
    maxPps.push(top.j.all.pps);
    maxSubs.push(top.j.rooms * top.j.subscribers_per_room);
    limited.push(top.j.cpu.load_cores >= 0.9 ? 1 : 0);
    const half = held.reduce((a, b) => (Math.abs(b.j.all.pps - top.j.all.pps / 2) < Math.abs(a.j.all.pps - top.j.all.pps / 2) ? b : a));
    d50.push(Math.max(half.j.video.delay_us.p50, half.j.audio.delay_us.p50));
    d99.push(Math.max(half.j.video.delay_us.p99, half.j.audio.delay_us.p99));
  }
  res[srv] = { cpu: med(cpu), maxPps: med(maxPps), maxSubs: med(maxSubs), d50: med(d50), d99: med(d99), loadLimited: limited.some(Boolean), repeats: Object.keys(runs).length };
}
console.log('\nserver     us/fwd-pkt   fwd pps/core (<1% loss)  subscribers   delay p50 / p99 (us, at ~half max)');
for (const [s, r] of Object.entries(res))
  console.log(`${s.padEnd(10)} ${r.cpu.toFixed(2).padStart(10)}   ${r.maxPps.toFixed(0).padStart(12)}${r.loadLimited ? ' (load-bound)' : '             '} ${String(r.maxSubs).padStart(11)}   ${r.d50} / ${r.d99}`);
if (res.sealroom && res.janus && res.janus.cpu > 0)
  console.log(`CPU per forwarded packet, sealroom / Janus: ${(res.sealroom.cpu / res.janus.cpu).toFixed(3)} (target <= 0.33)`);
if (res.sealroom) console.log(`targets: >= 150000 pps on one core: ${res.sealroom.maxPps >= 150000 ? 'met' : 'NOT met'}; p99 added delay < 1000 us at half max: ${res.sealroom.d99 < 1000 ? 'met' : 'NOT met'}`);
console.log(`(medians of ${Object.values(res).map((r) => r.repeats).join('/')} repeats; CPU/packet at ${ref} subscribers per room; raw summaries in ${dir})`);
JS
