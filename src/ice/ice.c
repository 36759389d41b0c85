/* ICE-lite agent logic for one SFU transport (see ice.h): authenticates the
 * browser's connectivity checks, answers them, keeps the short list of valid
 * remote addresses, follows nomination and tracks consent freshness. */
#include "ice/ice.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "net/tcp.h"

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/" (64 of them, so a random
 * byte's low six bits pick one without bias). */
static const char ice_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool is_ice_char(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

int ice_agent_init(ice_agent *a, uint64_t now_ms) {
  uint8_t r[ICE_UFRAG_LEN + ICE_PWD_LEN];
  memset(a, 0, sizeof *a);
  if (RAND_bytes(r, sizeof r) != 1) {
    OPENSSL_cleanse(r, sizeof r);
    return -1;
  }
  for (size_t i = 0; i < ICE_UFRAG_LEN; i++) a->local_ufrag[i] = ice_alphabet[r[i] & 63];
  for (size_t i = 0; i < ICE_PWD_LEN; i++) a->local_pwd[i] = ice_alphabet[r[ICE_UFRAG_LEN + i] & 63];
  OPENSSL_cleanse(r, sizeof r);
  a->created_ms = now_ms;
  a->last_consent_ms = now_ms;
  return 0;
}

void ice_agent_wipe(ice_agent *a) { OPENSSL_cleanse(a, sizeof *a); }

void ice_agent_set_remote_ufrag(ice_agent *a, const char *ufrag) {
  memset(a->remote_ufrag, 0, sizeof a->remote_ufrag);
  a->remote_ufrag_invalid = false;
  if (ufrag == NULL) return;
  size_t len = strnlen(ufrag, ICE_MAX_REMOTE_UFRAG + 1);
  bool ok = len <= ICE_MAX_REMOTE_UFRAG;
  for (size_t i = 0; ok && i < len; i++) ok = is_ice_char((uint8_t)ufrag[i]);
  if (!ok) {
    a->remote_ufrag_invalid = true;
    return;
  }
  memcpy(a->remote_ufrag, ufrag, len);
}

int ice_username_local(const stun_msg *m, char *out, size_t cap) {
  if (m == NULL || m->username == NULL || out == NULL) return -1;
  const uint8_t *colon = memchr(m->username, ':', m->username_len);
  if (colon == NULL) return -1;
  size_t len = (size_t)(colon - m->username);
  if (len == 0 || len >= cap) return -1;
  for (size_t i = 0; i < len; i++)
    if (!is_ice_char(m->username[i])) return -1;
  memcpy(out, m->username, len);
  out[len] = '\0';
  return 0;
}

int sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b) {
  if (a == NULL || b == NULL || a->sa_family != b->sa_family) return 0;
  if (a->sa_family == AF_MEDIA_TCP) {
    const tcp_path *x = (const tcp_path *)(const void *)a, *y = (const tcp_path *)(const void *)b;
    return x->index == y->index && x->gen == y->gen;
  }
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a,
                              *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

/* Copies an AF_INET, AF_INET6 or AF_MEDIA_TCP address into a zeroed sockaddr_storage. */
static void store_addr(struct sockaddr_storage *dst, const struct sockaddr *src) {
  memset(dst, 0, sizeof *dst);
  if (src->sa_family == AF_INET)
    memcpy(dst, src, sizeof(struct sockaddr_in));
  else if (src->sa_family == AF_MEDIA_TCP)
    memcpy(dst, src, sizeof(tcp_path));
  else
    memcpy(dst, src, sizeof(struct sockaddr_in6));
}

bool ice_agent_is_valid_addr(const ice_agent *a, const struct sockaddr *addr) {
  for (int i = 0; i < a->n_valid && i < ICE_MAX_VALID; i++)
    if (sockaddr_equal((const struct sockaddr *)&a->valid[i], addr)) return true;
  return false;
}

/* Moves (or inserts) addr to the front of the valid list. When the list is
 * full, the oldest entry that is not the selected address makes room: media
 * keep flowing to the selected address whatever else is validated. */
static void mark_valid(ice_agent *a, const struct sockaddr *addr) {
  int slot = -1;
  for (int i = 0; i < a->n_valid; i++)
    if (sockaddr_equal((const struct sockaddr *)&a->valid[i], addr)) slot = i;
  if (slot < 0 && a->n_valid < ICE_MAX_VALID) slot = a->n_valid++;
  for (int i = a->n_valid - 1; slot < 0 && i >= 0; i--) {
    if (!a->has_selected ||
        !sockaddr_equal((const struct sockaddr *)&a->valid[i], (const struct sockaddr *)&a->selected))
      slot = i;
  }
  if (slot < 0) slot = a->n_valid - 1; /* unreachable: only one entry can be the selected one */
  memmove(&a->valid[1], &a->valid[0], (size_t)slot * sizeof a->valid[0]);
  store_addr(&a->valid[0], addr);
}

/* USERNAME must be "<local_ufrag>:<remote_ufrag>", or "<local_ufrag>:..."
 * while the remote ufrag is unknown. Neither is secret (both travel in SDP),
 * so a plain comparison is fine; the password is what authenticates. */
static bool username_matches(const ice_agent *a, const stun_msg *m) {
  size_t llen = strlen(a->local_ufrag), rlen = strlen(a->remote_ufrag);
  if (a->remote_ufrag_invalid || m->username == NULL || llen == 0) return false;
  if (m->username_len < llen + 1 || memcmp(m->username, a->local_ufrag, llen) != 0 ||
      m->username[llen] != ':')
    return false;
  if (rlen == 0) return true;
  return m->username_len == llen + 1 + rlen &&
         memcmp(m->username + llen + 1, a->remote_ufrag, rlen) == 0;
}

/* Updates the selection after an authenticated check from `from`; returns
 * true when it changed. */
static bool update_selection(ice_agent *a, const stun_msg *m, const struct sockaddr *from,
                             uint64_t now_ms) {
  bool changed = false;
  bool same = a->has_selected && sockaddr_equal((const struct sockaddr *)&a->selected, from);
  if (m->use_candidate) {
    changed = !a->nominated || !same;
    a->nominated = true;
  } else {
    changed = !a->has_selected;
  }
  if (changed && !same) {
    store_addr(&a->selected, from);
    a->has_selected = true;
    a->ever_selected = true;
  }
  if (a->has_selected && sockaddr_equal((const struct sockaddr *)&a->selected, from))
    a->last_consent_ms = now_ms;
  return changed;
}

ice_result ice_agent_handle(ice_agent *a, const uint8_t *p, size_t n, const struct sockaddr *from,
                            uint64_t now_ms, uint8_t *out, size_t cap, size_t *out_len) {
  stun_msg m;
  *out_len = 0;
  if (a == NULL || from == NULL || out == NULL) return ICE_IGNORED;
  if (from->sa_family != AF_INET && from->sa_family != AF_INET6 && from->sa_family != AF_MEDIA_TCP)
    return ICE_IGNORED;
  if (!stun_looks_like(p, n) || stun_parse(p, n, &m) != STUN_OK) return ICE_IGNORED;
  if (m.method != STUN_METHOD_BINDING || m.cls != STUN_CLASS_REQUEST) return ICE_IGNORED;
  if (!m.has_fingerprint || !m.has_integrity || !username_matches(a, &m)) return ICE_IGNORED;
  const uint8_t *key = (const uint8_t *)a->local_pwd;
  size_t key_len = strlen(a->local_pwd);
  if (stun_check_integrity(p, n, &m, key, key_len) != STUN_OK) return ICE_IGNORED;

  /* Authenticated from here on: errors are answered (RFC 8489 7.3.1,
   * RFC 8445 7.3.1.1), with integrity so the browser accepts them. */
  size_t len;
  if (m.n_unknown_required > 0) {
    len = stun_build_unknown_attributes(out, cap, STUN_METHOD_BINDING, m.txid, m.unknown_required,
                                        m.n_unknown_required, key, key_len);
    *out_len = len;
    return len ? ICE_RESPONDED : ICE_IGNORED;
  }
  if (m.ice_controlled) {
    len = stun_build_error(out, cap, STUN_METHOD_BINDING, m.txid, 487, NULL, key, key_len);
    *out_len = len;
    return len ? ICE_RESPONDED : ICE_IGNORED;
  }
  len = stun_build_binding_success(out, cap, m.txid, tcp_path_peer(from), key, key_len);
  if (len == 0) return ICE_IGNORED;
  *out_len = len;
  mark_valid(a, from);
  return update_selection(a, &m, from, now_ms) ? ICE_SELECTED : ICE_RESPONDED;
}

void ice_agent_forget(ice_agent *a, const struct sockaddr *addr) {
  for (int i = 0; i < a->n_valid; i++) {
    if (!sockaddr_equal((const struct sockaddr *)&a->valid[i], addr)) continue;
    memmove(&a->valid[i], &a->valid[i + 1], (size_t)(a->n_valid - 1 - i) * sizeof a->valid[0]);
    memset(&a->valid[--a->n_valid], 0, sizeof a->valid[0]);
    break;
  }
  if (a->has_selected && sockaddr_equal((const struct sockaddr *)&a->selected, addr)) {
    /* Media has nowhere to go until the browser checks (and so selects) another address. */
    memset(&a->selected, 0, sizeof a->selected);
    a->has_selected = false;
    a->nominated = false;
  }
}

void ice_agent_described(ice_agent *a, uint64_t now_ms) {
  if (a->described) return;
  a->described = true;
  a->described_ms = now_ms;
}

static uint64_t add_ms(uint64_t t, uint64_t ms) { return t > UINT64_MAX - ms ? UINT64_MAX : t + ms; }

uint64_t ice_agent_connect_deadline(const ice_agent *a) {
  uint64_t deadline = add_ms(a->created_ms, ICE_DESCRIBE_TIMEOUT_MS);
  if (a->described) {
    uint64_t from = a->described_ms < a->created_ms ? a->created_ms : a->described_ms;
    uint64_t d = add_ms(from, ICE_CONNECT_TIMEOUT_MS);
    if (d < deadline) deadline = d;
  }
  return deadline;
}

bool ice_agent_consent_expired(const ice_agent *a, uint64_t now_ms) {
  /* Never connected: a browser connects within a second or two of having
   * both descriptions; an agent that does not (a client that never starts
   * ICE) must not hold a transport of the pool for long. */
  if (!a->ever_selected) return now_ms >= ice_agent_connect_deadline(a);
  return now_ms >= a->last_consent_ms && now_ms - a->last_consent_ms >= ICE_CONSENT_TIMEOUT_MS;
}
