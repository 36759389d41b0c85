/* The statuses of the SFU's control API (src/sfu/sfu.h): what each call
 * answers at once. Arguments out of range are SFU_BAD_ARGUMENT and queue
 * nothing; a create while the pool is full is SFU_FULL with id 0; a
 * transport freed by a destroy can be made again. Real workers on loopback
 * ports carry the commands out. With several workers: each has its own port
 * (consecutive from --media-port), rooms go to the least loaded, a transport's
 * id names its worker, and the pool is shared. */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "sfu/sfu.h"
#include "sfu/worker.h" /* next_seq: the id sequence's wrap */
#include "test.h"

static void ignore_event(void *ctx, const sfu_event *ev) {}

static sfu *start_n(uv_loop_t *loop, int max_transports, int workers, int port) {
  sfu_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.listen_ip, sizeof cfg.listen_ip, "127.0.0.1");
  snprintf(cfg.announce_ip, sizeof cfg.announce_ip, "127.0.0.1");
  cfg.max_transports = max_transports;
  cfg.workers = workers;
  cfg.port = port;
  return sfu_start(loop, &cfg, ignore_event, NULL);
}

static sfu *start(uv_loop_t *loop, int max_transports) { return start_n(loop, max_transports, 1, 0); }

static void stop(uv_loop_t *loop, sfu *s) {
  sfu_stop(s);
  uv_run(loop, UV_RUN_DEFAULT); /* the control mailbox's close */
  CHECK_EQ_INT(uv_loop_close(loop), 0);
}

/* The worker counts a transport when it has taken the command in: waits (up
 * to 2 s) until the pool has `want` places left. */
static void wait_free(sfu *s, int want) {
  struct timespec ms10 = {0, 10 * 1000000L};
  for (int i = 0; i < 200 && sfu_transports_free(s) != want; i++) nanosleep(&ms10, NULL);
  CHECK_EQ_INT(sfu_transports_free(s), want);
}

static void test_bad_arguments(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  sfu *s = start(&loop, 4);
  CHECK(s != NULL);
  if (!s) return;
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1], long_ufrag[ICE_MAX_REMOTE_UFRAG + 2];
  uint32_t t = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &t), SFU_OK);
  CHECK(t != 0);
  CHECK_EQ_INT(strlen(ufrag), ICE_UFRAG_LEN);
  CHECK_EQ_INT(strlen(pwd), ICE_PWD_LEN);
  uint8_t fp[32] = {0};
  sfu_track tracks[SFU_MAX_TRACKS_PER_TRANSPORT + 1];
  memset(tracks, 0, sizeof tracks);
  static uint32_t ssrcs[SFU_MAX_SUBSCRIPTIONS + 1];
  memset(long_ufrag, 'u', sizeof long_ufrag - 1);
  long_ufrag[sizeof long_ufrag - 1] = '\0';

  CHECK_EQ_INT(sfu_transport_set_remote(s, 0, "peer", fp), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_set_remote(s, t, NULL, fp), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_set_remote(s, t, long_ufrag, fp), SFU_BAD_ARGUMENT); /* was cut short */
  CHECK_EQ_INT(sfu_transport_set_remote(s, t, "peer", fp), SFU_OK);

  CHECK_EQ_INT(sfu_transport_publish(s, 0, tracks, 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_publish(s, t, tracks, -1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_publish(s, t, NULL, 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_publish(s, t, tracks, SFU_MAX_TRACKS_PER_TRANSPORT + 1), SFU_BAD_ARGUMENT); /* was cut */
  CHECK_EQ_INT(sfu_transport_publish(s, t, NULL, 0), SFU_OK); /* publishes nothing */

  CHECK_EQ_INT(sfu_transport_subscribe(s, 0, ssrcs, NULL, 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_subscribe(s, t, ssrcs, NULL, SFU_MAX_SUBSCRIPTIONS + 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_subscribe(s, t, ssrcs, NULL, SFU_MAX_SUBSCRIPTIONS), SFU_OK);

  CHECK_EQ_INT(sfu_transport_destroy(s, 0), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_destroy(s, t), SFU_OK);
  stop(&loop, s);
}

static void test_full_pool(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  sfu *s = start(&loop, 4);
  CHECK(s != NULL);
  if (!s) return;
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  uint32_t ids[4];
  for (int i = 0; i < 4; i++) {
    CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &ids[i]), SFU_OK);
    CHECK(ids[i] != 0 && (i == 0 || ids[i] != ids[i - 1]));
  }
  wait_free(s, 0);
  uint32_t extra = 99;
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &extra), SFU_FULL);
  CHECK_EQ_INT(extra, 0);
  CHECK_EQ_INT(sfu_transport_destroy(s, ids[2]), SFU_OK);
  wait_free(s, 1);
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &extra), SFU_OK);
  CHECK(extra != 0 && extra != ids[3]);
  stop(&loop, s);
}

/* Waits (up to 2 s) until worker w holds `want` transports. */
static void wait_worker_transports(sfu *s, int w, uint64_t want) {
  struct timespec ms10 = {0, 10 * 1000000L};
  sfu_stats st;
  for (int i = 0; i < 200; i++) {
    sfu_get_worker_stats(s, w, &st);
    if (st.transports == want) break;
    nanosleep(&ms10, NULL);
  }
  sfu_get_worker_stats(s, w, &st);
  CHECK_EQ_INT((long)st.transports, (long)want);
}

static void test_workers(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  sfu *s = start_n(&loop, 4, 2, 0);
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(sfu_workers(s), 2);
  CHECK(sfu_port(s, 0) > 0 && sfu_port(s, 1) > 0 && sfu_port(s, 0) != sfu_port(s, 1));
  CHECK_EQ_INT(sfu_port(s, 2), 0);

  /* Empty workers take rooms in turn; a released room frees its place. */
  int r0 = sfu_place_room(s), r1 = sfu_place_room(s);
  CHECK_EQ_INT(r0, 0);
  CHECK_EQ_INT(r1, 1);
  CHECK_EQ_INT(sfu_worker_rooms(s, 0), 1);
  sfu_release_room(s, r0);
  CHECK_EQ_INT(sfu_worker_rooms(s, 0), 0);
  CHECK_EQ_INT(sfu_place_room(s), 0);

  /* Transports live where they are made; the pool counts them all. */
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  uint32_t a = 0, b = 0, c = 0, d = 0, extra = 7;
  CHECK_EQ_INT(sfu_transport_create(s, 2, ufrag, pwd, &extra), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_create(s, -1, ufrag, pwd, &extra), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(extra, 0);
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &a), SFU_OK);
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &b), SFU_OK);
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &c), SFU_OK);
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &d), SFU_OK);
  CHECK_EQ_INT(sfu_transport_worker(a), 1);
  CHECK_EQ_INT(sfu_transport_worker(d), 0);
  CHECK(a != b && b != c);
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &extra), SFU_FULL);
  wait_worker_transports(s, 1, 3);
  wait_worker_transports(s, 0, 1);
  sfu_stats all;
  sfu_get_stats(s, &all);
  CHECK_EQ_INT((long)all.transports, 4);

  /* Worker 1 carries more (3 transports + 1 room against 1 + 1): the next
   * room goes to worker 0 although it was its turn to be passed over. */
  CHECK_EQ_INT(sfu_place_room(s), 0);

  /* An id whose top byte names no worker is refused, not sent anywhere. */
  CHECK_EQ_INT(sfu_transport_destroy(s, (uint32_t)5 << 24 | 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_destroy(s, b), SFU_OK);
  wait_free(s, 1);
  wait_worker_transports(s, 1, 2);
  stop(&loop, s);
}

/* Ids are 24 bits of sequence under the worker's byte: after the sequence
 * wraps, an id still in use is skipped, never given twice. */
static void test_id_wrap(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  sfu *s = start_n(&loop, 8, 2, 0);
  CHECK(s != NULL);
  if (!s) return;
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  uint32_t a = 0, b = 0, c = 0, d = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &a), SFU_OK);
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &b), SFU_OK);
  s->next_seq = a & SFU_ID_SEQ_MASK; /* what 2^24 - 2 more creates would leave */
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &c), SFU_OK);
  CHECK(c != a && c != b);
  CHECK(((c ^ a) & SFU_ID_SEQ_MASK) != 0 && ((c ^ b) & SFU_ID_SEQ_MASK) != 0);
  /* Once a is destroyed its id may come back. */
  CHECK_EQ_INT(sfu_transport_destroy(s, a), SFU_OK);
  s->next_seq = a & SFU_ID_SEQ_MASK;
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &d), SFU_OK);
  CHECK_EQ_INT(d, a);
  /* The last sequence number wraps to 1, not 0. */
  s->next_seq = SFU_ID_SEQ_MASK;
  uint32_t e = 0, f = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &e), SFU_OK);
  CHECK_EQ_INT(e & SFU_ID_SEQ_MASK, SFU_ID_SEQ_MASK);
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &f), SFU_OK);
  CHECK(f != 0 && (f & SFU_ID_SEQ_MASK) != 0 && f != b && f != c && f != d);
  stop(&loop, s);
}

/* A failed start closes only what it opened (no descriptor 0 closed for
 * workers it never reached). */
static void test_failed_start(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  int probe = dup(0);
  CHECK(probe >= 0);
  sfu *s = start_n(&loop, 4, 3, 65535); /* worker 1 would need port 65536 */
  CHECK(s == NULL);
  CHECK(fcntl(0, F_GETFD) != -1); /* stdin is still open */
  if (probe >= 0) close(probe);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* --media-port P: worker i on P + i. */
static void test_worker_ports(void) {
  for (int attempt = 0; attempt < 5; attempt++) {
    int base = 20000 + (int)((uv_hrtime() / 1000) % 20000) * 2;
    uv_loop_t loop;
    CHECK_EQ_INT(uv_loop_init(&loop), 0);
    sfu *s = start_n(&loop, 4, 3, base);
    if (!s) { /* taken: try elsewhere */
      uv_loop_close(&loop);
      continue;
    }
    CHECK_EQ_INT(sfu_port(s, 0), base);
    CHECK_EQ_INT(sfu_port(s, 1), base + 1);
    CHECK_EQ_INT(sfu_port(s, 2), base + 2);
    stop(&loop, s);
    return;
  }
  CHECK(!"no three free consecutive ports in five tries");
}

TEST_SUITE(sfu_control, {"workers", test_workers}, {"worker_ports", test_worker_ports}, {"id_wrap", test_id_wrap},
           {"failed_start", test_failed_start}, {"bad_arguments", test_bad_arguments}, {"full_pool", test_full_pool});
