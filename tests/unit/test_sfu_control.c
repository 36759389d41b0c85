/* The statuses of the SFU's control API (src/sfu/sfu.h): what each call
 * answers at once. Arguments out of range are SFU_BAD_ARGUMENT and queue
 * nothing; a create while the pool is full is SFU_FULL with id 0; a
 * transport freed by a destroy can be made again. A real worker on a
 * loopback port carries the commands out. */
#include <string.h>
#include <time.h>
#include <uv.h>

#include "sfu/sfu.h"
#include "test.h"

static void ignore_event(void *ctx, const sfu_event *ev) {}

static sfu *start(uv_loop_t *loop, int max_transports) {
  sfu_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.listen_ip, sizeof cfg.listen_ip, "127.0.0.1");
  snprintf(cfg.announce_ip, sizeof cfg.announce_ip, "127.0.0.1");
  cfg.max_transports = max_transports;
  return sfu_start(loop, &cfg, ignore_event, NULL);
}

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
  CHECK_EQ_INT(sfu_transport_create(s, ufrag, pwd, &t), SFU_OK);
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

  CHECK_EQ_INT(sfu_transport_subscribe(s, 0, ssrcs, 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_subscribe(s, t, ssrcs, SFU_MAX_SUBSCRIPTIONS + 1), SFU_BAD_ARGUMENT);
  CHECK_EQ_INT(sfu_transport_subscribe(s, t, ssrcs, SFU_MAX_SUBSCRIPTIONS), SFU_OK);

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
    CHECK_EQ_INT(sfu_transport_create(s, ufrag, pwd, &ids[i]), SFU_OK);
    CHECK(ids[i] != 0 && (i == 0 || ids[i] != ids[i - 1]));
  }
  wait_free(s, 0);
  uint32_t extra = 99;
  CHECK_EQ_INT(sfu_transport_create(s, ufrag, pwd, &extra), SFU_FULL);
  CHECK_EQ_INT(extra, 0);
  CHECK_EQ_INT(sfu_transport_destroy(s, ids[2]), SFU_OK);
  wait_free(s, 1);
  CHECK_EQ_INT(sfu_transport_create(s, ufrag, pwd, &extra), SFU_OK);
  CHECK(extra != 0 && extra != ids[3]);
  stop(&loop, s);
}

TEST_SUITE(sfu_control, {"bad_arguments", test_bad_arguments}, {"full_pool", test_full_pool});
