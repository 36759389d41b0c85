/* sealroom end-to-end encryption library (protocol: docs/e2ee.md).
 *
 * SFrame (RFC 9605) for media behind a codec clear prefix, per-sender keys
 * with the RFC's ratchet, X25519 pairwise keys and key messages, replay
 * windows, sealed chat, security codes and fingerprints. OpenSSL 3 EVP only.
 *
 * Conventions:
 *  - Every function that can fail returns sre_status: SRE_OK (0) or a negative
 *    SRE_ERR_*; sre_strerror() describes it, sre_status_name() names it.
 *  - Byte strings are (pointer, length) pairs; participant ids are C strings of
 *    exactly SRE_ID_LEN characters; session ids are (pointer, length).
 *  - Output buffers are the caller's, with their capacity; outputs and inputs
 *    must not overlap unless a function says so. On failure, *out_len is 0 and
 *    the contents of the output buffer are unspecified (decryption wipes what it
 *    wrote, so no unauthenticated plaintext is left behind).
 *  - Frame encryption and decryption never allocate: each sre_key creates its
 *    OpenSSL contexts once in sre_key_init. Key setup allocates inside OpenSSL.
 *  - Secrets are wiped with OPENSSL_cleanse by the *_clear functions; tags and
 *    keys are compared in constant time.
 *  - Structs are public so that callers can embed them without allocation;
 *    their fields are read-only for callers.
 *  - Nothing here locks: a context is used by one thread at a time. */
#ifndef SEALROOM_E2EE_H
#define SEALROOM_E2EE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status ------------------------------------------------------------ */

/* X(name, value, message). One list makes the enum, sre_strerror and
 * sre_status_name, so they cannot drift apart. */
#define SRE_STATUS_LIST(X)                                                          \
  /* Success. */                                                                   \
  X(OK, 0, "success")                                                              \
  /* A NULL pointer, an out-of-range number or a wrong input length. */            \
  X(ERR_ARG, -1, "invalid argument")                                               \
  /* The caller's output buffer is too small; nothing useful was written. */       \
  X(ERR_BUFFER, -2, "output buffer too small")                                     \
  /* The cipher suite is not one of 0x0001-0x0008. */                              \
  X(ERR_SUITE, -3, "unsupported cipher suite")                                     \
  /* The SFrame header is shorter than its config byte announces. */               \
  X(ERR_HEADER_TRUNCATED, -4, "truncated SFrame header")                           \
  /* An extended KID or CTR field is not minimally encoded. */                     \
  X(ERR_HEADER_NONMINIMAL, -5, "non-minimal SFrame header encoding")               \
  /* The frame is shorter than clear prefix + header + tag (or, when sending, */   \
  /* shorter than its codec's clear prefix). */                                    \
  X(ERR_FRAME_TOO_SHORT, -6, "frame too short")                                    \
  /* An empty frame on a video track (only audio may send empty frames). */        \
  X(ERR_EMPTY_FRAME, -7, "empty frame on a video track")                           \
  /* The KID's slot is not the slot of the participant who owns the track. */      \
  X(ERR_WRONG_SLOT, -8, "KID slot does not match the track's sender")              \
  /* No key is held for the KID's generation, or its step is older than held. */   \
  X(ERR_NO_KEY, -9, "no key for this KID")                                         \
  /* The KID's ratchet step is more than SRE_RATCHET_MAX_AHEAD ahead. */           \
  X(ERR_RATCHET_TOO_FAR, -10, "ratchet step too far ahead")                        \
  /* The CTR was already accepted under this key. */                               \
  X(ERR_REPLAY, -11, "replayed counter")                                           \
  /* The CTR is older than the replay window. */                                   \
  X(ERR_TOO_OLD, -12, "counter older than the replay window")                      \
  /* Authentication failed: wrong key, or header, prefix, data or tag changed. */  \
  X(ERR_AUTH, -13, "authentication failed")                                        \
  /* The sender's counter for this key is used up: rotate. */                      \
  X(ERR_CTR_EXHAUSTED, -14, "counter exhausted")                                   \
  /* Ratchet step 255 reached: start a new generation instead. */                  \
  X(ERR_RATCHET_EXHAUSTED, -15, "ratchet step exhausted")                          \
  /* A base key or key message has the wrong length for its step. */               \
  X(ERR_KEY_LENGTH, -16, "wrong key length")                                       \
  /* A participant id is not SRE_ID_LEN bytes, or a session id not 1-255. */       \
  X(ERR_BAD_ID, -17, "invalid participant or session id")                          \
  /* A public or private key is unusable by X25519. */                             \
  X(ERR_BAD_PUBLIC_KEY, -18, "invalid X25519 key")                                 \
  /* X25519 gave the all-zero secret (low-order public key). */                    \
  X(ERR_ZERO_SECRET, -19, "all-zero X25519 shared secret")                         \
  /* Pairwise key with oneself: equal ids or equal public keys. */                 \
  X(ERR_BAD_PEER, -20, "peer has our id or our public key")                        \
  /* A relay payload is not the JSON object this protocol defines. */              \
  X(ERR_JSON, -21, "malformed payload")                                            \
  /* A relay payload has a protocol version other than 2. */                       \
  X(ERR_VERSION, -22, "unsupported payload version")                               \
  /* A base64 field is not canonical RFC 4648 base64. */                           \
  X(ERR_BASE64, -23, "invalid base64")                                             \
  /* A key message older than keys already accepted from that sender. */           \
  X(ERR_STALE_KEY, -24, "stale key message")                                       \
  /* A key message with a held (epoch, step) but a different key. */               \
  X(ERR_KEY_CONFLICT, -25, "conflicting key for a held key id")                    \
  /* A chat body or display name is not valid UTF-8 (or a name has a control). */ \
  X(ERR_UTF8, -26, "invalid UTF-8")                                                \
  /* A chat body is empty or too long, or a display name is too long. */          \
  X(ERR_TOO_LARGE, -27, "size out of range")                                       \
  /* A roster is empty, too large, or has a duplicate id. */                       \
  X(ERR_ROSTER, -28, "invalid roster")                                             \
  /* The digit stream ran out (practically impossible, docs/e2ee.md 10.1). */      \
  X(ERR_DIGITS_EXHAUSTED, -29, "digit stream exhausted")                           \
  /* OpenSSL failed (out of memory or an internal error). */                       \
  X(ERR_CRYPTO, -30, "cryptographic library failure")                              \
  /* The CSPRNG failed. */                                                         \
  X(ERR_RANDOM, -31, "random generator failure")                                  \
  /* The sender's epoch is 0xFFFFFFFF: it cannot rotate any more. */             \
  X(ERR_EPOCH_EXHAUSTED, -32, "epoch exhausted")

typedef enum {
#define SRE_STATUS_ENUM_(name, value, msg) SRE_##name = value,
  SRE_STATUS_LIST(SRE_STATUS_ENUM_)
#undef SRE_STATUS_ENUM_
} sre_status;

#define SRE_STATUS_COUNT 33 /* statuses are 0 .. -(SRE_STATUS_COUNT - 1) */

/* A sentence for a status; "unknown status" for other values. Never NULL. */
const char *sre_strerror(int status);
/* The status' name with prefix, e.g. "SRE_ERR_REPLAY"; NULL if unknown. */
const char *sre_status_name(int status);
/* The status whose name (with prefix) is `name`; SRE_ERR_ARG if none. */
int sre_status_from_name(const char *name);

/* ---- Sizes and protocol constants (docs/e2ee.md) ----------------------- */

#define SRE_SUITE_WIRE 0x0004u      /* AES_128_GCM_SHA256_128: the suite on the wire */
#define SRE_HEADER_MAX 17           /* 1 config byte + 8 KID + 8 CTR */
#define SRE_TAG_MAX 16
#define SRE_OVERHEAD_MAX (SRE_HEADER_MAX + SRE_TAG_MAX)
#define SRE_NONCE_LEN 12
#define SRE_SFRAME_KEY_MAX 96       /* Nk of suites 6-8 */
#define SRE_BASE_KEY_LEN 16         /* a fresh base key (step 0) */
#define SRE_RATCHETED_KEY_LEN 32    /* a base key at step >= 1 (Nh of SHA-256) */
#define SRE_BASE_KEY_MAX 64         /* any base key sre_key_init accepts */
#define SRE_ID_LEN 36               /* participant id: canonical UUID text */
#define SRE_SESSION_ID_MAX 255
#define SRE_X25519_LEN 32
#define SRE_ED25519_LEN 32          /* signing key (docs/e2ee-sender-auth.md 3) */
#define SRE_PAIRWISE_KEY_LEN 16
#define SRE_CHAT_KEY_LEN 16
#define SRE_REPLAY_WINDOW 128
#define SRE_RATCHET_MAX_AHEAD 16
#define SRE_KEEP_OLD_MS 2000        /* receivers keep a superseded key this long */
#define SRE_ROTATE_TIMEOUT_MS 500   /* senders switch after this without all acks */
#define SRE_RX_KEYS 6               /* keys a receiver holds per sender */
#define SRE_ROSTER_MAX 1024
#define SRE_CHAT_BODY_MAX 4096
#define SRE_NAME_MAX 128            /* display name in a key message, bytes of UTF-8 */
#define SRE_EPOCH_MAX 0xffffffffu   /* a sender at this epoch cannot rotate */
#define SRE_CODE_GROUPS 12
#define SRE_CODE_STR_LEN (SRE_CODE_GROUPS * 6)       /* "ddddd ddddd ... ddddd" + NUL */
#define SRE_FINGERPRINT_GROUPS 4
#define SRE_FINGERPRINT_STR_LEN (SRE_FINGERPRINT_GROUPS * 6)

/* ---- Cipher suites ----------------------------------------------------- */

typedef enum {
  SRE_SUITE_AES_128_CTR_HMAC_SHA256_80 = 0x0001,
  SRE_SUITE_AES_128_CTR_HMAC_SHA256_64 = 0x0002,
  SRE_SUITE_AES_128_CTR_HMAC_SHA256_32 = 0x0003,
  SRE_SUITE_AES_128_GCM_SHA256_128 = 0x0004,
  SRE_SUITE_AES_256_GCM_SHA512_128 = 0x0005,
  /* Not RFC 9605; only to pass shared/vectors/sframe/test-vectors-aes256.json. */
  SRE_SUITE_AES_256_CTR_HMAC_SHA512_80 = 0x0006,
  SRE_SUITE_AES_256_CTR_HMAC_SHA512_64 = 0x0007,
  SRE_SUITE_AES_256_CTR_HMAC_SHA512_32 = 0x0008,
} sre_suite;

/* True for 0x0001-0x0008. */
bool sre_suite_supported(unsigned suite);
/* Tag length Nt of a suite; 0 if unsupported. */
size_t sre_suite_tag_len(unsigned suite);

/* ---- SFrame header (RFC 9605 section 4.3) ------------------------------ */

typedef struct {
  uint64_t kid;
  uint64_t ctr;
  size_t len; /* bytes the header occupies */
} sre_header;

/* Length of the minimal header for (kid, ctr): 1..SRE_HEADER_MAX. */
size_t sre_header_len(uint64_t kid, uint64_t ctr);
/* Writes the minimal header into out (at least SRE_HEADER_MAX bytes are
 * never needed: sre_header_len() bytes are written); returns that length. */
size_t sre_header_encode(uint64_t kid, uint64_t ctr, uint8_t out[SRE_HEADER_MAX]);
/* Parses a header at the start of buf (len bytes; trailing bytes are the
 * ciphertext and are not looked at). SRE_ERR_HEADER_TRUNCATED when len is 0
 * or shorter than announced; SRE_ERR_HEADER_NONMINIMAL when an extended field
 * is not minimal. */
sre_status sre_header_parse(const uint8_t *buf, size_t len, sre_header *out);

/* ---- SFrame keys, encryption and decryption (RFC 9605 section 4.4) ----- */

struct evp_cipher_ctx_st;
struct evp_mac_ctx_st;

/* One derived SFrame key (a KID under a suite) with its OpenSSL contexts. */
typedef struct {
  uint16_t suite;
  uint64_t kid;
  uint8_t key[SRE_SFRAME_KEY_MAX]; /* sframe_key (Nk bytes) */
  size_t key_len;
  uint8_t salt[SRE_NONCE_LEN]; /* sframe_salt */
  size_t tag_len;
  struct evp_cipher_ctx_st *cipher; /* keyed once; only the nonce changes per frame */
  struct evp_mac_ctx_st *mac;       /* HMAC with auth_key (CTR+HMAC suites), else NULL */
} sre_key;

/* Derives sframe_key and sframe_salt from base_key (1..SRE_BASE_KEY_MAX bytes)
 * for kid and suite and creates the contexts. On failure k is left cleared.
 * Call sre_key_clear() when done (also after failure: it is harmless). */
sre_status sre_key_init(sre_key *k, unsigned suite, uint64_t kid, const uint8_t *base_key,
                        size_t base_key_len);
/* Wipes the key material and frees the contexts; k is then zeroed. */
void sre_key_clear(sre_key *k);

/* Encrypts: out = header(k->kid, ctr) || ciphertext || tag, with
 * aad = header || metadata. out needs sre_header_len() + pt_len + tag bytes.
 * metadata may be NULL when metadata_len is 0; so may pt when pt_len is 0. */
sre_status sre_sframe_encrypt(sre_key *k, uint64_t ctr, const uint8_t *metadata,
                              size_t metadata_len, const uint8_t *pt, size_t pt_len,
                              uint8_t *out, size_t out_cap, size_t *out_len);
/* Decrypts an SFrame ciphertext (header || ciphertext || tag, len bytes)
 * whose header was parsed into *hdr by sre_header_parse. hdr->kid must equal
 * k->kid (SRE_ERR_NO_KEY otherwise). Writes the plaintext (len - hdr->len - tag
 * bytes). Does not check replay: that is the receiver's job. */
sre_status sre_sframe_decrypt(sre_key *k, const sre_header *hdr, const uint8_t *metadata,
                              size_t metadata_len, const uint8_t *sframe, size_t len,
                              uint8_t *out, size_t out_cap, size_t *out_len);

/* ---- Codec clear prefix (docs/e2ee.md 5.2) ------------------------------ */

typedef enum {
  SRE_CODEC_OTHER_VIDEO = 0, /* prefix 0 */
  SRE_CODEC_VP8 = 1,         /* 10 (key frame: bit 0 of byte 0 is 0) or 3 */
  SRE_CODEC_VP9 = 2,         /* 0 */
  SRE_CODEC_OPUS = 3,        /* 1: the TOC byte; audio */
  SRE_CODEC_OTHER_AUDIO = 4, /* 0; audio */
} sre_codec;

/* Clear prefix length the codec's rule gives for a frame starting with
 * frame[0]; 0 for an empty frame. May exceed len (then the frame is too short). */
size_t sre_codec_prefix_len(sre_codec codec, const uint8_t *frame, size_t len);
/* True for audio codecs (empty frames pass as DTX). */
bool sre_codec_is_audio(sre_codec codec);
/* "vp8", "vp9", "opus", "other" (video), "other-audio"; NULL if invalid. */
const char *sre_codec_name(sre_codec codec);
/* Parses a name of sre_codec_name; false if unknown. */
bool sre_codec_from_name(const char *name, sre_codec *out);

/* ---- Media frames without receiver state (docs/e2ee.md 5) -------------- */

/* out = prefix || SFrame(ctr, metadata = prefix, rest). An empty audio frame
 * gives an empty output (DTX); an empty video frame is SRE_ERR_EMPTY_FRAME;
 * a frame shorter than its prefix is SRE_ERR_FRAME_TOO_SHORT. */
sre_status sre_frame_encrypt(sre_key *k, sre_codec codec, uint64_t ctr, const uint8_t *frame,
                             size_t len, uint8_t *out, size_t out_cap, size_t *out_len);
/* Checks 1-3 of docs/e2ee.md 5.4 on a wire frame: finds the prefix and parses
 * the header after it. An empty frame gives SRE_ERR_EMPTY_FRAME for every
 * codec (callers pass empty audio frames through before calling this). */
sre_status sre_frame_parse(sre_codec codec, const uint8_t *wire, size_t len, size_t *prefix_len,
                           sre_header *hdr);
/* Parses and decrypts a wire frame with one known key (no slot, replay or
 * ratchet logic; sre_receiver_decrypt adds those). out = prefix || plaintext.
 * An empty audio frame gives an empty output. hdr may be NULL. */
sre_status sre_frame_decrypt(sre_key *k, sre_codec codec, const uint8_t *wire, size_t len,
                             uint8_t *out, size_t out_cap, size_t *out_len, sre_header *hdr);

/* ---- KID layout, epochs and generations (docs/e2ee.md 4.5, 8.1) -------- */

/* slot << 16 | generation << 8 | step. */
uint64_t sre_kid_make(uint16_t slot, uint8_t generation, uint8_t step);
/* Splits a KID; false if it does not fit the layout (above 32 bits). */
bool sre_kid_split(uint64_t kid, uint16_t *slot, uint8_t *generation, uint8_t *step);
/* The 8-bit KID generation of a 32-bit epoch: ((epoch - 1) mod 255) + 1,
 * so 1..255 for epochs >= 1 (epoch 256 -> 1); 0 for epoch 0 (never used). */
uint8_t sre_epoch_generation(uint32_t epoch);

/* ---- Ratchet (RFC 9605 section 5.1; docs/e2ee.md 8.3) ------------------ */

/* out = HKDF(salt "", ikm base_key, "SFrame 1.0 Ratchet", 32). base_key is
 * 16 or 32 bytes; out may be the same buffer as base_key. */
sre_status sre_ratchet(const uint8_t *base_key, size_t base_key_len,
                       uint8_t out[SRE_RATCHETED_KEY_LEN]);
/* Base key length at a step: 16 at step 0, 32 after. */
size_t sre_base_key_len_for_step(uint8_t step);

/* ---- Replay window (docs/e2ee.md 6) ------------------------------------ */

typedef struct {
  bool any;         /* a CTR was accepted */
  uint64_t top;     /* highest accepted CTR */
  uint64_t bits[2]; /* bit i (word i/64, bit i%64) = top - i was accepted */
} sre_replay;

void sre_replay_init(sre_replay *w);
/* SRE_OK if ctr would be new; SRE_ERR_REPLAY or SRE_ERR_TOO_OLD otherwise. */
sre_status sre_replay_check(const sre_replay *w, uint64_t ctr);
/* Marks ctr accepted (call only after authentication and a successful check). */
void sre_replay_commit(sre_replay *w, uint64_t ctr);

/* ---- Sender (docs/e2ee.md 5.3, 8) -------------------------------------- */

typedef struct {
  uint16_t slot;
  uint32_t epoch;       /* 1.. ; +1 per rotation, never wraps */
  uint8_t generation;   /* sre_epoch_generation(epoch): the KID field */
  uint8_t step;
  bool used;            /* the current key encrypted a frame or sealed a chat message */
  uint8_t base_key[SRE_RATCHETED_KEY_LEN];
  size_t base_key_len;
  uint64_t ctr;     /* next CTR */
  bool exhausted;   /* ctr passed 2^64-1: rotate */
  sre_key key;
} sre_sender;

/* Starts a sender at (epoch, step 0) with base_key (16 bytes), or 16 fresh
 * random bytes if base_key is NULL. A joining sender starts at epoch 1;
 * epoch 0 is SRE_ERR_ARG. The key starts unused. */
sre_status sre_sender_init(sre_sender *s, uint16_t slot, uint32_t epoch,
                           const uint8_t *base_key, size_t base_key_len);
/* One ratchet step: step+1, counter 0, unused, old key wiped. At step 255:
 * SRE_ERR_RATCHET_EXHAUSTED and nothing changes. */
sre_status sre_sender_ratchet(sre_sender *s);
/* A new base key (a leave): epoch + 1, step 0, counter 0, unused, base_key
 * (16 bytes) or random when NULL; the old key is wiped. At epoch
 * SRE_EPOCH_MAX: SRE_ERR_EPOCH_EXHAUSTED and nothing changes (the caller
 * must stop sending; docs/e2ee.md 8.1). */
sre_status sre_sender_rotate(sre_sender *s, const uint8_t *base_key, size_t base_key_len);
/* What a join does to the current key when no rotation is pending
 * (docs/e2ee.md 8.4; the caller keeps pending rotations): an unused key is
 * kept as it is (*ratcheted = false), a used one is ratcheted one step
 * (*ratcheted = true); at step 255 a used key gives SRE_ERR_RATCHET_EXHAUSTED
 * and nothing changes (the caller starts a rotation). Then send the newcomer
 * the current (epoch, step) key. ratcheted may be NULL. */
sre_status sre_sender_join(sre_sender *s, bool *ratcheted);
/* Marks the current key used (call when sealing a chat message under it). */
void sre_sender_mark_used(sre_sender *s);
/* Encrypts one frame with the current key and the next counter; a frame
 * that takes a counter marks the key used. */
sre_status sre_sender_encrypt(sre_sender *s, sre_codec codec, const uint8_t *frame, size_t len,
                              uint8_t *out, size_t out_cap, size_t *out_len);
void sre_sender_clear(sre_sender *s);

/* ---- Receiver (docs/e2ee.md 5.4, 8.6) ---------------------------------- */

typedef struct {
  bool used;
  bool active;          /* the key that most recently authenticated a frame */
  uint32_t epoch;
  uint8_t generation;   /* sre_epoch_generation(epoch); unique among held keys */
  uint8_t step;
  uint8_t base_key[SRE_RATCHETED_KEY_LEN];
  size_t base_key_len;
  uint64_t arrival;     /* grows with every key added */
  uint64_t deadline_ms; /* 0: none; else wiped at this time */
  sre_replay replay_opus;  /* frames decrypted as Opus (clear prefix 1 byte; docs/e2ee.md 6) */
  sre_replay replay_other; /* frames of every other codec (prefix 0, 3 or 10 bytes) */
  sre_key key;
} sre_rx_key;

typedef struct {
  uint16_t slot;
  bool any;                 /* a key was ever accepted */
  uint32_t newest_epoch;
  uint8_t newest_step;      /* highest step accepted or reached by ratchet of newest_epoch */
  uint64_t next_arrival;
  sre_rx_key keys[SRE_RX_KEYS];
  sre_rx_key candidate;     /* a ratcheted key awaiting its first authenticated frame */
  uint64_t drops[SRE_STATUS_COUNT]; /* drops[-status]: frames dropped per reason */
  uint64_t accepted;        /* frames passed to the decoder */
} sre_receiver;

/* Starts the state for the participant with this slot (no keys). */
void sre_receiver_init(sre_receiver *r, uint16_t slot);
/* Installs a key from an authenticated key message under the acceptance rules
 * of docs/e2ee.md 8.6: only a strictly greater (epoch, step) than the newest
 * accepted is added; SRE_ERR_STALE_KEY, SRE_ERR_KEY_CONFLICT, SRE_ERR_KEY_LENGTH
 * (16 bytes at step 0, 32 after); epoch 0 is SRE_ERR_ARG. A duplicate is SRE_OK.
 * A held key of the same KID generation but another epoch is wiped first. */
sre_status sre_receiver_add_key(sre_receiver *r, uint32_t epoch, uint8_t step,
                                const uint8_t *base_key, size_t base_key_len, uint64_t now_ms);
/* The receive path of docs/e2ee.md 5.4 for a frame on a track this sender
 * owns: out = prefix || plaintext (an empty audio frame gives an empty out).
 * Every failure is counted in r->drops and changes no other state. Allocates
 * only when a frame moves to a new ratchet step (key derivation). */
sre_status sre_receiver_decrypt(sre_receiver *r, sre_codec codec, const uint8_t *wire,
                                size_t len, uint8_t *out, size_t out_cap, size_t *out_len,
                                uint64_t now_ms);
/* Wipes keys whose deadline has passed. */
void sre_receiver_expire(sre_receiver *r, uint64_t now_ms);
/* The base key of (epoch, step) for opening chat: a held key or one
 * ratcheted forward from a held step of that epoch by at most
 * SRE_RATCHET_MAX_AHEAD (not installed). */
sre_status sre_receiver_base_key(const sre_receiver *r, uint32_t epoch, uint8_t step,
                                 uint8_t out[SRE_RATCHETED_KEY_LEN], size_t *out_len);
/* Frames dropped for a reason (a negative status). */
uint64_t sre_receiver_drops(const sre_receiver *r, sre_status reason);
/* Wipes every key. */
void sre_receiver_clear(sre_receiver *r);

/* ---- X25519 and pairwise keys (docs/e2ee.md 7.1) ----------------------- */

typedef struct {
  uint8_t priv[SRE_X25519_LEN];
  uint8_t pub[SRE_X25519_LEN];
} sre_keypair;

/* A fresh key pair from the CSPRNG. */
sre_status sre_keypair_generate(sre_keypair *kp);
/* The key pair of a given private key (test vectors). */
sre_status sre_keypair_from_private(sre_keypair *kp, const uint8_t priv[SRE_X25519_LEN]);
void sre_keypair_clear(sre_keypair *kp);
/* shared = X25519(priv, peer_pub); SRE_ERR_ZERO_SECRET for the all-zero result. */
sre_status sre_x25519(const uint8_t priv[SRE_X25519_LEN], const uint8_t peer_pub[SRE_X25519_LEN],
                      uint8_t shared[SRE_X25519_LEN]);
/* The 156-byte HKDF info of the pairwise key (for test vectors). */
#define SRE_PAIRWISE_INFO_LEN 156
sre_status sre_pairwise_info(const uint8_t pub_a[SRE_X25519_LEN], const char *id_a,
                             const uint8_t pub_b[SRE_X25519_LEN], const char *id_b,
                             uint8_t out[SRE_PAIRWISE_INFO_LEN]);
/* K = HKDF(session id, X25519(self, peer), info, 16). */
sre_status sre_pairwise_key(const sre_keypair *self, const char *self_id,
                            const uint8_t peer_pub[SRE_X25519_LEN], const char *peer_id,
                            const uint8_t *session_id, size_t session_id_len,
                            uint8_t out[SRE_PAIRWISE_KEY_LEN]);

/* ---- Relay payloads: key messages, acks, chat (docs/e2ee.md 7, 9) ------ */

typedef enum { SRE_PAYLOAD_KEY = 1, SRE_PAYLOAD_ACK = 2, SRE_PAYLOAD_CHAT = 3 } sre_payload_type;

#define SRE_CHAT_HEAD_LEN (1 + 4 + 8)                     /* type, seq, time_ms */
#define SRE_SEALED_MAX (SRE_CHAT_HEAD_LEN + SRE_CHAT_BODY_MAX + 16) /* largest "c" */
#define SRE_KEYMSG_C_MIN (SRE_BASE_KEY_LEN + 16)          /* step 0, empty name */
#define SRE_KEYMSG_C_MAX (SRE_RATCHETED_KEY_LEN + SRE_NAME_MAX + 16)
#define SRE_PAYLOAD_MAX 6000                            /* largest JSON we write */
#define SRE_PROTOCOL_VERSION 2                           /* "v" of key, ack, chat */

/* A parsed key, ack or chat payload (version 2). */
typedef struct {
  sre_payload_type type;
  uint32_t epoch;               /* 1..SRE_EPOCH_MAX */
  uint8_t step;                 /* key, chat */
  uint8_t nonce[SRE_NONCE_LEN]; /* key, chat */
  uint8_t c[SRE_SEALED_MAX];    /* ciphertext || tag; key, chat */
  size_t c_len;
} sre_payload;

/* Strictly parses a relay payload (JSON text, json_len bytes): exactly the
 * members of its type, "v" 2 (else SRE_ERR_VERSION), "e" 1..2^32-1. */
sre_status sre_payload_parse(const char *json, size_t json_len, sre_payload *out);

/* A display name: 0..SRE_NAME_MAX bytes of valid UTF-8 without control
 * characters (C0, DEL, C1). SRE_ERR_TOO_LARGE, SRE_ERR_UTF8. */
sre_status sre_name_check(const uint8_t *name, size_t len);

#define SRE_KEYMSG_AAD_LEN 94
sre_status sre_keymsg_aad(const char *sender_id, const char *recipient_id, uint32_t epoch,
                          uint8_t step, uint16_t sender_slot, uint8_t out[SRE_KEYMSG_AAD_LEN]);
/* Seals base_key (16 bytes at step 0, 32 after) || name (sre_name_check) under
 * the pairwise key and writes the JSON payload (NUL-terminated; *json_len
 * excludes the NUL). name may be NULL when name_len is 0. nonce NULL: random
 * (always, except for test vectors). */
sre_status sre_keymsg_seal(const uint8_t pairwise_key[SRE_PAIRWISE_KEY_LEN], const char *sender_id,
                           const char *recipient_id, uint16_t sender_slot, uint32_t epoch,
                           uint8_t step, const uint8_t *base_key, size_t base_key_len,
                           const uint8_t *name, size_t name_len, const uint8_t *nonce, char *json,
                           size_t json_cap, size_t *json_len);
/* Opens a parsed key payload: the base key (16 or 32 bytes) into base_key and
 * the sender's display name into name (NUL-terminated, *name_len excludes
 * it; name may be NULL to ignore it). SRE_ERR_KEY_LENGTH when c is too short
 * for the step or leaves more than SRE_NAME_MAX bytes; SRE_ERR_AUTH;
 * SRE_ERR_UTF8 for a name that fails sre_name_check (nothing is returned). */
sre_status sre_keymsg_open(const uint8_t pairwise_key[SRE_PAIRWISE_KEY_LEN], const char *sender_id,
                           const char *recipient_id, uint16_t sender_slot, const sre_payload *p,
                           uint8_t base_key[SRE_RATCHETED_KEY_LEN], size_t *base_key_len,
                           char name[SRE_NAME_MAX + 1], size_t *name_len);
/* {"t":"ack","v":2,"e":E} */
sre_status sre_ack_write(uint32_t epoch, char *json, size_t json_cap, size_t *json_len);

typedef enum { SRE_CHAT_TEXT = 1, SRE_CHAT_NAME = 2 } sre_chat_type;
#define SRE_CHAT_AAD_LEN 57

sre_status sre_chat_key(const uint8_t *base_key, size_t base_key_len, const uint8_t *session_id,
                        size_t session_id_len, uint8_t out[SRE_CHAT_KEY_LEN]);
sre_status sre_chat_aad(const char *sender_id, uint32_t epoch, uint8_t step,
                        uint8_t out[SRE_CHAT_AAD_LEN]);
/* Seals a chat text or display name (body: 1..SRE_CHAT_BODY_MAX bytes of
 * UTF-8; time_ms: the sender's clock, Unix milliseconds) and writes the JSON
 * payload. nonce NULL: random. A sender sealing under its current key must
 * also call sre_sender_mark_used (docs/e2ee.md 8.4). */
sre_status sre_chat_seal(const uint8_t chat_key[SRE_CHAT_KEY_LEN], const char *sender_id,
                         uint32_t epoch, uint8_t step, sre_chat_type type, uint32_t seq,
                         uint64_t time_ms, const uint8_t *body, size_t body_len,
                         const uint8_t *nonce, char *json, size_t json_cap, size_t *json_len);
/* Opens a parsed chat payload. The caller checks seq against the sender's
 * last accepted seq (docs/e2ee.md 9). body gets body_len bytes (no NUL).
 * time_ms gets the sender's time (may be NULL). */
sre_status sre_chat_open(const uint8_t chat_key[SRE_CHAT_KEY_LEN], const char *sender_id,
                         const sre_payload *p, sre_chat_type *type, uint32_t *seq,
                         uint64_t *time_ms, uint8_t *body, size_t body_cap, size_t *body_len);

/* ---- Security code and fingerprints (docs/e2ee.md 10) ------------------ */

typedef struct {
  const char *id;             /* SRE_ID_LEN characters */
  const uint8_t *public_key;  /* SRE_X25519_LEN bytes (NULL: SRE_ERR_ARG) */
  const uint8_t *signing_key; /* SRE_ED25519_LEN bytes, the Ed25519 public key of sender
                                 authentication (NULL: SRE_ERR_BAD_PUBLIC_KEY) */
  const uint8_t *name;        /* display name (sre_name_check); NULL when name_len is 0 */
  size_t name_len;
} sre_member;

/* groups x 5 digits from a 32-byte hash (10.1), joined by spaces, NUL-terminated;
 * out needs groups * 6 bytes. */
sre_status sre_digits(const uint8_t hash[32], const char *info, size_t groups, char *out,
                      size_t out_cap);
/* The exact hashed input of the security code v3 (members in any order; they
 * are sorted by id here): oneself and every peer with a pairwise key. Each
 * record is id || public key || signing key || u16(name length) || name, so a
 * substituted X25519 or signing key changes the code.
 * *len gets its length; out may be NULL to ask for it. */
sre_status sre_security_code_input(const uint8_t *session_id, size_t session_id_len,
                                   const sre_member *members, size_t n, uint8_t *out,
                                   size_t out_cap, size_t *len);
/* SHA-256 of the input above. */
sre_status sre_security_code_hash(const uint8_t *session_id, size_t session_id_len,
                                  const sre_member *members, size_t n, uint8_t hash[32]);
/* "ddddd ddddd ... " (12 groups). */
sre_status sre_security_code(const uint8_t *session_id, size_t session_id_len,
                             const sre_member *members, size_t n, char out[SRE_CODE_STR_LEN]);
/* SHA-256("sealroom fp v1" || public key). */
sre_status sre_fingerprint_hash(const uint8_t public_key[SRE_X25519_LEN], uint8_t hash[32]);
/* "ddddd ddddd ddddd ddddd". */
sre_status sre_fingerprint(const uint8_t public_key[SRE_X25519_LEN],
                           char out[SRE_FINGERPRINT_STR_LEN]);

/* ---- Encoding helpers (also used by the tools) ------------------------- */

/* Strict RFC 4648 base64 (standard alphabet, padded). Encode writes a NUL. */
size_t sre_base64_encoded_len(size_t n);
sre_status sre_base64_encode(const uint8_t *in, size_t n, char *out, size_t out_cap,
                             size_t *out_len);
sre_status sre_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap,
                             size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
