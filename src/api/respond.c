/* JSON responses and request-body parsing shared by every API handler. */
#include <string.h>
#include <strings.h>

#include "api/api.h"

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

void api_field_error(json_t *errors, const char *field, const char *reason) {
  json_t *list = json_object_get(errors, field);
  if (!list) {
    list = json_array();
    json_object_set_new(errors, field, list);
  }
  json_array_append_new(list, json_string(reason));
}

void api_invalid(http_response *res, json_t *errors) {
  api_json(res, 422, json_pack("{s:s,s:o}", "message", "The given data was invalid.", "errors", errors));
}

json_t *api_parse_body(const http_request *req, http_response *res) {
  const char *ct = http_header(req, "Content-Type");
  if (req->body_len > 0 && ct && strncasecmp(ct, "application/json", 16) != 0) {
    api_error(res, 415, "Content-Type must be application/json.");
    return NULL;
  }
  size_t n = req->body_len;
  while (n && strchr(" \t\r\n", req->body[n - 1])) n--;
  if (n == 0) return json_object(); /* no body: no fields */
  json_error_t err;
  /* Duplicate keys are refused: two values for one field is ambiguous. */
  json_t *v = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
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
    api_field_error(errors, "body", "must be a JSON object");
    api_invalid(res, errors);
    return NULL;
  }
  return v;
}
