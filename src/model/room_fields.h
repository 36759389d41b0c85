/* The rules of room fields: defaults, validation of a create or PATCH body
 * (per-field error messages), and the JSON representation of rooms and
 * roles, for the REST API and the signalling alike. Pure functions of their
 * arguments, so they are unit tested directly. */
#ifndef SEALROOM_ROOM_FIELDS_H
#define SEALROOM_ROOM_FIELDS_H

#include <jansson.h>
#include <stddef.h>

#include "model/model.h"

/* Validation problems are collected in an errors object, the "errors" of a
 * 422 answer: {"field": ["reason", ...], ...}. Adds one reason. */
void field_error(json_t *errors, const char *field, const char *reason);

/* Sets every field's default. roles: the known roles (presets first). */
void room_defaults(room *r, const role *roles, size_t n_roles);

/* Applies the fields present in body to r, checking each. Problems are added
 * to errors as {"field": ["reason", ...]}. Returns the number of problems;
 * r may be partly changed when it is not 0. now: Unix seconds. */
int room_apply_fields(room *r, const json_t *body, const role *roles, size_t n_roles, int64_t now,
                      bool creating, json_t *errors);

/* True if role_id is one of the room's roles. */
bool room_has_role(const room *r, const char *role_id);

/* Reads an integral JSON number (integer, or real without fraction) within
 * [lo, hi]. Returns 0 or -1. */
int json_integral(const json_t *v, int64_t lo, int64_t hi, int64_t *out);

/* True if s is 3-32 of [A-Za-z0-9_-] and not a path the server itself uses. */
int friendly_url_check(const char *s, const char **reason);

/* Number of Unicode code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);

/* The API representation of a room. */
json_t *room_to_json(const room *r, const role *roles, size_t n_roles, const char *public_url);
json_t *role_to_json(const role *r, int with_permissions);
const role *role_find(const role *roles, size_t n, const char *id_or_name);

#endif
