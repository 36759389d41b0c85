/* One UDP socket shared by many peer connections of a process (the public
 * part is in include/sealroom_client.h: sc_udp_mux_new, sc_udp_mux_close).
 *
 * Each connection attaches and gets a slot: its own local IPv4 address from
 * a block of the loopback network (every 127.0.0.0/8 address is local on
 * Linux), so that the server tells the connections apart by address as it
 * would tell machines apart. The socket is bound to 0.0.0.0 on one port and
 * read in recvmmsg batches; each datagram goes to the slot of the address
 * it was sent to (IP_PKTINFO); sends leave from the slot's address
 * (IP_PKTINFO's ipi_spec_dst). Slots are handed out in turn round the block,
 * so an address is used again only after the whole block: a server still
 * holding a closed connection's address does not meet a new one there.
 *
 * For a load generator on the server's machine: hundreds of connections
 * cost one socket and a few system calls per batch instead of one socket
 * and one wake-up per connection. Threading: the loop's thread only. */
#ifndef SEALROOM_CLIENT_UDP_MUX_H
#define SEALROOM_CLIENT_UDP_MUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sealroom_client.h"

/* A datagram for the slot: data[0..len) may be changed in place (until the
 * call returns); at_us is the kernel's arrival time (CLOCK_REALTIME). */
typedef void (*sc_udp_mux_input_fn)(void *ctx, uint8_t *data, size_t len, const struct sockaddr *from,
                                    int64_t at_us);

/* A free slot for ctx, or -1 when the block is used up or the mux is closing. */
int sc_udp_mux_attach(sc_udp_mux *m, sc_udp_mux_input_fn fn, void *ctx);
/* Nothing more reaches the slot. Harmless for -1. */
void sc_udp_mux_detach(sc_udp_mux *m, int slot);
/* The slot's local address and the socket's port. */
void sc_udp_mux_local_addr(const sc_udp_mux *m, int slot, struct sockaddr_storage *out);
/* Sends data[0..len) from the slot's address; 0, or -1 (the socket's buffer
 * is full, or the address is refused). */
int sc_udp_mux_send(sc_udp_mux *m, int slot, const struct sockaddr *to, const uint8_t *data, size_t len);

#endif
