/* sealroom-e2ee: command-line access to the E2EE library (docs/e2ee.md) for
 * debugging, interoperability checks and recordings: encrypt and decrypt one
 * media frame, wrap and unwrap a key message, compute a security code from a
 * roster, make a key pair. Bytes are hex on the command line and on output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "sealroom_e2ee.h"

static const char usage[] =
    "usage: sealroom-e2ee COMMAND [OPTIONS]\n"
    "\n"
    "Commands (bytes in hex unless said otherwise):\n"
    "  encrypt --key HEX --kid N --ctr N [--suite N] [--codec C] --frame HEX\n"
    "      Encrypts one frame: prints clear_prefix || SFrame header || ciphertext || tag.\n"
    "      --key is the base key; the SFrame key and salt are derived for KID and suite.\n"
    "  decrypt --key HEX [--kid N] [--suite N] [--codec C] --frame HEX\n"
    "      Decrypts one wire frame: prints clear_prefix || plaintext, and on stderr the\n"
    "      header's KID (slot/generation/step) and CTR. --kid, when given, must match.\n"
    "  wrap --priv HEX --peer-pub KEY --self-id ID --peer-id ID --session SID --slot N\n"
    "       --epoch N --step N --base-key HEX [--name TEXT] [--nonce HEX]\n"
    "      Seals a key message (v2) from self (slot N) to peer: prints the JSON relay\n"
    "      payload. --name is the sender's display name (UTF-8, 0-128 bytes).\n"
    "  unwrap --priv HEX --peer-pub KEY --self-id ID --peer-id ID --session SID --slot N\n"
    "       [--payload JSON]\n"
    "      Opens a key message from peer (whose slot is N) to self; the payload is read\n"
    "      from stdin without --payload. Prints epoch, generation, step, base key, name.\n"
    "  code [FILE]\n"
    "      Reads a roster (FILE or stdin): {\"session_id\": \"...\", \"participants\":\n"
    "      [{\"id\": \"<uuid>\", \"public_key\": \"<base64 or hex>\",\n"
    "        \"signing_key\": \"<base64 or hex>\", \"name\": \"...\"}, ...]}\n"
    "      (signing_key: the 32-byte Ed25519 key; name optional, default empty) and\n"
    "      prints the meeting security code (v3) and each participant's fingerprint.\n"
    "  keygen [--priv HEX]\n"
    "      Prints a fresh X25519 key pair (or the pair of a given private key).\n"
    "\n"
    "Options: --suite 1..8 (default 4, the only suite on the wire); --codec vp8, vp9,\n"
    "opus, other (video), other-audio (default other); KEY is hex (64 digits) or base64.\n"
    "Ids are 36-character participant UUIDs; SID is the room session id string.\n"
    "Exit status: 0 success, 1 the operation failed (status on stderr), 2 usage error.\n";

#define MAX_BYTES 65536

typedef struct {
  const char *name;
  const char *value;
} opt;

static opt opts[24];
static size_t n_opts;

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "sealroom-e2ee: %s%s%s\n(see sealroom-e2ee --help)\n", msg, arg ? ": " : "",
          arg ? arg : "");
  return 2;
}

/* Collects --name value pairs; the first non-option argument goes to *positional. */
static int parse_opts(int argc, char **argv, const char **positional) {
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "--", 2) == 0) {
      if (i + 1 >= argc) return usage_error("missing value for", argv[i]);
      if (n_opts == sizeof opts / sizeof opts[0]) return usage_error("too many options", NULL);
      opts[n_opts++] = (opt){argv[i] + 2, argv[i + 1]};
      i++;
    } else if (positional && !*positional) {
      *positional = argv[i];
    } else {
      return usage_error("unexpected argument", argv[i]);
    }
  }
  return 0;
}

static const char *get(const char *name) {
  for (size_t i = 0; i < n_opts; i++) {
    if (strcmp(opts[i].name, name) == 0) return opts[i].value;
  }
  return NULL;
}

/* Options not in `known` (NULL-terminated) are errors. */
static int check_known(const char *const *known) {
  for (size_t i = 0; i < n_opts; i++) {
    int ok = 0;
    for (const char *const *k = known; *k; k++) ok |= strcmp(*k, opts[i].name) == 0;
    if (!ok) return usage_error("unknown option for this command", opts[i].name);
  }
  return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || !*s || *s == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static long parse_hex(const char *s, uint8_t *out, size_t cap) {
  if (!s) return -1;
  size_t n = strlen(s);
  if (n % 2 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int h = nibble(s[2 * i]), l = nibble(s[2 * i + 1]);
    if (h < 0 || l < 0) return -1;
    out[i] = (uint8_t)(h << 4 | l);
  }
  return (long)(n / 2);
}

/* A 32-byte key in hex or base64. */
static int parse_key32(const char *s, uint8_t out[32]) {
  if (!s) return -1;
  if (strlen(s) == 64) return parse_hex(s, out, 32) == 32 ? 0 : -1;
  size_t n = 0;
  return sre_base64_decode(s, strlen(s), out, 32, &n) == SRE_OK && n == 32 ? 0 : -1;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
  fputc('\n', f);
}

static int fail(const char *what, sre_status st) {
  fprintf(stderr, "sealroom-e2ee: %s: %s (%s)\n", what, sre_status_name(st), sre_strerror(st));
  return 1;
}

/* Options shared by encrypt and decrypt. */
typedef struct {
  uint8_t key[SRE_BASE_KEY_MAX];
  long key_len;
  uint64_t suite;
  sre_codec codec;
  uint8_t *frame;
  long frame_len;
} frame_args;

static int frame_common(frame_args *a) {
  a->key_len = parse_hex(get("key"), a->key, sizeof a->key);
  if (a->key_len <= 0) return usage_error("--key must be 1-64 bytes of hex", get("key"));
  a->suite = SRE_SUITE_WIRE;
  if (get("suite") && parse_u64(get("suite"), 0xffff, &a->suite) != 0) {
    return usage_error("bad --suite", get("suite"));
  }
  a->codec = SRE_CODEC_OTHER_VIDEO;
  if (get("codec") && !sre_codec_from_name(get("codec"), &a->codec)) {
    return usage_error("unknown --codec", get("codec"));
  }
  a->frame = malloc(MAX_BYTES);
  if (!a->frame) return 1;
  a->frame_len = get("frame") ? parse_hex(get("frame"), a->frame, MAX_BYTES) : -1;
  if (a->frame_len < 0) return usage_error("--frame must be hex (up to 64 KiB)", NULL);
  return 0;
}

static int cmd_encrypt(void) {
  static const char *const known[] = {"key", "kid", "ctr", "suite", "codec", "frame", NULL};
  frame_args a = {0};
  uint64_t kid, ctr;
  int rc = check_known(known);
  if (!rc) rc = frame_common(&a);
  if (!rc && parse_u64(get("kid"), UINT64_MAX, &kid) != 0) rc = usage_error("bad --kid", get("kid"));
  if (!rc && parse_u64(get("ctr"), UINT64_MAX, &ctr) != 0) rc = usage_error("bad --ctr", get("ctr"));
  if (rc) {
    free(a.frame);
    return rc;
  }
  sre_key k;
  uint8_t *out = malloc(MAX_BYTES + SRE_OVERHEAD_MAX);
  size_t n = 0;
  sre_status st = out ? sre_key_init(&k, (unsigned)a.suite, kid, a.key, (size_t)a.key_len)
                      : SRE_ERR_CRYPTO;
  if (st == SRE_OK) {
    st = sre_frame_encrypt(&k, a.codec, ctr, a.frame, (size_t)a.frame_len, out,
                           MAX_BYTES + SRE_OVERHEAD_MAX, &n);
    sre_key_clear(&k);
  }
  if (st == SRE_OK) print_hex(stdout, out, n);
  OPENSSL_cleanse(a.key, sizeof a.key);
  free(out);
  free(a.frame);
  return st == SRE_OK ? 0 : fail("encrypt", st);
}

static int cmd_decrypt(void) {
  static const char *const known[] = {"key", "kid", "suite", "codec", "frame", NULL};
  frame_args a = {0};
  int rc = check_known(known);
  if (!rc) rc = frame_common(&a);
  uint64_t want_kid = 0;
  if (!rc && get("kid") && parse_u64(get("kid"), UINT64_MAX, &want_kid) != 0) {
    rc = usage_error("bad --kid", get("kid"));
  }
  if (rc) {
    free(a.frame);
    return rc;
  }
  uint8_t *out = malloc(MAX_BYTES);
  size_t n = 0, p = 0;
  sre_header h;
  sre_status st = SRE_OK;
  if (a.frame_len == 0 && sre_codec_is_audio(a.codec)) {
    fprintf(stderr, "empty audio frame (DTX)\n");
  } else {
    if (!out) {
      st = SRE_ERR_CRYPTO;
    } else if (a.suite == SRE_SUITE_WIRE) {
      st = sre_frame_parse(a.codec, a.frame, (size_t)a.frame_len, &p, &h); /* the wire's rules */
    } else {
      /* Other suites have shorter tags: only the header is parsed here. */
      p = sre_codec_prefix_len(a.codec, a.frame, (size_t)a.frame_len);
      st = (size_t)a.frame_len < p ? SRE_ERR_FRAME_TOO_SHORT
                                   : sre_header_parse(a.frame + p, (size_t)a.frame_len - p, &h);
    }
    if (st == SRE_OK && get("kid") && h.kid != want_kid) st = SRE_ERR_NO_KEY;
    sre_key k;
    if (st == SRE_OK) st = sre_key_init(&k, (unsigned)a.suite, h.kid, a.key, (size_t)a.key_len);
    if (st == SRE_OK) {
      st = sre_sframe_decrypt(&k, &h, a.frame, p, a.frame + p, (size_t)a.frame_len - p, out + p,
                              MAX_BYTES - p, &n);
      memcpy(out, a.frame, p);
      n += p;
      sre_key_clear(&k);
    }
    if (st == SRE_OK) {
      uint16_t slot;
      uint8_t g, s;
      if (sre_kid_split(h.kid, &slot, &g, &s)) {
        fprintf(stderr, "kid %llu (slot %u, generation %u, step %u), ctr %llu\n",
                (unsigned long long)h.kid, slot, g, s, (unsigned long long)h.ctr);
      } else {
        fprintf(stderr, "kid %llu, ctr %llu\n", (unsigned long long)h.kid,
                (unsigned long long)h.ctr);
      }
    }
  }
  if (st == SRE_OK) print_hex(stdout, out, n);
  OPENSSL_cleanse(a.key, sizeof a.key);
  if (out) OPENSSL_cleanse(out, MAX_BYTES);
  free(out);
  free(a.frame);
  return st == SRE_OK ? 0 : fail("decrypt", st);
}

/* Options shared by wrap and unwrap: our key pair, the peer, the pairwise key. */
typedef struct {
  sre_keypair self;
  uint8_t peer_pub[32];
  const char *self_id, *peer_id, *session;
  uint64_t slot;
  uint8_t pairwise[SRE_PAIRWISE_KEY_LEN];
} pair_args;

static int pair_common(pair_args *a) {
  uint8_t priv[32];
  if (parse_hex(get("priv"), priv, 32) != 32) return usage_error("--priv must be 32 bytes of hex", NULL);
  sre_status st = sre_keypair_from_private(&a->self, priv);
  OPENSSL_cleanse(priv, sizeof priv);
  if (st != SRE_OK) return fail("private key", st);
  if (parse_key32(get("peer-pub"), a->peer_pub) != 0) {
    return usage_error("--peer-pub must be 32 bytes (hex or base64)", get("peer-pub"));
  }
  a->self_id = get("self-id");
  a->peer_id = get("peer-id");
  a->session = get("session");
  if (!a->self_id || !a->peer_id || !a->session) {
    return usage_error("--self-id, --peer-id and --session are required", NULL);
  }
  if (parse_u64(get("slot"), 0xffff, &a->slot) != 0) return usage_error("bad --slot", get("slot"));
  st = sre_pairwise_key(&a->self, a->self_id, a->peer_pub, a->peer_id,
                        (const uint8_t *)a->session, strlen(a->session), a->pairwise);
  return st == SRE_OK ? 0 : fail("pairwise key", st);
}

static void pair_clear(pair_args *a) {
  sre_keypair_clear(&a->self);
  OPENSSL_cleanse(a->pairwise, sizeof a->pairwise);
}

static int cmd_wrap(void) {
  static const char *const known[] = {"priv",  "peer-pub",   "self-id", "peer-id",  "session",
                                      "slot",  "epoch",   "step",    "base-key", "nonce",
                                      "name",  NULL};
  pair_args a = {0};
  int rc = check_known(known);
  if (!rc) rc = pair_common(&a);
  uint64_t g = 0, step = 0;
  uint8_t base[32], nonce[12];
  long bl = -1;
  if (!rc && (parse_u64(get("epoch"), SRE_EPOCH_MAX, &g) != 0 || g == 0)) {
    rc = usage_error("bad --epoch", NULL);
  }
  if (!rc && parse_u64(get("step"), 255, &step) != 0) rc = usage_error("bad --step", NULL);
  if (!rc && (bl = parse_hex(get("base-key"), base, sizeof base)) < 0) {
    rc = usage_error("bad --base-key", NULL);
  }
  if (!rc && get("nonce") && parse_hex(get("nonce"), nonce, 12) != 12) {
    rc = usage_error("--nonce must be 12 bytes of hex", NULL);
  }
  sre_status st = SRE_OK;
  if (!rc) {
    char json[SRE_PAYLOAD_MAX];
    size_t jl;
    const char *name = get("name") ? get("name") : "";
    st = sre_keymsg_seal(a.pairwise, a.self_id, a.peer_id, (uint16_t)a.slot, (uint32_t)g,
                         (uint8_t)step, base, (size_t)bl, (const uint8_t *)name, strlen(name),
                         get("nonce") ? nonce : NULL, json, sizeof json, &jl);
    if (st == SRE_OK) puts(json);
  }
  OPENSSL_cleanse(base, sizeof base);
  pair_clear(&a);
  if (rc) return rc;
  return st == SRE_OK ? 0 : fail("wrap", st);
}

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) break; /* inputs are small; 64 KiB is plenty */
  }
  if (!buf) return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int cmd_unwrap(void) {
  static const char *const known[] = {"priv", "peer-pub", "self-id", "peer-id",
                                      "session", "slot", "payload", NULL};
  pair_args a = {0};
  int rc = check_known(known);
  if (!rc) rc = pair_common(&a);
  if (rc) {
    pair_clear(&a);
    return rc;
  }
  size_t len = 0;
  char *text = get("payload") ? strdup(get("payload")) : read_all(stdin, &len);
  if (text && get("payload")) len = strlen(text);
  sre_payload p;
  sre_status st = text ? sre_payload_parse(text, len, &p) : SRE_ERR_ARG;
  if (st == SRE_OK && p.type != SRE_PAYLOAD_KEY) st = SRE_ERR_JSON;
  uint8_t base[32];
  size_t bl = 0, nl = 0;
  char name[SRE_NAME_MAX + 1];
  /* The peer sent it: sender = peer, recipient = self, slot = the peer's. */
  if (st == SRE_OK) {
    st = sre_keymsg_open(a.pairwise, a.peer_id, a.self_id, (uint16_t)a.slot, &p, base, &bl, name, &nl);
  }
  if (st == SRE_OK) {
    printf("epoch %lu\ngeneration %u\nstep %u\nbase_key ", (unsigned long)p.epoch,
           sre_epoch_generation(p.epoch), p.step);
    print_hex(stdout, base, bl);
    printf("name %s\n", name);
  }
  OPENSSL_cleanse(base, sizeof base);
  free(text);
  pair_clear(&a);
  return st == SRE_OK ? 0 : fail("unwrap", st);
}

static int cmd_code(const char *file) {
  json_error_t err;
  json_t *root = file && strcmp(file, "-") != 0 ? json_load_file(file, JSON_REJECT_DUPLICATES, &err)
                                                : json_loadf(stdin, JSON_REJECT_DUPLICATES, &err);
  if (!root) {
    fprintf(stderr, "sealroom-e2ee: roster: %s (line %d)\n", err.text, err.line);
    return 1;
  }
  const char *sid = json_string_value(json_object_get(root, "session_id"));
  json_t *parts = json_object_get(root, "participants");
  size_t n = json_array_size(parts);
  int rc = 0;
  if (!sid || !json_is_array(parts) || n == 0 || n > SRE_ROSTER_MAX) {
    fprintf(stderr, "sealroom-e2ee: roster needs session_id and 1-%d participants\n", SRE_ROSTER_MAX);
    json_decref(root);
    return 1;
  }
  sre_member *m = calloc(n, sizeof *m);
  uint8_t(*pubs)[32] = calloc(n, 32);
  uint8_t(*sigs)[32] = calloc(n, 32);
  for (size_t i = 0; m && pubs && sigs && i < n && !rc; i++) {
    json_t *p = json_array_get(parts, i);
    m[i].id = json_string_value(json_object_get(p, "id"));
    m[i].public_key = pubs[i];
    m[i].signing_key = sigs[i];
    json_t *nm = json_object_get(p, "name");
    if (json_is_string(nm)) {
      m[i].name = (const uint8_t *)json_string_value(nm);
      m[i].name_len = json_string_length(nm);
    }
    if (!m[i].id || parse_key32(json_string_value(json_object_get(p, "public_key")), pubs[i]) != 0 ||
        parse_key32(json_string_value(json_object_get(p, "signing_key")), sigs[i]) != 0) {
      fprintf(stderr,
              "sealroom-e2ee: participant %zu needs id, a 32-byte public_key and a 32-byte "
              "signing_key\n",
              i);
      rc = 1;
    }
  }
  if (!m || !pubs || !sigs) rc = 1;
  if (!rc) {
    char code[SRE_CODE_STR_LEN];
    sre_status st = sre_security_code((const uint8_t *)sid, strlen(sid), m, n, code);
    if (st != SRE_OK) {
      rc = fail("security code", st);
    } else {
      printf("code %s\n", code);
      for (size_t i = 0; i < n && !rc; i++) {
        char fp[SRE_FINGERPRINT_STR_LEN];
        st = sre_fingerprint(pubs[i], fp);
        if (st != SRE_OK) rc = fail("fingerprint", st);
        else printf("fingerprint %s %s\n", m[i].id, fp);
      }
    }
  }
  free(m);
  free(pubs);
  free(sigs);
  json_decref(root);
  return rc;
}

static int cmd_keygen(void) {
  static const char *const known[] = {"priv", NULL};
  int rc = check_known(known);
  if (rc) return rc;
  sre_keypair kp;
  sre_status st;
  if (get("priv")) {
    uint8_t priv[32];
    if (parse_hex(get("priv"), priv, 32) != 32) return usage_error("--priv must be 32 bytes of hex", NULL);
    st = sre_keypair_from_private(&kp, priv);
    OPENSSL_cleanse(priv, sizeof priv);
  } else {
    st = sre_keypair_generate(&kp);
  }
  if (st != SRE_OK) return fail("keygen", st);
  char b64[64];
  sre_base64_encode(kp.pub, 32, b64, sizeof b64, NULL);
  char fp[SRE_FINGERPRINT_STR_LEN];
  st = sre_fingerprint(kp.pub, fp);
  printf("private ");
  print_hex(stdout, kp.priv, 32);
  printf("public ");
  print_hex(stdout, kp.pub, 32);
  printf("public_base64 %s\nfingerprint %s\n", b64, st == SRE_OK ? fp : "?");
  sre_keypair_clear(&kp);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  const char *positional = NULL;
  int rc = parse_opts(argc - 2, argv + 2, strcmp(cmd, "code") == 0 ? &positional : NULL);
  if (rc) return rc;
  if (get("help")) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "encrypt") == 0) return cmd_encrypt();
  if (strcmp(cmd, "decrypt") == 0) return cmd_decrypt();
  if (strcmp(cmd, "wrap") == 0) return cmd_wrap();
  if (strcmp(cmd, "unwrap") == 0) return cmd_unwrap();
  if (strcmp(cmd, "code") == 0) {
    if (n_opts) return usage_error("code takes no options", NULL);
    return cmd_code(positional);
  }
  if (strcmp(cmd, "keygen") == 0) return cmd_keygen();
  return usage_error("unknown command", cmd);
}
