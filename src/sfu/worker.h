/* Private to src/sfu: the messages between sfu.c (control thread) and the
 * media worker (worker.c), and the worker's entry points. */
#ifndef SEALROOM_SFU_WORKER_H
#define SEALROOM_SFU_WORKER_H

#include <stdatomic.h>

#include "dtls/dtls.h"
#include "sfu/mailbox.h"
#include "sfu/sfu.h"

typedef enum { CMD_CREATE = 1, CMD_REMOTE, CMD_PUBLISH, CMD_SUBSCRIBE, CMD_DESTROY, CMD_TEST_SHAPE, CMD_STOP } cmd_type;

typedef struct {
  cmd_type type;
  uint32_t transport;
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  char remote_ufrag[ICE_MAX_REMOTE_UFRAG + 1];
  uint8_t fp[32];
  sfu_track tracks[SFU_MAX_TRACKS_PER_TRANSPORT];
  uint32_t ssrcs[SFU_MAX_SUBSCRIPTIONS];
  uint8_t max_layers[SFU_MAX_SUBSCRIPTIONS];
  int n;
} sfu_cmd;

/* Counters the worker writes and the control thread reads (relaxed atomics:
 * exact ordering does not matter for metrics). */
typedef struct {
  _Atomic uint64_t packets_in, bytes_in, packets_out, bytes_out;
  _Atomic uint64_t nacks_received, nacks_sent, retransmits, plis_received, plis_sent;
  _Atomic uint64_t dropped, malformed, srtp_errors, transports;
  _Atomic uint64_t tcp_open, tcp_refused, tcp_closed_bad, tcp_dropped;
  _Atomic uint64_t audio_not_loudest, audio_switches;
  _Atomic uint64_t layer_switches, alloc_steps_down, alloc_steps_up;
  _Atomic uint64_t forward_delay[SFU_DELAY_BUCKETS], forward_delay_sum_us;
} sfu_counters;

typedef struct worker worker;

/* One media worker as the control thread sees it: its sockets, thread,
 * mailbox and counters. The worker itself (worker.c) owns everything behind
 * `w` and is touched only on its own thread. */
typedef struct {
  int index;
  int fd, port;
  int tcp_fd; /* ICE-TCP listening socket on the same port number, -1 if none */
  uv_thread_t thread;
  mailbox *to_worker; /* consumed on the worker's loop */
  worker *w;
  /* Written per packet by this worker only: on cache lines of their own, so
   * that workers never write the lines another worker reads. */
  _Alignas(64) sfu_counters counters;
  _Alignas(64) int rooms; /* rooms placed here (control thread only) */
} sfu_worker;

struct sfu {
  sfu_config cfg;
  dtls_cert *cert;
  uv_loop_t *control;
  mailbox *to_control; /* shared by the workers (the mailbox takes a lock) */
  sfu_event_fn on_event;
  void *event_ctx;
  uint32_t next_seq;
  /* Transports reserved in the pool: taken on the control thread at create,
   * given back by a worker when it frees one (or could not make it). */
  _Atomic long pool_used;
  /* Ids of the transports made and not yet destroyed (control thread only):
   * after the 24-bit sequence wraps, an id still in use is skipped. */
  uint32_t *live_ids;
  int n_live;
  int last_pick;
  int n_workers;
  sfu_worker workers[SFU_MAX_WORKERS];
};

/* A transport id names its worker in the top byte, so every call after
 * create goes to the right mailbox without a lookup. */
#define SFU_ID_WORKER(id) ((int)((id) >> 24))
#define SFU_ID_SEQ_MASK 0xffffffu
_Static_assert(SFU_MAX_WORKERS <= 256, "a worker index fits the id's top byte");

/* Creates the worker (its loop, timers, transports table) for s's worker wk. */
worker *worker_new(sfu *s, sfu_worker *wk);
/* Runs the worker loop until CMD_STOP; then frees the worker. */
void worker_run(worker *w);

#endif
