/* Sender authentication cost per frame (docs/e2ee-sender-auth.md 7):
 * for a 1 KB wire frame, the sender's hash + amortized Ed25519 signature
 * (sre_signer_add, a flush every n frames) and the receiver's hash + lookup
 * + amortized verification (sre_sign_verifier_statement / _frame), with n =
 * 8 (100 ms of audio + video) and 64 (a full statement), against raw
 * AES-128-GCM SFrame encryption of the same frame (sre_frame_encrypt) in
 * the same run. Also the bare Ed25519 sign / verify and SHA-256 costs.
 *   build/sign_bench [seconds per measurement, default 0.5] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "sealroom_e2ee.h"
#include "sealroom_sign.h"

#define DIE(msg)                              \
  do {                                        \
    fprintf(stderr, "sign_bench: %s\n", msg); \
    exit(1);                                  \
  } while (0)

static const char *const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
static const char *const SID = "5b0c6a8e-2f4d-4c1b-9a7e-3d2f1e0c9b8a";
static double seconds = 0.5;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define FRAMES 4096 /* frames prepared once: consecutive CTRs */
#define SIZE 1024

static uint8_t plain[SIZE], wire[FRAMES][SIZE + SRE_OVERHEAD_MAX];
static size_t wire_len[FRAMES];
static sre_key key;
static const uint64_t KID = (1u << 16) | (1u << 8);

/* us per frame of SFrame encryption. */
static double bench_encrypt(void) {
  uint8_t out[SIZE + SRE_OVERHEAD_MAX];
  size_t n = 0;
  uint64_t ctr = 0;
  double t0 = now(), t;
  do {
    for (int i = 0; i < 256; i++, ctr++) {
      if (sre_frame_encrypt(&key, SRE_CODEC_OPUS, ctr, plain, SIZE, out, sizeof out, &n) != SRE_OK) {
        DIE("encrypt");
      }
    }
  } while ((t = now() - t0) < seconds);
  return t / (double)ctr * 1e6;
}

static double bench_hash(void) {
  uint8_t h[SRE_SIGN_HASH_LEN];
  uint64_t count = 0;
  double t0 = now(), t;
  do {
    for (int i = 0; i < 256; i++, count++) {
      if (sre_sign_frame_hash(KID, count % FRAMES, wire[count % FRAMES], wire_len[count % FRAMES],
                              h) != SRE_OK) {
        DIE("hash");
      }
    }
  } while ((t = now() - t0) < seconds);
  return t / (double)count * 1e6;
}

/* Signs FRAMES frames in statements of per frames: returns us per frame and
 * keeps the payloads for the verifier. */
static char payloads[FRAMES][SRE_SIGN_PAYLOAD_MAX];
static size_t payload_len[FRAMES], npayloads;

static double bench_sign(sre_signer *s, size_t per) {
  uint64_t frames = 0;
  double t0 = now(), t;
  do {
    npayloads = 0;
    sre_signer_clear(s);
    if (sre_signer_init(s, ID, (const uint8_t *)SID, strlen(SID), NULL) != SRE_OK) DIE("signer");
    for (size_t i = 0; i < FRAMES; i++, frames++) {
      size_t jl = 0;
      if (sre_signer_add(s, KID, i, wire[i], wire_len[i], payloads[npayloads], SRE_SIGN_PAYLOAD_MAX,
                         &jl) != SRE_OK) {
        DIE("add");
      }
      if (jl) payload_len[npayloads++] = jl;
      if ((i + 1) % per == 0) {
        if (sre_signer_flush(s, payloads[npayloads], SRE_SIGN_PAYLOAD_MAX, &jl) != SRE_OK) DIE("flush");
        if (jl) payload_len[npayloads++] = jl;
      }
    }
  } while ((t = now() - t0) < seconds);
  return t / (double)frames * 1e6;
}

/* Verifies the payloads of bench_sign and looks every frame up. */
static double bench_verify(const sre_signer *s, size_t per) {
  static sre_sign_verifier v;
  uint64_t frames = 0;
  double t0 = now(), t;
  do {
    sre_sign_verifier_clear(&v);
    if (sre_sign_verifier_init(&v, ID, (const uint8_t *)SID, strlen(SID), s->pub, 0) != SRE_OK) {
      DIE("verifier");
    }
    size_t f = 0;
    for (size_t p = 0; p < npayloads; p++) {
      if (sre_sign_verifier_statement(&v, payloads[p], payload_len[p]) != SRE_OK) DIE("statement");
      for (size_t k = 0; k < per && f < FRAMES; k++, f++, frames++) {
        if (sre_sign_verifier_frame(&v, KID, f, wire[f], wire_len[f], f, 0) != SRE_SIGN_OK) {
          DIE("frame");
        }
      }
    }
  } while ((t = now() - t0) < seconds);
  sre_sign_verifier_clear(&v);
  return t / (double)frames * 1e6;
}

/* Bare Ed25519 over a statement-sized message (8 frames: 253 bytes). */
static void bench_ed25519(double *sign_us, double *verify_us) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  uint8_t msg[253] = {1}, sig[64];
  size_t sl = 64;
  if (!k) DIE("keygen");
  uint64_t n = 0;
  double t0 = now(), t;
  do {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    sl = 64;
    if (!c || EVP_DigestSignInit(c, NULL, NULL, NULL, k) != 1 ||
        EVP_DigestSign(c, sig, &sl, msg, sizeof msg) != 1) {
      DIE("sign");
    }
    EVP_MD_CTX_free(c);
    n++;
  } while ((t = now() - t0) < seconds);
  *sign_us = t / (double)n * 1e6;
  n = 0;
  t0 = now();
  do {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) != 1 ||
        EVP_DigestVerify(c, sig, sl, msg, sizeof msg) != 1) {
      DIE("verify");
    }
    EVP_MD_CTX_free(c);
    n++;
  } while ((t = now() - t0) < seconds);
  *verify_us = t / (double)n * 1e6;
  EVP_PKEY_free(k);
}

int main(int argc, char **argv) {
  if (argc > 1) seconds = atof(argv[1]);
  if (seconds <= 0) seconds = 0.5;
  static const uint8_t base[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (size_t i = 0; i < SIZE; i++) plain[i] = (uint8_t)(i * 31 + 7);
  plain[0] = 0x78; /* Opus TOC: 1-byte clear prefix */
  if (sre_key_init(&key, SRE_SUITE_WIRE, KID, base, 16) != SRE_OK) DIE("key");
  for (size_t i = 0; i < FRAMES; i++) {
    if (sre_frame_encrypt(&key, SRE_CODEC_OPUS, i, plain, SIZE, wire[i], sizeof wire[i],
                          &wire_len[i]) != SRE_OK) {
      DIE("frame");
    }
  }
  double enc = bench_encrypt(), hash = bench_hash(), ed_sign, ed_verify;
  bench_ed25519(&ed_sign, &ed_verify);
  printf("sign_bench: 1 KB frame (wire %zu bytes), one run of %.1f s per measurement\n", wire_len[0],
         seconds);
  printf("  SFrame AES-128-GCM encrypt (sre_frame_encrypt)  %7.3f us/frame\n", enc);
  printf("  frame hash (SHA-256 of the wire frame)          %7.3f us/frame  %5.2fx encrypt\n", hash,
         hash / enc);
  printf("  Ed25519 sign / verify of one statement          %7.1f / %.1f us\n", ed_sign, ed_verify);
  static sre_signer s;
  for (size_t per = 8; per <= 64; per *= 8) {
    double sg = bench_sign(&s, per), vf = bench_verify(&s, per);
    printf("  %2zu frames/statement: sender hash+sign %7.3f us/frame (%5.2fx encrypt), "
           "receiver hash+verify+lookup %7.3f us/frame (%5.2fx encrypt)\n",
           per, sg, sg / enc, vf, vf / enc);
  }
  sre_signer_clear(&s);
  sre_key_clear(&key);
  return 0;
}
