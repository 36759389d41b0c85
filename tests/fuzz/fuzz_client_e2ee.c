/* libFuzzer target: client/e2ee_call on arbitrary input, in a started call.
 * Each run makes two participants A and B that have exchanged keys (through
 * an in-memory relay), then plays the input as records [op][len][bytes] at
 * A: relay payloads from B, incoming Opus / VP8 frames of B, genuine frames
 * B encrypts, clock steps with ticks and relay delivery, roster events,
 * chat, A's own frames. Must never crash, leak or read or write out of
 * bounds; an unsigned frame must never reach on_frame as B's. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/e2ee_call.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QMAX 256

typedef struct {
  int to;
  char *payload;
  size_t len;
} qmsg;

static struct {
  uint64_t now;
  sc_e2ee *e[2];
  char id[2][SRE_ID_LEN + 1];
  qmsg q[QMAX];
  size_t qn;
  size_t frames;
} F;

static uint64_t clock_cb(void *ctx) {
  (void)ctx;
  return F.now;
}

static void push(int to, const char *payload, size_t len) {
  if (F.qn == QMAX) return;
  char *p = malloc(len + 1);
  if (!p) return;
  memcpy(p, payload, len);
  p[len] = '\0';
  F.q[F.qn++] = (qmsg){to, p, len};
}

static void cb_relays(void *ctx, const sc_e2ee_relay_msg *list, size_t n) {
  int self = (int)(intptr_t)ctx;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(list[i].to, F.id[1 - self]) == 0) {
      push(1 - self, list[i].payload, list[i].payload_len);
    }
  }
}

static void cb_broadcast(void *ctx, const char *payload, size_t len) {
  push(1 - (int)(intptr_t)ctx, payload, len);
}

static void cb_frame(void *ctx, const char *from, uint64_t stream, sre_codec codec,
                     const uint8_t *d, size_t len) {
  if (len > 0 && d[0] == 0xee) __builtin_trap(); /* no forged content is ever made here */
  F.frames++;
}

static void pump(void) {
  for (size_t i = 0; i < F.qn; i++) {
    qmsg m = F.q[i];
    sc_e2ee_relay(F.e[m.to], F.id[1 - m.to], m.payload, m.len);
    free(m.payload);
    /* deliveries may queue more: they land after i */
  }
  F.qn = 0;
}

static void setup(void) {
  memset(&F, 0, sizeof F);
  F.now = 1000;
  for (int i = 0; i < 2; i++) {
    sc_e2ee_callbacks cb = {clock_cb, cb_relays, cb_broadcast, cb_frame, NULL, NULL, NULL, NULL,
                            NULL};
    F.e[i] = sc_e2ee_new(&cb, (void *)(intptr_t)i);
    snprintf(F.id[i], sizeof F.id[i], "00000000-0000-4000-8000-00000000000%d", i + 1);
  }
  sc_e2ee_peer a = {F.id[0], 1, sc_e2ee_public_key_b64(F.e[0]), sc_e2ee_signing_key_b64(F.e[0])};
  sc_e2ee_peer b = {F.id[1], 2, sc_e2ee_public_key_b64(F.e[1]), sc_e2ee_signing_key_b64(F.e[1])};
  sc_e2ee_start(F.e[0], F.id[0], "A", "fuzz-session", 1, NULL, 0);
  sc_e2ee_start(F.e[1], F.id[1], "B", "fuzz-session", 2, &a, 1);
  sc_e2ee_joined(F.e[0], &b);
  pump();
  pump();
}

static void teardown(void) {
  for (size_t i = 0; i < F.qn; i++) free(F.q[i].payload);
  F.qn = 0;
  sc_e2ee_free(F.e[0]);
  sc_e2ee_free(F.e[1]);
}

/* B encrypts a genuine frame (first byte never 0xee) and A receives it. */
static void genuine(sre_codec codec, bool key, const uint8_t *d, size_t n) {
  uint8_t frame[1500], wire[1500 + SC_E2EE_OVERHEAD];
  if (n > sizeof frame) n = sizeof frame;
  memcpy(frame, d, n);
  if (n > 0 && frame[0] == 0xee) frame[0] = 0x78;
  size_t wl = 0;
  if (sc_e2ee_encrypt(F.e[1], codec, key, frame, n, wire, sizeof wire, &wl) == SRE_OK) {
    sc_e2ee_receive(F.e[0], F.id[1], codec == SRE_CODEC_VP8, codec, wire, wl);
  }
}

static void roster(const uint8_t *d, size_t n) {
  char buf[300];
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, d, n);
  buf[n] = '\0';
  /* id \0 public key \0 signing key, slot from the first byte */
  const char *id = buf, *pub = NULL, *sig = NULL;
  size_t l = strlen(buf);
  if (l + 1 < n) pub = buf + l + 1;
  if (pub && (size_t)(pub - buf) + strlen(pub) + 1 < n) sig = pub + strlen(pub) + 1;
  sc_e2ee_peer p = {id, n ? (long long)d[0] * 300 - 100 : -1, pub, sig};
  sc_e2ee_joined(F.e[0], &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  size_t i = 0;
  while (i + 3 <= size) {
    uint8_t op = data[i];
    size_t n = (size_t)data[i + 1] << 8 | data[i + 2];
    i += 3;
    if (n > size - i) n = size - i;
    const uint8_t *d = data + i;
    i += n;
    char text[SRE_SIGN_CHAT_MAX];
    size_t tl = 0;
    switch (op % 11) {
      case 0: sc_e2ee_relay(F.e[0], F.id[1], (const char *)d, n); break;
      case 1: sc_e2ee_receive(F.e[0], F.id[1], 0, SRE_CODEC_OPUS, d, n); break;
      case 2: sc_e2ee_receive(F.e[0], F.id[1], 1, SRE_CODEC_VP8, d, n); break;
      case 3: genuine(SRE_CODEC_OPUS, false, d, n); break;
      case 4: genuine(SRE_CODEC_VP8, n > 0 && !(d[0] & 1), d, n); break;
      case 5:
        F.now += n ? (uint64_t)d[0] * 10 : 10;
        sc_e2ee_tick(F.e[0]);
        sc_e2ee_tick(F.e[1]);
        pump();
        break;
      case 6: roster(d, n); break;
      case 7: {
        char id[80];
        size_t k = n < sizeof id - 1 ? n : sizeof id - 1;
        memcpy(id, d, k);
        id[k] = '\0';
        sc_e2ee_left(F.e[0], id);
        break;
      }
      case 8:
        sc_e2ee_chat_open(F.e[0], F.id[1], (const char *)d, n, text, sizeof text, &tl, NULL);
        break;
      case 9: {
        uint8_t wire[2048 + SC_E2EE_OVERHEAD];
        size_t wl = 0;
        sre_codec c = op & 0x10 ? SRE_CODEC_VP8 : SRE_CODEC_OPUS;
        if (n <= 2048) sc_e2ee_encrypt(F.e[0], c, op & 0x20, d, n, wire, sizeof wire, &wl);
        break;
      }
      default: sc_e2ee_relay(F.e[1], F.id[0], (const char *)d, n); break;
    }
  }
  teardown();
  return 0;
}
