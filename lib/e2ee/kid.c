/* sealroom's KID layout (slot << 16 | generation << 8 | step) and the
 * generation ring 1..255 (docs/e2ee.md 4.5, 8.1). */
#include "internal.h"

uint64_t sre_kid_make(uint16_t slot, uint8_t generation, uint8_t step) {
  return (uint64_t)slot << 16 | (uint64_t)generation << 8 | step;
}

bool sre_kid_split(uint64_t kid, uint16_t *slot, uint8_t *generation, uint8_t *step) {
  if (kid > 0xffffffffu) return false;
  if (slot) *slot = (uint16_t)(kid >> 16);
  if (generation) *generation = (uint8_t)(kid >> 8);
  if (step) *step = (uint8_t)kid;
  return true;
}

uint8_t sre_generation_next(uint8_t g) {
  return g == 255 || g == 0 ? 1 : (uint8_t)(g + 1);
}

bool sre_generation_newer(uint8_t a, uint8_t b) {
  if (a == 0 || b == 0) return false;
  unsigned d = ((unsigned)(a - 1) + 255u - (unsigned)(b - 1)) % 255u;
  return d >= 1 && d <= 127;
}
