/* The media worker's ICE-TCP connections (see tcp.h): accepting within
 * limits, reading and cutting frames within the turn's budget, output
 * buffers, deadlines. */
#include "sfu/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/addr.h"
#include "net/tcp.h"
#include "net/udp.h"

#define ACCEPTS_PER_TURN 128

typedef enum { CONN_FREE = 0, CONN_OPEN, CONN_CLOSING } conn_state;

typedef struct {
  conn_state state;
  tcp_conns *owner;
  int fd;
  uint16_t index;
  uint32_t gen;
  tcp_path name;
  char client[64]; /* the limit key of the remote address (net/addr.h) */
  bool bound;      /* passed an ICE check */
  bool dirty;      /* has output not yet tried this turn */
  bool want_write; /* the socket was full: polled for writable */
  bool queued;     /* has frames waiting beyond its share of a turn: in the queue, not polled for reading */
  bool broke_rule; /* sent what an unbound connection may not: closed once its frames are cut */
  int unbound_frames; /* frames taken before it was bound */
  uint64_t opened_ms, last_rx_ms; /* last_rx_ms: the last whole frame */
  uv_poll_t poll;
  tcp_reader in;
  uint8_t *out; /* TCP_OUT_CAP bytes once something is sent; out[out_head..out_head+out_len) waits */
  size_t out_head, out_len;
} conn;

struct tcp_conns {
  uv_loop_t *loop;
  int listen_fd;
  uv_poll_t listen_poll;
  bool listening;
  bool accept_paused; /* out of descriptors: accepting again at the next tick */
  tcp_handlers h;
  tcp_counters counters;
  tcp_limits limits;
  conn *conns[TCP_MAX_CONNS];
  int n_open, n_unbound;
  uint16_t dirty[TCP_MAX_CONNS]; /* indices with queued output */
  int n_dirty;
  /* Reading: what is left of this turn's frames, of the current connection's
   * share, and the connections waiting for another share (oldest first). */
  int budget, share;
  uv_prepare_t prepare; /* before each poll: a new budget, the queue served first */
  uv_idle_t idle;       /* while the queue is not empty: the loop does not block */
  struct {
    uint16_t index;
    uint32_t gen;
  } queue[2 * TCP_MAX_CONNS];
  int q_head, q_len;
  uint8_t frame[TCP_FRAME_MAX + 64]; /* a frame handed to the worker (it may grow in place) */
  int64_t at_us;                     /* when the bytes being cut into frames were read */
};

#define ADD(field, n) atomic_fetch_add_explicit(tc->counters.field, (n), memory_order_relaxed)
#define SUB(field, n) atomic_fetch_sub_explicit(tc->counters.field, (n), memory_order_relaxed)

/* The open connection path names, or NULL (gone, or not a TCP name). */
static conn *find(tcp_conns *tc, const struct sockaddr *path) {
  if (!is_tcp_path(path)) return NULL;
  const tcp_path *p = (const tcp_path *)(const void *)path;
  if (p->index >= TCP_MAX_CONNS) return NULL;
  conn *c = tc->conns[p->index];
  return c && c->state == CONN_OPEN && c->gen == p->gen ? c : NULL;
}

static void on_conn_event(uv_poll_t *h, int status, int events);

/* Polls c for what it needs: reading unless it waits in the queue, writing while output waits. */
static void conn_poll(conn *c) {
  int events = (c->queued ? 0 : UV_READABLE) | (c->want_write ? UV_WRITABLE : 0);
  if (events) uv_poll_start(&c->poll, events, on_conn_event);
  else uv_poll_stop(&c->poll);
}

static void on_handle_closed(uv_handle_t *h) {
  conn *c = h->data;
  c->state = CONN_FREE;
}

/* Closes c; tells the worker if it was bound and `tell`. */
static void conn_close(tcp_conns *tc, conn *c, bool tell) {
  if (c->state != CONN_OPEN) return;
  c->state = CONN_CLOSING;
  uv_poll_stop(&c->poll);
  close(c->fd);
  c->fd = -1;
  free(c->out);
  c->out = NULL;
  c->out_len = c->out_head = 0;
  c->queued = false; /* its queue entry, if any, is skipped: the generation will differ */
  tc->n_open--;
  if (!c->bound) tc->n_unbound--;
  SUB(open, 1);
  uv_close((uv_handle_t *)&c->poll, on_handle_closed);
  if (tell && c->bound) tc->h.closed(tc->h.ctx, (const struct sockaddr *)&c->name);
}

/* Writes c's output; 0, or -1 if the connection failed (closed). */
static int conn_write(tcp_conns *tc, conn *c) {
  while (c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_head, c->out_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      conn_close(tc, c, true);
      return -1;
    }
    c->out_head += (size_t)n;
    c->out_len -= (size_t)n;
  }
  if (!c->out_len) c->out_head = 0;
  bool want = c->out_len > 0;
  if (want != c->want_write) {
    c->want_write = want;
    conn_poll(c);
  }
  return 0;
}

/* One frame of c to the worker. Before c is bound only STUN may come, and
 * only a few frames. Non-zero to stop: c is closed, or its share of the turn
 * is used. */
static int deliver(void *ctx, const uint8_t *p, size_t n) {
  conn *c = ctx;
  tcp_conns *tc = c->owner;
  if (!c->bound && (p[0] > 3 || ++c->unbound_frames > TCP_UNBOUND_FRAMES)) {
    c->broke_rule = true; /* closed by conn_read: never from inside the reader */
    return 1;
  }
  uint32_t gen = c->gen;
  c->last_rx_ms = uv_now(tc->loop);
  memcpy(tc->frame, p, n); /* the worker may rewrite it in place, and grow it */
  tc->h.frame(tc->h.ctx, tc->frame, n, (const struct sockaddr *)&c->name, tc->at_us);
  tc->budget--;
  tc->share--;
  return c->state != CONN_OPEN || c->gen != gen || tc->share <= 0;
}

/* Hands c's frames to the worker, those already read first, then what the
 * socket has, until c has no whole frame left (true) or its share of the
 * turn is used (false: it has more). */
static bool conn_read(tcp_conns *tc, conn *c) {
  tc->share = tc->budget < TCP_CONN_FRAMES ? tc->budget : TCP_CONN_FRAMES;
  if (tc->share <= 0) return false;
  int rc = tcp_reader_commit(&c->in, 0, deliver, c);
  bool drained = false;
  while (rc == 0 && c->state == CONN_OPEN && !c->broke_rule) {
    size_t room;
    uint8_t *space = tcp_reader_space(&c->in, &room);
    ssize_t n = read(c->fd, space, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      drained = true;
      break;
    }
    if (n <= 0) { /* the peer closed, or an error */
      conn_close(tc, c, true);
      break;
    }
    tc->at_us = udp_now_us(); /* the clock of UDP's arrival times */
    rc = tcp_reader_commit(&c->in, (size_t)n, deliver, c);
  }
  tc->h.read_done(tc->h.ctx);
  /* A length of 0 or over TCP_FRAME_MAX (nothing after it is framed), or
   * more than STUN before a check. */
  if ((rc < 0 || c->broke_rule) && c->state == CONN_OPEN) {
    ADD(closed_bad, 1);
    conn_close(tc, c, true);
  }
  return drained || c->state != CONN_OPEN;
}

static void on_idle(uv_idle_t *h) { (void)h; }

/* c has more than its share: it waits in the queue (not polled for reading)
 * and is served first next turn. */
static void enqueue(tcp_conns *tc, conn *c) {
  if (c->queued || tc->q_len == (int)(sizeof tc->queue / sizeof tc->queue[0])) return;
  int at = (tc->q_head + tc->q_len++) % (int)(sizeof tc->queue / sizeof tc->queue[0]);
  tc->queue[at].index = c->index;
  tc->queue[at].gen = c->gen;
  c->queued = true;
  conn_poll(c);
  uv_idle_start(&tc->idle, on_idle);
}

/* Before each poll: this turn's budget, spent on the queue first, in order. */
static void on_prepare(uv_prepare_t *h) {
  tcp_conns *tc = h->data;
  tc->budget = TCP_TURN_FRAMES;
  const int cap = (int)(sizeof tc->queue / sizeof tc->queue[0]);
  for (int n = tc->q_len; n > 0 && tc->budget > 0; n--) {
    conn *c = tc->conns[tc->queue[tc->q_head].index];
    uint32_t gen = tc->queue[tc->q_head].gen;
    tc->q_head = (tc->q_head + 1) % cap;
    tc->q_len--;
    if (c->state != CONN_OPEN || c->gen != gen || !c->queued) continue;
    c->queued = false;
    if (conn_read(tc, c)) {
      if (c->state == CONN_OPEN) conn_poll(c);
    } else if (c->state == CONN_OPEN) {
      enqueue(tc, c);
    }
  }
  if (!tc->q_len) uv_idle_stop(&tc->idle);
}

static void on_conn_event(uv_poll_t *h, int status, int events) {
  conn *c = h->data;
  tcp_conns *tc = c->owner;
  if (c->state != CONN_OPEN) return;
  if (status < 0) {
    conn_close(tc, c, true);
    return;
  }
  if ((events & UV_WRITABLE) && conn_write(tc, c) != 0) return;
  if ((events & UV_READABLE) && !c->queued && !conn_read(tc, c) && c->state == CONN_OPEN) enqueue(tc, c);
}

/* How many unbound connections the client with limit key `client` has. */
static int unbound_of(const tcp_conns *tc, const char *client) {
  int n = 0;
  for (int i = 0; i < TCP_MAX_CONNS; i++) {
    const conn *c = tc->conns[i];
    if (c && c->state == CONN_OPEN && !c->bound && strcmp(c->client, client) == 0) n++;
  }
  return n;
}

static void evict_oldest_unbound(tcp_conns *tc) {
  conn *oldest = NULL;
  for (int i = 0; i < TCP_MAX_CONNS; i++) {
    conn *c = tc->conns[i];
    if (c && c->state == CONN_OPEN && !c->bound && (!oldest || c->opened_ms < oldest->opened_ms)) oldest = c;
  }
  if (oldest) {
    ADD(refused, 1);
    conn_close(tc, oldest, false);
  }
}

/* A free slot (allocating its connection the first time), or -1. */
static int free_slot(tcp_conns *tc) {
  for (int i = 0; i < TCP_MAX_CONNS; i++) {
    if (tc->conns[i] && tc->conns[i]->state == CONN_FREE) return i;
    if (!tc->conns[i]) {
      conn *c = calloc(1, sizeof *c);
      if (!c) return -1;
      c->index = (uint16_t)i;
      c->owner = tc;
      tc->conns[i] = c;
      return i;
    }
  }
  return -1;
}

static void accept_one(tcp_conns *tc, int fd, const struct sockaddr *peer) {
  char ip[INET6_ADDRSTRLEN] = "", client[64];
  const void *raw = peer->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr
                                                : (const void *)&((const struct sockaddr_in *)(const void *)peer)->sin_addr;
  inet_ntop(peer->sa_family, raw, ip, sizeof ip);
  addr_client_key(ip, client, sizeof client);
  int slot = -1;
  if (unbound_of(tc, client) < tc->limits.unbound_per_client) {
    /* The unbound pool full: the oldest gives way. A browser checks at once
     * after connecting, so squatters that reconnect all the time cannot keep
     * it out; they only push each other out. */
    if (tc->n_unbound >= tc->limits.unbound) evict_oldest_unbound(tc);
    if (tc->n_open < tc->limits.conns && tc->n_unbound < tc->limits.unbound) slot = free_slot(tc);
  }
  if (slot < 0) {
    close(fd);
    ADD(refused, 1);
    return;
  }
  conn *c = tc->conns[slot];
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* we batch per turn ourselves */
  if (uv_poll_init(tc->loop, &c->poll, fd) != 0) {
    close(fd);
    ADD(refused, 1);
    return;
  }
  c->poll.data = c;
  c->state = CONN_OPEN;
  c->fd = fd;
  c->gen++;
  c->bound = c->dirty = c->want_write = c->queued = c->broke_rule = false;
  c->unbound_frames = 0;
  c->in.len = c->out_len = c->out_head = 0;
  c->opened_ms = c->last_rx_ms = uv_now(tc->loop);
  memcpy(c->client, client, sizeof c->client);
  tcp_path_make(&c->name, (uint16_t)slot, c->gen, peer);
  tc->n_open++;
  tc->n_unbound++;
  ADD(open, 1);
  uv_poll_start(&c->poll, UV_READABLE, on_conn_event);
}

static void on_listen(uv_poll_t *h, int status, int events) {
  tcp_conns *tc = h->data;
  (void)events;
  if (status < 0) return;
  for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(tc->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
      /* Out of descriptors: the listener stays readable, and polling it
       * again at once would spin. The backlog waits until the next tick. */
      uv_poll_stop(&tc->listen_poll);
      tc->accept_paused = true;
      return;
    }
    if (fd < 0) return; /* EAGAIN (all taken), or the peer gave up already */
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
      close(fd);
      continue;
    }
    accept_one(tc, fd, (struct sockaddr *)&ss);
  }
}

tcp_limits tcp_limits_share(int n) {
  if (n < 1) n = 1;
  tcp_limits l = {TCP_MAX_CONNS / n, TCP_MAX_UNBOUND / n, TCP_MAX_UNBOUND_PER_CLIENT / n};
  if (l.conns < 16) l.conns = 16;
  if (l.unbound < 8) l.unbound = 8;
  if (l.unbound_per_client < 2) l.unbound_per_client = 2;
  return l;
}

tcp_conns *tcp_conns_new(uv_loop_t *loop, int listen_fd, tcp_handlers handlers, tcp_counters counters,
                         tcp_limits limits) {
  tcp_conns *tc = calloc(1, sizeof *tc);
  if (!tc) return NULL;
  tc->limits = limits;
  if (tc->limits.conns > TCP_MAX_CONNS) tc->limits.conns = TCP_MAX_CONNS;
  if (tc->limits.unbound > TCP_MAX_UNBOUND) tc->limits.unbound = TCP_MAX_UNBOUND;
  if (tc->limits.unbound_per_client > TCP_MAX_UNBOUND_PER_CLIENT) tc->limits.unbound_per_client = TCP_MAX_UNBOUND_PER_CLIENT;
  tc->loop = loop;
  tc->listen_fd = listen_fd;
  tc->h = handlers;
  tc->counters = counters;
  if (uv_poll_init(loop, &tc->listen_poll, listen_fd) != 0) {
    free(tc);
    return NULL;
  }
  tc->listen_poll.data = tc;
  tc->listening = true;
  uv_prepare_init(loop, &tc->prepare);
  uv_idle_init(loop, &tc->idle);
  tc->prepare.data = tc->idle.data = tc;
  tc->budget = TCP_TURN_FRAMES;
  uv_prepare_start(&tc->prepare, on_prepare);
  uv_poll_start(&tc->listen_poll, UV_READABLE, on_listen);
  return tc;
}

void tcp_conns_bound(tcp_conns *tc, const struct sockaddr *path) {
  conn *c = find(tc, path);
  if (!c || c->bound) return;
  c->bound = true;
  tc->n_unbound--;
}

int tcp_conns_send(tcp_conns *tc, const struct sockaddr *path, const uint8_t *data, size_t len) {
  conn *c = find(tc, path);
  if (!c || len == 0 || len > TCP_FRAME_MAX || (!c->out && !(c->out = malloc(TCP_OUT_CAP))) ||
      c->out_len + 2 + len > TCP_OUT_CAP) {
    ADD(dropped, 1);
    return -1;
  }
  if (c->out_head + c->out_len + 2 + len > TCP_OUT_CAP) { /* move what waits to the front */
    memmove(c->out, c->out + c->out_head, c->out_len);
    c->out_head = 0;
  }
  uint8_t *p = c->out + c->out_head + c->out_len;
  tcp_frame_header(p, len);
  memcpy(p + 2, data, len);
  c->out_len += 2 + len;
  if (!c->dirty && !c->want_write && tc->n_dirty < TCP_MAX_CONNS) { /* a full socket is written when it drains */
    c->dirty = true;
    tc->dirty[tc->n_dirty++] = c->index;
  }
  return 0;
}

void tcp_conns_flush(tcp_conns *tc) {
  for (int i = 0; i < tc->n_dirty; i++) {
    conn *c = tc->conns[tc->dirty[i]];
    c->dirty = false;
    if (c->state == CONN_OPEN) conn_write(tc, c);
  }
  tc->n_dirty = 0;
}

void tcp_conns_close(tcp_conns *tc, const struct sockaddr *path) {
  conn *c = find(tc, path);
  if (c) conn_close(tc, c, false);
}

void tcp_conns_tick(tcp_conns *tc, uint64_t now) {
  if (tc->accept_paused && tc->listening) {
    tc->accept_paused = false;
    uv_poll_start(&tc->listen_poll, UV_READABLE, on_listen);
  }
  for (int i = 0; i < TCP_MAX_CONNS; i++) {
    conn *c = tc->conns[i];
    if (!c || c->state != CONN_OPEN) continue;
    bool late = !c->bound && now >= c->opened_ms && now - c->opened_ms >= TCP_BIND_TIMEOUT_MS;
    bool idle = now >= c->last_rx_ms && now - c->last_rx_ms >= TCP_IDLE_TIMEOUT_MS;
    if (late || idle) {
      ADD(closed_bad, 1);
      conn_close(tc, c, true);
    }
  }
}

void tcp_conns_close_all(tcp_conns *tc) {
  for (int i = 0; i < TCP_MAX_CONNS; i++)
    if (tc->conns[i]) conn_close(tc, tc->conns[i], false);
  if (tc->listening) {
    uv_poll_stop(&tc->listen_poll);
    uv_close((uv_handle_t *)&tc->listen_poll, NULL);
    uv_close((uv_handle_t *)&tc->prepare, NULL);
    uv_close((uv_handle_t *)&tc->idle, NULL);
    tc->listening = false;
  }
}

void tcp_conns_free(tcp_conns *tc) {
  if (!tc) return;
  for (int i = 0; i < TCP_MAX_CONNS; i++) free(tc->conns[i]);
  free(tc);
}
