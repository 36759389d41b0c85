/* Status names and messages, generated from the one list in the public
 * header so that the enum, the names and the sentences never disagree. */
#include <string.h>

#include "sealroom_e2ee.h"

typedef struct {
  int value;
  const char *name;
  const char *message;
} status_entry;

#define SRE_STATUS_ROW_(name, value, msg) {value, "SRE_" #name, msg},
static const status_entry statuses[] = {SRE_STATUS_LIST(SRE_STATUS_ROW_)};
#undef SRE_STATUS_ROW_

static const status_entry *find(int status) {
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    if (statuses[i].value == status) return &statuses[i];
  }
  return NULL;
}

const char *sre_strerror(int status) {
  const status_entry *e = find(status);
  return e ? e->message : "unknown status";
}

const char *sre_status_name(int status) {
  const status_entry *e = find(status);
  return e ? e->name : NULL;
}

int sre_status_from_name(const char *name) {
  if (!name) return SRE_ERR_ARG;
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    if (strcmp(statuses[i].name, name) == 0) return statuses[i].value;
  }
  return SRE_ERR_ARG;
}
