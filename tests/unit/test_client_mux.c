/* The shared UDP socket (client/udp_mux.h) on real loopback sockets: each
 * slot gets the datagrams sent to its own 127.x address and nothing else,
 * sends leave from the slot's address, a detached slot hears nothing, slots
 * are handed out in turn round the block, bad blocks are refused, and the
 * socket closes only once the last slot let go. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "client/udp_mux.h"
#include "client_helpers.h"
#include "net/udp.h"
#include "test.h"

typedef struct {
  int got;
  char data[64];
  struct sockaddr_in from;
  int64_t at_us;
} slot_seen;

static void on_input(void *ctx, uint8_t *data, size_t len, const struct sockaddr *from, int64_t at_us) {
  slot_seen *s = ctx;
  s->got++;
  size_t n = len < sizeof s->data - 1 ? len : sizeof s->data - 1;
  memcpy(s->data, data, n);
  s->data[n] = '\0';
  memcpy(&s->from, from, sizeof s->from);
  s->at_us = at_us;
}

typedef struct {
  slot_seen *s;
  int before;
} slot_wait;

static bool got_more(void *ctx) {
  slot_wait *w = ctx;
  return w->s->got > w->before;
}

static bool both_got(void *ctx) {
  slot_seen *s = ctx;
  return s[0].got > 0 && s[1].got > 0;
}

static void send_text(int fd, const struct sockaddr_storage *to, const char *text) {
  CHECK(sendto(fd, text, strlen(text), 0, (const struct sockaddr *)to, sizeof(struct sockaddr_in)) ==
        (ssize_t)strlen(text));
}

static void test_bad_blocks(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  CHECK(sc_udp_mux_new(&loop, "10.0.0.1", 4) == NULL);        /* not loopback */
  CHECK(sc_udp_mux_new(&loop, "127.1.0.1", 0) == NULL);       /* no addresses */
  CHECK(sc_udp_mux_new(&loop, "127.1.0.1", 65537) == NULL);   /* too many */
  CHECK(sc_udp_mux_new(&loop, "127.255.255.254", 4) == NULL); /* runs past 127/8 */
  CHECK(sc_udp_mux_new(&loop, "127.0.0.0", 4) == NULL);       /* the network address */
  CHECK(sc_udp_mux_new(&loop, "localhost", 4) == NULL);       /* an address, not a name */
  CHECK(sc_udp_mux_new(NULL, "127.1.0.1", 4) == NULL);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void test_slots(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  sc_udp_mux *m = sc_udp_mux_new(&loop, "127.1.2.1", 4);
  CHECK(m != NULL);
  int port = 0, fd = udp_open("127.0.0.1", 0, &port);
  CHECK(fd >= 0);
  if (!m || fd < 0) return;
  slot_seen seen[4];
  memset(seen, 0, sizeof seen);
  int a = sc_udp_mux_attach(m, on_input, &seen[0]), b = sc_udp_mux_attach(m, on_input, &seen[1]);
  int c = sc_udp_mux_attach(m, on_input, &seen[2]); /* attached, sent nothing: must hear nothing */
  CHECK_EQ_INT(a, 0);
  CHECK_EQ_INT(b, 1);
  CHECK_EQ_INT(c, 2);
  struct sockaddr_storage la, lb, lc;
  sc_udp_mux_local_addr(m, a, &la);
  sc_udp_mux_local_addr(m, b, &lb);
  sc_udp_mux_local_addr(m, 3, &lc);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &((struct sockaddr_in *)&lb)->sin_addr, text, sizeof text);
  CHECK_EQ_STR(text, "127.1.2.2");
  CHECK(((struct sockaddr_in *)&la)->sin_port == ((struct sockaddr_in *)&lb)->sin_port); /* one socket */

  /* Each slot gets what was sent to its address; slot 2 nothing (and slot
   * 3, free, is nobody's: dropped). */
  send_text(fd, &la, "to-a");
  send_text(fd, &lb, "to-b");
  send_text(fd, &lc, "to-nobody");
  CHECK(ct_run_until(&loop, both_got, seen, 2000));
  ct_run_for(&loop, 20);
  CHECK_EQ_INT(seen[0].got, 1);
  CHECK_EQ_INT(seen[1].got, 1);
  CHECK_EQ_INT(seen[2].got, 0);
  CHECK_EQ_STR(seen[0].data, "to-a");
  CHECK_EQ_STR(seen[1].data, "to-b");
  CHECK_EQ_INT(ntohs(seen[0].from.sin_port), port);
  CHECK(seen[0].at_us > 0);

  /* A send leaves from the slot's own address. */
  struct sockaddr_storage dst;
  memset(&dst, 0, sizeof dst);
  struct sockaddr_in *d4 = (struct sockaddr_in *)&dst;
  d4->sin_family = AF_INET;
  d4->sin_port = htons((uint16_t)port);
  d4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQ_INT(sc_udp_mux_send(m, b, (struct sockaddr *)&dst, (const uint8_t *)"hello", 5), 0);
  char buf[16];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  ssize_t n = -1;
  for (int i = 0; i < 200 && n < 0; i++) {
    n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0) usleep(1000);
  }
  CHECK_EQ_INT(n, 5);
  inet_ntop(AF_INET, &from.sin_addr, text, sizeof text);
  CHECK_EQ_STR(text, "127.1.2.2");
  CHECK(from.sin_port == ((struct sockaddr_in *)&lb)->sin_port);

  /* A detached slot hears nothing more. */
  sc_udp_mux_detach(m, a);
  send_text(fd, &la, "late");
  ct_run_for(&loop, 30);
  CHECK_EQ_INT(seen[0].got, 1);

  /* Read on a timer instead: the same delivery. */
  CHECK_EQ_INT(sc_udp_mux_read_every(m, 1), 0);
  int before = seen[1].got;
  send_text(fd, &lb, "tick");
  CHECK(ct_run_until(&loop, got_more, &(slot_wait){&seen[1], before}, 2000));
  CHECK_EQ_STR(seen[1].data, "tick");
  CHECK_EQ_INT(sc_udp_mux_drops(m), 0);

  /* Slots go round the block: 3, then 0 again (free), then none left. */
  CHECK_EQ_INT(sc_udp_mux_attach(m, on_input, &seen[3]), 3);
  CHECK_EQ_INT(sc_udp_mux_attach(m, on_input, &seen[0]), 0);
  CHECK_EQ_INT(sc_udp_mux_attach(m, on_input, &seen[0]), -1);

  /* Closing waits for the slots; once the last one goes, the socket and
   * the memory go from the loop (LeakSanitizer checks the rest). */
  sc_udp_mux_close(m);
  CHECK_EQ_INT(sc_udp_mux_attach(m, on_input, &seen[1]), -1); /* closing: no new slot */
  ct_run_for(&loop, 10);
  for (int s = 0; s < 4; s++) sc_udp_mux_detach(m, s);
  while (uv_run(&loop, UV_RUN_NOWAIT)) {
  }
  close(fd);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST_SUITE(client_mux, {"bad_blocks", test_bad_blocks}, {"slots", test_slots});
