package v4l2

import (
	"errors"
	"image"
	"testing"
)

// yuyvFrame packs per-pixel Y, U, V values into YUYV with the given stride.
// U and V are taken from the even pixel of each pair, as a camera sends
// one chroma sample per pair.
func yuyvFrame(w, h, stride int, y, u, v func(x, y int) uint8) []byte {
	b := make([]byte, stride*h)
	for r := range h {
		for x := 0; x < w; x += 2 {
			o := r*stride + 2*x
			b[o], b[o+1], b[o+2], b[o+3] = y(x, r), u(x, r), y(x+1, r), v(x, r)
		}
	}
	return b
}

// naive420 is the reference: the 4:2:0 chroma of a 2x2 block is the
// rounded mean of its two rows' 4:2:2 samples.
func naive420(w, h int, y, u, v func(x, y int) uint8) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for r := range h {
		for x := range w {
			img.Y[r*img.YStride+x] = y(x, r)
		}
	}
	for r := 0; r < h; r += 2 {
		r1 := min(r+1, h-1)
		for x := 0; x < w; x += 2 {
			i := (r/2)*img.CStride + x/2
			img.Cb[i] = uint8((int(u(x, r)) + int(u(x, r1)) + 1) / 2)
			img.Cr[i] = uint8((int(v(x, r)) + int(v(x, r1)) + 1) / 2)
		}
	}
	return img
}

func equalYCbCr(t *testing.T, got, want *image.YCbCr) {
	t.Helper()
	if got.Rect != want.Rect || got.SubsampleRatio != want.SubsampleRatio {
		t.Fatalf("image %v %v, want %v %v", got.Rect, got.SubsampleRatio, want.Rect, want.SubsampleRatio)
	}
	w, h := want.Rect.Dx(), want.Rect.Dy()
	for r := range h {
		for x := range w {
			if g, e := got.Y[r*got.YStride+x], want.Y[r*want.YStride+x]; g != e {
				t.Fatalf("Y(%d,%d) = %d, want %d", x, r, g, e)
			}
		}
	}
	for r := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			gi, wi := r*got.CStride+x, r*want.CStride+x
			if got.Cb[gi] != want.Cb[wi] || got.Cr[gi] != want.Cr[wi] {
				t.Fatalf("chroma(%d,%d) = %d,%d, want %d,%d", x, r, got.Cb[gi], got.Cr[gi], want.Cb[wi], want.Cr[wi])
			}
		}
	}
}

func TestYUYVToYCbCr(t *testing.T) {
	lumaRamp := func(x, y int) uint8 { return uint8(x*3 + y*7) }
	cbRows := func(x, y int) uint8 { return uint8(40 + 50*(y%3) + x) } // changes every row: averaging shows
	crCols := func(x, y int) uint8 { return uint8(200 - x) }
	tests := []struct {
		name      string
		w, h      int
		stride    int
		truncated int // bytes cut off the end
		wantErr   error
	}{
		{"640x480 tight", 640, 480, 1280, 0, nil},
		{"padded rows", 64, 48, 64*2 + 32, 0, nil},
		{"odd height pairs the last row with itself", 8, 5, 16, 0, nil},
		{"two rows", 2, 2, 4, 0, nil},
		{"truncated transfer", 64, 48, 128, 10, errShortFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := yuyvFrame(tt.w, tt.h, tt.stride, lumaRamp, cbRows, crCols)
			// The driver need not pad after the last row.
			src = src[:len(src)-(tt.stride-2*tt.w)-tt.truncated]
			got, err := yuyvToYCbCr(src, tt.w, tt.h, tt.stride)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			equalYCbCr(t, got, naive420(tt.w, tt.h, lumaRamp, cbRows, crCols))
		})
	}
}

func TestYUYVToYCbCr_BadGeometry(t *testing.T) {
	for _, g := range [][3]int{{0, 4, 8}, {3, 4, 8}, {4, 4, 6}, {4, -1, 8}} {
		if _, err := yuyvToYCbCr(make([]byte, 64), g[0], g[1], g[2]); err == nil {
			t.Errorf("yuyvToYCbCr(w=%d h=%d stride=%d) = nil error, want one", g[0], g[1], g[2])
		}
	}
}

func TestNV12ToYCbCr(t *testing.T) {
	tests := []struct {
		name      string
		w, h      int
		stride    int
		truncated int
	}{
		{"tight", 16, 8, 16, 0},
		{"padded", 10, 6, 16, 0},
		{"odd size", 5, 3, 8, 0},
		{"truncated", 16, 8, 16, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cw, ch := (tt.w+1)/2, (tt.h+1)/2
			src := make([]byte, tt.stride*tt.h+tt.stride*ch)
			for r := range tt.h {
				for x := range tt.w {
					src[r*tt.stride+x] = uint8(x + 10*r)
				}
			}
			for r := range ch {
				for x := range cw {
					src[tt.stride*tt.h+r*tt.stride+2*x] = uint8(100 + x + r)
					src[tt.stride*tt.h+r*tt.stride+2*x+1] = uint8(200 - x - r)
				}
			}
			src = src[:len(src)-tt.truncated]
			got, err := nv12ToYCbCr(src, tt.w, tt.h, tt.stride)
			if tt.truncated > 0 {
				if !errors.Is(err, errShortFrame) {
					t.Fatalf("err = %v, want a short frame", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := naive420(tt.w, tt.h,
				func(x, y int) uint8 { return uint8(x + 10*y) },
				func(x, y int) uint8 { return uint8(100 + x/2 + y/2) },
				func(x, y int) uint8 { return uint8(200 - x/2 - y/2) })
			equalYCbCr(t, got, want)
		})
	}
}

func benchmarkYUYV(b *testing.B, w, h int) {
	src := yuyvFrame(w, h, 2*w,
		func(x, y int) uint8 { return uint8(x ^ y) },
		func(x, y int) uint8 { return uint8(x) },
		func(x, y int) uint8 { return uint8(y) })
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := yuyvToYCbCr(src, w, h, 2*w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkYUYV_640x480(b *testing.B)  { benchmarkYUYV(b, 640, 480) }
func BenchmarkYUYV_1280x720(b *testing.B) { benchmarkYUYV(b, 1280, 720) }
