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
        sc_vp8_packetizer_init(&o->vp8, p->video_ssrc, SC_PT_VP8, 0) != 0)
      return -1;
  }
  o->audio = audio;
  o->video = video;
  o->audio_level = -1;
  return 0;
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

static int send_video(sc_outbound *o, sc_peer *pub, const uint8_t *frame, size_t len, bool keyframe,
                      uint32_t media_ts) {
  if (sc_vp8_packetizer_frame(&o->vp8, frame, len, media_ts, keyframe ? SC_VP8_KEYFRAME : 0) < 0) return -1;
  int n;
  while ((n = sc_vp8_packetizer_next(&o->vp8, o->buf, sizeof o->buf)) > 0)
    if (sc_peer_send_rtp(pub, o->buf, (size_t)n, sizeof o->buf) != 0) return -1;
  return n < 0 ? -1 : 0;
}

int sc_outbound_send(sc_outbound *o, sc_peer *pub, sc_media_kind kind, const uint8_t *frame, size_t len,
                     bool keyframe, uint32_t media_ts) {
  if (!o || !pub || (kind == SC_MEDIA_AUDIO ? !o->audio : !o->video)) return -1;
  return kind == SC_MEDIA_AUDIO ? send_audio(o, pub, frame, len, media_ts)
                                : send_video(o, pub, frame, len, keyframe, media_ts);
}
