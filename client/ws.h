/* WebSocket client (RFC 6455) for the native client's signalling: a libuv
 * TCP connection, the HTTP/1.1 Upgrade handshake, framing by wslay (client
 * mode: every frame we send is masked with RAND_bytes).
 *
 * Only ws:// URLs: ws://host[:port][/path], host an IPv4 literal, a bracketed
 * IPv6 literal ([::1]) or a name resolved with uv_getaddrinfo (each address
 * is tried in turn). wss:// (TLS) is refused for now: on_close reports
 * "wss:// is not supported yet".
 *
 * Lifecycle (all callbacks run on the loop, never from inside sc_ws_connect,
 * sc_ws_send_text or sc_ws_close):
 *   sc_ws_connect -> [on_open -> on_text ...] -> on_close -> freed.
 * - on_open: at most once, when the 101 answer has been checked.
 * - on_text: each complete text message (<= SC_WS_MAX_MESSAGE bytes). The
 *   data is valid during the call only; it is not NUL-terminated.
 * - on_close: exactly once, for every sc_ws_connect that returned non-NULL,
 *   whatever happened (a bad URL, DNS, connect, handshake failures, the
 *   deadline, the peer's close, sc_ws_close, a protocol error). By then every
 *   libuv handle of the connection is closed; the sc_ws is freed right after
 *   on_close returns, so the pointer must not be used afterwards. Inside
 *   on_close, sc_ws_send_text fails and sc_ws_close does nothing.
 *   code: the peer's close status; 1005 if its close frame had none; 1006
 *   if the connection ended without a close frame (every local failure:
 *   reason says which); or the code we closed with (sc_ws_close, 1009 for a
 *   message over SC_WS_MAX_MESSAGE, 1002 for a protocol error) when the peer
 *   did not answer with its own. reason is NUL-terminated, never NULL.
 * A loop may be closed (uv_loop_close) once every sc_ws on it has had its
 * on_close: nothing of it remains on the loop.
 *
 * Pings from the server are answered (wslay does that); a connection that
 * receives nothing for SC_WS_IDLE_TIMEOUT_MS (the server pings every 5 s) is
 * closed with 1006 "server silent". */
#ifndef SEALROOM_CLIENT_WS_H
#define SEALROOM_CLIENT_WS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SC_WS_MAX_MESSAGE (1024 * 1024)       /* larger incoming messages: closed with 1009 */
#define SC_WS_MAX_RESPONSE_HEAD 8192          /* the server's 101 answer, headers included */
#define SC_WS_HANDSHAKE_TIMEOUT_MS 10000      /* DNS + connect + handshake */
#define SC_WS_IDLE_TIMEOUT_MS 20000           /* nothing received (pings included) for so long */
#define SC_WS_CLOSE_TIMEOUT_MS 2000           /* after our close frame: wait this long for the peer's */
#define SC_WS_MAX_QUEUED (8u * 1024 * 1024)   /* sc_ws_send_text refuses beyond this */
#define SC_WS_MAX_QUEUED_CONTROL 4096         /* unsent frames (pongs) before a ping flood closes with 1008 */
#define SC_WS_MAX_URL 2048

typedef struct sc_ws sc_ws;

typedef struct {
  void (*on_open)(void *ctx);                                 /* may be NULL */
  void (*on_text)(void *ctx, const char *data, size_t len);   /* may be NULL */
  void (*on_close)(void *ctx, int code, const char *reason);  /* may be NULL */
} sc_ws_callbacks;

/* Starts connecting to url (ws:// only). cb is copied. Returns NULL only
 * when loop, url or cb is NULL or memory runs out (no callback then);
 * every other failure, a malformed URL included, is reported by on_close. */
sc_ws *sc_ws_connect(uv_loop_t *loop, const char *url, const sc_ws_callbacks *cb, void *ctx);

/* Queues a text message (copied; sent masked, in one frame). Allowed before
 * on_open: it is sent after the handshake. Returns 0, or -1 if the
 * connection is closing or closed, len is over SC_WS_MAX_MESSAGE, the queue
 * would exceed SC_WS_MAX_QUEUED, or memory runs out. The message must be
 * valid UTF-8 (the server closes the socket otherwise); it is not checked. */
int sc_ws_send_text(sc_ws *ws, const char *data, size_t len);

/* Bytes queued and not yet handed to the kernel (messages waiting in wslay
 * plus frames waiting in libuv's write queue): the backpressure gauge. */
size_t sc_ws_queued_bytes(const sc_ws *ws);

/* Counters of one connection (for stats and tests). */
typedef struct {
  uint64_t messages_in;  /* text messages delivered by on_text */
  uint64_t messages_out; /* text messages queued by sc_ws_send_text */
  uint64_t bytes_in;     /* bytes read from the socket, handshake included */
  uint64_t bytes_out;    /* bytes handed to the socket, handshake included */
  uint64_t pings_in;     /* pings received (each answered with a pong) */
} sc_ws_stats;
void sc_ws_get_stats(const sc_ws *ws, sc_ws_stats *out);

/* Starts the closing handshake: what is queued is sent first, then a close
 * frame with code (1000..4999; anything else becomes 1000) and reason
 * (truncated to 123 bytes; NULL = ""); nothing more is delivered by on_text.
 * on_close follows when the peer answers, at the latest after
 * SC_WS_CLOSE_TIMEOUT_MS. Before the handshake is done the connection is
 * dropped at once (on_close with 1006, "closed before open"). Calling it
 * again, or on a closing connection, does nothing. */
void sc_ws_close(sc_ws *ws, int code, const char *reason);

/* ---- Parsers, exposed for the unit tests and the fuzz target ---------- */

typedef struct {
  char host[256];   /* without brackets: "example.org", "127.0.0.1", "::1" */
  char port[8];     /* decimal, "80" by default */
  char path[1024];  /* starts with '/', query included; "/" by default */
  char host_header[300]; /* as sent in Host: "[::1]:8080" */
} sc_ws_url;

/* Parses a ws:// URL. Returns 0, or -1 with a reason in err (wss://, other
 * schemes, user info, fragments, bad ports, over-long parts). */
int sc_ws_parse_url(const char *url, sc_ws_url *out, char *err, size_t err_len);

/* The Sec-WebSocket-Accept value for a key (RFC 6455 4.2.2): base64 of
 * SHA-1(key + GUID). out needs 29 bytes. Returns 0 or -1. */
int sc_ws_accept_value(const char *key, char *out, size_t out_len);

/* Checks the server's answer to the upgrade request in buf[0..len): returns
 * 0 if the head (up to the blank line) is not complete yet, the length of
 * the head (> 0; what follows it is WebSocket data) if it is a valid 101 with
 * Upgrade: websocket, Connection: upgrade and the expected
 * Sec-WebSocket-Accept, or -1 with a reason in err (another status, whose
 * line is quoted; a missing or wrong header; a head over
 * SC_WS_MAX_RESPONSE_HEAD; malformed lines; an extension or subprotocol we
 * did not ask for). */
long sc_ws_check_response(const char *buf, size_t len, const char *expected_accept, char *err,
                          size_t err_len);

/* Runs the reading side of one connection without a loop or a socket: the
 * server's bytes data[0..len), delivered in pieces of chunk bytes, are the
 * answer to the key "dGhlIHNhbXBsZSBub25jZQ==" (RFC 6455's example) and then
 * frames; what the client would send is discarded. cb (may be NULL) sees
 * on_open, on_text and the final on_close as usual, all before this
 * returns. Returns the number of text messages delivered. For the fuzz
 * target (tests/fuzz/fuzz_client_signal.c). */
size_t sc_ws_fuzz_input(const uint8_t *data, size_t len, size_t chunk, const sc_ws_callbacks *cb, void *ctx);

#endif
