/* Request counters in a small fixed table: the number of (route, method,
 * status) combinations is bounded because routes are patterns and unknown
 * methods are folded into "OTHER". */
#include "core/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 256

typedef struct {
  const char *route;
  char method[8];
  int status;
  uint64_t count;
} series;

struct metrics {
  series s[MAX_SERIES];
  int n;
  uint64_t dropped; /* combinations beyond MAX_SERIES */
};

metrics *metrics_new(void) { return calloc(1, sizeof(metrics)); }
void metrics_free(metrics *m) { free(m); }

static const char *known_method(const char *m) {
  static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(m, known[i]) == 0) return known[i];
  return "OTHER";
}

void metrics_count_request(metrics *m, const char *method, const char *route, int status) {
  const char *meth = known_method(method);
  for (int i = 0; i < m->n; i++) {
    if (m->s[i].status == status && m->s[i].route == route && strcmp(m->s[i].method, meth) == 0) {
      m->s[i].count++;
      return;
    }
  }
  if (m->n == MAX_SERIES) {
    m->dropped++;
    return;
  }
  series *s = &m->s[m->n++];
  s->route = route;
  snprintf(s->method, sizeof s->method, "%s", meth);
  s->status = status;
  s->count = 1;
}

char *metrics_render(const metrics *m, int64_t rooms, double uptime, const char *version) {
  size_t cap = 1024 + (size_t)m->n * 160;
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t n = 0;
#define EMIT(...) n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__)
  EMIT("# HELP sealroom_http_requests_total HTTP requests by route pattern, method and status.\n"
       "# TYPE sealroom_http_requests_total counter\n");
  for (int i = 0; i < m->n; i++)
    EMIT("sealroom_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
         m->s[i].route, m->s[i].method, m->s[i].status, (unsigned long long)m->s[i].count);
  EMIT("# HELP sealroom_rooms Rooms stored.\n# TYPE sealroom_rooms gauge\nsealroom_rooms %lld\n",
       (long long)rooms);
  EMIT("# HELP sealroom_uptime_seconds Seconds since sealroomd started.\n"
       "# TYPE sealroom_uptime_seconds gauge\nsealroom_uptime_seconds %.3f\n", uptime);
  EMIT("# HELP sealroom_build_info Build information.\n# TYPE sealroom_build_info gauge\n"
       "sealroom_build_info{version=\"%s\"} 1\n", version);
#undef EMIT
  if (n >= cap) {
    free(out);
    return NULL;
  }
  return out;
}
