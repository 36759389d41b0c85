/* UDP batching (src/net/udp.c) on real loopback sockets: a batch goes out as
 * separate datagrams to their own addresses, a full batch flushes itself and
 * its datagrams are counted (the metrics once missed these), and recv takes
 * several datagrams at once. */
#include <stdlib.h>
#include <string.h>
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
    udp_send_commit(sb, (size_t)i + 1, (struct sockaddr *)&to);
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

TEST_SUITE(udp, {"batch_and_auto_flush", test_batch_and_auto_flush}, {"open_errors", test_open_errors});
