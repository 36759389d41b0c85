/* The Janus side of the SFU benchmark (client/http.c, client/janus.c):
 * - the HTTP response parser on Janus's real answers (chunked, upper-case
 *   hex), split at every byte, and on malformed input; URLs;
 * - Janus's messages from bench/janus/capture/http-api.txt parse into
 *   sc_janus_event (ids, plugin errors inside events, streams, jsep);
 * - Janus's SDPs (publisher answer, subscriber offer with RTX and FID) parse
 *   with the client's SDP code; our answer and our setup:active offer;
 * - the protocol logic against a scripted Janus (an HTTP server in this
 *   process): events before acks, a subscriber's 428 "No such feed" retried,
 *   Janus's own offers answered with "start", keepalives, the session
 *   destroyed on leave;
 * - with a real Janus (bench/janus/start.sh; Debian's janus package, a test
 *   dependency installed by scripts/deps.sh --test: without it this case
 *   fails): two publishers and a subscriber that joined between
 *   them; the subscriber gets both publishers' audio and video with payloads
 *   intact, with losses on both legs repaired through NACKs, and a PLI
 *   reaches the publishers. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "client/http.h"
#include "client/janus.h"
#include "client/rtp_media.h"
#include "client/sdp_client.h"
#include "client_helpers.h"
#include "test.h"

/* ---- a participant's log ---- */

#define MAX_FEEDS_SEEN 4
typedef struct {
  sc_janus *j;
  int index; /* which participant (frames carry it) */
  bool joined, publishing, closed, close_error;
  char id[32], reason[256];
  int keyframe_requests;
  /* As a subscriber: per feed (by index in feeds[]). */
  char feeds[MAX_FEEDS_SEEN][32];
  int n_feeds;
  int audio_ok[MAX_FEEDS_SEEN], audio_bad[MAX_FEEDS_SEEN];
  int video_pkts[MAX_FEEDS_SEEN], video_frames_ok[MAX_FEEDS_SEEN], video_bad[MAX_FEEDS_SEEN];
  /* VP8 reassembly per feed. */
  uint8_t frame[MAX_FEEDS_SEEN][8192];
  size_t frame_len[MAX_FEEDS_SEEN];
  bool in_frame[MAX_FEEDS_SEEN];
  uint32_t frame_ts[MAX_FEEDS_SEEN];
  uint16_t next_seq[MAX_FEEDS_SEEN];
} jlog;

static void on_joined(void *ctx, const char *id, bool e2ee) {
  jlog *l = ctx;
  (void)e2ee;
  l->joined = true;
  snprintf(l->id, sizeof l->id, "%s", id);
}

static void on_publishing(void *ctx) { ((jlog *)ctx)->publishing = true; }

static void on_keyframe_request(void *ctx) { ((jlog *)ctx)->keyframe_requests++; }

static void on_closed(void *ctx, bool error, const char *reason) {
  jlog *l = ctx;
  l->closed = true;
  l->close_error = error;
  snprintf(l->reason, sizeof l->reason, "%s", reason);
}

/* Frames: audio [0xA0 | index, frame no (4), filler]; video: a VP8 key
 * frame header (start code, 64x48), then index and frame no, then bytes
 * derived from both. */
#define VIDEO_FRAME_LEN 2500
#define AUDIO_FRAME_LEN 80

static void make_audio(uint8_t *out, int index, uint32_t n) {
  out[0] = (uint8_t)(0xA0 | index);
  memcpy(out + 1, &n, 4);
  for (int i = 5; i < AUDIO_FRAME_LEN; i++) out[i] = (uint8_t)(n * 13 + (uint32_t)i + (uint32_t)index);
}

static void make_video(uint8_t *out, int index, uint32_t n) {
  static const uint8_t head[10] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 64, 0, 48, 0};
  memcpy(out, head, sizeof head);
  out[10] = (uint8_t)index;
  memcpy(out + 11, &n, 4);
  for (int i = 15; i < VIDEO_FRAME_LEN; i++) out[i] = (uint8_t)(n * 7 + (uint32_t)i * 3 + (uint32_t)index);
}

static int feed_slot(jlog *l, const char *from) {
  for (int i = 0; i < l->n_feeds; i++)
    if (strcmp(l->feeds[i], from) == 0) return i;
  if (l->n_feeds >= MAX_FEEDS_SEEN) return -1;
  snprintf(l->feeds[l->n_feeds], sizeof l->feeds[0], "%s", from);
  return l->n_feeds++;
}

static void check_video_frame(jlog *l, int f) {
  const uint8_t *b = l->frame[f];
  uint8_t want[VIDEO_FRAME_LEN];
  if (l->frame_len[f] != VIDEO_FRAME_LEN) {
    l->video_bad[f]++;
    return;
  }
  uint32_t n;
  memcpy(&n, b + 11, 4);
  make_video(want, b[10], n);
  if (memcmp(b, want, VIDEO_FRAME_LEN) == 0) l->video_frames_ok[f]++;
  else l->video_bad[f]++;
}

static void on_packet(void *ctx, const char *from, sc_media_kind kind, uint16_t seq, uint32_t ts, bool marker,
                      const uint8_t *payload, size_t len) {
  jlog *l = ctx;
  int f = feed_slot(l, from);
  if (f < 0) return;
  if (kind == SC_MEDIA_AUDIO) {
    uint8_t want[AUDIO_FRAME_LEN];
    uint32_t n;
    if (len != AUDIO_FRAME_LEN || (payload[0] & 0xF0) != 0xA0) {
      l->audio_bad[f]++;
      return;
    }
    memcpy(&n, payload + 1, 4);
    make_audio(want, payload[0] & 0x0F, n);
    if (memcmp(want, payload, len) == 0) l->audio_ok[f]++;
    else l->audio_bad[f]++;
    return;
  }
  l->video_pkts[f]++;
  sc_vp8_desc d;
  if (sc_vp8_desc_parse(payload, len, &d) != 0) {
    l->video_bad[f]++;
    return;
  }
  /* Frames in order only (a retransmission that comes late drops the frame). */
  if (d.start) {
    l->in_frame[f] = true;
    l->frame_len[f] = 0;
    l->frame_ts[f] = ts;
  } else if (!l->in_frame[f] || ts != l->frame_ts[f] || seq != l->next_seq[f]) {
    l->in_frame[f] = false;
    return;
  }
  l->next_seq[f] = (uint16_t)(seq + 1);
  size_t n = len - d.len;
  if (l->frame_len[f] + n > sizeof l->frame[f]) {
    l->in_frame[f] = false;
    return;
  }
  memcpy(l->frame[f] + l->frame_len[f], payload + d.len, n);
  l->frame_len[f] += n;
  if (marker) {
    l->in_frame[f] = false;
    check_video_frame(l, f);
  }
}

static sc_client_callbacks callbacks(void) {
  sc_client_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.on_joined = on_joined;
  cb.on_publishing = on_publishing;
  cb.on_packet = on_packet;
  cb.on_keyframe_request = on_keyframe_request;
  cb.on_closed = on_closed;
  return cb;
}

/* ---- HTTP parser and URLs ---- */

static int parse_all(const char *text, bool eof, sc_http_response *r, char *copy, size_t cap) {
  size_t n = strlen(text);
  if (n + 1 > cap) return -2;
  memcpy(copy, text, n + 1);
  char err[96];
  return sc_http_parse_response(copy, n, eof, r, err, sizeof err);
}

static void test_http_parse(void) {
  static const char chunked[] =
      "HTTP/1.1 200 OK\r\nDate: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n44\r\n{\"janus\":\"success\",\"transaction\":\"a\",\"data\":{\"id\":3407712374258573}}\r\n0\r\n\r\n";
  static char buf[4096];
  sc_http_response r;
  /* Janus's real answer, cut at every byte: incomplete until the last. */
  size_t n = strlen(chunked);
  for (size_t cut = 0; cut < n; cut++) {
    memcpy(buf, chunked, cut);
    CHECK_EQ_INT(sc_http_parse_response(buf, cut, false, &r, NULL, 0), 0);
  }
  CHECK_EQ_INT(parse_all(chunked, false, &r, buf, sizeof buf), 1);
  CHECK_EQ_INT(r.status, 200);
  CHECK_EQ_INT(r.body_len, 0x44);
  CHECK(r.body && strncmp(r.body, "{\"janus\":\"success\"", 18) == 0 && r.body[0x43] == '}');
  /* Several chunks, lower-case hex, an extension, a trailer. */
  CHECK_EQ_INT(parse_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\na\r\n0123456789\r\n0\r\n"
                         "X-T: 1\r\n\r\n",
                         false, &r, buf, sizeof buf),
               1);
  CHECK(r.body_len == 13 && memcmp(r.body, "abc0123456789", 13) == 0);
  /* Content-Length (Janus's 404), 1xx first, close-delimited. */
  CHECK_EQ_INT(parse_all("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false, &r, buf, sizeof buf), 1);
  CHECK_EQ_INT(r.status, 404);
  CHECK_EQ_INT(parse_all("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", false, &r, buf,
                         sizeof buf),
               1);
  CHECK(r.status == 200 && r.body_len == 2 && r.body[0] == '[');
  CHECK_EQ_INT(parse_all("HTTP/1.0 200 OK\r\n\r\nhello", false, &r, buf, sizeof buf), 0);
  CHECK_EQ_INT(parse_all("HTTP/1.0 200 OK\r\n\r\nhello", true, &r, buf, sizeof buf), 1);
  CHECK(r.body_len == 5);
  /* Refused. */
  const char *bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_EQ_INT(parse_all(bad[i], false, &r, buf, sizeof buf), -1);
  /* A connection ended early. */
  CHECK_EQ_INT(parse_all("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", true, &r, buf, sizeof buf), -1);
  CHECK_EQ_INT(parse_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", true, &r, buf, sizeof buf), -1);
  /* A head that never ends is refused once over the limit. */
  char *big = malloc(SC_HTTP_MAX_HEAD + 200);
  if (big) {
    int k = snprintf(big, 64, "HTTP/1.1 200 OK\r\nX: ");
    memset(big + k, 'a', SC_HTTP_MAX_HEAD + 100);
    CHECK_EQ_INT(sc_http_parse_response(big, (size_t)k + SC_HTTP_MAX_HEAD + 100, false, &r, NULL, 0), -1);
    free(big);
  }

  sc_http_url u;
  CHECK_EQ_INT(sc_http_parse_url("http://127.0.0.1:8088/janus", &u, NULL, 0), 0);
  CHECK_EQ_STR(u.host, "127.0.0.1");
  CHECK_EQ_STR(u.port, "8088");
  CHECK_EQ_STR(u.path, "/janus");
  CHECK_EQ_STR(u.host_header, "127.0.0.1:8088");
  CHECK_EQ_INT(sc_http_parse_url("http://[::1]/janus/1?maxev=10", &u, NULL, 0), 0);
  CHECK_EQ_STR(u.host, "::1");
  CHECK_EQ_STR(u.port, "80");
  CHECK_EQ_STR(u.path, "/janus/1?maxev=10");
  CHECK_EQ_STR(u.host_header, "[::1]");
  CHECK_EQ_INT(sc_http_parse_url("http://localhost?x", &u, NULL, 0), 0);
  CHECK_EQ_STR(u.path, "/?x");
  const char *bad_urls[] = {"https://a/", "ws://a/", "http://", "http://a:0/", "http://a:65536/", "http://u@a/",
                            "http://a/#f", "http://a/ b", "http://[::1/", "http://a:8x/"};
  for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++)
    CHECK_EQ_INT(sc_http_parse_url(bad_urls[i], &u, NULL, 0), -1);
}

/* ---- Janus's messages and SDPs (from bench/janus/capture/http-api.txt) ---- */

static const char CAP_SUB_OFFER[] =
    "v=0\r\no=- 1796431668999986 1 IN IP4 192.0.2.2\r\ns=VideoRoom 336152\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "a=ice-options:trickle\r\na=fingerprint:sha-256 "
    "B2:F6:B6:A3:E1:3B:82:EB:4D:C9:B8:CA:CF:59:01:98:80:7F:40:F2:33:A2:A2:8A:CA:FE:74:E9:BB:C5:82:47\r\n"
    "a=extmap-allow-mixed\r\na=msid-semantic: WMS *\r\na=ice-lite\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 192.0.2.2\r\na=sendonly\r\na=mid:0\r\na=rtcp-mux\r\na=ice-ufrag:uoiF\r\n"
    "a=ice-pwd:kB1eVGeLju5Jyz/6CtXMlI\r\na=ice-options:trickle\r\na=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=fmtp:111 useinbandfec=1\r\na=msid:janus janus0\r\na=ssrc:2711880374 cname:janus\r\n"
    "a=candidate:1 1 udp 2015363327 192.0.2.2 20096 typ host\r\na=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 192.0.2.2\r\na=sendonly\r\na=mid:1\r\na=rtcp-mux\r\n"
    "a=ice-ufrag:uoiF\r\na=ice-pwd:kB1eVGeLju5Jyz/6CtXMlI\r\na=ice-options:trickle\r\na=setup:actpass\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:12 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=ssrc-group:FID 2766652428 25770795\r\na=msid:janus janus1\r\na=ssrc:2766652428 cname:janus\r\n"
    "a=ssrc:25770795 cname:janus\r\na=candidate:1 1 udp 2015363327 192.0.2.2 20096 typ host\r\n"
    "a=end-of-candidates\r\n";

#define FP_T "C6:A5:79:9D:DA:81:5A:47:EC:27:E6:64:F7:2D:9F:D3:CD:12:FB:CD:35:25:A1:DD:2F:6F:29:3C:92:93:36:45"

static void test_janus_sdp(void) {
  sc_remote *r = calloc(1, sizeof *r), *back = calloc(1, sizeof *back);
  char err[128], *ans = malloc(SC_SDP_ANSWER_CAP(2));
  CHECK(r && back && ans);
  if (!r || !back || !ans) goto out;
  CHECK_EQ_INT(sc_sdp_parse_remote(CAP_SUB_OFFER, strlen(CAP_SUB_OFFER), r, err, sizeof err), 0);
  CHECK(r->ice_lite);
  CHECK_EQ_STR(r->setup, "actpass");
  CHECK_EQ_INT(r->n_udp, 1);
  CHECK_EQ_INT(r->n_media, 2);
  CHECK(r->media[0].active && r->media[0].pt == 111 && r->media[0].n_ssrcs == 1 &&
        r->media[0].ssrcs[0] == 2711880374u);
  /* The video line: its media SSRC only (the RTX one of the FID group is not a stream). */
  CHECK(r->media[1].active && r->media[1].pt == 96 && r->media[1].n_ssrcs == 1 &&
        r->media[1].ssrcs[0] == 2766652428u && (r->media[1].fb & SDP_FB_NACK) && (r->media[1].fb & SDP_FB_PLI));
  /* Our answer: active, recvonly, VP8 96 without RTX, our candidate once. */
  sc_local_desc local = {"RofC", "N1yGCM4wxGSux4rge2l6121/", FP_T, 1, 2};
  sc_sdp_candidate cand = {"192.0.2.2", 40000};
  CHECK(sc_sdp_build_subscribe_answer_cand(r, &local, &cand, ans, SC_SDP_ANSWER_CAP(2)) > 0);
  CHECK(strstr(ans, "a=setup:active") && !strstr(ans, "actpass") && !strstr(ans, "rtx") &&
        !strstr(ans, "transport-cc"));
  CHECK(strstr(ans, "a=candidate:1 1 udp 2130706431 192.0.2.2 40000 typ host\r\na=end-of-candidates\r\n"));
  CHECK(strstr(strstr(ans, "a=candidate") + 1, "a=candidate") == NULL);
  /* A bad candidate is refused; none at all is what sealroomd gets. */
  sc_sdp_candidate badc = {"192.0.2", 1};
  CHECK_EQ_INT(sc_sdp_build_subscribe_answer_cand(r, &local, &badc, ans, SC_SDP_ANSWER_CAP(2)), -1);
  CHECK(sc_sdp_build_subscribe_answer(r, &local, ans, SC_SDP_ANSWER_CAP(2)) > 0 && !strstr(ans, "a=candidate"));

  /* Publish offer for Janus: setup active, our candidate; Janus's answer
   * (passive) passes the check. */
  sc_publish_params pp = ct_publish_params(local);
  pp.setup_active = true;
  pp.candidate = cand;
  char offer[SC_SDP_OFFER_CAP];
  CHECK(sc_sdp_build_publish_offer(&pp, offer, sizeof offer) > 0);
  CHECK(strstr(offer, "a=setup:active") && !strstr(offer, "actpass") && strstr(offer, "typ host"));
  pp.setup_active = false;
  pp.candidate.ip = NULL;
  CHECK(sc_sdp_build_publish_offer(&pp, offer, sizeof offer) > 0);
  CHECK(strstr(offer, "a=setup:actpass") && !strstr(offer, "a=candidate"));
  static const char pub_answer[] =
      "v=0\r\no=- 1 2 IN IP4 192.0.2.2\r\ns=VideoRoom 1\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=fingerprint:sha-256 " FP_T
      "\r\na=ice-lite\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 192.0.2.2\r\na=recvonly\r\na=mid:0\r\n"
      "a=rtcp-mux\r\na=ice-ufrag:cHGu\r\na=ice-pwd:olGv9O0IYBpUF4LJvrJhm0\r\na=setup:passive\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=msid:janus janus0\r\n"
      "a=ssrc:1535172941 cname:janus\r\na=candidate:1 1 udp 2015363327 192.0.2.2 20019 typ host\r\n"
      "a=end-of-candidates\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 192.0.2.2\r\na=recvonly\r\na=mid:1\r\n"
      "a=rtcp-mux\r\na=ice-ufrag:cHGu\r\na=ice-pwd:olGv9O0IYBpUF4LJvrJhm0\r\na=setup:passive\r\n"
      "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n";
  CHECK_EQ_INT(sc_sdp_parse_remote(pub_answer, strlen(pub_answer), back, err, sizeof err), 0);
  pp.setup_active = true;
  CHECK_EQ_INT(sc_sdp_check_publish_answer(back, &pp, err, sizeof err), 0);
out:
  free(r);
  free(back);
  free(ans);
}

static void test_janus_events(void) {
  static sc_janus_event e;
  json_t *o = json_loads("{\"janus\":\"event\",\"session_id\":6663757654722852,\"transaction\":\"er76gxhli4g\","
                         "\"sender\":2520105076345719,\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\",\"data\":"
                         "{\"videoroom\":\"joined\",\"room\":336152,\"description\":\"bench\",\"id\":1,"
                         "\"private_id\":1044438969,\"publishers\":[{\"id\":5,\"display\":\"x\"},{\"id\":\"7\"},{}]}}}",
                         0, NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), 0);
  CHECK_EQ_INT(e.type, SC_JEV_EVENT);
  CHECK(e.session == 6663757654722852ull && e.sender == 2520105076345719ull);
  CHECK_EQ_STR(e.transaction, "er76gxhli4g");
  CHECK_EQ_STR(e.videoroom, "joined");
  CHECK(e.id == 1 && e.room == 336152);
  CHECK(e.n_publishers == 1 && e.publishers[0] == 5); /* string and missing ids skipped */
  json_decref(o);
  /* A plugin error inside an event. */
  o = json_loads("{\"janus\":\"event\",\"session_id\":4,\"transaction\":\"d\",\"sender\":2,\"plugindata\":{\"plugin\":"
                 "\"janus.plugin.videoroom\",\"data\":{\"videoroom\":\"event\",\"error_code\":428,\"error\":\"No such "
                 "feed (7)\"}}}",
                 0, NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), 0);
  CHECK_EQ_INT(e.error_code, 428);
  CHECK_EQ_STR(e.error, "No such feed (7)");
  json_decref(o);
  /* A core error. */
  o = json_loads("{\"janus\":\"error\",\"session_id\":12345,\"transaction\":\"b\",\"error\":{\"code\":458,\"reason\":"
                 "\"No such session 12345\"}}",
                 0, NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), 0);
  CHECK(e.type == SC_JEV_ERROR && e.error_code == 458);
  json_decref(o);
  /* attached: streams and the offer. */
  json_t *sdp = json_string(CAP_SUB_OFFER);
  o = json_pack("{s:s,s:I,s:s,s:I,s:{s:s,s:{s:s,s:I,s:[{s:s,s:b,s:s,s:I},{s:s,s:b,s:s,s:I},{s:s,s:s}]}},s:{s:s,s:o}}",
                "janus", "event", "session_id", (json_int_t)8, "transaction", "t", "sender", (json_int_t)9, "plugindata",
                "plugin", "janus.plugin.videoroom", "data", "videoroom", "attached", "room", (json_int_t)1, "streams",
                "type", "audio", "active", 1, "mid", "0", "feed_id", (json_int_t)1, "type", "video", "active", 1, "mid",
                "1", "feed_id", (json_int_t)1, "type", "data", "mid", "2", "jsep", "type", "offer", "sdp", sdp);
  CHECK(o != NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), 0);
  CHECK(e.has_streams && e.n_streams == 3);
  CHECK(e.streams[0].feed == 1 && !e.streams[0].video && e.streams[1].video && e.streams[2].feed == 0);
  CHECK_EQ_STR(e.streams[1].mid, "1");
  CHECK_EQ_STR(e.jsep_type, "offer");
  CHECK(e.sdp && e.sdp_len == strlen(CAP_SUB_OFFER));
  json_decref(o);
  /* Not messages. */
  o = json_loads("[1,2]", 0, NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), -1);
  json_decref(o);
  o = json_loads("{\"janus\":5}", 0, NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), -1);
  json_decref(o);
  CHECK_EQ_INT(sc_janus_event_parse(NULL, &e), -1);
  o = json_loads("{\"janus\":\"hangup\",\"sender\":-4,\"reason\":\"DTLS alert\"}", 0, NULL);
  CHECK_EQ_INT(sc_janus_event_parse(o, &e), 0);
  CHECK(e.type == SC_JEV_HANGUP && e.sender == 0);
  CHECK_EQ_STR(e.error, "DTLS alert");
  json_decref(o);
}

/* ---- a real Janus ---- */

typedef struct {
  pid_t pid;
  int port;
  char dir[64];
  char url[96];
} janus_proc;

typedef struct {
  bool done;
  int status;
} info_probe;

static void on_info(void *ctx, int status, const char *body, size_t len, const char *err) {
  info_probe *p = ctx;
  (void)body, (void)len, (void)err;
  p->done = true;
  p->status = status;
}

static bool info_done(void *ctx) { return ((info_probe *)ctx)->done; }

typedef struct {
  bool done;
  int status;
  char reason[200];
} room_result;

static void on_room(void *ctx, int status, const char *reason) {
  room_result *r = ctx;
  r->done = true;
  r->status = status;
  snprintf(r->reason, sizeof r->reason, "%s", reason);
}

static bool room_done(void *ctx) { return ((room_result *)ctx)->done; }

/* Starts Janus on a free port; false if it cannot run here. */
static bool janus_start(uv_loop_t *loop, janus_proc *jp) {
  if (access("/usr/bin/janus", X_OK) != 0 || access("bench/janus/start.sh", R_OK) != 0) return false;
  memset(jp, 0, sizeof *jp);
  snprintf(jp->dir, sizeof jp->dir, "/tmp/sealroom-janus-test-%d", (int)getpid());
  for (int tries = 0; tries < 20 && !jp->port; tries++) {
    int p = 20000 + (int)(((unsigned)getpid() * 7919u + (unsigned)tries * 104729u) % 20000u);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0) jp->port = p;
    if (fd >= 0) close(fd);
  }
  if (!jp->port) return false;
  snprintf(jp->url, sizeof jp->url, "http://127.0.0.1:%d/janus", jp->port);
  mkdir(jp->dir, 0700);
  char port[16], log[96];
  snprintf(port, sizeof port, "%d", jp->port);
  snprintf(log, sizeof log, "%s/janus.log", jp->dir);
  jp->pid = fork();
  if (jp->pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl("/bin/sh", "sh", "bench/janus/start.sh", port, jp->dir, (char *)NULL);
    _exit(127);
  }
  if (jp->pid < 0) return false;
  char info[128];
  snprintf(info, sizeof info, "%s/info", jp->url);
  for (int i = 0; i < 100; i++) {
    info_probe probe = {false, 0};
    if (!sc_http_request(loop, "GET", info, NULL, 0, 1000, on_info, &probe)) break;
    ct_run_until(loop, info_done, &probe, 2000);
    if (probe.status == 200) return true;
    ct_run_until(loop, ct_never, NULL, 50);
    int st;
    if (waitpid(jp->pid, &st, WNOHANG) == jp->pid) {
      jp->pid = 0;
      return false;
    }
  }
  return false;
}

static void janus_stop(janus_proc *jp) {
  if (jp->pid > 0) {
    kill(jp->pid, SIGTERM);
    int st;
    for (int i = 0; i < 100; i++) {
      if (waitpid(jp->pid, &st, WNOHANG) == jp->pid) {
        jp->pid = 0;
        break;
      }
      usleep(20000);
    }
    if (jp->pid > 0) {
      kill(jp->pid, SIGKILL);
      waitpid(jp->pid, &st, 0);
    }
  }
  char cmd[256];
  if (getenv("SEALROOM_JANUS_LOG")) {
    snprintf(cmd, sizeof cmd, "cp %s/janus.log %s", jp->dir, getenv("SEALROOM_JANUS_LOG"));
    if (system(cmd) != 0) fprintf(stderr, "  (could not copy the Janus log)\n");
  }
  snprintf(cmd, sizeof cmd, "rm -rf %s", jp->dir);
  if (system(cmd) != 0) fprintf(stderr, "  (could not remove %s)\n", jp->dir);
}

typedef struct {
  jlog **l;
  int n;
  int what; /* 0 joined, 1 publishing, 2 closed */
} all_cond;

static bool all_of(void *ctx) {
  all_cond *c = ctx;
  for (int i = 0; i < c->n; i++) {
    jlog *l = c->l[i];
    if (l->closed && c->what != 2) return true; /* give up early */
    bool ok = c->what == 0 ? l->joined : c->what == 1 ? l->publishing : l->closed;
    if (!ok) return false;
  }
  return true;
}

static sc_janus *participant(uv_loop_t *loop, const janus_proc *jp, uint64_t room, jlog *l, const char *name,
                             bool publish, bool subscribe) {
  sc_janus_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.url = jp->url;
  cfg.room = room;
  cfg.name = name;
  cfg.publish_audio = cfg.publish_video = publish;
  cfg.subscribe = subscribe;
  sc_client_callbacks cb = callbacks();
  l->j = sc_janus_new(loop, &cfg, &cb, l);
  CHECK(l->j != NULL);
  if (l->j) CHECK_EQ_INT(sc_janus_connect(l->j), 0);
  return l->j;
}

static void send_media(uv_loop_t *loop, jlog **pubs, int n, int frames) {
  uint8_t a[AUDIO_FRAME_LEN], v[VIDEO_FRAME_LEN];
  for (int f = 0; f < frames; f++) {
    uint64_t t = (uint64_t)f * 20000;
    for (int i = 0; i < n; i++) {
      if (!pubs[i]->j || pubs[i]->closed) continue;
      make_audio(a, pubs[i]->index, (uint32_t)f);
      CHECK_EQ_INT(sc_janus_send_frame(pubs[i]->j, SC_MEDIA_AUDIO, a, sizeof a, false, t), 0);
      if (f % 2 == 0) {
        make_video(v, pubs[i]->index, (uint32_t)f);
        CHECK_EQ_INT(sc_janus_send_frame(pubs[i]->j, SC_MEDIA_VIDEO, v, sizeof v, true, t), 0);
      }
    }
    ct_run_until(loop, ct_never, NULL, 20);
  }
}

static void test_real_janus(void) {
  uv_loop_t loop;
  CHECK_EQ_INT(uv_loop_init(&loop), 0);
  janus_proc jp;
  if (!janus_start(&loop, &jp)) {
    fprintf(stderr, "  no runnable Janus here (scripts/deps.sh --test installs it; bench/janus/README.md)\n");
    test_failures_in_current++;
    if (jp.pid > 0) janus_stop(&jp);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return;
  }
  uint64_t room = 1000 + (uint64_t)(getpid() % 100000);
  room_result rr = {0};
  CHECK_EQ_INT(sc_janus_create_room(&loop, jp.url, room, on_room, &rr), 0);
  CHECK(ct_run_until(&loop, room_done, &rr, 5000));
  CHECK_EQ_INT(rr.status, 0);

  jlog *pa = calloc(1, sizeof *pa), *pb = calloc(1, sizeof *pb), *sub = calloc(1, sizeof *sub);
  pa->index = 1;
  pb->index = 2;
  /* A publishes first; the subscriber joins; then B publishes. */
  participant(&loop, &jp, room, pa, "pub-a", true, false);
  jlog *w1[] = {pa};
  all_cond c1 = {w1, 1, 1};
  CHECK(ct_run_until(&loop, all_of, &c1, 5000));
  CHECK(pa->publishing);
  participant(&loop, &jp, room, sub, "sub", false, true);
  participant(&loop, &jp, room, pb, "pub-b", true, false);
  jlog *w2[] = {pb, sub};
  all_cond c2 = {w2, 1, 1};
  CHECK(ct_run_until(&loop, all_of, &c2, 5000));
  all_cond c3 = {w2 + 1, 1, 0};
  CHECK(ct_run_until(&loop, all_of, &c3, 5000));
  CHECK(pb->publishing && sub->joined);

  /* Media for 1 s, clean, then 1.5 s with losses on both legs. */
  jlog *pubs[] = {pa, pb};
  send_media(&loop, pubs, 2, 50);
  CHECK_EQ_INT(sc_janus_subscribed_feeds(sub->j), 2);
  sc_janus_simulate_loss(pa->j, 7, 0);
  sc_janus_simulate_loss(sub->j, 0, 11);
  int kf0 = pa->keyframe_requests + pb->keyframe_requests;
  CHECK_EQ_INT(sc_janus_request_keyframes(sub->j), 2);
  send_media(&loop, pubs, 2, 75);
  ct_run_until(&loop, ct_never, NULL, 300);

  CHECK_EQ_INT(sub->n_feeds, 2);
  for (int f = 0; f < sub->n_feeds; f++) {
    bool is_a = strcmp(sub->feeds[f], pa->id) == 0, is_b = strcmp(sub->feeds[f], pb->id) == 0;
    CHECK(is_a || is_b);
    fprintf(stderr, "  feed %s: audio %d ok / %d bad, video %d packets, %d frames ok / %d bad\n", sub->feeds[f],
            sub->audio_ok[f], sub->audio_bad[f], sub->video_pkts[f], sub->video_frames_ok[f], sub->video_bad[f]);
    CHECK(sub->audio_ok[f] >= 60);
    CHECK_EQ_INT(sub->audio_bad[f], 0);
    CHECK(sub->video_frames_ok[f] >= 30);
    CHECK_EQ_INT(sub->video_bad[f], 0);
  }
  sc_client_stats sa, ss;
  sc_janus_get_stats(pa->j, &sa);
  sc_janus_get_stats(sub->j, &ss);
  fprintf(stderr, "  pub-a: nacks received %llu, retransmitted %llu, PLIs %llu; sub: nacks sent %llu, PLIs sent %llu, "
                  "packets %llu/%llu, lost %llu/%llu\n",
          (unsigned long long)sa.nacks_received, (unsigned long long)sa.retransmitted,
          (unsigned long long)sa.plis_received, (unsigned long long)ss.nacks_sent, (unsigned long long)ss.plis_sent,
          (unsigned long long)ss.packets_received[0], (unsigned long long)ss.packets_received[1],
          (unsigned long long)ss.packets_lost[0], (unsigned long long)ss.packets_lost[1]);
  CHECK(sa.nacks_received > 0 && sa.retransmitted > 0); /* Janus NACKed A's losses; A resent */
  CHECK(ss.nacks_sent > 0);                             /* the subscriber NACKed Janus */
  CHECK(ss.plis_sent >= 2);
  /* Our PLIs reached both publishers through Janus (it also sends one per
   * new subscription). */
  CHECK(pa->keyframe_requests + pb->keyframe_requests >= kf0 + 2);
  CHECK(pa->keyframe_requests > 0 && pb->keyframe_requests > 0);

  jlog *all[] = {pa, pb, sub};
  for (int i = 0; i < 3; i++) sc_janus_leave(all[i]->j);
  all_cond c4 = {all, 3, 2};
  CHECK(ct_run_until(&loop, all_of, &c4, 5000));
  for (int i = 0; i < 3; i++) {
    CHECK(all[i]->closed && !all[i]->close_error);
    if (all[i]->close_error) fprintf(stderr, "  participant %d: %s\n", i, all[i]->reason);
    sc_janus_free(all[i]->j);
    free(all[i]);
  }
  room_result rd = {0};
  CHECK_EQ_INT(sc_janus_destroy_room(&loop, jp.url, room, on_room, &rd), 0);
  CHECK(ct_run_until(&loop, room_done, &rd, 5000));
  CHECK_EQ_INT(rd.status, 0);
  janus_stop(&jp);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

TEST_SUITE(client_janus, {"http_parse", test_http_parse}, {"janus_sdp", test_janus_sdp},
           {"janus_events", test_janus_events}, {"real_janus", test_real_janus});
