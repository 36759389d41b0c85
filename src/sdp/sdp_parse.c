/* SDP parser (RFC 8866) for browser offers and answers: splits the text into
 * lines with every limit checked first, then reads the lines the SFU needs
 * (m=, and the ICE, DTLS, BUNDLE, codec, extmap, SSRC and msid attributes)
 * into an sdp_session. Everything is read through {pointer, length} slices
 * of the caller's text; nothing in it is trusted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"
#include "sdp/sdp_internal.h"

/* A slice of the input text: not NUL-terminated. */
typedef struct {
  const char *p;
  size_t n;
} span;

#define MAX_SEEN_SSRC 32  /* distinct SSRCs remembered per m-line */
#define MAX_SSRC_GROUPS 16 /* FID / FEC-FR groups remembered per m-line */

typedef struct {
  sdp_session *s;
  sdp_media *m; /* current m-line, NULL at session level */
  sdp_dir session_dir;
  int line;
  char *err;
  size_t errcap;
  /* state of the current m-line */
  bool is_rtp;
  bool have_mid;
  bool have_msid_attr;
  bool pt_seen[128];
  bool mapped[SDP_MAX_CODECS], has_fmtp[SDP_MAX_CODECS];
  uint32_t seen_ssrc[MAX_SEEN_SSRC];
  int n_seen_ssrc;
  uint32_t group_first[MAX_SSRC_GROUPS], group_second[MAX_SSRC_GROUPS];
  bool group_fid[MAX_SSRC_GROUPS];
  int n_groups;
  bool have_bundle;
} parser;

/* ---- shared helpers (declared in sdp.h and sdp_internal.h) ---- */

bool sdp_is_token(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool ok = c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
              c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) ||
              (c >= 0x5E && c <= 0x7E);
    if (!ok) return false;
  }
  return true;
}

bool sdp_is_ice_string(const char *s, size_t n, size_t min, size_t max) {
  if (n < min || n > max) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int sdp_fingerprint_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len) {
  /* n bytes of text hold k bytes when n == 3k - 1 */
  if (n < 2 || (n + 1) % 3 != 0 || (n + 1) / 3 > cap) return -1;
  size_t k = (n + 1) / 3;
  for (size_t i = 0; i < k; i++) {
    int hi = hex_value(s[3 * i]), lo = hex_value(s[3 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    if (i + 1 < k && s[3 * i + 2] != ':') return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *out_len = k;
  return 0;
}

bool sdp__eq_nocase(const char *s, size_t n, const char *lit) {
  size_t ln = strlen(lit);
  if (n != ln) return false;
  for (size_t i = 0; i < n; i++) {
    char a = s[i], b = lit[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

/* ---- slices and numbers ---- */

static bool span_eq(span s, const char *lit) {
  size_t ln = strlen(lit);
  return s.n == ln && memcmp(s.p, lit, ln) == 0;
}

/* Takes the next space-separated word off the front of *rest. */
static bool next_word(span *rest, span *word) {
  while (rest->n > 0 && rest->p[0] == ' ') rest->p++, rest->n--;
  if (rest->n == 0) return false;
  size_t i = 0;
  while (i < rest->n && rest->p[i] != ' ') i++;
  word->p = rest->p;
  word->n = i;
  rest->p += i;
  rest->n -= i;
  return true;
}

/* Splits s at the first c: *head before it, *tail after it. False (and *head
 * = s, *tail empty) if there is no c. */
static bool split_at(span s, char c, span *head, span *tail) {
  const char *hit = s.n ? memchr(s.p, c, s.n) : NULL;
  if (!hit) {
    *head = s;
    tail->p = s.p + s.n;
    tail->n = 0;
    return false;
  }
  head->p = s.p;
  head->n = (size_t)(hit - s.p);
  tail->p = hit + 1;
  tail->n = s.n - head->n - 1;
  return true;
}

static span trim(span s) {
  while (s.n > 0 && s.p[0] == ' ') s.p++, s.n--;
  while (s.n > 0 && s.p[s.n - 1] == ' ') s.n--;
  return s;
}

/* Decimal digits only (no sign, no space), value <= max. */
static bool parse_uint(span s, uint64_t max, uint64_t *out) {
  if (s.n == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.p[i] < '0' || s.p[i] > '9') return false;
    v = v * 10 + (uint64_t)(s.p[i] - '0');
    if (v > max) return false; /* max <= UINT32_MAX, so v never wraps */
  }
  *out = v;
  return true;
}

static void copy_span(char *dst, size_t cap, span s) {
  size_t n = s.n < cap - 1 ? s.n : cap - 1;
  memcpy(dst, s.p, n);
  dst[n] = '\0';
}

__attribute__((format(printf, 2, 3))) static int fail(parser *ps, const char *fmt, ...) {
  if (ps->err && ps->errcap > 0) {
    char reason[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (ps->line > 0)
      snprintf(ps->err, ps->errcap, "line %d: %s", ps->line, reason);
    else
      snprintf(ps->err, ps->errcap, "%s", reason);
  }
  return -1;
}

/* ---- m-lines ---- */

static sdp_kind kind_of(span media) {
  if (span_eq(media, "audio")) return SDP_AUDIO;
  if (span_eq(media, "video")) return SDP_VIDEO;
  if (span_eq(media, "application")) return SDP_APPLICATION;
  return SDP_OTHER;
}

/* proto = token *("/" token) */
static bool is_proto(span s) {
  span head, tail = s;
  do {
    bool more = split_at(tail, '/', &head, &tail);
    if (!sdp_is_token(head.p, head.n)) return false;
    if (!more) return true;
  } while (1);
}

/* RTP-based profiles carry payload type numbers as formats. */
static bool proto_is_rtp(span proto) {
  for (size_t i = 0; i + 4 <= proto.n; i++) {
    if (memcmp(proto.p + i, "RTP/", 4) == 0) return true;
  }
  return false;
}

static int find_codec(const sdp_media *m, unsigned pt) {
  for (int i = 0; i < m->n_codecs; i++) {
    if (m->codecs[i].pt == pt) return i;
  }
  return -1;
}

/* Static audio payload types (RFC 3551) that browsers may list without rtpmap. */
static void set_static_codec(sdp_codec *c) {
  static const struct {
    uint8_t pt;
    const char *name;
  } table[] = {{0, "PCMU"}, {8, "PCMA"}, {9, "G722"}, {13, "CN"}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (table[i].pt == c->pt) {
      snprintf(c->name, sizeof c->name, "%s", table[i].name);
      c->clock = 8000;
      c->channels = 1;
    }
  }
}

/* Computes the media SSRC list and the RTX SSRC of the finished m-line. */
static void finish_media(parser *ps) {
  sdp_media *m = ps->m;
  if (!m) return;
  for (int g = 0; g < ps->n_groups; g++) {
    if (!ps->group_fid[g]) continue;
    if (m->rtx_ssrc == 0) m->rtx_ssrc = ps->group_second[g];
    bool dup = false;
    for (int i = 0; i < m->n_ssrcs; i++) dup |= m->ssrcs[i] == ps->group_first[g];
    if (!dup && m->n_ssrcs < SDP_MAX_SSRC) m->ssrcs[m->n_ssrcs++] = ps->group_first[g];
  }
  for (int k = 0; k < ps->n_seen_ssrc; k++) {
    uint32_t v = ps->seen_ssrc[k];
    bool skip = false;
    for (int g = 0; g < ps->n_groups; g++) skip |= ps->group_second[g] == v;
    for (int i = 0; i < m->n_ssrcs; i++) skip |= m->ssrcs[i] == v;
    if (!skip && m->n_ssrcs < SDP_MAX_SSRC) m->ssrcs[m->n_ssrcs++] = v;
  }
  ps->m = NULL;
}

static int parse_m_line(parser *ps, span v) {
  finish_media(ps);
  sdp_session *s = ps->s;
  if (s->n_media >= SDP_MAX_MEDIA) return fail(ps, "more than %d m-lines", SDP_MAX_MEDIA);
  span media, port_word, proto, fmt;
  if (!next_word(&v, &media) || !next_word(&v, &port_word) || !next_word(&v, &proto))
    return fail(ps, "bad m-line");
  if (!sdp_is_token(media.p, media.n) || media.n >= sizeof s->media[0].media)
    return fail(ps, "bad m-line media");
  if (!is_proto(proto) || proto.n >= sizeof s->media[0].proto)
    return fail(ps, "bad m-line proto");
  span port_s, count_s;
  uint64_t port, count;
  bool has_count = split_at(port_word, '/', &port_s, &count_s);
  if (!parse_uint(port_s, 65535, &port)) return fail(ps, "bad m-line port");
  if (has_count && (!parse_uint(count_s, 65535, &count) || count == 0))
    return fail(ps, "bad m-line port count");

  sdp_media *m = &s->media[s->n_media++];
  memset(m, 0, sizeof *m);
  ps->m = m;
  m->kind = kind_of(media);
  m->port = (uint16_t)port;
  m->dir = ps->session_dir;
  copy_span(m->media, sizeof m->media, media);
  copy_span(m->proto, sizeof m->proto, proto);
  ps->is_rtp = proto_is_rtp(proto);
  ps->have_mid = ps->have_msid_attr = false;
  memset(ps->pt_seen, 0, sizeof ps->pt_seen);
  memset(ps->mapped, 0, sizeof ps->mapped);
  memset(ps->has_fmtp, 0, sizeof ps->has_fmtp);
  ps->n_seen_ssrc = ps->n_groups = 0;

  int n_fmt = 0;
  while (next_word(&v, &fmt)) {
    if (!sdp_is_token(fmt.p, fmt.n)) return fail(ps, "bad m-line format");
    if (n_fmt++ == 0) {
      if (fmt.n >= sizeof m->fmt0) return fail(ps, "bad m-line format");
      copy_span(m->fmt0, sizeof m->fmt0, fmt);
    }
    if (!ps->is_rtp) continue;
    uint64_t pt;
    if (!parse_uint(fmt, 127, &pt)) return fail(ps, "bad payload type in m-line");
    if (ps->pt_seen[pt]) return fail(ps, "duplicate payload type %u", (unsigned)pt);
    ps->pt_seen[pt] = true;
    if (m->n_codecs >= SDP_MAX_CODECS) continue;
    sdp_codec *c = &m->codecs[m->n_codecs++];
    c->pt = (uint8_t)pt;
    c->apt = -1;
    if (m->kind == SDP_AUDIO) set_static_codec(c);
  }
  if (n_fmt == 0) return fail(ps, "m-line without formats");
  return 0;
}

/* ---- attributes ---- */

static int attr_rtpmap(parser *ps, span v) {
  span pt_s, enc, name, rest, clock_s, chan_s;
  uint64_t pt, clock, chans = 0;
  if (!next_word(&v, &pt_s) || !parse_uint(pt_s, 127, &pt) || !next_word(&v, &enc))
    return fail(ps, "bad rtpmap");
  split_at(enc, '/', &name, &rest);
  bool has_chan = split_at(rest, '/', &clock_s, &chan_s);
  if (!sdp_is_token(name.p, name.n) || name.n >= sizeof ps->m->codecs[0].name)
    return fail(ps, "bad rtpmap encoding name");
  if (!parse_uint(clock_s, UINT32_MAX, &clock) || clock == 0)
    return fail(ps, "bad rtpmap clock rate");
  if (has_chan && (!parse_uint(chan_s, 255, &chans) || chans == 0))
    return fail(ps, "bad rtpmap channels");
  int i = find_codec(ps->m, (unsigned)pt);
  if (i < 0 || ps->mapped[i]) return 0; /* not in the m-line, or a repeat: first wins */
  ps->mapped[i] = true;
  sdp_codec *c = &ps->m->codecs[i];
  copy_span(c->name, sizeof c->name, name);
  c->clock = (uint32_t)clock;
  c->channels = (uint8_t)(has_chan ? chans : (ps->m->kind == SDP_AUDIO ? 1 : 0));
  return 0;
}

static int attr_fmtp(parser *ps, span v) {
  span pt_s;
  uint64_t pt;
  if (!next_word(&v, &pt_s) || !parse_uint(pt_s, 127, &pt)) return fail(ps, "bad fmtp");
  span params = trim(v);
  if (params.n >= sizeof ps->m->codecs[0].fmtp) return fail(ps, "fmtp too long");
  int apt = -1;
  span rest = params, one;
  while (rest.n > 0) {
    split_at(rest, ';', &one, &rest);
    one = trim(one);
    if (one.n >= 4 && memcmp(one.p, "apt=", 4) == 0) {
      uint64_t a;
      span num = {one.p + 4, one.n - 4};
      if (!parse_uint(num, 127, &a)) return fail(ps, "bad fmtp apt");
      if (apt < 0) apt = (int)a;
    }
  }
  int i = find_codec(ps->m, (unsigned)pt);
  if (i < 0 || ps->has_fmtp[i]) return 0;
  ps->has_fmtp[i] = true;
  copy_span(ps->m->codecs[i].fmtp, sizeof ps->m->codecs[i].fmtp, params);
  ps->m->codecs[i].apt = apt;
  return 0;
}

static int attr_rtcp_fb(parser *ps, span v) {
  span pt_s, type, param;
  uint64_t pt = 0;
  if (!next_word(&v, &pt_s) || !next_word(&v, &type)) return fail(ps, "bad rtcp-fb");
  bool all = span_eq(pt_s, "*");
  if (!all && !parse_uint(pt_s, 127, &pt)) return fail(ps, "bad rtcp-fb payload type");
  bool has_param = next_word(&v, &param);
  uint8_t bit = 0;
  if (span_eq(type, "nack"))
    bit = !has_param ? SDP_FB_NACK : span_eq(param, "pli") ? SDP_FB_PLI : 0;
  else if (span_eq(type, "ccm"))
    bit = has_param && span_eq(param, "fir") ? SDP_FB_FIR : 0;
  else if (span_eq(type, "goog-remb"))
    bit = SDP_FB_REMB;
  else if (span_eq(type, "transport-cc"))
    bit = SDP_FB_TCC;
  for (int i = 0; i < ps->m->n_codecs; i++) {
    if (all || ps->m->codecs[i].pt == pt) ps->m->codecs[i].fb |= bit;
  }
  return 0;
}

static int attr_extmap(parser *ps, span v) {
  span id_word, id_s, dir_s, uri;
  uint64_t id;
  if (!next_word(&v, &id_word) || !next_word(&v, &uri)) return fail(ps, "bad extmap");
  bool has_dir = split_at(id_word, '/', &id_s, &dir_s);
  if (!parse_uint(id_s, 255, &id) || id == 0) return fail(ps, "bad extmap id");
  if (has_dir && !(span_eq(dir_s, "sendrecv") || span_eq(dir_s, "sendonly") ||
                   span_eq(dir_s, "recvonly") || span_eq(dir_s, "inactive")))
    return fail(ps, "bad extmap direction");
  sdp_media *m = ps->m;
  for (int i = 0; i < m->n_exts; i++) {
    if (m->exts[i].id == id) return fail(ps, "duplicate extmap id %u", (unsigned)id);
  }
  if (uri.n >= sizeof m->exts[0].uri || m->n_exts >= SDP_MAX_EXT) return 0; /* not ours */
  m->exts[m->n_exts].id = (uint8_t)id;
  copy_span(m->exts[m->n_exts].uri, sizeof m->exts[0].uri, uri);
  m->n_exts++;
  return 0;
}

/* "<stream> [<track>]" into the m-line's msid fields. */
static int set_msid(parser *ps, span v) {
  span stream, track = {v.p, 0};
  if (!next_word(&v, &stream) || !sdp_is_token(stream.p, stream.n) ||
      stream.n >= sizeof ps->m->msid_stream)
    return fail(ps, "bad msid");
  if (next_word(&v, &track) &&
      (!sdp_is_token(track.p, track.n) || track.n >= sizeof ps->m->msid_track))
    return fail(ps, "bad msid track");
  copy_span(ps->m->msid_stream, sizeof ps->m->msid_stream, stream);
  copy_span(ps->m->msid_track, sizeof ps->m->msid_track, track);
  return 0;
}

static void remember_ssrc(parser *ps, uint32_t v) {
  for (int i = 0; i < ps->n_seen_ssrc; i++) {
    if (ps->seen_ssrc[i] == v) return;
  }
  if (ps->n_seen_ssrc < MAX_SEEN_SSRC) ps->seen_ssrc[ps->n_seen_ssrc++] = v;
}

static int attr_ssrc(parser *ps, span v) {
  span ssrc_s, name, value;
  uint64_t ssrc;
  if (!next_word(&v, &ssrc_s) || !parse_uint(ssrc_s, UINT32_MAX, &ssrc))
    return fail(ps, "bad ssrc");
  remember_ssrc(ps, (uint32_t)ssrc);
  span attr = trim(v);
  if (split_at(attr, ':', &name, &value) && span_eq(name, "msid") && !ps->have_msid_attr &&
      ps->m->msid_stream[0] == '\0')
    return set_msid(ps, value);
  return 0;
}

static int attr_ssrc_group(parser *ps, span v) {
  span sem, num;
  uint64_t ssrc[2] = {0, 0};
  int k = 0;
  if (!next_word(&v, &sem) || !sdp_is_token(sem.p, sem.n)) return fail(ps, "bad ssrc-group");
  while (next_word(&v, &num)) {
    uint64_t x;
    if (!parse_uint(num, UINT32_MAX, &x)) return fail(ps, "bad ssrc-group ssrc");
    if (k < 2) ssrc[k] = x;
    k++;
  }
  bool fid = span_eq(sem, "FID");
  if ((fid || span_eq(sem, "FEC-FR")) && k >= 2 && ps->n_groups < MAX_SSRC_GROUPS) {
    ps->group_first[ps->n_groups] = (uint32_t)ssrc[0];
    ps->group_second[ps->n_groups] = (uint32_t)ssrc[1];
    ps->group_fid[ps->n_groups] = fid;
    ps->n_groups++;
  }
  return 0;
}

/* RFC 8851 rid-id: 1*(ALPHA / DIGIT / "-" / "_"). */
static bool is_rid(span r) {
  if (r.n == 0) return false;
  for (size_t i = 0; i < r.n; i++) {
    char c = r.p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return true;
}

/* "a=rid:<id> send|recv [params]": send rids are kept, in order. */
static int attr_rid(parser *ps, span v) {
  span id, dir;
  if (!next_word(&v, &id) || !is_rid(id) || !next_word(&v, &dir)) return fail(ps, "bad rid");
  if (!span_eq(dir, "send") && !span_eq(dir, "recv")) return fail(ps, "bad rid direction");
  sdp_media *m = ps->m;
  if (!span_eq(dir, "send") || id.n > SDP_RID_MAX || m->n_rids >= SDP_MAX_RIDS) return 0; /* not ours */
  for (int i = 0; i < m->n_rids; i++)
    if (strlen(m->rids[i]) == id.n && memcmp(m->rids[i], id.p, id.n) == 0) return fail(ps, "duplicate rid");
  copy_span(m->rids[m->n_rids++], sizeof m->rids[0], id);
  return 0;
}

/* "a=simulcast:send <list> [recv <list>]" (or recv first): of the first
 * such line, the send list's entries, each its first alternative without
 * a leading "~" (RFC 8853 5.1). */
static int attr_simulcast(parser *ps, span v) {
  sdp_media *m = ps->m;
  span dir, list;
  bool first = m->n_simulcast == 0;
  while (next_word(&v, &dir)) {
    if (!next_word(&v, &list)) return fail(ps, "bad simulcast");
    bool send = span_eq(dir, "send");
    if (!send && !span_eq(dir, "recv")) return fail(ps, "bad simulcast direction");
    span entry, rest = list;
    for (bool more = true; more;) {
      more = split_at(rest, ';', &entry, &rest);
      span alt, other;
      split_at(entry, ',', &alt, &other);
      if (alt.n > 0 && alt.p[0] == '~') alt.p++, alt.n--;
      if (!is_rid(alt)) return fail(ps, "bad simulcast rid");
      if (send && first && alt.n <= SDP_RID_MAX && m->n_simulcast < SDP_MAX_RIDS)
        copy_span(m->simulcast[m->n_simulcast++], sizeof m->simulcast[0], alt);
    }
  }
  return 0;
}

static int attr_mid(parser *ps, span v) {
  sdp_session *s = ps->s;
  if (!sdp_is_token(v.p, v.n) || v.n >= sizeof s->media[0].mid) return fail(ps, "bad mid");
  if (ps->have_mid) return fail(ps, "two mids in one m-line");
  for (int i = 0; i + 1 < s->n_media; i++) {
    if (strlen(s->media[i].mid) == v.n && memcmp(s->media[i].mid, v.p, v.n) == 0)
      return fail(ps, "duplicate mid");
  }
  ps->have_mid = true;
  copy_span(ps->m->mid, sizeof ps->m->mid, v);
  return 0;
}

static int attr_group(parser *ps, span v) {
  span sem, mid;
  if (!next_word(&v, &sem)) return fail(ps, "bad group");
  if (!span_eq(sem, "BUNDLE")) return 0;
  bool first = !ps->have_bundle;
  ps->have_bundle = true;
  while (next_word(&v, &mid)) {
    if (!sdp_is_token(mid.p, mid.n) || mid.n >= sizeof ps->s->bundle[0])
      return fail(ps, "bad BUNDLE mid");
    if (!first) continue; /* only the first BUNDLE group is kept */
    if (ps->s->n_bundle >= SDP_MAX_MEDIA) return fail(ps, "too many BUNDLE mids");
    copy_span(ps->s->bundle[ps->s->n_bundle++], sizeof ps->s->bundle[0], mid);
  }
  return 0;
}

static size_t fp_len_of(const char *alg) {
  static const struct {
    const char *alg;
    size_t len;
  } table[] = {{"sha-1", 20},   {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48},
               {"sha-512", 64}, {"md5", 16},     {"md2", 16}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(alg, table[i].alg) == 0) return table[i].len;
  }
  return 0;
}

static int attr_fingerprint(parser *ps, span v) {
  span alg, hex;
  char name[16];
  uint8_t bytes[64];
  size_t n;
  if (!next_word(&v, &alg) || !next_word(&v, &hex) || !sdp_is_token(alg.p, alg.n) ||
      alg.n >= sizeof name)
    return fail(ps, "bad fingerprint");
  for (size_t i = 0; i < alg.n; i++) {
    char c = alg.p[i];
    name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  name[alg.n] = '\0';
  if (sdp_fingerprint_decode(hex.p, hex.n, bytes, sizeof bytes, &n) != 0)
    return fail(ps, "bad fingerprint hex");
  size_t want = fp_len_of(name);
  if (want && n != want) return fail(ps, "fingerprint length does not match %s", name);
  sdp_session *s = ps->s;
  bool have_256 = strcmp(s->fp_alg, "sha-256") == 0;
  if (s->fp_len == 0 || (!have_256 && strcmp(name, "sha-256") == 0)) {
    memcpy(s->fp_alg, name, alg.n + 1);
    memcpy(s->fp, bytes, n);
    s->fp_len = n;
  }
  return 0;
}

static int attr_setup(parser *ps, span v) {
  if (!(span_eq(v, "active") || span_eq(v, "passive") || span_eq(v, "actpass") ||
        span_eq(v, "holdconn")))
    return fail(ps, "bad setup");
  if (ps->s->setup[0] == '\0') copy_span(ps->s->setup, sizeof ps->s->setup, v);
  return 0;
}

static int attr_ice(parser *ps, span v, bool is_pwd) {
  char *dst = is_pwd ? ps->s->ice_pwd : ps->s->ice_ufrag;
  if (!sdp_is_ice_string(v.p, v.n, is_pwd ? 22 : 4, 256))
    return fail(ps, is_pwd ? "bad ice-pwd" : "bad ice-ufrag");
  if (dst[0] == '\0') copy_span(dst, sizeof ps->s->ice_ufrag, v); /* both 257 */
  return 0;
}

static bool direction_of(span name, sdp_dir *dir) {
  if (span_eq(name, "sendrecv")) *dir = SDP_SENDRECV;
  else if (span_eq(name, "sendonly")) *dir = SDP_SENDONLY;
  else if (span_eq(name, "recvonly")) *dir = SDP_RECVONLY;
  else if (span_eq(name, "inactive")) *dir = SDP_INACTIVE;
  else return false;
  return true;
}

static int parse_attribute(parser *ps, span a) {
  span name, v;
  split_at(a, ':', &name, &v);
  sdp_dir dir;
  /* valid at both levels */
  if (span_eq(name, "ice-ufrag")) return attr_ice(ps, v, false);
  if (span_eq(name, "ice-pwd")) return attr_ice(ps, v, true);
  if (span_eq(name, "fingerprint")) return attr_fingerprint(ps, v);
  if (span_eq(name, "setup")) return attr_setup(ps, v);
  if (direction_of(name, &dir)) {
    if (ps->m) ps->m->dir = dir;
    else ps->session_dir = dir;
    return 0;
  }
  if (!ps->m) {
    if (span_eq(name, "ice-lite")) ps->s->ice_lite = true;
    else if (span_eq(name, "group")) return attr_group(ps, v);
    return 0;
  }
  /* media level */
  if (span_eq(name, "mid")) return attr_mid(ps, v);
  if (span_eq(name, "msid")) {
    if (ps->have_msid_attr) return 0;
    ps->have_msid_attr = true;
    return set_msid(ps, v);
  }
  if (span_eq(name, "rtcp-mux")) ps->m->rtcp_mux = true;
  else if (span_eq(name, "rtcp-rsize")) ps->m->rtcp_rsize = true;
  else if (span_eq(name, "bundle-only")) ps->m->bundle_only = true;
  else if (span_eq(name, "extmap")) return attr_extmap(ps, v);
  else if (span_eq(name, "ssrc")) return attr_ssrc(ps, v);
  else if (span_eq(name, "ssrc-group")) return attr_ssrc_group(ps, v);
  else if (span_eq(name, "rid")) return attr_rid(ps, v);
  else if (span_eq(name, "simulcast")) return attr_simulcast(ps, v);
  else if (!ps->is_rtp) return 0; /* codec lines only mean something on RTP m-lines */
  else if (span_eq(name, "rtpmap")) return attr_rtpmap(ps, v);
  else if (span_eq(name, "fmtp")) return attr_fmtp(ps, v);
  else if (span_eq(name, "rtcp-fb")) return attr_rtcp_fb(ps, v);
  return 0;
}

/* ---- lines ---- */

static int parse_line(parser *ps, span line) {
  if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
    return fail(ps, "malformed line");
  span v = {line.p + 2, line.n - 2};
  switch (line.p[0]) {
  case 'v': return fail(ps, "second v= line");
  case 'm': return parse_m_line(ps, v);
  case 'a': return parse_attribute(ps, v);
  default: return 0; /* o=, s=, c=, t=, b=, ...: nothing the SFU needs */
  }
}

static bool has_control_char(span line) {
  for (size_t i = 0; i < line.n; i++) {
    unsigned char c = (unsigned char)line.p[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

int sdp_parse(const char *text, size_t len, sdp_session *out, char *err, size_t errcap) {
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.s = out;
  ps.err = err;
  ps.errcap = errcap;
  ps.session_dir = SDP_SENDRECV;
  if (err && errcap) err[0] = '\0';
  if (!out || (!text && len)) return fail(&ps, "no input");
  memset(out, 0, offsetof(sdp_session, media));
  out->n_media = 0;
  if (len > SDP_MAX_TEXT) return fail(&ps, "description over %d bytes", SDP_MAX_TEXT);

  size_t pos = 0;
  while (pos < len) {
    span line = {text + pos, 0};
    const char *nl = memchr(line.p, '\n', len - pos);
    line.n = nl ? (size_t)(nl - line.p) : len - pos;
    pos += line.n + (nl ? 1 : 0);
    ps.line++;
    if (line.n > 0 && line.p[line.n - 1] == '\r') line.n--;
    if (line.n > SDP_MAX_LINE) return fail(&ps, "line over %d bytes", SDP_MAX_LINE);
    if (has_control_char(line)) return fail(&ps, "control character");
    if (ps.line == 1) {
      if (!span_eq(line, "v=0")) return fail(&ps, "no v=0 line first");
      continue;
    }
    if (line.n == 0) continue;
    if (parse_line(&ps, line) != 0) return -1;
  }
  if (ps.line == 0) return fail(&ps, "no v=0 line first");
  finish_media(&ps);
  return 0;
}
