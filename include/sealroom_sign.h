/* sealroom sender authentication (protocol: docs/e2ee-sender-auth.md).
 *
 * Every member of an E2EE call holds every other member's SFrame keys, so
 * SFrame alone cannot tell a frame of S from a frame that another member M
 * made with S's key. Here each participant has a per-call Ed25519 key pair
 * and signs, about every 100 ms, a "statement" listing the frames it sent
 * since the previous one: for each frame its KID, CTR and a 16-byte
 * truncated SHA-256 of the whole wire frame. A receiver keeps a verifier per
 * remote sender and passes a frame to the decoder only once a verified
 * statement of that sender lists its exact hash; a frame whose (KID, CTR) is
 * listed with another hash is rejected at once, a frame still unlisted after
 * SRE_SIGN_DELAY_MS is dropped as unsigned.
 *
 * Conventions as in sealroom_e2ee.h: fallible functions return an sre_status
 * (SRE_OK or a negative SRE_ERR_*; statuses of that header are reused:
 * SRE_ERR_AUTH = bad signature, SRE_ERR_REPLAY = statement not newer,
 * SRE_ERR_JSON / SRE_ERR_BASE64 / SRE_ERR_VERSION / SRE_ERR_TOO_LARGE =
 * malformed payload). Frame verdicts are a separate enum, sre_sign_verdict.
 * Structs are public (embed without allocation); their fields are read-only
 * for callers. Nothing locks. OpenSSL 3 EVP only. */
#ifndef SEALROOM_SIGN_H
#define SEALROOM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sealroom_e2ee.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants (docs/e2ee-sender-auth.md) ------------------------------ */

#define SRE_SIGN_PUBLIC_LEN 32     /* Ed25519 public key */
#define SRE_SIGN_SEED_LEN 32       /* Ed25519 private key (RFC 8032 seed) */
#define SRE_SIGN_SIG_LEN 64        /* Ed25519 signature */
#define SRE_SIGN_HASH_LEN 16       /* truncated SHA-256 of one frame */
#define SRE_SIGN_MAX_FRAMES 64     /* frames per statement */
#define SRE_SIGN_NUM_MAX 9007199254740991ull /* 2^53 - 1: q, k, c in JSON */
#define SRE_SIGN_INTERVAL_MS 100   /* a sender flushes at least this often */
#define SRE_SIGN_DELAY_MS 250      /* a receiver holds an unlisted frame this long */
#define SRE_SIGN_KEEP 32           /* verified statements a verifier remembers */
#define SRE_SIGN_PENDING_MAX 256   /* frames a verifier holds at once */
#define SRE_SIGN_VERSION 1         /* "v" of the statement payload */
#define SRE_SIGN_PAYLOAD_MAX 4096  /* longest statement JSON text accepted */
/* Statement bytes: label 16, u8 len, session id, sender id 36, seq 8, kid 8,
 * ctr 8, count 1, hashes. */
#define SRE_SIGN_STATEMENT_MAX \
  (16 + 1 + SRE_SESSION_ID_MAX + SRE_ID_LEN + 8 + 8 + 8 + 1 + SRE_SIGN_MAX_FRAMES * SRE_SIGN_HASH_LEN)

/* ---- Frame hash --------------------------------------------------------- */

/* out = SHA-256("sealroom frame v1" || u64(kid) || u64(ctr) || wire)[0..16).
 * wire is the whole wire frame (clear prefix || SFrame header || ciphertext
 * || tag); wire may be NULL when len is 0. */
sre_status sre_sign_frame_hash(uint64_t kid, uint64_t ctr, const uint8_t *wire, size_t len,
                               uint8_t out[SRE_SIGN_HASH_LEN]);

/* ---- Statements --------------------------------------------------------- */

/* A statement: n frames of one KID with consecutive CTRs ctr .. ctr+n-1. */
typedef struct {
  uint64_t seq;
  uint64_t kid;
  uint64_t ctr; /* CTR of the first frame */
  size_t n;     /* 1..SRE_SIGN_MAX_FRAMES */
  uint8_t hashes[SRE_SIGN_MAX_FRAMES][SRE_SIGN_HASH_LEN];
  uint8_t sig[SRE_SIGN_SIG_LEN];
} sre_sign_statement;

/* The signed bytes of a statement (docs/e2ee-sender-auth.md 4.2) for sender
 * id (SRE_ID_LEN characters) and session id (1..255 bytes). out needs
 * SRE_SIGN_STATEMENT_MAX bytes at most; *out_len gets the length. */
sre_status sre_sign_statement_bytes(const sre_sign_statement *st, const char *sender_id,
                                    const uint8_t *session_id, size_t session_id_len,
                                    uint8_t *out, size_t out_cap, size_t *out_len);
/* Strictly parses the JSON payload {"t":"sig","v":1,"q":..,"k":..,"c":..,
 * "h":"..","s":".."} (section 4.3). Does not verify the signature. */
sre_status sre_sign_statement_parse(const char *json, size_t json_len, sre_sign_statement *out);
/* Writes the payload of st (members in the order t v q k c h s, no
 * whitespace, NUL-terminated; *json_len excludes the NUL). */
sre_status sre_sign_statement_write(const sre_sign_statement *st, char *json, size_t json_cap,
                                    size_t *json_len);

/* ---- Signer (one per call, the own participant) ------------------------ */

struct evp_pkey_st;

typedef struct {
  struct evp_pkey_st *key; /* the Ed25519 private key (OpenSSL holds the seed) */
  uint8_t pub[SRE_SIGN_PUBLIC_LEN];
  char sender_id[SRE_ID_LEN + 1];
  uint8_t session_id[SRE_SESSION_ID_MAX];
  size_t session_id_len;
  uint64_t next_seq;        /* seq of the next statement */
  sre_sign_statement list;  /* frames added since the last flush (list.n of them) */
  uint64_t statements;      /* statements written */
} sre_signer;

/* Starts a signer for (sender id, session id) with a fresh key pair, or with
 * the given seed (test vectors only; the seed is not kept here). */
sre_status sre_signer_init(sre_signer *s, const char *sender_id, const uint8_t *session_id,
                           size_t session_id_len, const uint8_t seed[SRE_SIGN_SEED_LEN]);
/* The public key to announce in signalling (join.signing_key). */
const uint8_t *sre_signer_public_key(const sre_signer *s);
/* Records one sent wire frame. If the list holds frames of another KID or
 * the CTR does not follow the last one, the list is flushed first; if the
 * list is then full (SRE_SIGN_MAX_FRAMES), it is flushed after adding. A
 * flush writes a payload into json and sets *json_len > 0: broadcast it now.
 * *json_len = 0 means nothing to send. json needs SRE_SIGN_PAYLOAD_MAX. */
sre_status sre_signer_add(sre_signer *s, uint64_t kid, uint64_t ctr, const uint8_t *wire,
                          size_t len, char *json, size_t json_cap, size_t *json_len);
/* Signs the frames added since the last flush and writes the payload
 * (*json_len > 0), or writes nothing (*json_len = 0) if there are none. Call
 * it every SRE_SIGN_INTERVAL_MS while sending. */
sre_status sre_signer_flush(sre_signer *s, char *json, size_t json_cap, size_t *json_len);
/* Frees the key (OpenSSL wipes it) and zeroes s. */
void sre_signer_clear(sre_signer *s);

/* ---- Verifier (one per remote sender) ----------------------------------- */

typedef enum {
  SRE_SIGN_OK = 0,       /* a verified statement lists this frame's hash: pass it */
  SRE_SIGN_WAIT = 1,     /* not listed yet: held until a statement or the deadline */
  SRE_SIGN_REJECT = 2,   /* listed with another hash: forged by a key holder; drop */
  SRE_SIGN_UNSIGNED = 3, /* no statement listed it within SRE_SIGN_DELAY_MS; drop */
  SRE_SIGN_OVERFLOW = 4, /* SRE_SIGN_PENDING_MAX frames already held; drop */
} sre_sign_verdict;
#define SRE_SIGN_VERDICTS 5

/* "ok", "wait", "reject", "unsigned", "overflow"; NULL if invalid. */
const char *sre_sign_verdict_name(int verdict);

/* A verified statement as remembered: frames kid, ctr .. ctr+n-1. */
typedef struct {
  uint64_t kid, ctr;
  size_t n;
  uint8_t hashes[SRE_SIGN_MAX_FRAMES][SRE_SIGN_HASH_LEN];
} sre_sign_run;

typedef struct {
  uint64_t kid, ctr, tag, deadline_ms;
  uint8_t hash[SRE_SIGN_HASH_LEN];
} sre_sign_pending;

/* A frame decided by sre_sign_verifier_poll. */
typedef struct {
  uint64_t tag;              /* the caller's tag given to sre_sign_verifier_frame */
  sre_sign_verdict verdict;  /* SRE_SIGN_OK, SRE_SIGN_REJECT or SRE_SIGN_UNSIGNED */
} sre_sign_decision;

typedef struct {
  struct evp_pkey_st *key; /* the sender's Ed25519 public key */
  char sender_id[SRE_ID_LEN + 1];
  uint8_t session_id[SRE_SESSION_ID_MAX];
  size_t session_id_len;
  uint32_t delay_ms;
  bool any;          /* a statement was accepted */
  uint64_t last_seq; /* seq of the last accepted statement */
  sre_sign_run runs[SRE_SIGN_KEEP]; /* ring of verified statements */
  size_t runs_n, runs_next;
  sre_sign_pending pending[SRE_SIGN_PENDING_MAX]; /* held frames, oldest first */
  size_t pending_n;
  /* Counters. */
  uint64_t frames[SRE_SIGN_VERDICTS]; /* final verdicts by sre_sign_verdict (WAIT: held) */
  uint64_t stmt_ok, stmt_bad_sig, stmt_replay, stmt_malformed;
} sre_sign_verifier;

/* Starts a verifier for the remote sender's id, the session id and the
 * sender's signing key (roster participants[].signing_key).
 * SRE_ERR_BAD_ID, SRE_ERR_BAD_PUBLIC_KEY. delay_ms 0 means SRE_SIGN_DELAY_MS. */
sre_status sre_sign_verifier_init(sre_sign_verifier *v, const char *sender_id,
                                  const uint8_t *session_id, size_t session_id_len,
                                  const uint8_t public_key[SRE_SIGN_PUBLIC_LEN], uint32_t delay_ms);
/* Takes a statement payload relayed from this sender: parses it (SRE_ERR_JSON,
 * SRE_ERR_BASE64, SRE_ERR_VERSION, SRE_ERR_TOO_LARGE), refuses a seq not
 * above the last accepted one (SRE_ERR_REPLAY), verifies the signature
 * (SRE_ERR_AUTH). Every refusal is counted and changes nothing else. After
 * SRE_OK call sre_sign_verifier_poll: held frames may now be decided. */
sre_status sre_sign_verifier_statement(sre_sign_verifier *v, const char *json, size_t json_len);
/* The verdict for one received wire frame of (kid, ctr) (after SFrame
 * authenticated it): SRE_SIGN_OK or SRE_SIGN_REJECT at once, or SRE_SIGN_WAIT
 * (the frame is held under `tag` until poll decides it), or SRE_SIGN_OVERFLOW.
 * Returns a sre_sign_verdict, or a negative sre_status (SRE_ERR_ARG). */
int sre_sign_verifier_frame(sre_sign_verifier *v, uint64_t kid, uint64_t ctr, const uint8_t *wire,
                            size_t len, uint64_t tag, uint64_t now_ms);
/* The same with the frame hash already computed. */
int sre_sign_verifier_frame_hash(sre_sign_verifier *v, uint64_t kid, uint64_t ctr,
                                 const uint8_t hash[SRE_SIGN_HASH_LEN], uint64_t tag,
                                 uint64_t now_ms);
/* The verdict the remembered statements give (kid, ctr) with this frame
 * hash now, holding and counting nothing: SRE_SIGN_OK if one lists it with
 * this hash, SRE_SIGN_REJECT if they list it only with other hashes,
 * SRE_SIGN_WAIT if none lists it (or v or hash is NULL). For a caller that
 * keeps frames itself instead of handing them to sre_sign_verifier_frame. */
sre_sign_verdict sre_sign_verifier_lookup(const sre_sign_verifier *v, uint64_t kid, uint64_t ctr,
                                          const uint8_t hash[SRE_SIGN_HASH_LEN]);
/* Decides held frames, oldest first: those now listed (OK / REJECT) and those
 * past their deadline (UNSIGNED). Writes at most cap decisions and returns
 * their count; the rest stay held. Call after every accepted statement and
 * from a timer (sre_sign_verifier_next_deadline). */
size_t sre_sign_verifier_poll(sre_sign_verifier *v, uint64_t now_ms, sre_sign_decision *out,
                              size_t cap);
/* The earliest deadline of a held frame, or 0 if none is held. */
uint64_t sre_sign_verifier_next_deadline(const sre_sign_verifier *v);
/* Forgets the remembered statements of KIDs kid_lo..kid_hi. Call when a new
 * epoch of the sender takes a generation whose KIDs an older epoch used
 * (every 255 epochs): its CTRs start again from 0, and statements of the old
 * epoch would make its genuine frames look forged (docs/e2ee-sender-auth.md 6.1). */
void sre_sign_verifier_forget_kids(sre_sign_verifier *v, uint64_t kid_lo, uint64_t kid_hi);
void sre_sign_verifier_clear(sre_sign_verifier *v);

/* ---- Signed chat (docs/e2ee-sender-auth.md 10) -------------------------- */

/* A sealed chat payload (docs/e2ee.md 9) travels inside a wrapper signed by
 * its sender with the same Ed25519 key as its statements:
 *   {"t":"schat","v":1,"m":<the sealed chat payload>,"s":base64(signature)}
 * The signature covers sre_sign_chat_input. The JS twins are
 * chatSignatureInput, Signer.signChat and openSignedChat (web/e2ee/sign.js). */

#define SRE_SIGN_CHAT_VERSION 1 /* "v" of the wrapper */
#define SRE_SIGN_CHAT_MAX 8192  /* longest wrapper or inner JSON text accepted (the
                                   longest the library writes is 5690 bytes) */
/* The signed bytes: label 20, u8 len, session id, sender id 36, u32 e, u8 r,
 * then the decoded "n" and "c" (at most 3/4 of a text this long). */
#define SRE_SIGN_CHAT_INPUT_MAX \
  (20 + 1 + SRE_SESSION_ID_MAX + SRE_ID_LEN + 4 + 1 + SRE_SIGN_CHAT_MAX / 4 * 3)

/* The signed bytes of a sealed chat payload (JSON text, chat_len bytes) for
 * sender id and session id: "sealroom chat sig v1" || u8(len session id) ||
 * session id || sender id || u32(e) || u8(r) || decoded n || decoded c.
 * Checks only what the signature covers, in the order of the JS twin:
 * SRE_ERR_JSON unless the text is an object with "t" "chat", "e" an integer
 * 1..2^32-1, "r" 0..255, "n" and "c" strings; SRE_ERR_BASE64 if "n" or "c"
 * is not canonical base64 (their lengths and the other members are checked
 * by sre_payload_parse when the message is opened). out needs
 * SRE_SIGN_CHAT_INPUT_MAX bytes at most. */
sre_status sre_sign_chat_input(const char *sender_id, const uint8_t *session_id,
                               size_t session_id_len, const char *chat_json, size_t chat_len,
                               uint8_t *out, size_t out_cap, size_t *out_len);
/* Signs the sealed chat payload chat_json (as sre_chat_seal writes it; it
 * must pass sre_payload_parse as a chat payload, else that status or
 * SRE_ERR_JSON) with the signer's key, id and session, and writes the wrapper
 * (members in the order t v m s, no whitespace, m written as sre_chat_seal
 * writes it: the bytes JSON.stringify gives for the same object;
 * NUL-terminated, *json_len excludes the NUL). json needs SRE_SIGN_CHAT_MAX. */
sre_status sre_signer_sign_chat(const sre_signer *s, const char *chat_json, size_t chat_len,
                                char *json, size_t json_cap, size_t *json_len);
/* Takes a wrapper relayed from the verifier's sender (JSON text, json_len
 * bytes) and, once the signature verifies with the sender's key for its id
 * and the session, writes the inner sealed chat payload to chat (compact
 * JSON, members in their order, NUL-terminated; *chat_len excludes the NUL):
 * open it with sre_payload_parse, sre_chat_open and the seq check. Refuses,
 * in this order (the JS openSignedChat's statuses; the vectors check them):
 * text longer than SRE_SIGN_CHAT_MAX, not JSON, a duplicate member, not an
 * object, "t" not "schat", not exactly the members t v m s: SRE_ERR_JSON;
 * "v" not the integer 1: SRE_ERR_VERSION; "s" not a string of 88 characters
 * of canonical base64 for 64 bytes: SRE_ERR_BASE64; "m" as
 * sre_sign_chat_input; a bad signature: SRE_ERR_AUTH. The inner text longer
 * than SRE_SIGN_CHAT_MAX (no sealed chat payload is): SRE_ERR_JSON; longer
 * than chat_cap: SRE_ERR_BUFFER. chat is written only on SRE_OK; the
 * verifier's state and counters do not change. */
sre_status sre_sign_chat_open(const sre_sign_verifier *v, const char *json, size_t json_len,
                              char *chat, size_t chat_cap, size_t *chat_len);

#ifdef __cplusplus
}
#endif

#endif
