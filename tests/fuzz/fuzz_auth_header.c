/* libFuzzer target: the Authorization header parser and strict base64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "auth/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  credentials c;
  auth_parse_header(text, &c);
  uint8_t out[512];
  size_t n;
  base64_decode(text, size, out, sizeof out, &n, BASE64_STD);
  base64_decode(text, size, out, sizeof out, &n, BASE64_URL);
  char enc[1024];
  base64_encode(data, size < 700 ? size : 700, enc, sizeof enc, BASE64_URL);
  free(text);
  return 0;
}
