package encode

import (
	"errors"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/encode/encodetest"
)

// fakeM2M stands in for the V4L2 encoder: each frame sent comes out as an
// access unit after lag more frames, carrying the frame's first luma and
// chroma bytes so the test can see what was sent.
type fakeM2M struct {
	stride, uv, size int
	lag              int
	headerFirst      bool // a header-only buffer before the first frame
	forceErr         error

	out    chan []byte
	held   [][]byte
	forced bool
	nForce int
	sent   int
	closed bool
}

func newFakeM2M(lag int) *fakeM2M {
	return &fakeM2M{stride: 64, uv: 64 * 48, size: 64 * 48 * 3 / 2, lag: lag, headerFirst: true, out: make(chan []byte, 16)}
}

func (f *fakeM2M) Layout() (int, int, int) { return f.stride, f.uv, f.size }

func (f *fakeM2M) Send(nv12 []byte, _ time.Duration) error {
	if f.sent == 0 && f.headerFirst {
		f.out <- annexB(sps, pps)
	}
	slice := pslice
	if f.sent == 0 || f.forced {
		slice = idr
	}
	f.forced = false
	f.sent++
	au := annexB(append(slices.Clone(slice), nv12[0], nv12[f.uv]))
	f.held = append(f.held, au)
	if len(f.held) > f.lag {
		f.out <- f.held[0]
		f.held = f.held[1:]
	}
	return nil
}

func (f *fakeM2M) Output() <-chan []byte { return f.out }

func (f *fakeM2M) ForceKeyframe() error {
	f.nForce++
	if f.forceErr != nil {
		return f.forceErr
	}
	f.forced = true
	return nil
}

func (f *fakeM2M) Close() error { f.closed = true; return nil }

// grey is a 64x48 frame of one grey level.
func grey(v uint8) testFrame {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = v
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return testFrame{img}
}

func TestM2M_OneFrameBehind_InOrder(t *testing.T) {
	dev := newFakeM2M(1)
	m, err := newM2M(dev, 64, 48, Settings{FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	var got []Packet
	for i := range 5 {
		pkts, err := m.Encode(Input{Frame: grey(uint8(10 * (i + 1))), Time: t0.Add(ms(66 * i))})
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got = append(got, pkts...)
	}
	if len(got) != 4 {
		t.Fatalf("got %d packets after 5 frames with a one-frame lag, want 4", len(got))
	}
	for i, p := range got {
		if want := t0.Add(ms(66 * i)); !p.Time.Equal(want) {
			t.Errorf("packet %d: Time = %v, want frame %d's %v", i, p.Time, i, want)
		}
		nal := nalUnits(p.Data)
		last := nal[len(nal)-1]
		if luma, want := last[len(last)-2], lumaLUT[uint8(10*(i+1))]; luma != want {
			t.Errorf("packet %d: sent luma %d, want %d (frame %d in studio range)", i, luma, want, i)
		}
		if i == 0 {
			if types := encodetest.H264NALTypes(p.Data); !slices.Equal(types, []int{7, 8, 5}) || !p.Keyframe {
				t.Errorf("first packet: NAL types %v keyframe %v, want [7 8 5] and a keyframe (headers from the separate buffer)", types, p.Keyframe)
			}
		}
	}
}

func TestM2M_KeyframeRequest(t *testing.T) {
	dev := newFakeM2M(0)
	m, err := newM2M(dev, 64, 48, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i, key := range []bool{false, false, true, false} {
		pkts, err := m.Encode(Input{Frame: grey(100), Time: t0.Add(ms(66 * i)), Keyframe: key})
		if err != nil || len(pkts) != 1 {
			t.Fatalf("frame %d: %d packets, %v", i, len(pkts), err)
		}
		wantKey := i == 0 || key
		if pkts[0].Keyframe != wantKey {
			t.Errorf("frame %d: Keyframe = %v, want %v", i, pkts[0].Keyframe, wantKey)
		}
		if wantKey && !slices.Equal(encodetest.H264NALTypes(pkts[0].Data), []int{7, 8, 5}) {
			t.Errorf("frame %d: keyframe without SPS/PPS: %v", i, encodetest.H264NALTypes(pkts[0].Data))
		}
	}
	if dev.nForce != 1 {
		t.Errorf("ForceKeyframe called %d times, want 1", dev.nForce)
	}
}

func TestM2M_DeviceRefusesKeyframes(t *testing.T) {
	dev := newFakeM2M(0)
	dev.forceErr = errors.New("EINVAL")
	m, _ := newM2M(dev, 64, 48, Settings{})
	t0 := time.Now()
	pkts, err := m.Encode(Input{Frame: grey(100), Time: t0, Keyframe: true})
	if !errors.Is(err, ErrNoKeyframe) || len(pkts) != 1 {
		t.Fatalf("refused keyframe: %d packets, err %v; want the frame and ErrNoKeyframe", len(pkts), err)
	}
	if _, err := m.Encode(Input{Frame: grey(100), Time: t0.Add(ms(66)), Keyframe: true}); err != nil {
		t.Errorf("second request: err = %v, want none (no more asking)", err)
	}
	if dev.nForce != 1 {
		t.Errorf("ForceKeyframe called %d times, want 1", dev.nForce)
	}
}

func TestM2M_StalledDevice(t *testing.T) {
	dev := newFakeM2M(100) // never answers
	m, _ := newM2M(dev, 64, 48, Settings{})
	m.timeout = 20 * time.Millisecond
	t0 := time.Now()
	if _, err := m.Encode(Input{Frame: grey(1), Time: t0}); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	if _, err := m.Encode(Input{Frame: grey(1), Time: t0.Add(ms(66))}); err == nil {
		t.Error("second frame with no output from the device: no error")
	}
}

func TestM2M_CloseAndBadLayout(t *testing.T) {
	dev := newFakeM2M(0)
	m, _ := newM2M(dev, 64, 48, Settings{})
	m.Close()
	if !dev.closed {
		t.Error("Close did not close the device")
	}
	if _, err := m.Encode(Input{Frame: grey(1), Time: time.Now()}); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: err = %v, want ErrClosed", err)
	}
	small := newFakeM2M(0)
	small.size = 100
	if _, err := newM2M(small, 64, 48, Settings{}); err == nil || !small.closed {
		t.Errorf("layout too small: err = %v, device closed %v; want an error and the device closed", err, small.closed)
	}
}
