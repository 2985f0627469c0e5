//go:build cgo

package encode

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/encode/encodetest"
)

func TestVP8_KeyframesAndSize(t *testing.T) {
	v, err := NewVP8(320, 240, Settings{FPS: 15, BitrateKbps: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if got := v.Codec().MimeType; got != "video/VP8" {
		t.Errorf("Codec = %q", got)
	}
	frame := testFrame{quadrants(320, 240, testColours)}
	t0 := time.Now()
	for i, force := range []bool{false, false, false, true, false} {
		pkts, err := v.Encode(Input{Frame: frame, Time: t0.Add(ms(66 * i)), Keyframe: force})
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(pkts) != 1 {
			t.Fatalf("frame %d: %d packets, want 1 (no lookahead, no drops)", i, len(pkts))
		}
		p := pkts[0]
		wantKey := i == 0 || force
		w, h, key := encodetest.VP8Keyframe(p.Data)
		if p.Keyframe != wantKey || key != wantKey {
			t.Errorf("frame %d: Keyframe %v, header says %v; want %v", i, p.Keyframe, key, wantKey)
		}
		if key && (w != 320 || h != 240) {
			t.Errorf("frame %d: keyframe header %dx%d, want 320x240", i, w, h)
		}
		if i > 0 && p.Duration != ms(66) {
			t.Errorf("frame %d: Duration = %v, want the 66ms since the previous frame", i, p.Duration)
		}
	}
}

// The picture a viewer decodes has the camera's colours: the encoder
// converts Go's full-range YCbCr to the studio range decoders assume.
func TestVP8_DecodedColoursMatch(t *testing.T) {
	v, err := NewVP8(320, 240, Settings{BitrateKbps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	pkts, err := v.Encode(Input{Frame: testFrame{quadrants(320, 240, testColours)}, Time: time.Now()})
	if err != nil || len(pkts) != 1 {
		t.Fatalf("encode: %d packets, %v", len(pkts), err)
	}
	dec, err := encodetest.NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	img, err := dec.Decode(pkts[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("decoded %v, want 320x240", b)
	}
	for q, pt := range []image.Point{{80, 60}, {240, 60}, {80, 180}, {240, 180}} {
		r, g, b := at(img, pt.X, pt.Y)
		if !near(r, g, b, testColours[q], 10) {
			t.Errorf("quadrant %d: decoded rgb(%d,%d,%d), want about %v", q, r, g, b, testColours[q])
		}
	}
}

// Noise is the worst case for an encoder: the bitrate cap must hold.
func TestVP8_BitrateCap(t *testing.T) {
	const fps, seconds = 15, 4
	bytesAt := func(kbps int) int {
		v, err := NewVP8(320, 240, Settings{FPS: fps, BitrateKbps: kbps})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		rng := rand.New(rand.NewPCG(1, 2))
		t0 := time.Now()
		total := 0
		for i := range fps * seconds {
			img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
			for y := range 240 {
				for x := range 320 {
					// Moving stripes under sensor noise: busy enough that an
					// uncapped encoder spends far more than the cap.
					v := 128 + 90*((x+3*i)/8%2) - 45 + rng.IntN(16)
					img.Y[y*img.YStride+x] = uint8(v)
				}
			}
			for j := range img.Cb {
				img.Cb[j], img.Cr[j] = 128, 128
			}
			pkts, err := v.Encode(Input{Frame: testFrame{img}, Time: t0.Add(time.Second * time.Duration(i) / fps)})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkts {
				total += len(p.Data)
			}
		}
		return total
	}
	capped, free := bytesAt(200), bytesAt(20000)
	t.Logf("bytes in %d s: capped %d, uncapped %d", seconds, capped, free)
	budget := 200 * 1000 / 8 * seconds
	if capped > 2*budget {
		t.Errorf("at a 200 kbit/s cap: %d bytes in %d s, want at most twice the %d-byte budget", capped, seconds, budget)
	}
	if free < 3*capped {
		t.Errorf("uncapped stream %d bytes vs capped %d: the cap seems not to be what limits it", free, capped)
	}
}

func TestVP8_Errors(t *testing.T) {
	if _, err := NewVP8(321, 240, Settings{}); err == nil {
		t.Error("odd width: no error")
	}
	v, err := NewVP8(64, 48, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Encode(Input{Frame: testFrame{quadrants(32, 48, testColours)}, Time: time.Now()})
	if !errors.Is(err, ErrSize) {
		t.Errorf("32x48 frame into a 64x48 encoder: err = %v, want ErrSize", err)
	}
	v.Close()
	v.Close()
	if _, err := v.Encode(Input{Frame: testFrame{quadrants(64, 48, testColours)}, Time: time.Now()}); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: err = %v, want ErrClosed", err)
	}
}
