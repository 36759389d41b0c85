/* VP8 encoder and decoder on libvpx (client/media/vp8.h). */
#include "client/media/vp8.h"

#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#define MAX_DIM 4096

struct sc_vp8_enc {
  vpx_codec_ctx_t ctx;
  vpx_codec_enc_cfg_t cfg;
  vpx_image_t img; /* a wrapper around the caller's planes */
  int width, height;
  bool force_key;
  uint8_t *buf; /* the last frame, copied out of libvpx */
  size_t cap;
};

struct sc_vp8_dec {
  vpx_codec_ctx_t ctx;
};

sc_vp8_enc *sc_vp8_enc_new(int width, int height, int fps, int bitrate_kbps) {
  if (width < 16 || height < 16 || width > MAX_DIM || height > MAX_DIM || (width | height) & 1 ||
      fps < 1 || fps > 120 || bitrate_kbps < 30 || bitrate_kbps > 20000)
    return NULL;
  sc_vp8_enc *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) goto fail;
  e->cfg.g_w = (unsigned)width;
  e->cfg.g_h = (unsigned)height;
  e->cfg.g_timebase.num = 1;
  e->cfg.g_timebase.den = fps;
  e->cfg.g_threads = 1;
  e->cfg.g_lag_in_frames = 0;
  e->cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  e->cfg.g_pass = VPX_RC_ONE_PASS;
  e->cfg.rc_end_usage = VPX_CBR;
  e->cfg.rc_target_bitrate = (unsigned)bitrate_kbps;
  e->cfg.rc_min_quantizer = 2;
  e->cfg.rc_max_quantizer = 56;
  e->cfg.rc_undershoot_pct = 100;
  e->cfg.rc_overshoot_pct = 15;
  e->cfg.rc_buf_initial_sz = 500;
  e->cfg.rc_buf_optimal_sz = 600;
  e->cfg.rc_buf_sz = 1000;
  e->cfg.rc_dropframe_thresh = 0;
  e->cfg.kf_mode = VPX_KF_AUTO;
  e->cfg.kf_max_dist = (unsigned)fps * 10;
  if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) goto fail;
  vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -6);
  vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
  e->width = width;
  e->height = height;
  e->force_key = true;
  return e;
fail:
  free(e);
  return NULL;
}

void sc_vp8_enc_free(sc_vp8_enc *e) {
  if (!e) return;
  vpx_codec_destroy(&e->ctx);
  free(e->buf);
  free(e);
}

void sc_vp8_enc_request_keyframe(sc_vp8_enc *e) {
  if (e) e->force_key = true;
}

int sc_vp8_enc_set_bitrate(sc_vp8_enc *e, int bitrate_kbps) {
  if (!e || bitrate_kbps < 30 || bitrate_kbps > 20000) return -1;
  e->cfg.rc_target_bitrate = (unsigned)bitrate_kbps;
  return vpx_codec_enc_config_set(&e->ctx, &e->cfg) == VPX_CODEC_OK ? 0 : -1;
}

static int keep(sc_vp8_enc *e, const vpx_codec_cx_pkt_t *pkt, sc_vp8_frame *out) {
  size_t n = pkt->data.frame.sz;
  if (n == 0) return -1;
  if (n > e->cap) {
    uint8_t *b = realloc(e->buf, n);
    if (!b) return -1;
    e->buf = b;
    e->cap = n;
  }
  memcpy(e->buf, pkt->data.frame.buf, n);
  out->data = e->buf;
  out->len = n;
  out->keyframe = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
  out->droppable = (pkt->data.frame.flags & VPX_FRAME_IS_DROPPABLE) != 0;
  return 1;
}

int sc_vp8_enc_encode(sc_vp8_enc *e, const sc_i420 *img, int64_t pts, sc_vp8_frame *out) {
  if (!e || !img || !out || img->width != e->width || img->height != e->height) return -1;
  vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, (unsigned)img->width, (unsigned)img->height, 1,
               img->plane[0]);
  for (int i = 0; i < 3; i++) {
    e->img.planes[i] = img->plane[i];
    e->img.stride[i] = img->stride[i];
  }
  vpx_enc_frame_flags_t flags = e->force_key ? VPX_EFLAG_FORCE_KF : 0;
  if (vpx_codec_encode(&e->ctx, &e->img, pts, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK)
    return -1;
  e->force_key = false;
  vpx_codec_iter_t it = NULL;
  const vpx_codec_cx_pkt_t *pkt;
  int r = 0;
  /* With no lag there is at most one frame; anything after it is not video. */
  while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL)
    if (pkt->kind == VPX_CODEC_CX_FRAME_PKT && r == 0) r = keep(e, pkt, out);
  return r;
}

sc_vp8_dec *sc_vp8_dec_new(void) {
  sc_vp8_dec *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  vpx_codec_dec_cfg_t cfg = {.threads = 1, .w = 0, .h = 0};
  if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
    free(d);
    return NULL;
  }
  return d;
}

void sc_vp8_dec_free(sc_vp8_dec *d) {
  if (!d) return;
  vpx_codec_destroy(&d->ctx);
  free(d);
}

int sc_vp8_dec_decode(sc_vp8_dec *d, const uint8_t *data, size_t len, sc_i420 *out) {
  if (!d || !data || len == 0 || len > UINT32_MAX || !out) return -1;
  if (vpx_codec_decode(&d->ctx, data, (unsigned)len, NULL, 0) != VPX_CODEC_OK) return -1;
  int corrupt = 0;
  if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) == VPX_CODEC_OK && corrupt)
    return -1;
  vpx_codec_iter_t it = NULL;
  vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &it);
  if (!img) return 0;
  if (img->fmt != VPX_IMG_FMT_I420 || img->d_w > MAX_DIM || img->d_h > MAX_DIM) return -1;
  memset(out, 0, sizeof *out);
  out->width = (int)img->d_w;
  out->height = (int)img->d_h;
  for (int i = 0; i < 3; i++) {
    out->plane[i] = img->planes[i];
    out->stride[i] = img->stride[i];
  }
  return 1;
}
