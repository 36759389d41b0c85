/* Which simulcast encodings each publisher is asked to send ("video_layers",
 * docs/signalling.md): encoding a 720p stream that no one in the room
 * receives costs the publisher most of its video CPU and uplink. Each
 * publisher's camera is asked for the encodings up to the highest that a
 * member of its room wants of it (video_quality; the highest when a member
 * said nothing), the lowest always (a newcomer's first frame comes from it
 * at once). A higher encoding is asked for at once; a lower one only after
 * LOWER_AFTER_MS of being enough (tiles resize, people come and go). A
 * newcomer's wishes count once it said them, or JOIN_GRACE_MS after it
 * joined (the meeting page says them once its tile grid is sized; a
 * client that never does wants the highest). The SFU still picks what each
 * subscriber gets among what is sent (bandwidth allocator). */
#include <stdlib.h>
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

/* `want`, or t's top encoding if it has fewer. */
static uint8_t clamp_to_track(const pub_track *t, uint8_t want) {
  uint8_t top = (uint8_t)(t->sfu.n_layers - 1);
  return want < top ? want : top;
}

/* One publisher's camera, of which the room wants encodings up to `want`:
 * raise now, lower once it has been enough for a while. True while
 * something is still pending. */
static bool settle(participant *pub, pub_track *t, uint8_t want, uint64_t now_ms) {
  want = clamp_to_track(t, want);
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

/* Asks lr's publishers for what the room wants now: more at once, less
 * once it has been enough for a while. Counted by the publisher's slot in
 * one pass over what everyone said (members x at most MAX_VIDEO_PREFS
 * entries, and 5 bytes zeroed per slot handed out in this room session),
 * not publisher by publisher. */
static void settle_room(signal_server *srv, live_room *lr) {
  uint64_t now_ms = uv_now(srv->loop);
  size_t n_slots = (size_t)lr->slots.next + 1;
  uint32_t *named = calloc(n_slots, sizeof *named); /* counted members that said what they want of a slot */
  uint8_t *most = calloc(n_slots, 1);                /* the most any of them wants of it */
  if (!named || !most) { /* out of memory: try again at the next check */
    free(named);
    free(most);
    lr->layers_pending = true;
    return;
  }
  bool pending = false;
  uint32_t counted = 0;
  for (const participant *q = lr->members; q; q = q->next) {
    if (!counts(q, now_ms)) {
      pending = true;
      continue;
    }
    counted++;
    for (int i = 0; i < q->n_video_prefs; i++) {
      const video_pref *e = &q->video_prefs[i];
      if (e->slot >= n_slots) continue;
      named[e->slot]++;
      if (e->layer > most[e->slot]) most[e->slot] = e->layer;
    }
  }
  for (participant *pub = lr->members; pub; pub = pub->next) {
    if (!pub->sess || pub->sess->closing) continue;
    /* A counted member that said nothing of pub wants its highest. */
    uint32_t others = counted - (counts(pub, now_ms) ? 1 : 0);
    uint8_t want = others > named[pub->slot] ? SFU_MAX_LAYERS - 1 : most[pub->slot];
    for (int i = 0; i < pub->n_tracks; i++)
      if (is_simulcast_camera(&pub->tracks[i])) pending |= settle(pub, &pub->tracks[i], want, now_ms);
  }
  free(named);
  free(most);
  lr->layers_pending = pending;
}

void layers_wish(participant *pub, uint8_t layer) {
  for (int i = 0; i < pub->n_tracks; i++) {
    pub_track *t = &pub->tracks[i];
    if (!is_simulcast_camera(t) || !pub->sess || pub->sess->closing) continue;
    uint8_t want = clamp_to_track(t, layer);
    if (want > t->layers_on) ask(pub, t, want);
  }
  pub->room->layers_pending = true; /* perhaps less is wanted now */
}

void layers_check(signal_server *srv) {
  for (live_room *lr = srv->rooms; lr; lr = lr->next)
    if (lr->layers_pending) settle_room(srv, lr);
}

void layers_forget(live_room *lr, const participant *p) {
  for (participant *q = lr->members; q; q = q->next) {
    int n = q->n_video_prefs, at = -1;
    for (int i = 0; i < n && at < 0; i++)
      if (strcmp(q->video_prefs[i].participant_id, p->id) == 0) at = i;
    if (at < 0) continue;
    /* Oldest first without it (a full ring's oldest is at next_video_pref). */
    video_pref kept[MAX_VIDEO_PREFS];
    int first = n == MAX_VIDEO_PREFS ? q->next_video_pref : 0, k = 0;
    for (int i = 0; i < n; i++) {
      int j = (first + i) % n;
      if (j != at) kept[k++] = q->video_prefs[j];
    }
    memcpy(q->video_prefs, kept, (size_t)k * sizeof kept[0]);
    q->n_video_prefs = k;
    q->next_video_pref = 0;
  }
  lr->layers_pending = true;
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
