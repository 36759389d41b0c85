/* Random identifiers of the native client (client/random.h). */
#include "client/random.h"

#include <openssl/rand.h>
#include <string.h>

void sc_random_token(char *out, size_t n) {
  static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  uint8_t r[64];
  if (n == 0) return;
  if (n > sizeof r + 1) n = sizeof r + 1;
  if (RAND_bytes(r, (int)(n - 1)) != 1) memset(r, 7, sizeof r);
  for (size_t i = 0; i + 1 < n; i++) out[i] = al[r[i] % (sizeof al - 1)];
  out[n - 1] = '\0';
}

uint32_t sc_random_ssrc(void) {
  uint32_t v = 0;
  while (v == 0)
    if (RAND_bytes((uint8_t *)&v, sizeof v) != 1) v = 0x5eed;
  return v;
}
