/* Strict parsing of list parameters: digits only, bounded, no silent clamping. */
#include "api/pagination.h"

#include <string.h>

#include "core/ids.h"
#include "model/room_fields.h"

/* Parses a decimal integer of digits only within [lo, hi]. */
static int parse_bounded(const char *s, long lo, long hi, long *out) {
  if (!*s || strlen(s) > 9) return -1;
  long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
  }
  if (v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int pagination_parse(const char *limit, const char *offset, const char *order, const char *after,
                     room_query *q, json_t *errors) {
  int problems = 0;
  long v;
  q->limit = PAGE_MAX;
  q->offset = 0;
  q->ascending = false;
  q->after_id = NULL;
  if (limit) {
    if (parse_bounded(limit, 1, PAGE_MAX, &v) == 0) q->limit = (int)v;
    else problems++, field_error(errors, "limit", "must be an integer from 1 to 100");
  }
  if (offset) {
    if (parse_bounded(offset, 0, 100000000, &v) == 0) q->offset = (int)v;
    else problems++, field_error(errors, "offset", "must be an integer from 0 to 100000000");
  }
  if (order) {
    if (strcmp(order, "asc") == 0) q->ascending = true;
    else if (strcmp(order, "desc") != 0)
      problems++, field_error(errors, "order", "must be \"asc\" or \"desc\"");
  }
  if (after) {
    if (uuid_is_valid(after)) q->after_id = after; /* the store compares ids case-insensitively */
    else problems++, field_error(errors, "after", "must be the id of a room");
  }
  return problems;
}
