/* Control-thread side of the SFU: starts the media workers (a thread, a
 * loop and a port each), places rooms on them, turns API calls into mailbox
 * messages to the transport's worker, and delivers the workers' events on
 * the control loop. */
#include "sfu/sfu.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dtls/srtp.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "sdp/sdp.h"
#include "sfu/worker.h"

static void deliver_event(void *ctx, void *msg) {
  sfu *s = ctx;
  s->on_event(s->event_ctx, msg);
}

static void thread_main(void *arg) {
  sfu_worker *wk = arg;
  char name[16];
  snprintf(name, sizeof name, "media-%d", wk->index); /* as top -H and /proc/PID/task/ show it */
  pthread_setname_np(pthread_self(), name);
  worker_run(wk->w);
}

/* Worker wk's UDP socket, and ICE-TCP's listening socket on the same port
 * number: cfg->port + wk->index, or with port 0 whatever the kernel picks
 * (should its TCP twin be taken, another pair is tried). 0, or -1 (logged). */
static int open_ports(sfu_worker *wk, const sfu_config *cfg) {
  int tcp_errno = 0;
  int want = cfg->port ? cfg->port + wk->index : 0;
  if (want > 65535) {
    log_error("sfu: worker %d's media port %d is past 65535 (--media-port, --media-workers)", wk->index, want);
    return -1;
  }
  for (int attempt = 0; attempt < 16; attempt++) {
    wk->tcp_fd = -1;
    wk->fd = udp_open(cfg->listen_ip, want, &wk->port);
    if (wk->fd < 0) {
      log_error("sfu: cannot bind the media port (UDP) %s:%d: %s", cfg->listen_ip, want,
                errno == EINVAL ? "not an IP address" : strerror(errno));
      return -1;
    }
    if (!cfg->ice_tcp || (wk->tcp_fd = tcp_listen(cfg->listen_ip, wk->port, 1024)) >= 0) return 0;
    tcp_errno = errno;
    close(wk->fd);
    wk->fd = -1;
    if (want != 0) break;
  }
  log_error("sfu: cannot listen for ICE-TCP on %s:%d: %s (--no-ice-tcp turns it off)", cfg->listen_ip, want,
            strerror(tcp_errno));
  return -1;
}

static long pool_max(const sfu *s) { return s->cfg.max_transports > 0 ? s->cfg.max_transports : 1024; }

static void close_ports(sfu *s) {
  for (int i = 0; i < s->n_workers; i++) {
    if (s->workers[i].fd >= 0) close(s->workers[i].fd);
    if (s->workers[i].tcp_fd >= 0) close(s->workers[i].tcp_fd);
  }
}

sfu *sfu_start(uv_loop_t *control, const sfu_config *cfg, sfu_event_fn fn, void *ctx) {
  /* Aligned as its workers' counters are (worker.h). */
  sfu *s = aligned_alloc(_Alignof(sfu), (sizeof *s + _Alignof(sfu) - 1) / _Alignof(sfu) * _Alignof(sfu));
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  s->control = control;
  s->on_event = fn;
  s->event_ctx = ctx;
  s->next_seq = 1;
  s->n_workers = cfg->workers < 1 ? 1 : cfg->workers > SFU_MAX_WORKERS ? SFU_MAX_WORKERS : cfg->workers;
  s->last_pick = s->n_workers - 1; /* the first room goes to worker 0 */
  for (int i = 0; i < s->n_workers; i++) s->workers[i] = (sfu_worker){.index = i, .fd = -1, .tcp_fd = -1};
  for (int i = 0; i < s->n_workers; i++) {
    if (open_ports(&s->workers[i], cfg) != 0) {
      close_ports(s);
      free(s);
      return NULL;
    }
  }
  if (sr_srtp_global_init() != 0 || !(s->cert = dtls_cert_generate())) {
    log_error("sfu: cannot initialise SRTP or make the DTLS certificate");
    close_ports(s);
    free(s);
    return NULL;
  }
  s->to_control = mailbox_new(control, sizeof(sfu_event), deliver_event, s);
  s->live_ids = calloc((size_t)pool_max(s), sizeof *s->live_ids);
  if (!s->to_control || !s->live_ids) abort(); /* startup only: nothing sensible to run without media */
  for (int i = 0; i < s->n_workers; i++) {
    sfu_worker *wk = &s->workers[i];
    wk->w = worker_new(s, wk);
    if (!wk->w || uv_thread_create(&wk->thread, thread_main, wk) != 0) {
      log_error("sfu: cannot start media worker %d", i);
      abort();
    }
    log_info("sfu: media worker %d on udp%s %s:%d (announced as %s)", i, wk->tcp_fd >= 0 ? " and tcp" : "",
             cfg->listen_ip, wk->port, cfg->announce_ip);
  }
  return s;
}

/* SFU_OK, or SFU_INTERNAL if the command could not be queued (out of
 * memory): it is lost. */
static sfu_status send_cmd(sfu_worker *wk, const sfu_cmd *c) {
  if (mailbox_push(wk->to_worker, c) == 0) return SFU_OK;
  log_error("sfu: out of memory queueing a command");
  return SFU_INTERNAL;
}

void sfu_stop(sfu *s) {
  if (!s) return;
  sfu_cmd c = {.type = CMD_STOP};
  for (int i = 0; i < s->n_workers; i++) send_cmd(&s->workers[i], &c);
  for (int i = 0; i < s->n_workers; i++) uv_thread_join(&s->workers[i].thread);
  mailbox_close(s->to_control);
  close_ports(s);
  dtls_cert_free(s->cert);
  free(s->live_ids);
  free(s);
}

void sfu_set_event_ctx(sfu *s, void *ctx) { s->event_ctx = ctx; }
int sfu_workers(const sfu *s) { return s->n_workers; }
int sfu_port(const sfu *s, int w) { return w >= 0 && w < s->n_workers ? s->workers[w].port : 0; }
const char *sfu_announce_ip(const sfu *s) { return s->cfg.announce_ip; }
const char *sfu_fingerprint(const sfu *s) { return dtls_cert_fingerprint(s->cert); }
uint8_t sfu_candidates(const sfu *s) {
  return (uint8_t)((s->cfg.test_no_udp ? 0 : SDP_CAND_UDP) | (s->workers[0].tcp_fd >= 0 ? SDP_CAND_TCP : 0));
}

/* Adds worker counters c to o. */
static void add_stats(const sfu_counters *c, sfu_stats *o) {
#define ADD(f) o->f += atomic_load_explicit(&c->f, memory_order_relaxed)
  ADD(packets_in); ADD(bytes_in); ADD(packets_out); ADD(bytes_out);
  ADD(nacks_received); ADD(nacks_sent); ADD(retransmits); ADD(plis_received);
  ADD(plis_sent); ADD(dropped); ADD(malformed); ADD(srtp_errors); ADD(transports);
  ADD(tcp_open); ADD(tcp_refused); ADD(tcp_closed_bad); ADD(tcp_dropped);
  ADD(audio_not_loudest); ADD(audio_switches);
  ADD(layer_switches); ADD(alloc_steps_down); ADD(alloc_steps_up);
  ADD(forward_delay_sum_us);
  for (int i = 0; i < SFU_DELAY_BUCKETS; i++) ADD(forward_delay[i]);
#undef ADD
}

void sfu_get_stats(const sfu *s, sfu_stats *o) {
  memset(o, 0, sizeof *o);
  for (int i = 0; i < s->n_workers; i++) add_stats(&s->workers[i].counters, o);
}

void sfu_get_worker_stats(const sfu *s, int w, sfu_stats *o) {
  memset(o, 0, sizeof *o);
  if (w >= 0 && w < s->n_workers) add_stats(&s->workers[w].counters, o);
}

int sfu_worker_rooms(const sfu *s, int w) { return w >= 0 && w < s->n_workers ? s->workers[w].rooms : 0; }

_Static_assert(SFU_DELAY_BUCKETS == UDP_HOLD_BUCKETS, "the forward-delay buckets are the UDP hold buckets");

int64_t sfu_delay_bound_us(int i) { return i >= 0 && i < SFU_DELAY_BUCKETS - 1 ? udp_hold_bounds_us[i] : -1; }

int sfu_transports_free(const sfu *s) {
  long used = atomic_load_explicit(&s->pool_used, memory_order_relaxed);
  long max = pool_max(s);
  return used >= max ? 0 : (int)(max - used);
}

/* The load of a worker for placement: its transports, and its rooms (a room
 * just placed has none yet but will). */
static long worker_load(const sfu_worker *wk) {
  return (long)atomic_load_explicit(&wk->counters.transports, memory_order_relaxed) + wk->rooms;
}

int sfu_place_room(sfu *s) {
  if (!s) return 0;
  int best = -1;
  long best_load = 0;
  for (int k = 1; k <= s->n_workers; k++) { /* from the one after the last pick: ties go in turn */
    int i = (s->last_pick + k) % s->n_workers;
    long load = worker_load(&s->workers[i]);
    if (best < 0 || load < best_load) best = i, best_load = load;
  }
  s->last_pick = best;
  s->workers[best].rooms++;
  return best;
}

void sfu_release_room(sfu *s, int w) {
  if (s && w >= 0 && w < s->n_workers && s->workers[w].rooms > 0) s->workers[w].rooms--;
}

int sfu_transport_worker(uint32_t id) { return SFU_ID_WORKER(id); }

/* Is a transport with this sequence number (on any worker) still in use? */
static bool seq_live(const sfu *s, uint32_t seq) {
  for (int i = 0; i < s->n_live; i++)
    if ((s->live_ids[i] & SFU_ID_SEQ_MASK) == seq) return true;
  return false;
}

static void next_seq(sfu *s) {
  s->next_seq = (s->next_seq + 1) & SFU_ID_SEQ_MASK;
  if (s->next_seq == 0) s->next_seq = 1;
}

static void forget_id(sfu *s, uint32_t id) {
  for (int i = 0; i < s->n_live; i++)
    if (s->live_ids[i] == id) {
      s->live_ids[i] = s->live_ids[--s->n_live];
      return;
    }
}

/* The worker of transport id, or NULL for an id no worker can have. */
static sfu_worker *worker_of(sfu *s, uint32_t id) {
  int w = SFU_ID_WORKER(id);
  return id && w < s->n_workers ? &s->workers[w] : NULL;
}

/* ICE credentials: ice-chars only (RFC 8445: ALPHA / DIGIT / "+" / "/"). */
/* 0, or -1 if the CSPRNG failed: then no credentials (never predictable ones). */
static int random_ice_chars(char *out, size_t n) {
  static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t b[64];
  if (n >= sizeof b || RAND_bytes(b, (int)n) != 1) {
    out[0] = '\0';
    return -1;
  }
  for (size_t i = 0; i < n; i++) out[i] = set[b[i] & 63];
  out[n] = '\0';
  OPENSSL_cleanse(b, sizeof b);
  return 0;
}

/* A zeroed command on the heap (they are a few KiB); NULL if out of memory. */
static sfu_cmd *new_cmd(cmd_type type, uint32_t t) {
  sfu_cmd *c = calloc(1, sizeof *c);
  if (!c) {
    log_error("sfu: out of memory for a command");
    return NULL;
  }
  c->type = type;
  c->transport = t;
  return c;
}

/* Queues c to its transport's worker and frees it (after wiping: a create
 * carries the ICE password). */
static sfu_status queue(sfu *s, sfu_cmd *c) {
  sfu_worker *wk = worker_of(s, c->transport);
  sfu_status st = wk ? send_cmd(wk, c) : SFU_BAD_ARGUMENT;
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
  return st;
}

sfu_status sfu_transport_create(sfu *s, int w, char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1], uint32_t *id) {
  *id = 0;
  if (w < 0 || w >= s->n_workers) return SFU_BAD_ARGUMENT;
  /* The pool is reserved here, on the one control thread; a worker gives a
   * transport back when it frees it. */
  if (sfu_transports_free(s) == 0) return SFU_FULL;
  if (random_ice_chars(ufrag, ICE_UFRAG_LEN) != 0 || random_ice_chars(pwd, ICE_PWD_LEN) != 0) {
    log_error("sfu: no randomness for ICE credentials");
    return SFU_INTERNAL;
  }
  while (seq_live(s, s->next_seq)) next_seq(s); /* after a wrap: skip ids still in use */
  uint32_t tid = (uint32_t)w << 24 | s->next_seq;
  sfu_cmd *c = new_cmd(CMD_CREATE, tid);
  if (!c) return SFU_INTERNAL;
  memcpy(c->ufrag, ufrag, ICE_UFRAG_LEN + 1);
  memcpy(c->pwd, pwd, ICE_PWD_LEN + 1);
  atomic_fetch_add_explicit(&s->pool_used, 1, memory_order_relaxed);
  sfu_status st = queue(s, c);
  if (st != SFU_OK) {
    atomic_fetch_sub_explicit(&s->pool_used, 1, memory_order_relaxed);
    return st;
  }
  *id = tid;
  s->live_ids[s->n_live++] = tid; /* room for it: the pool was reserved above */
  next_seq(s);
  return SFU_OK;
}

sfu_status sfu_transport_set_remote(sfu *s, uint32_t t, const char *ufrag, const uint8_t fp[32]) {
  if (!worker_of(s, t) || !ufrag || !fp || strlen(ufrag) > ICE_MAX_REMOTE_UFRAG) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_REMOTE, t);
  if (!c) return SFU_INTERNAL;
  memcpy(c->remote_ufrag, ufrag, strlen(ufrag) + 1);
  memcpy(c->fp, fp, 32);
  return queue(s, c);
}

sfu_status sfu_transport_publish(sfu *s, uint32_t t, const sfu_track *tracks, int n) {
  if (!worker_of(s, t) || n < 0 || n > SFU_MAX_TRACKS_PER_TRANSPORT || (n && !tracks)) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_PUBLISH, t);
  if (!c) return SFU_INTERNAL;
  c->n = n;
  if (n) memcpy(c->tracks, tracks, sizeof(sfu_track) * (size_t)n);
  return queue(s, c);
}

sfu_status sfu_transport_subscribe(sfu *s, uint32_t t, const uint32_t *ssrcs, const uint8_t *max_layers, int n) {
  if (!worker_of(s, t) || n < 0 || n > SFU_MAX_SUBSCRIPTIONS || (n && !ssrcs)) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_SUBSCRIBE, t);
  if (!c) return SFU_INTERNAL;
  c->n = n;
  if (n) memcpy(c->ssrcs, ssrcs, sizeof(uint32_t) * (size_t)n);
  for (int i = 0; i < n; i++) c->max_layers[i] = max_layers ? max_layers[i] : SFU_MAX_LAYERS - 1;
  return queue(s, c);
}

sfu_status sfu_transport_test_shape(sfu *s, uint32_t t, uint32_t kbps) {
  if (!worker_of(s, t)) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_TEST_SHAPE, t);
  if (!c) return SFU_INTERNAL;
  c->n = (int)(kbps > 1000000 ? 1000000 : kbps);
  return queue(s, c);
}

sfu_status sfu_transport_destroy(sfu *s, uint32_t t) {
  if (!worker_of(s, t)) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_DESTROY, t);
  if (!c) return SFU_INTERNAL;
  sfu_status st = queue(s, c);
  if (st == SFU_OK) forget_id(s, t);
  return st;
}
