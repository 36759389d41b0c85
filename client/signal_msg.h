/* Signalling messages of the native client (docs/signalling.md): building
 * every client -> server message as JSON text (jansson does the escaping) and
 * parsing every server -> client message into C structs, with every string
 * bounded, every type checked and nothing trusted. Pure functions: no I/O,
 * no global state.
 *
 * Building: each sc_msg_* returns a malloc'd NUL-terminated JSON text (free
 * it with free()), or NULL if an argument breaks the rules noted at the
 * function (the same rules the server applies) or memory runs out.
 *
 * Parsing: sc_server_msg_parse fills a caller-owned sc_server_msg. Small
 * fields live in the struct (fixed arrays); the large ones (the welcome's
 * participant list, SDPs, relay and chat payloads) are malloc'd and owned by
 * it: after a successful parse call sc_server_msg_free once (it also wipes
 * the TURN credentials). After a failed parse there is nothing to free (and
 * sc_server_msg_free on it is harmless). Unknown members are ignored;
 * an unknown "type" parses as SC_SRV_UNKNOWN (type_name says which). */
#ifndef SEALROOM_CLIENT_SIGNAL_MSG_H
#define SEALROOM_CLIENT_SIGNAL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds (bytes, excluding the NUL; "chars" are Unicode code points). */
#define SC_ID_MAX 64                 /* participant, session, room and role ids; error codes */
#define SC_NAME_MAX_CHARS 64         /* display names: 1-64 chars, no control characters */
#define SC_NAME_MAX (SC_NAME_MAX_CHARS * 4)
#define SC_ROOM_REF_MAX 64           /* join's room: id or friendly_url */
#define SC_FRIENDLY_URL_MAX 32
#define SC_DESCRIPTION_MAX (500 * 4) /* 500 chars */
#define SC_ROLE_NAME_MAX 32
#define SC_ROLE_DISPLAY_MAX (64 * 4)
#define SC_KEY_B64_LEN 44            /* base64 of a 32-byte X25519 / Ed25519 key */
#define SC_KEY_INVALID "!"           /* a key member that is no key at all (see sc_participant) */
#define SC_MID_MAX 32
#define SC_MAX_TRACKS 8              /* per participant (the server has at most 4) */
#define SC_MAX_PARTICIPANTS 1000     /* docs/api.md: max_participants is 2-1000 */
#define SC_SDP_MAX (256 * 1024)
#define SC_PAYLOAD_MAX (16 * 1024)   /* relay / chat payloads, serialized */
#define SC_MESSAGE_MAX (256 * 1024)  /* whole client message (server limit) */
#define SC_SERVER_MESSAGE_MAX (1024 * 1024) /* whole server message we parse */
#define SC_TOKEN_MAX 8192
#define SC_MAX_ICE_SERVERS 4
#define SC_MAX_ICE_URLS 4
#define SC_ICE_URL_MAX 255
#define SC_ICE_USERNAME_MAX 127
#define SC_ICE_CREDENTIAL_MAX 127
#define SC_ERROR_MESSAGE_MAX 1023
#define SC_TYPE_NAME_MAX 32

typedef enum { SC_KIND_AUDIO = 0, SC_KIND_VIDEO = 1 } sc_kind;

/* ---- client -> server ------------------------------------------------- */

/* join. room: 1-64 bytes; name: 1-64 chars of UTF-8 without control
 * characters; token: NULL or a JWT (<= SC_TOKEN_MAX); public_key and
 * signing_key: NULL or 44 characters of base64 of 32 bytes (both are needed
 * in E2EE rooms). */
char *sc_msg_join(const char *room, const char *name, const char *token, const char *public_key,
                  const char *signing_key);
/* publish_offer: sdp 1..SC_SDP_MAX bytes, and the whole message (escaped)
 * at most SC_MESSAGE_MAX (the server's limit), so somewhat less. */
char *sc_msg_publish_offer(const char *sdp);
/* subscribe_answer: sdp as above, version >= 1 (the offer's). */
char *sc_msg_subscribe_answer(const char *sdp, int64_t version);
/* mute: kind SC_KIND_AUDIO or SC_KIND_VIDEO. */
char *sc_msg_mute(sc_kind kind, bool muted);
/* relay: to an id (1..SC_ID_MAX bytes); payload_json is JSON text of any
 * value (checked, then embedded), <= SC_PAYLOAD_MAX bytes serialized. */
char *sc_msg_relay(const char *to, const char *payload_json);
typedef struct {
  const char *to;           /* participant id */
  const char *payload_json; /* JSON text, as for sc_msg_relay */
} sc_relay_entry;
/* relay_batch: 1..SC_MAX_PARTICIPANTS entries, each as for sc_msg_relay;
 * the whole message <= SC_MESSAGE_MAX. */
char *sc_msg_relay_batch(const sc_relay_entry *entries, size_t n);
/* relay_all: payload as for sc_msg_relay. */
char *sc_msg_relay_all(const char *payload_json);
/* chat: payload_json as for sc_msg_relay (in E2EE rooms the signed, sealed
 * chat object; elsewhere use sc_msg_chat_text). */
char *sc_msg_chat(const char *payload_json);
/* chat with {"text": text} (a non-E2EE room); text is UTF-8. */
char *sc_msg_chat_text(const char *text);
/* video_quality with one entry: the highest simulcast encoding wanted of
 * participant id's camera (1..SC_ID_MAX letters, digits, '-' or '_');
 * quality "low", "medium" or "high". */
char *sc_msg_video_quality(const char *participant_id, const char *quality);
char *sc_msg_leave(void);
char *sc_msg_ping(void);

/* ---- server -> client ------------------------------------------------- */

typedef enum {
  SC_SRV_UNKNOWN = 0, /* a type this client does not know (ignore it) */
  SC_SRV_WELCOME,
  SC_SRV_PARTICIPANT_JOINED,
  SC_SRV_PARTICIPANT_LEFT,
  SC_SRV_ROOM_UPDATED,
  SC_SRV_TRACKS_UPDATED,
  SC_SRV_PUBLISH_ANSWER,
  SC_SRV_SUBSCRIBE_OFFER,
  SC_SRV_RELAY,
  SC_SRV_CHAT,
  SC_SRV_PONG,
  SC_SRV_ERROR,
} sc_server_msg_type;

typedef struct {
  sc_kind kind;
  char mid[SC_MID_MAX + 1];
  bool muted;
} sc_track;

typedef struct {
  char id[SC_ID_MAX + 1];
  char name[SC_NAME_MAX + 1];
  char role[SC_ROLE_NAME_MAX + 1];
  uint16_t slot;                           /* E2EE sender slot */
  /* The keys as sent, NOT checked here (the E2EE module judges them and
   * compares them with what it holds): "" if absent or null; the string if it
   * has 1..SC_KEY_B64_LEN bytes; SC_KEY_INVALID for any other value. */
  char public_key[SC_KEY_B64_LEN + 1];
  char signing_key[SC_KEY_B64_LEN + 1];
  int n_tracks;
  sc_track tracks[SC_MAX_TRACKS];
} sc_participant;

typedef struct {
  char id[SC_ID_MAX + 1];
  char friendly_url[SC_FRIENDLY_URL_MAX + 1];
  char description[SC_DESCRIPTION_MAX + 1]; /* "" if null */
  bool e2ee_enabled;
  bool is_private;                          /* privacy "private" */
  int max_participants;
  bool chat_enabled, screenshare_enabled, audio_on_join_enabled, video_on_join_enabled;
} sc_room_info;

/* Role permissions (welcome.role.permissions); unknown names are ignored. */
enum {
  SC_PERM_BROADCAST = 1u << 0,
  SC_PERM_SCREENSHARE = 1u << 1,
  SC_PERM_CHAT = 1u << 2,
  SC_PERM_MUTE_PARTICIPANT = 1u << 3,
  SC_PERM_REMOVE_PARTICIPANT = 1u << 4,
  SC_PERM_END_SESSION = 1u << 5,
  SC_PERM_MANAGE_ROLES = 1u << 6,
};

typedef struct {
  char name[SC_ROLE_NAME_MAX + 1];
  char display_name[SC_ROLE_DISPLAY_MAX + 1];
  uint32_t permissions; /* SC_PERM_* */
} sc_role_info;

typedef struct {
  int n_urls;
  char urls[SC_MAX_ICE_URLS][SC_ICE_URL_MAX + 1];
  char username[SC_ICE_USERNAME_MAX + 1];
  char credential[SC_ICE_CREDENTIAL_MAX + 1]; /* secret: wiped by sc_server_msg_free */
} sc_ice_server;

typedef struct {
  char participant_id[SC_ID_MAX + 1];
  char session_id[SC_ID_MAX + 1];
  uint16_t slot;
  char name[SC_NAME_MAX + 1];
  sc_room_info room;
  sc_role_info role;
  size_t n_participants;
  sc_participant *participants; /* malloc'd (NULL if none); the others in the room */
  int n_ice_servers;
  sc_ice_server ice_servers[SC_MAX_ICE_SERVERS];
  bool test_mode;
} sc_welcome;

typedef struct {
  sc_server_msg_type type;
  char type_name[SC_TYPE_NAME_MAX + 1]; /* the "type" member as received */
  union {
    sc_welcome welcome;                 /* SC_SRV_WELCOME */
    sc_participant participant_joined;  /* SC_SRV_PARTICIPANT_JOINED */
    struct {
      char participant_id[SC_ID_MAX + 1];
    } participant_left;                 /* SC_SRV_PARTICIPANT_LEFT */
    sc_room_info room_updated;          /* SC_SRV_ROOM_UPDATED */
    struct {
      char participant_id[SC_ID_MAX + 1];
      int n_tracks;
      sc_track tracks[SC_MAX_TRACKS];
    } tracks_updated;                   /* SC_SRV_TRACKS_UPDATED */
    struct {
      char *sdp; /* malloc'd, NUL-terminated, <= SC_SDP_MAX */
      size_t sdp_len;
    } publish_answer;                   /* SC_SRV_PUBLISH_ANSWER */
    struct {
      char *sdp; /* malloc'd, NUL-terminated, <= SC_SDP_MAX */
      size_t sdp_len;
      int64_t version; /* >= 1 */
    } subscribe_offer;                  /* SC_SRV_SUBSCRIBE_OFFER */
    struct {
      char from[SC_ID_MAX + 1];
      char *payload; /* malloc'd compact JSON text of the payload (any value), <= SC_PAYLOAD_MAX */
      size_t payload_len;
    } relay;                            /* SC_SRV_RELAY */
    struct {
      char from[SC_ID_MAX + 1];
      char *payload; /* as relay.payload */
      size_t payload_len;
      int64_t ts; /* server time, Unix seconds */
    } chat;                             /* SC_SRV_CHAT */
    struct {
      char code[SC_ID_MAX + 1];               /* e.g. "media_failed", "room_full" */
      char message[SC_ERROR_MESSAGE_MAX + 1]; /* "" if absent */
      int64_t retry_after_ms;                 /* -1 if absent */
      int64_t skipped;                        /* -1 if absent (unknown_participant after relay_batch) */
    } error;                            /* SC_SRV_ERROR */
  } u;
} sc_server_msg;

/* Parses one server message (text[0..len), no NUL needed; at most
 * SC_SERVER_MESSAGE_MAX bytes). Returns 0, or -1 with a reason naming the
 * field in err (may be NULL): not JSON or not an object, duplicate members,
 * a missing or wrong-typed required field, a string or array over its bound,
 * a number out of range. The struct is large (the welcome): keep it off
 * small stacks or reuse one. */
int sc_server_msg_parse(const char *text, size_t len, sc_server_msg *out, char *err, size_t err_len);

/* Frees what a successful parse allocated and wipes secrets; the struct is
 * zeroed and may be reused. Safe on a zeroed or failed-parse struct. */
void sc_server_msg_free(sc_server_msg *msg);

/* The type's name as on the wire ("welcome", ...); "unknown" for SC_SRV_UNKNOWN. */
const char *sc_server_msg_type_name(sc_server_msg_type type);

#endif
