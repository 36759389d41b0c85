/* List query parameters: limit, offset, order and the after cursor. */
#ifndef SEALROOM_PAGINATION_H
#define SEALROOM_PAGINATION_H

#include <jansson.h>

#include "store/store.h"

#define PAGE_MAX 100

/* Reads the raw query values (NULL when absent) into q. Problems go to
 * errors per parameter; returns their number. q->after_id points into after. */
int pagination_parse(const char *limit, const char *offset, const char *order, const char *after,
                     room_query *q, json_t *errors);

#endif
