/* Our own tracks into RTP on a publish peer connection (client/outbound.h). */
#include "client/outbound.h"

#include <string.h>

#include "client/random.h"

int sc_outbound_start(sc_outbound *o, sc_peer *pub, bool audio, bool video, size_t id_len,
                      sc_publish_params *p) {
  if (!o || !pub || !p || (!audio && !video) || id_len < 1 || id_len > SC_OUTBOUND_ID_MAX) return -1;
  memset(o, 0, sizeof *o);
  sc_random_token(o->stream_id, id_len + 1);
  sc_random_token(o->audio_track_id, id_len + 1);
  sc_random_token(o->video_track_id, id_len + 1);
  memset(p, 0, sizeof *p);
  p->local.ice_ufrag = sc_peer_ufrag(pub);
  p->local.ice_pwd = sc_peer_pwd(pub);
  p->local.fingerprint = sc_peer_fingerprint(pub);
  p->local.session_version = 1;
  p->stream_id = o->stream_id;
  p->audio = audio;
  p->audio_track_id = o->audio_track_id;
  p->video = video;
  p->video_track_id = o->video_track_id;
  if (audio) {
    p->audio_ssrc = sc_random_ssrc();
    if (sc_peer_add_send_ssrc(pub, p->audio_ssrc, false) != 0 ||
        sc_opus_packetizer_init(&o->opus, p->audio_ssrc, SC_PT_OPUS) != 0)
      return -1;
  }
  if (video) {
    do p->video_ssrc = sc_random_ssrc();
    while (p->video_ssrc == p->audio_ssrc);
    if (sc_peer_add_send_ssrc(pub, p->video_ssrc, true) != 0 ||
        sc_vp8_packetizer_init(&o->vp8[0], p->video_ssrc, SC_PT_VP8, 0) != 0)
      return -1;
    o->layer_ssrc[0] = p->video_ssrc;
    o->n_layers = 1;
  }
  o->audio = audio;
  o->video = video;
  o->audio_level = -1;
  return 0;
}

static const char *const LAYER_RIDS[SC_MAX_LAYERS] = {"l", "m", "h"};
#define SIMULCAST_MID_EXT 4
#define SIMULCAST_RID_EXT 5

int sc_outbound_simulcast(sc_outbound *o, sc_peer *pub, int n, sc_publish_params *p) {
  if (!o || !pub || !p || !o->video || o->n_layers != 1 || n < 2 || n > SC_MAX_LAYERS) return -1;
  const char *mid = p->audio ? "1" : "0"; /* the video line's (sc_sdp_build_publish_offer) */
  for (int l = 0; l < n; l++) {
    uint32_t ssrc = p->video_ssrc; /* the lowest keeps the one registered already */
    while (l > 0 && (ssrc == p->audio_ssrc || sc_outbound_layer_of(o, ssrc) >= 0)) ssrc = sc_random_ssrc();
    if ((l > 0 && sc_peer_add_send_ssrc(pub, ssrc, true) != 0) ||
        sc_vp8_packetizer_init(&o->vp8[l], ssrc, SC_PT_VP8, 0) != 0 ||
        sc_rtp_writer_set_rid(&o->vp8[l].rtp, SIMULCAST_MID_EXT, mid, SIMULCAST_RID_EXT, LAYER_RIDS[l]) != 0)
      return -1;
    o->layer_ssrc[l] = ssrc;
    o->n_layers = l + 1;
    p->rids[l] = LAYER_RIDS[l];
  }
  p->n_rids = n;
  p->mid_ext = SIMULCAST_MID_EXT;
  p->rid_ext = SIMULCAST_RID_EXT;
  return 0;
}

int sc_outbound_layer_of(const sc_outbound *o, uint32_t ssrc) {
  for (int l = 0; o && l < o->n_layers; l++)
    if (o->layer_ssrc[l] == ssrc) return l;
  return -1;
}

uint32_t sc_outbound_media_ts(sc_outbound *o, sc_media_kind kind, uint64_t capture_us) {
  if (!o->have_base[kind]) {
    o->have_base[kind] = true;
    o->base_us[kind] = capture_us;
  }
  uint64_t clock = kind == SC_MEDIA_VIDEO ? SC_RTP_VIDEO_CLOCK : SC_RTP_AUDIO_CLOCK;
  return (uint32_t)((capture_us - o->base_us[kind]) * clock / 1000000u);
}

static int send_audio(sc_outbound *o, sc_peer *pub, const uint8_t *frame, size_t len, uint32_t media_ts) {
  if (len == 0) {
    sc_opus_packetizer_skip(&o->opus, SC_OPUS_FRAME_SAMPLES);
    return 0;
  }
  o->opus.media_ts = media_ts;
  int n = sc_opus_packetizer_write(&o->opus, frame, len, SC_OPUS_FRAME_SAMPLES, o->audio_level,
                                   o->audio_level >= 0 && o->audio_level < 127, o->buf,
                                   sizeof o->buf);
  if (n < 0 || sc_peer_send_rtp(pub, o->buf, (size_t)n, sizeof o->buf) != 0) return -1;
  return 0;
}

static int send_video(sc_outbound *o, sc_peer *pub, int layer, const uint8_t *frame, size_t len, bool keyframe,
                      uint32_t media_ts) {
  if (layer < 0 || layer >= o->n_layers) return -1;
  sc_vp8_packetizer *v = &o->vp8[layer];
  if (sc_vp8_packetizer_frame(v, frame, len, media_ts, keyframe ? SC_VP8_KEYFRAME : 0) < 0) return -1;
  int n;
  while ((n = sc_vp8_packetizer_next(v, o->buf, sizeof o->buf)) > 0)
    if (sc_peer_send_rtp(pub, o->buf, (size_t)n, sizeof o->buf) != 0) return -1;
  return n < 0 ? -1 : 0;
}

int sc_outbound_send(sc_outbound *o, sc_peer *pub, sc_media_kind kind, int layer, const uint8_t *frame,
                     size_t len, bool keyframe, uint32_t media_ts) {
  if (!o || !pub || (kind == SC_MEDIA_AUDIO ? !o->audio : !o->video)) return -1;
  return kind == SC_MEDIA_AUDIO ? send_audio(o, pub, frame, len, media_ts)
                                : send_video(o, pub, layer, frame, len, keyframe, media_ts);
}
