/* ICE-TCP on the media port: connection names, RFC 4571 framing and the
 * listening socket (see tcp.h). */
#include "net/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "net/addr.h"

void tcp_path_make(tcp_path *out, uint16_t index, uint32_t gen, const struct sockaddr *peer) {
  memset(out, 0, sizeof *out);
  out->family = AF_MEDIA_TCP;
  out->index = index;
  out->gen = gen;
  if (peer->sa_family == AF_INET6) memcpy(&out->peer.v6, peer, sizeof out->peer.v6);
  else memcpy(&out->peer.v4, peer, sizeof out->peer.v4);
}

const struct sockaddr *tcp_path_peer(const struct sockaddr *sa) {
  if (sa->sa_family != AF_MEDIA_TCP) return sa;
  return (const struct sockaddr *)&((const tcp_path *)(const void *)sa)->peer;
}

int tcp_frame_next(const uint8_t *buf, size_t len, size_t max, size_t *frame_len) {
  if (len < 2) return 0;
  size_t n = get_be16(buf);
  if (n == 0 || n > max) return -1;
  if (len - 2 < n) return 0;
  *frame_len = n;
  return 1;
}

void tcp_frame_header(uint8_t out[2], size_t n) { put_be16(out, (uint16_t)n); }

uint8_t *tcp_reader_space(tcp_reader *r, size_t *room) {
  *room = sizeof r->buf - r->len; /* a commit that ran to the end leaves less than one whole frame */
  return r->buf + r->len;
}

int tcp_reader_commit(tcp_reader *r, size_t n, tcp_frame_cb fn, void *ctx) {
  if (n > sizeof r->buf - r->len) return -1; /* more than was offered: a caller's bug, not trusted */
  r->len += n;
  size_t off = 0, len;
  int rc = 0;
  bool stopped = false;
  while (!stopped && (rc = tcp_frame_next(r->buf + off, r->len - off, TCP_FRAME_MAX, &len)) == 1) {
    stopped = fn(ctx, r->buf + off + 2, len) != 0;
    off += 2 + len;
    if (r->len < off) return 1; /* fn emptied the reader (a closed connection): nothing to keep */
  }
  if (!stopped && rc < 0) return -1;
  memmove(r->buf, r->buf + off, r->len - off);
  r->len -= off;
  return stopped ? 1 : 0;
}

int tcp_listen(const char *ip, int port, int backlog) {
  struct sockaddr_storage ss;
  socklen_t len = addr_from_text(ip, port, &ss);
  if (!len) {
    errno = EINVAL;
    return -1;
  }
  int family = ss.ss_family;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, backlog) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
