/* Open-addressing tables with backward-shift deletion (Knuth 6.4, algorithm R):
 * after removing an entry, later entries of the same probe run move back into
 * the hole unless their home position lies cyclically after it. */
#include "sfu/tables.h"

#include <netinet/in.h>
#include <string.h>

#include "ice/ice.h"
#include "net/tcp.h"

#define ADDR_MASK (ADDR_TABLE_SLOTS - 1)
#define SSRC_MASK (SSRC_TABLE_SLOTS - 1)

static uint32_t addr_hash(const struct sockaddr *sa) {
  uint32_t h = 2166136261u;
  const uint8_t *p;
  size_t n;
  uint16_t port;
  if (sa->sa_family == AF_MEDIA_TCP) { /* a TCP connection: its index and generation */
    const tcp_path *c = (const tcp_path *)(const void *)sa;
    p = (const uint8_t *)&c->gen;
    n = sizeof c->gen;
    port = c->index;
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;
    p = a->sin6_addr.s6_addr;
    n = 16;
    port = a->sin6_port;
  } else {
    const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;
    p = (const uint8_t *)&a->sin_addr;
    n = 4;
    port = a->sin_port;
  }
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  h = (h ^ (port & 0xffu)) * 16777619u;
  h = (h ^ (uint32_t)(port >> 8)) * 16777619u;
  return h;
}

static uint32_t ssrc_hash(uint32_t ssrc) { return ssrc * 2654435761u; }

/* True if home lies cyclically in (hole, j]: the entry at j must stay. */
static bool stays(uint32_t hole, uint32_t j, uint32_t home) {
  return hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
}

static socklen_t addr_len(const struct sockaddr *sa) {
  if (sa->sa_family == AF_MEDIA_TCP) return sizeof(tcp_path);
  return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void addr_table_init(addr_entry *t) {
  for (int i = 0; i < ADDR_TABLE_SLOTS; i++) t[i].slot = -1;
}

static int addr_pos(const addr_entry *t, const struct sockaddr *sa) {
  uint32_t i = addr_hash(sa) & ADDR_MASK;
  for (int probes = 0; probes < ADDR_TABLE_SLOTS; probes++, i = (i + 1) & ADDR_MASK) {
    if (t[i].slot < 0) return -1;
    if (sockaddr_equal((const struct sockaddr *)&t[i].addr, sa)) return (int)i;
  }
  return -1;
}

int addr_table_find(const addr_entry *t, const struct sockaddr *sa) {
  int pos = addr_pos(t, sa);
  return pos < 0 ? -1 : t[pos].slot;
}

int addr_table_put(addr_entry *t, const struct sockaddr *sa, int slot) {
  uint32_t i = addr_hash(sa) & ADDR_MASK;
  for (int probes = 0; probes < ADDR_TABLE_SLOTS / 2; probes++, i = (i + 1) & ADDR_MASK) {
    if (t[i].slot < 0) {
      memset(&t[i].addr, 0, sizeof t[i].addr);
      memcpy(&t[i].addr, sa, addr_len(sa));
      t[i].slot = slot;
      return 0;
    }
    if (sockaddr_equal((const struct sockaddr *)&t[i].addr, sa)) return -1;
  }
  return -1;
}

void addr_table_del(addr_entry *t, const struct sockaddr *sa) {
  int pos = addr_pos(t, sa);
  if (pos < 0) return;
  uint32_t hole = (uint32_t)pos, j = hole;
  t[hole].slot = -1;
  for (;;) {
    j = (j + 1) & ADDR_MASK;
    if (t[j].slot < 0) return;
    if (stays(hole, j, addr_hash((const struct sockaddr *)&t[j].addr) & ADDR_MASK)) continue;
    t[hole] = t[j];
    t[j].slot = -1;
    hole = j;
  }
}

void ssrc_table_init(ssrc_entry *t) {
  for (int i = 0; i < SSRC_TABLE_SLOTS; i++) t[i].slot = -1;
}

static int ssrc_pos(const ssrc_entry *t, uint32_t ssrc) {
  uint32_t i = ssrc_hash(ssrc) & SSRC_MASK;
  for (int probes = 0; probes < SSRC_TABLE_SLOTS; probes++, i = (i + 1) & SSRC_MASK) {
    if (t[i].slot < 0) return -1;
    if (t[i].ssrc == ssrc) return (int)i;
  }
  return -1;
}

int ssrc_table_find(const ssrc_entry *t, uint32_t ssrc, int *slot, int *index) {
  int pos = ssrc_pos(t, ssrc);
  if (pos < 0) return -1;
  *slot = t[pos].slot;
  *index = t[pos].index;
  return 0;
}

int ssrc_table_put(ssrc_entry *t, uint32_t ssrc, int slot, int index) {
  uint32_t i = ssrc_hash(ssrc) & SSRC_MASK;
  for (int probes = 0; probes < SSRC_TABLE_SLOTS / 2; probes++, i = (i + 1) & SSRC_MASK) {
    if (t[i].slot < 0) {
      t[i].ssrc = ssrc;
      t[i].slot = (int16_t)slot;
      t[i].index = (int16_t)index;
      return 0;
    }
    if (t[i].ssrc == ssrc) return -1;
  }
  return -1;
}

void ssrc_table_del(ssrc_entry *t, uint32_t ssrc) {
  int pos = ssrc_pos(t, ssrc);
  if (pos < 0) return;
  uint32_t hole = (uint32_t)pos, j = hole;
  t[hole].slot = -1;
  for (;;) {
    j = (j + 1) & SSRC_MASK;
    if (t[j].slot < 0) return;
    if (stays(hole, j, ssrc_hash(t[j].ssrc) & SSRC_MASK)) continue;
    t[hole] = t[j];
    t[j].slot = -1;
    hole = j;
  }
}
