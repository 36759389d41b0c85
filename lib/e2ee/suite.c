/* Cipher suite parameters (RFC 9605 section 4.5 and the extra AES-256-CTR
 * suites of the working group's aes256 vectors). */
#include "internal.h"

static const sre__suite suites[] = {
    {0x0001, 0, 0, 48, 16, 10}, {0x0002, 0, 0, 48, 16, 8}, {0x0003, 0, 0, 48, 16, 4},
    {0x0004, 1, 0, 16, 16, 16}, {0x0005, 1, 1, 32, 32, 16}, {0x0006, 0, 1, 96, 32, 10},
    {0x0007, 0, 1, 96, 32, 8},  {0x0008, 0, 1, 96, 32, 4},
};

const sre__suite *sre__suite_get(unsigned suite) {
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
    if (suites[i].id == suite) return &suites[i];
  }
  return NULL;
}

bool sre_suite_supported(unsigned suite) {
  return sre__suite_get(suite) != NULL;
}

size_t sre_suite_tag_len(unsigned suite) {
  const sre__suite *s = sre__suite_get(suite);
  return s ? s->nt : 0;
}
