/* Unit tests for src/ice/ice.c: the ICE-lite agent against checks built the
 * way a browser builds them. Covers authentication (ufrag, password,
 * FINGERPRINT), answers, nomination and re-nomination, role conflict, unknown
 * attributes, consent expiry at its exact boundaries, the bounded list of
 * valid addresses, IPv6, and the helpers (USERNAME local part, address
 * comparison). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "ice/ice.h"
#include "ice/stun.h"
#include "test.h"

#define LOCAL "L0cal+/x"
#define PWD "Pa55word+/abcdefghijklmn"
#define REMOTE "rEm0"
#define T0 UINT64_C(1000000)

static uint8_t next_txid_byte;

static struct sockaddr_in v4(const char *ip, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
  return a;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  CHECK(inet_pton(AF_INET6, ip, &a.sin6_addr) == 1);
  return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* An agent with known credentials and the remote ufrag set. */
static void agent(ice_agent *a) {
  CHECK_EQ_INT(ice_agent_init(a, T0), 0);
  memcpy(a->local_ufrag, LOCAL, sizeof LOCAL);
  memcpy(a->local_pwd, PWD, sizeof PWD);
  ice_agent_set_remote_ufrag(a, REMOTE);
}

typedef struct {
  const char *username;
  const char *pwd; /* NULL: no MESSAGE-INTEGRITY */
  bool use_candidate, controlling, no_fingerprint;
} check_opts;

/* A browser's connectivity check; returns its length. */
static size_t check_with(uint8_t *buf, size_t cap, const check_opts *o, uint8_t txid[12]) {
  for (int i = 0; i < 12; i++) txid[i] = (uint8_t)(next_txid_byte + i * 7);
  next_txid_byte++;
  const char *pwd = o->pwd;
  size_t n = stun_build_binding_request(buf, cap, txid, o->username, (const uint8_t *)pwd,
                                        pwd ? strlen(pwd) : 0, 0x6e7f1eff, o->use_candidate,
                                        o->controlling, UINT64_C(0x1122334455667788));
  CHECK(n > 0);
  if (o->no_fingerprint) { /* MESSAGE-INTEGRITY stays valid: it ends before FINGERPRINT */
    n -= 8;
    buf[2] = (uint8_t)((n - 20) >> 8);
    buf[3] = (uint8_t)(n - 20);
  }
  return n;
}

static size_t good_check(uint8_t *buf, size_t cap, bool use_candidate, uint8_t txid[12]) {
  check_opts o = {LOCAL ":" REMOTE, PWD, use_candidate, true, false};
  return check_with(buf, cap, &o, txid);
}

/* Feeds a packet; checks out_len matches the result. */
static ice_result feed(ice_agent *a, const uint8_t *p, size_t n, const struct sockaddr *from,
                       uint64_t now, stun_msg *resp) {
  uint8_t out[512];
  size_t out_len = 12345;
  ice_result r = ice_agent_handle(a, p, n, from, now, out, sizeof out, &out_len);
  if (r == ICE_IGNORED) {
    CHECK_EQ_INT(out_len, 0);
    if (resp) memset(resp, 0, sizeof *resp);
    return r;
  }
  CHECK(out_len > 0);
  stun_msg m;
  CHECK_EQ_INT(stun_parse(out, out_len, &m), STUN_OK);
  CHECK(m.has_integrity && m.has_fingerprint);
  CHECK_EQ_INT(stun_check_integrity(out, out_len, &m, (const uint8_t *)a->local_pwd,
                                    strlen(a->local_pwd)),
               STUN_OK);
  CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
  CHECK_EQ_INT(memcmp(m.txid, p + 8, 12), 0);
  if (resp) *resp = m;
  return r;
}

static ice_result send_check(ice_agent *a, const struct sockaddr *from, bool uc, uint64_t now) {
  uint8_t buf[256], txid[12];
  size_t n = good_check(buf, sizeof buf, uc, txid);
  return feed(a, buf, n, from, now, NULL);
}

static bool selected_is(const ice_agent *a, const struct sockaddr *addr) {
  return a->has_selected && sockaddr_equal(SA(a->selected), addr);
}

/* ---- tests ---- */

static void test_init_credentials(void) {
  ice_agent a, b;
  CHECK_EQ_INT(ice_agent_init(&a, 77), 0);
  CHECK_EQ_INT(ice_agent_init(&b, 77), 0);
  CHECK_EQ_INT(strlen(a.local_ufrag), ICE_UFRAG_LEN);
  CHECK_EQ_INT(strlen(a.local_pwd), ICE_PWD_LEN);
  for (size_t i = 0; i < ICE_PWD_LEN; i++) {
    char c = a.local_pwd[i];
    CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '+' || c == '/');
  }
  CHECK(strcmp(a.local_pwd, b.local_pwd) != 0);
  CHECK(strcmp(a.local_ufrag, b.local_ufrag) != 0);
  CHECK(a.created_ms == 77 && !a.has_selected && !a.nominated && a.n_valid == 0);
  CHECK(a.remote_ufrag[0] == '\0');
  ice_agent_wipe(&b);
  CHECK(b.local_pwd[0] == '\0' && b.local_ufrag[0] == '\0');
}

static void test_success_response(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 54321);
  uint8_t buf[256], txid[12];
  size_t n = good_check(buf, sizeof buf, false, txid);
  stun_msg r;
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0 + 5, &r), ICE_SELECTED);
  CHECK_EQ_INT(r.cls, STUN_CLASS_SUCCESS);
  CHECK(memcmp(r.txid, txid, 12) == 0);
  CHECK(r.has_xor_mapped && sockaddr_equal(SA(r.xor_mapped), SA(from)));
  CHECK(ice_agent_is_valid_addr(&a, SA(from)));
  CHECK_EQ_INT(a.n_valid, 1);
  CHECK(selected_is(&a, SA(from)) && !a.nominated);
  CHECK(a.last_consent_ms == T0 + 5);
  /* The same check again (a retransmission) is answered, nothing changes. */
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0 + 6, &r), ICE_RESPONDED);
  CHECK_EQ_INT(a.n_valid, 1);
  CHECK(a.last_consent_ms == T0 + 6);
}

static void test_wrong_ufrag(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 1);
  static const char *bad[] = {"Xocal+/x:" REMOTE, LOCAL ":rEm1", LOCAL ":" REMOTE "x", LOCAL ":rEm",
                       LOCAL REMOTE,       LOCAL,         ":" REMOTE,           LOCAL "x:" REMOTE,
                       "L0cal+/:" REMOTE,  "",            REMOTE ":" LOCAL,     LOCAL ":"};
  uint8_t buf[1024], txid[12];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    check_opts o = {bad[i], PWD, true, true, false};
    size_t n = check_with(buf, sizeof buf, &o, txid);
    CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  }
  check_opts none = {NULL, PWD, true, true, false};
  size_t n = check_with(buf, sizeof buf, &none, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  CHECK_EQ_INT(a.n_valid, 0);
  CHECK(!a.has_selected);
  /* Remote ufrag unknown: only the local part is checked. */
  ice_agent_set_remote_ufrag(&a, NULL);
  check_opts any = {LOCAL ":whatever", PWD, false, true, false};
  n = check_with(buf, sizeof buf, &any, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_SELECTED);
  check_opts wrong_local = {"nope:" REMOTE, PWD, false, true, false};
  n = check_with(buf, sizeof buf, &wrong_local, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  /* An invalid remote ufrag refuses everything until a valid one is set. */
  char longu[ICE_MAX_REMOTE_UFRAG + 2];
  memset(longu, 'a', sizeof longu - 1);
  longu[sizeof longu - 1] = '\0';
  ice_agent_set_remote_ufrag(&a, longu);
  CHECK(a.remote_ufrag_invalid);
  n = check_with(buf, sizeof buf, &any, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  ice_agent_set_remote_ufrag(&a, "bad ufrag");
  CHECK(a.remote_ufrag_invalid);
  longu[ICE_MAX_REMOTE_UFRAG] = '\0'; /* exactly 256: fine */
  ice_agent_set_remote_ufrag(&a, longu);
  CHECK(!a.remote_ufrag_invalid);
  char uname[300];
  snprintf(uname, sizeof uname, "%s:%s", LOCAL, longu);
  check_opts maxlen = {uname, PWD, false, true, false};
  n = check_with(buf, sizeof buf, &maxlen, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_RESPONDED);
}

static void test_wrong_password(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 2);
  const char *bad[] = {"Pa55word+/abcdefghijklmN", "Pa55word+/abcdefghijklm",
                       "Pa55word+/abcdefghijklmno", "x", NULL};
  uint8_t buf[256], txid[12];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    check_opts o = {LOCAL ":" REMOTE, bad[i], true, true, false};
    size_t n = check_with(buf, sizeof buf, &o, txid);
    CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  }
  CHECK_EQ_INT(a.n_valid, 0);
  CHECK(!a.has_selected && !a.nominated);
}

static void test_missing_fingerprint(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 3);
  uint8_t buf[256], txid[12];
  check_opts o = {LOCAL ":" REMOTE, PWD, true, true, true};
  size_t n = check_with(buf, sizeof buf, &o, txid);
  stun_msg m; /* the message itself is fine and authentic ... */
  CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(stun_check_integrity(buf, n, &m, (const uint8_t *)PWD, strlen(PWD)), STUN_OK);
  /* ... but ICE requires FINGERPRINT. */
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  /* Wrong FINGERPRINT. */
  n = good_check(buf, sizeof buf, true, txid);
  buf[n - 1] ^= 1;
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  CHECK_EQ_INT(a.n_valid, 0);
}

static void test_use_candidate_selection(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in A = v4("192.0.2.1", 1000), B = v4("198.51.100.2", 2000);
  /* Checks without nomination: the first validated address is used. */
  CHECK_EQ_INT(send_check(&a, SA(A), false, T0 + 1), ICE_SELECTED);
  CHECK(selected_is(&a, SA(A)) && !a.nominated);
  CHECK_EQ_INT(send_check(&a, SA(B), false, T0 + 2), ICE_RESPONDED);
  CHECK(selected_is(&a, SA(A)) && ice_agent_is_valid_addr(&a, SA(B)));
  /* Nomination of B moves the selection. */
  CHECK_EQ_INT(send_check(&a, SA(B), true, T0 + 3), ICE_SELECTED);
  CHECK(selected_is(&a, SA(B)) && a.nominated);
  CHECK(a.last_consent_ms == T0 + 3);
  /* Repeated nomination of the same address: no change. */
  CHECK_EQ_INT(send_check(&a, SA(B), true, T0 + 4), ICE_RESPONDED);
  /* A plain check from A after nomination changes nothing. */
  CHECK_EQ_INT(send_check(&a, SA(A), false, T0 + 5), ICE_RESPONDED);
  CHECK(selected_is(&a, SA(B)));
  CHECK(a.last_consent_ms == T0 + 4); /* A is not the selected address */
  /* Re-selection from a new address (network change). */
  struct sockaddr_in C = v4("203.0.113.3", 3000);
  CHECK_EQ_INT(send_check(&a, SA(C), true, T0 + 6), ICE_SELECTED);
  CHECK(selected_is(&a, SA(C)) && a.nominated);
  CHECK(a.last_consent_ms == T0 + 6);
  CHECK(ice_agent_is_valid_addr(&a, SA(A)) && ice_agent_is_valid_addr(&a, SA(B)));
  /* And back to an older valid one. */
  CHECK_EQ_INT(send_check(&a, SA(A), true, T0 + 7), ICE_SELECTED);
  CHECK(selected_is(&a, SA(A)));
}

static void test_nomination_of_first_selected(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in A = v4("192.0.2.1", 1000);
  /* Aggressive nomination: first check already carries USE-CANDIDATE. */
  CHECK_EQ_INT(send_check(&a, SA(A), true, T0), ICE_SELECTED);
  CHECK(selected_is(&a, SA(A)) && a.nominated);
  /* Regular nomination: plain check first, nomination later on the same
   * address is a change of state (nominated) though not of address. */
  agent(&a);
  CHECK_EQ_INT(send_check(&a, SA(A), false, T0), ICE_SELECTED);
  CHECK(!a.nominated);
  CHECK_EQ_INT(send_check(&a, SA(A), true, T0), ICE_SELECTED);
  CHECK(a.nominated && selected_is(&a, SA(A)));
}

static void test_role_conflict(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 4);
  uint8_t buf[256], txid[12];
  check_opts o = {LOCAL ":" REMOTE, PWD, true, false /* ICE-CONTROLLED */, false};
  size_t n = check_with(buf, sizeof buf, &o, txid);
  stun_msg r;
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, &r), ICE_RESPONDED);
  CHECK_EQ_INT(r.cls, STUN_CLASS_ERROR);
  CHECK_EQ_INT(r.error_code, 487);
  CHECK(!r.has_xor_mapped);
  CHECK_EQ_INT(a.n_valid, 0);
  CHECK(!a.has_selected && !a.nominated);
  /* The RFC 5769 sample request (ICE-CONTROLLED) is authentic and gets 487. */
  static const uint8_t rfc_request[] = {
      0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
      0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
      0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
      0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
      0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
      0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
      0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
      0x7a, 0x3b, 0xcf};
  ice_agent v;
  CHECK_EQ_INT(ice_agent_init(&v, T0), 0);
  memset(v.local_ufrag, 0, sizeof v.local_ufrag);
  memset(v.local_pwd, 0, sizeof v.local_pwd);
  memcpy(v.local_ufrag, "evtj", 4);
  memcpy(v.local_pwd, "VOkJxbRl1RmTxUk/WvJxBt", 22);
  ice_agent_set_remote_ufrag(&v, "h6vY");
  CHECK_EQ_INT(feed(&v, rfc_request, sizeof rfc_request, SA(from), T0, &r), ICE_RESPONDED);
  CHECK_EQ_INT(r.error_code, 487);
  CHECK_EQ_INT(v.n_valid, 0);
}

static void test_unknown_required_attribute(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 5);
  /* A check with an extra comprehension-required attribute we don't know. */
  uint8_t buf[256], txid[12];
  check_opts o = {LOCAL ":" REMOTE, NULL, true, true, false};
  size_t n = check_with(buf, sizeof buf, &o, txid) - 8; /* drop FINGERPRINT */
  buf[n] = 0x00, buf[n + 1] = 0x33, buf[n + 2] = 0, buf[n + 3] = 4;
  memset(buf + n + 4, 0, 4);
  n = stun_finish(buf, n + 8, sizeof buf, (const uint8_t *)PWD, strlen(PWD));
  CHECK(n > 0);
  stun_msg r;
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, &r), ICE_RESPONDED);
  CHECK_EQ_INT(r.cls, STUN_CLASS_ERROR);
  CHECK_EQ_INT(r.error_code, 420);
  CHECK_EQ_INT(a.n_valid, 0);
  /* Comprehension-optional unknowns (Chrome's GOOG-NETWORK-INFO and the
   * like) are fine. */
  n = check_with(buf, sizeof buf, &o, txid) - 8;
  buf[n] = 0xC0, buf[n + 1] = 0x57, buf[n + 2] = 0, buf[n + 3] = 4;
  memset(buf + n + 4, 0, 4);
  n = stun_finish(buf, n + 8, sizeof buf, (const uint8_t *)PWD, strlen(PWD));
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, &r), ICE_SELECTED);
  CHECK_EQ_INT(r.cls, STUN_CLASS_SUCCESS);
}

static void test_ignores_non_requests(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 6);
  const uint8_t *key = (const uint8_t *)PWD;
  uint8_t buf[256], txid[12] = {9};
  /* Authentic success and error responses: a lite agent sends no requests. */
  size_t n = stun_build_binding_success(buf, sizeof buf, txid, SA(from), key, strlen(PWD));
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  n = stun_build_error(buf, sizeof buf, STUN_METHOD_BINDING, txid, 401, NULL, key, strlen(PWD));
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  /* An authentic request of another method (0x003, TURN Allocate). */
  n = good_check(buf, sizeof buf, true, txid);
  buf[1] = 0x03;
  n = stun_finish(buf, n - 32, sizeof buf, key, strlen(PWD));
  stun_msg m;
  CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(m.method, 3);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0, NULL), ICE_IGNORED);
  /* Garbage, empty, RTP-looking, truncated. */
  uint8_t junk[64];
  memset(junk, 0x80, sizeof junk);
  CHECK_EQ_INT(feed(&a, junk, sizeof junk, SA(from), T0, NULL), ICE_IGNORED);
  CHECK_EQ_INT(feed(&a, junk, 0, SA(from), T0, NULL), ICE_IGNORED);
  n = good_check(buf, sizeof buf, true, txid);
  for (size_t k = 0; k < n; k++) CHECK_EQ_INT(feed(&a, buf, k, SA(from), T0, NULL), ICE_IGNORED);
  CHECK_EQ_INT(a.n_valid, 0);
  CHECK(!a.has_selected);
  /* Unsupported source address family. */
  struct sockaddr_storage un;
  memset(&un, 0, sizeof un);
  un.ss_family = AF_UNIX;
  CHECK_EQ_INT(feed(&a, buf, n, SA(un), T0, NULL), ICE_IGNORED);
  CHECK_EQ_INT(a.n_valid, 0);
}

/* Binding indications (RFC 7675 keepalives) get no answer and refresh nothing. */
static void test_indication_refreshes_nothing(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in from = v4("192.0.2.10", 7);
  CHECK_EQ_INT(send_check(&a, SA(from), true, T0), ICE_SELECTED);
  uint8_t buf[256], txid[12];
  size_t n = good_check(buf, sizeof buf, false, txid);
  buf[1] = 0x11; /* Binding indication */
  n = stun_finish(buf, n - 32, sizeof buf, (const uint8_t *)PWD, strlen(PWD));
  stun_msg m;
  CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(m.cls, STUN_CLASS_INDICATION);
  CHECK_EQ_INT(feed(&a, buf, n, SA(from), T0 + 20000, NULL), ICE_IGNORED);
  CHECK(a.last_consent_ms == T0);
  CHECK(ice_agent_consent_expired(&a, T0 + ICE_CONSENT_TIMEOUT_MS));
}

/* The connect deadline counts from the peer's description, not from the
 * agent's creation: a starved browser took 6-12 s to answer a subscribe
 * offer and was given up before it could check (CI run of 4cf98ef). It is
 * still bounded: 30 s from creation whatever the peer does. */
static void test_connect_deadline(void) {
  ice_agent a;
  agent(&a); /* created at T0, no description yet */
  CHECK(ice_agent_connect_deadline(&a) == T0 + ICE_DESCRIBE_TIMEOUT_MS);
  CHECK(!ice_agent_consent_expired(&a, T0 + ICE_CONNECT_TIMEOUT_MS)); /* the old rule gave up here */
  CHECK(!ice_agent_consent_expired(&a, T0 + ICE_DESCRIBE_TIMEOUT_MS - 1));
  CHECK(ice_agent_consent_expired(&a, T0 + ICE_DESCRIBE_TIMEOUT_MS)); /* never answered */
  /* Answered after 7 s: 10 s from then to pass a check. */
  agent(&a);
  ice_agent_described(&a, T0 + 7000);
  CHECK(ice_agent_connect_deadline(&a) == T0 + 7000 + ICE_CONNECT_TIMEOUT_MS);
  CHECK(!ice_agent_consent_expired(&a, T0 + 7000 + ICE_CONNECT_TIMEOUT_MS - 1));
  CHECK(ice_agent_consent_expired(&a, T0 + 7000 + ICE_CONNECT_TIMEOUT_MS));
  /* Answering again does not push the deadline back. */
  ice_agent_described(&a, T0 + 9000);
  CHECK(ice_agent_connect_deadline(&a) == T0 + 7000 + ICE_CONNECT_TIMEOUT_MS);
  /* Answered late: still given up 30 s after creation. */
  agent(&a);
  ice_agent_described(&a, T0 + 24000);
  CHECK(ice_agent_connect_deadline(&a) == T0 + ICE_DESCRIBE_TIMEOUT_MS);
  /* A description stamped before the creation counts from the creation. */
  agent(&a);
  ice_agent_described(&a, T0 - 5000);
  CHECK(ice_agent_connect_deadline(&a) == T0 + ICE_CONNECT_TIMEOUT_MS);
  /* A clock near its end saturates rather than wrapping to "long ago". */
  ice_agent_wipe(&a);
  CHECK_EQ_INT(ice_agent_init(&a, UINT64_MAX - 5), 0);
  CHECK(ice_agent_connect_deadline(&a) == UINT64_MAX);
  CHECK(!ice_agent_consent_expired(&a, UINT64_MAX - 1));
  /* A check that passes in time: consent rules from then on. */
  agent(&a);
  ice_agent_described(&a, T0 + 7000);
  struct sockaddr_in S = v4("192.0.2.1", 1);
  CHECK_EQ_INT(send_check(&a, SA(S), true, T0 + 16000), ICE_SELECTED);
  CHECK(!ice_agent_consent_expired(&a, T0 + 16000 + ICE_CONSENT_TIMEOUT_MS - 1));
  CHECK(ice_agent_consent_expired(&a, T0 + 16000 + ICE_CONSENT_TIMEOUT_MS));
  ice_agent_wipe(&a);
}

static void test_consent_expiry_boundaries(void) {
  ice_agent a;
  agent(&a); /* created at T0 */
  ice_agent_described(&a, T0);
  /* Never selected: given up 10 s after the peer's description (a client
   * that never starts ICE must not hold a transport long), not a
   * millisecond before. */
  CHECK(!ice_agent_consent_expired(&a, T0));
  CHECK(!ice_agent_consent_expired(&a, T0 + ICE_CONNECT_TIMEOUT_MS - 1));
  CHECK(ice_agent_consent_expired(&a, T0 + ICE_CONNECT_TIMEOUT_MS));
  CHECK(!ice_agent_consent_expired(&a, T0 - 1)); /* clock behind creation */
  /* Selected at T0 + 9 s: consent runs from there, 30 s. */
  struct sockaddr_in S = v4("192.0.2.1", 1), O = v4("192.0.2.2", 2);
  uint64_t t = T0 + 9000;
  CHECK_EQ_INT(send_check(&a, SA(S), true, t), ICE_SELECTED);
  CHECK(!ice_agent_consent_expired(&a, t + ICE_CONSENT_TIMEOUT_MS - 1));
  CHECK(ice_agent_consent_expired(&a, t + ICE_CONSENT_TIMEOUT_MS));
  /* A check from another (valid, not selected) address does not refresh. */
  CHECK_EQ_INT(send_check(&a, SA(O), false, t + 29000), ICE_RESPONDED);
  CHECK(ice_agent_consent_expired(&a, t + ICE_CONSENT_TIMEOUT_MS));
  /* A check from the selected address does. */
  CHECK_EQ_INT(send_check(&a, SA(S), false, t + 29999), ICE_RESPONDED);
  CHECK(!ice_agent_consent_expired(&a, t + 29999 + ICE_CONSENT_TIMEOUT_MS - 1));
  CHECK(ice_agent_consent_expired(&a, t + 29999 + ICE_CONSENT_TIMEOUT_MS));
  /* Unauthenticated checks from the selected address do not refresh. */
  uint8_t buf[256], txid[12];
  check_opts o = {LOCAL ":" REMOTE, "not-the-password-at-all!", false, true, false};
  size_t n = check_with(buf, sizeof buf, &o, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(S), t + 50000, NULL), ICE_IGNORED);
  CHECK(a.last_consent_ms == t + 29999);
  /* Role-conflict answers are not consent either. */
  check_opts rc = {LOCAL ":" REMOTE, PWD, false, false, false};
  n = check_with(buf, sizeof buf, &rc, txid);
  CHECK_EQ_INT(feed(&a, buf, n, SA(S), t + 50000, NULL), ICE_RESPONDED);
  CHECK(a.last_consent_ms == t + 29999);
  /* Clock going backwards never expires consent. */
  CHECK(!ice_agent_consent_expired(&a, 0));
  /* Selected just before the creation deadline: consent counts from selection. */
  agent(&a);
  CHECK_EQ_INT(send_check(&a, SA(S), false, T0 + ICE_CONSENT_TIMEOUT_MS - 1), ICE_SELECTED);
  CHECK(!ice_agent_consent_expired(&a, T0 + ICE_CONSENT_TIMEOUT_MS));
  CHECK(!ice_agent_consent_expired(&a, T0 + 2 * ICE_CONSENT_TIMEOUT_MS - 2));
  CHECK(ice_agent_consent_expired(&a, T0 + 2 * ICE_CONSENT_TIMEOUT_MS - 1));
}

static void test_valid_list_bounded(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in addr[7];
  char ip[32];
  for (int i = 0; i < 7; i++) {
    snprintf(ip, sizeof ip, "10.0.0.%d", i + 1);
    addr[i] = v4(ip, (uint16_t)(5000 + i));
  }
  /* addr[0] is validated first and so selected (not nominated). */
  for (int i = 0; i < 6; i++)
    CHECK_EQ_INT(send_check(&a, SA(addr[i]), false, T0 + (uint64_t)i),
                 i == 0 ? ICE_SELECTED : ICE_RESPONDED);
  CHECK_EQ_INT(a.n_valid, ICE_MAX_VALID);
  /* Most recent first; the oldest non-selected addresses made room. */
  CHECK(sockaddr_equal(SA(a.valid[0]), SA(addr[5])));
  CHECK(sockaddr_equal(SA(a.valid[1]), SA(addr[4])));
  CHECK(sockaddr_equal(SA(a.valid[2]), SA(addr[3])));
  CHECK(sockaddr_equal(SA(a.valid[3]), SA(addr[0])));
  CHECK(!ice_agent_is_valid_addr(&a, SA(addr[1])));
  CHECK(!ice_agent_is_valid_addr(&a, SA(addr[2])));
  CHECK(ice_agent_is_valid_addr(&a, SA(addr[0])));
  CHECK(selected_is(&a, SA(addr[0])));
  /* A repeat moves an address to the front without growing the list. */
  CHECK_EQ_INT(send_check(&a, SA(addr[3]), false, T0 + 10), ICE_RESPONDED);
  CHECK_EQ_INT(a.n_valid, ICE_MAX_VALID);
  CHECK(sockaddr_equal(SA(a.valid[0]), SA(addr[3])));
  CHECK(sockaddr_equal(SA(a.valid[1]), SA(addr[5])));
  CHECK(sockaddr_equal(SA(a.valid[2]), SA(addr[4])));
  CHECK(sockaddr_equal(SA(a.valid[3]), SA(addr[0])));
  /* Nominating a new address: it joins at the front, the oldest
   * non-selected (addr[4]) leaves; the old selection may age out later. */
  CHECK_EQ_INT(send_check(&a, SA(addr[6]), true, T0 + 11), ICE_SELECTED);
  CHECK_EQ_INT(a.n_valid, ICE_MAX_VALID);
  CHECK(sockaddr_equal(SA(a.valid[0]), SA(addr[6])));
  CHECK(!ice_agent_is_valid_addr(&a, SA(addr[4])));
  CHECK(ice_agent_is_valid_addr(&a, SA(addr[0])));
  CHECK_EQ_INT(send_check(&a, SA(addr[1]), false, T0 + 12), ICE_RESPONDED);
  CHECK(!ice_agent_is_valid_addr(&a, SA(addr[0])));
  CHECK(ice_agent_is_valid_addr(&a, SA(addr[6])));
  /* Same IP, other port: a different address. */
  struct sockaddr_in other_port = addr[6];
  other_port.sin_port = htons(1);
  CHECK(!ice_agent_is_valid_addr(&a, SA(other_port)));
  /* Many more: never more than 4, the selected one always kept. */
  for (int i = 0; i < 100; i++) {
    struct sockaddr_in x = v4("172.16.0.1", (uint16_t)(10000 + i));
    send_check(&a, SA(x), false, T0 + 100 + (uint64_t)i);
    CHECK(a.n_valid <= ICE_MAX_VALID);
    CHECK(ice_agent_is_valid_addr(&a, SA(addr[6])));
  }
}

static void test_ipv6(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in6 A = v6("2001:db8::1", 40000), B = v6("2001:db8::2", 40000);
  struct sockaddr_in6 mapped = v6("::ffff:192.0.2.1", 40000);
  struct sockaddr_in four = v4("192.0.2.1", 40000);
  uint8_t buf[256], txid[12];
  size_t n = good_check(buf, sizeof buf, false, txid);
  stun_msg r;
  CHECK_EQ_INT(feed(&a, buf, n, SA(A), T0, &r), ICE_SELECTED);
  CHECK(r.has_xor_mapped && r.xor_mapped.ss_family == AF_INET6);
  CHECK(sockaddr_equal(SA(r.xor_mapped), SA(A)));
  CHECK(ice_agent_is_valid_addr(&a, SA(A)) && !ice_agent_is_valid_addr(&a, SA(B)));
  CHECK_EQ_INT(send_check(&a, SA(B), true, T0 + 1), ICE_SELECTED);
  CHECK(selected_is(&a, SA(B)) && a.nominated);
  /* Mixed families in the list. */
  CHECK_EQ_INT(send_check(&a, SA(four), false, T0 + 2), ICE_RESPONDED);
  CHECK(ice_agent_is_valid_addr(&a, SA(four)));
  CHECK(!ice_agent_is_valid_addr(&a, SA(mapped)));
  CHECK_EQ_INT(a.n_valid, 3);
}

static void test_sockaddr_equal(void) {
  struct sockaddr_in a = v4("10.1.2.3", 80), b = v4("10.1.2.3", 80), c = v4("10.1.2.4", 80),
                     d = v4("10.1.2.3", 81);
  struct sockaddr_in6 e = v6("fe80::1", 80), f = v6("fe80::1", 80), g = v6("fe80::2", 80),
                      h = v6("::ffff:10.1.2.3", 80);
  CHECK_EQ_INT(sockaddr_equal(SA(a), SA(b)), 1);
  CHECK_EQ_INT(sockaddr_equal(SA(a), SA(c)), 0);
  CHECK_EQ_INT(sockaddr_equal(SA(a), SA(d)), 0);
  CHECK_EQ_INT(sockaddr_equal(SA(e), SA(f)), 1);
  f.sin6_flowinfo = 7; /* not compared */
  CHECK_EQ_INT(sockaddr_equal(SA(e), SA(f)), 1);
  CHECK_EQ_INT(sockaddr_equal(SA(e), SA(g)), 0);
  CHECK_EQ_INT(sockaddr_equal(SA(a), SA(h)), 0);
  CHECK_EQ_INT(sockaddr_equal(SA(h), SA(a)), 0);
  CHECK_EQ_INT(sockaddr_equal(NULL, SA(a)), 0);
  CHECK_EQ_INT(sockaddr_equal(SA(a), NULL), 0);
  struct sockaddr_storage u1, u2;
  memset(&u1, 0, sizeof u1);
  memset(&u2, 0, sizeof u2);
  u1.ss_family = u2.ss_family = AF_UNIX;
  CHECK_EQ_INT(sockaddr_equal(SA(u1), SA(u2)), 0);
}

static void test_username_local(void) {
  uint8_t buf[256], txid[12];
  stun_msg m;
  char out[16];
  check_opts o = {LOCAL ":" REMOTE, PWD, false, true, false};
  size_t n = check_with(buf, sizeof buf, &o, txid);
  CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_OK);
  CHECK_EQ_INT(ice_username_local(&m, out, sizeof out), 0);
  CHECK_EQ_STR(out, LOCAL);
  CHECK_EQ_INT(ice_username_local(&m, out, sizeof LOCAL), 0); /* exactly enough */
  CHECK_EQ_INT(ice_username_local(&m, out, sizeof LOCAL - 1), -1);
  CHECK_EQ_INT(ice_username_local(&m, out, 0), -1);
  CHECK_EQ_INT(ice_username_local(&m, NULL, 16), -1);
  const char *bad[] = {"nocolon", ":remote", "bad ch:x", "a\x01:b", NULL};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    check_opts b = {bad[i], PWD, false, true, false};
    n = check_with(buf, sizeof buf, &b, txid);
    CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_OK);
    CHECK_EQ_INT(ice_username_local(&m, out, sizeof out), -1);
  }
  /* A NUL inside USERNAME cannot smuggle a shorter local part. */
  n = good_check(buf, sizeof buf, false, txid);
  CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_OK);
  m.username = (const uint8_t *)"ab\0c:d";
  m.username_len = 6;
  CHECK_EQ_INT(ice_username_local(&m, out, sizeof out), -1);
  m.username = (const uint8_t *)"a:b:c";
  m.username_len = 5;
  CHECK_EQ_INT(ice_username_local(&m, out, sizeof out), 0);
  CHECK_EQ_STR(out, "a");
  CHECK_EQ_INT(ice_username_local(NULL, out, sizeof out), -1);
}

static void test_small_output_buffer(void) {
  ice_agent a;
  agent(&a);
  struct sockaddr_in6 from = v6("2001:db8::9", 9);
  uint8_t buf[256], txid[12], out[128];
  size_t n = good_check(buf, sizeof buf, true, txid), out_len = 99;
  /* A v6 success response with integrity and fingerprint is 76 bytes. */
  CHECK_EQ_INT(ice_agent_handle(&a, buf, n, SA(from), T0, out, 75, &out_len), ICE_IGNORED);
  CHECK_EQ_INT(out_len, 0);
  CHECK(!a.has_selected && a.n_valid == 0);
  CHECK_EQ_INT(ice_agent_handle(&a, buf, n, SA(from), T0, out, 76, &out_len), ICE_SELECTED);
  CHECK_EQ_INT(out_len, 76);
  CHECK_EQ_INT(ice_agent_handle(&a, buf, n, NULL, T0, out, 76, &out_len), ICE_IGNORED);
  CHECK_EQ_INT(ice_agent_handle(&a, NULL, 0, SA(from), T0, out, 76, &out_len), ICE_IGNORED);
}

TEST_SUITE(ice,
           {"init_credentials", test_init_credentials},
           {"success_response", test_success_response},
           {"wrong_ufrag", test_wrong_ufrag},
           {"wrong_password", test_wrong_password},
           {"missing_fingerprint", test_missing_fingerprint},
           {"use_candidate_selection", test_use_candidate_selection},
           {"nomination_of_first_selected", test_nomination_of_first_selected},
           {"role_conflict", test_role_conflict},
           {"unknown_required_attribute", test_unknown_required_attribute},
           {"ignores_non_requests", test_ignores_non_requests},
           {"indication_refreshes_nothing", test_indication_refreshes_nothing},
           {"consent_expiry_boundaries", test_consent_expiry_boundaries},
           {"connect_deadline", test_connect_deadline},
           {"valid_list_bounded", test_valid_list_bounded},
           {"ipv6", test_ipv6},
           {"sockaddr_equal", test_sockaddr_equal},
           {"username_local", test_username_local},
           {"small_output_buffer", test_small_output_buffer});
