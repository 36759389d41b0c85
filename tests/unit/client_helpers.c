/* Helpers shared by the client's test suites (client_helpers.h). */
#include "client_helpers.h"

static void pump_cb(uv_timer_t *t) { (void)t; }

bool ct_run_until(uv_loop_t *loop, ct_cond_fn cond, void *ctx, uint64_t ms) {
  uv_timer_t pump;
  uv_timer_init(loop, &pump);
  uv_timer_start(&pump, pump_cb, 5, 5);
  uv_update_time(loop);
  uint64_t end = uv_now(loop) + ms;
  bool ok;
  while (!(ok = cond(ctx)) && uv_now(loop) < end) uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&pump, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

bool ct_never(void *ctx) {
  (void)ctx;
  return false;
}

void ct_run_for(uv_loop_t *loop, uint64_t ms) { ct_run_until(loop, ct_never, NULL, ms); }
