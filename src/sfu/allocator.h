/* The bandwidth allocator of one subscriber: which encoding of each
 * simulcast video track it receives may go up to (its "allocation"), from
 * its own bandwidth estimate (REMB) and what each track costs.
 *
 * Congested (the caller decides: the estimate fell under what the
 * subscriber gets, or it keeps losing packets): the allocator steps down, each time on the track
 * getting the highest encoding (ties: the one the subscriber asked the
 * least of, a thumbnail before a large tile), the active speaker's camera
 * last: the others go down to their lowest encodings before it steps down,
 * and pause only after it is at its lowest (if that costs at most
 * ALLOC_SPEAKER_LOW_MAX_BPS). A step goes to the next lower encoding the
 * publisher sends, or pauses. It stops once the video fits in 90% of the
 * estimate beside what it cannot step down: the measured rate of each
 * audio track (at most ALLOC_AUDIO_MAX_BPS) and a quarter more (a muted
 * microphone, sending DTX, costs next to nothing; one the SFU does not
 * forward, nothing: a voice that starts again is paid for by the next
 * step down) and the measured
 * rate of video sent in one encoding (a screen share), which so comes
 * first. Below the lowest encoding a track is paused, so
 * that audio keeps its share.
 *
 * Not congested: one step up at a time, to the next higher encoding the
 * publisher sends (the active speaker's camera first, then the track the
 * subscriber asked the most of), which is also how it probes for more: a
 * step up the link cannot carry makes it congested, the step is taken
 * back, and the next try waits twice as long and goes to another track if
 * one can use more (a "speaker" whose next encoding never fits does not
 * keep the others from theirs).
 *
 * Pure logic: no I/O, no allocation, no clock of its own (times in ms are
 * the caller's). sfu/worker.c measures the rates, decides congestion and
 * applies the allocations (sfu/simulcast.h switches the encodings). */
#ifndef SEALROOM_SFU_ALLOCATOR_H
#define SEALROOM_SFU_ALLOCATOR_H

#include <stdbool.h>
#include <stdint.h>

#define ALLOC_MAX_LAYERS 3
#define ALLOC_AUDIO_MAX_BPS 128000 /* an audio track counts at its measured rate, at most this */
#define ALLOC_DOWN_EVERY_MS 2000  /* congested: a step down at most this often */
#define ALLOC_UP_EVERY_MS 3000    /* not congested: a step up at most this often */
#define ALLOC_HOLD_FIRST_MS 8000  /* no step up for this long after a step down ... */
#define ALLOC_HOLD_MAX_MS 64000   /* ... doubled (up to this) when a step up led straight to one */
#define ALLOC_QUIET_MS 60000      /* ... and back to the first after this long without a step down */
/* The active speaker's camera pauses after the others only while its
 * lowest encoding costs at most this (a publisher that sends only a large
 * encoding and claims to be loud gets no such priority). */
#define ALLOC_SPEAKER_LOW_MAX_BPS 400000

/* One track the subscriber receives, as the allocator sees it. */
typedef struct {
  bool video;
  uint8_t n_layers;  /* simulcast encodings, lowest first; 0: one encoding */
  int8_t cap;        /* simulcast: the highest encoding the subscriber asked for */
  int8_t top;        /* simulcast: the best the publisher sends within cap now, -1: none */
  int8_t cur;        /* simulcast: the encoding forwarded now, -1: none */
  uint8_t sending;   /* simulcast: the encodings the publisher sends now, a bit each */
  bool speaker;      /* the camera of the room's active speaker (the loudest voice now) */
  uint64_t bps;      /* audio, or video in one encoding: its rate (as forwarded) over the last second */
  uint64_t layer_bps[ALLOC_MAX_LAYERS]; /* simulcast: each encoding's rate over the last second */
} alloc_track;

/* The allocator's memory of one subscriber (zeroed at the start). */
typedef struct {
  uint64_t up_ms, down_ms;     /* the last step up, down (0: none yet) */
  uint64_t hold_ms, hold_until_ms; /* the current hold, and no step up before this */
  int16_t up_k;                /* the track of the last step up */
  int16_t failed_k1;           /* 1 + the track whose step up was taken back (0: none) */
  bool probing;                /* the last step up has not been taken back yet */
} alloc_state;

/* Would alloc_run do anything at now? Cheap: lets the caller skip
 * describing the tracks. */
bool alloc_due(const alloc_state *st, bool congested, uint64_t now);

/* One run for a subscriber with n tracks: alloc[k] (in/out) is track k's
 * allocation, the highest encoding it may get (-1: paused; ignored for
 * tracks in one encoding). estimate_bps: the subscriber's estimate.
 * Returns the steps taken (0: no allocation changed). Track k is the same
 * track from one run to the next (the subscriber's subscription index). */
int alloc_run(alloc_state *st, const alloc_track *tracks, int8_t *alloc, int n, bool congested,
              uint64_t estimate_bps, uint64_t now);

#endif
