package encode

import (
	"errors"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/encode/encodetest"
)

// h264Frame is a frame as an H.264 camera delivers it.
type h264Frame []byte

func (h264Frame) Image() (image.Image, error) { return nil, errors.New("not decoded") }
func (f h264Frame) H264() []byte              { return f }

func TestPassthrough_StartsAtFirstKeyframeAndRepeatsHeaders(t *testing.T) {
	var asked int
	p := &Passthrough{RequestKeyframe: func() error { asked++; return nil }}
	t0 := time.Now()
	stream := []struct {
		au       []byte
		keyframe bool // requested
		want     []int
	}{
		{annexB(pslice), false, nil}, // mid-GOP: nothing to decode yet
		{annexB(sps, pps, idr), false, []int{7, 8, 5}},
		{annexB(pslice), true, []int{1}}, // a request goes to the camera
		{annexB(idr), false, []int{7, 8, 5}},
	}
	for i, s := range stream {
		pkts, err := p.Encode(Input{Frame: h264Frame(s.au), Time: t0.Add(ms(66 * i)), Keyframe: s.keyframe})
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		var got []int
		if len(pkts) == 1 {
			got = encodetest.H264NALTypes(pkts[0].Data)
			if wantKey := slices.Contains(s.want, 5); pkts[0].Keyframe != wantKey {
				t.Errorf("frame %d: Keyframe = %v, want %v", i, pkts[0].Keyframe, wantKey)
			}
		} else if len(pkts) > 1 {
			t.Fatalf("frame %d: %d packets, want at most 1", i, len(pkts))
		}
		if !slices.Equal(got, s.want) {
			t.Errorf("frame %d: NAL types %v, want %v", i, got, s.want)
		}
	}
	if asked != 1 {
		t.Errorf("camera asked for %d keyframes, want 1", asked)
	}
}

func TestPassthrough_CameraRefusesKeyframes(t *testing.T) {
	var asked int
	p := &Passthrough{RequestKeyframe: func() error { asked++; return errors.New("no such control") }}
	t0 := time.Now()
	_, err := p.Encode(Input{Frame: h264Frame(annexB(sps, pps, idr)), Time: t0, Keyframe: true})
	if !errors.Is(err, ErrNoKeyframe) {
		t.Fatalf("first refused request: err = %v, want ErrNoKeyframe", err)
	}
	pkts, err := p.Encode(Input{Frame: h264Frame(annexB(pslice)), Time: t0.Add(ms(66)), Keyframe: true})
	if err != nil || len(pkts) != 1 {
		t.Fatalf("after a refusal: %d packets, err %v; want the frame and no error", len(pkts), err)
	}
	if asked != 1 {
		t.Errorf("camera asked %d times, want once", asked)
	}
}

func TestPassthrough_RawFrame(t *testing.T) {
	p := &Passthrough{}
	_, err := p.Encode(Input{Frame: testFrame{image.NewGray(image.Rect(0, 0, 2, 2))}, Time: time.Now()})
	if !errors.Is(err, ErrNotH264) {
		t.Errorf("raw frame: err = %v, want ErrNotH264", err)
	}
}
