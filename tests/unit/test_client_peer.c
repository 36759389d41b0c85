/* The native client's transport (client/sdp_client.c, client/peer.c):
 * its publish offer is accepted by the server's own SDP code, the answer
 * parses back; a subscribe offer made by sdp_build_subscribe_offer parses,
 * and our answer passes sdp_check_subscribe_answer. End to end against the
 * real SFU worker in this process, on loopback: a publishing peer and a
 * subscribing peer each complete ICE, DTLS and SRTP with their own worker
 * transport; RTP published on one arrives on the other (payload types
 * rewritten, payload intact), losses on either leg are NACKed and repaired,
 * key frame requests and sender reports pass through, receiver statistics
 * add up, closing sends close_notify (the worker reports the transports
 * closed). A wrong server fingerprint fails DTLS ("dtls-failed"); consent
 * checks keep a peer up until the server stops answering ("consent-lost");
 * a server that never answers fails ICE after its deadline ("ice-timeout"). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "client/peer.h"
#include "client/sdp_client.h"
#include "dtls/dtls.h"
#include "ice/stun.h"
#include "rtp/rtcp.h"
#include "sdp/sdp.h"
#include "sfu/sfu.h"
#include "client_helpers.h"
#include "test.h"

#define FP_A "B7:00:3E:1B:BE:F0:AC:AA:F5:43:5F:CA:62:0C:E4:8D:B9:EA:A0:90:2A:44:48:4E:A1:D3:ED:6D:CC:B1:A9:C1"
#define AUDIO_SSRC 0x11111111u
#define VIDEO_SSRC 0x22222222u

static sc_publish_params publish_params(const char *ufrag, const char *pwd, const char *fp, bool audio, bool video) {
  sc_publish_params pp;
  memset(&pp, 0, sizeof pp);
  pp.local.ice_ufrag = ufrag;
  pp.local.ice_pwd = pwd;
  pp.local.fingerprint = fp;
  pp.local.session_id = 42;
  pp.local.session_version = 1;
  pp.stream_id = "alice-stream";
  pp.audio = audio;
  pp.audio_ssrc = AUDIO_SSRC;
  pp.audio_track_id = "alice-audio";
  pp.video = video;
  pp.video_ssrc = VIDEO_SSRC;
  pp.video_track_id = "alice-video";
  pp.remb = true;
  return pp;
}

/* ---- SDP ---- */

static void test_publish_offer(void) {
  sdp_session *s = malloc(sizeof *s);
  sc_remote *r = malloc(sizeof *r);
  CHECK(s && r);
  if (!s || !r) goto out;
  for (int variant = 0; variant < 3; variant++) {
    bool audio = variant != 2, video = variant != 1;
    sc_publish_params pp = publish_params("CLnt", "cLientPassword0123456789", FP_A, audio, video);
    char offer[SC_SDP_OFFER_CAP], answer[8192], err[128];
    int n = sc_sdp_build_publish_offer(&pp, offer, sizeof offer);
    CHECK(n > 0);
    CHECK_EQ_INT(sdp_parse(offer, (size_t)n, s, err, sizeof err), 0);
    CHECK_EQ_STR(s->setup, "actpass");
    sdp_local local = {"SfUl", "Pw0123456789abcdefghijKL", FP_A, "127.0.0.1", 40000, 1, 1, SDP_CAND_UDP | SDP_CAND_TCP};
    sdp_track tracks[4];
    int nt = 0;
    int an = sdp_build_publish_answer(s, &local, answer, sizeof answer, tracks, 4, &nt);
    CHECK(an > 0);
    CHECK_EQ_INT(nt, (audio ? 1 : 0) + (video ? 1 : 0));
    for (int i = 0; i < nt; i++) {
      CHECK(tracks[i].accepted);
      bool is_audio = audio && i == 0;
      CHECK_EQ_INT(tracks[i].pt, is_audio ? SC_PT_OPUS : SC_PT_VP8);
      CHECK_EQ_INT(tracks[i].ssrc, is_audio ? AUDIO_SSRC : VIDEO_SSRC);
      if (!is_audio) CHECK_EQ_INT(tracks[i].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB);
    }
    CHECK_EQ_INT(sc_sdp_parse_remote(answer, (size_t)an, r, err, sizeof err), 0);
    CHECK_EQ_STR(r->ice_ufrag, "SfUl");
    CHECK_EQ_STR(r->ice_pwd, "Pw0123456789abcdefghijKL");
    CHECK(r->ice_lite);
    CHECK_EQ_STR(r->setup, "passive");
    CHECK_EQ_INT(r->fingerprint[0], 0xB7);
    CHECK_EQ_INT(r->n_udp, 1);
    CHECK_EQ_INT(r->n_tcp, nt); /* one per m-line, the same address */
    const struct sockaddr_in *a = (const struct sockaddr_in *)&r->udp[0].addr;
    CHECK_EQ_INT(a->sin_family, AF_INET);
    CHECK_EQ_INT(ntohs(a->sin_port), 40000);
    CHECK_EQ_INT(ntohl(a->sin_addr.s_addr), 0x7f000001);
    CHECK_EQ_INT(r->udp[0].priority, 2130706431u);
    CHECK_EQ_INT(sc_sdp_check_publish_answer(r, &pp, err, sizeof err), 0);
  }
  /* Bad parameters: no track, same SSRCs, a bad token, a bad fingerprint, no room. */
  char out[SC_SDP_OFFER_CAP];
  sc_publish_params pp = publish_params("CLnt", "cLientPassword0123456789", FP_A, false, false);
  CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, out, sizeof out), -1);
  pp = publish_params("CLnt", "cLientPassword0123456789", FP_A, true, true);
  pp.video_ssrc = AUDIO_SSRC;
  CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, out, sizeof out), -1);
  pp = publish_params("CLnt", "cLientPassword0123456789", FP_A, true, true);
  pp.stream_id = "a b";
  CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, out, sizeof out), -1);
  pp = publish_params("CLnt", "cLientPassword0123456789", "B7:00", true, true);
  CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, out, sizeof out), -1);
  pp = publish_params("CLnt", "short", FP_A, true, true);
  CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, out, sizeof out), -1);
  pp = publish_params("CLnt", "cLientPassword0123456789", FP_A, true, true);
  CHECK_EQ_INT(sc_sdp_build_publish_offer(&pp, out, 100), -1);
  CHECK_EQ_STR(out, "");
out:
  free(s);
  free(r);
}

static void test_subscribe_answer(void) {
  sdp_session *s = malloc(sizeof *s);
  sc_remote *r = malloc(sizeof *r);
  CHECK(s && r);
  if (!s || !r) goto out;
  sdp_sub_line lines[4];
  memset(lines, 0, sizeof lines);
  lines[0] = (sdp_sub_line){SDP_AUDIO, "0", true, 1001, "bob", "bob-audio"};
  lines[1] = (sdp_sub_line){SDP_VIDEO, "1", true, 1002, "bob", "bob-video"};
  lines[2] = (sdp_sub_line){SDP_AUDIO, "2", false, 0, "", ""};
  lines[3] = (sdp_sub_line){SDP_VIDEO, "3", true, 1004, "carol", "carol-video"};
  sdp_local local = {"SfUl", "Pw0123456789abcdefghijKL", FP_A, "::1", 40000, 7, 3, SDP_CAND_UDP};
  char offer[SDP_OUT_CAP(4)], answer[SC_SDP_ANSWER_CAP(4)], err[128];
  int n = sdp_build_subscribe_offer(lines, 4, &local, offer, sizeof offer);
  CHECK(n > 0);
  CHECK_EQ_INT(sc_sdp_parse_remote(offer, (size_t)n, r, err, sizeof err), 0);
  CHECK_EQ_STR(r->setup, "actpass");
  CHECK_EQ_INT(r->n_media, 4);
  CHECK_EQ_INT(r->n_udp, 1);
  CHECK_EQ_INT(r->n_tcp, 0);
  CHECK_EQ_INT(r->udp[0].addr.ss_family, AF_INET6);
  CHECK(r->media[0].active && r->media[1].active && !r->media[2].active && r->media[3].active);
  CHECK_EQ_INT(r->media[0].pt, SDP_SUB_PT_OPUS);
  CHECK_EQ_INT(r->media[1].pt, SDP_SUB_PT_VP8);
  CHECK_EQ_INT(r->media[1].fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB);
  CHECK_EQ_INT(r->media[0].ext_audio_level, SDP_SUB_EXT_AUDIO_LEVEL);
  CHECK_EQ_INT(r->media[1].ext_abs_send_time, SDP_SUB_EXT_ABS_SEND_TIME);
  CHECK_EQ_INT(r->media[3].n_ssrcs, 1);
  CHECK_EQ_INT(r->media[3].ssrcs[0], 1004);
  CHECK_EQ_STR(r->media[3].participant_id, "carol");
  CHECK_EQ_STR(r->media[3].track_id, "carol-video");
  CHECK_EQ_INT(r->media[2].dir, SDP_INACTIVE);
  CHECK_EQ_STR(r->media[2].mid, "2");
  sc_local_desc me = {"CLnt", "cLientPassword0123456789", FP_A, 9, 1};
  int an = sc_sdp_build_subscribe_answer(r, &me, answer, sizeof answer);
  CHECK(an > 0);
  CHECK_EQ_INT(sdp_parse(answer, (size_t)an, s, err, sizeof err), 0);
  err[0] = '\0';
  CHECK_EQ_INT(sdp_check_subscribe_answer(s, lines, 4, err, sizeof err), 0);
  if (err[0]) fprintf(stderr, "  check: %s\n", err);
  CHECK_EQ_STR(s->setup, "active");
  CHECK_EQ_INT(s->media[0].dir, SDP_RECVONLY);
  CHECK_EQ_INT(s->media[2].dir, SDP_INACTIVE);
  /* Not enough room: -1 and an empty string. */
  CHECK_EQ_INT(sc_sdp_build_subscribe_answer(r, &me, answer, 200), -1);
  CHECK_EQ_STR(answer, "");
  /* A server SDP that is not fit: setup active (we would have to be the server). */
  char *bad = strstr(offer, "a=setup:actpass");
  CHECK(bad != NULL);
  if (bad) {
    memcpy(bad, "a=setup:active\r\n", 16);
    CHECK_EQ_INT(sc_sdp_parse_remote(offer, strlen(offer), r, err, sizeof err), -1);
  }
out:
  free(s);
  free(r);
}

/* ---- end to end with the SFU worker ---- */

typedef struct {
  sc_peer *peer;
  sc_peer_state state;
  char reason[32];
  int closed;
  int rtp_audio, rtp_video, bad_rtp;
  uint16_t video_seen[1024]; /* by seq - VIDEO_SEQ0 */
  int keyframe_requests, sender_reports;
  int bad_rx_time; /* on_rtp with sc_peer_rx_time_us not in the last 2 s */
} peer_log;

#define VIDEO_SEQ0 5000

static void on_state(void *ctx, sc_peer *p, sc_peer_state st, const char *reason) {
  peer_log *l = ctx;
  (void)p;
  l->state = st;
  snprintf(l->reason, sizeof l->reason, "%s", reason);
}

static void payload_pattern(uint8_t *out, size_t n, uint16_t seq) {
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(seq * 7 + i);
}

static void on_rtp(void *ctx, sc_peer *p, uint8_t *pkt, size_t len) {
  peer_log *l = ctx;
  (void)p;
  if (len < 12) {
    l->bad_rtp++;
    return;
  }
  uint32_t ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
  uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
  uint8_t pt = pkt[1] & 0x7f;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, at = sc_peer_rx_time_us(p);
  if (at > now_us || now_us - at > 2000000) l->bad_rx_time++;
  uint8_t want[200];
  payload_pattern(want, sizeof want, seq);
  bool ok = len == 12 + sizeof want && memcmp(pkt + 12, want, sizeof want) == 0;
  if (ssrc == AUDIO_SSRC && pt == SDP_SUB_PT_OPUS && ok) l->rtp_audio++;
  else if (ssrc == VIDEO_SSRC && pt == SDP_SUB_PT_VP8 && ok) {
    l->rtp_video++;
    uint16_t k = (uint16_t)(seq - VIDEO_SEQ0);
    if (k < 1024) l->video_seen[k]++;
  } else {
    l->bad_rtp++;
  }
}

static void on_keyframe(void *ctx, sc_peer *p, uint32_t ssrc) {
  peer_log *l = ctx;
  (void)p;
  if (ssrc == VIDEO_SSRC) l->keyframe_requests++;
}

static void on_sr(void *ctx, sc_peer *p, uint32_t ssrc, uint64_t ntp, uint32_t ts) {
  peer_log *l = ctx;
  (void)p, (void)ts;
  if ((ssrc == VIDEO_SSRC || ssrc == AUDIO_SSRC) && ntp != 0) l->sender_reports++;
}

static void on_closed(void *ctx, sc_peer *p) {
  peer_log *l = ctx;
  (void)p;
  l->closed++;
}

static sc_peer_callbacks callbacks_for(peer_log *l) {
  sc_peer_callbacks cb = {l, on_state, on_rtp, on_keyframe, on_sr, on_closed};
  return cb;
}

typedef struct {
  int n;
  sfu_event ev[16];
} event_log;

static void on_event(void *ctx, const sfu_event *ev) {
  event_log *l = ctx;
  if (l->n < 16) l->ev[l->n] = *ev;
  l->n++;
}


typedef struct {
  peer_log *a, *b;
} pair;
static bool both_connected(void *ctx) {
  pair *p = ctx;
  return p->a->state == SC_PEER_CONNECTED && (!p->b || p->b->state == SC_PEER_CONNECTED);
}
static bool a_settled(void *ctx) {
  pair *p = ctx;
  return p->a->state == SC_PEER_CONNECTED || p->a->state == SC_PEER_FAILED;
}
static bool a_failed(void *ctx) {
  pair *p = ctx;
  return p->a->state == SC_PEER_FAILED;
}
static bool both_closed(void *ctx) {
  pair *p = ctx;
  return p->a->closed && (!p->b || p->b->closed);
}

static sfu *start_sfu(uv_loop_t *loop, event_log *log) {
  sfu_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.listen_ip, sizeof cfg.listen_ip, "127.0.0.1");
  snprintf(cfg.announce_ip, sizeof cfg.announce_ip, "127.0.0.1");
  cfg.max_video_bitrate = 1000000;
  cfg.max_transports = 8;
  return sfu_start(loop, &cfg, on_event, log);
}

static sdp_local server_local(sfu *s, const char *ufrag, const char *pwd) {
  sdp_local l = {ufrag, pwd, sfu_fingerprint(s), sfu_announce_ip(s), (uint16_t)sfu_port(s, 0), 1, 1, sfu_candidates(s)};
  return l;
}

static sc_peer *new_peer_with(uv_loop_t *loop, const dtls_cert *cert, peer_log *log, unsigned consent_ms) {
  sc_peer_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cert = cert;
  cfg.bind_ip = "127.0.0.1";
  cfg.rr_interval_ms = 300;
  cfg.consent_interval_ms = consent_ms;
  cfg.consent_timeout_ms = consent_ms * 5;
  sc_peer_callbacks cb = callbacks_for(log);
  return sc_peer_new(loop, &cfg, &cb);
}

static sc_peer *new_peer(uv_loop_t *loop, const dtls_cert *cert, peer_log *log) {
  return new_peer_with(loop, cert, log, 0);
}

/* The publishing side as the control plane does it: our offer into a
 * worker transport that publishes both tracks; the answer back into the
 * peer. corrupt_fp: the peer is told a wrong server fingerprint. */
static int connect_publisher(sfu *s, sc_peer *peer, uint32_t *tid, bool corrupt_fp) {
  int rc = -1;
  sdp_session *sess = malloc(sizeof *sess);
  sc_remote *r = malloc(sizeof *r);
  char offer[SC_SDP_OFFER_CAP], answer[8192], err[128], ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  if (!sess || !r) goto out;
  sc_publish_params pp = publish_params(sc_peer_ufrag(peer), sc_peer_pwd(peer), sc_peer_fingerprint(peer), true, true);
  int n = sc_sdp_build_publish_offer(&pp, offer, sizeof offer);
  if (n <= 0 || sdp_parse(offer, (size_t)n, sess, err, sizeof err) != 0) goto out;
  if (sfu_transport_create(s, 0, ufrag, pwd, tid) != SFU_OK) goto out;
  sdp_local local = server_local(s, ufrag, pwd);
  sdp_track tracks[4];
  int nt = 0;
  int an = sdp_build_publish_answer(sess, &local, answer, sizeof answer, tracks, 4, &nt);
  if (an <= 0) goto out;
  sfu_track st[4];
  for (int i = 0; i < nt; i++) {
    memset(&st[i], 0, sizeof st[i]);
    st[i].ssrc = tracks[i].ssrc;
    st[i].kind = tracks[i].kind == SDP_AUDIO ? SFU_AUDIO : SFU_VIDEO;
    st[i].pt = tracks[i].pt;
  }
  if (sfu_transport_publish(s, *tid, st, nt) != SFU_OK) goto out;
  if (sfu_transport_set_remote(s, *tid, sess->ice_ufrag, sess->fp) != SFU_OK) goto out;
  if (sc_sdp_parse_remote(answer, (size_t)an, r, err, sizeof err) != 0 ||
      sc_sdp_check_publish_answer(r, &pp, err, sizeof err) != 0)
    goto out;
  if (sc_peer_add_send_ssrc(peer, AUDIO_SSRC, false) != 0 || sc_peer_add_send_ssrc(peer, VIDEO_SSRC, true) != 0)
    goto out;
  if (corrupt_fp) r->fingerprint[5] ^= 0x40;
  rc = sc_peer_set_remote(peer, r);
out:
  free(sess);
  free(r);
  return rc;
}

/* The subscribing side: the worker's subscribe offer of the publisher's two
 * tracks, our answer checked as the server checks it. */
static int connect_subscriber(sfu *s, sc_peer *peer, uint32_t *tid) {
  int rc = -1;
  sdp_session *sess = malloc(sizeof *sess);
  sc_remote *r = malloc(sizeof *r);
  char offer[SDP_OUT_CAP(2)], answer[SC_SDP_ANSWER_CAP(2)], err[128], ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  if (!sess || !r) goto out;
  if (sfu_transport_create(s, 0, ufrag, pwd, tid) != SFU_OK) goto out;
  sdp_sub_line lines[2];
  memset(lines, 0, sizeof lines);
  lines[0] = (sdp_sub_line){SDP_AUDIO, "0", true, AUDIO_SSRC, "alice", "alice-audio"};
  lines[1] = (sdp_sub_line){SDP_VIDEO, "1", true, VIDEO_SSRC, "alice", "alice-video"};
  sdp_local local = server_local(s, ufrag, pwd);
  int n = sdp_build_subscribe_offer(lines, 2, &local, offer, sizeof offer);
  if (n <= 0 || sc_sdp_parse_remote(offer, (size_t)n, r, err, sizeof err) != 0) goto out;
  if (sc_peer_set_remote(peer, r) != 0) goto out;
  sc_local_desc me = {sc_peer_ufrag(peer), sc_peer_pwd(peer), sc_peer_fingerprint(peer), 5, 1};
  int an = sc_sdp_build_subscribe_answer(r, &me, answer, sizeof answer);
  if (an <= 0 || sdp_parse(answer, (size_t)an, sess, err, sizeof err) != 0 ||
      sdp_check_subscribe_answer(sess, lines, 2, err, sizeof err) != 0)
    goto out;
  uint32_t ssrcs[2] = {AUDIO_SSRC, VIDEO_SSRC};
  if (sfu_transport_set_remote(s, *tid, sess->ice_ufrag, sess->fp) != SFU_OK ||
      sfu_transport_subscribe(s, *tid, ssrcs, NULL, 2) != SFU_OK)
    goto out;
  rc = 0;
out:
  free(sess);
  free(r);
  return rc;
}

/* Sends count audio and video packets from the publisher, a few per 5 ms. */
static void publish_rtp(uv_loop_t *loop, sc_peer *peer, uint16_t *vseq, uint16_t *aseq, int count) {
  for (int i = 0; i < count; i++) {
    for (int k = 0; k < 2; k++) {
      bool video = k == 1;
      uint16_t seq = video ? (*vseq)++ : (*aseq)++;
      uint8_t pkt[12 + 200 + SC_PEER_SEND_ROOM];
      pkt[0] = 0x80;
      pkt[1] = video ? SC_PT_VP8 : SC_PT_OPUS;
      pkt[2] = (uint8_t)(seq >> 8);
      pkt[3] = (uint8_t)seq;
      uint32_t ts = (uint32_t)seq * (video ? 3000u : 960u), ssrc = video ? VIDEO_SSRC : AUDIO_SSRC;
      for (int b = 0; b < 4; b++) {
        pkt[4 + b] = (uint8_t)(ts >> (24 - 8 * b));
        pkt[8 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
      }
      payload_pattern(pkt + 12, 200, seq);
      CHECK_EQ_INT(sc_peer_send_rtp(peer, pkt, 12 + 200, sizeof pkt), 0);
    }
    if (i % 4 == 3) ct_run_for(loop, 5);
  }
}

static int video_missing(const peer_log *l, int from, int to) {
  int missing = 0;
  for (int k = from; k < to; k++) missing += l->video_seen[k] == 0;
  return missing;
}

static void close_peers(uv_loop_t *loop, peer_log *a, peer_log *b) {
  if (a->peer) sc_peer_close(a->peer);
  if (b && b->peer) sc_peer_close(b->peer);
  pair pr = {a, b};
  CHECK(ct_run_until(loop, both_closed, &pr, 2000));
  CHECK_EQ_INT(a->closed, 1);
}

static void stop_sfu(uv_loop_t *loop, sfu *s) {
  sfu_stop(s);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(loop), 0);
}

/* The in-process SFU, a certificate for the peers and the loop they run on. */
typedef struct {
  uv_loop_t loop;
  event_log ev;
  sfu *s;
  dtls_cert *cert;
} sfu_env;

/* true once all of it is up; else false (end_env still cleans up). */
static bool start_env(sfu_env *e) {
  memset(e, 0, sizeof *e);
  if (uv_loop_init(&e->loop) != 0) return false;
  e->s = start_sfu(&e->loop, &e->ev);
  e->cert = dtls_cert_generate();
  return e->s && e->cert;
}

static void end_env(sfu_env *e) {
  if (e->cert) dtls_cert_free(e->cert);
  if (e->s) stop_sfu(&e->loop, e->s);
}

static void test_end_to_end(void) {
  sfu_env e;
  bool up = start_env(&e);
  CHECK(up);
  if (!up) {
    end_env(&e);
    return;
  }
  peer_log *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  a->peer = new_peer(&e.loop, e.cert, a);
  b->peer = new_peer(&e.loop, e.cert, b);
  CHECK(a->peer && b->peer);
  CHECK_EQ_INT(sc_peer_get_state(a->peer), SC_PEER_NEW);
  uint32_t ta = 0, tb = 0;
  CHECK_EQ_INT(connect_publisher(e.s, a->peer, &ta, false), 0);
  CHECK_EQ_INT(connect_subscriber(e.s, b->peer, &tb), 0);
  pair pr = {a, b};
  CHECK(ct_run_until(&e.loop, both_connected, &pr, 5000));
  if (a->state != SC_PEER_CONNECTED || b->state != SC_PEER_CONNECTED) {
    fprintf(stderr, "  states: %s (%s), %s (%s)\n", sc_peer_state_name(a->state), a->reason,
            sc_peer_state_name(b->state), b->reason);
    goto out;
  }
  ct_run_for(&e.loop, 50);
  int connected = 0;
  for (int i = 0; i < e.ev.n && i < 16; i++) connected += e.ev.ev[i].type == SFU_EV_CONNECTED;
  CHECK_EQ_INT(connected, 2);
  sc_peer_counters c;
  sc_peer_get_counters(a->peer, &c);
  CHECK(c.stun_answered >= 1);

  /* 1. Clean path: everything arrives, payload types rewritten. */
  uint16_t vseq = VIDEO_SEQ0, aseq = 100;
  publish_rtp(&e.loop, a->peer, &vseq, &aseq, 40);
  ct_run_for(&e.loop, 200);
  CHECK_EQ_INT(b->rtp_audio, 40);
  CHECK_EQ_INT(b->rtp_video, 40);
  CHECK_EQ_INT(b->bad_rtp, 0);
  CHECK_EQ_INT(b->bad_rx_time, 0);
  CHECK_EQ_INT(video_missing(b, 0, 40), 0);
  /* The new subscriber made the SFU ask the publisher for a key frame. */
  CHECK(a->keyframe_requests >= 1);

  /* 2. The publisher's uplink loses every 5th packet: the SFU NACKs, the
   * publisher resends from its history, the subscriber gets all video. */
  sc_peer_simulate_loss(a->peer, 5, 0);
  publish_rtp(&e.loop, a->peer, &vseq, &aseq, 40);
  sc_peer_simulate_loss(a->peer, 0, 0);
  publish_rtp(&e.loop, a->peer, &vseq, &aseq, 2); /* the last gap shows */
  ct_run_for(&e.loop, 400);
  CHECK_EQ_INT(video_missing(b, 40, 82), 0);
  sc_ssrc_stats st;
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st), 0);
  CHECK(st.outgoing && st.video);
  CHECK(st.nacks_received >= 1);
  CHECK(st.retransmits >= 8);

  /* 3. The subscriber's downlink loses every 7th packet: it NACKs the SFU,
   * which resends from its own history. */
  int before_keyframes = a->keyframe_requests;
  sc_peer_simulate_loss(b->peer, 0, 7);
  publish_rtp(&e.loop, a->peer, &vseq, &aseq, 40);
  sc_peer_simulate_loss(b->peer, 0, 0);
  publish_rtp(&e.loop, a->peer, &vseq, &aseq, 2);
  ct_run_for(&e.loop, 400);
  CHECK_EQ_INT(video_missing(b, 82, 124), 0);
  CHECK_EQ_INT(sc_peer_ssrc_stats(b->peer, VIDEO_SSRC, &st), 0);
  CHECK(!st.outgoing && st.video);
  CHECK(st.nacks_sent >= 1 && st.nack_seqs_sent >= 5);
  CHECK_EQ_INT(st.lost, 0); /* all repaired */
  CHECK(st.packets >= 124);
  CHECK_EQ_INT(st.ext_highest_seq, VIDEO_SEQ0 + 123);
  CHECK(st.sr_received >= 1); /* the publisher's SRs, passed on by the SFU */
  CHECK(b->sender_reports >= 1);
  CHECK_EQ_INT(sc_peer_ssrc_stats(b->peer, AUDIO_SSRC, &st), 0);
  CHECK(st.lost > 0); /* audio losses are not repaired (no history for audio) */

  /* 4. A key frame request from the subscriber reaches the publisher
   * (the SFU passes at most one per 500 ms). */
  ct_run_for(&e.loop, 550);
  CHECK_EQ_INT(sc_peer_request_keyframe(b->peer, VIDEO_SSRC), 0);
  ct_run_for(&e.loop, 100);
  CHECK(a->keyframe_requests > before_keyframes);
  CHECK_EQ_INT(sc_peer_ssrc_stats(b->peer, VIDEO_SSRC, &st), 0);
  CHECK_EQ_INT(st.plis_sent, 1);
  sc_ssrc_stats all[8];
  CHECK_EQ_INT(sc_peer_stats(b->peer, all, 8), 2);
  CHECK_EQ_INT(sc_peer_stats(a->peer, all, 8), 2);
  CHECK_EQ_INT(a->state, SC_PEER_CONNECTED);
  CHECK_EQ_INT(b->state, SC_PEER_CONNECTED);
out:
  close_peers(&e.loop, a, b);
  /* Closing sent close_notify: the worker reports both transports closed. */
  ct_run_for(&e.loop, 100);
  int closed = 0;
  for (int i = 0; i < e.ev.n && i < 16; i++) closed += e.ev.ev[i].type == SFU_EV_CLOSED;
  CHECK_EQ_INT(closed, 2);
  free(a);
  free(b);
  end_env(&e);
}

/* The env and one publisher (consent checks every consent_ms, 0: the
 * default) connected to it until it settles, connected or failed; NULL if
 * the env did not start. */
static peer_log *start_publisher(sfu_env *e, unsigned consent_ms, bool corrupt_fp, uint32_t *tid) {
  bool up = start_env(e);
  CHECK(up);
  peer_log *a = up ? calloc(1, sizeof *a) : NULL;
  if (!a) return NULL;
  a->peer = new_peer_with(&e->loop, e->cert, a, consent_ms);
  CHECK_EQ_INT(connect_publisher(e->s, a->peer, tid, corrupt_fp), 0);
  pair pr = {a, NULL};
  CHECK(ct_run_until(&e->loop, a_settled, &pr, 5000));
  return a;
}

static void test_wrong_fingerprint(void) {
  sfu_env e;
  uint32_t ta = 0;
  peer_log *a = start_publisher(&e, 0, true, &ta);
  if (a) {
    CHECK_EQ_INT(a->state, SC_PEER_FAILED);
    CHECK_EQ_STR(a->reason, "dtls-failed");
    uint8_t pkt[64] = {0x80, SC_PT_VP8};
    CHECK_EQ_INT(sc_peer_send_rtp(a->peer, pkt, 12, sizeof pkt), -1);
    close_peers(&e.loop, a, NULL);
  }
  free(a);
  end_env(&e);
}

/* Consent freshness: checks keep a connected peer alive well past the
 * consent timeout; once the server's transport is gone (no more answers),
 * the peer fails with "consent-lost" after that timeout. */
static void test_consent_lost(void) {
  sfu_env e;
  uint32_t ta = 0;
  peer_log *a = start_publisher(&e, 200, false, &ta); /* checks every ~200 ms, lost after 1 s */
  if (!a) {
    end_env(&e);
    return;
  }
  pair pr = {a, NULL};
  CHECK_EQ_INT(a->state, SC_PEER_CONNECTED);
  ct_run_for(&e.loop, 1500);
  CHECK_EQ_INT(a->state, SC_PEER_CONNECTED);
  sc_peer_counters c;
  sc_peer_get_counters(a->peer, &c);
  CHECK(c.stun_answered >= 5);
  CHECK_EQ_INT(sfu_transport_destroy(e.s, ta), SFU_OK);
  uv_update_time(&e.loop);
  uint64_t t0 = uv_now(&e.loop);
  CHECK(ct_run_until(&e.loop, a_failed, &pr, 3000));
  CHECK_EQ_STR(a->reason, "consent-lost");
  uint64_t took = uv_now(&e.loop) - t0;
  CHECK(took >= 700 && took <= 2000);
  close_peers(&e.loop, a, NULL);
  free(a);
  end_env(&e);
}

static void test_ice_timeout(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  dtls_cert *cert = dtls_cert_generate();
  CHECK(cert != NULL);
  if (!cert) return;
  /* A "server" that takes datagrams and never answers. */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sink = {.sin_family = AF_INET};
  sink.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sink;
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sink, sizeof sink) == 0 &&
        getsockname(fd, (struct sockaddr *)&sink, &sl) == 0);
  peer_log *a = calloc(1, sizeof *a);
  sc_peer_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cert = cert;
  cfg.bind_ip = "127.0.0.1";
  cfg.ice_timeout_ms = 700;
  sc_peer_callbacks cb = callbacks_for(a);
  a->peer = sc_peer_new(&loop, &cfg, &cb);
  CHECK(a->peer != NULL);
  sc_remote *r = calloc(1, sizeof *r);
  snprintf(r->ice_ufrag, sizeof r->ice_ufrag, "SfUl");
  snprintf(r->ice_pwd, sizeof r->ice_pwd, "Pw0123456789abcdefghijKL");
  snprintf(r->setup, sizeof r->setup, "passive");
  /* No UDP candidate: refused. */
  CHECK_EQ_INT(sc_peer_set_remote(a->peer, r), -1);
  memcpy(&r->udp[0].addr, &sink, sizeof sink);
  r->n_udp = 1;
  uv_update_time(&loop);
  uint64_t t0 = uv_now(&loop);
  CHECK_EQ_INT(sc_peer_set_remote(a->peer, r), 0);
  CHECK_EQ_INT(a->state, SC_PEER_CHECKING);
  pair pr = {a, NULL};
  CHECK(ct_run_until(&loop, a_settled, &pr, 3000));
  uint64_t took = uv_now(&loop) - t0;
  CHECK_EQ_INT(a->state, SC_PEER_FAILED);
  CHECK_EQ_STR(a->reason, "ice-timeout");
  CHECK(took >= 690 && took < 1500);
  /* The checks went out, paced: the first at once, then at 500 ms (unless
   * a loaded machine ran the timer only after the deadline). */
  uint8_t buf[1500];
  int got = 0;
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) got++;
  CHECK(got >= 1 && got <= 2);
  close_peers(&loop, a, NULL);
  free(a);
  free(r);
  close(fd);
  dtls_cert_free(cert);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* Binding requests from the server (Janus's libnice sends them even as
 * ICE-lite): answered with XOR-MAPPED-ADDRESS, our pwd's integrity and a
 * fingerprint when they come from a server candidate with USERNAME
 * "ourufrag:theirufrag" and our pwd's integrity; refused silently
 * otherwise; indications ignored. */
static int stun_reply(int fd, const uint8_t txid[12], stun_msg *m, uint8_t *buf, size_t cap) {
  for (int tries = 0; tries < 50; tries++) {
    ssize_t n;
    while ((n = recv(fd, buf, cap, MSG_DONTWAIT)) > 0) {
      if (stun_parse(buf, (size_t)n, m) != STUN_OK) continue;
      if (m->cls == STUN_CLASS_REQUEST) continue; /* the peer's own checks */
      if (memcmp(m->txid, txid, 12) == 0) return (int)n;
    }
    usleep(2000);
  }
  return -1;
}

static void run_loop_briefly(uv_loop_t *loop) {
  for (int i = 0; i < 5; i++) {
    usleep(2000);
    uv_run(loop, UV_RUN_NOWAIT);
  }
}

static void test_stun_requests(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  dtls_cert *cert = dtls_cert_generate();
  CHECK(cert != NULL);
  if (!cert) return;
  int fd[3];
  struct sockaddr_in sa[3];
  for (int i = 0; i < 3; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&sa[i], 0, sizeof sa[i]);
    sa[i].sin_family = AF_INET;
    sa[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa[i];
    CHECK(fd[i] >= 0 && bind(fd[i], (struct sockaddr *)&sa[i], sizeof sa[i]) == 0 &&
          getsockname(fd[i], (struct sockaddr *)&sa[i], &sl) == 0);
  }
  peer_log *a = calloc(1, sizeof *a);
  sc_peer_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.cert = cert;
  cfg.bind_ip = "127.0.0.1";
  sc_peer_callbacks cb = callbacks_for(a);
  a->peer = sc_peer_new(&loop, &cfg, &cb);
  CHECK(a->peer != NULL);
  if (!a->peer) return;
  struct sockaddr_storage local;
  CHECK_EQ_INT(sc_peer_local_addr(a->peer, &local), 0);
  const char *pwd = sc_peer_pwd(a->peer);
  char user[64], bad_user[64], rev_user[64];
  snprintf(user, sizeof user, "%s:SfUl", sc_peer_ufrag(a->peer));
  snprintf(bad_user, sizeof bad_user, "%s:XXXX", sc_peer_ufrag(a->peer));
  snprintf(rev_user, sizeof rev_user, "SfUl:%s", sc_peer_ufrag(a->peer));
  uint8_t req[256], buf[1500];
  uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0};
  stun_msg m;

  /* Before the remote description: nothing to check against, refused. */
  size_t n = stun_build_binding_request(req, sizeof req, txid, user, (const uint8_t *)pwd, strlen(pwd),
                                        0x6e0001ff, false, false, 7);
  sendto(fd[0], req, n, 0, (struct sockaddr *)&local, sizeof local);
  run_loop_briefly(&loop);
  CHECK_EQ_INT(stun_reply(fd[0], txid, &m, buf, sizeof buf), -1);

  sc_remote *r = calloc(1, sizeof *r);
  snprintf(r->ice_ufrag, sizeof r->ice_ufrag, "SfUl");
  snprintf(r->ice_pwd, sizeof r->ice_pwd, "Pw0123456789abcdefghijKL");
  snprintf(r->setup, sizeof r->setup, "passive");
  memcpy(&r->udp[0].addr, &sa[0], sizeof sa[0]);
  memcpy(&r->udp[1].addr, &sa[1], sizeof sa[1]);
  r->n_udp = 2;
  CHECK_EQ_INT(sc_peer_set_remote(a->peer, r), 0);

  /* From either candidate: a success response for us. */
  for (int i = 0; i < 2; i++) {
    txid[11] = (uint8_t)(1 + i);
    n = stun_build_binding_request(req, sizeof req, txid, user, (const uint8_t *)pwd, strlen(pwd),
                                   0x6e0001ff, false, false, 7);
    sendto(fd[i], req, n, 0, (struct sockaddr *)&local, sizeof local);
    run_loop_briefly(&loop);
    int got = stun_reply(fd[i], txid, &m, buf, sizeof buf);
    CHECK(got > 0);
    if (got <= 0) continue;
    CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
    CHECK(m.has_fingerprint && m.has_integrity && m.has_xor_mapped);
    CHECK_EQ_INT(stun_check_integrity(buf, (size_t)got, &m, (const uint8_t *)pwd, strlen(pwd)), STUN_OK);
    const struct sockaddr_in *x = (const struct sockaddr_in *)&m.xor_mapped;
    CHECK(x->sin_family == AF_INET && x->sin_port == sa[i].sin_port &&
          x->sin_addr.s_addr == sa[i].sin_addr.s_addr);
  }
  sc_peer_counters c;
  sc_peer_get_counters(a->peer, &c);
  CHECK_EQ_INT(c.stun_requests_answered, 2);
  uint64_t dropped0 = c.dropped;

  /* Refused silently: a stranger's address, a wrong or reversed username,
   * the wrong key (the server's pwd), no integrity at all. */
  struct {
    int fd;
    const char *user;
    const char *key;
  } bad[] = {{2, user, pwd}, {0, bad_user, pwd}, {0, rev_user, pwd},
             {0, user, "Pw0123456789abcdefghijKL"}, {0, user, NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    txid[11] = (uint8_t)(10 + i);
    n = stun_build_binding_request(req, sizeof req, txid, bad[i].user, (const uint8_t *)bad[i].key,
                                   bad[i].key ? strlen(bad[i].key) : 0, 0x6e0001ff, false, false, 7);
    CHECK(n > 0);
    sendto(fd[bad[i].fd], req, n, 0, (struct sockaddr *)&local, sizeof local);
    run_loop_briefly(&loop);
    CHECK_EQ_INT(stun_reply(fd[bad[i].fd], txid, &m, buf, sizeof buf), -1);
  }
  sc_peer_get_counters(a->peer, &c);
  CHECK_EQ_INT(c.stun_requests_answered, 2);
  CHECK_EQ_INT(c.dropped, dropped0 + 5);

  /* A Binding indication: ignored, not even counted as dropped. */
  uint8_t ind[64] = {0x00, 0x11, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
  memcpy(ind + 8, txid, 12);
  n = stun_finish(ind, 20, sizeof ind, NULL, 0);
  CHECK(n > 0);
  sendto(fd[0], ind, n, 0, (struct sockaddr *)&local, sizeof local);
  run_loop_briefly(&loop);
  sc_peer_get_counters(a->peer, &c);
  CHECK_EQ_INT(c.dropped, dropped0 + 5);
  CHECK_EQ_INT(c.stun_requests_answered, 2);
  CHECK_EQ_INT(a->state, SC_PEER_CHECKING); /* requests change no ICE state */

  close_peers(&loop, a, NULL);
  free(a);
  free(r);
  for (int i = 0; i < 3; i++) close(fd[i]);
  dtls_cert_free(cert);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A publisher a and a subscriber b connected through the in-process SFU. */
typedef struct {
  sfu_env env;
  peer_log *a, *b;
  uint16_t vseq, aseq;
} pair_env;

/* Connects the pair and publishes count packets of each kind. 0, or -1
 * (end_pair still cleans up). */
static int start_pair(pair_env *e, int count) {
  memset(e, 0, sizeof *e);
  e->vseq = VIDEO_SEQ0;
  e->aseq = 100;
  e->a = calloc(1, sizeof *e->a);
  e->b = calloc(1, sizeof *e->b);
  if (!start_env(&e->env) || !e->a || !e->b) return -1;
  sfu_env *v = &e->env;
  e->a->peer = new_peer(&v->loop, v->cert, e->a);
  e->b->peer = new_peer(&v->loop, v->cert, e->b);
  uint32_t ta = 0, tb = 0;
  if (!e->a->peer || !e->b->peer || connect_publisher(v->s, e->a->peer, &ta, false) != 0 ||
      connect_subscriber(v->s, e->b->peer, &tb) != 0)
    return -1;
  pair pr = {e->a, e->b};
  if (!ct_run_until(&v->loop, both_connected, &pr, 5000)) return -1;
  publish_rtp(&v->loop, e->a->peer, &e->vseq, &e->aseq, count);
  ct_run_for(&v->loop, 100);
  return 0;
}

static void end_pair(pair_env *e) {
  if (e->a && e->b) close_peers(&e->env.loop, e->a, e->b);
  free(e->a);
  free(e->b);
  end_env(&e->env);
}

/* n NACK blocks for VIDEO_SSRC after an RR, each naming seqs[0..n_seqs). */
static size_t nack_storm(uint8_t *out, size_t cap, int n, const uint16_t *seqs, int n_seqs) {
  size_t len = rtcp_build_rr(out, cap, 0x5eed);
  for (int i = 0; i < n && len; i++) {
    size_t m = rtcp_build_nack(out + len, cap - len, 0x5eed, VIDEO_SSRC, seqs, n_seqs);
    if (!m) break;
    len += m;
  }
  return len;
}

/* A NACK storm (one RTCP packet naming every packet dozens of times) makes
 * each packet be resent once per 100 ms and at most 256 resends per RTCP
 * packet; the rest are counted as refused. */
static void test_nack_caps(void) {
  pair_env e;
  CHECK_EQ_INT(start_pair(&e, 300), 0);
  peer_log *a = e.a;
  if (!a || a->state != SC_PEER_CONNECTED) goto out;
  sc_ssrc_stats st0, st;
  sc_peer_counters c;
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st0), 0);
  uint16_t seqs[300];
  for (int i = 0; i < 300; i++) seqs[i] = (uint16_t)(VIDEO_SEQ0 + i);
  uint8_t pkt[SC_PEER_MAX_PACKET];
  /* 1. 55 blocks naming the last 40 packets: each resent once. */
  size_t len = nack_storm(pkt, sizeof pkt, 55, seqs + 260, 40);
  CHECK(len > 1300);
  sc_peer_handle_plain(a->peer, pkt, len);
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st), 0);
  CHECK_EQ_INT(st.retransmits - st0.retransmits, 40);
  CHECK_EQ_INT(st.retransmits_refused - st0.retransmits_refused, 54 * 40);
  /* 2. Again at once: nothing resent. */
  len = nack_storm(pkt, sizeof pkt, 55, seqs + 260, 40);
  sc_peer_handle_plain(a->peer, pkt, len);
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st), 0);
  CHECK_EQ_INT(st.retransmits - st0.retransmits, 40);
  CHECK_EQ_INT(st.retransmits_refused - st0.retransmits_refused, 2 * 55 * 40 - 40);
  /* 3. 100 ms later: 300 distinct packets named; 256 resent. */
  ct_run_for(&e.env.loop, 120);
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st0), 0);
  len = rtcp_build_rr(pkt, sizeof pkt, 0x5eed);
  for (int i = 0; i < 300; i += 100)
    len += rtcp_build_nack(pkt + len, sizeof pkt - len, 0x5eed, VIDEO_SSRC, seqs + i, 100);
  sc_peer_handle_plain(a->peer, pkt, len);
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st), 0);
  CHECK_EQ_INT(st.retransmits - st0.retransmits, 256);
  CHECK_EQ_INT(st.retransmits_refused - st0.retransmits_refused, 44);
  sc_peer_get_counters(a->peer, &c);
  CHECK_EQ_INT(c.resends_refused, st.retransmits_refused);
  CHECK_EQ_INT(a->state, SC_PEER_CONNECTED);
out:
  end_pair(&e);
}

/* A flood of PLIs and FIRs: one on_keyframe_request at once, the rest
 * merged into one 300 ms later. */
static void test_keyframe_limit(void) {
  pair_env e;
  CHECK_EQ_INT(start_pair(&e, 8), 0);
  peer_log *a = e.a;
  if (!a || a->state != SC_PEER_CONNECTED) goto out;
  ct_run_for(&e.env.loop, 350); /* past the gap of the SFU's own request for the new subscriber */
  int k0 = a->keyframe_requests;
  sc_peer_counters c0, c;
  sc_peer_get_counters(a->peer, &c0);
  uint8_t pkt[SC_PEER_MAX_PACKET];
  size_t len = rtcp_build_rr(pkt, sizeof pkt, 0x5eed);
  for (int i = 0; i < 40; i++) len += rtcp_build_pli(pkt + len, sizeof pkt - len, 0x5eed, VIDEO_SSRC);
  len += rtcp_build_fir(pkt + len, sizeof pkt - len, 0x5eed, VIDEO_SSRC, 1);
  CHECK(len > 40 * 12);
  for (int round = 0; round < 5; round++) sc_peer_handle_plain(a->peer, pkt, len);
  CHECK_EQ_INT(a->keyframe_requests - k0, 1);
  sc_peer_get_counters(a->peer, &c);
  CHECK_EQ_INT(c.keyframe_requests_limited - c0.keyframe_requests_limited, 5 * 41 - 1);
  ct_run_for(&e.env.loop, 150);
  CHECK_EQ_INT(a->keyframe_requests - k0, 1);
  ct_run_for(&e.env.loop, 250);
  CHECK_EQ_INT(a->keyframe_requests - k0, 2); /* the merged one */
  sc_ssrc_stats st;
  CHECK_EQ_INT(sc_peer_ssrc_stats(a->peer, VIDEO_SSRC, &st), 0);
  CHECK(st.keyframe_requests_limited >= 5 * 41 - 1);
out:
  end_pair(&e);
}

/* sc_peer_rx_time_us is the kernel's arrival time, not the time of reading. */
static void test_rx_time(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  dtls_cert *cert = dtls_cert_generate();
  peer_log *a = calloc(1, sizeof *a);
  a->peer = cert ? new_peer(&loop, cert, a) : NULL;
  CHECK(a->peer != NULL);
  if (!a->peer) goto out;
  struct sockaddr_storage ss;
  CHECK_EQ_INT(sc_peer_local_addr(a->peer, &ss), 0);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  int64_t sent_us = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
  uint8_t junk[20] = {0xff};
  CHECK(sendto(fd, junk, sizeof junk, 0, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == (ssize_t)sizeof junk);
  usleep(100 * 1000);
  ct_run_for(&loop, 20);
  sc_peer_counters c;
  sc_peer_get_counters(a->peer, &c);
  CHECK_EQ_INT(c.datagrams_in, 1);
  CHECK_EQ_INT(c.dropped, 1);
  int64_t at = sc_peer_rx_time_us(a->peer);
  CHECK(at >= sent_us - 1000 && at < sent_us + 50 * 1000);
  close(fd);
out:
  if (a->peer) close_peers(&loop, a, NULL);
  free(a);
  if (cert) dtls_cert_free(cert);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST_SUITE(client_peer, {"publish_offer", test_publish_offer}, {"subscribe_answer", test_subscribe_answer},
           {"end_to_end", test_end_to_end}, {"wrong_fingerprint", test_wrong_fingerprint},
           {"consent_lost", test_consent_lost},
           {"ice_timeout", test_ice_timeout}, {"stun_requests", test_stun_requests},
           {"nack_caps", test_nack_caps}, {"keyframe_limit", test_keyframe_limit}, {"rx_time", test_rx_time});
