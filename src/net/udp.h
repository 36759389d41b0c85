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

/* Now on the clock of the arrival times below (the real-time clock), in
 * microseconds: what their differences are taken against. */
int64_t udp_now_us(void);

typedef struct {
  uint8_t data[UDP_BATCH][UDP_MAX_DATAGRAM];
  size_t len[UDP_BATCH];
  struct sockaddr_storage from[UDP_BATCH];
  /* When each datagram arrived, in microseconds of the real-time clock: the
   * kernel's receive timestamp (SO_TIMESTAMPNS), or the time of the read if
   * the kernel gave none. Only differences are meaningful. */
  int64_t at_us[UDP_BATCH];
  /* The IPv4 address each was sent to, on a socket with udp_want_dst
   * (IP_PKTINFO); 0.0.0.0 otherwise. */
  struct in_addr dst4[UDP_BATCH];
  /* The kernel's count of datagrams it dropped on this socket for a full
   * buffer, as of the newest datagram read, on a socket with SO_RXQ_OVFL;
   * 0 otherwise. */
  uint32_t drops;
  /* Room for the timestamp, destination and drop-count control messages. */
  _Alignas(struct cmsghdr) uint8_t control[UDP_BATCH][96];
} udp_recv_batch;

/* How long datagrams were held on their way through: from the kernel's
 * arrival time of the datagram each was made from (udp_recv_batch.at_us)
 * to the return of the sendmmsg that handed it back to the kernel. Counts
 * per bucket: n[i] counts the holds in (bounds[i - 1], bounds[i]] (n[0]
 * those up to bounds[0]), the last one those above the last bound. */
#define UDP_HOLD_BUCKETS 20
extern const int64_t udp_hold_bounds_us[UDP_HOLD_BUCKETS - 1];
typedef struct {
  uint64_t n[UDP_HOLD_BUCKETS];
  uint64_t sum_us;
} udp_hold_hist;

typedef struct {
  uint8_t data[UDP_BATCH][UDP_MAX_DATAGRAM + UDP_SEND_ROOM];
  size_t len[UDP_BATCH];
  struct sockaddr_storage to[UDP_BATCH];
  int64_t src_us[UDP_BATCH]; /* arrival of the datagram it came from; 0: not timed */
  int n;
  uint64_t sent_packets, sent_bytes, send_errors; /* send_errors: datagrams not sent */
  udp_hold_hist hold;                             /* of the timed datagrams sent */
} udp_send_batch;

/* Binds a non-blocking UDP socket to ip:port (port 0: any). Returns the fd or
 * -1; *bound_port gets the port. */
int udp_open(const char *ip, int port, int *bound_port);
/* Asks the kernel for each datagram's destination address (IP_PKTINFO, for
 * a socket bound to 0.0.0.0 that answers for several local addresses). */
int udp_want_dst(int fd);
/* Receives up to UDP_BATCH datagrams; returns how many (0 when none), -1 on error. */
int udp_recv(int fd, udp_recv_batch *b);
/* A slot for the next outgoing datagram (flushing first if the batch is
 * full; if the socket is still full the newest queued datagram is dropped and
 * counted in send_errors); write at most UDP_MAX_DATAGRAM + UDP_SEND_ROOM
 * bytes, then commit. */
uint8_t *udp_send_slot(int fd, udp_send_batch *b);
/* src_us: the arrival time (udp_recv_batch.at_us) of the datagram this one
 * forwards, for the hold histogram; 0 for datagrams made here. */
void udp_send_commit(udp_send_batch *b, size_t len, const struct sockaddr *to, int64_t src_us);
/* The histogram's bucket for a hold of us microseconds. */
int udp_hold_bucket(int64_t us);
/* Sends the batch. A datagram the kernel refuses (bad address) is skipped and
 * counted in send_errors. Returns 0 when the batch is empty, 1 when the
 * socket buffer filled up: the unsent datagrams stay queued, in order, for
 * the next flush once the socket is writable. */
int udp_flush(int fd, udp_send_batch *b);
socklen_t sockaddr_len(const struct sockaddr *sa);

#endif
