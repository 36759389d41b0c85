/* SDP for the native client: the publish offer, the server's SDP (publish
 * answer, subscribe offer) into an sc_remote, and the subscribe answer. The
 * server's text goes through src/sdp's parser (bounded, strict) and a
 * bounded scan for a=candidate lines; generators use a bounded appender
 * that never writes past cap. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/sdp_client.h"
#include "core/strbuf.h"

#define PROTO_RTP "UDP/TLS/RTP/SAVPF"
#define OPUS_FMTP "minptime=10;useinbandfec=1"
#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"

/* ---- checks (the grammar's character classes: sdp/sdp.h) ---- */

static bool is_ice_string(const char *s, size_t min, size_t max) {
  return s && sdp_is_ice_string(s, strnlen(s, max + 1), min, max);
}

/* RFC 8866 token of 1..max characters. */
static bool is_token(const char *s, size_t max) {
  if (!s) return false;
  size_t n = strnlen(s, max + 1);
  return n <= max && sdp_is_token(s, n);
}

/* "AB:CD:..." of 32 bytes, canonicalised (upper case) into out[96]. */
static bool fingerprint_ok(const char *fp, char out[96]) {
  uint8_t raw[32];
  size_t n;
  return fp && sdp_fingerprint_decode(fp, strnlen(fp, 96), raw, sizeof raw, &n) == 0 && n == 32 &&
         sdp_fingerprint_format(raw, n, out, 96) == 95;
}

static bool candidate_ok(const sc_sdp_candidate *c) {
  if (!c || !c->ip) return true;
  unsigned char a[16];
  return c->port != 0 && strnlen(c->ip, INET6_ADDRSTRLEN) < INET6_ADDRSTRLEN &&
         (inet_pton(AF_INET, c->ip, a) == 1 || inet_pton(AF_INET6, c->ip, a) == 1);
}

static bool local_ok(const sc_local_desc *l, char fp[96]) {
  return l && is_ice_string(l->ice_ufrag, 4, 256) && is_ice_string(l->ice_pwd, 22, 256) &&
         fingerprint_ok(l->fingerprint, fp);
}

/* Our host candidate (checked by candidate_ok), RFC 8839 5.1: foundation 1,
 * component 1, host type preference 126, local preference 65535. */
static void put_candidate(strbuf *w, const sc_sdp_candidate *c) {
  if (!c || !c->ip) return;
  strbuf_put(w, "a=candidate:1 1 udp 2130706431 %s %u typ host\r\na=end-of-candidates\r\n", c->ip,
      (unsigned)c->port);
}

/* ---- publish offer ---- */

static void put_transport(strbuf *w, const sc_local_desc *l, const char *fp, const char *mid,
                          const char *setup) {
  strbuf_put(w, "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
  strbuf_put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n", l->ice_ufrag,
             l->ice_pwd);
  strbuf_put(w, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\na=mid:%s\r\n", fp, setup, mid);
}

static void put_offer_track(strbuf *w, const sc_publish_params *p, const char *fp, bool audio,
                            const char *mid, bool first) {
  unsigned pt = audio ? SC_PT_OPUS : SC_PT_VP8;
  uint32_t ssrc = audio ? p->audio_ssrc : p->video_ssrc;
  const char *track = audio ? p->audio_track_id : p->video_track_id;
  strbuf_put(w, "m=%s 9 " PROTO_RTP " %u\r\n", audio ? "audio" : "video", pt);
  put_transport(w, &p->local, fp, mid, p->setup_active ? "active" : "actpass");
  if (first) put_candidate(w, &p->candidate);
  strbuf_put(w, "a=sendonly\r\na=msid:%s %s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n", p->stream_id,
             track);
  if (audio) {
    if (p->audio_level_ext >= 1 && p->audio_level_ext <= 14)
      strbuf_put(w, "a=extmap:%u " URI_AUDIO_LEVEL "\r\n", (unsigned)p->audio_level_ext);
    strbuf_put(w, "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u " OPUS_FMTP "\r\n", pt, pt);
  } else {
    if (p->n_rids)
      strbuf_put(w, "a=extmap:%u " URI_MID "\r\na=extmap:%u " URI_RID "\r\n", (unsigned)p->mid_ext,
                 (unsigned)p->rid_ext);
    strbuf_put(w, "a=rtpmap:%u VP8/90000\r\n", pt);
    if (p->remb) strbuf_put(w, "a=rtcp-fb:%u goog-remb\r\n", pt);
    strbuf_put(w, "a=rtcp-fb:%u ccm fir\r\na=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\n", pt,
               pt, pt);
    if (p->n_rids) { /* the encodings' SSRCs come with their packets */
      for (int i = 0; i < p->n_rids; i++) strbuf_put(w, "a=rid:%s send\r\n", p->rids[i]);
      strbuf_put(w, "a=simulcast:send ");
      for (int i = 0; i < p->n_rids; i++) strbuf_put(w, "%s%s", i ? ";" : "", p->rids[i]);
      strbuf_put(w, "\r\n");
      return;
    }
  }
  strbuf_put(w, "a=ssrc:%lu cname:%s\r\na=ssrc:%lu msid:%s %s\r\n", (unsigned long)ssrc,
             p->stream_id, (unsigned long)ssrc, p->stream_id, track);
}

/* Simulcast parameters (sc_publish_params): 0 encodings, or 2..SC_MAX_LAYERS
 * distinct token names and distinct extension ids. */
static bool simulcast_ok(const sc_publish_params *p) {
  if (p->n_rids == 0) return true;
  if (p->n_rids < 2 || p->n_rids > SC_MAX_LAYERS || p->mid_ext < 1 || p->mid_ext > 14 || p->rid_ext < 1 ||
      p->rid_ext > 14 || p->mid_ext == p->rid_ext || (p->audio_level_ext && (p->audio_level_ext == p->mid_ext ||
                                                                             p->audio_level_ext == p->rid_ext)))
    return false;
  for (int i = 0; i < p->n_rids; i++) {
    if (!is_token(p->rids[i], SC_RTP_NAME_MAX) || !p->rids[i][0]) return false;
    for (int j = 0; j < i; j++)
      if (strcmp(p->rids[i], p->rids[j]) == 0) return false;
  }
  return true;
}

int sc_sdp_build_publish_offer(const sc_publish_params *p, char *out, size_t cap) {
  strbuf w;
  char fp[96];
  if (strbuf_init(&w, out, cap) != 0 || !p || !local_ok(&p->local, fp) ||
      !candidate_ok(&p->candidate))
    return -1;
  if (!p->audio && !p->video) return -1;
  if (!is_token(p->stream_id, 64)) return -1;
  if (p->audio && (p->audio_ssrc == 0 || !is_token(p->audio_track_id, 64))) return -1;
  if (p->video && (p->video_ssrc == 0 || !is_token(p->video_track_id, 64))) return -1;
  if (!simulcast_ok(p) || (p->n_rids && !p->video)) return -1;
  if (p->audio && p->video && p->audio_ssrc == p->video_ssrc) return -1;
  strbuf_put(&w, "v=0\r\no=- %llu %lu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
      (unsigned long long)p->local.session_id, (unsigned long)p->local.session_version);
  strbuf_put(&w, "a=group:BUNDLE %s\r\n", p->audio && p->video ? "0 1" : "0");
  strbuf_put(&w, "a=msid-semantic: WMS %s\r\n", p->stream_id);
  if (p->audio) put_offer_track(&w, p, fp, true, "0", true);
  if (p->video) put_offer_track(&w, p, fp, false, p->audio ? "1" : "0", !p->audio);
  return strbuf_done(&w);
}

/* ---- parsing the server's SDP ---- */

static int find_codec(const sdp_media *m) {
  for (int i = 0; i < m->n_codecs; i++) {
    const sdp_codec *c = &m->codecs[i];
    if (m->kind == SDP_AUDIO && strcasecmp(c->name, "opus") == 0 && c->clock == 48000 &&
        c->channels == 2)
      return i;
    if (m->kind == SDP_VIDEO && strcasecmp(c->name, "VP8") == 0 && c->clock == 90000) return i;
  }
  return -1;
}

static uint8_t find_ext(const sdp_media *m, const char *uri) {
  for (int i = 0; i < m->n_exts; i++)
    if (m->exts[i].id >= 1 && m->exts[i].id <= 14 && strcmp(m->exts[i].uri, uri) == 0)
      return m->exts[i].id;
  return 0;
}

static void copy_media(const sdp_media *m, sc_media *o) {
  memset(o, 0, sizeof *o);
  o->kind = m->kind;
  memcpy(o->mid, m->mid, sizeof o->mid);
  o->mid[sizeof o->mid - 1] = '\0';
  o->dir = m->dir;
  o->rejected = m->port == 0 && !m->bundle_only;
  int n = m->n_ssrcs < 0 ? 0 : m->n_ssrcs > SDP_MAX_SSRC ? SDP_MAX_SSRC : m->n_ssrcs;
  memcpy(o->ssrcs, m->ssrcs, sizeof(uint32_t) * (size_t)n);
  o->n_ssrcs = n;
  snprintf(o->participant_id, sizeof o->participant_id, "%s", m->msid_stream);
  snprintf(o->track_id, sizeof o->track_id, "%s", m->msid_track);
  int c = (m->kind == SDP_AUDIO || m->kind == SDP_VIDEO) ? find_codec(m) : -1;
  o->pt = c >= 0 ? m->codecs[c].pt : -1;
  o->fb = c >= 0 ? m->codecs[c].fb : 0;
  o->rtcp_mux = m->rtcp_mux;
  o->rtcp_rsize = m->rtcp_rsize;
  o->ext_audio_level = m->kind == SDP_AUDIO ? find_ext(m, URI_AUDIO_LEVEL) : 0;
  o->ext_abs_send_time = m->kind == SDP_VIDEO ? find_ext(m, URI_ABS_SEND_TIME) : 0;
  o->ext_mid = find_ext(m, URI_MID);
  o->ext_rid = m->kind == SDP_VIDEO ? find_ext(m, URI_RID) : 0;
  snprintf(o->media, sizeof o->media, "%s", m->media);
  snprintf(o->proto, sizeof o->proto, "%s", m->proto);
  snprintf(o->fmt0, sizeof o->fmt0, "%s", m->fmt0);
  o->active = !o->rejected && (m->kind == SDP_AUDIO || m->kind == SDP_VIDEO) && o->pt >= 0 &&
              m->dir != SDP_INACTIVE && strcmp(m->proto, PROTO_RTP) == 0;
}

/* Splits the next space-separated word off s[*i..n); false at the end. */
static bool next_word(const char *s, size_t n, size_t *i, const char **w, size_t *wn) {
  while (*i < n && s[*i] == ' ') (*i)++;
  if (*i >= n) return false;
  size_t start = *i;
  while (*i < n && s[*i] != ' ') (*i)++;
  *w = s + start;
  *wn = *i - start;
  return true;
}

static bool word_eq(const char *w, size_t n, const char *lit) {
  return strlen(lit) == n && strncasecmp(w, lit, n) == 0;
}

static bool parse_u32(const char *w, size_t n, uint32_t max, uint32_t *out) {
  if (n == 0 || n > 10) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (w[i] < '0' || w[i] > '9') return false;
    v = v * 10 + (uint64_t)(w[i] - '0');
  }
  if (v > max) return false;
  *out = (uint32_t)v;
  return true;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return false;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* One candidate attribute value: "<foundation> <component> <transport>
 * <priority> <address> <port> typ <type> ...". */
static void parse_candidate(const char *s, size_t n, sc_remote *r) {
  const char *w[8];
  size_t wn[8], i = 0;
  for (int k = 0; k < 8; k++)
    if (!next_word(s, n, &i, &w[k], &wn[k])) {
      r->n_other++;
      return;
    }
  uint32_t comp, prio, port;
  if (!parse_u32(w[1], wn[1], 256, &comp) || !parse_u32(w[3], wn[3], UINT32_MAX, &prio) ||
      !parse_u32(w[5], wn[5], 65535, &port) || port == 0 || !word_eq(w[6], wn[6], "typ") ||
      comp != 1) {
    r->n_other++;
    return;
  }
  if (!word_eq(w[7], wn[7], "host")) {
    r->n_other++;
    return;
  }
  if (word_eq(w[2], wn[2], "tcp")) {
    r->n_tcp++;
    return;
  }
  if (!word_eq(w[2], wn[2], "udp") || wn[4] >= INET6_ADDRSTRLEN) {
    r->n_other++;
    return;
  }
  char ip[INET6_ADDRSTRLEN];
  memcpy(ip, w[4], wn[4]);
  ip[wn[4]] = '\0';
  sc_candidate c;
  memset(&c, 0, sizeof c);
  c.priority = prio;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&c.addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c.addr;
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
  } else {
    r->n_other++;
    return;
  }
  for (int k = 0; k < r->n_udp; k++)
    if (same_addr(&r->udp[k].addr, &c.addr)) return;
  if (r->n_udp < SC_SDP_MAX_CANDIDATES) r->udp[r->n_udp++] = c;
  else r->n_other++;
}

/* Every "a=candidate:" line of the text (sdp_parse has checked the lengths). */
static void scan_candidates(const char *text, size_t len, sc_remote *r) {
  static const char tag[] = "a=candidate:";
  size_t tn = sizeof tag - 1, i = 0;
  while (i < len) {
    size_t end = i;
    while (end < len && text[end] != '\n') end++;
    size_t n = end - i;
    if (n > 0 && text[i + n - 1] == '\r') n--;
    if (n > tn && memcmp(text + i, tag, tn) == 0) parse_candidate(text + i + tn, n - tn, r);
    i = end + 1;
  }
}

int sc_sdp_parse_remote(const char *text, size_t len, sc_remote *out, char *err, size_t errcap) {
  if (err && errcap) err[0] = '\0';
  if (!out || !text) return strbuf_fail(err, errcap, "no input");
  sdp_session *s = malloc(sizeof *s);
  if (!s) return strbuf_fail(err, errcap, "out of memory");
  int rc = -1;
  char perr[96];
  if (sdp_parse(text, len, s, perr, sizeof perr) != 0) {
    strbuf_fail(err, errcap, "%s", perr);
    goto out;
  }
  if (s->ice_ufrag[0] == '\0' || s->ice_pwd[0] == '\0') {
    strbuf_fail(err, errcap, "no ice-ufrag/ice-pwd");
    goto out;
  }
  if (strcmp(s->fp_alg, "sha-256") != 0 || s->fp_len != 32) {
    strbuf_fail(err, errcap, "no sha-256 fingerprint");
    goto out;
  }
  if (strcmp(s->setup, "passive") != 0 && strcmp(s->setup, "actpass") != 0) {
    strbuf_fail(err, errcap, "setup \"%s\": the server must be the DTLS server", s->setup);
    goto out;
  }
  if (s->n_media <= 0 || s->n_media > SC_SDP_MAX_MEDIA || s->n_bundle < 0 ||
      s->n_bundle > SC_SDP_MAX_MEDIA) {
    strbuf_fail(err, errcap, "no m-line");
    goto out;
  }
  memset(out, 0, sizeof *out);
  memcpy(out->ice_ufrag, s->ice_ufrag, sizeof out->ice_ufrag);
  memcpy(out->ice_pwd, s->ice_pwd, sizeof out->ice_pwd);
  out->ice_ufrag[sizeof out->ice_ufrag - 1] = out->ice_pwd[sizeof out->ice_pwd - 1] = '\0';
  out->ice_lite = s->ice_lite;
  memcpy(out->fingerprint, s->fp, 32);
  memcpy(out->setup, s->setup, sizeof out->setup);
  out->setup[sizeof out->setup - 1] = '\0';
  for (int i = 0; i < s->n_bundle; i++) {
    memcpy(out->bundle[i], s->bundle[i], sizeof out->bundle[i]);
    out->bundle[i][sizeof out->bundle[i] - 1] = '\0';
  }
  out->n_bundle = s->n_bundle;
  for (int i = 0; i < s->n_media; i++) copy_media(&s->media[i], &out->media[i]);
  out->n_media = s->n_media;
  scan_candidates(text, len, out);
  rc = 0;
out:
  free(s);
  return rc;
}

int sc_sdp_check_publish_answer(const sc_remote *a, const sc_publish_params *p, char *err,
                                size_t errcap) {
  if (err && errcap) err[0] = '\0';
  if (!a || !p) return strbuf_fail(err, errcap, "no input");
  if (strcmp(a->setup, "passive") != 0)
    return strbuf_fail(err, errcap, "setup \"%s\", expected passive", a->setup);
  int want = (p->audio ? 1 : 0) + (p->video ? 1 : 0);
  if (a->n_media != want) return strbuf_fail(err, errcap, "%d m-lines, expected %d", a->n_media,
                                             want);
  for (int i = 0; i < want; i++) {
    const sc_media *m = &a->media[i];
    bool audio = p->audio && i == 0;
    const char *mid = i == 0 ? "0" : "1";
    if (m->kind != (audio ? SDP_AUDIO : SDP_VIDEO) || strcmp(m->mid, mid) != 0)
      return strbuf_fail(err, errcap, "m-line %d: not the %s line we offered", i,
                         audio ? "audio" : "video");
    if (!m->active || (m->dir != SDP_RECVONLY && m->dir != SDP_SENDRECV))
      return strbuf_fail(err, errcap, "m-line %d: not accepted", i);
    if (m->pt != (audio ? SC_PT_OPUS : SC_PT_VP8))
      return strbuf_fail(err, errcap, "m-line %d: payload type %d", i, m->pt);
    /* Simulcast: the encodings are told apart by the extensions we offered. */
    if (!audio && p->n_rids && (m->ext_mid != p->mid_ext || m->ext_rid != p->rid_ext))
      return strbuf_fail(err, errcap, "m-line %d: simulcast not accepted (no mid and rid extensions)", i);
  }
  return 0;
}

/* ---- subscribe answer ---- */

static void put_answer_codec(strbuf *w, const sc_media *m) {
  unsigned pt = (unsigned)m->pt;
  if (m->kind == SDP_AUDIO) {
    if (m->ext_audio_level) strbuf_put(w, "a=extmap:%u " URI_AUDIO_LEVEL "\r\n",
                                       m->ext_audio_level);
    strbuf_put(w, "a=rtpmap:%u opus/48000/2\r\na=fmtp:%u " OPUS_FMTP "\r\n", pt, pt);
    return;
  }
  if (m->ext_abs_send_time) strbuf_put(w, "a=extmap:%u " URI_ABS_SEND_TIME "\r\n",
                                       m->ext_abs_send_time);
  strbuf_put(w, "a=rtpmap:%u VP8/90000\r\n", pt);
  if (m->fb & SDP_FB_REMB) strbuf_put(w, "a=rtcp-fb:%u goog-remb\r\n", pt);
  if (m->fb & SDP_FB_FIR) strbuf_put(w, "a=rtcp-fb:%u ccm fir\r\n", pt);
  if (m->fb & SDP_FB_NACK) strbuf_put(w, "a=rtcp-fb:%u nack\r\n", pt);
  if (m->fb & SDP_FB_PLI) strbuf_put(w, "a=rtcp-fb:%u nack pli\r\n", pt);
}

/* A line we answer with a transport (not rejected): audio/video with our codec. */
static bool answerable(const sc_media *m) {
  return !m->rejected && (m->kind == SDP_AUDIO || m->kind == SDP_VIDEO) && m->pt >= 0 &&
         m->mid[0] != '\0' && strcmp(m->proto, PROTO_RTP) == 0;
}

int sc_sdp_build_subscribe_answer(const sc_remote *offer, const sc_local_desc *local, char *out,
                                  size_t cap) {
  return sc_sdp_build_subscribe_answer_cand(offer, local, NULL, out, cap);
}

int sc_sdp_build_subscribe_answer_cand(const sc_remote *offer, const sc_local_desc *local,
                                       const sc_sdp_candidate *cand, char *out, size_t cap) {
  strbuf w;
  char fp[96];
  if (strbuf_init(&w, out, cap) != 0 || !offer || !local_ok(local, fp) ||
      !candidate_ok(cand)) return -1;
  if (offer->n_media <= 0 || offer->n_media > SC_SDP_MAX_MEDIA) return -1;
  if (strcmp(offer->setup, "actpass") != 0 && strcmp(offer->setup, "passive") != 0) return -1;
  strbuf_put(&w, "v=0\r\no=- %llu %lu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
      (unsigned long long)local->session_id, (unsigned long)local->session_version);
  strbuf_put(&w, "a=group:BUNDLE");
  for (int i = 0; i < offer->n_media; i++)
    if (answerable(&offer->media[i])) strbuf_put(&w, " %s", offer->media[i].mid);
  strbuf_put(&w, "\r\na=msid-semantic: WMS\r\n");
  bool cand_done = false;
  for (int i = 0; i < offer->n_media; i++) {
    const sc_media *m = &offer->media[i];
    if (!answerable(m)) {
      /* media/proto/fmt0 came through the server parser's token checks */
      if (m->media[0] == '\0' || m->proto[0] == '\0' || m->fmt0[0] == '\0') {
        out[0] = '\0';
        return -1;
      }
      strbuf_put(&w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, m->fmt0);
      if (m->mid[0]) strbuf_put(&w, "a=mid:%s\r\n", m->mid);
      continue;
    }
    bool recv = m->dir == SDP_SENDONLY || m->dir == SDP_SENDRECV;
    strbuf_put(&w, "m=%s 9 " PROTO_RTP " %d\r\n", m->kind == SDP_AUDIO ? "audio" : "video", m->pt);
    put_transport(&w, local, fp, m->mid, "active");
    if (!cand_done) put_candidate(&w, cand);
    cand_done = true;
    strbuf_put(&w, "a=%s\r\na=rtcp-mux\r\n", recv ? "recvonly" : "inactive");
    if (m->rtcp_rsize) strbuf_put(&w, "a=rtcp-rsize\r\n");
    put_answer_codec(&w, m);
  }
  return strbuf_done(&w);
}
