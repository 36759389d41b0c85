#!/bin/sh
# bench/janus/start.sh <http-port> <workdir>
#
# Runs Janus (Debian package `janus`) as a foreground process configured
# entirely from <workdir>: only the HTTP transport on 127.0.0.1:<http-port>
# (base path /janus), only the VideoRoom plugin, no event handlers or loggers,
# no STUN/TURN/NAT settings, ICE-lite (like sealroomd), one IPv4 host
# candidate, a DTLS certificate that Janus generates in memory at start
# (nothing read from /etc), warnings and errors only on stdout.
#
# Media address: Janus 1.1.2 never gathers candidates on a loopback interface
# (src/ice.c skips IFF_LOOPBACK whatever ice_enforce_list says), so its one
# candidate is this host's own IPv4 address (the first global one, or
# $JANUS_ICE_IP). Traffic between two local addresses still goes through the
# kernel's loopback device, exactly like sealroomd's 127.0.0.1, and never
# leaves the machine. Without the enforce list libnice would offer every
# address, IPv6 included.
# The script ends with `exec janus`, so the caller can pin it:
#   taskset -c 0 bench/janus/start.sh 8088 /tmp/janus-bench > janus.log 2>&1 &
#   bench/janus/wait_ready.sh 8088          # GET /janus/info answers
#
# Environment (all optional):
#   JANUS_ICE_LITE=true|false   ICE-lite (default true, comparable with sealroomd)
#   JANUS_ICE_IP=<ipv4>         the local address for Janus's host candidate
#                               (default: first global IPv4 address)
#   JANUS_WS_PORT=<port>        also load the WebSockets transport on 127.0.0.1:<port>
#   JANUS_ADMIN_PORT=<port>     also enable the HTTP Admin API on 127.0.0.1:<port>/admin
#                               (admin_secret "bench"), for handle_info while debugging
#   JANUS_RTP_PORTS=min-max     UDP port range for media (default: any)
#   JANUS_EVENT_LOOPS=<n>       share n event-loop threads between all handles
#                               (default: Janus's default, one thread per handle)
#   JANUS_SESSION_TIMEOUT=<s>   session timeout without keepalive (default 60)
#   JANUS_DEBUG_LEVEL=0..7      log level (default 3 = warnings; 4 = Janus's info default)
#   JANUS_BIN=<path>            janus binary (default /usr/bin/janus)
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 <http-port> <workdir>" >&2
  exit 2
fi
PORT=$1
WORK=$2
JANUS_BIN=${JANUS_BIN:-/usr/bin/janus}
LIBDIR=${JANUS_LIBDIR:-/usr/lib/x86_64-linux-gnu/janus}
ICE_LITE=${JANUS_ICE_LITE:-true}
DEBUG_LEVEL=${JANUS_DEBUG_LEVEL:-3}
SESSION_TIMEOUT=${JANUS_SESSION_TIMEOUT:-60}

if [ ! -x "$JANUS_BIN" ]; then
  echo "$0: $JANUS_BIN not found (apt-get install -y --no-install-recommends janus)" >&2
  exit 1
fi
case "$PORT" in ''|*[!0-9]*) echo "$0: bad port '$PORT'" >&2; exit 2;; esac

ICE_IP=${JANUS_ICE_IP:-$(ip -4 -o addr show scope global up 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')}
if [ -z "$ICE_IP" ]; then
  echo "$0: no global IPv4 address for Janus's ICE candidate (Janus skips loopback); set JANUS_ICE_IP" >&2
  exit 1
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
CONF=$WORK/conf
rm -rf "$CONF" "$WORK/plugins" "$WORK/transports" "$WORK/events" "$WORK/loggers"
mkdir -p "$CONF" "$WORK/plugins" "$WORK/transports" "$WORK/events" "$WORK/loggers"

# Janus loads every *.so in its folders: give it folders of our own that hold
# only what we want, so nothing else can be loaded whatever the package ships.
ln -s "$LIBDIR/plugins/libjanus_videoroom.so" "$WORK/plugins/"
ln -s "$LIBDIR/transports/libjanus_http.so" "$WORK/transports/"
if [ -n "${JANUS_WS_PORT:-}" ]; then
  ln -s "$LIBDIR/transports/libjanus_websockets.so" "$WORK/transports/"
fi

EXTRA_GENERAL=
if [ -n "${JANUS_EVENT_LOOPS:-}" ]; then
  EXTRA_GENERAL="event_loops = ${JANUS_EVENT_LOOPS}"
fi
EXTRA_MEDIA=
if [ -n "${JANUS_RTP_PORTS:-}" ]; then
  EXTRA_MEDIA="rtp_port_range = \"${JANUS_RTP_PORTS}\""
fi

cat > "$CONF/janus.jcfg" <<JCFG
# Written by bench/janus/start.sh; do not edit (rewritten at every start).
general: {
	configs_folder = "$CONF"
	plugins_folder = "$WORK/plugins"
	transports_folder = "$WORK/transports"
	events_folder = "$WORK/events"
	loggers_folder = "$WORK/loggers"
	log_to_stdout = true
	debug_level = $DEBUG_LEVEL
	debug_timestamps = true
	debug_colors = false
	admin_secret = "bench"
	interface = "$ICE_IP"
	server_name = "sealroom-bench"
	session_timeout = $SESSION_TIMEOUT
	candidates_timeout = 45
	reclaim_session_timeout = 0
	hide_dependencies = false
	protected_folders = [ "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var" ]
	$EXTRA_GENERAL
}
certificates: {
	# no cert_pem/cert_key: Janus generates a self-signed certificate at start
}
media: {
	ipv6 = false
	ipv6_linklocal = false
	no_media_timer = 1
	$EXTRA_MEDIA
}
nat: {
	nice_debug = false
	full_trickle = false
	ice_lite = $ICE_LITE
	ice_tcp = false
	ignore_mdns = true
	ice_enforce_list = "$ICE_IP"
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
JCFG

cat > "$CONF/janus.transport.http.jcfg" <<JCFG
general: {
	events = false
	json = "compact"
	base_path = "/janus"
	http = true
	port = $PORT
	ip = "127.0.0.1"
	https = false
	acl = "127."
}
admin: {
	admin_base_path = "/admin"
	admin_http = ${JANUS_ADMIN_PORT:+true}${JANUS_ADMIN_PORT:-false}
	admin_port = ${JANUS_ADMIN_PORT:-7088}
	admin_ip = "127.0.0.1"
	admin_https = false
	admin_acl = "127."
}
cors: {
}
JCFG

if [ -n "${JANUS_WS_PORT:-}" ]; then
  cat > "$CONF/janus.transport.websockets.jcfg" <<JCFG
general: {
	events = false
	json = "compact"
	ws = true
	ws_port = $JANUS_WS_PORT
	ws_ip = "127.0.0.1"
	wss = false
	ws_acl = "127."
}
admin: {
	admin_ws = false
	admin_wss = false
}
JCFG
fi

# No static rooms: the benchmark creates its rooms through the API
# (see README.md, "create"). string_ids off: room and feed ids are integers.
cat > "$CONF/janus.plugin.videoroom.jcfg" <<JCFG
general: {
	events = false
	string_ids = false
}
JCFG

exec "$JANUS_BIN" -C "$CONF/janus.jcfg" -F "$CONF"
