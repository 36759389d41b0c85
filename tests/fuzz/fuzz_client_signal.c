/* libFuzzer target: what a (hostile) server can send the native client's
 * signalling, on arbitrary bytes:
 * - as one signalling message (sc_server_msg_parse), with the bounds of
 *   every parsed field checked;
 * - as the answer to the WebSocket upgrade (sc_ws_check_response);
 * - as a ws:// URL (sc_ws_parse_url);
 * - as the whole byte stream of a connection (sc_ws_fuzz_input: the 101
 *   answer, then frames through wslay and client/ws.c's callbacks), fed in
 *   one piece or byte by byte, each text message parsed as above.
 * Must never crash, leak, or read or write out of bounds. Seeds: real server
 * messages and connection streams in tests/fuzz/corpus/client_signal/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/signal_msg.h"
#include "client/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_server_msg msg; /* large: static, reused */

#define BOUNDED(s) \
  if (strnlen((s), sizeof(s)) >= sizeof(s)) __builtin_trap()

static void check_participant(const sc_participant *p) {
  BOUNDED(p->id);
  BOUNDED(p->name);
  BOUNDED(p->role);
  BOUNDED(p->public_key);
  BOUNDED(p->signing_key);
  if (p->n_tracks < 0 || p->n_tracks > SC_MAX_TRACKS) __builtin_trap();
  for (int i = 0; i < p->n_tracks; i++) BOUNDED(p->tracks[i].mid);
}

static void parse_one(const char *text, size_t len) {
  if (sc_server_msg_parse(text, len, &msg, NULL, 0) != 0) return;
  BOUNDED(msg.type_name);
  switch (msg.type) {
  case SC_SRV_WELCOME: {
    const sc_welcome *w = &msg.u.welcome;
    if (w->n_participants > SC_MAX_PARTICIPANTS || (w->n_participants && !w->participants)) __builtin_trap();
    for (size_t i = 0; i < w->n_participants; i++) check_participant(&w->participants[i]);
    if (w->n_ice_servers < 0 || w->n_ice_servers > SC_MAX_ICE_SERVERS) __builtin_trap();
    for (int i = 0; i < w->n_ice_servers; i++) {
      BOUNDED(w->ice_servers[i].credential);
      if (w->ice_servers[i].n_urls < 0 || w->ice_servers[i].n_urls > SC_MAX_ICE_URLS) __builtin_trap();
    }
    BOUNDED(w->room.description);
    break;
  }
  case SC_SRV_PARTICIPANT_JOINED:
    check_participant(&msg.u.participant_joined);
    break;
  case SC_SRV_PUBLISH_ANSWER:
    if (strlen(msg.u.publish_answer.sdp) != msg.u.publish_answer.sdp_len || msg.u.publish_answer.sdp_len > SC_SDP_MAX)
      __builtin_trap();
    break;
  case SC_SRV_SUBSCRIBE_OFFER:
    if (strlen(msg.u.subscribe_offer.sdp) != msg.u.subscribe_offer.sdp_len || msg.u.subscribe_offer.version < 1)
      __builtin_trap();
    break;
  case SC_SRV_RELAY:
    if (strlen(msg.u.relay.payload) != msg.u.relay.payload_len || msg.u.relay.payload_len > SC_PAYLOAD_MAX)
      __builtin_trap();
    break;
  case SC_SRV_CHAT:
    if (strlen(msg.u.chat.payload) != msg.u.chat.payload_len) __builtin_trap();
    break;
  case SC_SRV_ERROR:
    BOUNDED(msg.u.error.code);
    BOUNDED(msg.u.error.message);
    break;
  default:
    break;
  }
  sc_server_msg_free(&msg);
}

static void on_text(void *ctx, const char *data, size_t len) {
  (*(size_t *)ctx)++;
  if (len > SC_WS_MAX_MESSAGE) __builtin_trap();
  parse_one(data, len);
}

static void on_close(void *ctx, int code, const char *reason) {
  if (code < 1000 || code > 4999 || strlen(reason) > 255) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_one((const char *)data, size);

  char err[160];
  long head = sc_ws_check_response((const char *)data, size, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", err, sizeof err);
  if (head > 0 && ((size_t)head > size || head > SC_WS_MAX_RESPONSE_HEAD)) __builtin_trap();

  if (size <= SC_WS_MAX_URL + 16) {
    char *url = malloc(size + 1);
    if (url) {
      memcpy(url, data, size);
      url[size] = '\0';
      sc_ws_url u;
      if (sc_ws_parse_url(url, &u, err, sizeof err) == 0) {
        BOUNDED(u.host);
        BOUNDED(u.path);
        if (u.path[0] != '/') __builtin_trap();
      }
      free(url);
    }
  }

  /* The whole stream: in one piece, and (small inputs) byte by byte. */
  static const sc_ws_callbacks cb = {NULL, on_text, on_close};
  size_t whole = 0, bytewise = 0;
  size_t n1 = sc_ws_fuzz_input(data, size, size ? size : 1, &cb, &whole);
  if (n1 != whole) __builtin_trap();
  if (size <= 4096) {
    size_t n2 = sc_ws_fuzz_input(data, size, 1, &cb, &bytewise);
    if (n2 != n1) __builtin_trap(); /* how the bytes arrive changes nothing */
  }
  return 0;
}
