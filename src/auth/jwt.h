/* HS256 JSON Web Tokens (RFC 7519 / RFC 7515 compact form) with strict
 * verification, and the room join-token claims built on top of them.
 * Only HS256 is accepted; every other "alg" (including "none") is refused. */
#ifndef SEALROOM_JWT_H
#define SEALROOM_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_LEN 8192

/* One list gives both the enum and the jwt_strerror() texts. */
#define JWT_STATUS_LIST(X)                                         \
  X(JWT_OK, "ok")                                                  \
  X(JWT_MALFORMED, "malformed token")                              \
  X(JWT_TOO_LARGE, "token too large")                              \
  X(JWT_BAD_ALG, "unsupported or missing algorithm")               \
  X(JWT_BAD_SIGNATURE, "bad signature")                            \
  X(JWT_EXPIRED, "token expired")                                  \
  X(JWT_NOT_YET_VALID, "token not yet valid")                      \
  X(JWT_MISSING_CLAIM, "required claim missing")                   \
  X(JWT_WRONG_TEAM, "token is for another team")                   \
  X(JWT_WRONG_ROOM, "token is for another room")                   \
  X(JWT_TOO_LONG_LIVED, "token valid for longer than the server allows") \
  X(JWT_ROOM_REUSED, "token made before this room existed (for an earlier room of that name)")

#define JWT_STATUS_ENUM_(name, text) name,
typedef enum { JWT_STATUS_LIST(JWT_STATUS_ENUM_) } jwt_status;
#undef JWT_STATUS_ENUM_

/* Never NULL; unknown values give a generic text. */
const char *jwt_strerror(jwt_status s);

/* Signs payload (must be a JSON object) with header {"alg":"HS256","typ":"JWT"}
 * and the payload serialized with JSON_COMPACT. Returns a malloc'd
 * NUL-terminated token, or NULL on error (including an empty key or a token
 * that would exceed JWT_MAX_LEN and so could never be verified). */
char *jwt_sign_hs256(const json_t *payload, const uint8_t *key, size_t key_len);

/* Verifies token[0..len). On JWT_OK, and only then, *payload_out (if
 * payload_out is not NULL) receives the payload object; json_decref it.
 * Header problems other than "alg" (bad JSON, "typ" not "JWT", "crit") and
 * bad base64 give JWT_MALFORMED; a signature that is not 32 bytes or does
 * not match gives JWT_BAD_SIGNATURE. An empty key never verifies. */
jwt_status jwt_verify_hs256(const char *token, size_t len, const uint8_t *key, size_t key_len,
                            json_t **payload_out);

/* Claims of a room join token. */
typedef struct {
  char team_id[64];      /* td */
  char room[64];         /* rd: room id or friendly_url */
  char user_name[256];   /* u, optional, "" if absent */
  char user_id[257];     /* ud, optional */
  char role[33];         /* role, optional */
  char initials[17];     /* initials, optional */
  char avatar[1025];     /* avatar, optional */
  int e2ee;              /* e2ee, optional boolean: 1 if true (the holder joins only encrypted) */
  int64_t iat, nbf, exp; /* nbf/iat 0 if absent; exp required */
  int signature_ok;      /* set even on failure: the MAC matched one of the keys (the
                          * failure is then about claims, not about who made it) */
} jwt_join_claims;

/* Verifies a join token against any of n_keys keys, then its claims: td must
 * equal team_id, rd must equal room_id or (ASCII case-insensitively)
 * room_friendly_url (which may be NULL), exp is required, and the token is
 * valid while now < exp + leeway and now + leeway >= nbf. *out is zeroed
 * first and filled only on JWT_OK, except signature_ok, set whenever the MAC
 * matched (also when a claim then fails). */
jwt_status jwt_verify_join(const char *token, size_t len, const uint8_t *const *keys,
                           const size_t *key_lens, size_t n_keys, const char *team_id,
                           const char *room_id, const char *room_friendly_url, int64_t now,
                           int64_t leeway, jwt_join_claims *out);

#endif
