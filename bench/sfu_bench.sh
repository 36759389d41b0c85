#!/usr/bin/env bash
# SFU benchmark (issue 10, docs/performance.md): the same load from
# sealroom-load against sealroomd and against Janus's VideoRoom, alternating,
# BENCH_REPEATS times. The server runs pinned to core 0 (taskset -c 0; one
# media worker, --media-workers 1), the load tool to core 1, so every figure
# is per server core. (What more workers buy: bench/workers_bench.sh.)
#
# A run is a ladder of steps: BENCH_ROOMS rooms x (BENCH_PUBS publishers +
# S subscribers) for S in BENCH_STEPS; each step is a fresh server, joins,
# a warm-up and a BENCH_SECONDS measurement window. The ladder stops at the
# first step that loses more than 1% or where the server core saturates
# (>= 0.97 of a core), or where the load tool's core does (then the figure is
# a floor: the load tool could not load the server further).
#
# Servers (BENCH_SERVERS, run in this order within each repeat):
#   sealroom      sealroomd as built; the load tool's connections on one
#                 shared socket read every 1 ms (its default on loopback)
#   sealroom-own  the same server; the load tool with a socket per
#                 connection read when readable, as it must for Janus (on
#                 loopback every wake-up of the receiver costs the sender
#                 too, so only this row is compared with Janus)
#   sealroom-sim  sealroomd as built, the load tool as for "sealroom", its
#                 publishers sending simulcast (three encodings: 1/4 size at
#                 1/8 of the bitrate, 1/2 at 1/3, the whole) and everyone
#                 asking for the room's first publisher's high encoding and
#                 the others' low ones (--quality speaker: a gallery with a
#                 speaker, as the meeting page asks for small tiles)
#   janus         Janus's VideoRoom as Debian ships it, with its default
#                 threading (a GLib loop thread per handle)
#   janus-loops   the same with JANUS_EVENT_LOOPS=BENCH_JANUS_LOOPS (default 1)
#                 shared event loops, Janus's documented scaling option
# "Janus" in the comparison is the better of the two (lower CPU per packet),
# against sealroom-own when it ran (like for like), else sealroom.
#
# Printed per server (median over the repeats):
#   CPU us per forwarded packet at every step, and at the reference step
#     (BENCH_REF_SUBS subscribers per room, the same load for every server;
#     if a server did not hold it, the highest step that all held): the
#     server's utime+stime over the window / packets received by all
#     participants in the window; and the sealroom/Janus ratio;
#   forwarded packets per second on the one core at < 1% loss: the highest
#     step that held, and the subscribers it carried;
#   the SFU's added delay, p50 and p99 (sealroom-load's one-way delay of
#     audio packets and of the last packet of each video frame), at the step
#     nearest half of that maximum;
#   with sealroom-sim: subscribers per core with simulcast on against the
#     same server without it (sealroom), and the ratio.
# Each step also prints "other": the machine's busy time over the window
# (/proc/stat) minus the server's and the load tool's, in cores: what else
# ran (the machine is shared) plus softirq time charged to neither. Before
# each step the bench waits (up to BENCH_QUIET_WAIT s) until the machine
# is idle (< BENCH_QUIET_CORES busy over a second); a step where "other"
# exceeded BENCH_OTHER_MAX core is run again (BENCH_RETRIES times).
# Raw summaries: $BENCH_OUT/*.json (default tests/out/sfu_bench; emptied
# at start).
# BENCH_TABLE_ONLY=1: no runs, the table of the summaries already in $BENCH_OUT.
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
STEPS=${BENCH_STEPS:-4 8 12 16 24 32 40 48}
REF=${BENCH_REF_SUBS:-8}
SERVERS=${BENCH_SERVERS:-sealroom sealroom-sim sealroom-own janus janus-loops}
JANUS_LOOPS=${BENCH_JANUS_LOOPS:-1}
QUIET=${BENCH_QUIET_CORES:-0.3}      # before a step: wait until the machine uses less than this
QUIET_WAIT=${BENCH_QUIET_WAIT:-180}  # ... for at most this many seconds
OTHER_MAX=${BENCH_OTHER_MAX:-0.25}   # a window where anything else used more (cores) is run again
RETRIES=${BENCH_RETRIES:-3}
KBPS=${BENCH_VIDEO_KBPS:-1000}
OUT=${BENCH_OUT:-$ROOT/tests/out/sfu_bench}
JANUS_PORT=${BENCH_JANUS_PORT:-18088}
mkdir -p "$OUT"
TABLE_ONLY=${BENCH_TABLE_ONLY:-}     # set: only print the table of the summaries already in $OUT
[ -n "$TABLE_ONLY" ] || rm -f "$OUT"/*.json
for b in "$SRV" "$LOAD"; do [ -x "$b" ] || { echo "sfu_bench: $b missing (make $BUILD/${b##*/})" >&2; exit 1; }; done
[ "$(nproc)" -ge 2 ] || { echo "sfu_bench: needs 2 cores (server on 0, load on 1)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# Janus: installed here if missing (Debian's package; its service is not started).
if [[ " $SERVERS " == *" janus"* ]]; then
  if ! "$LOAD" --list-backends | grep -qx janus; then
    echo "sfu_bench: this sealroom-load has no Janus backend: Janus is skipped" >&2
    SERVERS=$(printf '%s\n' $SERVERS | grep -v '^janus' | tr '\n' ' ')
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
  if [[ "$1" == sealroom* ]]; then
    taskset -c 0 "$SRV" --listen 127.0.0.1 --port 0 --media-port 0 --data-dir "$work/data" \
      --web-dir "$ROOT/web" --rate-limit 0 --join-rate 0 --room-join-rate 0 --max-participants-per-ip 0 \
      --max-connections-per-ip 4096 --max-transports 1024 --media-workers 1 --log-level warn >"$work/srv.out" 2>"$work/srv.err" &
    srv_pid=$!
    for _ in $(seq 300); do grep -q "Dashboard:" "$work/srv.out" 2>/dev/null && break; sleep 0.1; done
    local url team key
    url=$(grep -o 'http://127[0-9.:]*' "$work/srv.out" | head -1)
    team=$(awk '/Team ID:/ {print $3}' "$work/srv.out")
    key=$(awk '/Developer key:/ {print $3}' "$work/srv.out")
    [ -n "$key" ] || { echo "sfu_bench: sealroomd did not start" >&2; cat "$work/srv.out" "$work/srv.err" >&2; return 1; }
    load_args=(--url "${url/http/ws}/ws" --api-key "$team:$key")
    if [ "$1" = sealroom-own ]; then load_args+=(--sockets own); fi
    if [ "$1" = sealroom-sim ]; then load_args+=(--simulcast --quality speaker); fi
  else
    local loops=''
    [ "$1" = janus-loops ] && loops=$JANUS_LOOPS
    JANUS_EVENT_LOOPS=$loops taskset -c 0 "$ROOT/bench/janus/start.sh" "$JANUS_PORT" "$work/janus" >"$work/srv.out" 2>&1 &
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

# quiet_wait: until the machine has been nearly idle for a second (at most
# BENCH_QUIET_WAIT seconds): other helpers' builds or benchmarks would
# share our two cores.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
quiet_wait() {
  local t0 b0 b1 end=$((SECONDS + QUIET_WAIT)) tck
  tck=$(getconf CLK_TCK)
  while :; do
    b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
    awk -v d=$((b1 - b0)) -v t="$tck" -v q="$QUIET" 'BEGIN { exit !(d / t < q) }' && return 0
    if [ "$SECONDS" -ge "$end" ]; then
      echo "  (the machine is busy: $(awk -v d=$((b1 - b0)) -v t="$tck" 'BEGIN { printf "%.2f", d / t }') core; going on)"
      return 0
    fi
  done
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
    const f = m.server_forward_delay_us;
    console.log(`  ${process.argv[2].padEnd(11)} ${String(m.rooms * m.subscribers_per_room).padStart(4)} subs` +
      ` ${m.all.pps.toFixed(0).padStart(7)} pps loss ${m.all.lost_pct.toFixed(2)}%` +
      ` | us/pkt server ${m.cpu.server_us_per_packet.toFixed(2)} (${m.cpu.server_cores.toFixed(2)} core)` +
      ` load ${m.cpu.load_us_per_packet.toFixed(2)} (${m.cpu.load_cores.toFixed(2)})` +
      ` | delay p50/p99 us: video ${m.video.delay_us.p50}/${m.video.delay_us.p99}` +
      ` audio ${m.audio.delay_us.p50}/${m.audio.delay_us.p99}` +
      (f ? ` in-server ${f.p50.toFixed(0)}/${f.p99.toFixed(0)}` : "") +
      (m.cpu.machine_cores !== undefined ? ` | other ${(m.cpu.machine_cores - m.cpu.server_cores - m.cpu.load_cores).toFixed(2)} core` : "") +
      `${m.ready ? "" : " NOT READY"}`);
    const other = m.cpu.machine_cores !== undefined ? m.cpu.machine_cores - m.cpu.server_cores - m.cpu.load_cores : 0;
    if (other > Number(process.argv[3])) process.exit(4);
    process.exit(held ? 0 : (m.cpu.load_cores >= 0.97 ? 3 : 2));' "$f" "$1" "$OTHER_MAX"
}

if [ -z "$TABLE_ONLY" ]; then
echo "sfu_bench: load average at the start: $(cut -d" " -f1-3 /proc/loadavg)"
echo "sfu_bench: $ROOMS rooms x ($PUBS publishers + S subscribers), S in {$STEPS}; video $KBPS kbit/s + Opus;" \
  "${SECS} s windows; $REPEATS repeats; servers: $SERVERS"
for r in $(seq "$REPEATS"); do
  for s in $SERVERS; do
    echo "== repeat $r: $s"
    for subs in $STEPS; do
      for try in $(seq 0 "$RETRIES"); do
        quiet_wait
        step "$s" "$subs" "$r"
        rc=$?
        [ "$rc" -eq 4 ] || break
        echo "  (something else used more than $OTHER_MAX core during that window: again)"
      done
      if [ "$rc" -eq 4 ]; then echo "  (the machine stayed busy: this ladder ends here)"; break; fi
      if [ "$rc" -eq 3 ]; then echo "  (the load tool's core is saturated: the server was not)"; break; fi
      [ "$rc" -eq 0 ] || break
    done
  done
done

echo "sfu_bench: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# The table: medians over the repeats.
node - "$OUT" "$REF" "$SERVERS" "$OTHER_MAX" "$STEPS" <<'JS'
const fs = require('fs');
const [dir, ref, servers] = [process.argv[2], Number(process.argv[3]), process.argv[4].split(/\s+/).filter(Boolean)];
const otherMax = Number(process.argv[5]);
// The median; of an even count, the mean of the middle two (of 2 repeats: their mean, not the better one).
const med = (a) => {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y), m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const other = (c) => (c.machine_cores !== undefined ? c.machine_cores - c.server_cores - c.load_cores : 0);
// A step held if everyone received everything with < 1% loss, the server's core was not
// saturated, and nothing else took more than BENCH_OTHER_MAX of the machine (a busy
// machine ends a ladder without telling anything about the server).
const isHeld = (j) => j.ready && j.all.lost_pct < 1 && j.cpu.server_cores < 0.97 && other(j.cpu) <= otherMax;
const res = {};
const maxStep = Math.max(...process.argv[6].split(/\s+/).filter(Boolean).map(Number));
for (const srv of servers) {
  const runs = {};
  for (const f of fs.readdirSync(dir)) {
    const m = f.match(new RegExp(`^${srv}-r(\\d+)-s(\\d+)\\.json$`));
    if (!m) continue;
    const j = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
    (runs[m[1]] ||= []).push({ subs: Number(m[2]), j });
  }
  const perStep = {}; // subs -> us/pkt of the held runs
  const coresAt = {}; // subs -> the server's cores, held runs
  const maxPps = [], maxSubs = [], d50 = [], d99 = [], f50 = [], f99 = [], limited = [], halfPps = [], topped = [];
  const loadRatio = {}; // subs -> load tool us/pkt / server us/pkt, held runs
  for (const steps of Object.values(runs)) {
    steps.sort((a, b) => a.subs - b.subs);
    for (const x of steps) if (isHeld(x.j)) {
      (perStep[x.subs] ||= []).push(x.j.cpu.server_us_per_packet);
      (coresAt[x.subs] ||= []).push(x.j.cpu.server_cores);
      (loadRatio[x.subs] ||= []).push(x.j.cpu.load_us_per_packet / x.j.cpu.server_us_per_packet);
    }
    const held = steps.filter((x) => isHeld(x.j));
    if (!held.length) continue;
    const top = held[held.length - 1];
    maxPps.push(top.j.all.pps);
    maxSubs.push(top.j.rooms * top.j.subscribers_per_room);
    topped.push(top.subs === maxStep ? 1 : 0); // the ladder ended by holding its last step: no maximum found
    // The load tool's core ran out at the top step, or at the step after it (the ladder ended there).
    const next = steps.find((x) => x.subs > top.subs);
    limited.push(top.j.cpu.load_cores >= 0.9 || (next && next.j.cpu.load_cores >= 0.97) ? 1 : 0);
    const half = held.reduce((a, b) => (Math.abs(b.j.all.pps - top.j.all.pps / 2) < Math.abs(a.j.all.pps - top.j.all.pps / 2) ? b : a));
    halfPps.push(half.j.all.pps);
    d50.push(Math.max(half.j.video.delay_us.p50, half.j.audio.delay_us.p50));
    d99.push(Math.max(half.j.video.delay_us.p99, half.j.audio.delay_us.p99));
    if (half.j.server_forward_delay_us) {
      f50.push(half.j.server_forward_delay_us.p50);
      f99.push(half.j.server_forward_delay_us.p99);
    }
  }
  const n = Object.keys(runs).length;
  const step = {};
  for (const [k, v] of Object.entries(perStep)) if (v.length * 2 > n) step[k] = med(v); // held in most repeats
  const lr = {};
  for (const [k, v] of Object.entries(loadRatio)) if (v.length * 2 > n) lr[k] = med(v);
  const cores = {};
  for (const [k, v] of Object.entries(coresAt)) if (v.length * 2 > n) cores[k] = med(v);
  res[srv] = { step, cores, rooms: Object.values(runs)[0]?.[0]?.j.rooms || 1, maxPps: med(maxPps), maxSubs: med(maxSubs), d50: med(d50), d99: med(d99), halfPps: med(halfPps),
               f50: med(f50), f99: med(f99), loadRatio: lr, topped: topped.some(Boolean),
               loadLimited: limited.some(Boolean), repeats: n };
}
const names = Object.keys(res);
// The reference step: BENCH_REF_SUBS if every server held it, else the highest step all held.
// (sealroom-sim is another load, left out of the like-for-like comparison.)
const same = names.filter((s) => s !== 'sealroom-sim');
const common = Object.keys(res[same[0]]?.step || {}).map(Number).filter((k) => same.every((s) => res[s].step[k] !== undefined)).sort((a, b) => a - b);
const refStep = common.includes(ref) ? ref : common[common.length - 1];
const allSteps = [...new Set(names.flatMap((s) => Object.keys(res[s].step).map(Number)))].sort((a, b) => a - b);
console.log('\nCPU us per forwarded packet by step (subscribers per room; median of the repeats that held):');
console.log('server       ' + allSteps.map((k) => String(k).padStart(7)).join(''));
for (const s of names) console.log(s.padEnd(13) + allSteps.map((k) => (res[s].step[k] === undefined ? '-' : res[s].step[k].toFixed(2)).padStart(7)).join(''));
console.log('\nserver       us/fwd-pkt   fwd pps/core (<1% loss)  subscribers   delay p50 / p99 (us) at ~half max (pps)');
for (const [s, r] of Object.entries(res)) {
  const c = refStep !== undefined ? r.step[refStep] : NaN;
  const inServer = Number.isFinite(r.f99) ? `; in the server ${r.f50.toFixed(0)} / ${r.f99.toFixed(0)}` : '';
  console.log(`${s.padEnd(12)} ${(c ?? NaN).toFixed(2).padStart(10)}   ${r.maxPps.toFixed(0).padStart(12)}${r.loadLimited ? ' (load-bound)' : r.topped ? ' (last step) ' : '             '} ${String(r.maxSubs).padStart(11)}   ${r.d50} / ${r.d99} (${r.halfPps.toFixed(0)})${inServer}`);
}
if (res.sealroom && refStep !== undefined && res.sealroom.loadRatio[refStep] !== undefined)
  console.log(`load tool / sealroomd CPU per packet at ${refStep} subscribers per room: ${res.sealroom.loadRatio[refStep].toFixed(2)}` +
    ` (at every step: ${Object.entries(res.sealroom.loadRatio).map(([k, v]) => `${k}: ${v.toFixed(2)}`).join(', ')})`);
const janus = names.filter((s) => s.startsWith('janus') && refStep !== undefined && res[s].step[refStep] > 0)
  .sort((a, b) => res[a].step[refStep] - res[b].step[refStep])[0];
const mine = res['sealroom-own'] ? 'sealroom-own' : 'sealroom'; // like for like with Janus: a socket per connection
if (res[mine] && janus && refStep !== undefined) {
  console.log(`CPU per forwarded packet, ${mine} / Janus (${janus}, the better Janus) at ${refStep} subscribers per room: ` +
    `${(res[mine].step[refStep] / res[janus].step[refStep]).toFixed(3)} (target <= 0.33)`);
  for (const k of common) console.log(`  at ${String(k).padStart(2)} subscribers per room: ${(res[mine].step[k] / res[janus].step[k]).toFixed(3)}`);
}
if (res.sealroom && res['sealroom-sim']) {
  const a = res.sealroom, b = res['sealroom-sim'];
  const note = (r) => (r.loadLimited ? ' (load-bound: a floor)' : r.topped ? ' (the last step held: a floor)' : '');
  console.log(`subscribers per core (<1% loss), simulcast with the speaker mix / one encoding: ` +
    `${b.maxSubs}${note(b)} / ${a.maxSubs}${note(a)} = ${(b.maxSubs / a.maxSubs).toFixed(2)}x`);
  // The same subscribers both held: the server's CPU for them, and what a core would carry at that rate.
  const both = Object.keys(a.cores).map(Number).filter((k) => b.cores[k] !== undefined).sort((x, y) => x - y);
  for (const k of both.slice(-3))
    console.log(`  at ${k} subscribers per room: server ${b.cores[k].toFixed(2)} core with simulcast, ${a.cores[k].toFixed(2)} without ` +
      `(${(a.cores[k] / b.cores[k]).toFixed(2)}x less CPU per subscriber; a core at that rate: ` +
      `${Math.round((k * b.rooms) / b.cores[k])} / ${Math.round((k * a.rooms) / a.cores[k])} subscribers)`);
}
if (res.sealroom) {
  const r = res.sealroom;
  // A ladder that held its last step found no maximum: a capacity below the target is then not measured.
  const cap = r.maxPps >= 150000 ? 'met' : r.topped ? `not measured (the last step held at ${r.maxPps.toFixed(0)}: add steps)` : 'NOT met';
  const half = r.topped ? ' (half of the last step held, not of a maximum)' : '';
  console.log(`targets: >= 150000 pps on one core: ${cap}; p99 added delay < 1000 us at half max${half}: ` +
    `in the server ${Number.isFinite(r.f99) ? (r.f99 < 1000 ? 'met' : 'NOT met') : 'not measured'}, ` +
    `end to end (an upper bound) ${r.d99 < 1000 ? 'met' : 'NOT met'}`);
}
const others = [];
for (const f of fs.readdirSync(dir)) {
  if (!f.endsWith('.json')) continue;
  const c = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8')).cpu;
  if (c.machine_cores !== undefined) others.push(other(c));
}
if (others.length)
  console.log(`busy time outside the server and the load tool (other processes, softirq not charged to them): ` +
    `median ${med(others).toFixed(2)}, max ${Math.max(...others).toFixed(2)} core over ${others.length} windows`);
console.log(`(medians of ${names.map((s) => `${s} ${res[s].repeats}`).join(', ')} repeats; reference step ${refStep} subscribers per room; raw summaries in ${dir})`);
JS
