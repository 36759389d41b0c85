/* Unit tests for lib/common/base64.c, the one base64 of the server and the
 * E2EE library: RFC 4648 vectors for both alphabets, round trips over every
 * byte value, every rejection path (characters, padding, lengths,
 * non-canonical trailing bits, small and exact buffers) with its result
 * code, and the two thin wrappers over it: the server's base64_* names
 * (src/auth/base64.h) and the library's public sre_base64_*. */
#include <limits.h>
#include <stdint.h>

#include "auth/base64.h"
#include "common/base64.h"
#include "sealroom_e2ee.h"
#include "test.h"

/* Decodes a NUL-terminated string; returns the sr_base64_decode result. */
static int dec(const char *s, uint8_t *out, size_t cap, size_t *len, int variant) {
  return sr_base64_decode(s, strlen(s), out, cap, len, variant);
}

/* Encodes; returns the number of characters or the (negative) result. */
static long long enc(const uint8_t *in, size_t n, char *out, size_t cap, int variant) {
  size_t len = 0;
  int rc = sr_base64_encode(in, n, out, cap, &len, variant);
  return rc == SR_BASE64_OK ? (long long)len : rc;
}

/* True if s is rejected as not canonical base64 of variant (out_len kept). */
static int rejects(const char *s, int variant) {
  uint8_t out[64];
  size_t len = 12345;
  int rc = dec(s, out, sizeof out, &len, variant);
  return rc == SR_BASE64_ERR_DATA && len == 12345;
}

static const char *const rfc_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const rfc_std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
static const char *const rfc_url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

static void check_vector(const char *plain, const char *encoded, int variant) {
  char text[64];
  uint8_t bytes[64];
  size_t len = 999;
  size_t n = strlen(plain);
  CHECK_EQ_INT(sr_base64_encoded_len(n, variant), strlen(encoded));
  CHECK_EQ_INT(enc((const uint8_t *)plain, n, text, sizeof text, variant), strlen(encoded));
  CHECK_EQ_STR(text, encoded);
  CHECK_EQ_INT(dec(encoded, bytes, sizeof bytes, &len, variant), SR_BASE64_OK);
  CHECK_EQ_INT(len, n);
  CHECK(memcmp(bytes, plain, n) == 0);
}

static void test_rfc4648_std_vectors(void) {
  for (size_t i = 0; i < sizeof rfc_plain / sizeof rfc_plain[0]; i++) {
    check_vector(rfc_plain[i], rfc_std[i], SR_BASE64_STD);
  }
}

static void test_rfc4648_url_vectors(void) {
  for (size_t i = 0; i < sizeof rfc_plain / sizeof rfc_plain[0]; i++) {
    check_vector(rfc_plain[i], rfc_url[i], SR_BASE64_URL);
  }
}

/* Bytes whose encoding uses the two alphabet-specific characters. */
static void test_alphabet_specific_chars(void) {
  const uint8_t in[] = {0xfb, 0xff, 0xbf};
  char text[16];
  uint8_t out[8];
  size_t len = 0;
  CHECK_EQ_INT(enc(in, 3, text, sizeof text, SR_BASE64_STD), 4);
  CHECK_EQ_STR(text, "+/+/");
  CHECK_EQ_INT(enc(in, 3, text, sizeof text, SR_BASE64_URL), 4);
  CHECK_EQ_STR(text, "-_-_");
  CHECK_EQ_INT(enc(in, 2, text, sizeof text, SR_BASE64_STD), 4);
  CHECK_EQ_STR(text, "+/8=");
  CHECK_EQ_INT(enc(in, 2, text, sizeof text, SR_BASE64_URL), 3);
  CHECK_EQ_STR(text, "-_8");
  CHECK_EQ_INT(dec("+/+/", out, sizeof out, &len, SR_BASE64_STD), 0);
  CHECK(len == 3 && memcmp(out, in, 3) == 0);
  CHECK_EQ_INT(dec("-_-_", out, sizeof out, &len, SR_BASE64_URL), 0);
  CHECK(len == 3 && memcmp(out, in, 3) == 0);
  CHECK(rejects("-_-_", SR_BASE64_STD));
  CHECK(rejects("+/+/", SR_BASE64_URL));
}

/* The 64-character alphabet in order decodes to 00 10 83 ... f3 df bf. */
static void test_full_alphabet(void) {
  const char *std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  uint8_t a[48], b[48];
  char text[72];
  size_t la = 0, lb = 0;
  CHECK_EQ_INT(dec(std, a, sizeof a, &la, SR_BASE64_STD), 0);
  CHECK_EQ_INT(dec(url, b, sizeof b, &lb, SR_BASE64_URL), 0);
  CHECK_EQ_INT(la, 48);
  CHECK(la == lb && memcmp(a, b, la) == 0);
  CHECK_EQ_INT(a[0], 0x00);
  CHECK_EQ_INT(a[1], 0x10);
  CHECK_EQ_INT(a[2], 0x83);
  CHECK_EQ_INT(a[45], 0xf3);
  CHECK_EQ_INT(a[46], 0xdf);
  CHECK_EQ_INT(a[47], 0xbf);
  CHECK_EQ_INT(enc(a, la, text, sizeof text, SR_BASE64_STD), 64);
  CHECK_EQ_STR(text, std);
  CHECK_EQ_INT(enc(a, la, text, sizeof text, SR_BASE64_URL), 64);
  CHECK_EQ_STR(text, url);
}

static void test_encoded_len(void) {
  static const size_t std_len[] = {0, 4, 4, 4, 8, 8, 8, 12};
  static const size_t url_len[] = {0, 2, 3, 4, 6, 7, 8, 10};
  for (size_t n = 0; n < 8; n++) {
    CHECK_EQ_INT(sr_base64_encoded_len(n, SR_BASE64_STD), std_len[n]);
    CHECK_EQ_INT(sr_base64_encoded_len(n, SR_BASE64_URL), url_len[n]);
  }
  CHECK_EQ_INT(sr_base64_encoded_len(3, 7), 0);
  CHECK_EQ_INT(sr_base64_encoded_len(SIZE_MAX, SR_BASE64_STD), 0);
  CHECK_EQ_INT(sr_base64_encoded_len(SIZE_MAX, SR_BASE64_URL), 0);
}

/* Every byte value at every position, for lengths 0..40, both variants. */
static void test_roundtrip_all_bytes(void) {
  uint8_t in[256], out[256];
  char text[400];
  for (int v = 0; v <= 1; v++) {
    for (size_t n = 0; n <= 40; n++) {
      for (size_t shift = 0; shift < 256; shift += 7) {
        size_t len = 0;
        long long w;
        for (size_t i = 0; i < n; i++) in[i] = (uint8_t)(i * 37 + shift);
        w = enc(in, n, text, sizeof text, v);
        CHECK_EQ_INT(w, sr_base64_encoded_len(n, v));
        CHECK_EQ_INT(strlen(text), (size_t)w);
        CHECK_EQ_INT(sr_base64_decode(text, (size_t)w, out, sizeof out, &len, v), 0);
        CHECK(len == n && memcmp(in, out, n) == 0);
      }
    }
    for (size_t i = 0; i < 256; i++) in[i] = (uint8_t)i;
    {
      size_t len = 0;
      long long w = enc(in, 256, text, sizeof text, v);
      CHECK(w > 0);
      CHECK_EQ_INT(sr_base64_decode(text, (size_t)w, out, sizeof out, &len, v), 0);
      CHECK(len == 256 && memcmp(in, out, 256) == 0);
    }
  }
}

/* out_cap must hold the text and its NUL: one byte short is refused and
 * writes nothing; the exact size works. */
static void test_encode_output_too_small(void) {
  const uint8_t in[] = "foobar";
  char text[16];
  memset(text, 'x', sizeof text);
  CHECK_EQ_INT(enc(in, 6, text, 8, SR_BASE64_STD), SR_BASE64_ERR_BUFFER); /* no room for NUL */
  CHECK_EQ_INT(enc(in, 6, text, 0, SR_BASE64_STD), SR_BASE64_ERR_BUFFER);
  for (size_t i = 0; i < sizeof text; i++) CHECK(text[i] == 'x');
  CHECK_EQ_INT(enc(in, 6, NULL, 100, SR_BASE64_STD), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(enc(in, 6, text, 9, SR_BASE64_STD), 8);
  CHECK_EQ_STR(text, "Zm9vYmFy");
  CHECK_EQ_INT(enc(in, 1, text, 4, SR_BASE64_STD), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(enc(in, 1, text, 5, SR_BASE64_STD), 4);
  CHECK_EQ_STR(text, "Zg==");
  CHECK_EQ_INT(enc(in, 1, text, 2, SR_BASE64_URL), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(enc(in, 1, text, 3, SR_BASE64_URL), 2);
  CHECK_EQ_STR(text, "Zg");
  CHECK_EQ_INT(enc(in, 0, text, 0, SR_BASE64_URL), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(enc(in, 0, text, 1, SR_BASE64_URL), 0);
  CHECK_EQ_STR(text, "");
  /* out_len is optional */
  CHECK_EQ_INT(sr_base64_encode(in, 3, text, sizeof text, NULL, SR_BASE64_STD), SR_BASE64_OK);
  CHECK_EQ_STR(text, "Zm9v");
}

static void test_invalid_variant_and_args(void) {
  uint8_t out[8];
  char text[16];
  size_t len = 0;
  CHECK_EQ_INT(enc((const uint8_t *)"f", 1, text, sizeof text, 2), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(enc((const uint8_t *)"f", 0, text, sizeof text, -1), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(enc(NULL, 1, text, sizeof text, SR_BASE64_STD), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(enc(NULL, 0, text, sizeof text, SR_BASE64_STD), 0);
  /* lengths whose encoding would not fit in size_t */
  CHECK_EQ_INT(enc((const uint8_t *)"f", SIZE_MAX, text, sizeof text, SR_BASE64_STD),
               SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(enc((const uint8_t *)"f", SIZE_MAX / 4 * 3 + 3, text, sizeof text, SR_BASE64_URL),
               SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(dec("Zg==", out, sizeof out, &len, 2), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(dec("Zg==", out, sizeof out, NULL, SR_BASE64_STD), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(sr_base64_decode(NULL, 4, out, sizeof out, &len, SR_BASE64_STD),
               SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(sr_base64_decode(NULL, 0, NULL, 0, &len, SR_BASE64_STD), SR_BASE64_OK);
  CHECK_EQ_INT(len, 0);
}

/* One byte short is refused before anything is written; the exact size
 * works. A malformed length or padding is reported before the room, bad
 * characters after it. */
static void test_decode_output_too_small(void) {
  uint8_t out[8];
  size_t len = 77;
  memset(out, 0xee, sizeof out);
  CHECK_EQ_INT(dec("Zm9vYmFy", out, 5, &len, SR_BASE64_STD), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(len, 77);
  for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == 0xee);
  CHECK_EQ_INT(dec("Zm9vYmFy", out, 6, &len, SR_BASE64_STD), SR_BASE64_OK);
  CHECK_EQ_INT(len, 6);
  CHECK(out[6] == 0xee);
  CHECK_EQ_INT(dec("Zm9vYmE=", out, 4, &len, SR_BASE64_STD), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(dec("Zm9vYmE=", out, 5, &len, SR_BASE64_STD), SR_BASE64_OK);
  CHECK_EQ_INT(dec("Zm9vYg==", out, 3, &len, SR_BASE64_STD), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(dec("Zm9vYg==", out, 4, &len, SR_BASE64_STD), SR_BASE64_OK);
  CHECK_EQ_INT(len, 4);
  CHECK_EQ_INT(dec("Zm9vYmE", out, 4, &len, SR_BASE64_URL), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(dec("Zm9vYmE", out, 5, &len, SR_BASE64_URL), SR_BASE64_OK);
  CHECK_EQ_INT(dec("Zg", out, 0, &len, SR_BASE64_URL), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(dec("Zg", NULL, 8, &len, SR_BASE64_URL), SR_BASE64_ERR_ARG);
  CHECK_EQ_INT(dec("", NULL, 0, &len, SR_BASE64_URL), SR_BASE64_OK);
  CHECK_EQ_INT(len, 0);
  /* the order of the checks */
  CHECK_EQ_INT(dec("Zm9vYmF", out, 1, &len, SR_BASE64_STD), SR_BASE64_ERR_DATA);  /* length */
  CHECK_EQ_INT(dec("Zm9vYmFyZ", out, 1, &len, SR_BASE64_URL), SR_BASE64_ERR_DATA); /* length */
  CHECK_EQ_INT(dec("!!!!!!!!", out, 5, &len, SR_BASE64_STD), SR_BASE64_ERR_BUFFER);
  CHECK_EQ_INT(dec("!!!!!!!!", out, 6, &len, SR_BASE64_STD), SR_BASE64_ERR_DATA);
}

static void test_decode_rejects_bad_chars(void) {
  static const char *const std_bad[] = {
      "Zm9v Zg==", " Zm9v", "Zm9v\n", "Zm9v\r\n", "Zm\t9v", "Zm9-", "Zm9_", "Zm.v",
      "Zm9v!A==",  "Zm*v",  "Zm9\"", "Zm9v@A==", "Zm9[", "Zm9`", "Zm9{", "Zm9~",
  };
  static const char *const url_bad[] = {
      "Zm9v Zg", " Zm9v", "Zm9v\n", "Zm9+", "Zm9/", "Zm.v", "Zm9v!A", "Zm9v%3D", "Zm9:",
  };
  for (size_t i = 0; i < sizeof std_bad / sizeof std_bad[0]; i++) {
    CHECK(rejects(std_bad[i], SR_BASE64_STD));
  }
  for (size_t i = 0; i < sizeof url_bad / sizeof url_bad[0]; i++) {
    CHECK(rejects(url_bad[i], SR_BASE64_URL));
  }
}

/* Every byte outside the alphabet, in each position of a 4-char group. */
static void test_decode_rejects_every_non_alphabet_byte(void) {
  for (int v = 0; v <= 1; v++) {
    for (int c = 0; c < 256; c++) {
      int in_alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') ||
                     (v == SR_BASE64_STD ? (c == '+' || c == '/') : (c == '-' || c == '_'));
      for (size_t pos = 0; pos < 4; pos++) {
        char s[4] = {'A', 'A', 'A', 'A'};
        uint8_t out[8];
        size_t len = 0;
        int rc;
        s[pos] = (char)c;
        rc = sr_base64_decode(s, 4, out, sizeof out, &len, v);
        if (in_alpha) {
          CHECK_EQ_INT(rc, SR_BASE64_OK);
        } else if (c == '=' && v == SR_BASE64_STD && pos == 3) {
          CHECK_EQ_INT(rc, SR_BASE64_OK); /* "AAA=" is valid padding, not a bad char */
          CHECK_EQ_INT(len, 2);
        } else {
          CHECK_EQ_INT(rc, SR_BASE64_ERR_DATA);
        }
      }
    }
  }
}

/* A NUL inside the counted length is just another invalid character. */
static void test_decode_rejects_embedded_nul(void) {
  uint8_t out[8];
  size_t len = 0;
  CHECK_EQ_INT(sr_base64_decode("Zm\0v", 4, out, sizeof out, &len, SR_BASE64_STD),
               SR_BASE64_ERR_DATA);
  CHECK_EQ_INT(sr_base64_decode("Zm9v\0\0\0\0", 8, out, sizeof out, &len, SR_BASE64_STD),
               SR_BASE64_ERR_DATA);
  CHECK_EQ_INT(sr_base64_decode("Zm9v\0", 5, out, sizeof out, &len, SR_BASE64_URL),
               SR_BASE64_ERR_DATA);
  CHECK_EQ_INT(sr_base64_decode("Zm9v\0", 4, out, sizeof out, &len, SR_BASE64_URL),
               SR_BASE64_OK);
  CHECK_EQ_INT(len, 3);
}

static void test_decode_rejects_wrong_padding(void) {
  static const char *const bad[] = {
      "Zg",       "Zg=",       "Zm8",    "Zg===",    "Z===",     "====",     "=",
      "==",       "Zg==Zg==",  "Zm8=Zm9v", "Z=g=",   "Zm=v",     "=Zm9",     "Zm9v=",
      "Zm9v==",   "Zm9v====",  "Zm9vY",  "Zm9vY===", "Zg=A",     "Zm8==",    "Z",
      "Zm9vYg=",  "Zm9vYmE==", "Zm9vYmE", "A=A=",    "Zg==\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (!rejects(bad[i], SR_BASE64_STD)) fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
    CHECK(rejects(bad[i], SR_BASE64_STD));
  }
}

static void test_url_rejects_padding_and_len_mod4_1(void) {
  static const char *const bad[] = {
      "Zg==", "Zm8=", "Zg=", "Zm9vYg==", "=", "====", "Z", "Zm9vY", "Zm9vYmFyZ", "Zm9=v",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(rejects(bad[i], SR_BASE64_URL));
  }
}

/* In a 2-char tail the last char's low 4 bits must be zero; in a 3-char tail
 * the last char's low 2 bits. Checked for every alphabet character. */
static void test_decode_rejects_noncanonical_bits(void) {
  const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t v = 0; v < 62; v++) {
    char s2std[5] = {'Z', alpha[v], '=', '=', '\0'};
    char s3std[5] = {'Z', 'm', alpha[v], '=', '\0'};
    char s2url[3] = {'Z', alpha[v], '\0'};
    char s3url[4] = {'Z', 'm', alpha[v], '\0'};
    int ok2 = (v & 0x0f) == 0, ok3 = (v & 0x03) == 0;
    CHECK_EQ_INT(rejects(s2std, SR_BASE64_STD), !ok2);
    CHECK_EQ_INT(rejects(s3std, SR_BASE64_STD), !ok3);
    CHECK_EQ_INT(rejects(s2url, SR_BASE64_URL), !ok2);
    CHECK_EQ_INT(rejects(s3url, SR_BASE64_URL), !ok3);
  }
  CHECK(rejects("Zh==", SR_BASE64_STD));
  CHECK(rejects("Zm9=", SR_BASE64_STD));
  CHECK(rejects("Zh", SR_BASE64_URL));
  CHECK(rejects("Zm9", SR_BASE64_URL));
  CHECK(rejects("Zm9vYh==", SR_BASE64_STD));
  CHECK(rejects("Z/==", SR_BASE64_STD));
  CHECK(rejects("Z_", SR_BASE64_URL));
  CHECK(!rejects("Zw==", SR_BASE64_STD)); /* w = 48, low 4 bits clear */
}

/* A failed decode does not leave decoded bytes behind in out. */
static void test_decode_failure_leaves_no_output(void) {
  uint8_t out[16];
  size_t len = 5;
  memset(out, 0xAA, sizeof out);
  CHECK_EQ_INT(dec("Zm9vYmFyZm9v!m9v", out, sizeof out, &len, SR_BASE64_STD),
               SR_BASE64_ERR_DATA);
  CHECK_EQ_INT(len, 5);
  for (size_t i = 0; i < 6; i++) CHECK(out[i] != "foobar"[i]);
}

/* SR_BASE64_STD_LEN is the padded length, usable in array sizes. */
static void test_std_len_macro(void) {
  char fits[SR_BASE64_STD_LEN(32) + 1];
  CHECK_EQ_INT(sizeof fits, 45); /* the 44 characters of a key in meeting.c */
  for (size_t n = 0; n < 100; n++) {
    CHECK_EQ_INT(SR_BASE64_STD_LEN(n), sr_base64_encoded_len(n, SR_BASE64_STD));
  }
}

/* src/auth/base64.h: the server's int-returning names over the same code. */
static void test_server_wrappers(void) {
  const uint8_t in[] = {0xfb, 0xff, 0xbf, 'f'};
  char text[16];
  uint8_t out[8];
  size_t len = 55;
  CHECK_EQ_INT(BASE64_STD, SR_BASE64_STD);
  CHECK_EQ_INT(BASE64_URL, SR_BASE64_URL);
  CHECK_EQ_INT(base64_encoded_len(4, BASE64_STD), 8);
  CHECK_EQ_INT(base64_encoded_len(4, BASE64_URL), 6);
  CHECK_EQ_INT(base64_encoded_len(4, 9), 0);
  CHECK_EQ_INT(base64_encode(in, 4, text, sizeof text, BASE64_STD), 8);
  CHECK_EQ_STR(text, "+/+/Zg==");
  CHECK_EQ_INT(base64_encode(in, 4, text, 6, BASE64_URL), -1); /* no room for the NUL */
  CHECK_EQ_INT(base64_encode(in, 4, text, 7, 9), -1);
  CHECK_EQ_INT(base64_encode(in, 4, NULL, 7, BASE64_URL), -1);
  CHECK_EQ_INT(base64_encode(in, 4, text, 7, BASE64_URL), 6);
  CHECK_EQ_STR(text, "-_-_Zg");
  /* the int result is refused when the text would exceed INT_MAX */
  CHECK_EQ_INT(base64_encode(in, (size_t)INT_MAX, text, sizeof text, BASE64_URL), -1);
  CHECK_EQ_INT(base64_decode("-_-_Zg", 6, out, sizeof out, &len, BASE64_URL), 0);
  CHECK(len == 4 && memcmp(out, in, 4) == 0);
  len = 55;
  CHECK_EQ_INT(base64_decode("-_-_Zg", 6, out, 3, &len, BASE64_URL), -1); /* buffer */
  CHECK_EQ_INT(base64_decode("+/+/Zg=", 7, out, sizeof out, &len, BASE64_STD), -1); /* data */
  CHECK_EQ_INT(base64_decode("Zg==", 4, out, sizeof out, NULL, BASE64_STD), -1);    /* arg */
  CHECK_EQ_INT(len, 55);
}

/* include/sealroom_e2ee.h: the library's public names (standard alphabet,
 * padded) and their sre_status results. */
static void test_sre_wrappers(void) {
  const uint8_t in[] = {0xfb, 0xff, 0xbf, 0x00, 0x10};
  char text[16];
  uint8_t out[8];
  size_t n, m;
  for (size_t len = 0; len <= sizeof in; len++) {
    CHECK_EQ_INT(sre_base64_encode(in, len, text, sizeof text, &n), SRE_OK);
    CHECK_EQ_INT(n, sre_base64_encoded_len(len));
    CHECK_EQ_INT(n, SR_BASE64_STD_LEN(len));
    CHECK_EQ_INT(sre_base64_decode(text, n, out, sizeof out, &m), SRE_OK);
    CHECK(m == len && memcmp(out, in, len) == 0);
  }
  CHECK_EQ_INT(sre_base64_encode(in, 3, text, sizeof text, &n), SRE_OK);
  CHECK_EQ_STR(text, "+/+/");
  const char *bad[] = {"A",    "AA",   "AAA",  "A===",     "AA=A",     "=AAA", "AB==",
                       "AAB=", "AA-_", "AA\nA", "AAAA====", "AA==AAAA", "-_-_"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    m = 99;
    CHECK_EQ_INT(sre_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &m), SRE_ERR_BASE64);
    CHECK_EQ_INT(m, 0); /* *out_len is zeroed on failure */
  }
  /* buffers: exact sizes work, one short is SRE_ERR_BUFFER */
  CHECK_EQ_INT(sre_base64_decode("AAAAAAAA", 8, out, 5, &n), SRE_ERR_BUFFER);
  CHECK_EQ_INT(sre_base64_decode("AAAAAAAA", 8, out, 6, &n), SRE_OK);
  CHECK_EQ_INT(n, 6);
  CHECK_EQ_INT(sre_base64_decode("AAAAAA==", 8, out, 3, &n), SRE_ERR_BUFFER);
  CHECK_EQ_INT(sre_base64_decode("AAAAAA==", 8, out, 4, &n), SRE_OK);
  CHECK_EQ_INT(sre_base64_decode("AAAAAAA", 7, out, 1, &n), SRE_ERR_BASE64); /* length first */
  CHECK_EQ_INT(sre_base64_encode(in, 3, text, 4, &n), SRE_ERR_BUFFER);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(sre_base64_encode(in, 3, text, 5, &n), SRE_OK);
  CHECK_EQ_INT(n, 4);
  /* arguments; out_len may be NULL */
  CHECK_EQ_INT(sre_base64_encode(in, 3, text, sizeof text, NULL), SRE_OK);
  CHECK_EQ_INT(sre_base64_decode("+/+/", 4, out, sizeof out, NULL), SRE_OK);
  CHECK_EQ_INT(sre_base64_encode(NULL, 3, text, sizeof text, &n), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_base64_encode(in, 3, NULL, sizeof text, &n), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_base64_encode(in, SIZE_MAX / 2 + 1, text, sizeof text, &n), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_base64_decode(NULL, 4, out, sizeof out, &n), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_base64_decode("+/+/", 4, NULL, 8, &n), SRE_ERR_ARG);
  CHECK_EQ_INT(sre_base64_decode("+/+/", 4, NULL, 0, &n), SRE_ERR_BUFFER);
  CHECK_EQ_INT(sre_base64_decode(NULL, 0, NULL, 0, &n), SRE_OK);
  CHECK_EQ_INT(n, 0);
}

TEST_SUITE(base64, {"rfc4648_std_vectors", test_rfc4648_std_vectors},
           {"rfc4648_url_vectors", test_rfc4648_url_vectors},
           {"alphabet_specific_chars", test_alphabet_specific_chars},
           {"full_alphabet", test_full_alphabet}, {"encoded_len", test_encoded_len},
           {"roundtrip_all_bytes", test_roundtrip_all_bytes},
           {"encode_output_too_small", test_encode_output_too_small},
           {"invalid_variant_and_args", test_invalid_variant_and_args},
           {"decode_output_too_small", test_decode_output_too_small},
           {"decode_rejects_bad_chars", test_decode_rejects_bad_chars},
           {"decode_rejects_every_non_alphabet_byte",
            test_decode_rejects_every_non_alphabet_byte},
           {"decode_rejects_embedded_nul", test_decode_rejects_embedded_nul},
           {"decode_rejects_wrong_padding", test_decode_rejects_wrong_padding},
           {"url_rejects_padding_and_len_mod4_1", test_url_rejects_padding_and_len_mod4_1},
           {"decode_rejects_noncanonical_bits", test_decode_rejects_noncanonical_bits},
           {"decode_failure_leaves_no_output", test_decode_failure_leaves_no_output},
           {"std_len_macro", test_std_len_macro}, {"server_wrappers", test_server_wrappers},
           {"sre_wrappers", test_sre_wrappers});
