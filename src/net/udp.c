/* UDP socket with recvmmsg/sendmmsg batches. */
#include "net/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/addr.h"
#include "net/tcp.h"

socklen_t sockaddr_len(const struct sockaddr *sa) {
  if (sa->sa_family == AF_MEDIA_TCP) return sizeof(tcp_path);
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int udp_open(const char *ip, int port, int *bound_port) {
  struct sockaddr_storage ss;
  if (!addr_from_text(ip, port, &ss)) {
    errno = EINVAL;
    return -1;
  }
  int family = ss.ss_family;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int size = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  int on = 1; /* arrival times for congestion control feedback; without them the read time is used */
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (bind(fd, (struct sockaddr *)&ss, sockaddr_len((struct sockaddr *)&ss)) != 0) {
    close(fd);
    return -1;
  }
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  *bound_port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

int udp_want_dst(int fd) {
  int on = 1;
  return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
}

int udp_recv(int fd, udp_recv_batch *b) {
  struct mmsghdr msgs[UDP_BATCH];
  struct iovec iov[UDP_BATCH];
  for (int i = 0; i < UDP_BATCH; i++) {
    iov[i].iov_base = b->data[i];
    iov[i].iov_len = UDP_MAX_DATAGRAM;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &b->from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof b->from[i];
    msgs[i].msg_hdr.msg_control = b->control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof b->control[i];
  }
  int n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int i = 0; i < n; i++) {
    /* A datagram cut short by the buffer is not one we could parse. */
    b->len[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : msgs[i].msg_len;
    struct timespec at = now;
    b->dst4[i].s_addr = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm; cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
          cm->cmsg_len >= CMSG_LEN(sizeof at)) {
        memcpy(&at, CMSG_DATA(cm), sizeof at);
      } else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
                 cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        b->dst4[i] = pi.ipi_addr;
      } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
                 cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
        memcpy(&b->drops, CMSG_DATA(cm), sizeof b->drops);
      }
    }
    b->at_us[i] = (int64_t)at.tv_sec * 1000000 + at.tv_nsec / 1000;
  }
  return n;
}

uint8_t *udp_send_slot(int fd, udp_send_batch *b) {
  if (b->n == UDP_BATCH && udp_flush(fd, b) != 0 && b->n == UDP_BATCH) {
    /* The socket is still full: the newest queued datagram makes room (tail
     * drop, as a router queue would). */
    b->n--;
    b->send_errors++;
  }
  return b->data[b->n];
}

void udp_send_commit(udp_send_batch *b, size_t len, const struct sockaddr *to, int64_t src_us) {
  b->len[b->n] = len;
  memcpy(&b->to[b->n], to, sockaddr_len(to));
  b->src_us[b->n] = src_us;
  b->n++;
}

/* Fine below a millisecond, where a forwarding SFU's holds are. */
const int64_t udp_hold_bounds_us[UDP_HOLD_BUCKETS - 1] = {10,  25,  50,  75,  100,  150,  200,   300,   400,  500,
                                                          600, 800, 1000, 1500, 2000, 3000, 5000, 10000, 50000};

int udp_hold_bucket(int64_t us) {
  int i = 0;
  while (i < UDP_HOLD_BUCKETS - 1 && us > udp_hold_bounds_us[i]) i++;
  return i;
}

int64_t udp_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Adds the holds of the timed datagrams [from, from + n) just sent. */
static void count_holds(udp_send_batch *b, int from, int n) {
  int64_t now = -1;
  for (int i = from; i < from + n; i++) {
    if (!b->src_us[i]) continue;
    if (now < 0) now = udp_now_us();
    int64_t us = now > b->src_us[i] ? now - b->src_us[i] : 0;
    b->hold.n[udp_hold_bucket(us)]++;
    b->hold.sum_us += (uint64_t)us;
  }
}

/* Moves datagrams [from, n) to the front of the batch. */
static void keep_tail(udp_send_batch *b, int from) {
  int rest = b->n - from;
  if (rest > 0 && from > 0) {
    memmove(b->data[0], b->data[from], (size_t)rest * sizeof b->data[0]);
    memmove(b->len, b->len + from, (size_t)rest * sizeof b->len[0]);
    memmove(b->to, b->to + from, (size_t)rest * sizeof b->to[0]);
    memmove(b->src_us, b->src_us + from, (size_t)rest * sizeof b->src_us[0]);
  }
  b->n = rest > 0 ? rest : 0;
}

int udp_flush(int fd, udp_send_batch *b) {
  struct mmsghdr msgs[UDP_BATCH];
  struct iovec iov[UDP_BATCH];
  int off = 0;
  while (off < b->n) {
    int n = b->n - off;
    for (int i = 0; i < n; i++) {
      iov[i].iov_base = b->data[off + i];
      iov[i].iov_len = b->len[off + i];
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &b->to[off + i];
      msgs[i].msg_hdr.msg_namelen = sockaddr_len((struct sockaddr *)&b->to[off + i]);
    }
    int sent = sendmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        /* The socket buffer is full: keep the rest for when it drains. */
        keep_tail(b, off);
        return 1;
      }
      /* This datagram cannot be sent (a bad or unreachable address): skip
       * it alone, the others still go. */
      b->send_errors++;
      off++;
      continue;
    }
    for (int i = 0; i < sent; i++) {
      b->sent_packets++;
      b->sent_bytes += b->len[off + i];
    }
    count_holds(b, off, sent);
    off += sent;
  }
  b->n = 0;
  return 0;
}
