#!/bin/sh
# bench/janus/wait_ready.sh <http-port> [timeout-seconds]
# Waits until Janus answers GET http://127.0.0.1:<port>/janus/info with
# "janus": "server_info" and the VideoRoom plugin loaded; exit 1 on timeout.
set -eu
PORT=$1
TIMEOUT=${2:-10}
end=$(( $(date +%s) + TIMEOUT ))
while :; do
  if out=$(curl -fsS --max-time 1 "http://127.0.0.1:$PORT/janus/info" 2>/dev/null) &&
     printf '%s' "$out" | grep -q '"server_info"' &&
     printf '%s' "$out" | grep -q 'janus.plugin.videoroom'; then
    exit 0
  fi
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "$0: janus on 127.0.0.1:$PORT not ready after ${TIMEOUT}s" >&2
    exit 1
  fi
  sleep 0.1
done
