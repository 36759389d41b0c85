/* GET /api/v1/roles and /api/v1/roles/{role}: the preset roles. */
#include "api/internal.h"
#include "model/room_fields.h"

#define MAX_ROLES 64

void api_roles_list(api_ctx *a, http_response *res) {
  role roles[MAX_ROLES];
  size_t n;
  if (store_roles_list(a->db, roles, MAX_ROLES, &n) != STORE_OK)
    return api_internal_error(res);
  json_t *data = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(data, role_to_json(&roles[i], 1));
  api_json(res, 200, json_pack("{s:o,s:I}", "data", data, "total_count", (json_int_t)n));
}

void api_roles_get(api_ctx *a, const char *ref, http_response *res) {
  role r;
  store_status st = store_role_get(a->db, ref, &r);
  if (st != STORE_OK) return api_store_error(res, st, "Role not found.");
  api_json(res, 200, role_to_json(&r, 1));
}
