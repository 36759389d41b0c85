/* SRTP/SRTCP AEAD_AES_128_GCM (RFC 7714) for one direction, on OpenSSL:
 * key derivation (RFC 3711 4.3, AES-128-CTR), per-SSRC index and replay
 * state, IV and AAD formation, and in-place AES-GCM with a key schedule made
 * once per session (only the IV is set per packet). See srtp_gcm.h. */
#include "dtls/srtp_gcm.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"

#define MAX_PACKET 65536
#define RTP_HEADER_MIN 12
#define RTCP_HEADER_MIN 8
#define SRTCP_WORD 4                         /* E flag and 31-bit index */
#define MAX_RTP_INDEX ((uint64_t)1 << 48)    /* RFC 3711: 32-bit ROC, 16-bit SEQ */
#define MAX_SRTCP_INDEX 0x7fffffffu
#define SRTCP_E_FLAG 0x80000000u
#define WINDOW SR_GCM_REPLAY_WINDOW
#define WINDOW_WORDS (WINDOW / 64)
#define MAX_INBOUND 4096

#define ERR(name) (-(int)srtp_err_status_##name)

/* Indices seen, as a ring: index i is bit i % WINDOW, valid for the WINDOW
 * indices top - WINDOW + 1 .. top. */
typedef struct {
  uint64_t top;
  uint64_t bits[WINDOW_WORDS];
} window;

typedef struct {
  uint32_t ssrc;
  uint32_t rtcp_next; /* outbound: the next SRTCP index */
  window rtp, rtcp;   /* outbound uses rtp only (see allow_repeat_tx) */
  /* outbound: the first 4 tag bytes of the packet protected at each window
   * position (valid where the rtp window's bit is set). A repeat (a NACKed
   * packet sent again) is let out only if it gives the same tag, i.e. the
   * same bytes: GCM must never seal other bytes under a used IV (that would
   * reveal the authentication key of the leg). The SFU forwards with the
   * publisher's sequence numbers, and its history is keyed by them, so a
   * hostile publisher (or a re-published SSRC) can otherwise make it seal
   * new bytes at an index it already used (security review). 4 KiB per
   * outbound SSRC; a tag an attacker cannot predict, 2^-32 to collide. */
  uint32_t *tags;
} stream;

struct sr_gcm {
  int outbound;
  EVP_CIPHER_CTX *rtp, *rtcp; /* keyed once; encrypt (outbound) or decrypt */
  uint8_t rtp_salt[SR_GCM_SALT_LEN], rtcp_salt[SR_GCM_SALT_LEN];
  stream *streams; /* sorted by ssrc */
  size_t n, cap;
};

/* ---- key derivation ---- */

int sr_gcm_kdf(const uint8_t master_key[SR_GCM_KEY_LEN], const uint8_t *master_salt,
               size_t salt_len, uint8_t label, uint8_t *out, size_t out_len) {
  if (!master_key || !master_salt || !out || (salt_len != 12 && salt_len != 14) || out_len == 0 ||
      out_len > (size_t)16 * 65536)
    return -1;
  /* x = (label at byte 7) XOR master salt, as 112 bits; the AES-CM input
   * block is x || 16-bit block counter starting at 0. */
  uint8_t iv[16] = {0};
  memcpy(iv, master_salt, salt_len);
  iv[7] ^= label;
  int rc = -1, outl = 0;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  memset(out, 0, out_len);
  if (c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master_key, iv) == 1 &&
      EVP_EncryptUpdate(c, out, &outl, out, (int)out_len) == 1 && outl == (int)out_len)
    rc = 0;
  EVP_CIPHER_CTX_free(c);
  OPENSSL_cleanse(iv, sizeof iv);
  if (rc != 0) OPENSSL_cleanse(out, out_len);
  return rc;
}

int sr_gcm_derive(const uint8_t master_key[SR_GCM_KEY_LEN],
                  const uint8_t master_salt[SR_GCM_SALT_LEN], sr_gcm_keys *out) {
  if (!out) return -1;
  if (sr_gcm_kdf(master_key, master_salt, SR_GCM_SALT_LEN, 0x00, out->rtp_key, SR_GCM_KEY_LEN) ||
      sr_gcm_kdf(master_key, master_salt, SR_GCM_SALT_LEN, 0x02, out->rtp_salt, SR_GCM_SALT_LEN) ||
      sr_gcm_kdf(master_key, master_salt, SR_GCM_SALT_LEN, 0x03, out->rtcp_key, SR_GCM_KEY_LEN) ||
      sr_gcm_kdf(master_key, master_salt, SR_GCM_SALT_LEN, 0x05, out->rtcp_salt, SR_GCM_SALT_LEN)) {
    OPENSSL_cleanse(out, sizeof *out);
    return -1;
  }
  return 0;
}

/* ---- replay window ---- */

static int win_check(const window *w, uint64_t idx) {
  if (idx > w->top) return 0;
  if (w->top - idx >= WINDOW) return ERR(replay_old);
  size_t pos = (size_t)(idx % WINDOW);
  return (w->bits[pos / 64] >> (pos % 64)) & 1 ? ERR(replay_fail) : 0;
}

static void win_clear(window *w, uint64_t idx) {
  size_t pos = (size_t)(idx % WINDOW);
  w->bits[pos / 64] &= ~((uint64_t)1 << (pos % 64));
}

/* idx has passed win_check and authenticated. */
static void win_add(window *w, uint64_t idx) {
  if (idx > w->top) {
    if (idx - w->top >= WINDOW)
      memset(w->bits, 0, sizeof w->bits);
    else
      for (uint64_t i = w->top + 1; i <= idx; i++) win_clear(w, i);
    w->top = idx;
  }
  size_t pos = (size_t)(idx % WINDOW);
  w->bits[pos / 64] |= (uint64_t)1 << (pos % 64);
}

/* RFC 3711 3.3.1 / appendix A: the index closest to the highest one seen.
 * While that is at most 2^15 the rollover counter is taken as 0 (as libsrtp
 * does, so that a stream may start at any sequence number). The result may
 * be 2^48 or more when the ROC would wrap: the caller refuses it. */
static uint64_t estimate_index(uint64_t top, uint16_t seq) {
  if (top <= 32768) return seq;
  uint64_t roc = top >> 16;
  uint32_t s_l = (uint32_t)(top & 0xffff);
  if (s_l < 32768) {
    if ((uint32_t)seq > s_l + 32768) roc--; /* roc >= 1 here since top > 2^15 */
  } else if (s_l - 32768 > (uint32_t)seq) {
    roc++;
  }
  return roc << 16 | seq;
}

/* ---- streams ---- */

/* Position of ssrc in the sorted table, or where it would go. */
static size_t lower_bound(const sr_gcm *g, uint32_t ssrc) {
  size_t lo = 0, hi = g->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (g->streams[mid].ssrc < ssrc)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static stream *find(const sr_gcm *g, uint32_t ssrc) {
  size_t i = lower_bound(g, ssrc);
  return i < g->n && g->streams[i].ssrc == ssrc ? &g->streams[i] : NULL;
}

static void stream_init(stream *s, uint32_t ssrc) {
  memset(s, 0, sizeof *s);
  s->ssrc = ssrc;
  s->rtcp_next = 1;
}

/* Inserts a copy of *s (whose ssrc is not in the table). NULL if there is
 * no room: inbound tables never grow; outbound ones double. */
static stream *insert(sr_gcm *g, const stream *s) {
  if (g->n == g->cap) {
    if (!g->outbound) return NULL;
    size_t cap = g->cap ? g->cap * 2 : 8;
    if (cap > SIZE_MAX / sizeof *g->streams) return NULL;
    stream *t = realloc(g->streams, cap * sizeof *t);
    if (!t) return NULL;
    g->streams = t;
    g->cap = cap;
  }
  size_t i = lower_bound(g, s->ssrc);
  memmove(&g->streams[i + 1], &g->streams[i], (g->n - i) * sizeof *g->streams);
  g->streams[i] = *s;
  g->n++;
  return &g->streams[i];
}

static stream *find_or_add(sr_gcm *g, uint32_t ssrc) {
  stream *s = find(g, ssrc);
  if (s) return s;
  stream fresh;
  stream_init(&fresh, ssrc);
  if (g->outbound && !(fresh.tags = calloc(WINDOW, sizeof *fresh.tags))) return NULL;
  stream *added = insert(g, &fresh);
  if (!added) free(fresh.tags);
  return added;
}

int sr_gcm_add_ssrc(sr_gcm *g, uint32_t ssrc) {
  if (!g) return ERR(bad_param);
  return find_or_add(g, ssrc) ? 0 : ERR(alloc_fail);
}

int sr_gcm_has_ssrc(const sr_gcm *g, uint32_t ssrc) { return g && find(g, ssrc) ? 1 : 0; }

int sr_gcm_set_rtcp_index(sr_gcm *g, uint32_t ssrc, uint32_t next_index) {
  if (!g || !g->outbound || next_index > MAX_SRTCP_INDEX) return ERR(bad_param);
  stream *s = find_or_add(g, ssrc);
  if (!s) return ERR(alloc_fail);
  s->rtcp_next = next_index;
  return 0;
}

/* ---- sessions ---- */

static EVP_CIPHER_CTX *gcm_ctx(const uint8_t key[SR_GCM_KEY_LEN], int enc) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (!c) return NULL;
  if (EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SR_GCM_SALT_LEN, NULL) != 1 ||
      EVP_CipherInit_ex(c, NULL, NULL, key, NULL, enc) != 1) {
    EVP_CIPHER_CTX_free(c);
    return NULL;
  }
  return c;
}

sr_gcm *sr_gcm_new(const sr_gcm_keys *k, int outbound, size_t max_ssrcs) {
  if (!k || (!outbound && (max_ssrcs == 0 || max_ssrcs > MAX_INBOUND))) return NULL;
  sr_gcm *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->outbound = outbound ? 1 : 0;
  g->rtp = gcm_ctx(k->rtp_key, g->outbound);
  g->rtcp = gcm_ctx(k->rtcp_key, g->outbound);
  memcpy(g->rtp_salt, k->rtp_salt, SR_GCM_SALT_LEN);
  memcpy(g->rtcp_salt, k->rtcp_salt, SR_GCM_SALT_LEN);
  if (!outbound) {
    g->streams = calloc(max_ssrcs, sizeof *g->streams);
    g->cap = max_ssrcs;
  }
  if (!g->rtp || !g->rtcp || (!outbound && !g->streams)) {
    sr_gcm_free(g);
    return NULL;
  }
  return g;
}

void sr_gcm_free(sr_gcm *g) {
  if (!g) return;
  EVP_CIPHER_CTX_free(g->rtp); /* frees and wipes the key schedules */
  EVP_CIPHER_CTX_free(g->rtcp);
  for (size_t i = 0; i < g->n; i++) free(g->streams[i].tags);
  free(g->streams);
  OPENSSL_cleanse(g, sizeof *g);
  free(g);
}

/* ---- AEAD ---- */

/* Encrypts data[0..n) in place under iv with AAD a1 || a2, and writes the
 * tag. 0 or ERR(cipher_fail). */
static int seal(EVP_CIPHER_CTX *c, const uint8_t iv[SR_GCM_SALT_LEN], const uint8_t *a1,
                size_t n1, const uint8_t *a2, size_t n2, uint8_t *data, size_t n,
                uint8_t tag[SR_GCM_TAG_LEN]) {
  int outl = 0;
  uint8_t fin[16];
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1) return ERR(cipher_fail);
  if (n1 && EVP_EncryptUpdate(c, NULL, &outl, a1, (int)n1) != 1) return ERR(cipher_fail);
  if (n2 && EVP_EncryptUpdate(c, NULL, &outl, a2, (int)n2) != 1) return ERR(cipher_fail);
  if (n && (EVP_EncryptUpdate(c, data, &outl, data, (int)n) != 1 || outl != (int)n))
    return ERR(cipher_fail);
  if (EVP_EncryptFinal_ex(c, fin, &outl) != 1 || outl != 0) return ERR(cipher_fail);
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SR_GCM_TAG_LEN, tag) != 1)
    return ERR(cipher_fail);
  return 0;
}

/* Decrypts data[0..n) in place and checks the tag (OpenSSL compares it in
 * constant time). 0, ERR(auth_fail) or ERR(cipher_fail). */
static int open_(EVP_CIPHER_CTX *c, const uint8_t iv[SR_GCM_SALT_LEN], const uint8_t *a1,
                 size_t n1, const uint8_t *a2, size_t n2, uint8_t *data, size_t n,
                 const uint8_t tag[SR_GCM_TAG_LEN]) {
  int outl = 0;
  uint8_t fin[16], t[SR_GCM_TAG_LEN];
  memcpy(t, tag, sizeof t); /* the ctrl takes a non-const pointer */
  if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1) return ERR(cipher_fail);
  if (n1 && EVP_DecryptUpdate(c, NULL, &outl, a1, (int)n1) != 1) return ERR(cipher_fail);
  if (n2 && EVP_DecryptUpdate(c, NULL, &outl, a2, (int)n2) != 1) return ERR(cipher_fail);
  if (n && (EVP_DecryptUpdate(c, data, &outl, data, (int)n) != 1 || outl != (int)n))
    return ERR(cipher_fail);
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SR_GCM_TAG_LEN, t) != 1)
    return ERR(cipher_fail);
  if (EVP_DecryptFinal_ex(c, fin, &outl) != 1) return ERR(auth_fail);
  return 0;
}

/* RFC 7714 8.1: 00 00 || SSRC || ROC || SEQ, XOR the session salt. */
static void rtp_iv(uint8_t iv[SR_GCM_SALT_LEN], const uint8_t salt[SR_GCM_SALT_LEN], uint32_t ssrc,
                   uint64_t index) {
  iv[0] = iv[1] = 0;
  put_be32(iv + 2, ssrc);
  put_be32(iv + 6, (uint32_t)(index >> 16));
  put_be16(iv + 10, (uint16_t)index);
  for (size_t i = 0; i < SR_GCM_SALT_LEN; i++) iv[i] ^= salt[i];
}

/* RFC 7714 9.1: 00 00 || SSRC || 00 00 || 0 + 31-bit index, XOR the salt. */
static void rtcp_iv(uint8_t iv[SR_GCM_SALT_LEN], const uint8_t salt[SR_GCM_SALT_LEN], uint32_t ssrc,
                    uint32_t index) {
  iv[0] = iv[1] = 0;
  put_be32(iv + 2, ssrc);
  iv[6] = iv[7] = 0;
  put_be32(iv + 8, index & MAX_SRTCP_INDEX);
  for (size_t i = 0; i < SR_GCM_SALT_LEN; i++) iv[i] ^= salt[i];
}

/* Length of the RTP header (fixed part, CSRCs, extension) within len, or 0
 * if it does not fit. */
static size_t rtp_header_len(const uint8_t *p, size_t len) {
  if (len < RTP_HEADER_MIN) return 0;
  size_t h = RTP_HEADER_MIN + 4 * (size_t)(p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (h > len || len - h < 4) return 0;
    h += 4 + 4 * (size_t)get_be16(p + h + 2);
  }
  return h <= len ? h : 0;
}

/* ---- SRTP ---- */

int sr_gcm_protect_rtp(sr_gcm *g, uint8_t *pkt, size_t *len, size_t cap) {
  if (!g || !g->outbound || !pkt || !len) return ERR(bad_param);
  size_t n = *len;
  if (n < RTP_HEADER_MIN || n > MAX_PACKET || cap < n || cap - n < SR_GCM_TAG_LEN)
    return ERR(bad_param);
  size_t h = rtp_header_len(pkt, n);
  if (!h) return ERR(parse_err);
  uint32_t ssrc = get_be32(pkt + 8);
  stream *s = find_or_add(g, ssrc);
  if (!s) return ERR(alloc_fail);
  uint64_t idx = estimate_index(s->rtp.top, get_be16(pkt + 2));
  if (idx >= MAX_RTP_INDEX) return ERR(key_expired);
  /* An index protected before may be protected again (a retransmission of
   * the same packet); one older than the window may not. */
  int r = win_check(&s->rtp, idx);
  if (r == ERR(replay_old)) return r;
  int repeat = r == ERR(replay_fail);
  uint8_t iv[SR_GCM_SALT_LEN];
  rtp_iv(iv, g->rtp_salt, ssrc, idx);
  r = seal(g->rtp, iv, pkt, h, NULL, 0, pkt + h, n - h, pkt + n);
  if (r != 0) return r;
  uint32_t tag4;
  memcpy(&tag4, pkt + n, sizeof tag4);
  uint32_t *slot = &s->tags[idx % WINDOW];
  if (repeat && *slot != tag4) { /* other bytes under a used IV: never let them out */
    OPENSSL_cleanse(pkt + h, n - h + SR_GCM_TAG_LEN);
    return ERR(replay_fail);
  }
  *slot = tag4;
  win_add(&s->rtp, idx);
  *len = n + SR_GCM_TAG_LEN;
  return 0;
}

int sr_gcm_unprotect_rtp(sr_gcm *g, uint8_t *pkt, size_t *len) {
  if (!g || g->outbound || !pkt || !len) return ERR(bad_param);
  size_t n = *len;
  if (n < RTP_HEADER_MIN || n > MAX_PACKET) return ERR(bad_param);
  size_t h = rtp_header_len(pkt, n);
  if (!h || n - h < SR_GCM_TAG_LEN) return ERR(parse_err);
  uint32_t ssrc = get_be32(pkt + 8);
  stream fresh, *s = find(g, ssrc);
  if (!s) {
    if (g->n == g->cap) return ERR(alloc_fail);
    stream_init(&fresh, ssrc);
    s = &fresh;
  }
  uint64_t idx = estimate_index(s->rtp.top, get_be16(pkt + 2));
  if (idx >= MAX_RTP_INDEX) return ERR(key_expired);
  int r = win_check(&s->rtp, idx);
  if (r != 0) return r;
  uint8_t iv[SR_GCM_SALT_LEN];
  rtp_iv(iv, g->rtp_salt, ssrc, idx);
  size_t body = n - h - SR_GCM_TAG_LEN;
  r = open_(g->rtp, iv, pkt, h, NULL, 0, pkt + h, body, pkt + h + body);
  if (r != 0) return r;
  if (s == &fresh && !(s = insert(g, &fresh))) return ERR(alloc_fail); /* room checked */
  win_add(&s->rtp, idx);
  *len = h + body;
  return 0;
}

/* ---- SRTCP ---- */

int sr_gcm_protect_rtcp(sr_gcm *g, uint8_t *pkt, size_t *len, size_t cap) {
  if (!g || !g->outbound || !pkt || !len) return ERR(bad_param);
  size_t n = *len;
  if (n < RTCP_HEADER_MIN || n > MAX_PACKET || cap < n ||
      cap - n < SR_GCM_TAG_LEN + SRTCP_WORD)
    return ERR(bad_param);
  uint32_t ssrc = get_be32(pkt + 4);
  stream *s = find_or_add(g, ssrc);
  if (!s) return ERR(alloc_fail);
  if (s->rtcp_next > MAX_SRTCP_INDEX) return ERR(key_expired);
  uint32_t idx = s->rtcp_next++; /* never reused, even if sealing fails */
  uint8_t word[SRTCP_WORD], iv[SR_GCM_SALT_LEN];
  put_be32(word, SRTCP_E_FLAG | idx);
  rtcp_iv(iv, g->rtcp_salt, ssrc, idx);
  int r = seal(g->rtcp, iv, pkt, RTCP_HEADER_MIN, word, SRTCP_WORD, pkt + RTCP_HEADER_MIN,
               n - RTCP_HEADER_MIN, pkt + n);
  if (r != 0) return r;
  memcpy(pkt + n + SR_GCM_TAG_LEN, word, SRTCP_WORD);
  *len = n + SR_GCM_TAG_LEN + SRTCP_WORD;
  return 0;
}

int sr_gcm_unprotect_rtcp(sr_gcm *g, uint8_t *pkt, size_t *len) {
  if (!g || g->outbound || !pkt || !len) return ERR(bad_param);
  size_t n = *len;
  if (n < RTCP_HEADER_MIN || n > MAX_PACKET) return ERR(bad_param);
  if (n < RTCP_HEADER_MIN + SR_GCM_TAG_LEN + SRTCP_WORD) return ERR(parse_err);
  const uint8_t *word = pkt + n - SRTCP_WORD;
  uint32_t w = get_be32(word), idx = w & MAX_SRTCP_INDEX;
  size_t end = n - SRTCP_WORD - SR_GCM_TAG_LEN; /* end of the RTCP packet */
  uint32_t ssrc = get_be32(pkt + 4);
  stream fresh, *s = find(g, ssrc);
  if (!s) {
    if (g->n == g->cap) return ERR(alloc_fail);
    stream_init(&fresh, ssrc);
    s = &fresh;
  }
  int r = win_check(&s->rtcp, idx);
  if (r != 0) return r;
  uint8_t iv[SR_GCM_SALT_LEN];
  rtcp_iv(iv, g->rtcp_salt, ssrc, idx);
  if (w & SRTCP_E_FLAG)
    r = open_(g->rtcp, iv, pkt, RTCP_HEADER_MIN, word, SRTCP_WORD, pkt + RTCP_HEADER_MIN,
              end - RTCP_HEADER_MIN, pkt + end);
  else /* authenticated only (RFC 7714 9.2): all of it is AAD */
    r = open_(g->rtcp, iv, pkt, end, word, SRTCP_WORD, pkt + end, 0, pkt + end);
  if (r != 0) return r;
  if (s == &fresh && !(s = insert(g, &fresh))) return ERR(alloc_fail);
  win_add(&s->rtcp, idx);
  *len = end;
  return 0;
}
