/* The test tap of the media worker (see tap.h): capture files and the
 * tampering attacker. Nothing here runs unless the server is in test mode. */
#include "sfu/tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/log.h"
#include "net/udp.h"

struct sfu_tap {
  char capture_dir[512]; /* "" = no capture */
  int tamper_every;      /* 0 = no tampering */
  int uplink_loss_pct;   /* 0 = no loss */
  uint32_t rng;          /* xorshift state for the loss */
};

struct tap_stream {
  bool audio;
  FILE *capture;
  uint64_t forwarded;
  uint8_t last_payload[UDP_MAX_DATAGRAM]; /* tamper: the previous audio payload, to replay */
  size_t last_len;
};

sfu_tap *tap_new(bool test_mode, const char *capture_dir, int tamper_every, int uplink_loss_pct) {
  bool capture = capture_dir && capture_dir[0];
  if (!test_mode || (!capture && tamper_every < 2 && uplink_loss_pct <= 0)) return NULL;
  sfu_tap *tap = calloc(1, sizeof *tap);
  if (!tap) return NULL;
  if (capture) snprintf(tap->capture_dir, sizeof tap->capture_dir, "%s", capture_dir);
  tap->tamper_every = tamper_every >= 2 ? tamper_every : 0;
  tap->uplink_loss_pct = uplink_loss_pct > 0 && uplink_loss_pct <= 90 ? uplink_loss_pct : 0;
  tap->rng = 0x9e3779b9u;
  return tap;
}

bool tap_drop_uplink(sfu_tap *tap) {
  if (!tap || !tap->uplink_loss_pct) return false;
  uint32_t x = tap->rng; /* xorshift32: a fixed, spread-out pattern of losses */
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  tap->rng = x;
  return x % 100 < (uint32_t)tap->uplink_loss_pct;
}

void tap_free(sfu_tap *tap) { free(tap); }

tap_stream *tap_stream_open(sfu_tap *tap, uint32_t transport_id, uint32_t ssrc, bool audio) {
  if (!tap) return NULL;
  tap_stream *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->audio = audio;
  if (tap->capture_dir[0]) {
    char path[700];
    snprintf(path, sizeof path, "%s/t%u-%08x-%s.cap", tap->capture_dir, transport_id, ssrc,
             audio ? "audio" : "video");
    st->capture = fopen(path, "wb");
    if (st->capture) {
      setvbuf(st->capture, NULL, _IOFBF, 1 << 16);
      fputs("SRCAP1\n", st->capture);
    } else {
      log_warn("tap: cannot write %s", path);
    }
  }
  return st;
}

void tap_stream_close(tap_stream *st) {
  if (!st) return;
  if (st->capture) fclose(st->capture);
  free(st);
}

/* Capture record: 4-byte big-endian payload length, 2-byte sequence number,
 * 4-byte RTP timestamp, 1 byte marker, then the payload exactly as received
 * after SRTP decryption (RTP header and padding removed). */
static void capture_write(tap_stream *st, const uint8_t *pkt, const rtp_header *h) {
  uint8_t rec[11];
  uint32_t n = (uint32_t)h->payload_len;
  put_be32(rec, n);
  put_be16(rec + 4, h->seq);
  put_be32(rec + 6, h->timestamp);
  rec[10] = h->marker;
  fwrite(rec, 1, sizeof rec, st->capture);
  fwrite(pkt + h->header_len, 1, n, st->capture);
}

/* The server as an active attacker: alters a frame, injects plain bytes,
 * and replays an earlier frame under a fresh RTP header, so only the
 * end-to-end layer can notice. */
static size_t tamper(tap_stream *st, int every, uint8_t *pkt, size_t len, size_t max_len,
                     const rtp_header *h) {
  if (h->payload_len <= 4 || h->header_len + h->payload_len > len) return len;
  uint64_t n = st->forwarded % (uint64_t)every;
  uint8_t *payload = pkt + h->header_len;
  if (n == 0) {
    payload[h->payload_len - 1] ^= 0x01; /* altered */
    return len;
  }
  if (n == 1) {
    memset(payload + 1, 0x41, h->payload_len - 1); /* replaced by plain bytes */
    return len;
  }
  if (n == 2 && st->last_len && !h->padding && h->header_len + st->last_len <= max_len) {
    memcpy(payload, st->last_payload, st->last_len); /* the previous frame again */
    return h->header_len + st->last_len;
  }
  if (h->payload_len <= sizeof st->last_payload) {
    memcpy(st->last_payload, payload, h->payload_len);
    st->last_len = h->payload_len;
  }
  return len;
}

size_t tap_packet(sfu_tap *tap, tap_stream *st, uint8_t *pkt, size_t len, size_t max_len,
                  const rtp_header *h) {
  if (!st) return len;
  if (st->capture) capture_write(st, pkt, h);
  st->forwarded++;
  if (tap->tamper_every && st->audio) len = tamper(st, tap->tamper_every, pkt, len, max_len, h);
  return len;
}
