/* STUN codec for the ICE-lite server: parser, FINGERPRINT and
 * MESSAGE-INTEGRITY, and the few builders ICE needs (see stun.h).
 * Every multi-byte field goes through the big-endian accessors of
 * common/bytes.h; every length read from the wire is checked against the
 * bytes actually present before it is used. */
#include "ice/stun.h"

#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <string.h>

#include "common/bytes.h"

#define ATTR_HEADER_LEN 4
#define INTEGRITY_ATTR_LEN (ATTR_HEADER_LEN + STUN_INTEGRITY_LEN)
#define FINGERPRINT_ATTR_LEN (ATTR_HEADER_LEN + 4)
#define MAX_MESSAGE_LEN (STUN_HEADER_LEN + 0xFFFFu)

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* ---- CRC-32 (ISO-HDLC, the one zlib and Ethernet use), for FINGERPRINT ---- */

/* Table for the reflected polynomial 0xEDB88320, generated once offline. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* ---- HMAC-SHA1 ---- */

/* The HMAC implementation is fetched once per process (fetching takes the
 * provider store's lock); workers share it read-only. OpenSSL 3 still
 * allocates a little for each MAC context: acceptable because only requests
 * whose USERNAME names a live agent get this far, a few per second per
 * participant (an HMAC costs about 3 us). */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void fetch_hmac(void) { hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL); }

/* HMAC-SHA1 under key of a[0..an) followed by b[0..bn). Returns 0 or -1. */
static int hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *a, size_t an,
                     const uint8_t *b, size_t bn, uint8_t out[STUN_INTEGRITY_LEN]) {
  if (pthread_once(&hmac_once, fetch_hmac) != 0) return -1;
  EVP_MAC_CTX *ctx = hmac_impl ? EVP_MAC_CTX_new(hmac_impl) : NULL;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  size_t out_len = 0;
  int rc = -1;
  if (ctx == NULL || key == NULL || key_len == 0) goto out;
  if (EVP_MAC_init(ctx, key, key_len, params) != 1) goto out;
  if (EVP_MAC_update(ctx, a, an) != 1) goto out;
  if (bn > 0 && EVP_MAC_update(ctx, b, bn) != 1) goto out;
  if (EVP_MAC_final(ctx, out, &out_len, STUN_INTEGRITY_LEN) != 1) goto out;
  rc = out_len == STUN_INTEGRITY_LEN ? 0 : -1;
out:
  EVP_MAC_CTX_free(ctx); /* frees (and cleanses) the keyed state */
  return rc;
}

/* ---- message type: method and class bits are interleaved (RFC 8489 5) ---- */

static uint16_t encode_type(uint16_t method, uint16_t cls) {
  return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
                    (cls & 1) << 4 | (cls & 2) << 7);
}

static uint16_t type_method(uint16_t t) {
  return (uint16_t)((t & 0x000F) | (t & 0x00E0) >> 1 | (t & 0x3E00) >> 2);
}

static uint16_t type_class(uint16_t t) { return (uint16_t)((t >> 4 & 1) | (t >> 7 & 2)); }

/* ---- parsing ---- */

bool stun_looks_like(const uint8_t *p, size_t n) {
  if (p == NULL || n < STUN_HEADER_LEN || (p[0] & 0xC0) != 0) return false;
  size_t len = get_be16(p + 2);
  return len % 4 == 0 && len == n - STUN_HEADER_LEN && get_be32(p + 4) == STUN_MAGIC_COOKIE;
}

/* (XOR-)MAPPED-ADDRESS value v[0..len) into *ss; xor with the cookie and
 * transaction id when xored. */
static stun_status parse_address(const uint8_t *v, size_t len, const uint8_t *header, bool xored,
                                 struct sockaddr_storage *ss) {
  uint8_t mask[16];
  memcpy(mask, header + 4, 16); /* magic cookie, then transaction id */
  if (!xored) memset(mask, 0, sizeof mask);
  memset(ss, 0, sizeof *ss);
  if (len < 4) return STUN_ERR_MALFORMED;
  uint16_t port = (uint16_t)(get_be16(v + 2) ^ get_be16(mask));
  if (v[1] == 0x01 && len == 8) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    uint8_t *a = (uint8_t *)&sin->sin_addr;
    for (int i = 0; i < 4; i++) a[i] = v[4 + i] ^ mask[i];
    return STUN_OK;
  }
  if (v[1] == 0x02 && len == 20) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    for (int i = 0; i < 16; i++) sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ mask[i];
    return STUN_OK;
  }
  return STUN_ERR_MALFORMED;
}

static bool attr_is_known(uint16_t type) {
  switch (type) {
    case STUN_ATTR_MAPPED_ADDRESS:
    case STUN_ATTR_USERNAME:
    case STUN_ATTR_MESSAGE_INTEGRITY:
    case STUN_ATTR_ERROR_CODE:
    case STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case STUN_ATTR_REALM:
    case STUN_ATTR_NONCE:
    case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    case STUN_ATTR_PASSWORD_ALGORITHM:
    case STUN_ATTR_USERHASH:
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
    case STUN_ATTR_PRIORITY:
    case STUN_ATTR_USE_CANDIDATE:
      return true;
    default:
      return false;
  }
}

/* One attribute before MESSAGE-INTEGRITY (or MESSAGE-INTEGRITY itself):
 * type t, value v[0..len), starting at offset pos of packet p. */
static stun_status parse_attr(stun_msg *m, const uint8_t *p, size_t pos, uint16_t t,
                              const uint8_t *v, size_t len) {
  switch (t) {
    case STUN_ATTR_USERNAME:
      if (len > STUN_MAX_USERNAME) return STUN_ERR_MALFORMED;
      if (m->username == NULL) {
        m->username = v;
        m->username_len = len;
      }
      return STUN_OK;
    case STUN_ATTR_MESSAGE_INTEGRITY:
      if (len != STUN_INTEGRITY_LEN) return STUN_ERR_MALFORMED;
      m->has_integrity = true;
      m->integrity_offset = pos;
      return STUN_OK;
    case STUN_ATTR_ERROR_CODE: {
      if (len < 4) return STUN_ERR_MALFORMED;
      unsigned cls = v[2] & 7u, num = v[3];
      if (cls < 3 || cls > 6 || num > 99) return STUN_ERR_MALFORMED;
      if (m->error_code == 0) m->error_code = (uint16_t)(cls * 100 + num);
      return STUN_OK;
    }
    case STUN_ATTR_XOR_MAPPED_ADDRESS: {
      struct sockaddr_storage ss;
      if (parse_address(v, len, p, true, &ss) != STUN_OK) return STUN_ERR_MALFORMED;
      if (!m->has_xor_mapped) {
        m->has_xor_mapped = true;
        m->xor_mapped = ss;
      }
      return STUN_OK;
    }
    case STUN_ATTR_PRIORITY:
      if (len != 4) return STUN_ERR_MALFORMED;
      if (!m->has_priority) {
        m->has_priority = true;
        m->priority = get_be32(v);
      }
      return STUN_OK;
    case STUN_ATTR_USE_CANDIDATE:
      if (len != 0) return STUN_ERR_MALFORMED;
      m->use_candidate = true;
      return STUN_OK;
    case STUN_ATTR_ICE_CONTROLLED:
    case STUN_ATTR_ICE_CONTROLLING:
      if (len != 8) return STUN_ERR_MALFORMED;
      if (!m->ice_controlled && !m->ice_controlling) m->tiebreaker = get_be64(v);
      if (t == STUN_ATTR_ICE_CONTROLLED) m->ice_controlled = true;
      else m->ice_controlling = true;
      return STUN_OK;
    default:
      if (t < 0x8000 && !attr_is_known(t) && m->n_unknown_required < STUN_MAX_UNKNOWN)
        m->unknown_required[m->n_unknown_required++] = t;
      return STUN_OK; /* known but unused here, or comprehension-optional */
  }
}

stun_status stun_parse(const uint8_t *p, size_t n, stun_msg *m) {
  memset(m, 0, sizeof *m);
  if (p == NULL || n < STUN_HEADER_LEN) return STUN_ERR_TRUNCATED;
  uint16_t type = get_be16(p);
  size_t len = get_be16(p + 2);
  if ((type & 0xC000) != 0 || get_be32(p + 4) != STUN_MAGIC_COOKIE || len % 4 != 0)
    return STUN_ERR_MALFORMED;
  if (n - STUN_HEADER_LEN < len) return STUN_ERR_TRUNCATED;
  if (n - STUN_HEADER_LEN > len) return STUN_ERR_MALFORMED; /* trailing bytes */
  m->method = type_method(type);
  m->cls = type_class(type);
  memcpy(m->txid, p + 8, sizeof m->txid);

  size_t pos = STUN_HEADER_LEN;
  while (pos < n) {
    if (n - pos < ATTR_HEADER_LEN) return STUN_ERR_MALFORMED;
    uint16_t t = get_be16(p + pos);
    size_t alen = get_be16(p + pos + 2);
    if (pad4(alen) > n - pos - ATTR_HEADER_LEN) return STUN_ERR_MALFORMED;
    const uint8_t *v = p + pos + ATTR_HEADER_LEN;
    if (t == STUN_ATTR_FINGERPRINT) {
      if (alen != 4) return STUN_ERR_MALFORMED;
      if (pos + FINGERPRINT_ATTR_LEN != n) return STUN_ERR_FINGERPRINT;
      if ((crc32_ieee(p, pos) ^ STUN_FINGERPRINT_XOR) != get_be32(v)) return STUN_ERR_FINGERPRINT;
      m->has_fingerprint = true;
      return STUN_OK;
    }
    if (!m->has_integrity) {
      stun_status s = parse_attr(m, p, pos, t, v, alen);
      if (s != STUN_OK) return s;
    }
    pos += ATTR_HEADER_LEN + pad4(alen);
  }
  return STUN_OK;
}

stun_status stun_check_integrity(const uint8_t *p, size_t n, const stun_msg *m, const uint8_t *key,
                                 size_t key_len) {
  uint8_t header[STUN_HEADER_LEN], mac[STUN_INTEGRITY_LEN];
  if (p == NULL || m == NULL || !m->has_integrity || key == NULL || key_len == 0)
    return STUN_ERR_INTEGRITY;
  size_t off = m->integrity_offset;
  if (off < STUN_HEADER_LEN || off % 4 != 0 || off > n || n - off < INTEGRITY_ATTR_LEN ||
      off + INTEGRITY_ATTR_LEN - STUN_HEADER_LEN > 0xFFFF ||
      get_be16(p + off) != STUN_ATTR_MESSAGE_INTEGRITY)
    return STUN_ERR_INTEGRITY;
  memcpy(header, p, STUN_HEADER_LEN);
  put_be16(header + 2, (uint16_t)(off + INTEGRITY_ATTR_LEN - STUN_HEADER_LEN));
  stun_status s = STUN_ERR_INTEGRITY;
  if (hmac_sha1(key, key_len, header, STUN_HEADER_LEN, p + STUN_HEADER_LEN, off - STUN_HEADER_LEN,
                mac) == 0 &&
      CRYPTO_memcmp(mac, p + off + ATTR_HEADER_LEN, STUN_INTEGRITY_LEN) == 0)
    s = STUN_OK;
  OPENSSL_cleanse(mac, sizeof mac);
  return s;
}

/* ---- building ---- */

size_t stun_finish(uint8_t *buf, size_t len, size_t cap, const uint8_t *key, size_t key_len) {
  size_t need = len + FINGERPRINT_ATTR_LEN + (key ? INTEGRITY_ATTR_LEN : 0);
  if (buf == NULL || len < STUN_HEADER_LEN || len % 4 != 0 || need > cap || need > MAX_MESSAGE_LEN)
    return 0;
  if (key != NULL) {
    uint8_t mac[STUN_INTEGRITY_LEN];
    put_be16(buf + 2, (uint16_t)(len + INTEGRITY_ATTR_LEN - STUN_HEADER_LEN));
    if (hmac_sha1(key, key_len, buf, len, NULL, 0, mac) != 0) return 0;
    put_be16(buf + len, STUN_ATTR_MESSAGE_INTEGRITY);
    put_be16(buf + len + 2, STUN_INTEGRITY_LEN);
    memcpy(buf + len + ATTR_HEADER_LEN, mac, STUN_INTEGRITY_LEN);
    OPENSSL_cleanse(mac, sizeof mac);
    len += INTEGRITY_ATTR_LEN;
  }
  put_be16(buf + 2, (uint16_t)(len + FINGERPRINT_ATTR_LEN - STUN_HEADER_LEN));
  uint32_t crc = crc32_ieee(buf, len) ^ STUN_FINGERPRINT_XOR;
  put_be16(buf + len, STUN_ATTR_FINGERPRINT);
  put_be16(buf + len + 2, 4);
  put_be32(buf + len + ATTR_HEADER_LEN, crc);
  return len + FINGERPRINT_ATTR_LEN;
}

/* Writes a header with length 0 (stun_finish sets it); 0 if cap is too small. */
static size_t put_header(uint8_t *out, size_t cap, uint16_t method, uint16_t cls,
                         const uint8_t txid[12]) {
  if (out == NULL || txid == NULL || cap < STUN_HEADER_LEN || method > 0x0FFF) return 0;
  put_be16(out, encode_type(method, cls));
  put_be16(out + 2, 0);
  put_be32(out + 4, STUN_MAGIC_COOKIE);
  memcpy(out + 8, txid, 12);
  return STUN_HEADER_LEN;
}

/* Appends an attribute header plus len value bytes (zero-padded) at *pos and
 * returns a pointer to the value, or NULL if it does not fit. */
static uint8_t *put_attr(uint8_t *out, size_t cap, size_t *pos, uint16_t type, size_t len) {
  if (len > 0xFFFF || cap < *pos || cap - *pos < ATTR_HEADER_LEN + pad4(len)) return NULL;
  uint8_t *a = out + *pos;
  put_be16(a, type);
  put_be16(a + 2, (uint16_t)len);
  memset(a + ATTR_HEADER_LEN, 0, pad4(len));
  *pos += ATTR_HEADER_LEN + pad4(len);
  return a + ATTR_HEADER_LEN;
}

size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t txid[12],
                                  const struct sockaddr *mapped, const uint8_t *key,
                                  size_t key_len) {
  size_t pos = put_header(out, cap, STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, txid);
  if (pos == 0 || mapped == NULL) return 0;
  uint8_t mask[16];
  put_be32(mask, STUN_MAGIC_COOKIE);
  memcpy(mask + 4, txid, 12);
  uint8_t *v;
  if (mapped->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)mapped;
    const uint8_t *a = (const uint8_t *)&sin->sin_addr;
    if ((v = put_attr(out, cap, &pos, STUN_ATTR_XOR_MAPPED_ADDRESS, 8)) == NULL) return 0;
    v[1] = 0x01;
    put_be16(v + 2, (uint16_t)(ntohs(sin->sin_port) ^ get_be16(mask)));
    for (int i = 0; i < 4; i++) v[4 + i] = a[i] ^ mask[i];
  } else if (mapped->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)mapped;
    if ((v = put_attr(out, cap, &pos, STUN_ATTR_XOR_MAPPED_ADDRESS, 20)) == NULL) return 0;
    v[1] = 0x02;
    put_be16(v + 2, (uint16_t)(ntohs(sin6->sin6_port) ^ get_be16(mask)));
    for (int i = 0; i < 16; i++) v[4 + i] = sin6->sin6_addr.s6_addr[i] ^ mask[i];
  } else {
    return 0;
  }
  return stun_finish(out, pos, cap, key, key_len);
}

static const char *default_reason(uint16_t code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 420: return "Unknown Attribute";
    case 487: return "Role Conflict";
    case 500: return "Server Error";
    default: return "";
  }
}

/* Header plus ERROR-CODE; returns the position after it, or 0. */
static size_t put_error_start(uint8_t *out, size_t cap, uint16_t method, const uint8_t txid[12],
                              uint16_t code, const char *reason) {
  if (code < 300 || code > 699) return 0;
  if (reason == NULL) reason = default_reason(code);
  size_t rlen = strlen(reason);
  if (rlen > STUN_MAX_REASON) return 0;
  size_t pos = put_header(out, cap, method, STUN_CLASS_ERROR, txid);
  if (pos == 0) return 0;
  uint8_t *v = put_attr(out, cap, &pos, STUN_ATTR_ERROR_CODE, 4 + rlen);
  if (v == NULL) return 0;
  v[2] = (uint8_t)(code / 100);
  v[3] = (uint8_t)(code % 100);
  memcpy(v + 4, reason, rlen);
  return pos;
}

size_t stun_build_error(uint8_t *out, size_t cap, uint16_t method, const uint8_t txid[12],
                        uint16_t code, const char *reason, const uint8_t *key, size_t key_len) {
  size_t pos = put_error_start(out, cap, method, txid, code, reason);
  if (pos == 0) return 0;
  return stun_finish(out, pos, cap, key, key_len);
}

size_t stun_build_unknown_attributes(uint8_t *out, size_t cap, uint16_t method,
                                     const uint8_t txid[12], const uint16_t *attrs, int n,
                                     const uint8_t *key, size_t key_len) {
  if (attrs == NULL || n < 1 || n > STUN_MAX_UNKNOWN) return 0;
  size_t pos = put_error_start(out, cap, method, txid, 420, NULL);
  if (pos == 0) return 0;
  uint8_t *v = put_attr(out, cap, &pos, STUN_ATTR_UNKNOWN_ATTRIBUTES, (size_t)n * 2);
  if (v == NULL) return 0;
  for (int i = 0; i < n; i++) put_be16(v + 2 * i, attrs[i]);
  return stun_finish(out, pos, cap, key, key_len);
}

size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t txid[12],
                                  const char *username, const uint8_t *key, size_t key_len,
                                  uint32_t priority, bool use_candidate, bool controlling,
                                  uint64_t tiebreaker) {
  size_t pos = put_header(out, cap, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, txid);
  uint8_t *v;
  if (pos == 0) return 0;
  if (username != NULL) {
    size_t ulen = strlen(username);
    if (ulen > STUN_MAX_USERNAME) return 0;
    if ((v = put_attr(out, cap, &pos, STUN_ATTR_USERNAME, ulen)) == NULL) return 0;
    memcpy(v, username, ulen);
  }
  if ((v = put_attr(out, cap, &pos, STUN_ATTR_PRIORITY, 4)) == NULL) return 0;
  put_be32(v, priority);
  if (use_candidate && put_attr(out, cap, &pos, STUN_ATTR_USE_CANDIDATE, 0) == NULL) return 0;
  v = put_attr(out, cap, &pos, controlling ? STUN_ATTR_ICE_CONTROLLING : STUN_ATTR_ICE_CONTROLLED,
               8);
  if (v == NULL) return 0;
  put_be64(v, tiebreaker);
  return stun_finish(out, pos, cap, key, key_len);
}
