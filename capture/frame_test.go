package capture

import (
	"bytes"
	"image"
	"image/jpeg"
	"sync"
	"testing"
	"time"
)

func jpegBytes(t *testing.T, w, h int, luma uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	img, _ := solidFrame(w, h, luma, time.Time{}).Image()
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFrame_Size(t *testing.T) {
	raw := jpegBytes(t, 40, 30, 200)
	tests := []struct {
		name          string
		f             *Frame
		wantW, wantH  int
		wantJPEGError bool
	}{
		{"raw", solidFrame(64, 48, 100, time.Time{}), 64, 48, false},
		{"jpeg with size", NewJPEGFrame(raw, 40, 30, time.Time{}), 40, 30, false},
		{"jpeg size from header", NewJPEGFrame(raw, 0, 0, time.Time{}), 40, 30, false},
		{"empty jpeg", NewJPEGFrame(nil, 40, 30, time.Time{}), 40, 30, true},
		{"nil image", NewImageFrame(nil, time.Time{}), 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.Width != tt.wantW || tt.f.Height != tt.wantH {
				t.Errorf("size = %dx%d, want %dx%d", tt.f.Width, tt.f.Height, tt.wantW, tt.wantH)
			}
			_, err := tt.f.JPEG()
			if got := err != nil; got != tt.wantJPEGError {
				t.Errorf("JPEG() error = %v, want error: %v", err, tt.wantJPEGError)
			}
			_, err = tt.f.Image()
			if got := err != nil; got != tt.wantJPEGError {
				t.Errorf("Image() error = %v, want error: %v", err, tt.wantJPEGError)
			}
		})
	}
}

func TestFrame_JPEGPassesCameraBytesThrough(t *testing.T) {
	raw := jpegBytes(t, 40, 30, 200)
	f := NewJPEGFrame(raw, 40, 30, time.Time{})
	got, err := f.JPEG()
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &raw[0] || len(got) != len(raw) {
		t.Errorf("JPEG() returned a copy or re-encode (%d bytes), want the camera's %d bytes", len(got), len(raw))
	}
}

func TestFrame_BadJPEGFailsToDecode(t *testing.T) {
	f := NewJPEGFrame([]byte("not a jpeg at all"), 40, 30, time.Time{})
	if img, err := f.Image(); err == nil {
		t.Errorf("Image() = %v, nil; want an error", img.Bounds())
	}
}

// Every concurrent caller must get the one memoized result: the same slice
// from JPEG and the same image from Image.
func TestFrame_ConcurrentCallersShareOneResult(t *testing.T) {
	tests := []struct {
		name string
		f    func() *Frame
	}{
		{"raw frame", func() *Frame { return solidFrame(64, 48, 90, time.Time{}) }},
		{"jpeg frame", func() *Frame { return NewJPEGFrame(jpegBytes(t, 64, 48, 90), 64, 48, time.Time{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f()
			const n = 16
			jpegs := make([][]byte, n)
			imgs := make([]image.Image, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					var err error
					if jpegs[i], err = f.JPEG(); err != nil {
						t.Errorf("JPEG: %v", err)
					}
					if imgs[i], err = f.Image(); err != nil {
						t.Errorf("Image: %v", err)
					}
				})
			}
			wg.Wait()
			for i := 1; i < n; i++ {
				if len(jpegs[i]) == 0 || &jpegs[i][0] != &jpegs[0][0] {
					t.Fatalf("caller %d got a different JPEG buffer than caller 0", i)
				}
				if imgs[i] != imgs[0] {
					t.Fatalf("caller %d got a different image than caller 0", i)
				}
			}
			img, luma := decodeJPEG(t, jpegs[0])
			if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 {
				t.Errorf("decoded size = %dx%d, want 64x48", b.Dx(), b.Dy())
			}
			if luma < 85 || luma > 95 {
				t.Errorf("decoded mean luma = %.1f, want about 90", luma)
			}
		})
	}
}

func TestFrame_Quality(t *testing.T) {
	// A noisy picture, so quality changes the size a lot.
	mk := func(q int) int {
		img := image.NewYCbCr(image.Rect(0, 0, 128, 96), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = uint8(i * 7919 % 251)
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 128, 128
		}
		f := NewImageFrame(img, time.Time{})
		f.Quality = q
		b, err := f.JPEG()
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	low, def, high := mk(30), mk(0), mk(95)
	if !(low < def && def < high) {
		t.Errorf("sizes q30=%d default=%d q95=%d, want increasing (default is %d)", low, def, high, DefaultJPEGQuality)
	}
	if got, want := def, mk(DefaultJPEGQuality); got != want {
		t.Errorf("default quality size = %d, want %d (quality %d)", got, want, DefaultJPEGQuality)
	}
}

func benchmarkFrameJPEG(b *testing.B, w, h int) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8((i%w)*255/w + i/w%7)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 110, 150
	}
	b.ReportAllocs()
	for b.Loop() {
		// A fresh frame each time: the memoized result must not be measured.
		if _, err := NewImageFrame(img, time.Time{}).JPEG(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrameJPEG_640x480(b *testing.B)  { benchmarkFrameJPEG(b, 640, 480) }
func BenchmarkFrameJPEG_1280x720(b *testing.B) { benchmarkFrameJPEG(b, 1280, 720) }
