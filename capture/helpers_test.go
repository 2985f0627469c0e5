package capture

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"
)

// solidFrame returns a raw frame of one grey level.
func solidFrame(w, h int, luma uint8, t time.Time) *Frame {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = luma
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return NewImageFrame(img, t)
}

// decodeJPEG decodes data and returns the image and its mean luma.
func decodeJPEG(t *testing.T, data []byte) (image.Image, float64) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode jpeg (%d bytes): %v", len(data), err)
	}
	return img, meanLuma(img)
}

func meanLuma(img image.Image) float64 {
	b := img.Bounds()
	var sum float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}
