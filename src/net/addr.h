/* Client addresses. Which clients count as one for per-address limits. An IPv4 address is one
 * client; an IPv6 host usually gets a whole /64 from its network, so any
 * address in it could be its own, and limits keyed on the full address let
 * one host take them 2^64 times. IPv6 clients are therefore grouped by /64,
 * and an IPv4-mapped IPv6 address counts as its IPv4 address. */
#ifndef SEALROOM_NET_ADDR_H
#define SEALROOM_NET_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* The limit key of a client address in text form ("192.0.2.1",
 * "2001:db8:1:2::/64"). Text that is not an address is its own key. out
 * gets at most cap - 1 characters and a NUL (cap 64 always suffices). */
void addr_client_key(const char *ip, char *out, size_t cap);

/* The socket address of ip (an IPv4 or IPv6 literal; IPv6 if it has a
 * colon) and port, in a zeroed *out. Returns its length, or 0 if ip is not an
 * address. */
socklen_t addr_from_text(const char *ip, int port, struct sockaddr_storage *out);

#endif
