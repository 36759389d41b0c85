/* Relay payloads of E2EE, version 2 (docs/e2ee.md 7.2, 7.3, 9): strict
 * parsing of the key, ack and chat JSON objects, and the writer shared by key
 * and chat. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/base64.h"
#include "internal.h"

sre_status sre__sealed_json(const char *type, uint32_t epoch, uint8_t r,
                            const uint8_t nonce[SRE_NONCE_LEN], const uint8_t *c, size_t c_len,
                            char *json, size_t json_cap, size_t *json_len) {
  char n64[SR_BASE64_STD_LEN(SRE_NONCE_LEN) + 1], c64[SR_BASE64_STD_LEN(SRE_SEALED_MAX) + 1];
  if (c_len > SRE_SEALED_MAX) return SRE_ERR_ARG;
  sre_status st = sre_base64_encode(nonce, SRE_NONCE_LEN, n64, sizeof n64, NULL);
  if (st == SRE_OK) st = sre_base64_encode(c, c_len, c64, sizeof c64, NULL);
  if (st != SRE_OK) return st;
  int n = snprintf(json, json_cap,
                   "{\"t\":\"%s\",\"v\":2,\"e\":%lu,\"r\":%u,\"n\":\"%s\",\"c\":\"%s\"}", type,
                   (unsigned long)epoch, (unsigned)r, n64, c64);
  if (n < 0) return SRE_ERR_ARG;
  if ((size_t)n >= json_cap) return SRE_ERR_BUFFER;
  *json_len = (size_t)n;
  return SRE_OK;
}

sre_status sre_ack_write(uint32_t epoch, char *json, size_t json_cap, size_t *json_len) {
  if (json_len) *json_len = 0;
  if (!json || !json_len || epoch == 0) return SRE_ERR_ARG;
  int n = snprintf(json, json_cap, "{\"t\":\"ack\",\"v\":2,\"e\":%lu}", (unsigned long)epoch);
  if (n < 0) return SRE_ERR_ARG;
  if ((size_t)n >= json_cap) return SRE_ERR_BUFFER;
  *json_len = (size_t)n;
  return SRE_OK;
}

/* An integer member in [lo, hi]. */
static sre_status get_int(json_t *o, const char *name, json_int_t lo, json_int_t hi,
                          json_int_t *out) {
  json_t *v = json_object_get(o, name);
  if (!json_is_integer(v)) return SRE_ERR_JSON;
  json_int_t x = json_integer_value(v);
  if (x < lo || x > hi) return SRE_ERR_JSON;
  *out = x;
  return SRE_OK;
}

/* A base64 string member decoding to between min and max bytes. */
static sre_status get_b64(json_t *o, const char *name, uint8_t *out, size_t min, size_t max,
                          size_t *len) {
  json_t *v = json_object_get(o, name);
  if (!json_is_string(v)) return SRE_ERR_JSON;
  size_t slen = json_string_length(v);
  if (slen > sre_base64_encoded_len(max)) return SRE_ERR_JSON;
  sre_status st = sre_base64_decode(json_string_value(v), slen, out, max, len);
  if (st == SRE_ERR_BUFFER) return SRE_ERR_JSON;
  if (st != SRE_OK) return st;
  return *len < min ? SRE_ERR_JSON : SRE_OK;
}

static sre_status parse_object(json_t *o, sre_payload *out) {
  json_t *t = json_object_get(o, "t");
  if (!json_is_string(t)) return SRE_ERR_JSON;
  const char *type = json_string_value(t);
  size_t members;
  if (strcmp(type, "key") == 0) {
    out->type = SRE_PAYLOAD_KEY, members = 6;
  } else if (strcmp(type, "chat") == 0) {
    out->type = SRE_PAYLOAD_CHAT, members = 6;
  } else if (strcmp(type, "ack") == 0) {
    out->type = SRE_PAYLOAD_ACK, members = 3;
  } else {
    return SRE_ERR_JSON;
  }
  json_int_t v, e, r = 0;
  sre_status st = get_int(o, "v", 0, INT32_MAX, &v);
  if (st != SRE_OK) return st;
  if (v != SRE_PROTOCOL_VERSION) return SRE_ERR_VERSION;
  /* Every member must be known: with "t", "v", "e" (and "r", "n", "c") present,
   * the count tells that there is nothing else. */
  if (json_object_size(o) != members) return SRE_ERR_JSON;
  if ((st = get_int(o, "e", 1, SRE_EPOCH_MAX, &e)) != SRE_OK) return st;
  out->epoch = (uint32_t)e;
  if (out->type == SRE_PAYLOAD_ACK) return SRE_OK;
  if ((st = get_int(o, "r", 0, 255, &r)) != SRE_OK) return st;
  out->step = (uint8_t)r;
  size_t nlen = 0;
  if ((st = get_b64(o, "n", out->nonce, SRE_NONCE_LEN, SRE_NONCE_LEN, &nlen)) != SRE_OK) return st;
  /* A key message: a 16- or 32-byte key and a name of 0-128 bytes, whether
   * the split matches r is checked when it is opened (SRE_ERR_KEY_LENGTH). */
  size_t min = out->type == SRE_PAYLOAD_KEY ? SRE_KEYMSG_C_MIN : SRE_CHAT_HEAD_LEN + 1 + 16;
  size_t max = out->type == SRE_PAYLOAD_KEY ? SRE_KEYMSG_C_MAX : SRE_SEALED_MAX;
  return get_b64(o, "c", out->c, min, max, &out->c_len);
}

sre_status sre_payload_parse(const char *json, size_t json_len, sre_payload *out) {
  if (!json || !out) return SRE_ERR_ARG;
  memset(out, 0, sizeof *out);
  if (json_len > SRE_PAYLOAD_MAX * 4) return SRE_ERR_JSON;
  json_error_t err;
  json_t *o = json_loadb(json, json_len, JSON_REJECT_DUPLICATES, &err);
  sre_status st = json_is_object(o) ? parse_object(o, out) : SRE_ERR_JSON;
  json_decref(o);
  if (st != SRE_OK) memset(out, 0, sizeof *out);
  return st;
}
