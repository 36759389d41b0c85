/* Ed25519 of lib/e2ee/sign.c, shared with lib/e2ee/sign_chat.c; not part of
 * the public API (names sre__). */
#ifndef SEALROOM_SIGN_INTERNAL_H
#define SEALROOM_SIGN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sealroom_sign.h"

/* Ed25519-Sign(key, msg): SRE_OK or SRE_ERR_CRYPTO. */
sre_status sre__ed25519_sign(struct evp_pkey_st *key, const uint8_t *msg, size_t len,
                             uint8_t sig[SRE_SIGN_SIG_LEN]);
/* Ed25519-Verify: SRE_OK, SRE_ERR_AUTH (bad signature) or SRE_ERR_CRYPTO. */
sre_status sre__ed25519_verify(struct evp_pkey_st *key, const uint8_t *msg, size_t len,
                               const uint8_t sig[SRE_SIGN_SIG_LEN]);

#endif
