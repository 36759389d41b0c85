/* One UDP socket shared by many peer connections (client/udp_mux.h): slots
 * of a block of loopback addresses, batched reads dispatched by each
 * datagram's destination address, sends from the slot's address. */
#include "client/udp_mux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/udp.h"

#define MUX_MAX_SLOTS 65536
#define MUX_ROUNDS 8          /* batches read per wake-up before other handles get a turn */
#define MUX_TIMER_ROUNDS 128  /* ... per tick when read on a timer: what a tick brings, up to 4096 */
#define MUX_RCVBUF (32 << 20) /* one socket takes what hundreds used to: a deep receive buffer */

typedef struct {
  sc_udp_mux_input_fn fn; /* NULL: free */
  void *ctx;
} mux_slot;

struct sc_udp_mux {
  uv_loop_t *loop;
  int fd, port;
  uv_poll_t poll;
  uv_timer_t timer; /* sc_udp_mux_read_every: reads on it instead of on readiness */
  bool timer_on;
  uint32_t first; /* host order */
  int count, next, used;
  bool closing, closed_handle;
  int open_handles; /* while closing */
  int rcvbuf;       /* the receive buffer the kernel granted */
  uint64_t drops;   /* datagrams the kernel dropped for a full buffer (SO_RXQ_OVFL) */
  mux_slot *slots;
  udp_recv_batch *rx;
};

static void read_batches(sc_udp_mux *m, int rounds) {
  for (int round = 0; round < rounds && !m->closing; round++) {
    int n = udp_recv(m->fd, m->rx);
    if (n <= 0) break;
    if (m->rx->drops > m->drops) m->drops = m->rx->drops;
    for (int i = 0; i < n; i++) {
      uint32_t k = ntohl(m->rx->dst4[i].s_addr) - m->first; /* wraps: out of range */
      if (k >= (uint32_t)m->count || !m->slots[k].fn || !m->rx->len[i]) continue;
      m->slots[k].fn(m->slots[k].ctx, m->rx->data[i], m->rx->len[i], (const struct sockaddr *)&m->rx->from[i],
                     m->rx->at_us[i]);
    }
    if (n < UDP_BATCH) break;
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)status, (void)events; /* an error is read (and cleared) by recvmmsg */
  read_batches(h->data, MUX_ROUNDS);
}

static void on_tick(uv_timer_t *t) { read_batches(t->data, MUX_TIMER_ROUNDS); }

int sc_udp_mux_read_every(sc_udp_mux *m, unsigned ms) {
  if (!m || m->closing) return -1;
  /* A tick's datagrams must fit the buffer: ~1 MB per ms at 250,000
   * packets/s. A smaller buffer (not root, rmem_max) reads on readiness. */
  if (ms > 0 && m->rcvbuf < (int)ms * (2 << 20)) return -1;
  if (ms == 0) {
    if (m->timer_on) uv_timer_stop(&m->timer);
    m->timer_on = false;
    return uv_poll_start(&m->poll, UV_READABLE, on_readable) == 0 ? 0 : -1;
  }
  uv_poll_stop(&m->poll);
  m->timer_on = true;
  return uv_timer_start(&m->timer, on_tick, ms, ms) == 0 ? 0 : -1;
}

sc_udp_mux *sc_udp_mux_new(uv_loop_t *loop, const char *first, int count) {
  struct in_addr a;
  if (!loop || !first || count < 1 || count > MUX_MAX_SLOTS || inet_pton(AF_INET, first, &a) != 1) return NULL;
  uint32_t f = ntohl(a.s_addr);
  /* The whole block inside 127.0.0.0/8, and not its network or broadcast address. */
  if ((f >> 24) != 127 || f == 0x7F000000u || (uint64_t)f + (uint64_t)count > 0x7FFFFFFFu) return NULL;
  sc_udp_mux *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->loop = loop;
  m->first = f;
  m->count = count;
  m->slots = calloc((size_t)count, sizeof *m->slots);
  m->rx = calloc(1, sizeof *m->rx);
  m->fd = m->slots && m->rx ? udp_open("0.0.0.0", 0, &m->port) : -1;
  if (m->fd >= 0) {
    int size = MUX_RCVBUF; /* beyond rmem_max only for root (SO_RCVBUFFORCE); else what the system allows */
    if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
      setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    socklen_t sl = sizeof m->rcvbuf;
    if (getsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &m->rcvbuf, &sl) != 0) m->rcvbuf = 0;
    int on = 1; /* the kernel's drop count comes with each datagram: our losses are not the server's */
    setsockopt(m->fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  }
  if (m->fd < 0 || udp_want_dst(m->fd) != 0 || uv_poll_init(loop, &m->poll, m->fd) != 0) {
    if (m->fd >= 0) close(m->fd);
    free(m->slots);
    free(m->rx);
    free(m);
    return NULL;
  }
  m->poll.data = m;
  uv_timer_init(loop, &m->timer);
  m->timer.data = m;
  if (uv_poll_start(&m->poll, UV_READABLE, on_readable) != 0) {
    sc_udp_mux_close(m); /* the socket is closed with the handle */
    return NULL;
  }
  return m;
}

/* Both handles close together; the second callback frees. */
static void on_handle_closed(uv_handle_t *h) {
  sc_udp_mux *m = h->data;
  if (--m->open_handles > 0) return;
  if (m->fd >= 0) close(m->fd);
  free(m->slots);
  free(m->rx);
  free(m);
}

static void maybe_free(sc_udp_mux *m) {
  if (!m->closing || m->used > 0 || m->closed_handle) return;
  m->closed_handle = true;
  m->open_handles = 2;
  uv_close((uv_handle_t *)&m->poll, on_handle_closed);
  uv_close((uv_handle_t *)&m->timer, on_handle_closed);
}

void sc_udp_mux_close(sc_udp_mux *m) {
  if (!m || m->closing) return;
  m->closing = true;
  uv_poll_stop(&m->poll);
  uv_timer_stop(&m->timer);
  maybe_free(m);
}

int sc_udp_mux_attach(sc_udp_mux *m, sc_udp_mux_input_fn fn, void *ctx) {
  if (!m || !fn || m->closing || m->used >= m->count) return -1;
  for (int tries = 0; tries < m->count; tries++) {
    int k = m->next;
    m->next = (m->next + 1) % m->count;
    if (m->slots[k].fn) continue;
    m->slots[k] = (mux_slot){fn, ctx};
    m->used++;
    return k;
  }
  return -1;
}

void sc_udp_mux_detach(sc_udp_mux *m, int slot) {
  if (!m || slot < 0 || slot >= m->count || !m->slots[slot].fn) return;
  m->slots[slot] = (mux_slot){0};
  m->used--;
  maybe_free(m);
}

uint64_t sc_udp_mux_drops(const sc_udp_mux *m) { return m ? m->drops : 0; }

void sc_udp_mux_local_addr(const sc_udp_mux *m, int slot, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *sin = (struct sockaddr_in *)out;
  sin->sin_family = AF_INET;
  sin->sin_port = htons((uint16_t)m->port);
  sin->sin_addr.s_addr = htonl(m->first + (uint32_t)slot);
}

int sc_udp_mux_send(sc_udp_mux *m, int slot, const struct sockaddr *to, const uint8_t *data, size_t len) {
  if (!m || slot < 0 || slot >= m->count || m->fd < 0 || to->sa_family != AF_INET) return -1;
  struct iovec iov = {(void *)data, len};
  union {
    struct cmsghdr align;
    uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {0};
  msg.msg_name = (void *)to;
  msg.msg_namelen = sizeof(struct sockaddr_in);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = IPPROTO_IP;
  cm->cmsg_type = IP_PKTINFO;
  cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
  struct in_pktinfo pi = {0};
  pi.ipi_spec_dst.s_addr = htonl(m->first + (uint32_t)slot);
  memcpy(CMSG_DATA(cm), &pi, sizeof pi);
  ssize_t n;
  do n = sendmsg(m->fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)len ? 0 : -1;
}
