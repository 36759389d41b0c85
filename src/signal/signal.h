/* WebSocket signalling (docs/signalling.md): sessions, joining rooms with
 * their checks (lock, expiry, privacy and join tokens, capacity, roles),
 * rosters, SDP negotiation of the publish and subscribe peer connections with
 * the SFU, relays between participants. Runs on the control-plane loop. */
#ifndef SEALROOM_SIGNAL_H
#define SEALROOM_SIGNAL_H

#include <jansson.h>
#include <uv.h>

#include "core/config.h"
#include "http/http.h"
#include "sfu/sfu.h"
#include "store/store.h"

typedef struct signal_server signal_server;

typedef struct {
  int sessions, participants, live_rooms;
  uint64_t messages_in, messages_bad, relays;
  uint64_t ws_slow_consumers, ws_protocol_errors, ws_too_large; /* WebSocket closes (ws.h) */
} signal_stats;

signal_server *signal_start(uv_loop_t *loop, const config *cfg, store *db, sfu *media);
/* Closes every session; when the last one is gone, frees the server and
 * calls done(ctx) (the SFU must stay up until then: leaving participants
 * still talk to it). */
void signal_stop(signal_server *s, void (*done)(void *ctx), void *ctx);
/* Handles GET /ws: the WebSocket upgrade. */
void signal_accept(signal_server *s, const http_request *req, http_response *res);
/* SFU events (transport connected or closed), from the control loop. */
void signal_on_media_event(void *ctx, const sfu_event *ev);
void signal_get_stats(const signal_server *s, signal_stats *out);
/* Participants in the room's live session (0: no call in progress). */
int signal_room_count(const signal_server *s, const char *room_id);
/* A room's settings changed (PATCH): its live session, if any, uses them at
 * once (chat off stops chat, a lock stops joins) and every member gets a
 * room_updated message with them. */
void signal_room_updated(signal_server *s, const room *r);

/* Test mode only (the /_test/ routes; docs/operations.md). The server plays
 * the hostile server of the threat model on request. */
/* Sends msg (a JSON object) verbatim as one text message to the participant
 * with that id. 0, or -1 if no such participant is connected. */
int signal_test_inject(signal_server *s, const char *participant_id, const json_t *msg);
/* The next welcome sent in the room with this id is merged with patch (an
 * object, RFC 7386 merge patch); a later call for the same room replaces the
 * earlier patch. 0, or -1 if too many patches are pending. */
int signal_test_welcome_patch(signal_server *s, const char *room_id, const json_t *patch);
/* Test mode: limits what the SFU sends a participant's subscribe connection
 * to kbps (0: no limit), a slow downlink (sfu/shaper.h). 0, or -1 if there
 * is no such participant with a subscribe connection. */
int signal_test_shape(signal_server *s, const char *participant_id, int kbps);

#endif
