/* libFuzzer target: ICE-TCP's RFC 4571 framing (net/tcp.h) on arbitrary
 * bytes cut into arbitrary reads. The first byte of the input seeds the read
 * sizes; the rest is the stream. The reader must hand over exactly the frames
 * an independent walk of the stream finds, in order and byte for byte, and
 * report a framing lie exactly where that walk meets a length of 0 or over
 * TCP_FRAME_MAX. Each frame then goes to an ICE-lite agent from a TCP
 * connection's name (the path the worker takes). Must never crash or read
 * out of bounds. */
#include <stdlib.h>
#include <string.h>

#include "ice/ice.h"
#include "net/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  const uint8_t *stream;
  size_t stream_len;
  size_t expect_off; /* where the next frame should start in the stream */
  int frames;
  ice_agent agent;
  tcp_path from;
} check;

static int on_frame(void *ctx, const uint8_t *p, size_t n) {
  check *c = ctx;
  /* The independent walk: the frame at expect_off. */
  if (c->expect_off + 2 > c->stream_len) abort();
  size_t want = ((size_t)c->stream[c->expect_off] << 8) | c->stream[c->expect_off + 1];
  if (want != n || want == 0 || want > TCP_FRAME_MAX || c->expect_off + 2 + want > c->stream_len) abort();
  if (memcmp(p, c->stream + c->expect_off + 2, n) != 0) abort();
  c->expect_off += 2 + n;
  c->frames++;
  uint8_t out[1500];
  size_t out_len;
  ice_agent_handle(&c->agent, p, n, (const struct sockaddr *)&c->from, 1000, out, sizeof out, &out_len);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static check c;
  static tcp_reader r;
  memset(&c, 0, sizeof c);
  r.len = 0;
  c.stream = data + 1;
  c.stream_len = size - 1;
  memcpy(c.agent.local_ufrag, "fuzzLOCL", 9);
  memcpy(c.agent.local_pwd, "fuzzPASSWORD0123456789+/", 25);
  c.agent.created_ms = 1000;
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(5000), .sin_addr = {htonl(0x7f000001)}};
  tcp_path_make(&c.from, 3, 7, (const struct sockaddr *)&peer);
  unsigned seed = data[0];
  size_t off = 0;
  int rc = 0;
  while (off < c.stream_len) {
    size_t room;
    uint8_t *space = tcp_reader_space(&r, &room);
    if (room == 0) abort();
    seed = seed * 1103515245u + 12345u;
    size_t n = 1 + (seed >> 16) % 3000; /* reads of 1 to 3000 bytes */
    if (n > room) n = room;
    if (n > c.stream_len - off) n = c.stream_len - off;
    memcpy(space, c.stream + off, n);
    off += n;
    rc = tcp_reader_commit(&r, n, on_frame, &c);
    if (rc != 0) break;
  }
  /* A lie is reported exactly where the walk finds one; otherwise the reader
   * keeps exactly the unfinished tail. */
  size_t e = c.expect_off;
  bool lie_here = e + 2 <= c.stream_len && (((size_t)c.stream[e] << 8 | c.stream[e + 1]) == 0 ||
                                            ((size_t)c.stream[e] << 8 | c.stream[e + 1]) > TCP_FRAME_MAX);
  if (rc < 0 && !lie_here) abort();
  if (rc == 0 && (lie_here || r.len != c.stream_len - e)) abort();
  return 0;
}
