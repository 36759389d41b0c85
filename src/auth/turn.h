/* TURN credentials for a participant, in the shared-secret scheme coturn
 * calls the "TURN REST API" (use-auth-secret): the username is
 * "<expiry unix time>:<participant id>" and the password is the base64 of
 * HMAC-SHA1(secret, username). The TURN server holds the same secret and
 * needs no database; it refuses the credentials after the expiry. */
#ifndef SEALROOM_AUTH_TURN_H
#define SEALROOM_AUTH_TURN_H

#include <stddef.h>

/* Writes the username and password for user (a participant id) valid until
 * expiry. Returns 0, or -1 if an argument is missing, a buffer is too small
 * (username: the digits, ':' and user; password: 29 bytes) or the MAC
 * failed; on failure both outputs are empty strings. */
int turn_credentials(const char *secret, const char *user, long long expiry, char *username,
                     size_t username_cap, char *password, size_t password_cap);

#endif
