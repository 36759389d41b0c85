/* libFuzzer target: a request body through JSON parsing and the room field
 * rules, then the result back to JSON; also the query and time parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/pagination.h"
#include "model/room_fields.h"
#include "core/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static role roles[3] = {
    {"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c01", "moderator", "Moderator", 127, true},
    {"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c02", "speaker", "Speaker", 7, true},
    {"6f1d6a3e-5b5c-4a8e-9c57-8f0a2d1b3c03", "attendee", "Attendee", 4, true},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
  if (json_is_object(body)) {
    static room r;
    room_defaults(&r, roles, 3);
    json_t *errors = json_object();
    room_apply_fields(&r, body, roles, 3, 1800000000, size % 2 == 0, errors);
    json_t *out = room_to_json(&r, roles, 3, "http://localhost:8080");
    char *text = json_dumps(out, JSON_COMPACT);
    free(text);
    json_decref(out);
    json_decref(errors);
  }
  json_decref(body);
  /* The same bytes as query values and timestamps. */
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  room_query q;
  json_t *errors = json_object();
  pagination_parse(s, s, s, s, &q, errors);
  json_decref(errors);
  int64_t t;
  iso8601_parse(s, &t);
  free(s);
  return 0;
}
