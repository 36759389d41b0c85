/* ICE-TCP on the media port (RFC 6544, passive candidates only), the parts
 * that know nothing of transports: the listening socket, RFC 4571 framing
 * (every STUN, DTLS or SRTP packet is preceded by its 16-bit length), and
 * the name of an accepted connection as an address.
 *
 * A connection is named by a sockaddr of the private family AF_MEDIA_TCP
 * that carries the connection's index and generation (and, for STUN's
 * XOR-MAPPED-ADDRESS and for logs, its remote address). The ICE agent and the
 * worker's address table then treat a TCP connection exactly as they treat a
 * UDP source address: validated by a check, looked up per packet, the place
 * media goes. Two connections never share a name, even from the same remote
 * address, and a closed connection's name never comes back (the generation
 * grows). */
#ifndef SEALROOM_NET_TCP_H
#define SEALROOM_NET_TCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define AF_MEDIA_TCP 0x7ce1 /* not a kernel family (those are < 64): never passed to a system call */
#define TCP_FRAME_MAX 1500  /* the largest frame accepted: what a UDP datagram may carry (UDP_MAX_DATAGRAM) */

typedef struct {
  sa_family_t family; /* AF_MEDIA_TCP */
  uint16_t index;     /* the connection's slot in the worker */
  uint32_t gen;       /* which connection that slot held */
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } peer; /* the remote end */
} tcp_path;

/* Fills *out (zeroed first) with the name of connection index/gen from peer
 * (AF_INET or AF_INET6). */
void tcp_path_make(tcp_path *out, uint16_t index, uint32_t gen, const struct sockaddr *peer);
static inline bool is_tcp_path(const struct sockaddr *sa) { return sa->sa_family == AF_MEDIA_TCP; }
/* The remote address inside a connection's name; a UDP address is its own. */
const struct sockaddr *tcp_path_peer(const struct sockaddr *sa);

/* RFC 4571 framing of the bytes buf[0..len) read from a connection: 1 when a
 * whole frame is there (its payload at buf + 2, *frame_len bytes; the next
 * frame starts at 2 + *frame_len), 0 when more bytes are needed, -1 when the
 * length field is 0 or over max (a lie: the connection must be closed, as
 * nothing after it can be trusted to be framed). */
int tcp_frame_next(const uint8_t *buf, size_t len, size_t max, size_t *frame_len);
/* Writes the 2-byte length prefix of a frame of n bytes (n <= 65535). */
void tcp_frame_header(uint8_t out[2], size_t n);

/* What is read from one connection, cut into frames: read into the space
 * tcp_reader_space gives, then tcp_reader_commit hands each whole frame to
 * fn and keeps the rest for the next read. The buffer holds a few frames; it
 * never grows. */
#define TCP_READER_CAP (4 * (2 + TCP_FRAME_MAX))
typedef struct {
  uint8_t buf[TCP_READER_CAP];
  size_t len;
} tcp_reader;

/* A frame p[0..n), 1 <= n <= TCP_FRAME_MAX. Returns 0 to go on, or non-zero
 * to stop after it (the connection is to close, or it has had its share).
 * It should not change the reader; if it empties it, commit returns 1 at once. */
typedef int (*tcp_frame_cb)(void *ctx, const uint8_t *p, size_t n);

/* Where the next read goes: *room bytes, 0 only while whole frames wait
 * (after a commit that fn stopped: commit 0 more bytes to go on). */
uint8_t *tcp_reader_space(tcp_reader *r, size_t *room);
/* n bytes were read into the space (n may be 0): each whole frame goes to fn
 * in order. Returns 0 when every whole frame was handed over (an unfinished
 * one is kept for the next read); 1 when fn returned non-zero: the frames
 * after that one stay in the reader for the next commit; -1 on a framing lie
 * (a length of 0 or over TCP_FRAME_MAX) or n larger than the space. */
int tcp_reader_commit(tcp_reader *r, size_t n, tcp_frame_cb fn, void *ctx);

/* A non-blocking listening TCP socket on ip:port (port as bound by the UDP
 * socket), SO_REUSEADDR, backlog `backlog`. Returns the fd or -1. */
int tcp_listen(const char *ip, int port, int backlog);

#endif
