/* Client addresses: per-address limit keys, and socket addresses from text (see addr.h). */
#include "net/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void addr_client_key(const char *ip, char *out, size_t cap) {
  if (!out || cap == 0) return;
  struct in6_addr a;
  if (!ip || inet_pton(AF_INET6, ip, &a) != 1) {
    snprintf(out, cap, "%s", ip ? ip : "");
    return;
  }
  char text[INET6_ADDRSTRLEN];
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    if (inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof text)) snprintf(out, cap, "%s", text);
    else snprintf(out, cap, "%s", ip);
    return;
  }
  memset(&a.s6_addr[8], 0, 8); /* the /64 */
  if (inet_ntop(AF_INET6, &a, text, sizeof text)) snprintf(out, cap, "%s/64", text);
  else snprintf(out, cap, "%s", ip);
}

socklen_t addr_from_text(const char *ip, int port, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (strchr(ip, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, ip, &a->sin6_addr) == 1 ? sizeof *a : 0;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)out;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? sizeof *a : 0;
}
