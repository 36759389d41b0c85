/* SDP for the native client (libsealroom-client), the browser's side of
 * docs/signalling.md: the publish offer we send in `publish_offer`, parsing
 * of the server's publish answer and subscribe offers into an sc_remote
 * (ICE credentials, fingerprint, host candidates, per m-line mid, kind,
 * direction, SSRCs, msid, payload types), and the subscribe answer we send in
 * `subscribe_answer`.
 *
 * Parsing reuses the server's own parser (src/sdp/sdp_parse.c: every limit
 * and character class checked) plus a bounded scan of a=candidate lines,
 * which that parser skips. The server's SDP is untrusted input: everything
 * is bounds-checked, and tests/fuzz/fuzz_client_sdp.c runs it on garbage.
 *
 * Control plane only (never per packet). Generators write into caller
 * buffers, never past cap, and return the length written (< cap, the text is
 * NUL-terminated) or -1. Parsing allocates one temporary sdp_session (about
 * 3 MiB) on the heap and frees it before returning. */
#ifndef SEALROOM_CLIENT_SDP_CLIENT_H
#define SEALROOM_CLIENT_SDP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/rtp_media.h"
#include "sdp/sdp.h"

#define SC_SDP_MAX_MEDIA SDP_MAX_MEDIA /* m-lines of a subscribe offer: 256 */
#define SC_SDP_MAX_CANDIDATES 8        /* UDP host candidates kept (more are counted, not kept) */

/* Payload types and mids of the publish offer (what Chrome uses). */
#define SC_PT_OPUS 111
#define SC_PT_VP8 96
#define SC_MAX_LAYERS 3                /* simulcast encodings of our video */

/* A cap that always suffices for sc_sdp_build_publish_offer. */
#define SC_SDP_OFFER_CAP 4096
/* A cap that always suffices for a subscribe answer of n m-lines. */
#define SC_SDP_ANSWER_CAP(n) (1024 + (size_t)(n)*1024)

/* Our side of either connection: ICE credentials (RFC 8839 ice-chars: ufrag
 * 4..256, pwd 22..256 characters) and our certificate's SHA-256 fingerprint
 * ("AB:CD:...", dtls_cert_fingerprint). sc_peer_ufrag()/sc_peer_pwd() give
 * the values of a peer (client/peer.h). */
typedef struct {
  const char *ice_ufrag, *ice_pwd;
  const char *fingerprint;
  uint64_t session_id;      /* o= line; 0 is fine */
  uint32_t session_version; /* o= line; bump per new offer */
} sc_local_desc;

/* Optional: our one UDP host candidate (IPv4/IPv6 literal, port 1..65535),
 * put in the first m-line with a=end-of-candidates (Janus wants candidates
 * in the SDP when trickle is false). ip NULL: no candidate line (sealroomd
 * learns our address from the checks). */
typedef struct {
  const char *ip;
  uint16_t port;
} sc_sdp_candidate;

/* What to publish. Either track may be left out (but not both). The stream
 * id is the a=msid stream part and the cname; track ids the msid track part;
 * all 1..64 RFC 8866 token characters. SSRCs must be non-zero and distinct
 * (the server refuses an SSRC any sender already uses: draw them at random).
 * Mids: "0" for the first m-line, "1" for the second (audio first). */
typedef struct {
  sc_local_desc local;
  const char *stream_id;
  bool audio;
  uint32_t audio_ssrc;
  const char *audio_track_id;
  bool video;
  uint32_t video_ssrc;
  const char *video_track_id;
  bool remb; /* offer rtcp-fb goog-remb on VP8 (the server sends REMB then) */
  /* Offer a=setup:active instead of actpass: we are the DTLS client whatever
   * the server prefers (Janus answers an actpass offer with active, itself
   * the client; with active it answers passive). Default false: actpass. */
  bool setup_active;
  sc_sdp_candidate candidate; /* optional, see sc_sdp_candidate */
  /* Declare the RFC 6464 audio level extension on the audio line with this
   * id (1..14); 0: none (the SFU then forwards the track whatever its
   * loudness: it cannot rank it among the loudest). */
  uint8_t audio_level_ext;
  /* Simulcast (RFC 8853): the video goes out in n_rids (2..SC_MAX_LAYERS)
   * encodings named rids[] (1..SC_RTP_NAME_MAX token characters), lowest
   * first. The video line then has a=rid:<id> send lines, a=simulcast:send
   * in that order, the sdes:mid and sdes:rtp-stream-id extmaps under
   * mid_ext and rid_ext (1..14, distinct, not audio_level_ext), and no
   * a=ssrc lines: the SFU learns each encoding's SSRC from its packets.
   * 0: one encoding (video_ssrc). */
  int n_rids;
  const char *rids[SC_MAX_LAYERS];
  uint8_t mid_ext, rid_ext;
} sc_publish_params;

/* Publish offer (JSEP, as a browser makes it): session a=group:BUNDLE,
 * a=msid-semantic; per m-line m=<kind> 9 UDP/TLS/RTP/SAVPF <pt>, c=IN IP4
 * 0.0.0.0, a=mid, ice-ufrag/ice-pwd, a=fingerprint:sha-256, a=setup:actpass
 * (the server answers passive: we are the DTLS client; a=setup:active with
 * p->setup_active), our host candidate if p->candidate.ip, a=sendonly,
 * a=rtcp-mux, a=rtcp-rsize, a=msid, a=ssrc cname/msid. Audio: opus/48000/2
 * PT 111, fmtp minptime=10;useinbandfec=1. Video: VP8/90000 PT 96 with
 * rtcp-fb nack, nack pli, ccm fir (and goog-remb if p->remb); its
 * simulcast lines if p->n_rids. Header extensions: audio level and the
 * simulcast pair only; no RTX, no transport-cc. Returns the length or -1 (invalid
 * parameters, cap too small). */
int sc_sdp_build_publish_offer(const sc_publish_params *p, char *out, size_t cap);

/* One m-line of the server's SDP. */
typedef struct {
  sdp_kind kind;  /* SDP_AUDIO, SDP_VIDEO, or other kinds (never active) */
  char mid[33];   /* "" if the line had none */
  sdp_dir dir;    /* as written (the line's, else the session's, else sendrecv) */
  bool rejected;  /* port 0 without a=bundle-only */
  bool active;    /* audio/video, UDP/TLS/RTP/SAVPF, not rejected, with our
                     codec (pt >= 0), direction not inactive: in a subscribe
                     offer a line we receive on (sendonly), in a publish
                     answer an accepted line (recvonly) */
  uint32_t ssrcs[SDP_MAX_SSRC];
  int n_ssrcs; /* media SSRCs; ssrcs[0] is the stream's */
  /* a=msid (or a=ssrc msid:): in a subscribe offer the stream part is the
   * sending participant's id, the track part its track id; "" if absent. */
  char participant_id[65], track_id[65];
  int pt;      /* payload type of opus/48000/2 (audio) or VP8/90000 (video), -1 if absent */
  uint8_t fb;  /* SDP_FB_* of that payload type */
  bool rtcp_mux;
  bool rtcp_rsize;
  /* Header extension ids offered (1..14), 0 if absent. */
  uint8_t ext_audio_level, ext_abs_send_time;
  uint8_t ext_mid, ext_rid; /* sdes:mid, sdes:rtp-stream-id */
  /* For building the answer to a line we do not take: its media, proto and
   * first format tokens as written. */
  char media[16], proto[32], fmt0[32];
} sc_media;

/* A UDP host candidate of the server (a=candidate ... udp ... typ host). */
typedef struct {
  struct sockaddr_storage addr; /* sockaddr_in or sockaddr_in6 with the port */
  uint32_t priority;
} sc_candidate;

/* The server's description: session-level transport and per-m-line media.
 * Large (about 60 KiB with 256 m-lines): put it on the heap or in a struct
 * that lives there. */
typedef struct {
  char ice_ufrag[257], ice_pwd[257];
  bool ice_lite;
  uint8_t fingerprint[32]; /* sha-256 (required) */
  char setup[12];          /* "passive" in a publish answer, "actpass" in a subscribe offer */
  sc_candidate udp[SC_SDP_MAX_CANDIDATES];
  int n_udp;   /* UDP host candidates kept, in SDP order (highest priority first is not assumed) */
  int n_tcp;   /* passive ICE-TCP candidates seen (noted, not used: we speak UDP only) */
  int n_other; /* other candidates (srflx, relay, unparsable ones), ignored */
  char bundle[SC_SDP_MAX_MEDIA][33];
  int n_bundle;
  sc_media media[SC_SDP_MAX_MEDIA];
  int n_media;
} sc_remote;

/* Parses the server's SDP (a publish answer or a subscribe offer) into *out.
 * Requires: ice-ufrag and ice-pwd, a sha-256 fingerprint of 32 bytes, a
 * setup of passive or actpass, at least one m-line. Candidates: a=candidate
 * lines at session or media level, component 1 only; "udp ... typ host"
 * with an IPv4/IPv6 literal and port 1..65535 go into udp[] (duplicates
 * once), tcp ones are counted. An answer without any UDP host candidate
 * still parses (n_udp == 0): the caller decides (sc_peer_set_remote refuses
 * it). Returns 0, or -1 with a short reason in err (if errcap > 0); on
 * failure *out holds no meaning. */
int sc_sdp_parse_remote(const char *text, size_t len, sc_remote *out, char *err, size_t errcap);

/* Checks a parsed publish answer against what we offered: setup passive, as
 * many m-lines as offered with the same mids and kinds, each accepted
 * (active: recvonly, not rejected) with our payload type. Returns 0 or -1
 * with a reason. A line the server rejected (no codec) is reported as an
 * error: the server never does that to the offer we make. */
int sc_sdp_check_publish_answer(const sc_remote *answer, const sc_publish_params *p, char *err,
                                size_t errcap);

/* Subscribe answer to a parsed subscribe offer (offer->setup must be
 * actpass or passive): the same m-lines, kinds and mids in order, BUNDLE of
 * every non-rejected mid, a=setup:active (we are the DTLS client), our
 * ufrag/pwd/fingerprint, a=rtcp-mux (and rtcp-rsize if offered). Active
 * lines: a=recvonly with the offered opus/VP8 payload type and its rtcp-fb
 * (nack, nack pli, ccm fir, goog-remb as offered) and the audio-level /
 * abs-send-time extmaps as offered (never RTX: retransmissions come on the
 * media SSRC; never transport-cc); inactive lines: a=inactive with the same
 * codec; rejected lines and other kinds: port 0, same proto and first
 * format, a=mid kept. Returns the length or -1. */
int sc_sdp_build_subscribe_answer(const sc_remote *offer, const sc_local_desc *local, char *out,
                                  size_t cap);

/* The same with our host candidate (cand may be NULL) in the first answered
 * line: Janus's subscriber answer. */
int sc_sdp_build_subscribe_answer_cand(const sc_remote *offer, const sc_local_desc *local,
                                       const sc_sdp_candidate *cand, char *out, size_t cap);

#endif
