/* Random identifiers from RAND_bytes. Friendly URLs use 3-4-3 lowercase letters
 * (about 47 bits), enough that a retry on collision is practically never needed. */
#include "core/ids.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

int uuid_v4(char out[UUID_STR_LEN]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return -1;
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, UUID_STR_LEN,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
           b[12], b[13], b[14], b[15]);
  return 0;
}

bool uuid_is_valid(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

int friendly_url_generate(char out[13]) {
  unsigned char b[10];
  if (RAND_bytes(b, sizeof b) != 1) return -1;
  int j = 0;
  for (int i = 0; i < 10; i++) {
    if (i == 3 || i == 7) out[j++] = '-';
    out[j++] = (char)('a' + b[i] % 26);
  }
  out[j] = '\0';
  return 0;
}
