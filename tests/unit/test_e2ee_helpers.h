/* Helpers shared by the test_e2ee_*.c suites: hex, files, JSON with 64-bit
 * numbers, fixed ids. */
#ifndef SEALROOM_TEST_E2EE_HELPERS_H
#define SEALROOM_TEST_E2EE_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Decodes lowercase/uppercase hex into out; returns the byte count or -1. */
long tx_hex_decode(const char *hex, uint8_t *out, size_t cap);
/* Encodes n bytes as lowercase hex into out (2n+1 bytes). */
void tx_hex_encode(const uint8_t *in, size_t n, char *out);
/* Reads a whole file (NUL-terminated); NULL on failure. free() it. */
char *tx_read_file(const char *path, size_t *len);
/* Loads a JSON file with every bare number turned into a string, so that
 * values up to 2^64-1 survive (jansson integers are signed 64-bit). The
 * official SFrame vectors have such KIDs and CTRs. */
json_t *tx_load_json_numbers_as_strings(const char *path);
/* Finds a fixture of the project's tests/vectors/ (file relative to it) from
 * the project root or a folder one or two below it; returns a static path,
 * or NULL (the caller fails: a missing fixture never skips a test). */
const char *tx_vector_path(const char *file);
/* Member as uint64 (string or integer); false if absent or malformed. */
int tx_u64(json_t *o, const char *name, uint64_t *out);
/* The same, as a test check: a missing or malformed member fails the test (and gives 0). */
uint64_t tx_num(json_t *o, const char *name);
/* Hex member into out; returns its length or -1. */
long tx_hex_member(json_t *o, const char *name, uint8_t *out, size_t cap);

/* Three fixed participant ids (sorted: A < B < C). */
extern const char *const tx_id_a, *const tx_id_b, *const tx_id_c;

#endif
