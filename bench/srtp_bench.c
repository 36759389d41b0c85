/* SRTP cost per packet: AEAD_AES_128_GCM protect and unprotect through the
 * srtp_pair API on libsrtp2 (Debian's: AES-GCM through NSS) and on our
 * implementation (src/dtls/srtp_gcm.c, OpenSSL EVP), in the same run,
 * interleaved round by round; prints the median µs per packet of each and
 * the ratio libsrtp/ours, for a video-sized (1100 bytes) and an audio-sized
 * (120 bytes) RTP packet, and SRTCP. Also counts OpenSSL allocations inside
 * the timed calls (ours must make none).
 *   build/srtp_bench [seconds per size, default 2] */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "dtls/srtp.h"

#define BATCH 256
#define SLOT 1200
#define ROUNDS_MAX 4096

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
    fprintf(stderr, "srtp_bench: %s\n", msg); \
    exit(1);                                  \
  } while (0)

typedef struct {
  const char *name;
  srtp_pair *tx, *rx;
  uint16_t seq;
  double prot[ROUNDS_MAX], unprot[ROUNDS_MAX]; /* µs per packet, per round */
  long allocs;
} side;

static uint8_t slots[BATCH][SLOT];
static size_t lens[BATCH];

static srtp_keys keys(int swap) {
  srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = SRTP_PROFILE_AEAD_AES_128_GCM;
  k.key_len = 16;
  k.salt_len = 12;
  memset(swap ? k.remote_key : k.local_key, 0x21, 16);
  memset(swap ? k.remote_salt : k.local_salt, 0x43, 12);
  memset(swap ? k.local_key : k.remote_key, 0x65, 16);
  memset(swap ? k.local_salt : k.remote_salt, 0x87, 12);
  return k;
}

static void open_side(side *s, const char *name, sr_srtp_backend b) {
  memset(s, 0, sizeof *s);
  s->name = name;
  sr_srtp_set_backend(b);
  srtp_keys k = keys(0), ks = keys(1);
  s->tx = srtp_pair_new(&k);
  s->rx = srtp_pair_new(&ks);
  if (!s->tx || !s->rx) DIE("srtp_pair_new failed");
  srtp_pair_add_ssrc(s->tx, 0x11223344u, 1);
  srtp_pair_add_ssrc(s->rx, 0x11223344u, 0);
  srtp_pair_add_ssrc(s->tx, 0x55667788u, 1);
  srtp_pair_add_ssrc(s->rx, 0x55667788u, 0);
}

/* RTP of `size` bytes with a one-byte header extension (as browsers send),
 * or an RTCP receiver report padded to `size` when rtcp. */
static void fill(side *s, size_t size, int rtcp) {
  for (int i = 0; i < BATCH; i++) {
    uint8_t *p = slots[i];
    memset(p, (uint8_t)i, size);
    if (rtcp) {
      p[0] = 0x81;
      p[1] = 201;
      put_be16(p + 2, (uint16_t)(size / 4 - 1));
      put_be32(p + 4, 0x55667788u);
    } else {
      p[0] = 0x90;
      p[1] = 96;
      put_be16(p + 2, s->seq++);
      put_be32(p + 4, 90000u);
      put_be32(p + 8, 0x11223344u);
      put_be16(p + 12, 0xbede);
      put_be16(p + 14, 2);
    }
    lens[i] = size;
  }
}

static void one_round(side *s, int r, size_t size, int rtcp) {
  fill(s, size, rtcp);
  long a0 = allocations;
  double t0 = now();
  for (int i = 0; i < BATCH; i++) {
    int rc = rtcp ? srtp_pair_protect_rtcp(s->tx, slots[i], &lens[i], SLOT)
                  : srtp_pair_protect_rtp(s->tx, slots[i], &lens[i], SLOT);
    if (rc != 0) DIE("protect failed");
  }
  double t1 = now();
  for (int i = 0; i < BATCH; i++) {
    int rc = rtcp ? srtp_pair_unprotect_rtcp(s->rx, slots[i], &lens[i])
                  : srtp_pair_unprotect_rtp(s->rx, slots[i], &lens[i]);
    if (rc != 0 || lens[i] != size) DIE("unprotect failed");
  }
  double t2 = now();
  s->allocs += allocations - a0;
  s->prot[r] = (t1 - t0) * 1e6 / BATCH;
  s->unprot[r] = (t2 - t1) * 1e6 / BATCH;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void measure(side *lib, side *ours, const char *what, size_t size, int rtcp, double secs) {
  int rounds = 0;
  double end = now() + secs;
  lib->allocs = ours->allocs = 0;
  for (int r = 0; r < 4; r++) { /* warm up */
    one_round(lib, 0, size, rtcp);
    one_round(ours, 0, size, rtcp);
  }
  lib->allocs = ours->allocs = 0;
  while (rounds < ROUNDS_MAX && (rounds < 10 || now() < end)) {
    one_round(lib, rounds, size, rtcp);
    one_round(ours, rounds, size, rtcp);
    rounds++;
  }
  double lp = median(lib->prot, rounds), lu = median(lib->unprot, rounds);
  double op = median(ours->prot, rounds), ou = median(ours->unprot, rounds);
  printf("%-22s protect   libsrtp %6.3f us  ours %6.3f us  ratio %5.2fx\n", what, lp, op, lp / op);
  printf("%-22s unprotect libsrtp %6.3f us  ours %6.3f us  ratio %5.2fx\n", what, lu, ou, lu / ou);
  printf("%-22s OpenSSL allocations in timed calls: libsrtp %ld, ours %ld (%d rounds of %d)\n",
         what, lib->allocs, ours->allocs, rounds, BATCH);
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 2.0;
  if (secs <= 0) secs = 2.0;
  if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
    DIE("CRYPTO_set_mem_functions failed");
  if (sr_srtp_global_init() != 0) DIE("sr_srtp_global_init failed");
  static side lib, ours;
  open_side(&lib, "libsrtp", SR_SRTP_LIBSRTP);
  open_side(&ours, "ours", SR_SRTP_OPENSSL);
  printf("SRTP AEAD_AES_128_GCM, median of rounds of %d packets, µs per packet\n", BATCH);
  measure(&lib, &ours, "RTP 1100 B (video)", 1100, 0, secs);
  measure(&lib, &ours, "RTP 120 B (audio)", 120, 0, secs);
  measure(&lib, &ours, "SRTCP 80 B", 80, 1, secs / 2);
  srtp_pair_free(lib.tx);
  srtp_pair_free(lib.rx);
  srtp_pair_free(ours.tx);
  srtp_pair_free(ours.rx);
  return 0;
}
