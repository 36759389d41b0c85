/* Private to src/api: the authenticated caller, the response helpers and
 * the route handlers (router.c routes to them). Every handler answers by
 * filling the http_response: a status and a JSON body, {"message"} for an
 * error, {"message", "errors"} for a 422 (docs/architecture.md, "Errors and
 * statuses"). */
#ifndef SEALROOM_API_INTERNAL_H
#define SEALROOM_API_INTERNAL_H

#include <jansson.h>

#include "api/api.h"

/* An authenticated API caller. */
typedef struct {
  char team_id[UUID_STR_LEN];
  uint8_t key_hash[KEY_HASH_LEN]; /* of the key that signed this request */
} api_caller;

/* Response helpers shared by the handlers. */
void api_json(http_response *res, int status, json_t *body); /* steals body */
void api_error(http_response *res, int status, const char *message);
/* 500, "Internal server error.": the cause is logged where it happened. */
void api_internal_error(http_response *res);
/* The answer to a store call that did not return STORE_OK: STORE_NOT_FOUND
 * is 404 with not_found as the message, anything else 500. (STORE_CONFLICT
 * is a 422 on the field concerned, which only the caller can name.) */
void api_store_error(http_response *res, store_status st, const char *not_found);
/* 422 with {"message", "errors": errors} (errors as field_error fills
 * them, model/room_fields.h); steals errors. */
void api_invalid(http_response *res, json_t *errors);
/* Parses the request body as a JSON object. On failure fills res (400, 415
 * or 422) and returns NULL. */
json_t *api_parse_body(const http_request *req, http_response *res);

/* Handlers (path parameter in arg, may be NULL). */
void api_rooms_list(api_ctx *a, const api_caller *who, const http_request *req, http_response *res);
void api_rooms_create(api_ctx *a, const api_caller *who, const http_request *req, http_response *res);
void api_rooms_get(api_ctx *a, const api_caller *who, const char *room_ref, http_response *res);
void api_rooms_update(api_ctx *a, const api_caller *who, const char *room_ref, const http_request *req,
                      http_response *res);
void api_rooms_delete(api_ctx *a, const api_caller *who, const char *room_ref, http_response *res);
void api_rooms_token(api_ctx *a, const api_caller *who, const char *room_ref, const http_request *req,
                     http_response *res);
void api_roles_list(api_ctx *a, http_response *res);
void api_roles_get(api_ctx *a, const char *role_ref, http_response *res);

#endif
