/* One UDP socket with batched I/O: recvmmsg into caller buffers, and an
 * outgoing batch flushed with sendmmsg. No allocation per packet. */
#ifndef SEALROOM_UDP_H
#define SEALROOM_UDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_BATCH 32
#define UDP_MAX_DATAGRAM 1500
#define UDP_SEND_ROOM 64 /* bytes after a packet for SRTP trailers */

typedef struct {
  uint8_t data[UDP_BATCH][UDP_MAX_DATAGRAM];
  size_t len[UDP_BATCH];
  struct sockaddr_storage from[UDP_BATCH];
  /* When each datagram arrived, in microseconds of the real-time clock: the
   * kernel's receive timestamp (SO_TIMESTAMPNS), or the time of the read if
   * the kernel gave none. Only differences are meaningful. */
  int64_t at_us[UDP_BATCH];
  uint8_t control[UDP_BATCH][64]; /* room for the timestamp control message */
} udp_recv_batch;

typedef struct {
  uint8_t data[UDP_BATCH][UDP_MAX_DATAGRAM + UDP_SEND_ROOM];
  size_t len[UDP_BATCH];
  struct sockaddr_storage to[UDP_BATCH];
  int n;
  uint64_t sent_packets, sent_bytes, send_errors; /* send_errors: datagrams not sent */
} udp_send_batch;

/* Binds a non-blocking UDP socket to ip:port (port 0: any). Returns the fd or
 * -1; *bound_port gets the port. */
int udp_open(const char *ip, int port, int *bound_port);
/* Receives up to UDP_BATCH datagrams; returns how many (0 when none), -1 on error. */
int udp_recv(int fd, udp_recv_batch *b);
/* A slot for the next outgoing datagram (flushing first if the batch is
 * full; if the socket is still full the newest queued datagram is dropped and
 * counted in send_errors); write at most UDP_MAX_DATAGRAM + UDP_SEND_ROOM
 * bytes, then commit. */
uint8_t *udp_send_slot(int fd, udp_send_batch *b);
void udp_send_commit(udp_send_batch *b, size_t len, const struct sockaddr *to);
/* Sends the batch. A datagram the kernel refuses (bad address) is skipped and
 * counted in send_errors. Returns 0 when the batch is empty, 1 when the
 * socket buffer filled up: the unsent datagrams stay queued, in order, for
 * the next flush once the socket is writable. */
int udp_flush(int fd, udp_send_batch *b);
socklen_t sockaddr_len(const struct sockaddr *sa);

#endif
