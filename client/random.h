/* Random identifiers of the native client (OpenSSL RAND_bytes): tokens for
 * SDP stream and track ids and request transactions, and SSRCs. */
#ifndef SEALROOM_CLIENT_RANDOM_H
#define SEALROOM_CLIENT_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Writes n - 1 random letters and digits and a terminating NUL into out
 * (n - 1 at most 64; n 0 writes nothing). Should the random generator fail,
 * the token is still made, from a fixed pattern. */
void sc_random_token(char *out, size_t n);

/* A random non-zero SSRC (0x5eed should the random generator fail). */
uint32_t sc_random_ssrc(void);

#endif
