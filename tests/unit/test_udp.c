/* UDP batching (src/net/udp.c) on real loopback sockets: a batch goes out as
 * separate datagrams to their own addresses, a full batch flushes itself and
 * its datagrams are counted (the metrics once missed these), and recv takes
 * several datagrams at once. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/udp.h"
#include "test.h"

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* Receives until n datagrams arrived or 200 tries found none. */
static int recv_all(int fd, udp_recv_batch *rb, int n, size_t *lens) {
  int got = 0;
  for (int tries = 0; got < n && tries < 200; tries++) {
    int k = udp_recv(fd, rb);
    if (k < 0) return -1;
    if (k == 0) {
      usleep(1000);
      continue;
    }
    for (int i = 0; i < k && got < n; i++) lens[got++] = rb->len[i];
  }
  return got;
}

static void test_batch_and_auto_flush(void) {
  int rport = 0, sport = 0;
  int rx = udp_open("127.0.0.1", 0, &rport), tx = udp_open("127.0.0.1", 0, &sport);
  CHECK(rx >= 0 && tx >= 0 && rport > 0);
  udp_send_batch *sb = calloc(1, sizeof *sb);
  udp_recv_batch *rb = calloc(1, sizeof *rb);
  CHECK(sb && rb);
  if (rx < 0 || tx < 0 || !sb || !rb) goto out;
  struct sockaddr_in to = loopback(rport);
  /* UDP_BATCH + 3 datagrams of lengths 1..: the batch fills and flushes by
   * itself once, the rest on the explicit flush. */
  const int n = UDP_BATCH + 3;
  for (int i = 0; i < n; i++) {
    uint8_t *slot = udp_send_slot(tx, sb);
    memset(slot, (int)i, (size_t)i + 1);
    udp_send_commit(sb, (size_t)i + 1, (struct sockaddr *)&to, 0);
  }
  CHECK_EQ_INT(sb->sent_packets, UDP_BATCH); /* the automatic flush, counted */
  udp_flush(tx, sb);
  CHECK_EQ_INT(sb->n, 0);
  CHECK_EQ_INT(sb->sent_packets, n);
  CHECK_EQ_INT(sb->sent_bytes, (uint64_t)n * (n + 1) / 2);
  CHECK_EQ_INT(sb->send_errors, 0);
  size_t lens[64];
  CHECK_EQ_INT(recv_all(rx, rb, n, lens), n);
  for (int i = 0; i < n; i++) CHECK_EQ_INT(lens[i], (size_t)i + 1); /* order and boundaries kept */
  /* The sender's address comes with each datagram. */
  const struct sockaddr_in *from = (const void *)&rb->from[0];
  CHECK_EQ_INT(ntohs(from->sin_port), sport);
  /* Nothing more: recv returns 0, not an error. */
  CHECK_EQ_INT(udp_recv(rx, rb), 0);
out:
  if (rx >= 0) close(rx);
  if (tx >= 0) close(tx);
  free(sb);
  free(rb);
}


/* An AF_UNIX datagram socket in the abstract namespace whose name fits the
 * 16 bytes udp.c copies for a non-IPv6 address. Its receive queue is short,
 * so a sender gets EAGAIN for real once it is full. */
static int unix_dgram(struct sockaddr_un *a, const char *name, int bind_it) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  memcpy(a->sun_path + 1, name, strlen(name)); /* sun_path[0] = 0: abstract */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd >= 0 && bind_it && bind(fd, (struct sockaddr *)a, sizeof(struct sockaddr_in)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* A full socket buffer keeps the unsent datagrams (in order) for the next
 * flush instead of dropping the rest of the batch; once the batch is full
 * and the socket still is, the newest datagram is dropped and counted. */
static void test_full_socket_keeps_batch(void) {
  char name[14];
  snprintf(name, sizeof name, "sru%08d", (int)getpid() % 100000000);
  struct sockaddr_un to, me;
  int rx = unix_dgram(&to, name, 1), tx = unix_dgram(&me, "", 0);
  udp_send_batch *sb = calloc(1, sizeof *sb);
  CHECK(rx >= 0 && tx >= 0 && sb);
  if (rx < 0 || tx < 0 || !sb) goto out;
  const int n = UDP_BATCH;
  for (int i = 0; i < n; i++) {
    uint8_t *slot = udp_send_slot(tx, sb);
    memset(slot, i, 100);
    udp_send_commit(sb, 100, (struct sockaddr *)&to, 0);
  }
  CHECK_EQ_INT(udp_flush(tx, sb), 1); /* the receiver's queue filled up */
  uint64_t first = sb->sent_packets;
  CHECK(first > 0 && first < (uint64_t)n);
  CHECK_EQ_INT(sb->n, n - (int)first);
  CHECK_EQ_INT(sb->send_errors, 0);
  CHECK_EQ_INT(sb->data[0][0], (uint8_t)first); /* the oldest unsent one is first */
  /* Still full: flushing again sends nothing and loses nothing. */
  CHECK_EQ_INT(udp_flush(tx, sb), 1);
  CHECK_EQ_INT(sb->n, n - (int)first);
  /* Fill the batch; one more datagram must drop the newest queued one. */
  while (sb->n < UDP_BATCH) {
    uint8_t *slot = udp_send_slot(tx, sb);
    memset(slot, 200, 100);
    udp_send_commit(sb, 100, (struct sockaddr *)&to, 0);
  }
  uint8_t *slot = udp_send_slot(tx, sb);
  memset(slot, 201, 100);
  udp_send_commit(sb, 100, (struct sockaddr *)&to, 0);
  CHECK_EQ_INT(sb->send_errors, 1);
  CHECK_EQ_INT(sb->n, UDP_BATCH);
  /* The receiver reads everything: order is kept and every datagram the
   * batch held arrives. */
  uint8_t buf[200];
  int got = 0, want = 0, in_order = 1;
  for (int round = 0; round < 100 && (sb->n > 0 || got < (int)sb->sent_packets); round++) {
    ssize_t r;
    while ((r = recv(rx, buf, sizeof buf, 0)) > 0) {
      if (got < n && buf[0] != (uint8_t)want) in_order = 0;
      got++;
      want++;
    }
    udp_flush(tx, sb);
  }
  CHECK(in_order);
  CHECK_EQ_INT(sb->n, 0);
  CHECK_EQ_INT(got, (int)sb->sent_packets);
  CHECK_EQ_INT(sb->sent_packets + sb->send_errors, (uint64_t)UDP_BATCH + (uint64_t)(UDP_BATCH - (n - (int)first)) + 1);
out:
  if (rx >= 0) close(rx);
  if (tx >= 0) close(tx);
  free(sb);
}

/* A datagram the kernel refuses (port 0) is skipped alone: the rest of the
 * batch still goes out. */
static void test_bad_address_skipped(void) {
  int rport = 0, sport = 0;
  int rx = udp_open("127.0.0.1", 0, &rport), tx = udp_open("127.0.0.1", 0, &sport);
  udp_send_batch *sb = calloc(1, sizeof *sb);
  udp_recv_batch *rb = calloc(1, sizeof *rb);
  CHECK(rx >= 0 && tx >= 0 && sb && rb);
  if (rx < 0 || tx < 0 || !sb || !rb) goto out;
  struct sockaddr_in good = loopback(rport), bad = loopback(0);
  for (int i = 0; i < 5; i++) {
    uint8_t *slot = udp_send_slot(tx, sb);
    memset(slot, i, 10);
    udp_send_commit(sb, 10, (struct sockaddr *)(i == 2 ? &bad : &good), 0);
  }
  CHECK_EQ_INT(udp_flush(tx, sb), 0);
  CHECK_EQ_INT(sb->send_errors, 1);
  CHECK_EQ_INT(sb->sent_packets, 4);
  size_t lens[8];
  CHECK_EQ_INT(recv_all(rx, rb, 4, lens), 4);
out:
  if (rx >= 0) close(rx);
  if (tx >= 0) close(tx);
  free(sb);
  free(rb);
}

static int64_t now_realtime_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The hold histogram: a forwarded datagram (src_us set) is counted in the
 * bucket of (its send time - src_us); one made here (src_us 0) is not. */
static void test_hold_histogram(void) {
  CHECK_EQ_INT(udp_hold_bucket(0), 0);
  CHECK_EQ_INT(udp_hold_bucket(10), 0);
  CHECK_EQ_INT(udp_hold_bucket(11), 1);
  CHECK_EQ_INT(udp_hold_bucket(1000), 12);
  CHECK_EQ_INT(udp_hold_bucket(1001), 13);
  CHECK_EQ_INT(udp_hold_bucket(50000), UDP_HOLD_BUCKETS - 2);
  CHECK_EQ_INT(udp_hold_bucket(50001), UDP_HOLD_BUCKETS - 1);
  for (int i = 1; i < UDP_HOLD_BUCKETS - 1; i++) CHECK(udp_hold_bounds_us[i] > udp_hold_bounds_us[i - 1]);
  int rport = 0, sport = 0;
  int rx = udp_open("127.0.0.1", 0, &rport), tx = udp_open("127.0.0.1", 0, &sport);
  udp_send_batch *sb = calloc(1, sizeof *sb);
  CHECK(rx >= 0 && tx >= 0 && sb);
  if (rx < 0 || tx < 0 || !sb) goto out;
  struct sockaddr_in to = loopback(rport);
  /* Arrived 5.5 ms and 20.5 ms ago (inside buckets (5000, 10000] and
   * (10000, 50000], far from their bounds for a slow machine), and one of
   * our own. */
  int64_t now = now_realtime_us(), src[3] = {now - 5500, now - 20500, 0};
  for (int i = 0; i < 3; i++) {
    memset(udp_send_slot(tx, sb), i, 10);
    udp_send_commit(sb, 10, (struct sockaddr *)&to, src[i]);
  }
  CHECK_EQ_INT(udp_flush(tx, sb), 0);
  uint64_t total = 0;
  for (int i = 0; i < UDP_HOLD_BUCKETS; i++) total += sb->hold.n[i];
  CHECK_EQ_INT(total, 2);
  CHECK_EQ_INT(sb->hold.n[udp_hold_bucket(10000)], 1); /* 5000 < hold <= 10000 */
  CHECK_EQ_INT(sb->hold.n[udp_hold_bucket(50000)], 1); /* 20000 < hold <= 50000 */
  CHECK(sb->hold.sum_us >= 25000 && sb->hold.sum_us < 60000);
out:
  if (rx >= 0) close(rx);
  if (tx >= 0) close(tx);
  free(sb);
}

static void test_open_errors(void) {
  int port = 0;
  CHECK_EQ_INT(udp_open("not-an-address", 0, &port), -1);
  int a = udp_open("127.0.0.1", 0, &port);
  CHECK(a >= 0);
  int b = udp_open("127.0.0.1", port, &port); /* taken */
  CHECK_EQ_INT(b, -1);
  if (a >= 0) close(a);
  if (b >= 0) close(b);
}

TEST_SUITE(udp, {"batch_and_auto_flush", test_batch_and_auto_flush},
           {"full_socket_keeps_batch", test_full_socket_keeps_batch}, {"bad_address_skipped", test_bad_address_skipped}, {"open_errors", test_open_errors},
           {"hold_histogram", test_hold_histogram});
