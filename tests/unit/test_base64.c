/* Unit tests for src/auth/base64.c: RFC 4648 vectors for both alphabets,
 * round trips over every byte value, and every rejection path (characters,
 * padding, lengths, non-canonical trailing bits, small buffers). */
#include <stdint.h>

#include "auth/base64.h"
#include "test.h"

/* Decodes a NUL-terminated string; returns the base64_decode result. */
static int dec(const char *s, uint8_t *out, size_t cap, size_t *len, int variant) {
  return base64_decode(s, strlen(s), out, cap, len, variant);
}

/* True if s is rejected by the decoder for variant. */
static int rejects(const char *s, int variant) {
  uint8_t out[64];
  size_t len = 12345;
  int rc = dec(s, out, sizeof out, &len, variant);
  return rc == -1 && len == 12345;
}

static const char *const rfc_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const rfc_std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
static const char *const rfc_url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

static void check_vector(const char *plain, const char *enc, int variant) {
  char text[64];
  uint8_t bytes[64];
  size_t len = 999;
  size_t n = strlen(plain);
  CHECK_EQ_INT(base64_encoded_len(n, variant), strlen(enc));
  CHECK_EQ_INT(base64_encode((const uint8_t *)plain, n, text, sizeof text, variant),
               strlen(enc));
  CHECK_EQ_STR(text, enc);
  CHECK_EQ_INT(dec(enc, bytes, sizeof bytes, &len, variant), 0);
  CHECK_EQ_INT(len, n);
  CHECK(memcmp(bytes, plain, n) == 0);
}

static void test_rfc4648_std_vectors(void) {
  for (size_t i = 0; i < sizeof rfc_plain / sizeof rfc_plain[0]; i++) {
    check_vector(rfc_plain[i], rfc_std[i], BASE64_STD);
  }
}

static void test_rfc4648_url_vectors(void) {
  for (size_t i = 0; i < sizeof rfc_plain / sizeof rfc_plain[0]; i++) {
    check_vector(rfc_plain[i], rfc_url[i], BASE64_URL);
  }
}

/* Bytes whose encoding uses the two alphabet-specific characters. */
static void test_alphabet_specific_chars(void) {
  const uint8_t in[] = {0xfb, 0xff, 0xbf};
  char text[16];
  uint8_t out[8];
  size_t len = 0;
  CHECK_EQ_INT(base64_encode(in, 3, text, sizeof text, BASE64_STD), 4);
  CHECK_EQ_STR(text, "+/+/");
  CHECK_EQ_INT(base64_encode(in, 3, text, sizeof text, BASE64_URL), 4);
  CHECK_EQ_STR(text, "-_-_");
  CHECK_EQ_INT(base64_encode(in, 2, text, sizeof text, BASE64_STD), 4);
  CHECK_EQ_STR(text, "+/8=");
  CHECK_EQ_INT(base64_encode(in, 2, text, sizeof text, BASE64_URL), 3);
  CHECK_EQ_STR(text, "-_8");
  CHECK_EQ_INT(dec("+/+/", out, sizeof out, &len, BASE64_STD), 0);
  CHECK(len == 3 && memcmp(out, in, 3) == 0);
  CHECK_EQ_INT(dec("-_-_", out, sizeof out, &len, BASE64_URL), 0);
  CHECK(len == 3 && memcmp(out, in, 3) == 0);
  CHECK(rejects("-_-_", BASE64_STD));
  CHECK(rejects("+/+/", BASE64_URL));
}

/* The 64-character alphabet in order decodes to 00 10 83 ... f3 df bf. */
static void test_full_alphabet(void) {
  const char *std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  uint8_t a[48], b[48];
  char text[72];
  size_t la = 0, lb = 0;
  CHECK_EQ_INT(dec(std, a, sizeof a, &la, BASE64_STD), 0);
  CHECK_EQ_INT(dec(url, b, sizeof b, &lb, BASE64_URL), 0);
  CHECK_EQ_INT(la, 48);
  CHECK(la == lb && memcmp(a, b, la) == 0);
  CHECK_EQ_INT(a[0], 0x00);
  CHECK_EQ_INT(a[1], 0x10);
  CHECK_EQ_INT(a[2], 0x83);
  CHECK_EQ_INT(a[45], 0xf3);
  CHECK_EQ_INT(a[46], 0xdf);
  CHECK_EQ_INT(a[47], 0xbf);
  CHECK_EQ_INT(base64_encode(a, la, text, sizeof text, BASE64_STD), 64);
  CHECK_EQ_STR(text, std);
  CHECK_EQ_INT(base64_encode(a, la, text, sizeof text, BASE64_URL), 64);
  CHECK_EQ_STR(text, url);
}

static void test_encoded_len(void) {
  static const size_t std_len[] = {0, 4, 4, 4, 8, 8, 8, 12};
  static const size_t url_len[] = {0, 2, 3, 4, 6, 7, 8, 10};
  for (size_t n = 0; n < 8; n++) {
    CHECK_EQ_INT(base64_encoded_len(n, BASE64_STD), std_len[n]);
    CHECK_EQ_INT(base64_encoded_len(n, BASE64_URL), url_len[n]);
  }
  CHECK_EQ_INT(base64_encoded_len(3, 7), 0);
  CHECK_EQ_INT(base64_encoded_len(SIZE_MAX, BASE64_STD), 0);
  CHECK_EQ_INT(base64_encoded_len(SIZE_MAX, BASE64_URL), 0);
}

/* Every byte value at every position, for lengths 0..40, both variants. */
static void test_roundtrip_all_bytes(void) {
  uint8_t in[256], out[256];
  char text[400];
  for (int v = 0; v <= 1; v++) {
    for (size_t n = 0; n <= 40; n++) {
      for (size_t shift = 0; shift < 256; shift += 7) {
        size_t len = 0;
        int w;
        for (size_t i = 0; i < n; i++) in[i] = (uint8_t)(i * 37 + shift);
        w = base64_encode(in, n, text, sizeof text, v);
        CHECK_EQ_INT(w, base64_encoded_len(n, v));
        CHECK_EQ_INT(strlen(text), (size_t)w);
        CHECK_EQ_INT(base64_decode(text, (size_t)w, out, sizeof out, &len, v), 0);
        CHECK(len == n && memcmp(in, out, n) == 0);
      }
    }
    for (size_t i = 0; i < 256; i++) in[i] = (uint8_t)i;
    {
      size_t len = 0;
      int w = base64_encode(in, 256, text, sizeof text, v);
      CHECK(w > 0);
      CHECK_EQ_INT(base64_decode(text, (size_t)w, out, sizeof out, &len, v), 0);
      CHECK(len == 256 && memcmp(in, out, 256) == 0);
    }
  }
}

static void test_encode_output_too_small(void) {
  const uint8_t in[] = "foobar";
  char text[16];
  memset(text, 'x', sizeof text);
  CHECK_EQ_INT(base64_encode(in, 6, text, 8, BASE64_STD), -1); /* no room for NUL */
  CHECK_EQ_INT(base64_encode(in, 6, text, 0, BASE64_STD), -1);
  CHECK_EQ_INT(base64_encode(in, 6, NULL, 100, BASE64_STD), -1);
  CHECK_EQ_INT(base64_encode(in, 6, text, 9, BASE64_STD), 8);
  CHECK_EQ_STR(text, "Zm9vYmFy");
  CHECK_EQ_INT(base64_encode(in, 1, text, 2, BASE64_URL), -1);
  CHECK_EQ_INT(base64_encode(in, 1, text, 3, BASE64_URL), 2);
  CHECK_EQ_STR(text, "Zg");
  CHECK_EQ_INT(base64_encode(in, 0, text, 0, BASE64_URL), -1);
  CHECK_EQ_INT(base64_encode(in, 0, text, 1, BASE64_URL), 0);
  CHECK_EQ_STR(text, "");
}

static void test_invalid_variant_and_args(void) {
  uint8_t out[8];
  char text[16];
  size_t len = 0;
  CHECK_EQ_INT(base64_encode((const uint8_t *)"f", 1, text, sizeof text, 2), -1);
  CHECK_EQ_INT(base64_encode((const uint8_t *)"f", 0, text, sizeof text, -1), -1);
  CHECK_EQ_INT(base64_encode(NULL, 1, text, sizeof text, BASE64_STD), -1);
  CHECK_EQ_INT(dec("Zg==", out, sizeof out, &len, 2), -1);
  CHECK_EQ_INT(dec("Zg==", out, sizeof out, NULL, BASE64_STD), -1);
  CHECK_EQ_INT(base64_decode(NULL, 4, out, sizeof out, &len, BASE64_STD), -1);
  CHECK_EQ_INT(base64_decode(NULL, 0, NULL, 0, &len, BASE64_STD), 0);
  CHECK_EQ_INT(len, 0);
}

static void test_decode_output_too_small(void) {
  uint8_t out[8];
  size_t len = 77;
  CHECK_EQ_INT(dec("Zm9vYmFy", out, 5, &len, BASE64_STD), -1);
  CHECK_EQ_INT(len, 77);
  CHECK_EQ_INT(dec("Zm9vYmFy", out, 6, &len, BASE64_STD), 0);
  CHECK_EQ_INT(len, 6);
  CHECK_EQ_INT(dec("Zm9vYmE=", out, 4, &len, BASE64_STD), -1);
  CHECK_EQ_INT(dec("Zm9vYmE=", out, 5, &len, BASE64_STD), 0);
  CHECK_EQ_INT(dec("Zm9vYmE", out, 4, &len, BASE64_URL), -1);
  CHECK_EQ_INT(dec("Zm9vYmE", out, 5, &len, BASE64_URL), 0);
  CHECK_EQ_INT(dec("Zg", out, 0, &len, BASE64_URL), -1);
  CHECK_EQ_INT(dec("Zg", NULL, 8, &len, BASE64_URL), -1);
  CHECK_EQ_INT(dec("", NULL, 0, &len, BASE64_URL), 0);
  CHECK_EQ_INT(len, 0);
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
    CHECK(rejects(std_bad[i], BASE64_STD));
  }
  for (size_t i = 0; i < sizeof url_bad / sizeof url_bad[0]; i++) {
    CHECK(rejects(url_bad[i], BASE64_URL));
  }
}

/* Every byte outside the alphabet, in each position of a 4-char group. */
static void test_decode_rejects_every_non_alphabet_byte(void) {
  for (int v = 0; v <= 1; v++) {
    for (int c = 0; c < 256; c++) {
      int in_alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') ||
                     (v == BASE64_STD ? (c == '+' || c == '/') : (c == '-' || c == '_'));
      for (size_t pos = 0; pos < 4; pos++) {
        char s[4] = {'A', 'A', 'A', 'A'};
        uint8_t out[8];
        size_t len = 0;
        int rc;
        s[pos] = (char)c;
        rc = base64_decode(s, 4, out, sizeof out, &len, v);
        if (in_alpha) {
          CHECK_EQ_INT(rc, 0);
        } else if (c == '=' && v == BASE64_STD && pos == 3) {
          CHECK_EQ_INT(rc, 0); /* "AAA=" is valid padding, not a bad char */
          CHECK_EQ_INT(len, 2);
        } else {
          CHECK_EQ_INT(rc, -1);
        }
      }
    }
  }
}

/* A NUL inside the counted length is just another invalid character. */
static void test_decode_rejects_embedded_nul(void) {
  uint8_t out[8];
  size_t len = 0;
  CHECK_EQ_INT(base64_decode("Zm\0v", 4, out, sizeof out, &len, BASE64_STD), -1);
  CHECK_EQ_INT(base64_decode("Zm9v\0\0\0\0", 8, out, sizeof out, &len, BASE64_STD), -1);
  CHECK_EQ_INT(base64_decode("Zm9v\0", 5, out, sizeof out, &len, BASE64_URL), -1);
  CHECK_EQ_INT(base64_decode("Zm9v\0", 4, out, sizeof out, &len, BASE64_URL), 0);
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
    if (!rejects(bad[i], BASE64_STD)) fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
    CHECK(rejects(bad[i], BASE64_STD));
  }
}

static void test_url_rejects_padding_and_len_mod4_1(void) {
  static const char *const bad[] = {
      "Zg==", "Zm8=", "Zg=", "Zm9vYg==", "=", "====", "Z", "Zm9vY", "Zm9vYmFyZ", "Zm9=v",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(rejects(bad[i], BASE64_URL));
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
    CHECK_EQ_INT(rejects(s2std, BASE64_STD), !ok2);
    CHECK_EQ_INT(rejects(s3std, BASE64_STD), !ok3);
    CHECK_EQ_INT(rejects(s2url, BASE64_URL), !ok2);
    CHECK_EQ_INT(rejects(s3url, BASE64_URL), !ok3);
  }
  CHECK(rejects("Zh==", BASE64_STD));
  CHECK(rejects("Zm9=", BASE64_STD));
  CHECK(rejects("Zh", BASE64_URL));
  CHECK(rejects("Zm9", BASE64_URL));
  CHECK(rejects("Zm9vYh==", BASE64_STD));
  CHECK(rejects("Z/==", BASE64_STD));
  CHECK(rejects("Z_", BASE64_URL));
  CHECK(!rejects("Zw==", BASE64_STD)); /* w = 48, low 4 bits clear */
}

/* A failed decode does not leave decoded bytes behind in out. */
static void test_decode_failure_leaves_no_output(void) {
  uint8_t out[16];
  size_t len = 5;
  memset(out, 0xAA, sizeof out);
  CHECK_EQ_INT(dec("Zm9vYmFyZm9v!m9v", out, sizeof out, &len, BASE64_STD), -1);
  CHECK_EQ_INT(len, 5);
  for (size_t i = 0; i < 6; i++) CHECK(out[i] != "foobar"[i]);
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
           {"decode_failure_leaves_no_output", test_decode_failure_leaves_no_output});
