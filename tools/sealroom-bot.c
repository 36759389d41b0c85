/* sealroom-bot: a command-line participant on libsealroom-client
 * (docs/client.md). It joins a room, publishes VP8 video and Opus audio
 * (a moving test pattern and a tone made here, or frames from IVF / Ogg Opus
 * files), receives the others' media (decrypted in E2EE rooms), decodes it
 * with libvpx/libopus, optionally writes it to IVF / Ogg Opus files, and
 * prints the security code and per-stream statistics.
 *
 * Output: human-readable lines on stderr; on stdout one JSON object per
 * event ({"event":"joined"|"code"|"stats"|"alarm"|"end", ...}), so tests and
 * scripts can follow it. Exit status 0 after a clean end (--duration or
 * SIGINT/SIGTERM), 1 when the call failed, 2 for bad arguments. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "client/media/i420.h"
#include "client/media/ivf.h"
#include "client/media/ogg_opus.h"
#include "client/media/opus.h"
#include "client/media/pattern.h"
#include "client/media/vp8.h"
#include "sealroom_client.h"
#include "tools/tool_args.h"

#define MAX_REMOTES 64
#define MAX_LEVEL_STEPS 8

typedef struct {
  const char *url, *room, *name, *token, *out_dir, *video_in, *audio_in;
  bool e2ee, audio, video, receive;
  int width, height, fps, kbps;
  double duration_s, stats_s, timeout_s;
  /* --audio-level: the RFC 6464 level claimed in audio packets, level[0]
   * from the start and level[i] from level_at_s[i] seconds after it. */
  int n_levels;
  int level[MAX_LEVEL_STEPS];
  double level_at_s[MAX_LEVEL_STEPS];
} options;

/* One remote participant's received media. */
typedef struct {
  bool used;
  char id[72];
  sc_vp8_dec *vdec;
  sc_opus_dec *adec;
  FILE *ivf_file, *ogg_file;
  sc_ivf_writer ivf;
  sc_ogg_opus_writer *ogg;
  uint64_t video_frames, video_decoded, video_errors, keyframes, audio_frames, audio_decoded;
  int width, height;
  double luma_mean, luma_stddev; /* of the last decoded picture */
  int64_t last_counter;          /* the frame counter of a sealroom-bot pattern, -1 if none */
  double audio_rms;              /* of the last decoded audio frame */
  double audio_rms_max;          /* the loudest decoded audio frame so far */
  double first_video_ms;         /* connect to its first decoded picture, -1 until then */
  double audio_first_ms, audio_last_ms; /* wall clock (Unix ms) of its first and last audio frame, 0: none */
  uint32_t ts0;                  /* RTP timestamp of the first video frame written (the IVF's 0) */
  bool have_ts0;
} remote;

typedef struct {
  options o;
  uv_loop_t *loop;
  sc_client *client;
  uv_timer_t video_timer, audio_timer, stats_timer, end_timer;
  uv_signal_t sigint, sigterm;
  bool publishing, ended, failed;
  char id[72];
  bool e2ee;
  char code[80];
  bool code_complete;
  /* Sources. */
  sc_vp8_enc *venc;
  sc_i420 img;
  uint32_t frame_no;
  sc_opus_enc *aenc;
  sc_tone tone;
  uint8_t *ivf_buf, *ogg_buf;
  size_t ivf_len, ogg_len;
  sc_ivf_reader ivf_in;
  sc_ogg_opus_reader *ogg_in;
  bool keyframe_wanted;
  uint64_t start_ns;
  int level_step; /* the --audio-level step in use */
  remote remotes[MAX_REMOTES];
  char end_reason[256];
} bot;

static void emit(json_t *obj) {
  char *s = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6));
  if (s) {
    printf("%s\n", s);
    fflush(stdout);
    free(s);
  }
  json_decref(obj);
}

/* Text from the network (names, the server's error words) shown on a
 * terminal or put in JSON: printable ASCII only, anything else as '?', so
 * that no escape sequence reaches the terminal and the JSON is valid. */
static const char *safe_text(const char *in, char *out, size_t cap) {
  size_t n = 0;
  for (; in && *in && n + 1 < cap; in++) out[n++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
  out[n] = '\0';
  return out;
}

static uint64_t capture_us(bot *b) { return (uv_hrtime() - b->start_ns) / 1000u; }

/* Wall-clock milliseconds since the Unix epoch (comparable across processes;
 * whole milliseconds in the JSON: its reals keep 6 digits). */
static double wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- received media ---------------------------------------------------- */

static remote *remote_for(bot *b, const char *id) {
  remote *free_slot = NULL;
  for (int i = 0; i < MAX_REMOTES; i++) {
    if (b->remotes[i].used && strcmp(b->remotes[i].id, id) == 0) return &b->remotes[i];
    if (!b->remotes[i].used && !free_slot) free_slot = &b->remotes[i];
  }
  if (!free_slot) return NULL;
  remote *r = free_slot;
  memset(r, 0, sizeof *r);
  r->used = true;
  r->last_counter = -1;
  r->first_video_ms = -1;
  snprintf(r->id, sizeof r->id, "%s", id);
  r->vdec = sc_vp8_dec_new();
  r->adec = sc_opus_dec_new(2);
  if (b->o.out_dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.ivf", b->o.out_dir, id);
    r->ivf_file = fopen(path, "wb");
    if (!r->ivf_file) fprintf(stderr, "bot: cannot write %s: %s\n", path, strerror(errno));
    if (r->ivf_file && sc_ivf_writer_open(&r->ivf, r->ivf_file, "VP80", 0, 0, 90000, 1) != 0) {
      fclose(r->ivf_file);
      r->ivf_file = NULL;
    }
    snprintf(path, sizeof path, "%s/%s.ogg", b->o.out_dir, id);
    r->ogg_file = fopen(path, "wb");
    if (!r->ogg_file) fprintf(stderr, "bot: cannot write %s: %s\n", path, strerror(errno));
    if (r->ogg_file && !(r->ogg = sc_ogg_opus_writer_open(r->ogg_file, 2, 312, 48000, 1, "sealroom-bot"))) {
      fclose(r->ogg_file);
      r->ogg_file = NULL;
    }
  }
  return r;
}

static void remote_close(remote *r) {
  if (!r->used) return;
  if (r->ivf_file) {
    sc_ivf_writer_finish(&r->ivf);
    fclose(r->ivf_file);
  }
  if (r->ogg) sc_ogg_opus_writer_close(r->ogg);
  if (r->ogg_file) fclose(r->ogg_file);
  sc_vp8_dec_free(r->vdec);
  sc_opus_dec_free(r->adec);
  r->used = false;
}

static void measure_picture(remote *r, const sc_i420 *img) {
  double sum = 0, sq = 0;
  size_t n = 0;
  for (int y = 0; y < img->height; y += 2)
    for (int x = 0; x < img->width; x += 2) {
      double v = img->plane[0][(size_t)y * (size_t)img->stride[0] + (size_t)x];
      sum += v;
      sq += v * v;
      n++;
    }
  r->width = img->width;
  r->height = img->height;
  r->luma_mean = n ? sum / (double)n : 0;
  r->luma_stddev = n ? sqrt(fmax(0, sq / (double)n - r->luma_mean * r->luma_mean)) : 0;
  uint32_t counter;
  r->last_counter = sc_pattern_read_counter(img, &counter) == 0 ? (int64_t)counter : -1;
}

static void on_frame(void *ctx, const char *from, sc_media_kind kind, uint32_t rtp_ts, bool keyframe,
                     const uint8_t *data, size_t len) {
  bot *b = ctx;
  remote *r = remote_for(b, from);
  if (!r) return;
  if (kind == SC_MEDIA_VIDEO) {
    r->video_frames++;
    if (keyframe) r->keyframes++;
    if (r->ivf_file) { /* pts from the first frame: RTP timestamps start anywhere */
      if (!r->have_ts0) r->ts0 = rtp_ts, r->have_ts0 = true;
      sc_ivf_writer_frame(&r->ivf, data, len, (uint32_t)(rtp_ts - r->ts0));
    }
    sc_i420 pic;
    int rc = r->vdec ? sc_vp8_dec_decode(r->vdec, data, len, &pic) : -1;
    if (rc == 1) {
      if (r->video_decoded == 0) r->first_video_ms = (double)(uv_hrtime() - b->start_ns) / 1e6;
      if (r->ivf_file && !r->ivf.width) sc_ivf_writer_set_size(&r->ivf, (uint16_t)pic.width, (uint16_t)pic.height);
      r->video_decoded++;
      measure_picture(r, &pic);
    } else if (rc < 0) {
      r->video_errors++;
    }
  } else {
    r->audio_frames++;
    r->audio_last_ms = wall_ms();
    if (!r->audio_first_ms) r->audio_first_ms = r->audio_last_ms;
    if (r->ogg && len > 0) sc_ogg_opus_write(r->ogg, data, len, SC_OPUS_FRAME);
    int16_t pcm[SC_OPUS_MAX_FRAME * 2];
    int n = r->adec && len > 0 ? sc_opus_dec_decode(r->adec, data, len, pcm, SC_OPUS_MAX_FRAME) : -1;
    if (n > 0) {
      r->audio_decoded++;
      double sq = 0;
      for (int i = 0; i < n * 2; i++) sq += (double)pcm[i] * pcm[i];
      r->audio_rms = sqrt(sq / (n * 2));
      if (r->audio_rms > r->audio_rms_max) r->audio_rms_max = r->audio_rms;
    }
  }
}

/* ---- sending ----------------------------------------------------------- */

static void send_video(uv_timer_t *t) {
  bot *b = t->data;
  if (!b->publishing) return;
  if (b->ivf_buf) {
    const uint8_t *data;
    size_t len;
    uint64_t pts;
    if (sc_ivf_reader_next(&b->ivf_in, &data, &len, &pts) != 1) { /* loop the file */
      sc_ivf_reader_init(&b->ivf_in, b->ivf_buf, b->ivf_len);
      if (sc_ivf_reader_next(&b->ivf_in, &data, &len, &pts) != 1) return;
    }
    sc_client_send_frame(b->client, SC_MEDIA_VIDEO, data, len, len > 0 && (data[0] & 1) == 0,
                         capture_us(b));
    return;
  }
  if (b->keyframe_wanted) {
    sc_vp8_enc_request_keyframe(b->venc);
    b->keyframe_wanted = false;
  }
  sc_pattern_draw(&b->img, b->frame_no);
  sc_vp8_frame f;
  if (sc_vp8_enc_encode(b->venc, &b->img, b->frame_no, &f) == 1)
    sc_client_send_frame(b->client, SC_MEDIA_VIDEO, f.data, f.len, f.keyframe, capture_us(b));
  b->frame_no++;
}

/* --audio-level: the step due now, announced when it starts. */
static void follow_levels(bot *b) {
  double s = (double)(uv_hrtime() - b->start_ns) / 1e9;
  int step = b->level_step;
  while (step + 1 < b->o.n_levels && s >= b->o.level_at_s[step + 1]) step++;
  if (step == b->level_step) return;
  b->level_step = step;
  sc_client_set_audio_level(b->client, b->o.level[step]);
  emit(json_pack("{s:s,s:i,s:I}", "event", "audio_level", "level", b->o.level[step], "at_ms", (json_int_t)wall_ms()));
}

static void send_audio(uv_timer_t *t) {
  bot *b = t->data;
  if (!b->publishing) return;
  if (b->o.n_levels) follow_levels(b);
  if (b->ogg_in) {
    const uint8_t *pkt;
    size_t len;
    int rc = sc_ogg_opus_reader_next(b->ogg_in, &pkt, &len, NULL);
    if (rc != 1) { /* loop the file */
      sc_ogg_opus_reader_free(b->ogg_in);
      b->ogg_in = sc_ogg_opus_reader_open(b->ogg_buf, b->ogg_len);
      if (!b->ogg_in || sc_ogg_opus_reader_next(b->ogg_in, &pkt, &len, NULL) != 1) return;
    }
    sc_client_send_frame(b->client, SC_MEDIA_AUDIO, pkt, len, false, capture_us(b));
    return;
  }
  int16_t pcm[SC_OPUS_FRAME * 2];
  uint8_t pkt[SC_OPUS_MAX_PACKET];
  sc_tone_fill(&b->tone, pcm, SC_OPUS_FRAME);
  int n = sc_opus_enc_encode(b->aenc, pcm, pkt, sizeof pkt);
  if (n > 0) sc_client_send_frame(b->client, SC_MEDIA_AUDIO, pkt, (size_t)n, false, capture_us(b));
}

/* ---- statistics -------------------------------------------------------- */

static json_t *stats_json(bot *b) {
  sc_client_stats s;
  sc_client_get_stats(b->client, &s);
  json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:I}",
                        "video_frames_sent", (json_int_t)s.frames_sent[1], "audio_frames_sent",
                        (json_int_t)s.frames_sent[0], "video_bytes_sent", (json_int_t)s.bytes_sent[1],
                        "audio_bytes_sent", (json_int_t)s.bytes_sent[0], "video_packets_received",
                        (json_int_t)s.packets_received[1], "audio_packets_received",
                        (json_int_t)s.packets_received[0], "video_packets_lost",
                        (json_int_t)s.packets_lost[1], "audio_packets_lost", (json_int_t)s.packets_lost[0],
                        "nacks_sent", (json_int_t)s.nacks_sent, "nacks_received",
                        (json_int_t)s.nacks_received, "plis_sent", (json_int_t)s.plis_sent,
                        "plis_received", (json_int_t)s.plis_received, "retransmitted",
                        (json_int_t)s.retransmitted, "video_jitter_ms", s.jitter_ms[1],
                        "audio_jitter_ms", s.jitter_ms[0], "e2ee_encrypted", (json_int_t)s.e2ee_encrypted,
                        "e2ee_decrypted", (json_int_t)s.e2ee_decrypted, "e2ee_dropped",
                        (json_int_t)s.e2ee_dropped);
  json_t *rs = json_object();
  for (int i = 0; i < MAX_REMOTES; i++) {
    remote *r = &b->remotes[i];
    if (!r->used) continue;
    json_object_set_new(
        rs, r->id,
        json_pack("{s:I,s:I,s:I,s:I,s:i,s:i,s:f,s:f,s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:I}", "video_frames",
                  (json_int_t)r->video_frames, "video_decoded", (json_int_t)r->video_decoded,
                  "video_errors", (json_int_t)r->video_errors, "keyframes", (json_int_t)r->keyframes,
                  "width", r->width, "height", r->height, "luma_mean", r->luma_mean, "luma_stddev",
                  r->luma_stddev, "pattern_counter", (json_int_t)r->last_counter, "audio_frames",
                  (json_int_t)r->audio_frames, "audio_decoded", (json_int_t)r->audio_decoded,
                  "audio_rms", r->audio_rms, "audio_rms_max", r->audio_rms_max, "first_video_ms",
                  r->first_video_ms, "audio_first_ms", (json_int_t)r->audio_first_ms, "audio_last_ms", (json_int_t)r->audio_last_ms));
  }
  json_object_set_new(o, "remotes", rs);
  return o;
}

static void print_stats(uv_timer_t *t) {
  bot *b = t->data;
  json_t *s = stats_json(b);
  fprintf(stderr, "bot: sent %lld video / %lld audio frames;",
          (long long)json_integer_value(json_object_get(s, "video_frames_sent")),
          (long long)json_integer_value(json_object_get(s, "audio_frames_sent")));
  const char *id;
  json_t *r;
  json_object_foreach(json_object_get(s, "remotes"), id, r) {
    fprintf(stderr, " %.8s: %lld video (%lld decoded %lldx%lld), %lld audio;", id,
            (long long)json_integer_value(json_object_get(r, "video_frames")),
            (long long)json_integer_value(json_object_get(r, "video_decoded")),
            (long long)json_integer_value(json_object_get(r, "width")),
            (long long)json_integer_value(json_object_get(r, "height")),
            (long long)json_integer_value(json_object_get(r, "audio_frames")));
  }
  fprintf(stderr, "\n");
  json_t *ev = json_pack("{s:s,s:o}", "event", "stats", "stats", s);
  emit(ev);
}

/* ---- client callbacks -------------------------------------------------- */

static void on_joined(void *ctx, const char *id, bool e2ee) {
  bot *b = ctx;
  snprintf(b->id, sizeof b->id, "%s", id);
  b->e2ee = e2ee;
  fprintf(stderr, "bot: joined as %s (%s)\n", id, e2ee ? "end-to-end encrypted" : "not encrypted");
  emit(json_pack("{s:s,s:s,s:b}", "event", "joined", "participant_id", id, "e2ee", e2ee));
  if ((b->o.audio || b->o.video) && sc_client_publish(b->client, b->o.audio, b->o.video) != 0)
    fprintf(stderr, "bot: could not publish\n");
}

static void on_participant(void *ctx, const char *id, const char *name, bool joined) {
  char safe[300];
  safe_text(name, safe, sizeof safe);
  fprintf(stderr, "bot: %s %s%s%s\n", id, joined ? "joined" : "left", name[0] ? " as " : "", safe);
  emit(json_pack("{s:s,s:s,s:s,s:b}", "event", "participant", "participant_id", id, "name", safe, "joined", joined));
}

static void on_publishing(void *ctx) {
  bot *b = ctx;
  b->publishing = true;
  b->keyframe_wanted = true;
  fprintf(stderr, "bot: publishing\n");
}

static void on_keyframe_request(void *ctx) {
  bot *b = ctx;
  b->keyframe_wanted = true;
}

static void on_security_code(void *ctx, const char *code, bool complete) {
  bot *b = ctx;
  if (strcmp(code, b->code) == 0 && complete == b->code_complete) return;
  snprintf(b->code, sizeof b->code, "%s", code);
  b->code_complete = complete;
  fprintf(stderr, "bot: security code %s%s\n", code, complete ? "" : " (incomplete)");
  emit(json_pack("{s:s,s:s,s:b}", "event", "code", "code", code, "complete", complete));
}

static void on_alarm(void *ctx, const char *id, const char *reason) {
  fprintf(stderr, "bot: E2EE ALARM %s: %s\n", reason, id);
  emit(json_pack("{s:s,s:s,s:s}", "event", "alarm", "participant_id", id, "reason", reason));
}

static void close_handles(bot *b) {
  uv_handle_t *hs[] = {(uv_handle_t *)&b->video_timer, (uv_handle_t *)&b->audio_timer,
                       (uv_handle_t *)&b->stats_timer, (uv_handle_t *)&b->end_timer,
                       (uv_handle_t *)&b->sigint,      (uv_handle_t *)&b->sigterm};
  for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
    if (!uv_is_closing(hs[i])) uv_close(hs[i], NULL);
}

static void on_closed(void *ctx, bool error, const char *why) {
  bot *b = ctx;
  b->failed = error;
  const char *reason = why ? why : ""; /* printable ASCII: the library cleans it (sealroom_client.h) */
  snprintf(b->end_reason, sizeof b->end_reason, "%s", reason);
  fprintf(stderr, "bot: call ended%s: %s\n", error ? " with an error" : "", reason);
  json_t *s = stats_json(b);
  emit(json_pack("{s:s,s:b,s:s,s:s,s:s,s:b,s:o}", "event", "end", "error", error, "reason", reason,
                 "participant_id", b->id, "code", b->code, "code_complete", b->code_complete,
                 "stats", s));
  close_handles(b);
}

static void leave(bot *b) {
  if (b->ended) return;
  b->ended = true;
  b->publishing = false;
  print_stats(&b->stats_timer);
  sc_client_leave(b->client);
}

static void on_end_timer(uv_timer_t *t) { leave(t->data); }
static void on_signal(uv_signal_t *s, int signum) { leave(s->data); }

/* ---- set-up ------------------------------------------------------------ */

static void usage(FILE *f) {
  fprintf(f,
          "usage: sealroom-bot --url ws://HOST:PORT/ws --room ROOM [options]\n"
          "  --name NAME          display name (default \"sealroom-bot\")\n"
          "  --token JWT          join token (private rooms)\n"
          "  --e2ee               refuse a room that is not end-to-end encrypted\n"
          "  --no-audio, --no-video   publish only the other kind; both: receive only\n"
          "  --no-receive         do not decode what others send\n"
          "  --size WxH           test pattern size (default 640x360)\n"
          "  --fps N              frames per second (default 30)\n"
          "  --kbps N             VP8 target bitrate (default 800)\n"
          "  --video-in FILE.ivf  send these VP8 frames (looped) instead of the pattern\n"
          "  --audio-in FILE.ogg  send these Opus packets (looped) instead of the tone\n"
          "  --audio-level N[,S:N...]  claim RFC 6464 level N (0 loudest .. 127 silence) in\n"
          "                       audio packets, then each N from S seconds after start\n"
          "  --out DIR            write what each participant sends to DIR/<id>.ivf, .ogg\n"
          "  --duration SECONDS   leave after this long (default: until SIGINT)\n"
          "  --stats SECONDS      statistics interval (default 1)\n"
          "  --timeout SECONDS    wait this long for the server's answers (default 15)\n");
}

/* "N[,S:N...]": a level (0..127) from the start, then each from S seconds
 * (rising, up to a day). 0, or -1. */
static int parse_levels(const char *spec, options *o) {
  o->n_levels = 0;
  const char *p = spec;
  for (;;) {
    if (o->n_levels == MAX_LEVEL_STEPS) return -1;
    double at = 0;
    char *end;
    if (o->n_levels > 0) {
      at = strtod(p, &end);
      if (end == p || *end != ':' || !(at > o->level_at_s[o->n_levels - 1]) || at > 86400) return -1;
      p = end + 1;
    }
    long lv = strtol(p, &end, 10);
    if (end == p || lv < 0 || lv > 127 || (*end != ',' && *end != '\0')) return -1;
    o->level[o->n_levels] = (int)lv;
    o->level_at_s[o->n_levels++] = at;
    if (*end == '\0') return 0;
    p = end + 1;
  }
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){.name = "sealroom-bot", .audio = true, .video = true, .receive = true,
                 .width = 640, .height = 360, .fps = 30, .kbps = 800, .stats_s = 1};
  static const struct option opts[] = {
      {"url", 1, 0, 'u'},      {"room", 1, 0, 'r'},     {"name", 1, 0, 'n'},
      {"token", 1, 0, 't'},    {"e2ee", 0, 0, 'e'},     {"no-audio", 0, 0, 'A'},
      {"no-video", 0, 0, 'V'}, {"no-receive", 0, 0, 'R'}, {"size", 1, 0, 's'},
      {"fps", 1, 0, 'f'},      {"kbps", 1, 0, 'k'},     {"video-in", 1, 0, 'i'},
      {"audio-in", 1, 0, 'a'}, {"out", 1, 0, 'o'},      {"duration", 1, 0, 'd'},
      {"stats", 1, 0, 'S'},    {"timeout", 1, 0, 'T'},  {"help", 0, 0, 'h'},
      {"audio-level", 1, 0, 'L'},
      {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
      case 'u': o->url = optarg; break;
      case 'r': o->room = optarg; break;
      case 'n': o->name = optarg; break;
      case 't': o->token = optarg; break;
      case 'e': o->e2ee = true; break;
      case 'A': o->audio = false; break;
      case 'V': o->video = false; break;
      case 'R': o->receive = false; break;
      case 's': {
        char extra;
        if (sscanf(optarg, "%dx%d%c", &o->width, &o->height, &extra) != 2 || o->width < 16 || o->height < 16 ||
            o->width > 1920 || o->height > 1080 || ((o->width | o->height) & 1)) {
          fprintf(stderr, "bot: --size wants WxH, even, from 16x16 to 1920x1080, not \"%s\"\n", optarg);
          return -1;
        }
        break;
      }
      case 'f': if (!tool_int("bot", "fps", optarg, 1, 60, &o->fps)) return -1; break;
      case 'k': if (!tool_int("bot", "kbps", optarg, 30, 100000, &o->kbps)) return -1; break;
      case 'i': o->video_in = optarg; break;
      case 'a': o->audio_in = optarg; break;
      case 'o': o->out_dir = optarg; break;
      case 'd': if (!tool_number("bot", "duration", optarg, 0, 864000, &o->duration_s)) return -1; break;
      case 'S': if (!tool_number("bot", "stats", optarg, 0.01, 86400, &o->stats_s)) return -1; break;
      case 'T': if (!tool_number("bot", "timeout", optarg, 0, 3600, &o->timeout_s)) return -1; break;
      case 'L':
        if (parse_levels(optarg, o) != 0) {
          fprintf(stderr, "bot: --audio-level wants N[,S:N...]: levels 0-127, at most %d, times rising, not \"%s\"\n",
                  MAX_LEVEL_STEPS, optarg);
          return -1;
        }
        break;
      case 'h': usage(stdout); exit(0);
      default: return -1;
    }
  }
  if (!o->url || !o->room) {
    fprintf(stderr, "bot: needs --url and --room\n");
    return -1;
  }
  if (optind != argc) {
    fprintf(stderr, "bot: unexpected argument \"%s\"\n", argv[optind]);
    return -1;
  }
  if (o->fps < 1 || o->fps > 60 || o->width < 16 || o->height < 16 || o->width > 1920 ||
      o->height > 1080 || (o->width | o->height) & 1 || o->kbps < 30 || o->stats_s <= 0 ||
      o->duration_s < 0 || o->timeout_s < 0 || o->timeout_s > 3600)
    return -1;
  return 0;
}

static int open_sources(bot *b) {
  const options *o = &b->o;
  if (o->video && o->video_in) {
    if (sc_read_file(o->video_in, 512u << 20, &b->ivf_buf, &b->ivf_len) != 0 ||
        sc_ivf_reader_init(&b->ivf_in, b->ivf_buf, b->ivf_len) != 0) {
      fprintf(stderr, "bot: %s is not a readable IVF file\n", o->video_in);
      return -1;
    }
  } else if (o->video) {
    if (sc_i420_alloc(&b->img, o->width, o->height) != 0 ||
        !(b->venc = sc_vp8_enc_new(o->width, o->height, o->fps, o->kbps))) {
      fprintf(stderr, "bot: could not set up the VP8 encoder\n");
      return -1;
    }
  }
  if (o->audio && o->audio_in) {
    if (sc_read_file(o->audio_in, 512u << 20, &b->ogg_buf, &b->ogg_len) != 0 ||
        !(b->ogg_in = sc_ogg_opus_reader_open(b->ogg_buf, b->ogg_len))) {
      fprintf(stderr, "bot: %s is not a readable Ogg Opus file\n", o->audio_in);
      return -1;
    }
  } else if (o->audio) {
    if (sc_tone_init(&b->tone, 440, 48000, 2, 0.3) != 0 || !(b->aenc = sc_opus_enc_new(2, 64000))) {
      fprintf(stderr, "bot: could not set up the Opus encoder\n");
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  static bot b; /* large: the remotes */
  if (parse_args(argc, argv, &b.o) != 0) {
    usage(stderr);
    return 2;
  }
  struct stat out_st;
  if (b.o.out_dir && mkdir(b.o.out_dir, 0700) != 0 &&
      (errno != EEXIST || stat(b.o.out_dir, &out_st) != 0 || !S_ISDIR(out_st.st_mode))) {
    fprintf(stderr, "bot: --out %s: %s\n", b.o.out_dir, errno == EEXIST ? "exists and is not a directory" : strerror(errno));
    return 2;
  }
  if (open_sources(&b) != 0) return 2;
  signal(SIGPIPE, SIG_IGN);
  b.loop = uv_default_loop();
  b.start_ns = uv_hrtime();
  sc_client_config cfg = {.url = b.o.url,
                          .room = b.o.room,
                          .name = b.o.name,
                          .token = b.o.token,
                          .require_e2ee = b.o.e2ee,
                          .receive = b.o.receive,
                          .answer_timeout_ms = (unsigned)(b.o.timeout_s * 1000)};
  sc_client_callbacks cb = {.on_joined = on_joined,
                            .on_participant = on_participant,
                            .on_publishing = on_publishing,
                            .on_frame = on_frame,
                            .on_keyframe_request = on_keyframe_request,
                            .on_security_code = on_security_code,
                            .on_alarm = on_alarm,
                            .on_closed = on_closed};
  b.client = sc_client_new(b.loop, &cfg, &cb, &b);
  if (!b.client) {
    fprintf(stderr, "bot: could not set up the client\n");
    return 2;
  }
  if (b.o.n_levels) sc_client_set_audio_level(b.client, b.o.level[0]); /* before publishing: declared */
  uv_timer_t *timers[] = {&b.video_timer, &b.audio_timer, &b.stats_timer, &b.end_timer};
  for (size_t i = 0; i < 4; i++) {
    uv_timer_init(b.loop, timers[i]);
    timers[i]->data = &b;
  }
  uv_signal_init(b.loop, &b.sigint);
  uv_signal_init(b.loop, &b.sigterm);
  b.sigint.data = b.sigterm.data = &b;
  uv_signal_start(&b.sigint, on_signal, SIGINT);
  uv_signal_start(&b.sigterm, on_signal, SIGTERM);
  if (b.o.video) uv_timer_start(&b.video_timer, send_video, 1000 / b.o.fps, 1000 / b.o.fps);
  if (b.o.audio) uv_timer_start(&b.audio_timer, send_audio, 20, 20);
  uint64_t st = (uint64_t)(b.o.stats_s * 1000);
  uv_timer_start(&b.stats_timer, print_stats, st, st);
  if (b.o.duration_s > 0) uv_timer_start(&b.end_timer, on_end_timer, (uint64_t)(b.o.duration_s * 1000), 0);
  if (sc_client_connect(b.client) != 0) {
    fprintf(stderr, "bot: could not connect\n");
    return 1;
  }
  uv_run(b.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < MAX_REMOTES; i++) remote_close(&b.remotes[i]);
  sc_client_free(b.client);
  sc_vp8_enc_free(b.venc);
  sc_opus_enc_free(b.aenc);
  sc_i420_free(&b.img);
  sc_ogg_opus_reader_free(b.ogg_in);
  free(b.ivf_buf);
  free(b.ogg_buf);
  uv_loop_close(b.loop);
  return b.failed ? 1 : 0;
}
