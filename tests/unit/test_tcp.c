/* ICE-TCP's socket-free parts (src/net/tcp.c) and how the ICE agent treats a
 * connection's name: RFC 4571 frames cut from any split of the stream, lies
 * (length 0, over 1500) reported, names equal only for the same index and
 * generation, XOR-MAPPED-ADDRESS from the remote address inside the name,
 * and a forgotten name no longer valid or selected. */
#include <arpa/inet.h>
#include <string.h>

#include "ice/ice.h"
#include "ice/stun.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "test.h"

typedef struct {
  int n;
  size_t len[8];
  uint8_t first[8];
  int stop_after; /* 0: never */
} frames;

static int collect(void *ctx, const uint8_t *p, size_t n) {
  frames *f = ctx;
  if (f->n < 8) {
    f->len[f->n] = n;
    f->first[f->n] = p[0];
  }
  f->n++;
  return f->stop_after && f->n >= f->stop_after;
}

static int empty_reader(void *ctx, const uint8_t *p, size_t n) {
  ((tcp_reader *)ctx)->len = 0;
  return 1;
}

static void test_frames_any_split(void) {
  uint8_t stream[2 + 3 + 2 + 1500 + 2 + 1];
  size_t o = 0;
  stream[o++] = 0, stream[o++] = 3, memcpy(stream + o, "abc", 3), o += 3;
  stream[o++] = 0x05, stream[o++] = 0xdc; /* 1500: the largest accepted */
  memset(stream + o, 'x', 1500), o += 1500;
  stream[o++] = 0, stream[o++] = 1, stream[o++] = 'z';
  for (size_t split = 1; split < sizeof stream; split += 97) { /* two reads, cut anywhere */
    tcp_reader r = {.len = 0};
    frames f = {0};
    size_t room;
    uint8_t *space = tcp_reader_space(&r, &room);
    CHECK(room >= split);
    memcpy(space, stream, split);
    CHECK_EQ_INT(tcp_reader_commit(&r, split, collect, &f), 0);
    space = tcp_reader_space(&r, &room);
    CHECK(room >= sizeof stream - split);
    memcpy(space, stream + split, sizeof stream - split);
    CHECK_EQ_INT(tcp_reader_commit(&r, sizeof stream - split, collect, &f), 0);
    CHECK_EQ_INT(f.n, 3);
    CHECK(f.len[0] == 3 && f.first[0] == 'a' && f.len[1] == 1500 && f.first[1] == 'x' && f.len[2] == 1 && f.first[2] == 'z');
    CHECK_EQ_INT(r.len, 0);
  }
}

static void test_lies_and_stop(void) {
  static const uint8_t zero[] = {0, 2, 'o', 'k', 0, 0}, over[] = {0x05, 0xdd};
  tcp_reader r = {.len = 0};
  frames f = {0};
  size_t room;
  memcpy(tcp_reader_space(&r, &room), zero, sizeof zero);
  CHECK_EQ_INT(tcp_reader_commit(&r, sizeof zero, collect, &f), -1);
  CHECK_EQ_INT(f.n, 1); /* the honest frame before the lie went through */
  r.len = 0;
  memcpy(tcp_reader_space(&r, &room), over, sizeof over);
  CHECK_EQ_INT(tcp_reader_commit(&r, sizeof over, collect, &f), -1);
  /* More than the space offered is refused, never written past. */
  r.len = 0;
  tcp_reader_space(&r, &room);
  CHECK_EQ_INT(tcp_reader_commit(&r, room + 1, collect, &f), -1);
  /* A callback that stops: the rest is not delivered. */
  static const uint8_t two[] = {0, 1, 'a', 0, 1, 'b'};
  frames g = {.stop_after = 1};
  r.len = 0;
  memcpy(tcp_reader_space(&r, &room), two, sizeof two);
  CHECK_EQ_INT(tcp_reader_commit(&r, sizeof two, collect, &g), 1);
  CHECK_EQ_INT(g.n, 1);
  /* ... and the next commit, of no new bytes, hands over the rest. */
  g.stop_after = 0;
  CHECK_EQ_INT(tcp_reader_commit(&r, 0, collect, &g), 0);
  CHECK_EQ_INT(g.n, 2);
  CHECK(g.first[1] == 'b');
  CHECK_EQ_INT(r.len, 0);
  /* A callback that empties the reader (its connection closed): commit stops, touching nothing. */
  r.len = 0;
  memcpy(tcp_reader_space(&r, &room), two, sizeof two);
  CHECK_EQ_INT(tcp_reader_commit(&r, sizeof two, empty_reader, &r), 1);
  CHECK_EQ_INT(r.len, 0);
  uint8_t h[2];
  tcp_frame_header(h, 1500);
  CHECK(h[0] == 0x05 && h[1] == 0xdc);
}

static void test_names(void) {
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(5000)};
  peer.sin_addr.s_addr = htonl(0x7f000001);
  tcp_path a, b, c, d;
  tcp_path_make(&a, 3, 7, (struct sockaddr *)&peer);
  tcp_path_make(&b, 3, 7, (struct sockaddr *)&peer);
  tcp_path_make(&c, 3, 8, (struct sockaddr *)&peer); /* the same slot, the next connection */
  tcp_path_make(&d, 4, 7, (struct sockaddr *)&peer);
  CHECK(is_tcp_path((struct sockaddr *)&a));
  CHECK(sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
  CHECK(!sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&c));
  CHECK(!sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&d));
  /* Never equal to the UDP address it came from. */
  CHECK(!sockaddr_equal((struct sockaddr *)&a, (struct sockaddr *)&peer));
  CHECK_EQ_INT(sockaddr_len((struct sockaddr *)&a), sizeof(tcp_path));
  const struct sockaddr_in *inner = (const struct sockaddr_in *)tcp_path_peer((struct sockaddr *)&a);
  CHECK(inner->sin_family == AF_INET && inner->sin_port == peer.sin_port);
  CHECK(tcp_path_peer((struct sockaddr *)&peer) == (struct sockaddr *)&peer);
}

/* The agent answers a check from a connection's name with the remote
 * address inside it, validates and selects the name, and forgets it. */
static void test_agent_over_tcp(void) {
  ice_agent ag;
  CHECK_EQ_INT(ice_agent_init(&ag, 1000), 0);
  ice_agent_set_remote_ufrag(&ag, "brwsr");
  ice_agent_described(&ag, 1000); /* else the connect deadline is the 30 s cap, and the check below tells nothing */
  char user[64];
  snprintf(user, sizeof user, "%s:brwsr", ag.local_ufrag);
  uint8_t txid[12] = {1, 2, 3}, req[512], out[512];
  size_t n = stun_build_binding_request(req, sizeof req, txid, user, (const uint8_t *)ag.local_pwd,
                                        strlen(ag.local_pwd), 1, false, true, 2);
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(5000)};
  peer.sin_addr.s_addr = htonl(0x7f000001);
  tcp_path name;
  tcp_path_make(&name, 9, 1, (struct sockaddr *)&peer);
  size_t out_len;
  CHECK_EQ_INT(ice_agent_handle(&ag, req, n, (struct sockaddr *)&name, 1000, out, sizeof out, &out_len), ICE_SELECTED);
  stun_msg m;
  CHECK_EQ_INT(stun_parse(out, out_len, &m), STUN_OK);
  const struct sockaddr_in *mapped = (const struct sockaddr_in *)&m.xor_mapped;
  CHECK(m.has_xor_mapped && mapped->sin_family == AF_INET && mapped->sin_port == peer.sin_port &&
        mapped->sin_addr.s_addr == peer.sin_addr.s_addr);
  CHECK(ice_agent_is_valid_addr(&ag, (struct sockaddr *)&name));
  CHECK(!ice_agent_is_valid_addr(&ag, (struct sockaddr *)&peer)); /* the UDP address is not the connection */
  CHECK(ag.has_selected && sockaddr_equal((struct sockaddr *)&ag.selected, (struct sockaddr *)&name));
  ice_agent_forget(&ag, (struct sockaddr *)&name);
  CHECK(!ice_agent_is_valid_addr(&ag, (struct sockaddr *)&name));
  CHECK_EQ_INT(ag.n_valid, 0);
  CHECK(!ag.has_selected);
  /* The browser has the rest of the consent period to check another address. */
  CHECK(!ice_agent_consent_expired(&ag, 1000 + ICE_CONNECT_TIMEOUT_MS + 1));
  CHECK(ice_agent_consent_expired(&ag, 1000 + ICE_CONSENT_TIMEOUT_MS));
  ice_agent_wipe(&ag);
}

TEST_SUITE(tcp, {"frames_any_split", test_frames_any_split}, {"lies_and_stop", test_lies_and_stop},
           {"names", test_names}, {"agent_over_tcp", test_agent_over_tcp});
