/* libFuzzer target: join-token verification on arbitrary bytes. Must never
 * crash, leak or read out of bounds, whatever the token. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t key[] = "fuzz-key-0123456789abcdef0123456789abcdef";
  const uint8_t *keys[] = {key, key + 1};
  const size_t lens[] = {sizeof key - 1, sizeof key - 2};
  jwt_join_claims claims;
  jwt_verify_join((const char *)data, size, keys, lens, 2, "0db5279e-d552-49c7-973a-4a1ac0bd3a5e",
                  "e6081149-82ce-4176-9838-6292a068b221", "my-standup", 1800000000, 30, &claims);
  json_t *payload = NULL;
  if (jwt_verify_hs256((const char *)data, size, key, sizeof key - 1, &payload) == JWT_OK)
    json_decref(payload);
  return 0;
}
