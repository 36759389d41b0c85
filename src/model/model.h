/* Rooms and roles: the records that the store keeps and the REST API and
 * the signalling work with. Fixed-size fields; the sizes are the validation
 * limits in bytes (UTF-8: up to 4 bytes per character) plus the terminating
 * NUL. The rules of their fields are in room_fields.h. */
#ifndef SEALROOM_MODEL_H
#define SEALROOM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ids.h"

#define ROOM_DESC_MIN_CHARS 3
#define ROOM_DESC_MAX_CHARS 500
#define ROOM_URL_MIN 3
#define ROOM_URL_MAX 32
#define ROOM_EXTID_MAX_CHARS 256
#define ROOM_MAX_ROLES 16
#define ROOM_MAX_TAGS 20
#define ROOM_TAG_MAX_CHARS 64
#define ROOM_MIN_PARTICIPANTS 2
#define ROOM_MAX_PARTICIPANTS 1000
#define ROOM_DEFAULT_PARTICIPANTS 100

typedef struct {
  char id[UUID_STR_LEN];
  char team_id[UUID_STR_LEN];
  char friendly_url[ROOM_URL_MAX + 1];
  char description[ROOM_DESC_MAX_CHARS * 4 + 1]; /* "" = none */
  char external_id[ROOM_EXTID_MAX_CHARS * 4 + 1]; /* "" = none */
  bool is_private;
  char default_role[UUID_STR_LEN]; /* role id */
  char roles[ROOM_MAX_ROLES][UUID_STR_LEN];
  int n_roles;
  char tags[ROOM_MAX_TAGS][ROOM_TAG_MAX_CHARS * 4 + 1];
  int n_tags;
  bool e2ee_enabled;
  bool is_locked;
  bool chat_enabled;
  bool screenshare_enabled;
  bool audio_on_join_enabled;
  bool video_on_join_enabled;
  int max_participants;
  int64_t expires_at; /* Unix seconds; 0 = never */
  int64_t created_at, updated_at;
} room;

/* What a role may do. The signalling server enforces these when a
 * participant joins and acts (media issue); the REST API only stores them. */
typedef enum {
  PERM_BROADCAST = 1 << 0,      /* publish audio and video */
  PERM_SCREENSHARE = 1 << 1,
  PERM_CHAT = 1 << 2,
  PERM_MUTE_OTHERS = 1 << 3,
  PERM_REMOVE_PARTICIPANT = 1 << 4,
  PERM_END_SESSION = 1 << 5,
  PERM_MANAGE_ROLES = 1 << 6,
} permission;

#define PERMISSION_NAMES(X)                        \
  X(PERM_BROADCAST, "broadcast")                   \
  X(PERM_SCREENSHARE, "screenshare")               \
  X(PERM_CHAT, "chat")                             \
  X(PERM_MUTE_OTHERS, "mute_participant")          \
  X(PERM_REMOVE_PARTICIPANT, "remove_participant") \
  X(PERM_END_SESSION, "end_session")               \
  X(PERM_MANAGE_ROLES, "manage_roles")

typedef struct {
  char id[UUID_STR_LEN];
  char name[33];
  char display_name[65];
  uint32_t permissions; /* permission bits */
  bool preset;
} role;

#endif
