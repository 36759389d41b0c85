#!/usr/bin/env bash
# HTTP throughput of sealroomd with wrk on loopback. Baseline measured in the
# same run: GET /healthz (no auth, no storage). Prints requests/s for
#   GET  /api/v1/rooms   (20 rooms in the list: auth + SQLite read + JSON)
#   POST /api/v1/rooms   (auth + validation + SQLite insert in WAL mode)
# and each one's ratio to the baseline.  Usage: bench/http_bench.sh [build-dir]
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DUR=${BENCH_SECONDS:-10}
CONN=${BENCH_CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk missing: scripts/deps.sh --test installs it" >&2; exit 1; }

data=$(mktemp -d)
out=$(mktemp)
"$ROOT/$BUILD/sealroomd" --listen 127.0.0.1 --port 0 --data-dir "$data" --web-dir "$ROOT/web" \
  --rate-limit 0 --log-level warn >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$out"' EXIT
for _ in $(seq 50); do grep -q 'Dashboard:' "$out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
key=$(awk '/Developer key:/ {print $3}' "$out")
auth="Authorization: Bearer $key"
for i in $(seq 20); do
  curl -sf -o /dev/null -X POST "$url/api/v1/rooms" -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"description\":\"bench room $i\",\"e2ee_enabled\":true}"
done

lua=$(mktemp --suffix=.lua)
cat >"$lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"description":"bench room","e2ee_enabled":true,"tags":["bench"]}'
LUA

# rps NAME ARGS...: runs wrk and prints the requests/s it measured.
rps() { wrk -t2 -c"$CONN" -d"${DUR}s" "$@" | awk '/Requests\/sec/ {print $2}'; }

base=$(rps "$url/healthz")
list=$(rps -H "$auth" "$url/api/v1/rooms")
create=$(rps -H "$auth" -s "$lua" "$url/api/v1/rooms")
rm -f "$lua"
rooms=$(curl -s "$url/metrics" | awk '/^sealroom_rooms / {print $2}')

printf '%-22s %12s %8s\n' endpoint "requests/s" ratio
printf '%-22s %12.0f %8.2f\n' "GET /healthz (base)" "$base" 1
printf '%-22s %12.0f %8.2f\n' "GET /api/v1/rooms" "$list" "$(echo "$list / $base" | bc -l)"
printf '%-22s %12.0f %8.2f\n' "POST /api/v1/rooms" "$create" "$(echo "$create / $base" | bc -l)"
echo "($CONN connections, ${DUR}s each, $(nproc) cores; $rooms rooms stored at the end)"
