/* Helpers shared by the test-vector generators (tools/gen-*-vectors.c):
 * DIE(...) (print with the tool's name and exit), OK(call) (DIE unless the
 * sre_ call returns SRE_OK), bytes as a lowercase hex JSON string, SHA-256.
 * Header-only, static: each generator defines VECTOR_TOOL (its name) first. */
#ifndef SEALROOM_TOOLS_VECTOR_JSON_H
#define SEALROOM_TOOLS_VECTOR_JSON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "sealroom_e2ee.h"

#ifndef VECTOR_TOOL
#error "define VECTOR_TOOL (the generator's name) before including vector_json.h"
#endif

#define DIE(...)                                    \
  do {                                              \
    fprintf(stderr, VECTOR_TOOL ": " __VA_ARGS__);  \
    fputc('\n', stderr);                            \
    exit(1);                                        \
  } while (0)

#define OK(call)                                                                              \
  do {                                                                                        \
    sre_status st_ = (call);                                                                  \
    if (st_ != SRE_OK) DIE("%s:%d: %s: %s", __FILE__, __LINE__, #call, sre_status_name(st_)); \
  } while (0)

static json_t *hex(const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  char *s = malloc(2 * n + 1);
  if (!s) DIE("out of memory");
  for (size_t i = 0; i < n; i++) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  s[2 * n] = '\0';
  json_t *j = json_string(s);
  free(s);
  return j;
}

static void sha256(const void *in, size_t n, uint8_t out[32]) {
  if (EVP_Digest(in, n, out, NULL, EVP_sha256(), NULL) != 1) DIE("sha256");
}

#endif
