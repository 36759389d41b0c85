/* The SFU media worker (src/sfu/sfu.c, worker.c) through its control API,
 * on a real loopback port: a transport made with sfu_transport_create
 * answers an ICE Binding request that carries its credentials (integrity
 * with its password, XOR-MAPPED-ADDRESS = the sender, same transaction id);
 * it answers nothing else: wrong password, wrong ufrag, strangers' junk of
 * every first byte, empty and truncated datagrams are each counted once as
 * dropped or malformed, nothing is sent back (no reflection), and the worker
 * still answers afterwards (test_sfu_control.c has the statuses). A pool of one
 * transport refuses a second at once (SFU_FULL: the pool is reserved when a
 * create is queued, not when the worker takes it); a destroyed transport
 * answers no more and frees its place in the pool. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "ice/stun.h"
#include "sdp/sdp.h"
#include "sfu/sfu.h"
#include "test.h"

typedef struct {
  int n;
  sfu_event ev[8];
} event_log;

static void on_event(void *ctx, const sfu_event *ev) {
  event_log *l = ctx;
  if (l->n < 8) l->ev[l->n] = *ev;
  l->n++;
}

static sfu *start_sfu_workers(uv_loop_t *loop, event_log *log, int max_transports, bool ice_tcp, int workers) {
  sfu_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.ice_tcp = ice_tcp;
  cfg.workers = workers;
  snprintf(cfg.listen_ip, sizeof cfg.listen_ip, "127.0.0.1");
  snprintf(cfg.announce_ip, sizeof cfg.announce_ip, "127.0.0.1");
  cfg.max_video_bitrate = 1000000;
  cfg.max_transports = max_transports;
  return sfu_start(loop, &cfg, on_event, log);
}

static sfu *start_sfu_with(uv_loop_t *loop, event_log *log, int max_transports, bool ice_tcp) {
  return start_sfu_workers(loop, log, max_transports, ice_tcp, 1);
}

static sfu *start_sfu(uv_loop_t *loop, event_log *log, int max_transports) {
  return start_sfu_with(loop, log, max_transports, false);
}

static void stop_sfu(uv_loop_t *loop, sfu *s) {
  sfu_stop(s);
  uv_run(loop, UV_RUN_DEFAULT); /* the control mailbox's close */
  CHECK_EQ_INT(uv_loop_close(loop), 0);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A UDP socket on loopback with a receive timeout; its address in *addr. */
static int client_socket(struct sockaddr_in *addr, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)addr, &len) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void send_to(int fd, int port, const void *p, size_t n) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sendto(fd, p, n, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)n) CHECK(!"sendto failed");
}

/* Sends a Binding request (USERNAME user, MESSAGE-INTEGRITY with pwd). */
static void send_binding(int fd, int port, const char *user, const char *pwd, uint8_t txid[12]) {
  for (int i = 0; i < 12; i++) txid[i] = (uint8_t)rand();
  uint8_t buf[512];
  size_t n = stun_build_binding_request(buf, sizeof buf, txid, user, (const uint8_t *)pwd, strlen(pwd),
                                        0x6e001eff, false, true, 0x1122334455667788ull);
  CHECK(n > 0);
  send_to(fd, port, buf, n);
}

/* The next datagram on fd: 1 if it is a Binding success for txid, protected
 * with pwd, mapping `self`; 0 if something else came; -1 if nothing came
 * within the socket's timeout. */
static int read_success(int fd, const uint8_t txid[12], const char *pwd, const struct sockaddr_in *self) {
  uint8_t buf[1500];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n < 0) return -1;
  stun_msg m;
  if (stun_parse(buf, (size_t)n, &m) != STUN_OK) return 0;
  if (m.cls != STUN_CLASS_SUCCESS || m.method != STUN_METHOD_BINDING || memcmp(m.txid, txid, 12) != 0) return 0;
  if (!m.has_fingerprint || !m.has_integrity) return 0;
  if (stun_check_integrity(buf, (size_t)n, &m, (const uint8_t *)pwd, strlen(pwd)) != STUN_OK) return 0;
  const struct sockaddr_in *mapped = (const struct sockaddr_in *)&m.xor_mapped;
  if (!m.has_xor_mapped || mapped->sin_family != AF_INET || mapped->sin_port != self->sin_port ||
      mapped->sin_addr.s_addr != self->sin_addr.s_addr)
    return 0;
  return 1;
}

/* Commands reach the worker asynchronously: asks until answered (up to ~5
 * s); answers to earlier tries that come late are skipped. */
static int binding_answered(int fd, int port, const char *user, const char *pwd, const struct sockaddr_in *self) {
  uint8_t txid[12];
  for (int tries = 0; tries < 50; tries++) {
    send_binding(fd, port, user, pwd, txid);
    int r;
    while ((r = read_success(fd, txid, pwd, self)) == 0) {}
    if (r == 1) return 1;
  }
  return -1;
}

/* Reads until nothing more comes (the socket's timeout); how many came. */
static int drain(int fd) {
  uint8_t buf[1500];
  int n = 0;
  while (recv(fd, buf, sizeof buf, 0) >= 0) n++;
  return n;
}

/* Waits (up to 2 s) until the worker has taken in `want` datagrams in all. */
static void wait_packets_in(sfu *s, uint64_t want) {
  sfu_stats st;
  for (int i = 0; i < 200; i++) {
    sfu_get_stats(s, &st);
    if (st.packets_in >= want) return;
    sleep_ms(10);
  }
}

static void test_binding_and_junk(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  event_log log = {0};
  sfu *s = start_sfu(&loop, &log, 4);
  CHECK(s != NULL);
  if (!s) return;
  int port = sfu_port(s, 0);
  CHECK(port > 0);
  CHECK(strlen(sfu_fingerprint(s)) == 95); /* SHA-256 as AB:CD:... */
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1];
  uint32_t t = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &t), SFU_OK);
  CHECK(t != 0);
  CHECK_EQ_INT(strlen(ufrag), ICE_UFRAG_LEN);
  CHECK_EQ_INT(strlen(pwd), ICE_PWD_LEN);
  static const uint8_t fp[32] = {1};
  CHECK_EQ_INT(sfu_transport_set_remote(s, t, "brwsr", fp), SFU_OK);
  char user[64], wrong_user[64], wrong_remote[64];
  snprintf(user, sizeof user, "%s:brwsr", ufrag);
  snprintf(wrong_user, sizeof wrong_user, "Zz%s:brwsr", ufrag + 2);
  if (strcmp(wrong_user, user) == 0) wrong_user[0] = 'Y';
  snprintf(wrong_remote, sizeof wrong_remote, "%s:other", ufrag);
  char wrong_pwd[ICE_PWD_LEN + 1];
  memcpy(wrong_pwd, pwd, sizeof wrong_pwd);
  wrong_pwd[0] = wrong_pwd[0] == 'a' ? 'b' : 'a';

  struct sockaddr_in me, stranger_addr;
  int fd = client_socket(&me, 100), stranger = client_socket(&stranger_addr, 100);
  CHECK(fd >= 0 && stranger >= 0);
  if (fd < 0 || stranger < 0) goto out;
  CHECK_EQ_INT(binding_answered(fd, port, user, pwd, &me), 1);
  drain(fd); /* late answers to earlier tries; the worker's counters catch up meanwhile */
  sfu_stats st0;
  sfu_get_stats(s, &st0);
  CHECK_EQ_INT(st0.transports, 1);
  CHECK_EQ_INT(sfu_transports_free(s), 3);
  CHECK(st0.packets_out >= 1);

  /* Junk. From our (now validated) address: bad credentials, and datagrams
   * that are neither STUN, DTLS nor RTP. From a stranger: anything. */
  int junk = 0;
  uint8_t txid[12], buf[256];
  send_binding(fd, port, user, wrong_pwd, txid), junk++;
  send_binding(fd, port, wrong_user, pwd, txid), junk++;
  send_binding(fd, port, wrong_remote, pwd, txid), junk++;
  send_to(fd, port, "", 0), junk++;
  memset(buf, 0x41, sizeof buf);
  send_to(fd, port, buf, 100), junk++; /* first byte 65: no protocol */
  send_binding(stranger, port, user, wrong_pwd, txid), junk++;
  send_binding(stranger, port, wrong_user, pwd, txid), junk++;
  send_to(stranger, port, "", 0), junk++;
  for (int b = 0; b < 256; b += 3) { /* every kind of first byte */
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(b + i * 7);
    send_to(stranger, port, buf, 20 + (size_t)b % 200), junk++;
  }
  /* A STUN header with the cookie whose length runs past the datagram, and
   * one whose attribute does. */
  uint8_t stun[32] = {0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42};
  send_to(stranger, port, stun, 20), junk++;
  stun[3] = 0x0c;
  stun[20] = 0x00, stun[21] = 0x06, stun[22] = 0x01, stun[23] = 0x00; /* USERNAME of 256 bytes */
  send_to(stranger, port, stun, 32), junk++;
  wait_packets_in(s, st0.packets_in + (uint64_t)junk);
  sleep_ms(20); /* anything the worker would send for them has gone out by now */
  sfu_stats st1;
  sfu_get_stats(s, &st1);
  CHECK_EQ_INT(st1.packets_in - st0.packets_in, junk);
  /* Each refused once, as dropped or malformed; nothing answered. */
  CHECK_EQ_INT((st1.dropped - st0.dropped) + (st1.malformed - st0.malformed), junk);
  CHECK(st1.dropped > st0.dropped && st1.malformed > st0.malformed);
  CHECK_EQ_INT(st1.packets_out, st0.packets_out);
  CHECK_EQ_INT(recv(stranger, buf, sizeof buf, 0), -1); /* nothing came back */
  /* Still answering; the next datagram we get is that answer (the junk got
   * none before it). */
  send_binding(fd, port, user, pwd, txid);
  int r = -1;
  for (int i = 0; i < 50 && r == -1; i++) r = read_success(fd, txid, pwd, &me);
  CHECK_EQ_INT(r, 1);
  CHECK_EQ_INT(log.n, 0); /* no event: the transport is fine */
  close(fd);
  close(stranger);
out:
  stop_sfu(&loop, s);
}

/* Waits (up to 2 s) until the worker has dropped `want` datagrams in all. */
static void wait_dropped(sfu *s, uint64_t want) {
  sfu_stats st;
  for (int i = 0; i < 200; i++) {
    sfu_get_stats(s, &st);
    if (st.dropped >= want) return;
    sleep_ms(10);
  }
}

static void test_pool_and_destroy(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  event_log log = {0};
  sfu *s = start_sfu(&loop, &log, 1);
  CHECK(s != NULL);
  if (!s) return;
  int port = sfu_port(s, 0);
  char u1[ICE_UFRAG_LEN + 1], p1[ICE_PWD_LEN + 1], u2[ICE_UFRAG_LEN + 1], p2[ICE_PWD_LEN + 1];
  uint32_t t1 = 0, t2 = 0;
  snprintf(u2, sizeof u2, "refused2"); /* stay as they are if refused at once */
  snprintf(p2, sizeof p2, "refusedrefusedrefused222");
  CHECK_EQ_INT(sfu_transport_create(s, 0, u1, p1, &t1), SFU_OK);
  CHECK(t1 != 0);
  /* Right after, before the worker may have taken t1: the pool was
   * reserved when t1's create was queued, so a second is refused now. */
  CHECK_EQ_INT(sfu_transport_create(s, 0, u2, p2, &t2), SFU_FULL);
  CHECK_EQ_INT(t2, 0);
  CHECK_EQ_STR(u2, "refused2");
  for (int i = 0; i < 200 && sfu_transports_free(s) != 0; i++) sleep_ms(10);
  CHECK_EQ_INT(sfu_transports_free(s), 0);
  /* Once the worker holds t1, a full pool is refused at once. */
  uint32_t t_full = 7;
  CHECK_EQ_INT(sfu_transport_create(s, 0, u2, p2, &t_full), SFU_FULL);
  CHECK_EQ_INT(t_full, 0);
  int events = log.n;

  struct sockaddr_in me;
  int fd = client_socket(&me, 100);
  CHECK(fd >= 0);
  if (fd < 0) goto out;
  /* Without a remote ufrag, the local part of USERNAME is what counts. */
  char user[64];
  snprintf(user, sizeof user, "%s:anything", u1);
  CHECK_EQ_INT(binding_answered(fd, port, user, p1, &me), 1);
  drain(fd);
  /* The refused transport never existed in the worker. */
  snprintf(user, sizeof user, "%s:anything", u2);
  uint8_t txid[12];
  sfu_stats st;
  sfu_get_stats(s, &st);
  send_binding(fd, port, user, p2, txid);
  CHECK_EQ_INT(read_success(fd, txid, p2, &me), -1);
  wait_dropped(s, st.dropped + 1);

  CHECK_EQ_INT(sfu_transport_destroy(s, t1), SFU_OK);
  for (int i = 0; i < 200 && sfu_transports_free(s) != 1; i++) sleep_ms(10);
  CHECK_EQ_INT(sfu_transports_free(s), 1);
  sfu_get_stats(s, &st);
  uint64_t dropped = st.dropped;
  snprintf(user, sizeof user, "%s:anything", u1);
  send_binding(fd, port, user, p1, txid);
  CHECK_EQ_INT(read_success(fd, txid, p1, &me), -1); /* gone: no answer */
  wait_dropped(s, dropped + 1);
  sfu_get_stats(s, &st);
  CHECK_EQ_INT(st.dropped, dropped + 1);
  /* Its place is free for a new one, which answers. */
  uint32_t t3 = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 0, u2, p2, &t3), SFU_OK);
  CHECK(t3 != 0 && t3 != t1 && t3 != t2);
  snprintf(user, sizeof user, "%s:anything", u2);
  CHECK_EQ_INT(binding_answered(fd, port, user, p2, &me), 1);
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK_EQ_INT(log.n, events); /* destroy reports nothing; the new one is fine */
  close(fd);
out:
  stop_sfu(&loop, s);
}

/* ---- ICE-TCP ---- */

/* A TCP connection to the media port with a receive timeout; its local address in *self. */
static int tcp_client(int port, struct sockaddr_in *self, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  socklen_t len = sizeof *self;
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 || getsockname(fd, (struct sockaddr *)self, &len) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads exactly n bytes; 0, or -1 on timeout, error or end of stream. */
static int read_all(int fd, uint8_t *p, size_t n) {
  while (n) {
    ssize_t r = recv(fd, p, n, 0);
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* 1 once the server has closed fd (end of stream), 0 if fd stays open for the timeout. */
static int closed_by_server(int fd) {
  uint8_t b[64];
  for (;;) {
    ssize_t r = recv(fd, b, sizeof b, 0);
    if (r == 0) return 1;
    if (r < 0) return errno == ECONNRESET ? 1 : 0;
  }
}

/* A framed Binding request on a TCP connection; 1 if a framed Binding
 * success for it comes back mapping `self`, else 0 (retried while the
 * worker has not taken the transport yet). */
static int tcp_binding_answered(int fd, const char *user, const char *pwd, const struct sockaddr_in *self) {
  for (int tries = 0; tries < 20; tries++) {
    uint8_t txid[12], buf[1502];
    for (int i = 0; i < 12; i++) txid[i] = (uint8_t)rand();
    size_t n = stun_build_binding_request(buf + 2, sizeof buf - 2, txid, user, (const uint8_t *)pwd, strlen(pwd),
                                          0x6e001eff, false, true, 0x1122334455667788ull);
    buf[0] = (uint8_t)(n >> 8);
    buf[1] = (uint8_t)n;
    if (send(fd, buf, n + 2, 0) != (ssize_t)(n + 2)) return 0;
    uint8_t hdr[2], msg[1500];
    if (read_all(fd, hdr, 2) != 0) continue; /* not taken yet: nothing came */
    size_t len = (size_t)hdr[0] << 8 | hdr[1];
    if (len > sizeof msg || read_all(fd, msg, len) != 0) return 0;
    stun_msg m;
    if (stun_parse(msg, len, &m) != STUN_OK || m.cls != STUN_CLASS_SUCCESS || memcmp(m.txid, txid, 12) != 0 ||
        stun_check_integrity(msg, len, &m, (const uint8_t *)pwd, strlen(pwd)) != STUN_OK)
      return 0;
    const struct sockaddr_in *mapped = (const struct sockaddr_in *)&m.xor_mapped;
    return m.has_xor_mapped && mapped->sin_port == self->sin_port && mapped->sin_addr.s_addr == self->sin_addr.s_addr;
  }
  return 0;
}

/* ICE-TCP on the media port's number: a framed check with the transport's
 * credentials gets a framed answer mapping the client's TCP address; a
 * framing lie (length 0, or over 1500) closes the connection at once; one
 * client's connections that have not passed a check are limited (32): the
 * rest are closed as they are accepted, and counted. */
static void test_ice_tcp(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  event_log log = {0};
  sfu *s = start_sfu_with(&loop, &log, 4, true);
  CHECK(s != NULL);
  if (!s) return;
  int port = sfu_port(s, 0);
  CHECK_EQ_INT(sfu_candidates(s), SDP_CAND_UDP | SDP_CAND_TCP);
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1], user[64];
  uint32_t t = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 0, ufrag, pwd, &t), SFU_OK);
  static const uint8_t fp[32] = {1};
  CHECK_EQ_INT(sfu_transport_set_remote(s, t, "brwsr", fp), SFU_OK);
  snprintf(user, sizeof user, "%s:brwsr", ufrag);

  struct sockaddr_in me;
  int good = tcp_client(port, &me, 300);
  CHECK(good >= 0);
  CHECK_EQ_INT(tcp_binding_answered(good, user, pwd, &me), 1);

  static const uint8_t zero[2] = {0, 0}, huge[4] = {0xff, 0xff, 1, 2}, just_over[2] = {0x05, 0xdd}; /* 1501 */
  const uint8_t *lies[3] = {zero, huge, just_over};
  size_t lie_len[3] = {2, 4, 2};
  for (int i = 0; i < 3; i++) {
    struct sockaddr_in a;
    int fd = tcp_client(port, &a, 1000);
    CHECK(fd >= 0);
    if (fd < 0) continue;
    CHECK(send(fd, lies[i], lie_len[i], 0) == (ssize_t)lie_len[i]);
    CHECK_EQ_INT(closed_by_server(fd), 1);
    close(fd);
  }
  /* Before a check: only STUN, at most 8 frames. A DTLS-looking frame with
   * more behind it, or 12 STUN-looking ones in one write: closed (this once
   * crashed the server: the connection was closed from inside the reader). */
  static const uint8_t dtls_then_more[] = {0, 3, 22, 254, 253, 0, 3, 0, 1, 0, 0, 3, 0, 1, 0};
  uint8_t twelve[12 * 5];
  for (int i = 0; i < 12; i++) memcpy(twelve + 5 * i, (const uint8_t[]){0, 3, 0, 1, 0}, 5);
  const uint8_t *rule[2] = {dtls_then_more, twelve};
  size_t rule_len[2] = {sizeof dtls_then_more, sizeof twelve};
  for (int i = 0; i < 2; i++) {
    struct sockaddr_in a;
    int fd = tcp_client(port, &a, 1000);
    CHECK(fd >= 0);
    if (fd < 0) continue;
    CHECK(send(fd, rule[i], rule_len[i], 0) == (ssize_t)rule_len[i]);
    CHECK_EQ_INT(closed_by_server(fd), 1);
    close(fd);
  }
  CHECK_EQ_INT(tcp_binding_answered(good, user, pwd, &me), 1); /* still serving */
  sfu_stats st;
  sfu_get_stats(s, &st);
  CHECK_EQ_INT(st.tcp_closed_bad, 5);

  /* 40 silent connections from this client: 32 may wait for their check, 8 are refused. */
  int idle[40], refused = 0;
  for (int i = 0; i < 40; i++) {
    struct sockaddr_in a;
    idle[i] = tcp_client(port, &a, 100);
    CHECK(idle[i] >= 0);
  }
  for (int i = 0; i < 40; i++)
    if (idle[i] >= 0) refused += closed_by_server(idle[i]);
  CHECK_EQ_INT(refused, 8);
  sfu_get_stats(s, &st);
  CHECK_EQ_INT(st.tcp_refused, 8);
  CHECK_EQ_INT(st.tcp_open, 33); /* the checked one and 32 waiting */
  /* The checked connection still works. */
  CHECK_EQ_INT(tcp_binding_answered(good, user, pwd, &me), 1);
  for (int i = 0; i < 40; i++)
    if (idle[i] >= 0) close(idle[i]);
  close(good);
  stop_sfu(&loop, s);
}

/* Two workers: a transport lives on the worker it was made on and answers
 * only on that worker's port; the other worker does not know its ufrag. */
static void test_transport_on_its_worker(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  event_log log = {0};
  sfu *s = start_sfu_workers(&loop, &log, 4, false, 2);
  CHECK(s != NULL);
  if (!s) return;
  char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1], user[64];
  uint32_t t = 0;
  CHECK_EQ_INT(sfu_transport_create(s, 1, ufrag, pwd, &t), SFU_OK);
  static const uint8_t fp[32] = {1};
  CHECK_EQ_INT(sfu_transport_set_remote(s, t, "brwsr", fp), SFU_OK);
  snprintf(user, sizeof user, "%s:brwsr", ufrag);
  struct sockaddr_in me;
  int fd = client_socket(&me, 100);
  CHECK(fd >= 0);
  if (fd < 0) goto out;
  CHECK_EQ_INT(binding_answered(fd, sfu_port(s, 1), user, pwd, &me), 1);
  drain(fd);
  uint8_t txid[12];
  send_binding(fd, sfu_port(s, 0), user, pwd, txid);
  CHECK_EQ_INT(drain(fd), 0); /* worker 0 has no such transport */
  sfu_stats w0, w1;
  for (int i = 0; i < 200; i++) { /* counters catch up */
    sfu_get_worker_stats(s, 0, &w0);
    if (w0.packets_in >= 1) break;
    sleep_ms(10);
  }
  sfu_get_worker_stats(s, 1, &w1);
  CHECK_EQ_INT(w0.transports, 0);
  CHECK_EQ_INT(w1.transports, 1);
  CHECK_EQ_INT(w0.packets_in, 1);
  CHECK_EQ_INT(w0.packets_out, 0);
  CHECK(w1.packets_in >= 1 && w1.packets_out >= 1);
  close(fd);
out:
  stop_sfu(&loop, s);
}

TEST_SUITE(sfu_worker, {"transport_on_its_worker", test_transport_on_its_worker}, {"binding_and_junk", test_binding_and_junk}, {"pool_and_destroy", test_pool_and_destroy},
           {"ice_tcp", test_ice_tcp});
