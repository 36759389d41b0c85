/* libFuzzer target: the native client's handling of the server's SDP
 * (client/sdp_client.c) on arbitrary bytes. Parses it as a publish answer or
 * subscribe offer, checks it against a publish offer, builds the subscribe
 * answer into a fixed buffer, and requires that answer to be what the
 * server's parser accepts. Must never crash, leak or read or write out of
 * bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client/sdp_client.h"
#include "sdp/sdp.h"
#include "../unit/client_helpers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_remote remote;      /* about 60 KiB: static, reused */
static sdp_session session;   /* about 3 MiB */
static char out[SC_SDP_ANSWER_CAP(SC_SDP_MAX_MEDIA)];

#define FP "B7:00:3E:1B:BE:F0:AC:AA:F5:43:5F:CA:62:0C:E4:8D:B9:EA:A0:90:2A:44:48:4E:A1:D3:ED:6D:CC:B1:A9:C1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[128];
  if (sc_sdp_parse_remote((const char *)data, size, &remote, err, sizeof err) != 0) return 0;
  if (remote.n_media < 1 || remote.n_media > SC_SDP_MAX_MEDIA || remote.n_udp < 0 ||
      remote.n_udp > SC_SDP_MAX_CANDIDATES)
    __builtin_trap();

  sc_publish_params pp =
      ct_publish_params((sc_local_desc){"CLnt", "cLientPassword0123456789", FP, 1, 1});
  (void)sc_sdp_check_publish_answer(&remote, &pp, err, sizeof err);

  int len = sc_sdp_build_subscribe_answer(&remote, &pp.local, out, sizeof out);
  if (len < 0) return 0;
  if ((size_t)len != strlen(out)) __builtin_trap();
  /* What we answer must parse on the server. */
  if (sdp_parse(out, (size_t)len, &session, err, sizeof err) != 0) __builtin_trap();
  if (session.n_media != remote.n_media) __builtin_trap();
  return 0;
}
