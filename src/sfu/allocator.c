/* The bandwidth allocator of one subscriber (sfu/allocator.h). */
#include "sfu/allocator.h"

#include <stddef.h>

/* What track t costs at encoding level (-1: paused, nothing). */
static int64_t cost_at(const alloc_track *t, int level) {
  return level >= 0 && level < ALLOC_MAX_LAYERS ? (int64_t)t->layer_bps[level] : 0;
}

/* The highest encoding below level that the publisher sends, or -1 (pause). */
static int next_lower(const alloc_track *t, int level) {
  for (int l = level - 1; l >= 0; l--)
    if (t->sending & (1u << l)) return l;
  return -1;
}

/* A simulcast track that is being forwarded and may step down. */
static bool can_step_down(const alloc_track *t, int8_t alloc) {
  return t->video && t->n_layers && alloc >= 0 && t->cur >= 0;
}

bool alloc_due(const alloc_state *st, bool congested, uint64_t now) {
  if (congested) return now - st->down_ms >= ALLOC_DOWN_EVERY_MS;
  return now >= st->hold_until_ms && now - st->up_ms >= ALLOC_UP_EVERY_MS;
}

static int step_down(alloc_state *st, const alloc_track *tracks, int8_t *alloc, int n, uint64_t estimate_bps,
                     uint64_t now) {
  /* What cannot step down comes first: audio (at its measured rate and a
   * quarter for packet overhead and a louder passage, each track at most
   * ALLOC_AUDIO_MAX_BPS: a publisher sending a flood it calls audio does
   * not pause everyone's cameras), and video in one encoding. */
  int64_t budget = (int64_t)(estimate_bps * 9 / 10);
  int64_t cost = 0;
  for (int k = 0; k < n; k++) {
    const alloc_track *t = &tracks[k];
    if (!t->video) {
      uint64_t a = t->bps < ALLOC_AUDIO_MAX_BPS ? t->bps : ALLOC_AUDIO_MAX_BPS;
      budget -= (int64_t)(a + a / 4);
    }
    else if (!t->n_layers) budget -= (int64_t)t->bps;
    else if (can_step_down(t, alloc[k])) cost += cost_at(t, t->cur < alloc[k] ? t->cur : alloc[k]);
  }
  int steps = 0;
  do {
    int best_k = -1, best_level = -2, best_rank = -1;
    for (int k = 0; k < n; k++) {
      const alloc_track *t = &tracks[k];
      if (!can_step_down(t, alloc[k])) continue;
      int level = t->cur < alloc[k] ? t->cur : alloc[k]; /* what it gets now */
      /* Who goes first: another camera above its lowest, then the
       * speaker's above its lowest, then the others' pause, the speaker's
       * last (unless its lowest is not small). */
      bool lower = next_lower(t, level) >= 0;
      bool kept = t->speaker && (lower || cost_at(t, level) <= ALLOC_SPEAKER_LOW_MAX_BPS);
      int rank = (lower ? 2 : 0) + (kept ? 0 : 1);
      if (rank > best_rank || (rank == best_rank && (level > best_level ||
                                                    (level == best_level && t->cap < tracks[best_k].cap))))
        best_k = k, best_level = level, best_rank = rank;
    }
    if (best_k < 0) break;
    int to = next_lower(&tracks[best_k], best_level); /* -1: paused */
    alloc[best_k] = (int8_t)to;
    cost -= cost_at(&tracks[best_k], best_level) - cost_at(&tracks[best_k], to);
    steps++;
  } while (cost > budget);
  if (!steps) return 0;
  /* A step up taken back soon after: the link could not carry it. The
   * track it went to waits behind the others for the next one. Once per
   * step up: the further steps down a congestion may take do not lengthen
   * the hold again. */
  if (st->probing && now - st->up_ms < ALLOC_HOLD_FIRST_MS * 2) {
    st->hold_ms = st->hold_ms ? st->hold_ms * 2 : ALLOC_HOLD_FIRST_MS;
    st->failed_k1 = (int16_t)(st->up_k + 1);
  }
  st->probing = false;
  if (!st->hold_ms) st->hold_ms = ALLOC_HOLD_FIRST_MS;
  if (st->hold_ms > ALLOC_HOLD_MAX_MS) st->hold_ms = ALLOC_HOLD_MAX_MS;
  st->down_ms = now;
  st->hold_until_ms = now + st->hold_ms;
  return steps;
}

static int step_up(alloc_state *st, const alloc_track *tracks, int8_t *alloc, int n, uint64_t now) {
  if (st->down_ms && now - st->down_ms > ALLOC_QUIET_MS) st->hold_ms = 0, st->failed_k1 = 0;
  /* Who goes first: a track whose last step up was not taken back, then
   * the speaker's camera, then the track the subscriber asked the most of. */
  int best_k = -1, best_rank = -1;
  for (int k = 0; k < n; k++) {
    const alloc_track *t = &tracks[k];
    if (!t->video || !t->n_layers || alloc[k] >= t->top) continue; /* has all it can use */
    int rank = (k + 1 != st->failed_k1 ? 2 : 0) + (t->speaker ? 1 : 0);
    if (rank > best_rank || (rank == best_rank && t->cap > tracks[best_k].cap)) best_k = k, best_rank = rank;
  }
  if (best_k < 0) return 0;
  if (best_k + 1 == st->failed_k1) st->failed_k1 = 0; /* its turn again: nothing else to try */
  /* To the next encoding the publisher sends (top is one it sends). */
  const alloc_track *t = &tracks[best_k];
  int to = alloc[best_k] + 1;
  while (to < t->top && !(t->sending & (1u << to))) to++;
  alloc[best_k] = (int8_t)to;
  st->up_ms = now;
  st->up_k = (int16_t)best_k;
  st->probing = true;
  return 1;
}

int alloc_run(alloc_state *st, const alloc_track *tracks, int8_t *alloc, int n, bool congested,
              uint64_t estimate_bps, uint64_t now) {
  if (!st || !tracks || !alloc || n <= 0 || !alloc_due(st, congested, now)) return 0;
  return congested ? step_down(st, tracks, alloc, n, estimate_bps, now) : step_up(st, tracks, alloc, n, now);
}
