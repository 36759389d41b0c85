/* Control-thread side of the SFU: starts the media worker thread, turns API
 * calls into mailbox messages, and delivers worker events on the control loop. */
#include "sfu/sfu.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dtls/srtp.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "net/udp.h"
#include "sdp/sdp.h"
#include "sfu/worker.h"

static void deliver_event(void *ctx, void *msg) {
  sfu *s = ctx;
  s->on_event(s->event_ctx, msg);
}

static void thread_main(void *arg) {
  sfu *s = arg;
  worker_run(s->w);
}

/* The UDP socket, and ICE-TCP's listening socket on the same port number.
 * With port 0 the kernel picks the UDP port; should its TCP twin be taken,
 * another pair is tried. 0, or -1 (logged). */
static int open_ports(sfu *s, const sfu_config *cfg) {
  int tcp_errno = 0;
  for (int attempt = 0; attempt < 16; attempt++) {
    s->tcp_fd = -1;
    s->fd = udp_open(cfg->listen_ip, cfg->port, &s->port);
    if (s->fd < 0) {
      log_error("sfu: cannot bind the media port (UDP) %s:%d: %s", cfg->listen_ip, cfg->port,
                errno == EINVAL ? "not an IP address" : strerror(errno));
      return -1;
    }
    if (!cfg->ice_tcp || (s->tcp_fd = tcp_listen(cfg->listen_ip, s->port, 1024)) >= 0) return 0;
    tcp_errno = errno;
    close(s->fd);
    if (cfg->port != 0) break;
  }
  log_error("sfu: cannot listen for ICE-TCP on %s:%d: %s (--no-ice-tcp turns it off)", cfg->listen_ip, cfg->port,
            strerror(tcp_errno));
  return -1;
}

sfu *sfu_start(uv_loop_t *control, const sfu_config *cfg, sfu_event_fn fn, void *ctx) {
  sfu *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cfg = *cfg;
  s->control = control;
  s->on_event = fn;
  s->event_ctx = ctx;
  s->next_id = 1;
  if (open_ports(s, cfg) != 0) {
    free(s);
    return NULL;
  }
  if (sr_srtp_global_init() != 0 || !(s->cert = dtls_cert_generate())) {
    log_error("sfu: cannot initialise SRTP or make the DTLS certificate");
    if (s->tcp_fd >= 0) close(s->tcp_fd);
    close(s->fd);
    free(s);
    return NULL;
  }
  s->to_control = mailbox_new(control, sizeof(sfu_event), deliver_event, s);
  s->w = worker_new(s);
  if (!s->to_control || !s->w || uv_thread_create(&s->thread, thread_main, s) != 0) {
    log_error("sfu: cannot start the media worker");
    abort(); /* startup only: nothing sensible to run without media */
  }
  log_info("sfu: media on udp%s %s:%d (announced as %s)", s->tcp_fd >= 0 ? " and tcp" : "", cfg->listen_ip,
           s->port, cfg->announce_ip);
  return s;
}

/* SFU_OK, or SFU_INTERNAL if the command could not be queued (out of
 * memory): it is lost. */
static sfu_status send_cmd(sfu *s, const sfu_cmd *c) {
  if (mailbox_push(s->to_worker, c) == 0) return SFU_OK;
  log_error("sfu: out of memory queueing a command");
  return SFU_INTERNAL;
}

void sfu_stop(sfu *s) {
  if (!s) return;
  sfu_cmd c = {.type = CMD_STOP};
  send_cmd(s, &c);
  uv_thread_join(&s->thread);
  mailbox_close(s->to_control);
  close(s->fd);
  if (s->tcp_fd >= 0) close(s->tcp_fd);
  dtls_cert_free(s->cert);
  free(s);
}

void sfu_set_event_ctx(sfu *s, void *ctx) { s->event_ctx = ctx; }
int sfu_port(const sfu *s) { return s->port; }
const char *sfu_announce_ip(const sfu *s) { return s->cfg.announce_ip; }
const char *sfu_fingerprint(const sfu *s) { return dtls_cert_fingerprint(s->cert); }
uint8_t sfu_candidates(const sfu *s) {
  return (uint8_t)((s->cfg.test_no_udp ? 0 : SDP_CAND_UDP) | (s->tcp_fd >= 0 ? SDP_CAND_TCP : 0));
}

void sfu_get_stats(const sfu *s, sfu_stats *o) {
  const sfu_counters *c = &s->counters;
#define READ(f) o->f = atomic_load_explicit(&c->f, memory_order_relaxed)
  READ(packets_in); READ(bytes_in); READ(packets_out); READ(bytes_out);
  READ(nacks_received); READ(nacks_sent); READ(retransmits); READ(plis_received);
  READ(plis_sent); READ(dropped); READ(malformed); READ(srtp_errors); READ(transports);
  READ(tcp_open); READ(tcp_refused); READ(tcp_closed_bad); READ(tcp_dropped);
  READ(forward_delay_sum_us);
  for (int i = 0; i < SFU_DELAY_BUCKETS; i++) READ(forward_delay[i]);
#undef READ
}

_Static_assert(SFU_DELAY_BUCKETS == UDP_HOLD_BUCKETS, "the forward-delay buckets are the UDP hold buckets");

int64_t sfu_delay_bound_us(int i) { return i >= 0 && i < SFU_DELAY_BUCKETS - 1 ? udp_hold_bounds_us[i] : -1; }

int sfu_transports_free(const sfu *s) {
  long used = (long)atomic_load_explicit(&s->counters.transports, memory_order_relaxed);
  long max = s->cfg.max_transports > 0 ? s->cfg.max_transports : 1024;
  return used >= max ? 0 : (int)(max - used);
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

/* Queues c and frees it (after wiping: a create carries the ICE password). */
static sfu_status queue(sfu *s, sfu_cmd *c) {
  sfu_status st = send_cmd(s, c);
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
  return st;
}

sfu_status sfu_transport_create(sfu *s, char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1], uint32_t *id) {
  *id = 0;
  /* The worker holds the pool: a pool full now is SFU_FULL here, one that
   * fills before this command arrives is SFU_EV_CLOSED "server-full" later. */
  if (sfu_transports_free(s) == 0) return SFU_FULL;
  if (random_ice_chars(ufrag, ICE_UFRAG_LEN) != 0 || random_ice_chars(pwd, ICE_PWD_LEN) != 0) {
    log_error("sfu: no randomness for ICE credentials");
    return SFU_INTERNAL;
  }
  sfu_cmd *c = new_cmd(CMD_CREATE, s->next_id);
  if (!c) return SFU_INTERNAL;
  memcpy(c->ufrag, ufrag, ICE_UFRAG_LEN + 1);
  memcpy(c->pwd, pwd, ICE_PWD_LEN + 1);
  sfu_status st = queue(s, c);
  if (st != SFU_OK) return st;
  *id = s->next_id++;
  if (s->next_id == 0) s->next_id = 1;
  return SFU_OK;
}

sfu_status sfu_transport_set_remote(sfu *s, uint32_t t, const char *ufrag, const uint8_t fp[32]) {
  if (!t || !ufrag || !fp || strlen(ufrag) > ICE_MAX_REMOTE_UFRAG) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_REMOTE, t);
  if (!c) return SFU_INTERNAL;
  memcpy(c->remote_ufrag, ufrag, strlen(ufrag) + 1);
  memcpy(c->fp, fp, 32);
  return queue(s, c);
}

sfu_status sfu_transport_publish(sfu *s, uint32_t t, const sfu_track *tracks, int n) {
  if (!t || n < 0 || n > SFU_MAX_TRACKS_PER_TRANSPORT || (n && !tracks)) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_PUBLISH, t);
  if (!c) return SFU_INTERNAL;
  c->n = n;
  if (n) memcpy(c->tracks, tracks, sizeof(sfu_track) * (size_t)n);
  return queue(s, c);
}

sfu_status sfu_transport_subscribe(sfu *s, uint32_t t, const uint32_t *ssrcs, int n) {
  if (!t || n < 0 || n > SFU_MAX_SUBSCRIPTIONS || (n && !ssrcs)) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_SUBSCRIBE, t);
  if (!c) return SFU_INTERNAL;
  c->n = n;
  if (n) memcpy(c->ssrcs, ssrcs, sizeof(uint32_t) * (size_t)n);
  return queue(s, c);
}

sfu_status sfu_transport_destroy(sfu *s, uint32_t t) {
  if (!t) return SFU_BAD_ARGUMENT;
  sfu_cmd *c = new_cmd(CMD_DESTROY, t);
  if (!c) return SFU_INTERNAL;
  return queue(s, c);
}
