/* Which simulcast encodings each publisher is asked to send ("video_layers",
 * docs/signalling.md): encoding a 720p stream that no one in the room
 * receives costs the publisher most of its video CPU and uplink. Each
 * publisher's camera is asked for the encodings up to the highest that a
 * member of its room wants of it (video_quality; the highest when a member
 * said nothing), the lowest always (a newcomer's first frame comes from it
 * at once). A higher encoding is asked for at once; a lower one only after
 * LOWER_AFTER_MS of being enough (tiles resize, people come and go). A
 * newcomer's wishes count once it said them, or JOIN_GRACE_MS after it
 * joined (the meeting page says them right after its welcome; a client
 * that never does wants the highest). The SFU still picks what each
 * subscriber gets among what is sent (bandwidth allocator). */
#include <string.h>

#include "signal/internal.h"

#define LOWER_AFTER_MS 3000
#define JOIN_GRACE_MS 2000

uint8_t layers_wanted_by(const participant *p, const char *from) {
  for (int i = 0; i < p->n_video_prefs; i++)
    if (strcmp(p->video_prefs[i].participant_id, from) == 0) return p->video_prefs[i].layer;
  return SFU_MAX_LAYERS - 1;
}

static bool counts(const participant *q, uint64_t now_ms) {
  return q->quality_said || now_ms - q->joined_ms >= JOIN_GRACE_MS;
}

/* The highest encoding of pub's camera that a counted member wants, capped
 * at its top. */
static uint8_t wanted_top(const live_room *lr, const participant *pub, uint8_t top, uint64_t now_ms) {
  uint8_t want = 0;
  for (const participant *q = lr->members; q && want < top; q = q->next) {
    if (q == pub || !counts(q, now_ms)) continue;
    uint8_t l = layers_wanted_by(q, pub->id);
    if (l > want) want = l;
  }
  return want < top ? want : top;
}

/* Tells pub to send its camera's encodings up to `top`. */
static void ask(participant *pub, pub_track *t, uint8_t top) {
  t->layers_on = top;
  t->lower_since_ms = 0;
  json_t *active = json_array();
  for (int l = 0; l <= top && l < t->sfu.n_layers; l++) json_array_append_new(active, json_string(t->sfu.rids[l]));
  session_send(pub->sess, json_pack("{s:s,s:s,s:o}", "type", "video_layers", "mid", t->mid, "active", active));
}

static bool is_simulcast_camera(const pub_track *t) {
  return t->simulcast && t->source == SOURCE_CAMERA && t->sfu.n_layers >= 2;
}

/* One publisher's camera: raise now, lower once it has been enough for a
 * while. True while something is still pending. */
static bool settle(const live_room *lr, participant *pub, pub_track *t, uint64_t now_ms) {
  uint8_t top = (uint8_t)(t->sfu.n_layers - 1);
  uint8_t want = wanted_top(lr, pub, top, now_ms);
  if (want > t->layers_on) {
    ask(pub, t, want);
  } else if (want == t->layers_on) {
    t->lower_since_ms = 0;
  } else if (!t->lower_since_ms) {
    t->lower_since_ms = now_ms ? now_ms : 1;
  } else if (now_ms - t->lower_since_ms >= LOWER_AFTER_MS) {
    ask(pub, t, want);
  }
  return t->lower_since_ms != 0;
}

void layers_settle(signal_server *srv, live_room *lr) {
  uint64_t now_ms = uv_now(srv->loop);
  bool pending = false;
  for (participant *q = lr->members; q; q = q->next) {
    pending |= !counts(q, now_ms);
    if (!q->sess || q->sess->closing) continue;
    for (int i = 0; i < q->n_tracks; i++)
      if (is_simulcast_camera(&q->tracks[i])) pending |= settle(lr, q, &q->tracks[i], now_ms);
  }
  lr->layers_pending = pending;
}

void layers_wish(participant *pub, uint8_t layer) {
  for (int i = 0; i < pub->n_tracks; i++) {
    pub_track *t = &pub->tracks[i];
    if (!is_simulcast_camera(t) || !pub->sess || pub->sess->closing) continue;
    uint8_t top = (uint8_t)(t->sfu.n_layers - 1);
    if (layer > top) layer = top;
    if (layer > t->layers_on) ask(pub, t, layer);
  }
  pub->room->layers_pending = true; /* perhaps less is wanted now */
}

void layers_check(signal_server *srv) {
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    if (lr->layers_pending) layers_settle(srv, lr);
}

void layers_published(pub_track *t, const pub_track *before, int n_before) {
  t->layers_on = t->sfu.n_layers ? (uint8_t)(t->sfu.n_layers - 1) : 0; /* a new sender starts with all */
  t->lower_since_ms = 0;
  for (int i = 0; i < n_before; i++)
    if (strcmp(before[i].mid, t->mid) == 0 && before[i].simulcast && t->simulcast) {
      t->layers_on = before[i].layers_on < t->layers_on ? before[i].layers_on : t->layers_on;
      t->lower_since_ms = before[i].lower_since_ms;
    }
}
