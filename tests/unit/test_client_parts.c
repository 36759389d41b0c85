/* Tests of the small client modules both kinds of participant share:
 * client/tracks.h (incoming tracks by SSRC), client/outbound.h (our frames
 * into RTP), client/random.h. */
#include <stdlib.h>
#include <uv.h>

#include "client/outbound.h"
#include "sdp/sdp.h"
#include "client/random.h"
#include "client/tracks.h"
#include "test.h"

static void test_ssrc_index(void) {
  sc_ssrc_index *x = malloc(sizeof *x);
  CHECK(x != NULL);
  if (!x) return;
  sc_ssrc_index_clear(x);
  CHECK_EQ_INT(sc_ssrc_index_find(x, 1234), -1);
  /* Many SSRCs, some sharing a home slot (multiples of 2^22 hash alike). */
  for (int t = 0; t < SC_SSRC_INDEX_MAX; t++) {
    uint32_t ssrc = (t % 2) ? (uint32_t)t << 22 : 0x80000000u + (uint32_t)t * 7919u;
    CHECK_EQ_INT(sc_ssrc_index_add(x, ssrc, t), 0);
  }
  for (int t = 0; t < SC_SSRC_INDEX_MAX; t++) {
    uint32_t ssrc = (t % 2) ? (uint32_t)t << 22 : 0x80000000u + (uint32_t)t * 7919u;
    CHECK_EQ_INT(sc_ssrc_index_find(x, ssrc), t);
  }
  CHECK_EQ_INT(sc_ssrc_index_find(x, 5), -1);
  CHECK_EQ_INT(sc_ssrc_index_add(x, 5, 1), -1); /* full (half the slots) */
  sc_ssrc_index_clear(x);
  CHECK_EQ_INT(sc_ssrc_index_find(x, 1u << 22), -1);
  CHECK_EQ_INT(sc_ssrc_index_add(x, 9, -1), -1);
  CHECK_EQ_INT(sc_ssrc_index_add(x, 9, 3), 0);
  CHECK_EQ_INT(sc_ssrc_index_add(x, 9, 4), 0);
  CHECK_EQ_INT(sc_ssrc_index_find(x, 9), 3); /* the first entry wins */
  free(x);
}

static void test_random(void) {
  char a[37], b[37];
  sc_random_token(a, sizeof a);
  sc_random_token(b, sizeof b);
  CHECK_EQ_INT(strlen(a), 36);
  CHECK(strcmp(a, b) != 0);
  for (size_t i = 0; i < 36; i++)
    CHECK((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9'));
  char one[1] = {'x'};
  sc_random_token(one, 1);
  CHECK_EQ_INT(one[0], '\0');
  CHECK(sc_random_ssrc() != 0);
}

static void test_outbound(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  dtls_cert *cert = dtls_cert_generate();
  sc_peer_config cfg = {0};
  cfg.cert = cert;
  sc_peer_callbacks cb = {0};
  sc_peer *p = cert ? sc_peer_new(&loop, &cfg, &cb) : NULL;
  CHECK(p != NULL);
  sc_outbound *o = malloc(sizeof *o);
  sc_publish_params pp;
  if (p && o) {
    CHECK_EQ_INT(sc_outbound_start(o, p, false, false, 10, &pp), -1);
    CHECK_EQ_INT(sc_outbound_start(o, p, true, true, 0, &pp), -1);
    CHECK_EQ_INT(sc_outbound_start(o, p, true, true, 23, &pp), 0);
    CHECK_EQ_INT(strlen(pp.stream_id), 23);
    CHECK_EQ_INT(strlen(pp.video_track_id), 23);
    CHECK(pp.audio && pp.video && pp.audio_ssrc && pp.video_ssrc && pp.audio_ssrc != pp.video_ssrc);
    CHECK_EQ_STR(pp.local.ice_ufrag, sc_peer_ufrag(p));
    CHECK_EQ_INT(pp.local.session_version, 1);
    char offer[SC_SDP_OFFER_CAP];
    CHECK(sc_sdp_build_publish_offer(&pp, offer, sizeof offer) > 0);
    /* The first frame of each kind is media time 0; then the clock's units. */
    CHECK_EQ_INT(sc_outbound_media_ts(o, SC_MEDIA_VIDEO, 5000000), 0);
    CHECK_EQ_INT(sc_outbound_media_ts(o, SC_MEDIA_VIDEO, 5033333), 2999);
    CHECK_EQ_INT(sc_outbound_media_ts(o, SC_MEDIA_AUDIO, 7000000), 0);
    CHECK_EQ_INT(sc_outbound_media_ts(o, SC_MEDIA_AUDIO, 7020000), 960);
    /* Not connected: the peer refuses, so does the send. */
    uint8_t frame[3000] = {0};
    CHECK_EQ_INT(sc_outbound_send(o, p, SC_MEDIA_VIDEO, 0, frame, sizeof frame, true, 0), -1);
    CHECK_EQ_INT(sc_outbound_send(o, p, SC_MEDIA_AUDIO, 0, NULL, 0, false, 0), 0); /* a skip */
    CHECK_EQ_INT(sc_outbound_send(o, p, SC_MEDIA_VIDEO, 1, frame, 10, false, 0), -1); /* no such layer */
    /* Simulcast: three encodings, the lowest on the SSRC registered first;
     * the offer names them as the server's parser reads them. */
    uint32_t first = pp.video_ssrc;
    CHECK_EQ_INT(sc_outbound_simulcast(o, p, 4, &pp), -1);
    CHECK_EQ_INT(sc_outbound_simulcast(o, p, 3, &pp), 0);
    CHECK_EQ_INT(sc_outbound_simulcast(o, p, 3, &pp), -1); /* once */
    CHECK_EQ_INT(o->n_layers, 3);
    CHECK_EQ_INT(o->layer_ssrc[0], first);
    CHECK(o->layer_ssrc[1] != first && o->layer_ssrc[2] != first && o->layer_ssrc[1] != o->layer_ssrc[2]);
    CHECK(o->layer_ssrc[1] != pp.audio_ssrc && o->layer_ssrc[2] != pp.audio_ssrc);
    CHECK_EQ_INT(sc_outbound_layer_of(o, o->layer_ssrc[2]), 2);
    CHECK_EQ_INT(sc_outbound_layer_of(o, pp.audio_ssrc), -1);
    CHECK_EQ_STR(o->vp8[1].rtp.rid, "m");
    CHECK_EQ_STR(o->vp8[0].rtp.mid, "1");
    CHECK(sc_sdp_build_publish_offer(&pp, offer, sizeof offer) > 0);
    sdp_session *sess = malloc(sizeof *sess);
    char err[128];
    CHECK(sess && sdp_parse(offer, strlen(offer), sess, err, sizeof err) == 0);
    if (sess && sess->n_media == 2) {
      const sdp_media *v = &sess->media[1];
      CHECK_EQ_INT(v->n_rids, 3);
      CHECK_EQ_INT(v->n_simulcast, 3);
      CHECK_EQ_STR(v->simulcast[0], "l");
      CHECK_EQ_STR(v->simulcast[2], "h");
      CHECK_EQ_INT(v->n_ssrcs, 0); /* learnt from the packets */
    }
    free(sess);
    pp.rid_ext = pp.mid_ext; /* the same id twice: refused */
    CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, offer, sizeof offer), -1);
    CHECK_EQ_INT(sc_outbound_start(o, p, true, false, 23, &pp), 0);
    CHECK_EQ_INT(sc_outbound_send(o, p, SC_MEDIA_VIDEO, 0, frame, 10, false, 0), -1); /* not published */
    CHECK_EQ_INT(sc_outbound_simulcast(o, p, 2, &pp), -1);                             /* no video */
  }
  free(o);
  if (p) sc_peer_close(p);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  dtls_cert_free(cert);
}

TEST_SUITE(client_parts, {"ssrc_index", test_ssrc_index}, {"random", test_random},
           {"outbound", test_outbound});
