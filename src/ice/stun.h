/* STUN message codec (RFC 8489, formerly RFC 5389): the subset an ICE-lite
 * server needs. Zero-copy parsing with explicit bounds checks, FINGERPRINT
 * (CRC-32) and short-term-credential MESSAGE-INTEGRITY (HMAC-SHA1), and
 * builders for Binding requests, Binding success responses and error
 * responses. Nothing here allocates or logs; callers pass every buffer
 * (OpenSSL 3 itself allocates a little inside each HMAC computation).
 *
 * Buffer contracts: the parser keeps pointers into the caller's packet
 * (stun_msg.username), valid while the packet is. Builders write only into
 * out[0..cap) and return the message length, or 0 (nothing usable written)
 * when cap is too small or an argument is invalid. */
#ifndef SEALROOM_STUN_H
#define SEALROOM_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u

enum { STUN_CLASS_REQUEST = 0, STUN_CLASS_INDICATION = 1, STUN_CLASS_SUCCESS = 2, STUN_CLASS_ERROR = 3 };
#define STUN_METHOD_BINDING 0x001

/* Attribute types this module knows (RFC 8489 section 18.3, RFC 8445 section 16.1). */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_PASSWORD_ALGORITHM 0x001D
#define STUN_ATTR_USERHASH 0x001E
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY 0x0024
#define STUN_ATTR_USE_CANDIDATE 0x0025
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_ICE_CONTROLLED 0x8029
#define STUN_ATTR_ICE_CONTROLLING 0x802A

#define STUN_FINGERPRINT_XOR 0x5354554eu
#define STUN_INTEGRITY_LEN 20 /* HMAC-SHA1 */
/* Longest USERNAME accepted: two 256-character ICE ufrags and the colon. */
#define STUN_MAX_USERNAME 513
/* Longest ERROR-CODE reason phrase (RFC 8489: fewer than 128 characters, 763 bytes). */
#define STUN_MAX_REASON 763
#define STUN_MAX_UNKNOWN 8

typedef enum {
  STUN_OK = 0,
  STUN_ERR_TRUNCATED = -1,   /* fewer bytes than the header (or its length field) needs */
  STUN_ERR_MALFORMED = -2,   /* not a well-formed STUN message, or a known attribute with a bad value */
  STUN_ERR_FINGERPRINT = -3, /* FINGERPRINT wrong, or not the last attribute */
  STUN_ERR_INTEGRITY = -4,   /* MESSAGE-INTEGRITY absent or does not match the key */
} stun_status;

typedef struct {
  uint16_t method, cls;
  uint8_t txid[12];
  const uint8_t *username; /* view into the packet; NULL if absent */
  size_t username_len;
  bool has_integrity;
  size_t integrity_offset; /* offset of the MESSAGE-INTEGRITY attribute (its type field) */
  bool has_fingerprint;
  bool use_candidate;
  bool has_priority;
  uint32_t priority;
  bool ice_controlling, ice_controlled;
  uint64_t tiebreaker;
  uint16_t error_code; /* error responses: 300..699; 0 if absent */
  bool has_xor_mapped;
  struct sockaddr_storage xor_mapped; /* sockaddr_in or sockaddr_in6 */
  uint16_t unknown_required[STUN_MAX_UNKNOWN]; /* comprehension-required attrs we don't know */
  int n_unknown_required;                      /* the first 8 are kept; more are dropped */
} stun_msg;

/* Cheap demux test: first two bits 0, length field multiple of 4 and == n-20,
 * magic cookie. */
bool stun_looks_like(const uint8_t *p, size_t n);

/* Parses p[0..n) into *m (always fully overwritten) with full bounds checks.
 * The message must fill exactly n bytes (one datagram). Verifies FINGERPRINT
 * when present: CRC-32 of everything before it, xor 0x5354554e, and it must be
 * the last attribute (STUN_ERR_FINGERPRINT otherwise). Attributes after
 * MESSAGE-INTEGRITY other than FINGERPRINT are ignored; of repeated
 * attributes only the first counts. MESSAGE-INTEGRITY is located, not checked:
 * call stun_check_integrity. Known attributes with invalid contents (wrong
 * length, unknown address family, USERNAME over STUN_MAX_USERNAME bytes,
 * ERROR-CODE outside 300..699) give STUN_ERR_MALFORMED. On an error *m holds
 * no meaning. */
stun_status stun_parse(const uint8_t *p, size_t n, stun_msg *m);

/* Short-term credential check: HMAC-SHA1 with key over the message up to
 * MESSAGE-INTEGRITY, with the header length adjusted to end after
 * MESSAGE-INTEGRITY; compared with CRYPTO_memcmp. m must come from
 * stun_parse(p, n). A NULL or empty key never matches. Returns STUN_OK or
 * STUN_ERR_INTEGRITY. (OpenSSL allocates internally for the HMAC.) */
stun_status stun_check_integrity(const uint8_t *p, size_t n, const stun_msg *m, const uint8_t *key,
                                 size_t key_len);

/* Finishes a message whose header and attributes fill buf[0..len): appends
 * MESSAGE-INTEGRITY (if key is not NULL) and FINGERPRINT, fixing the header's
 * length field along the way. Returns the new length, or 0 if cap is too
 * small or buf[0..len) is not a header plus whole attributes. The builders
 * below end with this; it is public for tests and for other message kinds. */
size_t stun_finish(uint8_t *buf, size_t len, size_t cap, const uint8_t *key, size_t key_len);

/* Builders write into out and return the length, or 0 if cap is too small.
 * Key NULL: no MESSAGE-INTEGRITY. FINGERPRINT always last. */

/* Binding success response with XOR-MAPPED-ADDRESS = mapped (AF_INET or
 * AF_INET6; anything else gives 0). */
size_t stun_build_binding_success(uint8_t *out, size_t cap, const uint8_t txid[12],
                                  const struct sockaddr *mapped, const uint8_t *key, size_t key_len);

/* Error response of the given method with ERROR-CODE code (300..699, else 0
 * is returned) and reason (NULL: the RFC's phrase for 400, 401, 420, 487 and
 * 500, empty for others; longer than STUN_MAX_REASON bytes: 0 is returned). */
size_t stun_build_error(uint8_t *out, size_t cap, uint16_t method, const uint8_t txid[12],
                        uint16_t code, const char *reason, const uint8_t *key, size_t key_len);

/* 420 (Unknown Attribute) error response listing attrs[0..n) (1..8 types) in
 * UNKNOWN-ATTRIBUTES (RFC 8489 section 14.13). */
size_t stun_build_unknown_attributes(uint8_t *out, size_t cap, uint16_t method,
                                     const uint8_t txid[12], const uint16_t *attrs, int n,
                                     const uint8_t *key, size_t key_len);

/* ICE connectivity check (RFC 8445 section 7.1.1): Binding request with
 * USERNAME (omitted if NULL; at most STUN_MAX_USERNAME bytes), PRIORITY,
 * USE-CANDIDATE if use_candidate, ICE-CONTROLLING or ICE-CONTROLLED with the
 * tiebreaker. */
size_t stun_build_binding_request(uint8_t *out, size_t cap, const uint8_t txid[12],
                                  const char *username, const uint8_t *key, size_t key_len,
                                  uint32_t priority, bool use_candidate, bool controlling,
                                  uint64_t tiebreaker);

#endif
