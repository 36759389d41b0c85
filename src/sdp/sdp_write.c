/* SDP generation for the SFU (JSEP, RFC 8829, as an ICE-lite DTLS server):
 * the answer to a browser's publish offer, the offer of the subscribe
 * connection, and the check of the browser's answer to that offer. Output
 * goes into caller buffers through a bounded appender that never writes past
 * cap; anything taken from a parsed offer was validated by the parser. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"
#include "core/strbuf.h"

#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define PROTO_RTP "UDP/TLS/RTP/SAVPF"
/* Opus in-band FEC (a lost packet is rebuilt from the next one's redundant
 * copy) and DTX (a silent microphone sends a packet every 400 ms instead of
 * every 20 ms); the publish answer is what makes the browser's encoder use
 * them (RFC 7587 7.1: the parameters say what the receiver prefers). */
#define OPUS_FMTP "minptime=10;useinbandfec=1;usedtx=1"
#define VIDEO_FB (SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB)

/* The SFU's side, validated once: ICE credentials, certificate fingerprint
 * in canonical form, and the host candidate. */
typedef struct {
  const char *ufrag, *pwd, *ip;
  const char *ipver; /* "IP4" | "IP6" */
  uint16_t port;
  uint8_t candidates;
  uint64_t session_id;
  uint32_t session_version;
  char fp[3 * 32];
} local_info;

static int check_local(const sdp_local *l, local_info *li) {
  if (!l || !l->ice_ufrag || !l->ice_pwd || !l->fingerprint || !l->ip || l->port == 0) return -1;
  if (!sdp_is_ice_string(l->ice_ufrag, strlen(l->ice_ufrag), 4, 256) ||
      !sdp_is_ice_string(l->ice_pwd, strlen(l->ice_pwd), 22, 256))
    return -1;
  uint8_t fp[32], addr[16];
  size_t n;
  if (sdp_fingerprint_decode(l->fingerprint, strlen(l->fingerprint), fp, sizeof fp, &n) != 0 ||
      n != 32 || sdp_fingerprint_format(fp, n, li->fp, sizeof li->fp) < 0)
    return -1;
  if (inet_pton(AF_INET, l->ip, addr) == 1) li->ipver = "IP4";
  else if (inet_pton(AF_INET6, l->ip, addr) == 1) li->ipver = "IP6";
  else return -1;
  li->ufrag = l->ice_ufrag;
  li->pwd = l->ice_pwd;
  li->ip = l->ip;
  li->port = l->port;
  li->candidates = l->candidates ? l->candidates : SDP_CAND_UDP;
  li->session_id = l->session_id;
  li->session_version = l->session_version;
  return 0;
}

static void put_session_start(strbuf *w, const local_info *li) {
  strbuf_put(w, "v=0\r\no=- %llu %lu IN %s %s\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n",
      (unsigned long long)li->session_id, (unsigned long)li->session_version, li->ipver, li->ip);
}

/* m=, c=, a=mid and the transport lines of a bundled m-line. */
static void put_media_start(strbuf *w, const local_info *li, const char *media, const char *pt,
                            const char *mid, const char *setup) {
  strbuf_put(w, "m=%s 9 " PROTO_RTP " %s\r\nc=IN %s %s\r\na=mid:%s\r\n", media, pt, li->ipver,
             li->ip,
      mid);
  strbuf_put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:%s\r\n",
      li->ufrag, li->pwd, li->fp, setup);
}

/* The host candidates. TCP's priority is below UDP's (local preference
 * 40959 instead of 65535, RFC 6544 4.2), so browsers that can use UDP do. */
static void put_candidate(strbuf *w, const local_info *li) {
  if (li->candidates & SDP_CAND_UDP)
    strbuf_put(w, "a=candidate:1 1 udp 2130706431 %s %u typ host\r\n", li->ip, (unsigned)li->port);
  if (li->candidates & SDP_CAND_TCP)
    strbuf_put(w, "a=candidate:2 1 tcp 2124414975 %s %u typ host tcptype passive\r\n", li->ip,
        (unsigned)li->port);
  strbuf_put(w, "a=end-of-candidates\r\n");
}

static void put_opus(strbuf *w, unsigned pt, uint8_t fb) {
  strbuf_put(w, "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u " OPUS_FMTP "\r\n", pt, pt);
  if (fb & SDP_FB_TCC) strbuf_put(w, "a=rtcp-fb:%u transport-cc\r\n", pt);
}

static void put_vp8(strbuf *w, unsigned pt, uint8_t fb) {
  strbuf_put(w, "a=rtpmap:%u VP8/90000\r\n", pt);
  if (fb & SDP_FB_NACK) strbuf_put(w, "a=rtcp-fb:%u nack\r\n", pt);
  if (fb & SDP_FB_PLI) strbuf_put(w, "a=rtcp-fb:%u nack pli\r\n", pt);
  if (fb & SDP_FB_FIR) strbuf_put(w, "a=rtcp-fb:%u ccm fir\r\n", pt);
  if (fb & SDP_FB_REMB) strbuf_put(w, "a=rtcp-fb:%u goog-remb\r\n", pt);
  if (fb & SDP_FB_TCC) strbuf_put(w, "a=rtcp-fb:%u transport-cc\r\n", pt);
}

/* ---- publish answer ---- */

static bool in_bundle(const sdp_session *s, const char *mid) {
  for (int i = 0; i < s->n_bundle; i++) {
    if (strcmp(s->bundle[i], mid) == 0) return true;
  }
  return false;
}

/* Index of the codec the SFU takes from m-line m, or -1. */
static int choose_codec(const sdp_media *m) {
  for (int i = 0; i < m->n_codecs; i++) {
    const sdp_codec *c = &m->codecs[i];
    size_t n = strlen(c->name);
    if (m->kind == SDP_AUDIO && sdp__eq_nocase(c->name, n, "opus") && c->clock == 48000 &&
        c->channels == 2)
      return i;
    if (m->kind == SDP_VIDEO && sdp__eq_nocase(c->name, n, "VP8") && c->clock == 90000) return i;
  }
  return -1;
}

static uint8_t ext_id(const sdp_media *m, const char *uri) {
  for (int i = 0; i < m->n_exts; i++) {
    if (m->exts[i].id <= 14 && strcmp(m->exts[i].uri, uri) == 0) return m->exts[i].id;
  }
  return 0;
}

/* Simulcast for a video m-line: the a=simulcast send entries that have an
 * a=rid send line, in the simulcast order, at most SDP_MAX_LAYERS; taken
 * when two or more are and the offer has the rtp-stream-id extension (the
 * SFU learns each encoding's SSRC from it). */
static void decide_simulcast(const sdp_media *m, sdp_track *t) {
  uint8_t rid_ext = ext_id(m, URI_RID);
  if (m->kind != SDP_VIDEO || !rid_ext || m->n_simulcast < 2) return;
  int n = 0;
  for (int i = 0; i < m->n_simulcast && n < SDP_MAX_LAYERS; i++)
    for (int j = 0; j < m->n_rids; j++)
      if (strcmp(m->simulcast[i], m->rids[j]) == 0) {
        memcpy(t->rids[n++], m->rids[j], sizeof t->rids[0]);
        break;
      }
  if (n < 2) return;
  t->n_layers = n;
  t->ext_rid = rid_ext;
  t->ssrc = 0;
}

/* Decides what the answer does with m-line i of the offer. */
static void decide_track(const sdp_session *offer, int i, bool *taken_unbundled, sdp_track *t) {
  const sdp_media *m = &offer->media[i];
  memset(t, 0, sizeof *t);
  t->index = i;
  t->kind = m->kind;
  t->dir = SDP_INACTIVE;
  memcpy(t->mid, m->mid, sizeof t->mid);
  if (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO) return;
  if (strcmp(m->proto, PROTO_RTP) != 0 || !m->rtcp_mux || m->mid[0] == '\0') return;
  if (m->port == 0 && !m->bundle_only) return;
  if (offer->n_bundle > 0 ? !in_bundle(offer, m->mid) : *taken_unbundled) return;
  int c = choose_codec(m);
  if (c < 0) return;
  *taken_unbundled = true;
  t->accepted = true;
  t->pt = m->codecs[c].pt;
  snprintf(t->codec, sizeof t->codec, "%s", m->kind == SDP_AUDIO ? "opus" : "VP8");
  t->fb = m->kind == SDP_VIDEO ? (uint8_t)(m->codecs[c].fb & VIDEO_FB) : 0;
  t->ext_audio_level = ext_id(m, URI_AUDIO_LEVEL);
  t->ext_abs_send_time = ext_id(m, URI_ABS_SEND_TIME);
  t->ext_mid = ext_id(m, URI_MID);
  /* Transport-wide CC needs both the sequence numbers (extmap) and the
   * feedback (rtcp-fb): with one alone the browser's estimator gets nothing. */
  uint8_t twcc = ext_id(m, URI_TWCC);
  if (twcc && (m->codecs[c].fb & SDP_FB_TCC)) {
    t->ext_twcc = twcc;
    t->fb |= SDP_FB_TCC;
  }
  t->ssrc = m->n_ssrcs > 0 ? m->ssrcs[0] : 0;
  t->dir = (m->dir == SDP_SENDONLY || m->dir == SDP_SENDRECV) ? SDP_RECVONLY : SDP_INACTIVE;
  decide_simulcast(m, t);
}

static void put_answer_media(strbuf *w, const local_info *li, const sdp_media *m,
                             const sdp_track *t) {
  if (!t->accepted) {
    strbuf_put(w, "m=%s 0 %s %s\r\nc=IN %s %s\r\n", m->media, m->proto, m->fmt0, li->ipver, li->ip);
    if (m->mid[0]) strbuf_put(w, "a=mid:%s\r\n", m->mid);
    return;
  }
  char pt[4];
  snprintf(pt, sizeof pt, "%u", (unsigned)t->pt);
  put_media_start(w, li, m->media, pt, m->mid, "passive");
  strbuf_put(w, "a=%s\r\na=rtcp-mux\r\n", t->dir == SDP_RECVONLY ? "recvonly" : "inactive");
  if (m->rtcp_rsize) strbuf_put(w, "a=rtcp-rsize\r\n");
  if (t->ext_audio_level) strbuf_put(w, "a=extmap:%u " URI_AUDIO_LEVEL "\r\n", t->ext_audio_level);
  if (t->ext_abs_send_time)
    strbuf_put(w, "a=extmap:%u " URI_ABS_SEND_TIME "\r\n", t->ext_abs_send_time);
  if (t->ext_mid) strbuf_put(w, "a=extmap:%u " URI_MID "\r\n", t->ext_mid);
  if (t->ext_twcc) strbuf_put(w, "a=extmap:%u " URI_TWCC "\r\n", t->ext_twcc);
  if (t->ext_rid) strbuf_put(w, "a=extmap:%u " URI_RID "\r\n", t->ext_rid);
  if (t->kind == SDP_AUDIO) put_opus(w, t->pt, t->fb);
  else put_vp8(w, t->pt, t->fb);
  if (t->n_layers) {
    for (int i = 0; i < t->n_layers; i++) strbuf_put(w, "a=rid:%s recv\r\n", t->rids[i]);
    strbuf_put(w, "a=simulcast:recv");
    for (int i = 0; i < t->n_layers; i++) strbuf_put(w, "%s%s", i ? ";" : " ", t->rids[i]);
    strbuf_put(w, "\r\n");
  }
  put_candidate(w, li);
}

int sdp_build_publish_answer(const sdp_session *offer, const sdp_local *local, char *out,
                             size_t cap, sdp_track *tracks, int max_tracks, int *n_tracks) {
  strbuf w;
  local_info li;
  if (n_tracks) *n_tracks = 0;
  if (strbuf_init(&w, out, cap) != 0 || !offer || check_local(local, &li) != 0) return -1;
  if (offer->n_media < 0 || offer->n_media > SDP_MAX_MEDIA || offer->n_bundle < 0 ||
      offer->n_bundle > SDP_MAX_MEDIA)
    return -1;
  if (tracks && max_tracks < offer->n_media) return -1;
  if (offer->ice_ufrag[0] == '\0' || offer->ice_pwd[0] == '\0') return -1;
  if (strcmp(offer->fp_alg, "sha-256") != 0 || offer->fp_len != 32) return -1;
  if (strcmp(offer->setup, "actpass") != 0 && strcmp(offer->setup, "active") != 0) return -1;

  /* Decisions first: the session's BUNDLE line lists the accepted mids. */
  sdp_track scratch[SDP_MAX_MEDIA];
  sdp_track *t = tracks ? tracks : scratch;
  bool taken = false;
  int n_accepted = 0;
  for (int i = 0; i < offer->n_media; i++) {
    decide_track(offer, i, &taken, &t[i]);
    n_accepted += t[i].accepted;
  }
  if (n_tracks) *n_tracks = offer->n_media;
  if (n_accepted == 0) return -1;

  put_session_start(&w, &li);
  if (offer->n_bundle > 0) {
    bool listed[SDP_MAX_MEDIA] = {false};
    strbuf_put(&w, "a=group:BUNDLE");
    for (int b = 0; b < offer->n_bundle; b++) {
      for (int i = 0; i < offer->n_media; i++) {
        if (t[i].accepted && !listed[i] && strcmp(offer->bundle[b], t[i].mid) == 0) {
          listed[i] = true;
          strbuf_put(&w, " %s", t[i].mid);
        }
      }
    }
    strbuf_put(&w, "\r\n");
  }
  strbuf_put(&w, "a=msid-semantic: WMS *\r\n");
  for (int i = 0; i < offer->n_media; i++) put_answer_media(&w, &li, &offer->media[i], &t[i]);
  return strbuf_done(&w);
}

/* ---- subscribe offer ---- */

static bool field_ok(const char *s, size_t cap, size_t max_len) {
  size_t n = strnlen(s, cap);
  return n < cap && n <= max_len && sdp_is_token(s, n);
}

static int check_sub_lines(const sdp_sub_line *lines, int n) {
  if (!lines || n <= 0 || n > SDP_MAX_MEDIA) return -1;
  size_t group_len = strlen("a=group:BUNDLE");
  for (int i = 0; i < n; i++) {
    const sdp_sub_line *l = &lines[i];
    if (l->kind != SDP_AUDIO && l->kind != SDP_VIDEO) return -1;
    if (!field_ok(l->mid, sizeof l->mid, 32)) return -1;
    /* the answer repeats the group line: it must stay parseable */
    group_len += 1 + strlen(l->mid);
    if (group_len > SDP_MAX_LINE) return -1;
    if (l->active && (!field_ok(l->stream_id, sizeof l->stream_id, 64) ||
                      !field_ok(l->track_id, sizeof l->track_id, 64)))
      return -1;
    for (int j = 0; j < i; j++) {
      if (strcmp(lines[j].mid, l->mid) == 0) return -1;
    }
  }
  return 0;
}

static void put_sub_media(strbuf *w, const local_info *li, const sdp_sub_line *l) {
  bool audio = l->kind == SDP_AUDIO;
  char pt[4];
  snprintf(pt, sizeof pt, "%u", audio ? SDP_SUB_PT_OPUS : SDP_SUB_PT_VP8);
  put_media_start(w, li, audio ? "audio" : "video", pt, l->mid, "actpass");
  strbuf_put(w, "a=%s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n", l->active ? "sendonly" : "inactive");
  if (audio) {
    strbuf_put(w, "a=extmap:%u " URI_AUDIO_LEVEL "\r\n", SDP_SUB_EXT_AUDIO_LEVEL);
    put_opus(w, SDP_SUB_PT_OPUS, 0);
  } else {
    strbuf_put(w, "a=extmap:%u " URI_ABS_SEND_TIME "\r\n", SDP_SUB_EXT_ABS_SEND_TIME);
    put_vp8(w, SDP_SUB_PT_VP8, VIDEO_FB);
  }
  if (l->active) {
    strbuf_put(w, "a=msid:%s %s\r\n", l->stream_id, l->track_id);
    strbuf_put(w, "a=ssrc:%lu cname:%s\r\n", (unsigned long)l->ssrc, l->stream_id);
    strbuf_put(w, "a=ssrc:%lu msid:%s %s\r\n", (unsigned long)l->ssrc, l->stream_id, l->track_id);
  }
  put_candidate(w, li);
}

int sdp_build_subscribe_offer(const sdp_sub_line *lines, int n, const sdp_local *local,
                              char *out, size_t cap) {
  strbuf w;
  local_info li;
  if (strbuf_init(&w, out, cap) != 0 || check_local(local, &li) != 0 ||
      check_sub_lines(lines, n) != 0)
    return -1;
  put_session_start(&w, &li);
  strbuf_put(&w, "a=group:BUNDLE");
  for (int i = 0; i < n; i++) strbuf_put(&w, " %s", lines[i].mid);
  strbuf_put(&w, "\r\na=msid-semantic: WMS *\r\n");
  for (int i = 0; i < n; i++) put_sub_media(&w, &li, &lines[i]);
  return strbuf_done(&w);
}

/* ---- subscribe answer check ---- */

static bool has_codec(const sdp_media *m, unsigned pt, const char *name, uint32_t clock) {
  for (int i = 0; i < m->n_codecs; i++) {
    const sdp_codec *c = &m->codecs[i];
    if (c->pt == pt && c->clock == clock && sdp__eq_nocase(c->name, strlen(c->name), name))
      return true;
  }
  return false;
}

int sdp_check_subscribe_answer(const sdp_session *answer, const sdp_sub_line *lines, int n,
                               char *err, size_t errcap) {
  if (err && errcap > 0) err[0] = '\0';
  if (!answer || check_sub_lines(lines, n) != 0)
    return strbuf_fail(err, errcap, "bad subscribe lines");
  if (answer->n_media != n)
    return strbuf_fail(err, errcap, "%d m-lines, expected %d", answer->n_media, n);
  if (answer->ice_ufrag[0] == '\0' || answer->ice_pwd[0] == '\0')
    return strbuf_fail(err, errcap, "no ice-ufrag/ice-pwd");
  if (strcmp(answer->fp_alg, "sha-256") != 0 || answer->fp_len != 32)
    return strbuf_fail(err, errcap, "no sha-256 fingerprint");
  if (strcmp(answer->setup, "active") != 0)
    return strbuf_fail(err, errcap, "setup is \"%s\", expected active", answer->setup);
  for (int i = 0; i < n; i++) {
    const sdp_media *m = &answer->media[i];
    const sdp_sub_line *l = &lines[i];
    if (m->kind != l->kind) return strbuf_fail(err, errcap, "m-line %d: wrong kind", i);
    if (strcmp(m->mid, l->mid) != 0)
      return strbuf_fail(err, errcap, "m-line %d: mid \"%s\", expected \"%s\"", i, m->mid, l->mid);
    if (!l->active) continue;
    if (m->port == 0 && !m->bundle_only)
      return strbuf_fail(err, errcap, "m-line %d: rejected", i);
    if (m->dir != SDP_RECVONLY && m->dir != SDP_INACTIVE)
      return strbuf_fail(err, errcap, "m-line %d: direction not recvonly", i);
    if (!in_bundle(answer, m->mid)) return strbuf_fail(err, errcap, "m-line %d: not bundled", i);
    bool ok = l->kind == SDP_AUDIO ? has_codec(m, SDP_SUB_PT_OPUS, "opus", 48000)
                                   : has_codec(m, SDP_SUB_PT_VP8, "VP8", 90000);
    if (!ok) return strbuf_fail(err, errcap, "m-line %d: codec not accepted", i);
  }
  return 0;
}

int sdp_fingerprint_format(const uint8_t *fp, size_t n, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  if (!fp || !out || n == 0 || n > 64 || cap < 3 * n) return -1;
  for (size_t i = 0; i < n; i++) {
    out[3 * i] = hex[fp[i] >> 4];
    out[3 * i + 1] = hex[fp[i] & 15];
    out[3 * i + 2] = i + 1 < n ? ':' : '\0';
  }
  return (int)(3 * n - 1);
}
