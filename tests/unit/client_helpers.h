/* Helpers shared by the client's test suites (tests/unit/test_client_*.c)
 * and its fuzz targets: running a libuv loop until a condition holds, and
 * publish parameters for the SDP code. */
#ifndef SEALROOM_TEST_CLIENT_HELPERS_H
#define SEALROOM_TEST_CLIENT_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include "client/sdp_client.h"

typedef bool (*ct_cond_fn)(void *ctx);

/* Runs the loop (a 5 ms timer keeps it turning) until cond(ctx) is true or
 * ms pass; returns the last cond. */
bool ct_run_until(uv_loop_t *loop, ct_cond_fn cond, void *ctx, uint64_t ms);

/* A condition that never holds: with ct_run_until, run for a while. */
bool ct_never(void *ctx);

/* Runs the loop for ms. */
void ct_run_for(uv_loop_t *loop, uint64_t ms);

/* Publish parameters of an audio (SSRC 1, track "a1") and a video (SSRC 2,
 * track "v1") track of stream "s1" over local; header only, so that fuzz
 * targets (which link no test code) can use it too. */
static inline sc_publish_params ct_publish_params(sc_local_desc local) {
  sc_publish_params pp;
  memset(&pp, 0, sizeof pp);
  pp.local = local;
  pp.stream_id = "s1";
  pp.audio = pp.video = true;
  pp.audio_ssrc = 1;
  pp.video_ssrc = 2;
  pp.audio_track_id = "a1";
  pp.video_track_id = "v1";
  return pp;
}

#endif
