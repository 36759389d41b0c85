/* sealroom-load: many participants from one process, on one libuv loop, to
 * load an SFU (docs/performance.md). M rooms, each with P publishers and S
 * subscribers. Nothing is encoded or decoded while running:
 *
 *   - publishers send frames encoded once at start (VP8 at 30 fps from a busy
 *     test pattern, padded to --video-kbps; Opus 20 ms packets of a tone at
 *     50 packets/s), looped. The last 8 bytes of every frame are the send
 *     time (CLOCK_REALTIME, microseconds, big-endian), so that the last RTP
 *     packet of each video frame (the marker packet) and every audio packet
 *     end with it;
 *   - every participant (publishers too: the SFU forwards everyone to
 *     everyone) receives RTP packets only (sc_client_config.packets_only):
 *     counted per kind, loss per stream from sequence numbers (gaps; late
 *     packets, e.g. answers to our NACKs, fill them; duplicates counted
 *     apart), interarrival jitter (RFC 3550 A.8), and one-way delay through
 *     the SFU (the kernel's arrival time of the packet, SO_TIMESTAMPNS, minus
 *     the embedded send time; same machine, same clock: so the figure leaves
 *     out the time the packet then waited for our own loop) into a
 *     histogram with 10 us buckets up to 100 ms and logarithmic ones beyond.
 *
 * Joins are staggered (--join-rate per second): publishers first; once all
 * publish, the subscribers. When everyone receives everything (or after
 * --ready-timeout), --warmup seconds pass, then the measurement window of
 * --duration seconds. The summary covers that window only: a human summary
 * on stderr and one JSON object ({"event":"summary",...}) as the last line
 * of stdout; --interval adds {"event":"interval",...} lines. With
 * --server-pid, the server's CPU time (utime+stime of /proc/PID/stat) over
 * the window gives its CPU per forwarded packet, next to our own
 * (getrusage) per received packet; and each media worker's (the threads
 * named media-N, /proc/PID/task) next to the packets it sent (/metrics).
 *
 * --churn N (soak): every second of the window, N subscribers leave and as
 * many new ones join in their place.
 *
 * Backends: a participant is reached through a small vtable (load_backend),
 * so that another SFU (Janus's VideoRoom, --server janus) plugs in with the
 * same callbacks (sc_client_callbacks).
 *
 * Media UDP: against a sealroomd on loopback, every connection on one
 * shared socket (sc_udp_mux, each on its own 127.1.x.y address, read every
 * --read-every ms); --sockets own, and for Janus, a socket each.
 *
 * Exit status: 0 after a window in which everyone joined, received every
 * track and stayed; 3 after a window where joins failed, calls dropped or
 * someone missed a track; 1 if nothing was measured (nobody could join: the
 * tool stops at once; an E2EE room, whose frames it cannot stamp, is
 * refused); 2 for bad arguments. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "client/media/i420.h"
#include "client/media/opus.h"
#include "client/media/pattern.h"
#include "client/media/vp8.h"
#include "common/base64.h"
#include "dtls/srtp.h"
#include "client/janus.h"
#include "sealroom_client.h"
#include "tools/tool_args.h"

#define MAX_ROOMS 256
#define MAX_STREAMS 64      /* remote tracks per participant we keep statistics for */
#define ID_LEN 72
#define TS_BYTES 8          /* the send time at the end of every frame */
#define SEEN_BITS 1024      /* duplicate detection window per stream (sequence numbers) */
#define HIST_LINEAR 10000   /* 10 us buckets: 0 .. 100 ms */
#define HIST_LOG 96         /* then 100 ms * 2^(i/8): up to ~400 s */
#define MAX_LAYERS SC_CLIENT_MAX_LAYERS
#define VIDEO_FRAMES 60     /* pre-encoded: 2 s at 30 fps */
#define AUDIO_FRAMES 50     /* pre-encoded: 1 s of 20 ms packets */
#define PACE_MS 1           /* the send timer */
#define VIDEO_PERIOD_US 33333u /* 30 fps */
#define AUDIO_PERIOD_US 20000u /* 20 ms Opus packets */

/* ---- backends ------------------------------------------------------------ */

typedef struct {
  const char *url;  /* signalling URL (sealroom: ws://HOST:PORT/ws; janus: http://HOST:PORT/janus) */
  const char *room; /* room name or id, as the backend's setup_room made it */
  const char *name; /* display name */
  bool publisher;
  const char *media_ip; /* janus: local address for media (NULL: Janus's own, from GET /info) */
  sc_udp_mux *udp_mux;  /* sealroom: the shared media socket, or NULL: a socket per connection */
  int simulcast;        /* publisher: video encodings (0: one) */
} load_join;

/* One SFU's client, shaped like sc_client_*. Callbacks used:
 * on_joined, on_publishing, on_packet, on_keyframe_request, on_closed. */
typedef struct {
  const char *name;
  /* Makes room number i before any join (blocking is fine: start-up);
   * writes its name or id into out. 0 or -1. NULL: rooms come from --room. */
  int (*setup_room)(const void *opts, int i, char *out, size_t cap);
  void *(*create)(uv_loop_t *loop, const load_join *j, const sc_client_callbacks *cb, void *ctx);
  int (*connect)(void *c);
  int (*publish)(void *c, bool audio, bool video);
  /* layer: the simulcast encoding of a video frame (0 without simulcast). */
  int (*send_frame)(void *c, sc_media_kind kind, int layer, const uint8_t *frame, size_t len, bool keyframe,
                    uint64_t capture_us);
  /* Asks for at most this encoding ("low", "medium", "high") of a
   * participant's camera; NULL: the backend has no such request. */
  int (*set_quality)(void *c, const char *participant_id, const char *quality);
  void (*get_stats)(const void *c, sc_client_stats *out);
  void (*leave)(void *c);
  void (*free)(void *c);
  /* During on_packet: the kernel's arrival time of the packet (CLOCK_REALTIME us). */
  int64_t (*packet_time)(const void *c);
} load_backend;

typedef struct {
  const char *url, *api_key, *janus_url, *server;
  uint64_t janus_room_base;
  const char *media_ip;
  const char *rooms[MAX_ROOMS];
  int n_rooms_given;
  int rooms_n, pubs, subs;
  int video_kbps, audio_bps, width, height;
  double join_rate, warmup_s, duration_s, interval_s, ready_timeout_s;
  int churn;
  int server_pid;
  bool quiet;
  const char *sockets; /* "shared", "own", or NULL: shared when the server is on loopback */
  unsigned frame_jitter_us;
  int read_every_ms; /* the shared socket: read every this many ms (0: when readable) */
  bool simulcast;    /* publishers send MAX_LAYERS encodings */
  const char *quality; /* what each participant asks of the cameras: high, medium, low or speaker */
} options;

/* ---- statistics ----------------------------------------------------------- */

typedef struct {
  uint64_t b[HIST_LINEAR + HIST_LOG];
  uint64_t n, max, sum;
} histogram;

/* What one participant receives from one remote track. */
typedef struct {
  bool used;
  sc_media_kind kind;
  char from[ID_LEN];
  uint64_t from_hash; /* of from: most lookups compare only this */
  bool started;
  int64_t max_ext;   /* extended highest sequence number */
  int64_t base_ext;  /* the first one */
  uint64_t packets, bytes, unique, dups, late;
  uint8_t seen[SEEN_BITS / 8];
  double jitter;     /* RFC 3550 A.8, in timestamp units */
  int64_t transit;
  bool have_transit;
} stream;

/* Totals per kind (cumulative; a window is the difference of two). */
typedef struct {
  uint64_t packets, bytes, unique, dups, late, expected;
} kind_totals;

typedef enum { P_IDLE = 0, P_QUEUED, P_JOINING, P_JOINED, P_LEAVING, P_CLOSED } pstate;

typedef struct load load;

typedef struct {
  load *L;
  int room, index;
  bool publisher;
  pstate state;
  bool publishing, ever_joined, free_me, rejoin;
  void *conn;
  char id[ID_LEN];
  char name[40];
  stream streams[MAX_STREAMS];
  int n_streams; /* used, from the start: none is let go before the participant leaves */
  uint64_t next_video_us, next_audio_us; /* the next frame's slot (next_slot) */
  uint64_t video_jitter_us;              /* the next video frame leaves this long after its slot */
  int pub_ord;                           /* among all publishers (parts[0..]) */
  uint32_t vframe[MAX_LAYERS], aframe; /* per video encoding */
  bool want_key[MAX_LAYERS];
} participant;

typedef struct {
  uint8_t *data; /* the frame, then TS_BYTES for the send time */
  size_t len;    /* with the TS_BYTES */
  bool key;
} stored_frame;

#define MAX_SERVER_WORKERS 64 /* sealroomd's SFU_MAX_WORKERS */

/* A Prometheus histogram as scraped: cumulative counts per upper bound
 * (seconds; the last is +Inf), and the sum. */
#define FWD_MAX_BUCKETS 40
typedef struct {
  bool ok;
  int n;
  double le[FWD_MAX_BUCKETS];
  uint64_t cum[FWD_MAX_BUCKETS];
  double sum;
  /* Per media worker: packets sent (sealroom_media_worker_packets_out_total). */
  uint64_t worker_out[MAX_SERVER_WORKERS];
  int n_workers;
} fwd_hist;

struct load {
  options o;
  const load_backend *be;
  uv_loop_t *loop;
  char room_names[MAX_ROOMS][64];
  participant *parts;
  int n_parts;
  int *queue; /* participants waiting to join, FIFO */
  int q_head, q_tail, q_cap;
  double join_tokens;
  uv_timer_t pace, join_timer, phase_timer, churn_timer, interval_timer, close_timer;
  uv_signal_t sigint, sigterm;
  sc_udp_mux *udp_mux; /* every connection's UDP on one socket (--sockets) */

  /* Video per encoding (one, or MAX_LAYERS with --simulcast, lowest first). */
  int n_layers;
  stored_frame video[MAX_LAYERS][VIDEO_FRAMES], audio[AUDIO_FRAMES];
  double video_kbps_real[MAX_LAYERS];

  /* Phases: joining -> ready -> warmup -> window -> ending. */
  enum { PH_JOINING = 0, PH_WARMUP, PH_WINDOW, PH_ENDING } phase;
  bool subs_queued, ready, stop_requested;
  uint64_t start_us, ready_us, window_start_us, window_end_us;

  /* Counters. */
  uint64_t joins_ok, joins_failed, leaves, closed_errors;
  uint64_t frames_sent[2], send_errors;
  uint64_t frames_skipped[2];       /* slots passed while our loop was held up */
  uint64_t skipped_start[2], skipped_end[2], sent_start[2], sent_end[2]; /* at the window's ends */
  kind_totals retired[2];    /* of streams gone (participants that left) */
  kind_totals win_start[2];  /* totals at the window start */
  kind_totals win_end[2];
  uint64_t sub_packets, pub_packets, sub_packets_start, pub_packets_start, sub_packets_end, pub_packets_end;
  histogram delay[2];        /* window only */
  double jitter_ms_max[2], jitter_ms_sum[2];
  uint64_t jitter_n[2];
  int subs_complete, pubs_complete;
  struct rusage ru_start, ru_end;
  uint64_t server_ticks_start, server_ticks_end;
  bool server_ok;
  /* Each media worker thread's CPU (clock ticks), by worker index; how many
   * workers were seen (0: none, or not sealroomd). */
  uint64_t worker_ticks_start[MAX_SERVER_WORKERS], worker_ticks_end[MAX_SERVER_WORKERS];
  int n_worker_ticks;
  uint64_t machine_busy_start, machine_busy_end; /* /proc/stat, all CPUs */
  bool machine_ok;
  /* sealroomd's forward-delay histogram (/metrics) at the window's ends. */
  fwd_hist fwd_start, fwd_end;
  /* Interval lines. */
  kind_totals iv_last[2];
  uint64_t iv_last_us;
  json_t *summary;
  bool stuck; /* clients still open at the end: the loop was stopped */
  bool e2ee_room; /* a room turned out to be E2EE: the run was ended */
};

/* Wall-clock microseconds: the send stamps, compared with the kernel's
 * receive timestamps (CLOCK_REALTIME too). */
static uint64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void hist_add(histogram *h, uint64_t us) {
  size_t i;
  if (us < HIST_LINEAR * 10u) {
    i = us / 10u;
  } else {
    double k = floor(8.0 * log2((double)us / (HIST_LINEAR * 10.0)));
    i = HIST_LINEAR + (k < HIST_LOG - 1 ? (size_t)k : HIST_LOG - 1);
  }
  h->b[i]++;
  h->n++;
  h->sum += us;
  if (us > h->max) h->max = us;
}

/* The upper edge of bucket i in microseconds. */
static double hist_edge(size_t i) {
  if (i < HIST_LINEAR) return (double)(i + 1) * 10.0;
  return HIST_LINEAR * 10.0 * pow(2.0, (double)(i - HIST_LINEAR + 1) / 8.0);
}

static double hist_pct(const histogram *h, double q) {
  if (h->n == 0) return 0;
  uint64_t want = (uint64_t)ceil(q * (double)h->n);
  if (want < 1) want = 1;
  uint64_t acc = 0;
  for (size_t i = 0; i < HIST_LINEAR + HIST_LOG; i++) {
    acc += h->b[i];
    if (acc >= want) return fmin(hist_edge(i), (double)h->max);
  }
  return (double)h->max;
}

/* ---- per-packet path ------------------------------------------------------ */

/* FNV-1a. */
static uint64_t hash_text(const char *t) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; *t; t++) h = (h ^ (uint8_t)*t) * 0x100000001b3u;
  return h;
}

static stream *stream_for(participant *p, const char *from, sc_media_kind kind) {
  uint64_t h = hash_text(from);
  for (int i = 0; i < p->n_streams; i++) { /* streams[0..n_streams) are used */
    stream *s = &p->streams[i];
    if (s->from_hash == h && s->kind == kind && strcmp(s->from, from) == 0) return s;
  }
  if (p->n_streams == MAX_STREAMS) return NULL;
  stream *free_slot = &p->streams[p->n_streams++];
  memset(free_slot, 0, sizeof *free_slot);
  free_slot->used = true;
  free_slot->kind = kind;
  free_slot->from_hash = h;
  snprintf(free_slot->from, sizeof free_slot->from, "%s", from);
  return free_slot;
}

static bool seen_get(const stream *s, int64_t ext) {
  unsigned b = (unsigned)(ext & (SEEN_BITS - 1));
  return s->seen[b >> 3] & (1u << (b & 7));
}

static void seen_set(stream *s, int64_t ext, bool v) {
  unsigned b = (unsigned)(ext & (SEEN_BITS - 1));
  if (v)
    s->seen[b >> 3] |= (uint8_t)(1u << (b & 7));
  else
    s->seen[b >> 3] &= (uint8_t)~(1u << (b & 7));
}

static uint64_t read_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static void on_packet(void *ctx, const char *from, sc_media_kind kind, uint16_t seq, uint32_t rtp_ts,
                      bool marker, const uint8_t *payload, size_t len) {
  participant *p = ctx;
  load *L = p->L;
  if (kind != SC_MEDIA_AUDIO && kind != SC_MEDIA_VIDEO) return;
  /* When the kernel received it: the delay then leaves out the time the
   * packet waited in our socket and for our loop (the load tool's latency). */
  int64_t arrived = L->be->packet_time(p->conn);
  uint64_t now = arrived > 0 ? (uint64_t)arrived : wall_us();
  if (p->publisher)
    L->pub_packets++;
  else
    L->sub_packets++;
  stream *s = stream_for(p, from, kind);
  if (!s) return;
  s->packets++;
  s->bytes += len;
  bool in_order = true;
  if (!s->started) {
    s->started = true;
    s->max_ext = s->base_ext = seq;
    s->unique = 1;
    seen_set(s, seq, true);
  } else {
    int64_t ext = s->max_ext + (int16_t)(uint16_t)(seq - (uint16_t)s->max_ext);
    if (ext > s->max_ext) {
      int64_t d = ext - s->max_ext;
      if (d >= SEEN_BITS) {
        memset(s->seen, 0, sizeof s->seen);
      } else {
        for (int64_t e = s->max_ext + 1; e < ext; e++) seen_set(s, e, false);
      }
      seen_set(s, ext, true);
      s->max_ext = ext;
      s->unique++;
    } else {
      in_order = false;
      if (ext < s->base_ext) {
        s->late++; /* before the first one we saw: not expected, not lost */
      } else if (s->max_ext - ext >= SEEN_BITS) {
        s->late++;
        s->unique++;
      } else if (seen_get(s, ext)) {
        s->dups++;
      } else {
        seen_set(s, ext, true);
        s->late++;
        s->unique++;
      }
    }
  }
  uint32_t clock = kind == SC_MEDIA_VIDEO ? 90000u : 48000u;
  if (in_order) {
    int64_t arrival = (int64_t)(now * clock / 1000000u);
    int64_t transit = (int32_t)((uint32_t)arrival - rtp_ts);
    if (s->have_transit) {
      double d = fabs((double)(transit - s->transit));
      s->jitter += (d - s->jitter) / 16.0;
    }
    s->transit = transit;
    s->have_transit = true;
  }
  if ((kind == SC_MEDIA_AUDIO || marker) && len >= TS_BYTES && in_order && L->phase == PH_WINDOW) {
    uint64_t sent = read_be64(payload + len - TS_BYTES);
    if (sent <= now && now - sent < 100000000u) hist_add(&L->delay[kind], now - sent);
  }
}

/* ---- totals ---------------------------------------------------------------- */

static void stream_add(kind_totals *t, const stream *s) {
  t->packets += s->packets;
  t->bytes += s->bytes;
  t->unique += s->unique;
  t->dups += s->dups;
  t->late += s->late;
  if (s->started) t->expected += (uint64_t)(s->max_ext - s->base_ext + 1);
}

static void totals(load *L, kind_totals out[2]) {
  out[0] = L->retired[0];
  out[1] = L->retired[1];
  for (int i = 0; i < L->n_parts; i++) {
    participant *p = &L->parts[i];
    for (int j = 0; j < MAX_STREAMS; j++)
      if (p->streams[j].used) stream_add(&out[p->streams[j].kind], &p->streams[j]);
  }
}

/* Jitter of the live streams, and which participants receive every track
 * of their room. */
static void scan_streams(load *L) {
  for (int k = 0; k < 2; k++) {
    L->jitter_ms_max[k] = 0;
    L->jitter_ms_sum[k] = 0;
    L->jitter_n[k] = 0;
  }
  L->subs_complete = L->pubs_complete = 0;
  for (int i = 0; i < L->n_parts; i++) {
    participant *p = &L->parts[i];
    if (p->state != P_JOINED) continue;
    int have[2] = {0, 0};
    for (int j = 0; j < MAX_STREAMS; j++) {
      stream *s = &p->streams[j];
      if (!s->used || !s->started) continue;
      have[s->kind]++;
      double ms = s->jitter / (s->kind == SC_MEDIA_VIDEO ? 90.0 : 48.0);
      L->jitter_ms_sum[s->kind] += ms;
      L->jitter_n[s->kind]++;
      if (ms > L->jitter_ms_max[s->kind]) L->jitter_ms_max[s->kind] = ms;
    }
    int want = p->publisher ? L->o.pubs - 1 : L->o.pubs;
    if (have[0] >= want && have[1] >= want) {
      if (p->publisher)
        L->pubs_complete++;
      else
        L->subs_complete++;
    }
  }
}

/* utime+stime (clock ticks) from the text of a /proc stat file; false if
 * it does not parse. */
static bool stat_ticks(const char *path, uint64_t *out) {
  char buf[1024];
  FILE *f = fopen(path, "r");
  if (!f) return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *q = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long ut = 0, st = 0;
  /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (!q || sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return false;
  *out = (uint64_t)ut + st;
  return true;
}

static uint64_t server_ticks(load *L, bool *ok) {
  char path[64];
  uint64_t t = 0;
  snprintf(path, sizeof path, "/proc/%d/stat", L->o.server_pid);
  *ok = L->o.server_pid > 0 && stat_ticks(path, &t);
  return *ok ? t : 0;
}

/* The CPU of each of the server's media worker threads (named "media-N"),
 * by N, into ticks; returns 1 + the highest N seen (0: none). */
static int worker_ticks(int pid, uint64_t ticks[MAX_SERVER_WORKERS]) {
  memset(ticks, 0, sizeof(uint64_t) * MAX_SERVER_WORKERS);
  if (pid <= 0) return 0;
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/task", pid);
  DIR *d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[128], comm[32] = "";
    snprintf(path, sizeof path, "%s/%.20s/comm", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    bool got = fgets(comm, sizeof comm, f) != NULL;
    fclose(f);
    int w;
    uint64_t t;
    if (!got || sscanf(comm, "media-%d", &w) != 1 || w < 0 || w >= MAX_SERVER_WORKERS) continue;
    snprintf(path, sizeof path, "%s/%.20s/stat", dir, e->d_name);
    if (!stat_ticks(path, &t)) continue;
    ticks[w] = t;
    if (w + 1 > n) n = w + 1;
  }
  closedir(d);
  return n;
}

/* The machine's busy time (all CPUs, clock ticks) from /proc/stat: everything
 * but idle and iowait. With the server's and our own it shows what else ran
 * during the window (other processes, and softirq time not charged to any). */
static uint64_t machine_busy(bool *ok) {
  *ok = false;
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return 0;
  unsigned long long v[10] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], &v[6], &v[7], &v[8], &v[9]);
  fclose(f);
  if (n < 8) return 0;
  *ok = true;
  /* user nice system idle iowait irq softirq steal (guest time is in user) */
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

static double ru_us(const struct rusage *r) {
  return (double)r->ru_utime.tv_sec * 1e6 + (double)r->ru_utime.tv_usec + (double)r->ru_stime.tv_sec * 1e6 +
         (double)r->ru_stime.tv_usec;
}

/* ---- sealroom backend --------------------------------------------------------- */

static void *sr_create(uv_loop_t *loop, const load_join *j, const sc_client_callbacks *cb, void *ctx) {
  sc_client_config cfg = {0};
  cfg.url = j->url;
  cfg.room = j->room;
  cfg.name = j->name;
  cfg.packets_only = true;
  cfg.udp_mux = j->udp_mux;
  sc_client *c = sc_client_new(loop, &cfg, cb, ctx);
  if (c && j->publisher && sc_client_set_simulcast(c, j->simulcast) != 0) {
    sc_client_free(c);
    return NULL;
  }
  return c;
}
static int sr_connect(void *c) { return sc_client_connect(c); }
static int sr_publish(void *c, bool a, bool v) { return sc_client_publish(c, a, v); }
static int sr_send(void *c, sc_media_kind k, int layer, const uint8_t *f, size_t n, bool key, uint64_t t) {
  return k == SC_MEDIA_VIDEO ? sc_client_send_video_layer(c, layer, f, n, key, t) : sc_client_send_frame(c, k, f, n, key, t);
}
static int sr_set_quality(void *c, const char *id, const char *q) { return sc_client_set_video_quality(c, id, q); }
static void sr_stats(const void *c, sc_client_stats *out) { sc_client_get_stats(c, out); }
static void sr_leave(void *c) { sc_client_leave(c); }
static void sr_free(void *c) { sc_client_free(c); }
static int64_t sr_packet_time(const void *c) { return sc_client_packet_time_us(c); }

/* A blocking HTTP/1.1 request to the server the signalling URL names: the
 * REST API at start-up. Returns the HTTP status (or -1) and the body in
 * *body (malloc'd). */
static int http_request(const char *ws_url, const char *method, const char *path, const char *auth,
                        const char *json_body, char **body) {
  *body = NULL;
  const char *h = strstr(ws_url, "://");
  h = h ? h + 3 : ws_url;
  char host[256], port[16] = "80";
  size_t hl = strcspn(h, ":/");
  if (hl == 0 || hl >= sizeof host) return -1;
  memcpy(host, h, hl);
  host[hl] = '\0';
  if (h[hl] == ':') {
    size_t pl = strcspn(h + hl + 1, "/");
    if (pl == 0 || pl >= sizeof port) return -1;
    memcpy(port, h + hl + 1, pl);
    port[pl] = '\0';
  }
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) return -1;
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  struct timeval tv = {2, 0}; /* a server that stops answering does not hang us */
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  size_t blen = json_body ? strlen(json_body) : 0;
  char *req = NULL;
  int rn = asprintf(&req,
                    "%s %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: %s\r\nAccept: application/json\r\n"
                    "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                    method, path, host, port, auth, blen, json_body ? json_body : "");
  if (rn < 0) {
    close(fd);
    return -1;
  }
  for (size_t off = 0; off < (size_t)rn;) {
    ssize_t w = write(fd, req + off, (size_t)rn - off);
    if (w <= 0) {
      free(req);
      close(fd);
      return -1;
    }
    off += (size_t)w;
  }
  free(req);
  size_t cap = 65536, len = 0;
  char *resp = malloc(cap);
  for (;;) {
    if (!resp) break;
    if (len + 1 >= cap) {
      char *r2 = cap < (8u << 20) ? realloc(resp, cap * 2) : NULL;
      if (!r2) break;
      resp = r2;
      cap *= 2;
    }
    ssize_t r = read(fd, resp + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  if (!resp) return -1;
  resp[len] = '\0';
  int status = -1;
  char *sep = strstr(resp, "\r\n\r\n");
  if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1 || !sep) {
    free(resp);
    return -1;
  }
  *body = strdup(sep + 4);
  free(resp);
  return status;
}

/* The Authorization header for --api-key: KEY, or TEAM:KEY as
 * Bearer base64(TEAM:KEY). */
static int auth_header(const options *o, char *out, size_t cap) {
  const char *key = o->api_key;
  if (strchr(key, ':')) {
    char b64[400];
    size_t n;
    if (sr_base64_encode((const uint8_t *)key, strlen(key), b64, sizeof b64, &n, SR_BASE64_STD) != 0)
      return -1;
    snprintf(out, cap, "Bearer %.*s", (int)n, b64);
  } else {
    snprintf(out, cap, "Bearer %s", key);
  }
  return 0;
}

/* POST /api/v1/rooms: a plain (not E2EE) public room for up to 1000. */
static int sr_setup_room(const void *opts, int i, char *out, size_t cap) {
  const options *o = opts;
  char auth[512];
  if (auth_header(o, auth, sizeof auth) != 0) return -1;
  char req[200];
  snprintf(req, sizeof req, "{\"description\":\"sealroom-load room %d\",\"max_participants\":1000}", i);
  char *body = NULL;
  int st = http_request(o->url, "POST", "/api/v1/rooms", auth, req, &body);
  json_t *j = body ? json_loads(body, 0, NULL) : NULL;
  const char *fu = json_string_value(json_object_get(j, "friendly_url"));
  int rc = -1;
  if ((st == 200 || st == 201) && fu && strlen(fu) < cap) {
    snprintf(out, cap, "%s", fu);
    rc = 0;
  } else {
    if (st < 0)
      fprintf(stderr, "load: creating room %d: cannot reach the server of %s\n", i, o->url);
    else
      fprintf(stderr, "load: creating room %d: HTTP %d %.200s\n", i, st, body ? body : "");
  }
  json_decref(j);
  free(body);
  return rc;
}

static const load_backend sealroom_backend = {
    "sealroom", sr_setup_room, sr_create, sr_connect, sr_publish, sr_send, sr_set_quality, sr_stats, sr_leave,
    sr_free, sr_packet_time};

#define FWD_METRIC "sealroom_media_forward_delay_seconds"

/* GET /metrics: sealroomd's forward-delay histogram (the time from a
 * packet's kernel arrival to the hand-off of each forwarded copy). A short
 * blocking request on loopback, at the window's two ends. */
static void scrape_forward_delay(const options *o, fwd_hist *h) {
  memset(h, 0, sizeof *h);
  char auth[512];
  char *body = NULL;
  if (!o->api_key || auth_header(o, auth, sizeof auth) != 0) return;
  if (http_request(o->url, "GET", "/metrics", auth, NULL, &body) != 200 || !body) {
    free(body);
    return;
  }
  for (char *line = body; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = '\0';
    double le, sum;
    unsigned long long cum;
    if (h->n < FWD_MAX_BUCKETS && sscanf(line, FWD_METRIC "_bucket{le=\"%lf\"} %llu", &le, &cum) == 2) {
      h->le[h->n] = le;
      h->cum[h->n++] = cum;
    } else if (h->n < FWD_MAX_BUCKETS && sscanf(line, FWD_METRIC "_bucket{le=\"+Inf\"} %llu", &cum) == 1) {
      h->le[h->n] = INFINITY;
      h->cum[h->n++] = cum;
    } else if (sscanf(line, FWD_METRIC "_sum %lf", &sum) == 1) {
      h->sum = sum;
    } else {
      int w;
      if (sscanf(line, "sealroom_media_worker_packets_out_total{worker=\"%d\"} %llu", &w, &cum) == 2 && w >= 0 &&
          w < MAX_SERVER_WORKERS) {
        h->worker_out[w] = cum;
        if (w + 1 > h->n_workers) h->n_workers = w + 1;
      }
    }
    line = next;
  }
  free(body);
  h->ok = h->n > 1 && isinf(h->le[h->n - 1]);
}

/* The last finite bucket's bound in us (a quantile there or past it is a floor). */
static double fwd_top_us(const fwd_hist *h) {
  for (int i = h->n - 1; i >= 0; i--)
    if (!isinf(h->le[i])) return h->le[i] * 1e6;
  return 0;
}

/* Quantile q of the difference b - a in microseconds, interpolated within
 * its bucket; -1 if there were none (or the two do not match). In the +Inf
 * bucket: the last finite bound (a lower bound of the truth). */
static double fwd_quantile(const fwd_hist *a, const fwd_hist *b, double q) {
  if (!a->ok || !b->ok || a->n != b->n) return -1;
  for (int i = 0; i < b->n; i++) /* the same buckets, and counts that only grew (no restart between) */
    if (a->le[i] != b->le[i] || b->cum[i] < a->cum[i] || (i && b->cum[i] - a->cum[i] < b->cum[i - 1] - a->cum[i - 1]))
      return -1;
  uint64_t total = b->cum[b->n - 1] - a->cum[a->n - 1];
  if (!total) return -1;
  double want = q * (double)total;
  uint64_t prev = 0;
  for (int i = 0; i < b->n; i++) {
    uint64_t c = b->cum[i] - a->cum[i];
    if ((double)c >= want && c > prev) {
      double lo = i ? b->le[i - 1] : 0, hi = b->le[i];
      if (isinf(hi)) return lo * 1e6;
      return (lo + (hi - lo) * (want - (double)prev) / (double)(c - prev)) * 1e6;
    }
    prev = c;
  }
  return -1;
}

/* ---- janus backend (client/janus.h) ------------------------------------------ *
 * Janus's VideoRoom: the same participants, through Janus's REST API. Rooms
 * are made with sc_janus_create_room (a private VideoRoom room for 1000
 * publishers, no REMB, no periodic FIR: bench/janus/README.md), numbered
 * from --janus-room-base (default: a number from our pid, so that runs
 * against one Janus do not meet). Every participant subscribes (the SFU
 * forwards everyone to everyone, as sealroomd does): a publisher holds a
 * publish PeerConnection and a subscription to the room's other publishers,
 * a subscriber the subscription only. from_id in on_packet is the
 * publisher's feed id. */

typedef struct {
  bool done;
  int status;
  char reason[160];
} room_wait;

static void on_janus_room(void *ctx, int status, const char *reason) {
  room_wait *w = ctx;
  w->done = true;
  w->status = status;
  snprintf(w->reason, sizeof w->reason, "%s", reason ? reason : "");
}

static uint64_t janus_room_number(const options *o, int i) {
  uint64_t base = o->janus_room_base ? o->janus_room_base : 100000u + (uint64_t)getpid() % 100000u * 1000u;
  return base + (uint64_t)i;
}

/* Start-up: its own short loop for the room's request (blocking is fine here). */
static int jn_setup_room(const void *opts, int i, char *out, size_t cap) {
  const options *o = opts;
  uint64_t room = janus_room_number(o, i);
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return -1;
  room_wait w = {0};
  int rc = sc_janus_create_room(&loop, o->janus_url, room, on_janus_room, &w);
  if (rc == 0) uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (rc != 0 || !w.done || w.status != 0) {
    fprintf(stderr, "load: creating Janus room %llu: %s\n", (unsigned long long)room,
            rc != 0 ? "bad arguments" : w.done ? w.reason : "no answer");
    return -1;
  }
  snprintf(out, cap, "%llu", (unsigned long long)room);
  return 0;
}

static void *jn_create(uv_loop_t *loop, const load_join *j, const sc_client_callbacks *cb, void *ctx) {
  sc_janus_config cfg = {0};
  cfg.url = j->url;
  cfg.room = strtoull(j->room, NULL, 10);
  cfg.name = j->name;
  cfg.subscribe = true; /* publishers receive the others too; publishing follows on_joined */
  cfg.media_ip = j->media_ip; /* its own sockets: Janus does not answer the shared socket's addresses */
  return sc_janus_new(loop, &cfg, cb, ctx);
}
static int jn_connect(void *c) { return sc_janus_connect(c); }
static int jn_publish(void *c, bool a, bool v) { return sc_janus_publish(c, a, v); }
static int jn_send(void *c, sc_media_kind k, int layer, const uint8_t *f, size_t n, bool key, uint64_t t) {
  return layer == 0 ? sc_janus_send_frame(c, k, f, n, key, t) : -1; /* no simulcast to Janus (yet) */
}
static void jn_stats(const void *c, sc_client_stats *out) { sc_janus_get_stats(c, out); }
static void jn_leave(void *c) { sc_janus_leave(c); }
static void jn_free(void *c) { sc_janus_free(c); }
static int64_t jn_packet_time(const void *c) { return sc_janus_packet_time_us(c); }

static const load_backend janus_backend = {"janus", jn_setup_room, jn_create, jn_connect, jn_publish,
                                           jn_send,  NULL,          jn_stats,  jn_leave,
                                           jn_free,  jn_packet_time};

static const load_backend *const backends[] = {&sealroom_backend, &janus_backend};

static const load_backend *backend_named(const char *name) {
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strcmp(backends[i]->name, name) == 0) return backends[i];
  return NULL;
}

/* ---- media made once --------------------------------------------------------- */

/* The pattern with a block of noise that changes every frame, so that the
 * encoder has something to spend its bitrate on. */
static void draw_busy(sc_i420 *img, uint32_t n, uint32_t *rng, int shift) {
  sc_pattern_draw(img, n);
  int bw = img->width / 4, bh = img->height / 4;
  int x0 = (int)((n * 8u) % (unsigned)(img->width - bw)), y0 = img->height / 4;
  for (int y = y0; y < y0 + bh; y++) {
    uint8_t *row = img->plane[0] + (size_t)y * (size_t)img->stride[0];
    for (int x = x0; x < x0 + bw; x++) {
      *rng = *rng * 1664525u + 1013904223u;
      row[x] = (uint8_t)(96 + (*rng >> shift));
    }
  }
}

static void free_video(stored_frame *v) {
  for (int i = 0; i < VIDEO_FRAMES; i++) {
    free(v[i].data);
    v[i].data = NULL;
  }
}

/* Encodes VIDEO_FRAMES frames of w x h at kbps into v, with noise of
 * amplitude 2^(32-shift); returns their bytes, or -1. */
static long encode_video(stored_frame *v, int w, int h, int kbps, int shift) {
  sc_i420 img;
  if (sc_i420_alloc(&img, w, h) != 0) return -1;
  sc_vp8_enc *enc = sc_vp8_enc_new(w, h, 30, kbps);
  if (!enc) {
    sc_i420_free(&img);
    return -1;
  }
  uint32_t rng = 12345;
  long total = 0;
  int made = 0;
  for (int64_t pts = 0; made < VIDEO_FRAMES && pts < VIDEO_FRAMES * 4; pts++) {
    draw_busy(&img, (uint32_t)pts, &rng, shift);
    sc_vp8_frame f;
    int rc = sc_vp8_enc_encode(enc, &img, pts, &f);
    if (rc < 0) break;
    if (rc == 0) continue;
    stored_frame *s = &v[made++];
    s->len = f.len + TS_BYTES;
    s->key = f.keyframe;
    s->data = calloc(1, s->len);
    if (!s->data) break;
    memcpy(s->data, f.data, f.len);
    total += (long)f.len;
  }
  sc_vp8_enc_free(enc);
  sc_i420_free(&img);
  if (made < VIDEO_FRAMES || !v[0].key || !v[made - 1].data) {
    fprintf(stderr, "load: the VP8 encoder made %d frames\n", made);
    free_video(v);
    return -1;
  }
  return total;
}

/* One encoding's frames: w x h padded up to kbps. 0 or -1. */
static int make_video(load *L, int layer, int w, int h, int kbps) {
  stored_frame *v = L->video[layer];
  /* Less noise until libvpx stays near the target (it overshoots on noise),
   * then padding makes up the rest. */
  double target = kbps * 1000.0 / 8.0 / 30.0;
  long total = -1;
  for (int shift = 25; shift <= 31; shift++) {
    total = encode_video(v, w, h, kbps, shift);
    if (total < 0) return -1;
    if ((double)total / VIDEO_FRAMES <= target * 1.05 || shift == 31) break;
    free_video(v);
  }
  /* Pad every frame alike so that the average is the target bitrate. */
  double avg = (double)total / VIDEO_FRAMES;
  size_t pad = avg < target ? (size_t)(target - avg) : 0;
  total = 0;
  for (int i = 0; i < VIDEO_FRAMES; i++) {
    stored_frame *s = &v[i];
    if (pad) {
      uint8_t *d = realloc(s->data, s->len + pad);
      if (!d) return -1;
      memset(d + s->len, 0, pad);
      s->data = d;
      s->len += pad;
    }
    total += s->len;
  }
  L->video_kbps_real[layer] = (double)total * 8.0 * 30.0 / VIDEO_FRAMES / 1000.0;
  return 0;
}

/* With --simulcast, as a browser sends a camera: a quarter and a half of
 * the size at about an eighth and a third of the bitrate, then the whole. */
static int make_media(load *L) {
  const options *o = &L->o;
  L->n_layers = o->simulcast ? MAX_LAYERS : 1;
  for (int l = 0; l < L->n_layers; l++) {
    int div = 1 << (L->n_layers - 1 - l); /* 4, 2, 1 */
    int kbps = l == L->n_layers - 1 ? o->video_kbps : o->video_kbps / (l == 0 ? 8 : 3);
    if (make_video(L, l, o->width / div & ~1, o->height / div & ~1, kbps < 30 ? 30 : kbps) != 0) return -1;
  }

  sc_opus_enc *aenc = sc_opus_enc_new(2, o->audio_bps);
  sc_tone tone;
  if (!aenc || sc_tone_init(&tone, 440, 48000, 2, 0.3) != 0) {
    sc_opus_enc_free(aenc);
    return -1;
  }
  for (int i = 0; i < AUDIO_FRAMES; i++) {
    int16_t pcm[SC_OPUS_FRAME * 2];
    uint8_t pkt[SC_OPUS_MAX_PACKET];
    sc_tone_fill(&tone, pcm, SC_OPUS_FRAME);
    int n = sc_opus_enc_encode(aenc, pcm, pkt, sizeof pkt);
    if (n <= 0) {
      sc_opus_enc_free(aenc);
      return -1;
    }
    stored_frame *s = &L->audio[i];
    s->len = (size_t)n + TS_BYTES;
    s->data = calloc(1, s->len);
    if (!s->data) {
      sc_opus_enc_free(aenc);
      return -1;
    }
    memcpy(s->data, pkt, (size_t)n);
  }
  sc_opus_enc_free(aenc);
  return 0;
}

/* What a publisher's video sends, all encodings together. */
static double video_kbps_total(const load *L) {
  double t = 0;
  for (int l = 0; l < L->n_layers; l++) t += L->video_kbps_real[l];
  return t;
}

static void free_media(load *L) {
  for (int l = 0; l < MAX_LAYERS; l++) free_video(L->video[l]);
  for (int i = 0; i < AUDIO_FRAMES; i++) free(L->audio[i].data);
}

/* ---- sending ------------------------------------------------------------------- */

static void send_stored(load *L, participant *p, sc_media_kind kind, int layer, stored_frame *f) {
  uint64_t t = now_us(), stamp = wall_us();
  uint8_t *ts = f->data + f->len - TS_BYTES;
  for (int i = 7; i >= 0; i--) ts[7 - i] = (uint8_t)(stamp >> (i * 8));
  if (L->be->send_frame(p->conn, kind, layer, f->data, f->len, f->key, t) == 0)
    L->frames_sent[kind]++;
  else
    L->send_errors++;
}

/* The send schedule. Publisher number ord of all sends its frames at
 * start + k * period + ord * period / all: evenly spread, whenever each
 * joined (spread from each one's join time instead, the phases were as
 * random as the joins, and two publishers whose frames met met on every
 * frame). The first slot at or after now. */
static uint64_t next_slot(const load *L, uint64_t now, uint64_t period, int ord) {
  uint64_t all = (uint64_t)(L->o.rooms_n * L->o.pubs);
  uint64_t t = L->start_us + (uint64_t)ord * period / (all ? all : 1);
  if (now > t) t += (now - t + period - 1) / period * period;
  return t;
}

/* How late a video frame leaves its slot: uniform in [0, --frame-jitter),
 * as a camera's capture and an encoder's time vary from frame to frame. */
static uint64_t frame_jitter(const load *L) {
  return L->o.frame_jitter_us ? (uint64_t)rand() % L->o.frame_jitter_us : 0;
}

/* Fell behind: *next moves to the first slot at or after now, and the
 * frames of the slots passed (frames_per_slot each) count as skipped. */
static void skip_to_now(load *L, const participant *p, sc_media_kind kind, uint64_t *next, uint64_t period,
                        uint64_t frames_per_slot, uint64_t now) {
  uint64_t slot = next_slot(L, now, period, p->pub_ord);
  if (slot > *next) L->frames_skipped[kind] += (slot - *next) / period * frames_per_slot;
  *next = slot;
}

static void on_pace(uv_timer_t *t) {
  load *L = t->data;
  uint64_t now = now_us();
  for (int i = 0; i < L->n_parts; i++) {
    participant *p = &L->parts[i];
    if (p->free_me) {
      L->be->free(p->conn);
      p->conn = NULL;
      p->free_me = false;
      if (p->rejoin && L->phase != PH_ENDING) {
        p->rejoin = false;
        p->state = P_QUEUED;
        if (L->q_tail - L->q_head < L->q_cap) L->queue[L->q_tail++ % L->q_cap] = i;
      }
      continue;
    }
    if (!p->publishing || p->state != P_JOINED || L->phase == PH_ENDING) continue;
    /* Fell behind (our loop was held up): frames whose slot passed more than
     * a frame ago are skipped, not sent in a burst no camera makes. */
    if (now > p->next_video_us + p->video_jitter_us + VIDEO_PERIOD_US)
      skip_to_now(L, p, SC_MEDIA_VIDEO, &p->next_video_us, VIDEO_PERIOD_US, (uint64_t)L->n_layers, now);
    while (now >= p->next_video_us + p->video_jitter_us) {
      for (int l = 0; l < L->n_layers; l++) {
        if (p->want_key[l]) {
          p->want_key[l] = false;
          p->vframe[l] = 0;
        }
        send_stored(L, p, SC_MEDIA_VIDEO, l, &L->video[l][p->vframe[l]]);
        p->vframe[l] = p->vframe[l] + 1 < VIDEO_FRAMES ? p->vframe[l] + 1 : 1;
      }
      p->next_video_us += VIDEO_PERIOD_US;
      p->video_jitter_us = frame_jitter(L);
    }
    if (now > p->next_audio_us + AUDIO_PERIOD_US) skip_to_now(L, p, SC_MEDIA_AUDIO, &p->next_audio_us, AUDIO_PERIOD_US, 1, now);
    while (now >= p->next_audio_us) {
      send_stored(L, p, SC_MEDIA_AUDIO, 0, &L->audio[p->aframe]);
      p->aframe = (p->aframe + 1) % AUDIO_FRAMES;
      p->next_audio_us += AUDIO_PERIOD_US;
    }
  }
}

/* ---- participants ------------------------------------------------------------------ */

static void end_run(load *L);

static void p_on_joined(void *ctx, const char *id, bool e2ee) {
  participant *p = ctx;
  load *L = p->L;
  snprintf(p->id, sizeof p->id, "%s", id);
  p->state = P_JOINED;
  p->ever_joined = true;
  L->joins_ok++;
  if (e2ee && !L->e2ee_room) {
    /* The frames would be sent SFrame-encrypted (the server requires it),
     * so the send stamps in them could not be read: no delay figures. */
    fprintf(stderr, "load: room %s is an E2EE room: sealroom-load measures plain rooms only (--api-key makes them)\n",
            L->room_names[p->room]);
    L->e2ee_room = true;
    end_run(L);
    return;
  }
  if (p->publisher && L->be->publish(p->conn, true, true) != 0)
    fprintf(stderr, "load: %s could not publish\n", p->name);
}

static void p_on_publishing(void *ctx) {
  participant *p = ctx;
  /* Spread all publishers' frames evenly over the frame interval, as
   * independent senders would be: publishers start at parts[0], in order
   * over all rooms. (Spread by index in the room only, the same publisher
   * of every room sent at the same moment, a burst no real call makes.) */
  load *L = p->L;
  uint64_t now = now_us();
  p->pub_ord = (int)(p - L->parts);
  p->publishing = true;
  for (int l = 0; l < MAX_LAYERS; l++) p->want_key[l] = true;
  p->next_video_us = next_slot(L, now, VIDEO_PERIOD_US, p->pub_ord);
  p->next_audio_us = next_slot(L, now, AUDIO_PERIOD_US, p->pub_ord);
  p->video_jitter_us = frame_jitter(L);
}

static void p_on_keyframe_request(void *ctx) {
  participant *p = ctx;
  for (int l = 0; l < MAX_LAYERS; l++) p->want_key[l] = true;
}

static void p_on_layer_keyframe_request(void *ctx, int layer) {
  participant *p = ctx;
  if (layer >= 0 && layer < MAX_LAYERS) p->want_key[layer] = true;
}

/* --quality: what we ask of each camera that appears. "speaker": the
 * room's first publisher (as a speaker's tile) high, the others low. */
static void p_on_participant(void *ctx, const char *id, const char *name, bool joined) {
  participant *p = ctx;
  load *L = p->L;
  const char *q = L->o.quality;
  int room, index;
  char kind;
  /* Only publishers have cameras (our names say who is one). */
  if (!joined || !q || !L->be->set_quality || !name || sscanf(name, "load-r%d-%c%d", &room, &kind, &index) != 3 ||
      kind != 'p')
    return;
  if (strcmp(q, "speaker") == 0) q = index == 0 ? "high" : "low";
  if (L->be->set_quality(p->conn, id, q) != 0) L->send_errors++;
}

static void p_on_closed(void *ctx, bool error, const char *reason) {
  participant *p = ctx;
  load *L = p->L;
  if (!p->ever_joined || p->state == P_JOINING) {
    L->joins_failed++;
    if (!L->o.quiet) fprintf(stderr, "load: %s could not join: %s\n", p->name, reason);
  } else if (error && p->state != P_LEAVING) {
    L->closed_errors++;
    if (!L->o.quiet) fprintf(stderr, "load: %s lost: %s\n", p->name, reason);
  }
  for (int j = 0; j < MAX_STREAMS; j++)
    if (p->streams[j].used) stream_add(&L->retired[p->streams[j].kind], &p->streams[j]);
  memset(p->streams, 0, sizeof p->streams);
  p->n_streams = 0;
  p->state = P_CLOSED;
  p->publishing = false;
  p->free_me = true; /* freed from the pace timer, outside the client's callback */
}

static int start_join(load *L, participant *p) {
  static const sc_client_callbacks cb = {.on_joined = p_on_joined,
                                         .on_participant = p_on_participant,
                                         .on_publishing = p_on_publishing,
                                         .on_packet = on_packet,
                                         .on_keyframe_request = p_on_keyframe_request,
                                         .on_layer_keyframe_request = p_on_layer_keyframe_request,
                                         .on_closed = p_on_closed};
  snprintf(p->name, sizeof p->name, "load-r%d-%s%d", p->room, p->publisher ? "p" : "s", p->index);
  load_join j = {L->be == &sealroom_backend ? L->o.url : L->o.janus_url, L->room_names[p->room], p->name,
                 p->publisher, L->o.media_ip, L->udp_mux, L->n_layers > 1 ? L->n_layers : 0};
  memset(p->streams, 0, sizeof p->streams);
  p->n_streams = 0;
  p->id[0] = '\0';
  p->ever_joined = false;
  p->publishing = false;
  p->conn = L->be->create(L->loop, &j, &cb, p);
  if (!p->conn || L->be->connect(p->conn) != 0) {
    if (p->conn) L->be->free(p->conn);
    p->conn = NULL;
    p->state = P_IDLE;
    L->joins_failed++;
    return -1;
  }
  p->state = P_JOINING;
  return 0;
}

static void enqueue(load *L, int i) {
  if (L->q_tail - L->q_head >= L->q_cap) return;
  L->parts[i].state = P_QUEUED;
  L->queue[L->q_tail++ % L->q_cap] = i;
}

static void on_join_timer(uv_timer_t *t) {
  load *L = t->data;
  L->join_tokens += L->o.join_rate * 0.05;
  if (L->join_tokens > L->o.join_rate * 0.05 + 1) L->join_tokens = L->o.join_rate * 0.05 + 1;
  while (L->join_tokens >= 1 && L->q_head < L->q_tail && L->phase != PH_ENDING) {
    int i = L->queue[L->q_head++ % L->q_cap];
    L->join_tokens -= 1;
    start_join(L, &L->parts[i]);
  }
}

/* ---- phases ------------------------------------------------------------------------ */

static json_t *kind_json(load *L, int k, double secs) {
  const kind_totals *a = &L->win_start[k], *b = &L->win_end[k];
  uint64_t packets = b->packets - a->packets, expected = b->expected - a->expected;
  uint64_t unique = b->unique - a->unique;
  int64_t lost = (int64_t)expected - (int64_t)unique;
  const histogram *h = &L->delay[k];
  return json_pack(
      "{s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:f,s:f,s:f,s:{s:I,s:f,s:f,s:f,s:f,s:I}}", "packets", (json_int_t)packets,
      "bytes", (json_int_t)(b->bytes - a->bytes), "expected", (json_int_t)expected, "lost", (json_int_t)lost,
      "lost_pct", expected ? 100.0 * (double)lost / (double)expected : 0.0, "late", (json_int_t)(b->late - a->late),
      "duplicates", (json_int_t)(b->dups - a->dups), "pps", secs > 0 ? (double)packets / secs : 0.0,
      "jitter_ms_mean", L->jitter_n[k] ? L->jitter_ms_sum[k] / (double)L->jitter_n[k] : 0.0, "jitter_ms_max",
      L->jitter_ms_max[k], "delay_us", "n", (json_int_t)h->n, "mean", h->n ? (double)h->sum / (double)h->n : 0.0,
      "p50", hist_pct(h, 0.5), "p90", hist_pct(h, 0.9), "p99", hist_pct(h, 0.99), "max", (json_int_t)h->max);
}

static void make_summary(load *L) {
  double secs = (double)(L->window_end_us - L->window_start_us) / 1e6;
  scan_streams(L);
  json_t *v = kind_json(L, SC_MEDIA_VIDEO, secs), *a = kind_json(L, SC_MEDIA_AUDIO, secs);
  uint64_t packets = (uint64_t)(json_integer_value(json_object_get(v, "packets")) +
                                json_integer_value(json_object_get(a, "packets")));
  int64_t expected = json_integer_value(json_object_get(v, "expected")) +
                     json_integer_value(json_object_get(a, "expected"));
  int64_t lost = json_integer_value(json_object_get(v, "lost")) + json_integer_value(json_object_get(a, "lost"));
  double load_us = ru_us(&L->ru_end) - ru_us(&L->ru_start);
  double tck = (double)sysconf(_SC_CLK_TCK);
  double server_us = L->server_ok ? (double)(L->server_ticks_end - L->server_ticks_start) * 1e6 / tck : 0;
  double lpp = packets ? load_us / (double)packets : 0, spp = packets && L->server_ok ? server_us / (double)packets : 0;
  json_t *cpu = json_pack("{s:f,s:f,s:f}", "load_us", load_us, "load_us_per_packet", lpp, "load_cores",
                          secs > 0 ? load_us / secs / 1e6 : 0.0);
  if (L->server_ok) {
    json_object_set_new(cpu, "server_us", json_real(server_us));
    json_object_set_new(cpu, "server_us_per_packet", json_real(spp));
    json_object_set_new(cpu, "server_cores", json_real(secs > 0 ? server_us / secs / 1e6 : 0.0));
    json_object_set_new(cpu, "load_to_server", json_real(spp > 0 ? lpp / spp : 0.0));
  }
  /* Each media worker: its thread's CPU and the packets it sent. */
  const fwd_hist *m0 = &L->fwd_start, *m1 = &L->fwd_end;
  if (L->n_worker_ticks > 0 && secs > 0) {
    json_t *ws = json_array();
    for (int i = 0; i < L->n_worker_ticks; i++) {
      double us = (double)(L->worker_ticks_end[i] - L->worker_ticks_start[i]) * 1e6 / tck;
      json_t *one = json_pack("{s:i,s:f}", "worker", i, "cores", us / secs / 1e6);
      if (m0->n_workers == m1->n_workers && i < m1->n_workers && m1->worker_out[i] >= m0->worker_out[i]) {
        uint64_t out = m1->worker_out[i] - m0->worker_out[i];
        json_object_set_new(one, "packets_out_per_s", json_real((double)out / secs));
        if (out) json_object_set_new(one, "us_per_packet_out", json_real(us / (double)out));
      }
      json_array_append_new(ws, one);
    }
    json_object_set_new(cpu, "workers", ws);
  }
  if (L->machine_ok && secs > 0) /* every CPU's busy time over the window, in cores */
    json_object_set_new(cpu, "machine_cores",
                        json_real((double)(L->machine_busy_end - L->machine_busy_start) / tck / secs));
  int n_subs = L->o.rooms_n * L->o.subs, n_pubs = L->o.rooms_n * L->o.pubs;
  L->summary = json_pack(
      "{s:s,s:s,s:i,s:i,s:i,s:b,s:f,s:{s:I,s:I,s:I,s:I},s:i,s:i,s:i,s:i,s:{s:I,s:I,s:I,s:f},"
      "s:o,s:o,s:{s:I,s:I,s:f,s:f,s:I,s:I},s:o}",
      "event", "summary", "server", L->be->name, "rooms", L->o.rooms_n, "publishers_per_room", L->o.pubs,
      "subscribers_per_room", L->o.subs, "ready", L->ready, "window_s", secs, "joins", "ok",
      (json_int_t)L->joins_ok, "failed", (json_int_t)L->joins_failed, "left", (json_int_t)L->leaves, "lost",
      (json_int_t)L->closed_errors, "subscribers", n_subs, "publishers", n_pubs, "subscribers_complete",
      L->subs_complete, "publishers_complete", L->pubs_complete, "sent", "video_frames",
      (json_int_t)L->frames_sent[1], "audio_frames", (json_int_t)L->frames_sent[0], "errors",
      (json_int_t)L->send_errors, "video_kbps_per_publisher", video_kbps_total(L), "video", v, "audio", a,
      "all", "packets", (json_int_t)packets, "expected", (json_int_t)expected, "pps",
      secs > 0 ? (double)packets / secs : 0.0, "lost_pct", expected ? 100.0 * (double)lost / (double)expected : 0.0,
      "subscriber_packets", (json_int_t)(L->sub_packets_end - L->sub_packets_start), "publisher_packets",
      (json_int_t)(L->pub_packets_end - L->pub_packets_start), "cpu", cpu);
  double f50 = fwd_quantile(&L->fwd_start, &L->fwd_end, 0.5), f99 = fwd_quantile(&L->fwd_start, &L->fwd_end, 0.99);
  json_object_set_new(L->summary, "simulcast", json_boolean(L->n_layers > 1));
  json_t *per = json_array();
  for (int l = 0; l < L->n_layers; l++) json_array_append_new(per, json_real(L->video_kbps_real[l]));
  json_t *sent = json_object_get(L->summary, "sent");
  json_object_set_new(sent, "video_kbps_per_encoding", per);
  /* What the window sent and what it skipped because our loop fell behind. */
  uint64_t win_sent[2], win_skipped[2];
  for (int k = 0; k < 2; k++) {
    win_sent[k] = L->sent_end[k] - L->sent_start[k];
    win_skipped[k] = L->skipped_end[k] - L->skipped_start[k];
  }
  json_object_set_new(sent, "window", json_pack("{s:I,s:I,s:I,s:I}", "video_frames", (json_int_t)win_sent[1],
                                                "audio_frames", (json_int_t)win_sent[0], "video_skipped",
                                                (json_int_t)win_skipped[1], "audio_skipped", (json_int_t)win_skipped[0]));
  json_object_set_new(L->summary, "quality", json_string(L->o.quality ? L->o.quality : "high"));
  json_object_set_new(L->summary, "socket_drops", json_integer((json_int_t)sc_udp_mux_drops(L->udp_mux)));
  if (f50 >= 0) { /* the server's own share of the delay, as it measured it */
    const fwd_hist *h0 = &L->fwd_start, *h1 = &L->fwd_end;
    uint64_t n = h1->cum[h1->n - 1] - h0->cum[h0->n - 1];
    json_object_set_new(L->summary, "server_forward_delay_us",
                        json_pack("{s:I,s:f,s:f,s:f,s:f}", "n", (json_int_t)n, "mean", (h1->sum - h0->sum) * 1e6 / (double)n,
                                  "p50", f50, "p99", f99, "last_bucket", fwd_top_us(h1)));
  }
  fprintf(stderr,
          "load: %s, %d rooms x (%d pub + %d sub), window %.1f s%s\n"
          "load: received %llu packets (%.0f/s), lost %.3f%%; video %.0f pps, delay p50 %.0f us p99 %.0f us;"
          " audio %.0f pps, delay p50 %.0f us p99 %.0f us\n"
          "load: joins %llu ok, %llu failed; %d/%d subscribers and %d/%d publishers get every track\n"
          "load: own CPU %.2f us/packet (%.2f cores)",
          L->be->name, L->o.rooms_n, L->o.pubs, L->o.subs, secs, L->ready ? "" : " (NOT everyone received)",
          (unsigned long long)packets, secs > 0 ? (double)packets / secs : 0.0,
          expected ? 100.0 * (double)lost / (double)expected : 0.0,
          json_real_value(json_object_get(v, "pps")), hist_pct(&L->delay[1], 0.5), hist_pct(&L->delay[1], 0.99),
          json_real_value(json_object_get(a, "pps")), hist_pct(&L->delay[0], 0.5), hist_pct(&L->delay[0], 0.99),
          (unsigned long long)L->joins_ok, (unsigned long long)L->joins_failed, L->subs_complete, n_subs,
          L->pubs_complete, n_pubs, lpp, secs > 0 ? load_us / secs / 1e6 : 0.0);
  if (L->server_ok)
    fprintf(stderr, "; server %.2f us/packet (%.2f cores); ratio load/server %.2f\n", spp,
            secs > 0 ? server_us / secs / 1e6 : 0.0, spp > 0 ? lpp / spp : 0.0);
  else
    fprintf(stderr, "\n");
  if (f50 >= 0) {
    /* Past the histogram's last finite bucket a quantile is only a floor. */
    double top = fwd_top_us(&L->fwd_end);
    fprintf(stderr, "load: in the server (its /metrics): delay p50 %s%.0f us p99 %s%.0f us\n", f50 >= top ? ">" : "",
            f50, f99 >= top ? ">" : "", f99);
  }
  for (int k = 1; k >= 0; k--) {
    uint64_t due = win_sent[k] + win_skipped[k];
    if (win_skipped[k])
      fprintf(stderr,
              "load: this machine fell behind the send schedule: %s %llu of %llu frames skipped (%.1f%%);"
              " the load was lighter than asked\n",
              k ? "video" : "audio", (unsigned long long)win_skipped[k], (unsigned long long)due,
              100.0 * (double)win_skipped[k] / (double)due);
  }
  if (L->udp_mux && sc_udp_mux_drops(L->udp_mux))
    fprintf(stderr, "load: our socket dropped %llu datagrams (a full buffer): losses of ours, not the server's\n",
            (unsigned long long)sc_udp_mux_drops(L->udp_mux));
}

static void emit(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
  if (s) {
    printf("%s\n", s);
    fflush(stdout);
    free(s);
  }
}

static void close_all_handles(load *L) {
  uv_handle_t *hs[] = {(uv_handle_t *)&L->pace,          (uv_handle_t *)&L->join_timer,
                       (uv_handle_t *)&L->phase_timer,   (uv_handle_t *)&L->churn_timer,
                       (uv_handle_t *)&L->interval_timer, (uv_handle_t *)&L->close_timer,
                       (uv_handle_t *)&L->sigint,        (uv_handle_t *)&L->sigterm};
  for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
    if (!uv_is_closing(hs[i])) uv_close(hs[i], NULL);
  sc_udp_mux_close(L->udp_mux); /* closes once the last connection let go of it */
  L->udp_mux = NULL;
}

static int live_conns(load *L) {
  int n = 0;
  for (int i = 0; i < L->n_parts; i++)
    if (L->parts[i].conn) n++;
  return n;
}

/* Ending: wait until every client closed (or 5 s), then stop the loop. */
static void on_close_timer(uv_timer_t *t) {
  load *L = t->data;
  on_pace(&L->pace); /* frees the closed ones */
  if (live_conns(L) == 0) {
    close_all_handles(L);
  } else if (now_us() - L->window_end_us > 5000000u) {
    fprintf(stderr, "load: %d clients did not close within 5 s\n", live_conns(L));
    L->stuck = true;
    close_all_handles(L);
    uv_stop(L->loop);
  }
}

static void end_run(load *L) {
  if (L->phase == PH_ENDING) return;
  bool measured = L->phase == PH_WINDOW;
  if (measured) {
    L->window_end_us = now_us();
    getrusage(RUSAGE_SELF, &L->ru_end);
    bool ok;
    L->server_ticks_end = server_ticks(L, &ok);
    L->server_ok = L->server_ok && ok;
    if (worker_ticks(L->o.server_pid, L->worker_ticks_end) != L->n_worker_ticks) L->n_worker_ticks = 0;
    L->machine_busy_end = machine_busy(&ok);
    L->machine_ok = L->machine_ok && ok;
    totals(L, L->win_end);
    L->sub_packets_end = L->sub_packets;
    L->pub_packets_end = L->pub_packets;
    memcpy(L->sent_end, L->frames_sent, sizeof L->sent_end);
    memcpy(L->skipped_end, L->frames_skipped, sizeof L->skipped_end);
    if (L->be == &sealroom_backend) scrape_forward_delay(&L->o, &L->fwd_end); /* after the window's figures */
    make_summary(L);
  } else {
    L->window_end_us = now_us();
  }
  L->phase = PH_ENDING;
  uv_timer_stop(&L->churn_timer);
  uv_timer_stop(&L->interval_timer);
  uv_timer_stop(&L->phase_timer);
  for (int i = 0; i < L->n_parts; i++) {
    participant *p = &L->parts[i];
    p->rejoin = false;
    if (p->conn && (p->state == P_JOINING || p->state == P_JOINED)) {
      p->state = P_LEAVING;
      L->be->leave(p->conn);
    }
  }
  uv_timer_start(&L->close_timer, on_close_timer, 50, 50);
}

static void on_interval(uv_timer_t *t);

static void start_window(load *L) {
  /* First, so that the request's few milliseconds are not in the window. */
  if (L->be == &sealroom_backend) scrape_forward_delay(&L->o, &L->fwd_start);
  L->phase = PH_WINDOW;
  L->window_start_us = now_us();
  getrusage(RUSAGE_SELF, &L->ru_start);
  L->server_ticks_start = server_ticks(L, &L->server_ok);
  L->n_worker_ticks = worker_ticks(L->o.server_pid, L->worker_ticks_start);
  L->machine_busy_start = machine_busy(&L->machine_ok);
  totals(L, L->win_start);
  memcpy(L->iv_last, L->win_start, sizeof L->iv_last);
  L->iv_last_us = L->window_start_us;
  L->sub_packets_start = L->sub_packets;
  memcpy(L->sent_start, L->frames_sent, sizeof L->sent_start);
  memcpy(L->skipped_start, L->frames_skipped, sizeof L->skipped_start);
  L->pub_packets_start = L->pub_packets;
  memset(L->delay, 0, sizeof L->delay);
  if (L->o.interval_s > 0) { /* interval lines from the window's start */
    uint64_t ms = (uint64_t)(L->o.interval_s * 1000);
    uv_timer_start(&L->interval_timer, on_interval, ms, ms);
  }
  if (!L->o.quiet) fprintf(stderr, "load: measuring for %.1f s\n", L->o.duration_s);
}

static bool all_complete(load *L) {
  scan_streams(L);
  return L->subs_complete == L->o.rooms_n * L->o.subs && L->pubs_complete == L->o.rooms_n * L->o.pubs;
}

static void on_churn(uv_timer_t *t) {
  load *L = t->data;
  int n_subs = L->o.rooms_n * L->o.subs;
  if (n_subs == 0) return;
  for (int k = 0, tries = 0; k < L->o.churn && tries < n_subs * 4; tries++) {
    int i = L->o.rooms_n * L->o.pubs + rand() % n_subs;
    participant *p = &L->parts[i];
    if (p->state != P_JOINED || !p->conn) continue;
    p->state = P_LEAVING;
    p->rejoin = true;
    L->leaves++;
    L->be->leave(p->conn);
    k++;
  }
}

/* While joining: every join so far failed and nobody is joining or queued
 * (no server, a wrong room, a full room...): waiting for the ready timeout
 * would tell nothing more. */
static bool nobody_left(load *L) {
  if (L->joins_failed == 0 || L->joins_ok > 0) return false;
  for (int i = 0; i < L->n_parts; i++) {
    pstate st = L->parts[i].state;
    if (st == P_QUEUED || st == P_JOINING || st == P_JOINED) return false;
    if (st == P_IDLE && (L->parts[i].publisher || L->subs_queued)) return false; /* not queued yet */
  }
  return !(L->q_head < L->q_tail);
}

/* Every 100 ms until the window starts; ends the window. */
static void on_phase(uv_timer_t *t) {
  load *L = t->data;
  uint64_t now = now_us();
  double since = (double)(now - L->start_us) / 1e6;
  if (L->phase == PH_JOINING) {
    if (nobody_left(L)) {
      fprintf(stderr, "load: nobody could join (%llu failed; the reasons are above)\n",
              (unsigned long long)L->joins_failed);
      end_run(L);
      return;
    }
    if (!L->subs_queued) {
      int pubs_up = 0, pubs_done = 0;
      for (int i = 0; i < L->n_parts; i++) {
        participant *p = &L->parts[i];
        if (!p->publisher) continue;
        if (p->publishing) pubs_up++;
        if (p->publishing || p->state == P_CLOSED || p->state == P_IDLE) pubs_done++;
      }
      if (pubs_done == L->o.rooms_n * L->o.pubs || since > L->o.ready_timeout_s) {
        if (!L->o.quiet) fprintf(stderr, "load: %d publishers publishing after %.1f s\n", pubs_up, since);
        for (int i = 0; i < L->n_parts; i++)
          if (!L->parts[i].publisher) enqueue(L, i);
        L->subs_queued = true;
      }
      return;
    }
    bool done = all_complete(L);
    if (done || since > L->o.ready_timeout_s) {
      L->ready = done;
      L->ready_us = now;
      if (!L->o.quiet)
        fprintf(stderr, "load: %s after %.1f s (%llu joins, %llu failed); warming up %.1f s\n",
                done ? "everyone receives every track" : "ready timeout", since,
                (unsigned long long)L->joins_ok, (unsigned long long)L->joins_failed, L->o.warmup_s);
      L->phase = PH_WARMUP;
    }
    return;
  }
  if (L->phase == PH_WARMUP && (double)(now - L->ready_us) / 1e6 >= L->o.warmup_s) {
    start_window(L);
    if (L->o.churn > 0) uv_timer_start(&L->churn_timer, on_churn, 1000, 1000);
    return;
  }
  if (L->phase == PH_WINDOW && (double)(now - L->window_start_us) / 1e6 >= L->o.duration_s) end_run(L);
}

static void on_interval(uv_timer_t *t) {
  load *L = t->data;
  if (L->phase != PH_WINDOW) return;
  uint64_t now = now_us();
  kind_totals cur[2];
  totals(L, cur);
  double secs = (double)(now - L->iv_last_us) / 1e6;
  uint64_t pk = 0, ex = 0, un = 0;
  for (int k = 0; k < 2; k++) {
    pk += cur[k].packets - L->iv_last[k].packets;
    ex += cur[k].expected - L->iv_last[k].expected;
    un += cur[k].unique - L->iv_last[k].unique;
  }
  int live = 0;
  for (int i = 0; i < L->n_parts; i++)
    if (L->parts[i].state == P_JOINED) live++;
  json_t *o = json_pack("{s:s,s:f,s:f,s:f,s:i,s:I,s:I,s:f,s:f}", "event", "interval", "t",
                        (double)(now - L->window_start_us) / 1e6, "pps", secs > 0 ? (double)pk / secs : 0.0,
                        "lost_pct", ex ? 100.0 * ((double)ex - (double)un) / (double)ex : 0.0, "joined", live,
                        "joins_ok", (json_int_t)L->joins_ok, "joins_failed", (json_int_t)L->joins_failed,
                        "video_delay_p99_us", hist_pct(&L->delay[1], 0.99), "audio_delay_p99_us",
                        hist_pct(&L->delay[0], 0.99));
  emit(o);
  json_decref(o);
  memcpy(L->iv_last, cur, sizeof cur);
  L->iv_last_us = now;
}

static void on_signal(uv_signal_t *s, int signum) {
  load *L = s->data;
  if (!L->o.quiet) fprintf(stderr, "load: signal %d, ending\n", signum);
  end_run(L);
}

/* ---- set-up ---------------------------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
          "usage: sealroom-load --url ws://HOST:PORT/ws (--api-key KEY | --room NAME...) [options]\n"
          "  --api-key KEY         developer key (or TEAM:KEY): make the rooms over the REST API\n"
          "  --room NAME           join this existing room (repeat; rooms are used in turn)\n"
          "  --rooms M             rooms (default 1)\n"
          "  --publishers P        publishers per room (default 2)\n"
          "  --subscribers S       subscribers per room (default 3)\n"
          "  --video-kbps N        video bitrate per publisher, frames padded up to it (default 1000)\n"
          "  --audio-kbps N        Opus bitrate (default 48)\n"
          "  --size WxH            video size (default 640x360)\n"
          "  --simulcast           publishers send three encodings (1/4 size at 1/8 of --video-kbps,\n"
          "                        1/2 size at 1/3, the whole at --video-kbps), as a browser does\n"
          "  --quality Q           each participant asks for at most this encoding of every camera:\n"
          "                        high (default), medium, low, or speaker (the room's first\n"
          "                        publisher high, the others low: a gallery with a speaker)\n"
          "  --join-rate N         joins per second (default 20)\n"
          "  --warmup S            seconds between everyone receiving and the window (default 2)\n"
          "  --duration S          the measurement window in seconds (default 10)\n"
          "  --ready-timeout S     start the window anyway after this long (default 60)\n"
          "  --interval S          a JSON line every S seconds of the window\n"
          "  --churn N             every second of the window N subscribers leave and N join\n"
          "  --server-pid PID      the server's CPU over the window (from /proc/PID/stat)\n"
          "  --server sealroom|janus   the SFU (default sealroom)\n"
          "  --janus-url URL       Janus's HTTP API, e.g. http://127.0.0.1:8088/janus\n"
          "  --janus-room-base N   Janus room numbers N, N+1, ... (default: from our pid)\n"
          "  --media-ip A.B.C.D    janus: local IPv4 address for media (default: Janus's, from /info)\n"
          "  --sockets shared|own  media UDP: one socket for all, each connection on its own\n"
          "                        127.1.x.y address (default for a sealroomd on loopback),\n"
          "                        or a socket per connection (default otherwise, and Janus)\n"
          "  --read-every MS       the shared socket: read it every MS ms (default 1), 0: when\n"
          "                        readable (a wake-up per burst, which the server pays too)\n"
          "  --frame-jitter MS     each video frame leaves up to MS ms after its slot (default 0:\n"
          "                        publishers' frames evenly spread over the frame interval)\n"
          "  --quiet               only the summary on stderr\n"
          "  --list-backends       print the servers this build can load, one a line\n");
}

static bool num(const char *name, const char *v, double lo, double hi, double *out) {
  return tool_number("load", name, v, lo, hi, out);
}
static bool num_int(const char *name, const char *v, int lo, int hi, int *out) {
  return tool_int("load", name, v, lo, hi, out);
}

/* "WxH": digits only, each even and from 64 to 4096. */
static bool parse_size(const char *v, int *w, int *h) {
  int n[2] = {0, 0}, i = 0;
  for (const char *p = v;; p++) {
    if (*p >= '0' && *p <= '9') {
      if (n[i] > 4096) return false; /* stops before it could overflow */
      n[i] = n[i] * 10 + (*p - '0');
    } else if (*p == 'x' && i == 0 && p > v && p[1]) {
      i = 1;
    } else if (*p == '\0' && i == 1 && p[-1] != 'x') {
      break;
    } else {
      return false;
    }
  }
  for (int k = 0; k < 2; k++)
    if (n[k] < 64 || n[k] > 4096 || (n[k] & 1)) return false;
  *w = n[0];
  *h = n[1];
  return true;
}

/* Says what is wrong with the arguments; -1 for parse_args to return. */
static int bad_args(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_args(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("load: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return -1;
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){.rooms_n = 1, .pubs = 2, .subs = 3, .video_kbps = 1000, .audio_bps = 48000, .width = 640,
                 .height = 360, .join_rate = 20, .warmup_s = 2, .duration_s = 10, .ready_timeout_s = 60,
                 .server = "sealroom", .read_every_ms = 1};
  static const struct option opts[] = {
      {"url", 1, 0, 'u'},         {"api-key", 1, 0, 'k'},    {"room", 1, 0, 'r'},
      {"rooms", 1, 0, 'M'},       {"publishers", 1, 0, 'P'}, {"subscribers", 1, 0, 'S'},
      {"video-kbps", 1, 0, 'v'},  {"audio-kbps", 1, 0, 'a'}, {"size", 1, 0, 'z'},
      {"join-rate", 1, 0, 'j'},   {"warmup", 1, 0, 'w'},     {"duration", 1, 0, 'd'},
      {"ready-timeout", 1, 0, 'T'}, {"interval", 1, 0, 'i'}, {"churn", 1, 0, 'c'},
      {"server-pid", 1, 0, 'p'},  {"server", 1, 0, 's'},     {"janus-url", 1, 0, 'J'},
      {"quiet", 0, 0, 'q'},       {"help", 0, 0, 'h'},       {"list-backends", 0, 0, 'L'},
      {"janus-room-base", 1, 0, 'B'}, {"media-ip", 1, 0, 'I'},   {"sockets", 1, 0, 'o'},
      {"frame-jitter", 1, 0, 'F'},  {"read-every", 1, 0, 'E'},  {"simulcast", 0, 0, 'm'},
      {"quality", 1, 0, 'Q'},
      {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
      case 'u': o->url = optarg; break;
      case 'k': o->api_key = optarg; break;
      case 'r':
        if (o->n_rooms_given >= MAX_ROOMS) return bad_args("at most %d --room", MAX_ROOMS);
        o->rooms[o->n_rooms_given++] = optarg;
        break;
      case 'M': if (!num_int("rooms", optarg, 1, MAX_ROOMS, &o->rooms_n)) return -1; break;
      case 'P': if (!num_int("publishers", optarg, 0, MAX_STREAMS / 2, &o->pubs)) return -1; break;
      case 'S': if (!num_int("subscribers", optarg, 0, 100000, &o->subs)) return -1; break;
      case 'v': if (!num_int("video-kbps", optarg, 30, 20000, &o->video_kbps)) return -1; break;
      case 'a':
        if (!num_int("audio-kbps", optarg, 6, 510, &o->audio_bps)) return -1;
        o->audio_bps *= 1000;
        break;
      case 'z':
        if (!parse_size(optarg, &o->width, &o->height))
          return bad_args("--size wants WxH, even numbers from 64 to 4096 (not \"%s\")", optarg);
        break;
      case 'j': if (!num("join-rate", optarg, 0.01, 100000, &o->join_rate)) return -1; break;
      case 'w': if (!num("warmup", optarg, 0, 86400, &o->warmup_s)) return -1; break;
      case 'd': if (!num("duration", optarg, 0.1, 864000, &o->duration_s)) return -1; break;
      case 'T': if (!num("ready-timeout", optarg, 1, 86400, &o->ready_timeout_s)) return -1; break;
      case 'i': if (!num("interval", optarg, 0, 86400, &o->interval_s)) return -1; break;
      case 'c': if (!num_int("churn", optarg, 0, 100000, &o->churn)) return -1; break;
      case 'p':
        if (!num_int("server-pid", optarg, 1, INT_MAX, &o->server_pid)) return -1;
        if (kill(o->server_pid, 0) != 0 && errno == ESRCH)
          return bad_args("--server-pid %d: no such process", o->server_pid);
        break;
      case 's': o->server = optarg; break;
      case 'J': o->janus_url = optarg; break;
      case 'B': {
        char *end;
        errno = 0;
        o->janus_room_base = strtoull(optarg, &end, 10);
        if (errno || !isdigit((unsigned char)optarg[0]) || *end || !o->janus_room_base)
          return bad_args("--janus-room-base wants a room number from 1 (not \"%s\")", optarg);
        break;
      }
      case 'I': o->media_ip = optarg; break;
      case 'E': if (!num_int("read-every", optarg, 0, 20, &o->read_every_ms)) return -1; break;
      case 'F': {
        double ms;
        if (!num("frame-jitter", optarg, 0, 33, &ms)) return -1;
        o->frame_jitter_us = (unsigned)(ms * 1000);
        break;
      }
      case 'o':
        if (strcmp(optarg, "shared") != 0 && strcmp(optarg, "own") != 0)
          return bad_args("--sockets is shared or own (not \"%s\")", optarg);
        o->sockets = optarg;
        break;
      case 'q': o->quiet = true; break;
      case 'm': o->simulcast = true; break;
      case 'Q':
        if (strcmp(optarg, "high") != 0 && strcmp(optarg, "medium") != 0 && strcmp(optarg, "low") != 0 &&
            strcmp(optarg, "speaker") != 0)
          return bad_args("--quality is high, medium, low or speaker (not \"%s\")", optarg);
        o->quality = optarg;
        break;
      case 'h': usage(stdout); exit(0);
      case 'L':
        for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) printf("%s\n", backends[i]->name);
        exit(0);
      default: return -1; /* getopt named it */
    }
  }
  if (optind != argc) return bad_args("unexpected argument \"%s\"", argv[optind]);
  bool janus = strcmp(o->server, "janus") == 0;
  if (!backend_named(o->server))
    return bad_args("no backend \"%s\" in this build (--list-backends)", o->server);
  if (janus && o->sockets && strcmp(o->sockets, "shared") == 0)
    return bad_args("--sockets shared is for sealroomd only (Janus does not answer its addresses)");
  if (janus && (o->simulcast || o->quality))
    return bad_args("--simulcast and --quality are for sealroomd only");
  if (o->quality && !o->simulcast)
    return bad_args("--quality chooses among simulcast encodings: it needs --simulcast");
  if (janus && !o->janus_url)
    return bad_args("--server janus needs --janus-url");
  if (!janus && (!o->url || (!o->api_key && o->n_rooms_given == 0)))
    return bad_args("needs --url, and --api-key (to make the rooms) or --room");
  if (!janus && strncmp(o->url, "ws://", 5) != 0)
    return bad_args("--url is the signalling WebSocket, ws://HOST:PORT/ws (not \"%s\")", o->url);
  if (o->pubs + o->subs < 1) return bad_args("--publishers and --subscribers are both 0: nobody would join");
  return 0;
}

/* The shared socket's block of loopback addresses: connections take them in
 * turn, so one is used again only after 60,000 connections (a participant
 * has two: publish and subscribe). */
#define MUX_FIRST_IP "127.1.0.1"
#define MUX_ADDRESSES 60000

/* --sockets: shared by default for sealroomd on this machine's loopback
 * (the only place our 127.x.y.z addresses reach). Not for Janus: it listens
 * on the machine's own address, not 127.0.0.1, and in a test its ICE never
 * answered checks sent from 127.1.x.y (ice-timeout). */
static bool want_shared_socket(const options *o) {
  if (o->sockets) return strcmp(o->sockets, "shared") == 0;
  if (strcmp(o->server, "janus") == 0) return false;
  const char *url = o->url;
  const char *h = url ? strstr(url, "://") : NULL;
  if (!h) return false;
  h += 3;
  return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0;
}

static void raise_nofile(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int main(int argc, char **argv) {
  static load L;
  if (parse_args(argc, argv, &L.o) != 0) {
    usage(stderr);
    return 2;
  }
  L.be = backend_named(L.o.server);
  signal(SIGPIPE, SIG_IGN);
  raise_nofile();
  sr_srtp_global_init(); /* opens NSS for speed first: src/dtls/srtp.c */
  srand((unsigned)now_us());
  struct rlimit rl;
  int parts = L.o.rooms_n * (L.o.pubs + L.o.subs);
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      (rlim_t)parts * 3 + 64 > rl.rlim_cur)
    fprintf(stderr, "load: warning: %d participants need ~%d descriptors, the limit is %llu\n", parts,
            parts * 3 + 64, (unsigned long long)rl.rlim_cur);
  if (make_media(&L) != 0) {
    fprintf(stderr, "load: could not encode the media\n");
    return 1;
  }
  if (!L.o.quiet)
    fprintf(stderr, "load: %d VP8 frames (%.0f kbit/s with padding) in %d encoding(s), %d Opus packets\n",
            VIDEO_FRAMES, video_kbps_total(&L), L.n_layers, AUDIO_FRAMES);
  for (int i = 0; i < L.o.rooms_n; i++) {
    if (L.o.n_rooms_given) {
      snprintf(L.room_names[i], sizeof L.room_names[i], "%s", L.o.rooms[i % L.o.n_rooms_given]);
    } else if (L.be->setup_room(&L.o, i, L.room_names[i], sizeof L.room_names[i]) != 0) {
      free_media(&L);
      return 1;
    }
  }
  L.n_parts = parts;
  L.parts = calloc((size_t)parts, sizeof *L.parts);
  L.q_cap = parts * 2 + 16;
  L.queue = calloc((size_t)L.q_cap, sizeof *L.queue);
  if (!L.parts || !L.queue) return 1;
  /* Publishers first (all rooms), then subscribers. */
  int n = 0;
  for (int r = 0; r < L.o.rooms_n; r++)
    for (int i = 0; i < L.o.pubs; i++) L.parts[n++] = (participant){.L = &L, .room = r, .index = i, .publisher = true};
  for (int r = 0; r < L.o.rooms_n; r++)
    for (int i = 0; i < L.o.subs; i++) L.parts[n++] = (participant){.L = &L, .room = r, .index = i};
  for (int i = 0; i < n; i++)
    if (L.parts[i].publisher) enqueue(&L, i);
  if (L.o.pubs == 0) L.subs_queued = true;
  if (L.o.pubs == 0)
    for (int i = 0; i < n; i++) enqueue(&L, i);

  L.loop = uv_default_loop();
  L.start_us = now_us();
  if (want_shared_socket(&L.o)) {
    L.udp_mux = sc_udp_mux_new(L.loop, MUX_FIRST_IP, MUX_ADDRESSES);
    if (!L.udp_mux) {
      fprintf(stderr, "load: cannot open the shared media socket (--sockets own: a socket each)\n");
      return 1;
    }
    if (L.o.read_every_ms > 0 && sc_udp_mux_read_every(L.udp_mux, (unsigned)L.o.read_every_ms) != 0)
      fprintf(stderr, "load: the shared socket's receive buffer is too small to read it every %d ms"
                      " (not root? net.core.rmem_max): reading it when readable\n", L.o.read_every_ms);
  }
  uv_timer_t *timers[] = {&L.pace, &L.join_timer, &L.phase_timer, &L.churn_timer, &L.interval_timer,
                          &L.close_timer};
  for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
    uv_timer_init(L.loop, timers[i]);
    timers[i]->data = &L;
  }
  uv_signal_init(L.loop, &L.sigint);
  uv_signal_init(L.loop, &L.sigterm);
  L.sigint.data = L.sigterm.data = &L;
  uv_signal_start(&L.sigint, on_signal, SIGINT);
  uv_signal_start(&L.sigterm, on_signal, SIGTERM);
  uv_timer_start(&L.pace, on_pace, PACE_MS, PACE_MS);
  L.join_tokens = 1;
  uv_timer_start(&L.join_timer, on_join_timer, 0, 50);
  uv_timer_start(&L.phase_timer, on_phase, 100, 100);
  uv_run(L.loop, UV_RUN_DEFAULT);

  int rc = 0;
  if (L.summary) {
    emit(L.summary);
    json_decref(L.summary);
  } else {
    fprintf(stderr, "load: ended before the measurement window\n");
    rc = 1;
  }
  if (L.joins_ok == 0 || L.e2ee_room) rc = 1;
  else if (rc == 0 && (L.joins_failed > 0 || L.closed_errors > 0 || !L.ready)) rc = 3; /* measured, but not all of it */
  free_media(&L);
  if (L.stuck) return rc; /* clients still hold the loop: exit without freeing them */
  free(L.parts);
  free(L.queue);
  uv_loop_close(L.loop);
  return rc;
}
