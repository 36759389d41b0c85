/* sealroom's KID layout (slot << 16 | generation << 8 | step) and the 8-bit
 * generation derived from a sender's 32-bit epoch (docs/e2ee.md 4.5, 8.1). */
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

uint8_t sre_epoch_generation(uint32_t epoch) {
  return epoch == 0 ? 0 : (uint8_t)((epoch - 1u) % 255u + 1u);
}
