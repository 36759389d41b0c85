/* API authentication: reads the Authorization header in its three accepted
 * forms and resolves the developer key to a team through its SHA-256 hash. */
#ifndef SEALROOM_AUTH_H
#define SEALROOM_AUTH_H

#include <stdint.h>

#include "core/ids.h"
#include "store/store.h"

#define DEV_KEY_MAX 128
#define DEV_KEY_RANDOM_BYTES 64 /* the key is "sk_" + base64url of these: 89 chars */

typedef struct {
  char team_id[UUID_STR_LEN]; /* "" when the header gave only a key */
  char key[DEV_KEY_MAX + 1];
} credentials;

/* Parses "Bearer <key>", "Bearer base64(team:key)" or "Basic base64(team:key)".
 * Returns 0, or -1 if the header is absent or malformed. */
int auth_parse_header(const char *header, credentials *out);

/* Hash used to store and find developer keys (SHA-256). 0, or -1 if the
 * digest failed (out is then zeroed and must not be used). */
int auth_key_hash(const char *key, uint8_t out[KEY_HASH_LEN]);

/* Checks credentials against the store: STORE_OK (team_id and key_hash
 * filled), STORE_NOT_FOUND (an unknown key, or a team that is not the key's)
 * or STORE_ERROR (the store or the digest failed). */
store_status auth_check(store *db, const credentials *c, char team_id[UUID_STR_LEN],
                        uint8_t key_hash[KEY_HASH_LEN]);

/* Makes a new developer key for team_id, stores its hash and writes the key
 * (shown to the user once, never stored) to out. Returns 0 or -1. */
int auth_new_key(store *db, const char *team_id, char out[DEV_KEY_MAX + 1]);

#endif
