package encodetest

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

typedef struct {
	vpx_codec_ctx_t codec;
	vpx_codec_iter_t iter;
	vpx_image_t *img;
} idk_dec;

static int idk_dec_open(idk_dec *d) {
	return vpx_codec_dec_init(&d->codec, vpx_codec_vp8_dx(), NULL, 0) == VPX_CODEC_OK ? 0 : -1;
}

// idk_dec_frame copies the compressed frame into C memory for the call;
// libvpx keeps no reference to it after vpx_codec_decode returns.
static int idk_dec_frame(idk_dec *d, const unsigned char *data, unsigned int size) {
	if (vpx_codec_decode(&d->codec, data, size, NULL, 0) != VPX_CODEC_OK) return -1;
	d->iter = NULL;
	d->img = vpx_codec_get_frame(&d->codec, &d->iter);
	return d->img ? 1 : 0;
}

static unsigned char *idk_plane(vpx_image_t *img, int i) { return img->planes[i]; }
static int idk_stride(vpx_image_t *img, int i) { return img->stride[i]; }
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// VP8Decoder decodes a VP8 stream with libvpx, one frame at a time.
type VP8Decoder struct {
	d *C.idk_dec
}

// NewVP8Decoder opens a decoder; Close it when done.
func NewVP8Decoder() (*VP8Decoder, error) {
	d := (*C.idk_dec)(C.calloc(1, C.size_t(unsafe.Sizeof(C.idk_dec{}))))
	if C.idk_dec_open(d) != 0 {
		C.free(unsafe.Pointer(d))
		return nil, errors.New("vp8 decoder: init failed")
	}
	return &VP8Decoder{d: d}, nil
}

// Decode decodes one compressed frame and returns the picture as a 4:2:0
// image in the decoder's (studio range) values.
func (v *VP8Decoder) Decode(frame []byte) (*image.YCbCr, error) {
	if len(frame) == 0 {
		return nil, errors.New("vp8 decoder: empty frame")
	}
	rc := C.idk_dec_frame(v.d, (*C.uchar)(unsafe.Pointer(&frame[0])), C.uint(len(frame)))
	if rc < 0 {
		return nil, fmt.Errorf("vp8 decoder: %s", C.GoString(C.vpx_codec_error(&v.d.codec)))
	}
	if rc == 0 {
		return nil, errors.New("vp8 decoder: no picture")
	}
	img := v.d.img
	w, h := int(img.d_w), int(img.d_h)
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	copyPlane(out.Y, out.YStride, img, 0, w, h)
	copyPlane(out.Cb, out.CStride, img, 1, (w+1)/2, (h+1)/2)
	copyPlane(out.Cr, out.CStride, img, 2, (w+1)/2, (h+1)/2)
	return out, nil
}

func copyPlane(dst []byte, dstStride int, img *C.vpx_image_t, plane, w, h int) {
	src := C.idk_plane(img, C.int(plane))
	stride := int(C.idk_stride(img, C.int(plane)))
	all := unsafe.Slice((*byte)(unsafe.Pointer(src)), stride*(h-1)+w)
	for y := range h {
		copy(dst[y*dstStride:][:w], all[y*stride:][:w])
	}
}

// Close frees the decoder.
func (v *VP8Decoder) Close() {
	if v.d != nil {
		C.vpx_codec_destroy(&v.d.codec)
		C.free(unsafe.Pointer(v.d))
		v.d = nil
	}
}
