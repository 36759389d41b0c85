/* The media worker's two lookup tables, both open addressing with linear
 * probing and backward-shift deletion (no tombstones, so lookups stay short
 * however long the server runs): source address -> transport slot, and
 * published SSRC -> (transport slot, track index). Fixed size, no allocation
 * after creation. Keys are unique: an insert of a present key fails. */
#ifndef SEALROOM_SFU_TABLES_H
#define SEALROOM_SFU_TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_TABLE_SLOTS 8192 /* power of two; > 4 addresses x MAX_TRANSPORTS, load <= 1/2 */
#define SSRC_TABLE_SLOTS 16384 /* power of two; load <= 1/2: a publishing transport has at most 4 tracks
                                  (MAX_PUB_TRACKS), a simulcast one 4 SSRCs (its own and 3 encodings'),
                                  and at most half the MAX_TRANSPORTS publish (two per participant) */

typedef struct {
  struct sockaddr_storage addr;
  int slot; /* -1: empty */
} addr_entry;

typedef struct {
  uint32_t ssrc;
  int16_t slot; /* -1: empty */
  int16_t index;
} ssrc_entry;

void addr_table_init(addr_entry *t);
/* The transport slot for addr, or -1. */
int addr_table_find(const addr_entry *t, const struct sockaddr *addr);
/* 0, or -1 if addr is present already (it never moves between transports) or the table is full. */
int addr_table_put(addr_entry *t, const struct sockaddr *addr, int slot);
void addr_table_del(addr_entry *t, const struct sockaddr *addr);

void ssrc_table_init(ssrc_entry *t);
/* 0 and the slot and index, or -1. */
int ssrc_table_find(const ssrc_entry *t, uint32_t ssrc, int *slot, int *index);
/* 0, or -1 if the SSRC is taken already or the table is full. */
int ssrc_table_put(ssrc_entry *t, uint32_t ssrc, int slot, int index);
void ssrc_table_del(ssrc_entry *t, uint32_t ssrc);

#endif
