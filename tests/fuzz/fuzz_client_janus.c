/* libFuzzer target: what the Janus client (client/http.c, client/janus.c)
 * reads from Janus. The input is tried two ways: as an HTTP response
 * (sc_http_parse_response, whole and cut in two at a point taken from the
 * input: a prefix never completes differently), and its body, or else the
 * input itself, as Janus JSON: one message or an array of them (the
 * long-poll's answer) through sc_janus_event_parse; an SDP in a jsep goes
 * through sc_sdp_parse_remote and, when it parses, our subscribe answer with
 * a candidate is built. Must never crash, leak or read or write out of
 * bounds. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/http.h"
#include "client/janus.h"
#include "client/sdp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_janus_event ev;
static sc_remote remote;
static char answer[SC_SDP_ANSWER_CAP(SC_SDP_MAX_MEDIA)];

#define FP "B7:00:3E:1B:BE:F0:AC:AA:F5:43:5F:CA:62:0C:E4:8D:B9:EA:A0:90:2A:44:48:4E:A1:D3:ED:6D:CC:B1:A9:C1"

static void one_message(const json_t *o) {
  if (sc_janus_event_parse(o, &ev) != 0) return;
  if (ev.n_publishers < 0 || ev.n_publishers > SC_JANUS_MAX_LISTED || ev.n_streams < 0 ||
      ev.n_streams > SC_JANUS_MAX_LISTED || strnlen(ev.error, sizeof ev.error) >= sizeof ev.error)
    __builtin_trap();
  if (!ev.sdp) return;
  if (sc_sdp_parse_remote(ev.sdp, ev.sdp_len, &remote, NULL, 0) != 0) return;
  sc_local_desc local = {"CLnt", "cLientPassword0123456789", FP, 1, 1};
  sc_sdp_candidate cand = {"192.0.2.2", 40000};
  int n = sc_sdp_build_subscribe_answer_cand(&remote, &local, &cand, answer, sizeof answer);
  if (n >= (int)sizeof answer) __builtin_trap();
}

static void messages(const char *text, size_t len) {
  json_t *root = json_loadb(text, len, 0, NULL);
  if (json_is_array(root)) {
    size_t i;
    json_t *o;
    json_array_foreach(root, i, o) one_message(o);
  } else if (root) {
    one_message(root);
  }
  json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > SC_HTTP_MAX_RESPONSE) return 0;
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  sc_http_response r;
  size_t cut = size ? data[0] % (size + 1) : 0;
  memcpy(buf, data, size);
  int part = sc_http_parse_response(buf, cut, false, &r, NULL, 0);
  memcpy(buf, data, size);
  int whole = sc_http_parse_response(buf, size, true, &r, NULL, 0);
  if (part == 1 && whole != 1) __builtin_trap(); /* complete early means complete */
  if (whole == 1) {
    if (r.body_len > size || r.body < buf || r.body + r.body_len > buf + size || r.status < 100 || r.status > 599)
      __builtin_trap();
    messages(r.body, r.body_len);
  } else {
    messages((const char *)data, size);
  }
  free(buf);
  return 0;
}
