/* JSON responses and request-body parsing shared by every API handler. */
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "model/room_fields.h"

void api_json(http_response *res, int status, json_t *body) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!text) {
    http_set_text(res, 500, "application/json", "{\"message\":\"Internal server error.\"}");
    return;
  }
  http_set_body(res, status, "application/json", text, strlen(text));
}

void api_error(http_response *res, int status, const char *message) {
  api_json(res, status, json_pack("{s:s}", "message", message));
}

void api_internal_error(http_response *res) { api_error(res, 500, "Internal server error."); }

void api_store_error(http_response *res, store_status st, const char *not_found) {
  if (st == STORE_NOT_FOUND) api_error(res, 404, not_found);
  else api_internal_error(res);
}

void api_invalid(http_response *res, json_t *errors) {
  api_json(res, 422, json_pack("{s:s,s:o}", "message", "The given data was invalid.", "errors", errors));
}

/* True if any string inside v holds a NUL byte (from a "\u0000" escape). */
static int contains_nul(const json_t *v) {
  size_t i;
  const char *key;
  json_t *item;
  if (json_is_string(v)) return strlen(json_string_value(v)) != json_string_length(v);
  if (json_is_array(v)) {
    json_array_foreach((json_t *)v, i, item) if (contains_nul(item)) return 1;
  }
  if (json_is_object(v)) {
    json_object_foreach((json_t *)v, key, item) if (contains_nul(item)) return 1;
  }
  return 0;
}

json_t *api_parse_body(const http_request *req, http_response *res) {
  const char *ct = http_header(req, "Content-Type");
  /* "application/json", optionally with parameters ("; charset=utf-8"). */
  const char *rest = ct && strncasecmp(ct, "application/json", 16) == 0 ? ct + 16 : NULL;
  while (rest && (*rest == ' ' || *rest == '\t')) rest++;
  if (req->body_len > 0 && ct && (!rest || (*rest && *rest != ';'))) {
    api_error(res, 415, "Content-Type must be application/json.");
    return NULL;
  }
  size_t n = req->body_len;
  while (n && (req->body[n - 1] == ' ' || req->body[n - 1] == '\t' || req->body[n - 1] == '\r' ||
               req->body[n - 1] == '\n'))
    n--;
  if (n == 0) return json_object(); /* no body: no fields */
  json_error_t err;
  /* Duplicate keys are refused: two values for one field is ambiguous.
   * Escaped NULs ("\u0000") are valid JSON: they are parsed, then refused
   * per field (422) below. Numbers too large for an integer are parsed as
   * reals so that they get a per-field 422 instead of a parse error. */
  json_t *v = json_loadb(req->body, req->body_len,
                         JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
  if (!v && strstr(err.text, "too big")) {
    v = json_loadb(req->body, req->body_len,
                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
  }
  if (!v) {
    char msg[256];
    snprintf(msg, sizeof msg, "Malformed JSON: %s (at byte %d).", err.text, err.position);
    /* jansson may quote the offending input: keep the message ASCII. */
    for (char *p = msg; *p; p++)
      if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
    api_error(res, 400, msg);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    json_t *errors = json_object();
    field_error(errors, "body", "must be a JSON object");
    api_invalid(res, errors);
    return NULL;
  }
  json_t *errors = json_object();
  const char *key;
  json_t *item;
  json_object_foreach(v, key, item) {
    if (contains_nul(item)) field_error(errors, key, "must not contain NUL characters");
  }
  if (json_object_size(errors)) {
    json_decref(v);
    api_invalid(res, errors);
    return NULL;
  }
  json_decref(errors);
  return v;
}
