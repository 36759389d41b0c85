/* libFuzzer target: SDP from a browser (offer or answer) on arbitrary bytes.
 * Parses, and if that succeeds builds the publish answer into a 64 KiB
 * buffer, checks the text as a subscribe answer and builds a subscribe offer
 * from its m-lines. Must never crash, leak or read or write out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sdp_session session; /* about 3 MiB: static, reused */
static char out[64 * 1024];
static sdp_sub_line lines[SDP_MAX_MEDIA];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const sdp_local local = {
      "SfUl", "Pw0123456789abcdefghijKL",
      "B7:00:3E:1B:BE:F0:AC:AA:F5:43:5F:CA:62:0C:E4:8D:B9:EA:A0:90:2A:44:48:4E:A1:D3:ED:6D:CC:B1:"
      "A9:C1",
      "192.0.2.10", 40000, 1, 1};
  char err[128];
  if (sdp_parse((const char *)data, size, &session, err, sizeof err) != 0) return 0;

  sdp_track tracks[SDP_MAX_MEDIA];
  int n_tracks;
  int len = sdp_build_publish_answer(&session, &local, out, sizeof out, tracks, SDP_MAX_MEDIA,
                                     &n_tracks);
  if (len >= 0 && (size_t)len != strlen(out)) __builtin_trap();

  /* The parsed m-lines as the lines of a subscribe offer this could answer. */
  int n = 0;
  for (int i = 0; i < session.n_media; i++) {
    const sdp_media *m = &session.media[i];
    sdp_sub_line *l = &lines[n++];
    memset(l, 0, sizeof *l);
    l->kind = m->kind == SDP_VIDEO ? SDP_VIDEO : SDP_AUDIO;
    memcpy(l->mid, m->mid, sizeof l->mid);
    l->active = m->msid_stream[0] != '\0';
    l->ssrc = m->n_ssrcs ? m->ssrcs[0] : 0;
    memcpy(l->stream_id, m->msid_stream, sizeof l->stream_id);
    memcpy(l->track_id, m->msid_track[0] ? m->msid_track : "t", m->msid_track[0] ? 65 : 2);
  }
  (void)sdp_check_subscribe_answer(&session, lines, n, err, sizeof err);
  len = sdp_build_subscribe_offer(lines, n, &local, out, sizeof out);
  if (len >= 0 && (size_t)len != strlen(out)) __builtin_trap();
  return 0;
}
