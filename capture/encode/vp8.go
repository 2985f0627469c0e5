//go:build cgo

package encode

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// idk_vp8 lives in C memory, so libvpx's context, its iterator and the
// packet it points at never hold Go pointers.
typedef struct {
	vpx_codec_ctx_t codec;
	vpx_codec_iter_t iter;
	const void *buf;
	size_t size;
	int key;
	int w, h;
} idk_vp8;

static int idk_vp8_open(idk_vp8 *e, int w, int h, int fps, int kbps, int kfdist, int cpu, int threads) {
	vpx_codec_enc_cfg_t cfg;
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) return -1;
	cfg.g_w = w;
	cfg.g_h = h;
	// Timestamps in milliseconds: frames arrive at camera times, not on a
	// fixed grid.
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = 1000;
	cfg.g_threads = threads;
	cfg.g_pass = VPX_RC_ONE_PASS;
	// No lookahead: every frame leaves the encoder before the next arrives.
	cfg.g_lag_in_frames = 0;
	// Frames stay decodable after a lost packet (no cross-frame contexts).
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 56;
	cfg.rc_undershoot_pct = 100;
	cfg.rc_overshoot_pct = 15;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.rc_buf_sz = 1000;
	// Never drop a frame: a requested keyframe must come out.
	cfg.rc_dropframe_thresh = 0;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_min_dist = 0;
	cfg.kf_max_dist = kfdist;
	if (vpx_codec_enc_init(&e->codec, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) return -2;
	// VP8E_SET_CPUUSED and friends are macros over a variadic call that
	// cgo cannot make: set them here.
	if (vpx_codec_control(&e->codec, VP8E_SET_CPUUSED, cpu) != VPX_CODEC_OK) return -3;
	if (vpx_codec_control(&e->codec, VP8E_SET_NOISE_SENSITIVITY, 0) != VPX_CODEC_OK) return -3;
	e->w = w;
	e->h = h;
	return 0;
}

// idk_vp8_encode wraps the caller's planes (Go memory, only for the
// duration of the call: with no lookahead libvpx copies the picture into
// its own buffers before returning) and encodes them.
static vpx_codec_err_t idk_vp8_encode(idk_vp8 *e, unsigned char *y, unsigned char *u, unsigned char *v,
		int ystride, int cstride, long long pts, unsigned long dur, int key) {
	vpx_image_t img;
	vpx_img_wrap(&img, VPX_IMG_FMT_I420, e->w, e->h, 1, y);
	img.planes[VPX_PLANE_Y] = y;
	img.planes[VPX_PLANE_U] = u;
	img.planes[VPX_PLANE_V] = v;
	img.stride[VPX_PLANE_Y] = ystride;
	img.stride[VPX_PLANE_U] = cstride;
	img.stride[VPX_PLANE_V] = cstride;
	e->iter = NULL;
	return vpx_codec_encode(&e->codec, &img, pts, dur, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
}

// idk_vp8_next points e->buf at the next compressed frame; 0 when done.
static int idk_vp8_next(idk_vp8 *e) {
	const vpx_codec_cx_pkt_t *p;
	while ((p = vpx_codec_get_cx_data(&e->codec, &e->iter)) != NULL) {
		if (p->kind == VPX_CODEC_CX_FRAME_PKT) {
			e->buf = p->data.frame.buf;
			e->size = p->data.frame.sz;
			e->key = (p->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
			return 1;
		}
	}
	return 0;
}

static const char *idk_vp8_error(idk_vp8 *e) {
	const char *d = vpx_codec_error_detail(&e->codec);
	return d ? d : vpx_codec_error(&e->codec);
}
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// VP8 is a software VP8 encoder (libvpx) with realtime settings.
type VP8 struct {
	e        *C.idk_vp8
	settings Settings
	pic      planar
	start    time.Time
	lastPTS  int64
	cad      cadence
}

var _ Encoder = (*VP8)(nil)

// NewVP8 opens a libvpx VP8 encoder for width x height frames.
func NewVP8(width, height int, s Settings) (*VP8, error) {
	s = s.withDefaults()
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("vp8: size %dx%d: want positive even numbers", width, height)
	}
	e := (*C.idk_vp8)(C.calloc(1, C.size_t(unsafe.Sizeof(C.idk_vp8{}))))
	if e == nil {
		return nil, fmt.Errorf("vp8: out of memory")
	}
	fps := max(1, int(s.FPS+0.5))
	if rc := C.idk_vp8_open(e, C.int(width), C.int(height), C.int(fps), C.int(s.BitrateKbps),
		C.int(s.keyframeDistance()), C.int(s.CPUUsed), C.int(s.Threads)); rc != 0 {
		var detail string
		if rc < -1 {
			detail = C.GoString(C.idk_vp8_error(e))
			if rc < -2 {
				C.vpx_codec_destroy(&e.codec)
			}
		}
		C.free(unsafe.Pointer(e))
		return nil, fmt.Errorf("vp8: open %dx%d (step %d): %s", width, height, -rc, detail)
	}
	v := &VP8{e: e, settings: s, cad: cadence{fps: s.FPS}}
	v.pic.reset(width, height)
	return v, nil
}

// Codec implements Encoder.
func (v *VP8) Codec() Codec { return CodecVP8 }

// Encode implements Encoder. It returns exactly one packet per frame: the
// encoder never drops frames and has no lookahead.
func (v *VP8) Encode(in Input) ([]Packet, error) {
	if v.e == nil {
		return nil, ErrClosed
	}
	img, err := in.Frame.Image()
	if err != nil {
		return nil, fmt.Errorf("vp8: %w", err)
	}
	if err := v.pic.fill(img); err != nil {
		return nil, fmt.Errorf("vp8: %w", err)
	}
	if v.start.IsZero() {
		v.start = in.Time
	}
	dur := v.cad.next(in.Time)
	pts := in.Time.Sub(v.start).Milliseconds()
	if pts <= v.lastPTS && v.lastPTS != 0 || pts < 0 {
		pts = v.lastPTS + 1 // libvpx wants rising timestamps
	}
	v.lastPTS = pts
	key := C.int(0)
	if in.Keyframe {
		key = 1
	}
	cw := v.pic.cw()
	rc := C.idk_vp8_encode(v.e,
		(*C.uchar)(unsafe.Pointer(&v.pic.y[0])), (*C.uchar)(unsafe.Pointer(&v.pic.cb[0])), (*C.uchar)(unsafe.Pointer(&v.pic.cr[0])),
		C.int(v.pic.w), C.int(cw), C.longlong(pts), C.ulong(max(1, dur.Milliseconds())), key)
	if rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("vp8: encode: %s", C.GoString(C.idk_vp8_error(v.e)))
	}
	var out []Packet
	for C.idk_vp8_next(v.e) != 0 {
		out = append(out, Packet{
			Data:     C.GoBytes(v.e.buf, C.int(v.e.size)),
			Keyframe: v.e.key != 0,
			Time:     in.Time,
			Duration: dur,
		})
	}
	return out, nil
}

// Close implements Encoder.
func (v *VP8) Close() error {
	if v.e == nil {
		return nil
	}
	C.vpx_codec_destroy(&v.e.codec)
	C.free(unsafe.Pointer(v.e))
	v.e = nil
	return nil
}
