/* Private to src/sfu: the messages between sfu.c (control thread) and the
 * media worker (worker.c), and the worker's entry points. */
#ifndef SEALROOM_SFU_WORKER_H
#define SEALROOM_SFU_WORKER_H

#include <stdatomic.h>

#include "dtls/dtls.h"
#include "sfu/mailbox.h"
#include "sfu/sfu.h"

typedef enum { CMD_CREATE = 1, CMD_REMOTE, CMD_PUBLISH, CMD_SUBSCRIBE, CMD_DESTROY, CMD_STOP } cmd_type;

typedef struct {
  cmd_type type;
  uint32_t transport;
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  char remote_ufrag[ICE_MAX_REMOTE_UFRAG + 1];
  uint8_t fp[32];
  sfu_track tracks[SFU_MAX_TRACKS_PER_TRANSPORT];
  uint32_t ssrcs[SFU_MAX_SUBSCRIPTIONS];
  int n;
} sfu_cmd;

/* Counters the worker writes and the control thread reads (relaxed atomics:
 * exact ordering does not matter for metrics). */
typedef struct {
  _Atomic uint64_t packets_in, bytes_in, packets_out, bytes_out;
  _Atomic uint64_t nacks_received, nacks_sent, retransmits, plis_received, plis_sent;
  _Atomic uint64_t dropped, malformed, srtp_errors, transports;
  _Atomic uint64_t tcp_open, tcp_refused, tcp_closed_bad, tcp_dropped;
  _Atomic uint64_t forward_delay[SFU_DELAY_BUCKETS], forward_delay_sum_us;
} sfu_counters;

typedef struct worker worker;

struct sfu {
  sfu_config cfg;
  int fd, port;
  int tcp_fd; /* ICE-TCP listening socket on the same port number, -1 if none */
  dtls_cert *cert;
  uv_thread_t thread;
  uv_loop_t *control;
  mailbox *to_worker; /* consumed on the worker loop */
  mailbox *to_control;
  sfu_event_fn on_event;
  void *event_ctx;
  uint32_t next_id;
  sfu_counters counters;
  worker *w;
  uv_sem_t ready;
};

/* Creates the worker (its loop, timers, transports table) for s. */
worker *worker_new(sfu *s);
/* Runs the worker loop until CMD_STOP; then frees the worker. */
void worker_run(worker *w);

#endif
