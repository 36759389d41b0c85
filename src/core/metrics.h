/* Process metrics in Prometheus text format: HTTP requests by route, method
 * and status; gauges are filled in by the caller when rendering. */
#ifndef SEALROOM_METRICS_H
#define SEALROOM_METRICS_H

#include <stdint.h>

typedef struct metrics metrics;

metrics *metrics_new(void);
void metrics_free(metrics *m);
/* route must be a static string (a route pattern, not a raw path). */
void metrics_count_request(metrics *m, const char *method, const char *route, int status);
/* Renders every counter plus the given gauges; returns a malloc'd string. */
char *metrics_render(const metrics *m, int64_t rooms, double uptime_seconds, const char *version);

#endif
