/* E2EE for one call of the native client: the C port of what the meeting
 * page's E2EE worker (web/meeting/e2ee-worker.js) does, on lib/e2ee
 * (sealroom_e2ee.h, sealroom_sign.h), byte- and protocol-compatible with it
 * (docs/e2ee.md, docs/e2ee-sender-auth.md):
 *
 *  - the per-call X25519 key pair (pairwise keys, key messages) and Ed25519
 *    key pair (signed statements), made by sc_e2ee_new before `join`;
 *  - key exchange over the signalling relay (section 8): our key to every
 *    capable peer, acks, ratchet on join (a used key only), rotation on leave
 *    with the worker's RotationTracker rules (500 ms deadline never extended,
 *    at most one fresh key per 100 ms, fresh key at the deadline if a leave is
 *    not covered), the peers' keys into one sre_receiver each;
 *  - SFrame encryption of outgoing VP8 / Opus frames with one counter per key
 *    shared by every track, and sender authentication: every sent frame is
 *    listed in a signed statement broadcast every 50 ms (at once after a VP8
 *    key frame, on a KID change and at 64 frames);
 *  - incoming frames: held until a verified statement of their sender lists
 *    their hash (at most 1000 ms, like the worker), then SFrame-decrypted and
 *    handed to on_frame; everything else dropped and counted by reason;
 *  - the security code v3 over oneself and every peer with a pairwise key,
 *    names as sealed in key messages (cleaned as the page cleans them), and
 *    the alarms (a present participant's key or slot changed, an id that left
 *    came back, a key holder left before a complete code covered it for 10 s);
 *  - signed, sealed chat (docs/e2ee.md 9, docs/e2ee-sender-auth.md 10).
 *
 * Threading and re-entrancy: one sc_e2ee is used by one thread. Callbacks run
 * synchronously inside the API calls; a callback may call sc_e2ee_encrypt,
 * sc_e2ee_stats_get, sc_e2ee_code and the key getters of the same sc_e2ee,
 * nothing else (other calls made from a callback return SRE_ERR_ARG and do
 * nothing: queue the event and make the call after the callback returned).
 *
 * Feeding it (the coordinator's part):
 *  - before `join`: sc_e2ee_new; put sc_e2ee_public_key_b64 in
 *    join.public_key and sc_e2ee_signing_key_b64 in join.signing_key;
 *  - `welcome`: sc_e2ee_start(participant_id, own display name, session_id,
 *    slot, participants) (sc_e2ee_peer_from_json reads a roster object);
 *  - `participant_joined` (and any roster update naming a participant again):
 *    sc_e2ee_joined; `participant_left`: sc_e2ee_left;
 *  - every `relay` {from, payload}: sc_e2ee_relay(from, the payload object
 *    serialized compact, e.g. json_dumps(payload, JSON_COMPACT));
 *  - every outgoing encoded frame (before packetization): sc_e2ee_encrypt,
 *    then send the wire bytes it gives (an empty Opus frame stays empty);
 *  - every incoming whole encoded frame (after depacketization) of a track
 *    whose a=msid stream id is participant P: sc_e2ee_receive(P, a tag of
 *    the track, codec, wire); the plaintext comes out of on_frame, maybe
 *    later (from a later sc_e2ee_relay or sc_e2ee_tick);
 *  - sc_e2ee_tick every SC_E2EE_TICK_MS (a repeating uv timer);
 *  - send_relays: send the list as ONE `relay_batch` (sc_e2ee_relay_batch_json
 *    builds the message); broadcast: send a `relay_all` with the payload
 *    (sc_e2ee_relay_all_json); request_keyframe: ask the own VP8 encoder for a
 *    key frame; request_remote_keyframe: send a PLI for that incoming track.
 *
 * Every payload, roster field and frame is untrusted (a hostile server and
 * hostile members send them): everything is bounds-checked, refused input is
 * counted and changes nothing. sc_e2ee_free wipes every secret. */
#ifndef SEALROOM_CLIENT_E2EE_CALL_H
#define SEALROOM_CLIENT_E2EE_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sealroom_e2ee.h"
#include "sealroom_sign.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_E2EE_TICK_MS 25          /* call sc_e2ee_tick at least this often */
#define SC_E2EE_SIGN_FLUSH_MS 50    /* statements at least this often while sending */
#define SC_E2EE_HOLD_MS 1000        /* an unlisted incoming frame waits this long */
#define SC_E2EE_OVERDUE_MS 50       /* no frame is sent this long past a rotation deadline */
#define SC_E2EE_COVER_MS 10000      /* a key holder covered this long by a complete code */
#define SC_E2EE_FRAME_MAX (4u << 20)        /* largest frame taken either way */
#define SC_E2EE_HOLD_BYTES_MAX (48u << 20)  /* bytes of frames held, all peers together */
#define SC_E2EE_PEERS_MAX SRE_ROSTER_MAX    /* roster entries kept (more are ignored) */
#define SC_E2EE_OVERHEAD SRE_OVERHEAD_MAX   /* sc_e2ee_encrypt's out needs len + this */
#define SC_E2EE_KEY_B64_LEN 44              /* base64 of a 32-byte key */

typedef struct sc_e2ee sc_e2ee;

/* A relay to one participant: payload is compact JSON text (an object). */
typedef struct {
  const char *to;      /* participant id */
  const char *payload; /* NUL-terminated */
  size_t payload_len;
} sc_e2ee_relay_msg;

/* One member of the security code. Pointers are valid during the callback. */
typedef struct {
  const char *id;
  const char *name;     /* as sealed in its key messages, cleaned; NULL until
                           the first key message arrived (own name for self) */
  const char *fingerprint; /* "ddddd ddddd ddddd ddddd" of its X25519 key */
  bool self;
} sc_e2ee_member;

/* What the worker posts as `verify`. */
typedef struct {
  const char *code;   /* "ddddd ... ddddd" (12 groups), or NULL when status != 0 */
  int status;         /* SRE_OK or why the code could not be computed */
  bool complete;      /* every member's sealed name arrived: the code may be shown */
  const sc_e2ee_member *members; /* oneself first, then every peer with a pairwise key */
  size_t n_members;
  const char *const *excluded;   /* roster ids without a valid key (not in the code) */
  size_t n_excluded;
} sc_e2ee_verify;

typedef enum {
  SC_E2EE_ALARM_KEY_CHANGED = 1,     /* a present participant's key or slot changed: refused */
  SC_E2EE_ALARM_REJOINED = 2,        /* an id that left came back: refused */
  SC_E2EE_ALARM_LEFT_UNVERIFIED = 3, /* it got our key and left before a complete code
                                        covered it for SC_E2EE_COVER_MS */
} sc_e2ee_alarm;

/* "key_changed", "rejoined", "left_unverified" (the worker's names); NULL if invalid. */
const char *sc_e2ee_alarm_name(int alarm);

typedef struct {
  /* The clock (milliseconds, monotonic: uv_now of the loop is right). NULL:
   * CLOCK_MONOTONIC. Every timing of the module reads it. */
  uint64_t (*now_ms)(void *ctx);
  /* Relays to send, in order, as one relay_batch. Required. */
  void (*send_relays)(void *ctx, const sc_e2ee_relay_msg *list, size_t n);
  /* A payload for everyone else in the room (relay_all): a signed statement. Required. */
  void (*broadcast)(void *ctx, const char *payload, size_t len);
  /* An authenticated, decrypted frame (clear prefix || plaintext) of from_id's
   * track `stream` (the tag given to sc_e2ee_receive): to the decoder. len 0:
   * an empty Opus frame (DTX). Required. */
  void (*on_frame)(void *ctx, const char *from_id, uint64_t stream, sre_codec codec,
                   const uint8_t *data, size_t len);
  /* The security code changed (a join, a leave, a sealed name). May be NULL. */
  void (*on_verify)(void *ctx, const sc_e2ee_verify *v);
  /* An alarm (docs/e2ee.md 10.4). name: the sealed name (left_unverified) or NULL. */
  void (*on_alarm)(void *ctx, const char *id, sc_e2ee_alarm reason, const char *name);
  /* Whether a roster entry is E2EE-capable (status: why not). May be NULL. */
  void (*on_peer)(void *ctx, const char *id, bool ok, int status);
  /* The sender switched to a new key: ask the own video encoder for a key frame. */
  void (*request_keyframe)(void *ctx);
  /* A video frame of from_id's track passed after frames of it were dropped:
   * send that track a PLI (at most once a second per track). May be NULL. */
  void (*request_remote_keyframe)(void *ctx, const char *from_id, uint64_t stream);
} sc_e2ee_callbacks;

/* A roster entry as signalling gives it. Strings are borrowed for the call. */
typedef struct {
  const char *id;          /* participant id (36 characters to be capable) */
  long long slot;          /* 0..65535; -1 when missing or not an integer */
  const char *public_key;  /* base64 X25519 key; NULL when missing or not a string */
  const char *signing_key; /* base64 Ed25519 key; NULL when missing or not a string */
} sc_e2ee_peer;

/* Reads a roster participant object ({"id","slot","public_key","signing_key",...})
 * into *out, borrowing its strings (valid while the object lives). Returns
 * SRE_OK, or SRE_ERR_JSON when it is not an object or has no string id. */
int sc_e2ee_peer_from_json(const json_t *participant, sc_e2ee_peer *out);

/* Makes the key pairs. cb is copied; NULL on failure (no random, no memory). */
sc_e2ee *sc_e2ee_new(const sc_e2ee_callbacks *cb, void *ctx);
/* base64 (44 characters, NUL-terminated) of the X25519 / Ed25519 public key: join.public_key,
 * join.signing_key. Valid until sc_e2ee_free. */
const char *sc_e2ee_public_key_b64(const sc_e2ee *e);
const char *sc_e2ee_signing_key_b64(const sc_e2ee *e);

/* After `welcome`: own participant id (36 characters), own display name (UTF-8; cleaned and
 * cut to 128 bytes as the page does; sealed in every key message), session_id (1..255
 * bytes of UTF-8), own slot, the roster (others). Sends our first key to every capable
 * peer. SRE_ERR_BAD_ID / SRE_ERR_ARG on bad own fields (then nothing is sent, ever:
 * the caller must not send media). Only once. */
int sc_e2ee_start(sc_e2ee *e, const char *self_id, const char *self_name, const char *session_id,
                  long long slot, const sc_e2ee_peer *peers, size_t n);
/* participant_joined: a new peer gets our key (ratchet or rotation rules of 8.4); an id
 * already present with another key or slot raises SC_E2EE_ALARM_KEY_CHANGED and changes
 * nothing; an id that left raises SC_E2EE_ALARM_REJOINED. */
int sc_e2ee_joined(sc_e2ee *e, const sc_e2ee_peer *peer);
/* participant_left: wipes its keys, drops its held frames, rotates if it held our key. */
int sc_e2ee_left(sc_e2ee *e, const char *id);
/* A relay from `from` (its payload object as compact JSON text): a key message, an ack
 * or a signed statement. Returns SRE_OK when taken, else the refusal (counted; nothing
 * changes). */
int sc_e2ee_relay(sc_e2ee *e, const char *from, const char *payload, size_t len);

/* Encrypts one outgoing encoded frame of codec SRE_CODEC_VP8 or SRE_CODEC_OPUS into out
 * (cap >= len + SC_E2EE_OVERHEAD) and lists it for the next statement; is_keyframe (a VP8
 * key frame) sends the statement at once. *out_len 0 with SRE_OK: an empty Opus frame,
 * send it empty. On failure nothing may be sent (counted): SRE_ERR_NO_KEY (not started,
 * stopped, or a rotation overdue), SRE_ERR_ARG (another codec), the library's statuses.
 * May be called from a callback (e.g. request_keyframe, on_frame). */
int sc_e2ee_encrypt(sc_e2ee *e, sre_codec codec, bool is_keyframe, const uint8_t *frame,
                    size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* One incoming whole wire frame of from_id's track `stream` (any tag the caller chooses;
 * given back to on_frame) in codec SRE_CODEC_VP8 or SRE_CODEC_OPUS. Returns 1 when it was
 * passed to on_frame now, 0 when it is held for its statement (on_frame later, or a
 * drop), or a negative status when it was dropped (counted by reason). */
int sc_e2ee_receive(sc_e2ee *e, const char *from_id, uint64_t stream, sre_codec codec,
                    const uint8_t *wire, size_t len);

/* Timers: statements every SC_E2EE_SIGN_FLUSH_MS, rotation deadlines, held frames past
 * SC_E2EE_HOLD_MS, expiry of superseded keys. Call every SC_E2EE_TICK_MS. */
void sc_e2ee_tick(sc_e2ee *e);

/* The latest security code into out (empty if none yet); *complete as in
 * sc_e2ee_verify (may be NULL). SRE_ERR_NO_KEY before the first code. */
int sc_e2ee_code(const sc_e2ee *e, char out[SRE_CODE_STR_LEN], bool *complete);

/* Counters. Drop reasons are indexed by -status (0 unused). */
typedef struct {
  uint64_t encrypted_audio, encrypted_video;   /* frames sent */
  uint64_t decrypted_audio, decrypted_video;   /* frames passed to on_frame */
  uint64_t send_drops[SRE_STATUS_COUNT];       /* encryption failures by -status */
  uint64_t send_not_ready, send_overdue, send_codec;
  uint64_t recv_drops[SRE_STATUS_COUNT];       /* receiver drops by -status (peers that left too) */
  uint64_t recv_no_peer, recv_codec, recv_too_large;
  uint64_t sign_ok, sign_reject, sign_unsigned, sign_overflow; /* frame verdicts */
  uint64_t held_frames, held_bytes;            /* waiting for a statement now */
  uint64_t statements_sent, statements_ok;
  uint64_t statements_bad[SRE_STATUS_COUNT];   /* refused statements by -status */
  uint64_t relays_bad[SRE_STATUS_COUNT];       /* refused key / ack payloads by -status */
  uint64_t key_events, rotations;
  uint32_t epoch, pending_epoch;               /* own key; pending 0: none */
  uint8_t step;
  size_t peers, capable_peers;
} sc_e2ee_stats;

void sc_e2ee_stats_get(const sc_e2ee *e, sc_e2ee_stats *out);

/* Chat (docs/e2ee.md 9, signed as docs/e2ee-sender-auth.md 10): seals a text (1..4096
 * bytes of UTF-8) under our current key and signs it; out gets the `chat` message's
 * payload object as JSON text (SRE_SIGN_CHAT_MAX bytes suffice; NUL-terminated). */
int sc_e2ee_chat_seal(sc_e2ee *e, const char *text, size_t len, char *out, size_t cap,
                      size_t *out_len);
/* Opens a `chat` payload (compact JSON text) from `from`: text gets the body (cap >=
 * SRE_CHAT_BODY_MAX + 1; NUL-terminated), *time_ms the sender's time (may be NULL).
 * Refused: unsigned / wrongly signed (SRE_ERR_AUTH ...), no key, replayed seq. */
int sc_e2ee_chat_open(sc_e2ee *e, const char *from, const char *payload, size_t len, char *text,
                      size_t cap, size_t *text_len, uint64_t *time_ms);

/* Helpers for the signalling messages: {"type":"relay_batch","messages":[{"to","payload"}..]}
 * and {"type":"relay_all","payload":..} as malloc'd compact JSON text (free() it); NULL
 * when a payload is not JSON or out of memory. */
char *sc_e2ee_relay_batch_json(const sc_e2ee_relay_msg *list, size_t n);
char *sc_e2ee_relay_all_json(const char *payload, size_t len);

/* Wipes every secret (key pairs, pairwise keys, base keys, held frames) and frees. */
void sc_e2ee_free(sc_e2ee *e);

#ifdef __cplusplus
}
#endif

#endif
