/* SDP (RFC 8866) as the SFU negotiates it with browsers (JSEP, RFC 8829):
 * parsing of browser offers and answers, and generation of the SFU's answers
 * (publish connection) and offers (subscribe connection). The SFU is ICE-lite
 * with one host candidate, bundles everything on one transport (BUNDLE,
 * RFC 8843, rtcp-mux, RFC 5761) and is always the DTLS server.
 *
 * Control plane only (not per packet): an sdp_session is large (about 3 MiB,
 * allocate it on the heap), but every parse is bounded by the limits below
 * and nothing in the input is trusted. Generators write into caller buffers
 * and never write past cap. */
#ifndef SEALROOM_SDP_H
#define SEALROOM_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 256
#define SDP_MAX_CODECS 32 /* further payload types of an m-line are ignored */
#define SDP_MAX_EXT 16    /* further extmap lines of an m-line are ignored */
#define SDP_MAX_SSRC 4
#define SDP_MAX_RIDS 4   /* further send rids of an m-line are ignored */
#define SDP_RID_MAX 16   /* longest rid kept (RFC 8851 rid-id); longer ones are ignored */
#define SDP_MAX_LAYERS 3 /* simulcast encodings the SFU takes from a publisher */
#define SDP_MAX_LINE 4096        /* longest accepted line, without its CRLF */
#define SDP_MAX_TEXT (256 * 1024) /* longest accepted description */

typedef enum { SDP_AUDIO, SDP_VIDEO, SDP_APPLICATION, SDP_OTHER } sdp_kind;
typedef enum { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE } sdp_dir;
enum { SDP_FB_NACK = 1, SDP_FB_PLI = 2, SDP_FB_FIR = 4, SDP_FB_REMB = 8, SDP_FB_TCC = 16 };

/* One payload type of an m-line. Without an rtpmap line, name is "" (except
 * the static types 0 PCMU, 8 PCMA, 9 G722, 13 CN) and clock 0. channels is
 * the rtpmap's third field, 1 if absent on audio, 0 if absent otherwise. */
typedef struct {
  uint8_t pt;
  char name[32];
  uint32_t clock;
  uint8_t channels;
  char fmtp[256]; /* the fmtp parameters as written, "" if none */
  uint8_t fb;     /* SDP_FB_* from rtcp-fb lines for this pt or "*" */
  int apt;        /* rtx: associated pt, else -1 */
} sdp_codec;

typedef struct {
  uint8_t id; /* 1..255 */
  char uri[128];
} sdp_ext;

typedef struct {
  sdp_kind kind;
  char mid[33];
  uint16_t port;
  sdp_dir dir; /* the m-line's, else the session's, else sendrecv */
  bool rtcp_mux;
  sdp_codec codecs[SDP_MAX_CODECS];
  int n_codecs; /* in m-line order */
  sdp_ext exts[SDP_MAX_EXT];
  int n_exts;
  uint32_t ssrcs[SDP_MAX_SSRC];
  int n_ssrcs;       /* media SSRCs (first of each FID group first) */
  uint32_t rtx_ssrc; /* second SSRC of ssrc-group:FID, 0 if none */
  char msid_stream[65], msid_track[65]; /* a=msid, else the first a=ssrc msid: */
  /* Simulcast (RFC 8853): a=rid:<id> send lines, in order, and the send
   * list of the first a=simulcast line (the first alternative of each
   * entry, a leading "~" (paused) dropped), in its order. */
  char rids[SDP_MAX_RIDS][SDP_RID_MAX + 1];
  int n_rids;
  char simulcast[SDP_MAX_RIDS][SDP_RID_MAX + 1];
  int n_simulcast;
  /* Additions to the brief's API: */
  bool rtcp_rsize;  /* a=rtcp-rsize (RFC 5506) */
  bool bundle_only; /* a=bundle-only (RFC 8843): port 0 but meant to be bundled */
  char media[16];   /* the m-line's media token as written ("audio", "text", ...) */
  char proto[32];   /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
  char fmt0[32];    /* first format token ("111", "webrtc-datachannel") */
} sdp_media;

typedef struct {
  char ice_ufrag[257], ice_pwd[257]; /* ice-char only, 4..256 and 22..256 chars */
  bool ice_lite;
  char fp_alg[16]; /* lower case: "sha-256", ... */
  uint8_t fp[64];
  size_t fp_len; /* fingerprint bytes decoded from "AB:CD:..." */
  char setup[12];  /* "active" | "passive" | "actpass" | "holdconn" | "" */
  char bundle[SDP_MAX_MEDIA][33]; /* the first a=group:BUNDLE, in its order */
  int n_bundle;
  sdp_media media[SDP_MAX_MEDIA];
  int n_media;
} sdp_session;

/* Parses text[0..len) (no NUL needed). Accepts CRLF or LF line ends, a last
 * line without one, and skips empty lines; ignores unknown line types and
 * attributes. Media-level ice-ufrag/pwd/fingerprint/setup fill the session
 * ones when absent (browsers put them per m-line); the first value wins,
 * except that a sha-256 fingerprint replaces one of another hash.
 * Session-level rtpmap/fmtp/extmap lines are ignored.
 *
 * Returns 0, or -1 with a short reason in err (if errcap > 0). Rejects: a
 * first line other than "v=0", > 256 m-lines, lines > 4096 bytes, total >
 * 256 KiB, control characters (NUL, lone CR, ...), a line not of the form
 * "x=...", malformed or out-of-range numbers, pt > 127, duplicate payload
 * types in an m-line, malformed rtpmap/fmtp/rtcp-fb/extmap/ssrc lines,
 * duplicate extmap ids in an m-line, fingerprints that are not hex pairs or
 * not of their hash's length, unknown setup values, ufrag/pwd outside
 * RFC 8839's characters and lengths, mid/msid that are not 1..32 / 1..64
 * token characters, two mids in one m-line and duplicate mids. Only
 * out->n_media entries of media[] (and n_bundle of bundle[]) are written; on
 * failure the content of out is unspecified. */
int sdp_parse(const char *text, size_t len, sdp_session *out, char *err, size_t errcap);

#define SDP_CAND_UDP 1 /* a host candidate on the UDP media port */
#define SDP_CAND_TCP 2 /* a passive ICE-TCP host candidate on the same port (RFC 6544) */

typedef struct {
  const char *ice_ufrag, *ice_pwd; /* ice-char, 4..256 and 22..256 chars */
  const char *fingerprint;         /* "AB:CD:..." SHA-256 of the server certificate */
  const char *ip;                  /* the host candidate: IPv4 or IPv6 literal */
  uint16_t port;                   /* 1..65535 */
  uint64_t session_id;
  uint32_t session_version;
  uint8_t candidates;              /* SDP_CAND_UDP and/or SDP_CAND_TCP; 0 is read as UDP alone */
} sdp_local;

/* What the SFU needs to know about each m-line of a publish offer. */
typedef struct {
  int index;
  sdp_kind kind;
  char mid[33];
  bool accepted;
  uint8_t pt;   /* chosen codec's payload type in the publisher's numbering */
  char codec[16]; /* "opus" | "VP8" | "" when not accepted */
  uint8_t ext_audio_level, ext_abs_send_time, ext_mid; /* the offer's ids, 0 if absent/not accepted */
  uint8_t ext_twcc; /* transport-wide sequence numbers: the offer's id, 0 if not accepted */
  uint32_t ssrc;     /* the offer's first media SSRC, 0 if none */
  uint32_t rtx_ssrc; /* always 0: RTX is never accepted */
  /* Additions to the brief's API: */
  sdp_dir dir; /* the answer's direction: SDP_RECVONLY, or SDP_INACTIVE (also when rejected) */
  uint8_t fb;  /* SDP_FB_* negotiated for the chosen codec */
  /* Simulcast, accepted for VP8 when the offer sends two or more rids in
   * a=simulcast with the rtp-stream-id extension: the encodings taken,
   * lowest first (the offer's a=simulcast order: the meeting page lists
   * them from the smallest up), at most SDP_MAX_LAYERS; 0 without. ssrc is
   * then 0 (the encodings' SSRCs are learnt from the extension). */
  int n_layers;
  char rids[SDP_MAX_LAYERS][SDP_RID_MAX + 1];
  uint8_t ext_rid; /* the rtp-stream-id extension's id */
} sdp_track;

/* Answer to a browser's publish offer, written to out (NUL-terminated).
 *
 * Per m-line: audio accepts the first opus/48000/2 (fmtp
 * "minptime=10;useinbandfec=1"); video accepts the first VP8/90000, with
 * those of rtcp-fb "nack", "nack pli", "ccm fir", "goog-remb" that the offer
 * has for it (JSEP 5.3.1; never rtx). Extmaps accepted with the offer's ids
 * (1..14 only, so the one-byte form always works): ssrc-audio-level,
 * abs-send-time, sdes:mid. Transport-wide CC (rtcp-fb transport-cc and the
 * transport-wide-cc extmap) is accepted, on audio and video, only when the
 * offer has both for the m-line: the SFU then sends the feedback.
 * Direction: sendonly/sendrecv -> recvonly, else inactive.
 * Rejected (port 0, same proto and first format, a=mid kept): application
 * and other kinds, no acceptable codec, proto other than UDP/TLS/RTP/SAVPF,
 * no rtcp-mux, no mid, port 0 without bundle-only, and m-lines outside the
 * offer's BUNDLE group. An offer without a BUNDLE group gets at most one
 * accepted m-line and no group line (an answer may not add a group).
 *
 * Session: a=ice-lite, a=group:BUNDLE of the accepted mids (in the offer's
 * group order), a=msid-semantic: WMS *; per accepted m-line c=, a=mid,
 * ice-ufrag/pwd, fingerprint sha-256, setup:passive, rtcp-mux, rtcp-rsize if
 * offered, the host candidate and end-of-candidates. An IPv6 ip gives IN IP6.
 *
 * Returns the length written (< cap), or -1: offer unusable (no accepted
 * m-line, no ice-ufrag/pwd, no 32-byte sha-256 fingerprint, setup not
 * actpass/active), invalid local, cap too small, or tracks != NULL with
 * max_tracks < offer->n_media. tracks (may be NULL) gets one entry per
 * m-line, accepted or not; *n_tracks (may be NULL) their count. */
int sdp_build_publish_answer(const sdp_session *offer, const sdp_local *local, char *out,
                             size_t cap, sdp_track *tracks, int max_tracks, int *n_tracks);

/* One m-line of the subscribe offer. */
typedef struct {
  sdp_kind kind; /* SDP_AUDIO or SDP_VIDEO */
  char mid[33];  /* 1..32 token characters, unique */
  bool active;
  uint32_t ssrc;
  char stream_id[65]; /* 1..64 token characters (when active) */
  char track_id[65];
} sdp_sub_line;
#define SDP_SUB_PT_OPUS 111
#define SDP_SUB_PT_VP8 96
#define SDP_SUB_EXT_AUDIO_LEVEL 1
#define SDP_SUB_EXT_ABS_SEND_TIME 2

/* A cap that always suffices for an offer or answer of n m-lines. */
#define SDP_OUT_CAP(n) (1024 + (size_t)(n)*2048)

/* Offer for the subscribe connection: one m-line per entry, in order (the
 * same entry keeps its m-line index across renegotiations). Active entries:
 * a=sendonly, a=msid:<stream_id> <track_id>, a=ssrc:<ssrc> cname:<stream_id>
 * and a=ssrc:<ssrc> msid:<stream_id> <track_id>; inactive entries:
 * a=inactive, no ssrc/msid, same mid, port 9. Codecs: opus 111 (no rtcp-fb),
 * VP8 96 with nack, nack pli, ccm fir, goog-remb. extmap 1 ssrc-audio-level on
 * audio lines, extmap 2 abs-send-time on video lines (the publisher's send
 * times, forwarded: the subscriber's receive-side estimate, its REMB, needs
 * them to tell queueing from the publisher's pacing). Session: a=ice-lite, BUNDLE of all mids, a=setup:actpass,
 * ICE/fingerprint/candidate lines as in the publish answer.
 * Short mids ("0", "1", ...) are best: the BUNDLE line lists them all and
 * must stay within SDP_MAX_LINE (256 mids of up to 14 characters fit).
 * Returns the length written (< cap) or -1: n <= 0 or > SDP_MAX_MEDIA, an
 * invalid entry (kind, mid, duplicate mid, ids of an active entry), a
 * BUNDLE line over SDP_MAX_LINE, invalid local, or cap too small. */
int sdp_build_subscribe_offer(const sdp_sub_line *lines, int n, const sdp_local *local,
                              char *out, size_t cap);

/* Checks a browser's answer to a subscribe offer built from lines: same
 * number of m-lines, same kinds and mids in order, ice ufrag/pwd present,
 * a 32-byte sha-256 fingerprint, setup active (the server is always the DTLS
 * server). For active entries also: not rejected (port 0 without
 * bundle-only), direction recvonly or inactive, in the answer's BUNDLE
 * group, and the offered codec (opus 111 / VP8 96) kept.
 * Returns 0 or -1 with a short reason in err. */
int sdp_check_subscribe_answer(const sdp_session *answer, const sdp_sub_line *lines, int n,
                               char *err, size_t errcap);

/* RFC 8866 token: 1 or more token-char (printable ASCII except space and
 * "(),/:;<=>?@[\]" and '"'). */
bool sdp_is_token(const char *s, size_t n);

/* RFC 8839 ice-char string of min..max characters (ALPHA / DIGIT / "+" / "/"). */
bool sdp_is_ice_string(const char *s, size_t n, size_t min, size_t max);

/* Decodes "AB:CD:..." (hex digits of either case, exactly two per byte, ':'
 * between bytes, nothing else) into out. Returns 0 and sets *out_len, or -1
 * if malformed, empty or longer than cap bytes. */
int sdp_fingerprint_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* Formats n (1..64) bytes as "AB:CD:..." (upper case) into out. Returns the
 * length written (3n - 1), or -1 if n is out of range or cap < 3n. */
int sdp_fingerprint_format(const uint8_t *fp, size_t n, char *out, size_t cap);

#endif
