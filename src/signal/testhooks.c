/* Test mode only: the hostile server on request. /_test/inject sends any
 * JSON object to a participant as if the server had written it; /_test/welcome
 * rewrites the next welcome of a room. Both exist so that tests can show what
 * the meeting page does when the server lies (docs/e2ee.md 12.2). /_test/shape
 * gives a participant a slow downlink (the bandwidth allocator's test). The
 * routes are absent without --test-mode (api/router.c). */
#include <string.h>

#include "core/log.h"
#include "signal/internal.h"

int signal_test_inject(signal_server *srv, const char *participant_id, const json_t *msg) {
  if (!srv->cfg->test_mode || !json_is_object(msg)) return -1;
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    for (participant *q = lr->members; q; q = q->next)
      if (strcmp(q->id, participant_id) == 0) {
        log_warn("test mode: injecting a message to %s", q->id);
        session_send(q->sess, json_deep_copy(msg));
        return 0;
      }
  return -1;
}

int signal_test_shape(signal_server *srv, const char *participant_id, int kbps) {
  if (!srv->cfg->test_mode || kbps < 0) return -1;
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    for (participant *q = lr->members; q; q = q->next)
      if (strcmp(q->id, participant_id) == 0 && q->sub_transport) {
        log_warn("test mode: %s's downlink limited to %d kbps", q->id, kbps);
        return sfu_transport_test_shape(srv->media, q->sub_transport, (uint32_t)kbps) == SFU_OK ? 0 : -1;
      }
  return -1;
}

int signal_test_welcome_patch(signal_server *srv, const char *room_id, const json_t *patch) {
  if (!srv->cfg->test_mode || !json_is_object(patch)) return -1;
  json_t *copy = json_deep_copy(patch);
  if (!copy) return -1;
  for (int i = 0; i < srv->n_patches; i++)
    if (strcmp(srv->patches[i].room_id, room_id) == 0) {
      json_decref(srv->patches[i].patch);
      srv->patches[i].patch = copy;
      return 0;
    }
  if (srv->n_patches == MAX_WELCOME_PATCHES) {
    json_decref(copy);
    return -1;
  }
  welcome_patch *wp = &srv->patches[srv->n_patches++];
  snprintf(wp->room_id, sizeof wp->room_id, "%s", room_id);
  wp->patch = copy;
  return 0;
}

/* RFC 7386: an object patch merges member by member (null deletes),
 * anything else replaces the target. Recursion is bounded by jansson's
 * parse depth limit. */
static json_t *merge_patch(json_t *target, const json_t *patch) {
  if (!json_is_object(patch)) {
    json_decref(target);
    return json_deep_copy(patch);
  }
  if (!json_is_object(target)) {
    json_decref(target);
    target = json_object();
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)patch, key, v) {
    if (json_is_null(v)) {
      json_object_del(target, key);
    } else {
      json_t *cur = json_object_get(target, key);
      json_object_set_new(target, key, merge_patch(json_incref(cur), v));
    }
  }
  return target;
}

void testhooks_patch_welcome(signal_server *srv, const char *room_id, json_t *welcome) {
  for (int i = 0; i < srv->n_patches; i++) {
    if (strcmp(srv->patches[i].room_id, room_id) != 0) continue;
    json_t *patch = srv->patches[i].patch;
    srv->patches[i] = srv->patches[--srv->n_patches];
    log_warn("test mode: sending a patched welcome in room %s", room_id);
    json_incref(welcome);
    json_t *merged = merge_patch(welcome, patch); /* an object patch merges in place */
    json_decref(merged);
    json_decref(patch);
    return;
  }
}

void testhooks_free(signal_server *srv) {
  for (int i = 0; i < srv->n_patches; i++) json_decref(srv->patches[i].patch);
  srv->n_patches = 0;
}
