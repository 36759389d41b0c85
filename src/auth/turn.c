/* TURN REST API credentials (see turn.h). */
#include "auth/turn.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/base64.h"

int turn_credentials(const char *secret, const char *user, long long expiry, char *username,
                     size_t username_cap, char *password, size_t password_cap) {
  if (username && username_cap) username[0] = '\0';
  if (password && password_cap) password[0] = '\0';
  if (!secret || !*secret || !user || !*user || !username || !password || expiry <= 0) return -1;
  int n = snprintf(username, username_cap, "%lld:%s", expiry, user);
  if (n < 0 || (size_t)n >= username_cap) {
    if (username_cap) username[0] = '\0';
    return -1;
  }
  unsigned char mac[20];
  size_t mac_len = 0;
  if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, secret, strlen(secret), (const unsigned char *)username,
                (size_t)n, mac, sizeof mac, &mac_len) == NULL || mac_len != sizeof mac) {
    username[0] = '\0';
    return -1;
  }
  size_t out_len = 0;
  int rc = sr_base64_encode(mac, sizeof mac, password, password_cap, &out_len, SR_BASE64_STD) == SR_BASE64_OK ? 0 : -1;
  OPENSSL_cleanse(mac, sizeof mac);
  if (rc != 0) {
    username[0] = '\0';
    if (password_cap) password[0] = '\0';
  }
  return rc;
}
