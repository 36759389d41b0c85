/* E2EE throughput: media frames of 1 KB and 50 KB with suite 0x0004, through
 * the library (stateless frame API and sender/receiver state) against raw
 * OpenSSL AES-128-GCM through EVP with a pre-keyed context, on the same
 * buffers in the same run; prints MB/s and the ratio library/raw. Also counts
 * OpenSSL allocations inside the timed library calls (must be 0).
 *   build/e2ee_bench [seconds per measurement, default 0.5] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sealroom_e2ee.h"

static volatile long allocations;

static void *count_malloc(size_t n, const char *file, int line) {
  (void)file, (void)line;
  allocations++;
  return malloc(n);
}
static void *count_realloc(void *p, size_t n, const char *file, int line) {
  (void)file, (void)line;
  allocations++;
  return realloc(p, n);
}
static void count_free(void *p, const char *file, int line) {
  (void)file, (void)line;
  free(p);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define DIE(msg)                              \
  do {                                        \
    fprintf(stderr, "e2ee_bench: %s\n", msg); \
    exit(1);                                  \
  } while (0)

static const uint8_t key16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static double seconds = 0.5;

/* Raw EVP AES-128-GCM on the same sizes: aad of the same length as header +
 * prefix, a nonce per frame, tag written / checked. */
typedef struct {
  EVP_CIPHER_CTX *ctx;
  uint8_t salt[12];
} raw_gcm;

static void raw_nonce(const raw_gcm *r, uint64_t ctr, uint8_t nonce[12]) {
  memcpy(nonce, r->salt, 12);
  for (int i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(ctr >> (8 * i));
}

static void raw_encrypt(raw_gcm *r, uint64_t ctr, const uint8_t *aad, int aad_len, const uint8_t *in,
                        int len, uint8_t *out, uint8_t tag[16]) {
  uint8_t nonce[12];
  int n;
  raw_nonce(r, ctr, nonce);
  if (EVP_EncryptInit_ex(r->ctx, NULL, NULL, NULL, nonce) != 1 ||
      EVP_EncryptUpdate(r->ctx, NULL, &n, aad, aad_len) != 1 ||
      EVP_EncryptUpdate(r->ctx, out, &n, in, len) != 1 || EVP_EncryptFinal_ex(r->ctx, out + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1) {
    DIE("raw encrypt");
  }
}

static void raw_decrypt(raw_gcm *r, uint64_t ctr, const uint8_t *aad, int aad_len, const uint8_t *in,
                        int len, uint8_t *out, uint8_t tag[16]) {
  uint8_t nonce[12];
  int n;
  raw_nonce(r, ctr, nonce);
  if (EVP_DecryptInit_ex(r->ctx, NULL, NULL, NULL, nonce) != 1 ||
      EVP_DecryptUpdate(r->ctx, NULL, &n, aad, aad_len) != 1 ||
      EVP_DecryptUpdate(r->ctx, out, &n, in, len) != 1 ||
      EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 ||
      EVP_DecryptFinal_ex(r->ctx, out + n, &n) != 1) {
    DIE("raw decrypt");
  }
}

typedef enum { RAW_ENC, RAW_DEC, FRAME_ENC, FRAME_DEC, SENDER_ENC, RECEIVER_DEC } mode;

static const char *const mode_names[] = {"raw EVP encrypt", "raw EVP decrypt", "sre_frame_encrypt",
                                         "sre_frame_decrypt", "sre_sender_encrypt",
                                         "sre_receiver_decrypt"};

/* Frames for the receiver: a ring of consecutive counters; when it wraps, the
 * receiver is re-made (outside the timed calls) so no frame is a replay. */
#define RING 64

typedef struct {
  size_t size;
  uint8_t *plain, *wire, *out;
  size_t wire_len;
  uint8_t *ring[RING];
  size_t ring_len[RING];
  raw_gcm raw;
  uint8_t raw_aad[SRE_HEADER_MAX + 3]; /* header || prefix of the library frame */
  int raw_aad_len;
  uint8_t *raw_ct; /* the same frame encrypted by raw EVP, for raw decryption */
  uint8_t raw_tag[16], scratch_tag[16];
  sre_key key;
  sre_sender sender;
  sre_receiver receiver;
} bench;

static void setup(bench *b, size_t size) {
  memset(b, 0, sizeof *b);
  b->size = size;
  b->plain = malloc(size);
  b->wire = malloc(size + SRE_OVERHEAD_MAX + 16);
  b->out = malloc(size + SRE_OVERHEAD_MAX + 16);
  if (!b->plain || !b->wire || !b->out) DIE("out of memory");
  for (size_t i = 0; i < size; i++) b->plain[i] = (uint8_t)(i * 31 + 7);
  b->plain[0] = 0x31; /* VP8 delta frame: 3-byte clear prefix */
  if (sre_key_init(&b->key, SRE_SUITE_WIRE, sre_kid_make(1, 1, 0), key16, 16) != SRE_OK) DIE("key");
  if (sre_sender_init(&b->sender, 1, 1, key16, 16) != SRE_OK) DIE("sender");
  b->raw.ctx = EVP_CIPHER_CTX_new();
  if (!b->raw.ctx || EVP_EncryptInit_ex(b->raw.ctx, EVP_aes_128_gcm(), NULL, b->key.key, NULL) != 1) {
    DIE("raw ctx");
  }
  memcpy(b->raw.salt, b->key.salt, 12);
  if (sre_frame_encrypt(&b->key, SRE_CODEC_VP8, 77, b->plain, size, b->wire, size + 64, &b->wire_len) !=
      SRE_OK) {
    DIE("frame");
  }
  sre_header h;
  size_t p;
  if (sre_frame_parse(SRE_CODEC_VP8, b->wire, b->wire_len, &p, &h) != SRE_OK) DIE("parse");
  memcpy(b->raw_aad, b->wire + p, h.len);
  memcpy(b->raw_aad + h.len, b->wire, p);
  b->raw_aad_len = (int)(h.len + p);
  b->raw_ct = malloc(size);
  if (!b->raw_ct) DIE("out of memory");
  raw_encrypt(&b->raw, 77, b->raw_aad, b->raw_aad_len, b->plain + 3, (int)size - 3, b->raw_ct,
              b->raw_tag);
  /* Same key, nonce and AAD: raw EVP and the library produce the same bytes. */
  if (memcmp(b->raw_ct, b->wire + p + h.len, size - 3) != 0 ||
      memcmp(b->raw_tag, b->wire + b->wire_len - 16, 16) != 0) {
    DIE("raw and library ciphertexts differ");
  }
  for (int i = 0; i < RING; i++) {
    b->ring[i] = malloc(size + 64);
    if (!b->ring[i] || sre_frame_encrypt(&b->key, SRE_CODEC_VP8, (uint64_t)i, b->plain, size, b->ring[i],
                                         size + 64, &b->ring_len[i]) != SRE_OK) {
      DIE("ring");
    }
  }
}

static void teardown(bench *b) {
  for (int i = 0; i < RING; i++) free(b->ring[i]);
  sre_key_clear(&b->key);
  sre_sender_clear(&b->sender);
  sre_receiver_clear(&b->receiver);
  EVP_CIPHER_CTX_free(b->raw.ctx);
  free(b->raw_ct);
  free(b->plain);
  free(b->wire);
  free(b->out);
}

/* Runs one mode for `seconds`; returns MB/s of plaintext and adds the
 * allocations made inside the timed calls to *allocs. */
static double run(bench *b, mode m, long *allocs) {
  size_t n = 0;
  long frames = 0;
  double busy = 0;
  while (busy < seconds) {
    if (m == RECEIVER_DEC) {
      sre_receiver_clear(&b->receiver);
      sre_receiver_init(&b->receiver, 1);
      if (sre_receiver_add_key(&b->receiver, 1, 0, key16, 16, 0) != SRE_OK) DIE("receiver");
    }
    long before = allocations;
    double t0 = now();
    for (int i = 0; i < RING; i++) {
      sre_status st = SRE_OK;
      switch (m) {
      case RAW_ENC:
        raw_encrypt(&b->raw, (uint64_t)i, b->raw_aad, b->raw_aad_len, b->plain + 3, (int)b->size - 3,
                    b->out, b->scratch_tag);
        break;
      case RAW_DEC:
        /* Decrypts the raw frame made in setup (counter 77) over and over. */
        raw_decrypt(&b->raw, 77, b->raw_aad, b->raw_aad_len, b->raw_ct, (int)b->size - 3, b->out,
                    b->raw_tag);
        break;
      case FRAME_ENC:
        st = sre_frame_encrypt(&b->key, SRE_CODEC_VP8, (uint64_t)i, b->plain, b->size, b->wire,
                               b->size + 64, &n);
        break;
      case FRAME_DEC:
        st = sre_frame_decrypt(&b->key, SRE_CODEC_VP8, b->ring[i], b->ring_len[i], b->out, b->size + 64,
                               &n, NULL);
        break;
      case SENDER_ENC:
        st = sre_sender_encrypt(&b->sender, SRE_CODEC_VP8, b->plain, b->size, b->wire, b->size + 64, &n);
        break;
      case RECEIVER_DEC:
        st = sre_receiver_decrypt(&b->receiver, SRE_CODEC_VP8, b->ring[i], b->ring_len[i], b->out,
                                  b->size + 64, &n, 0);
        break;
      }
      if (st != SRE_OK) DIE(sre_strerror(st));
    }
    busy += now() - t0;
    if (m != RAW_ENC && m != RAW_DEC) *allocs += allocations - before;
    frames += RING;
  }
  return (double)frames * (double)b->size / busy / 1e6;
}

int main(int argc, char **argv) {
  /* Must come before OpenSSL allocates anything. */
  if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
    fprintf(stderr, "e2ee_bench: could not install allocation counter\n");
  }
  if (argc > 1) {
    seconds = atof(argv[1]);
    if (seconds <= 0 || seconds > 60) {
      fprintf(stderr, "usage: %s [seconds per measurement, 0-60]\n", argv[0]);
      return 2;
    }
  }
  static const size_t sizes[] = {1000, 50000};
  long allocs = 0;
  printf("suite 0x0004 (AES-128-GCM), VP8 delta frames, %.2f s per measurement, best of 3\n", seconds);
  printf("%-8s %-22s %10s %10s\n", "frame", "path", "MB/s", "vs raw");
  for (size_t s = 0; s < 2; s++) {
    bench b;
    setup(&b, sizes[s]);
    double best[6] = {0};
    for (int rep = 0; rep < 3; rep++) {
      for (int m = 0; m < 6; m++) {
        double r = run(&b, (mode)m, &allocs);
        if (r > best[m]) best[m] = r;
      }
    }
    for (int m = 0; m < 6; m++) {
      double raw = best[m == RAW_ENC || m == FRAME_ENC || m == SENDER_ENC ? RAW_ENC : RAW_DEC];
      printf("%-8s %-22s %10.1f %9.3fx\n", sizes[s] == 1000 ? "1 KB" : "50 KB", mode_names[m], best[m],
             best[m] / raw);
    }
    teardown(&b);
  }
  printf("OpenSSL allocations inside timed library calls: %ld\n", allocs);
  return allocs == 0 ? 0 : 1;
}
