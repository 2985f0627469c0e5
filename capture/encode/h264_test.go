package encode

import (
	"bytes"
	"slices"
	"testing"

	"github.com/idkiosk/idkiosk/capture/encode/encodetest"
)

// annexB joins NAL units with 4-byte start codes.
func annexB(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

var (
	sps    = []byte{0x67, 0x42, 0xe0, 0x1f, 0xaa}
	pps    = []byte{0x68, 0xce, 0x3c, 0x80}
	aud    = []byte{0x09, 0xf0}
	idr    = []byte{0x65, 0x88, 0x84, 0x00, 0x33}
	pslice = []byte{0x41, 0x9a, 0x02, 0x04}
)

func TestNALUnits_ThreeAndFourByteStartCodes(t *testing.T) {
	au := append([]byte{0, 0, 1}, sps...)
	au = append(au, 0, 0, 0, 1)
	au = append(au, pps...)
	au = append(au, 0, 0, 1)
	au = append(au, idr...)
	got := nalUnits(au)
	want := [][]byte{sps, pps, idr}
	if len(got) != len(want) {
		t.Fatalf("got %d units %x, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("unit %d = %x, want %x", i, got[i], want[i])
		}
	}
}

func TestParamSets_Fix(t *testing.T) {
	tests := []struct {
		name        string
		in          [][]byte // access units in order; the last one is checked
		wantTypes   []int    // NAL types of the last output; nil = dropped
		wantKey     bool
		wantPicture bool
	}{
		{"no SPS yet: dropped", [][]byte{annexB(idr)}, nil, true, true},
		{"SPS/PPS/IDR: as it came", [][]byte{annexB(sps, pps, idr)}, []int{7, 8, 5}, true, true},
		{"later bare IDR gets them back", [][]byte{annexB(sps, pps, idr), annexB(pslice), annexB(idr)}, []int{7, 8, 5}, true, true},
		{"delimiter stays first", [][]byte{annexB(sps, pps, idr), annexB(aud, idr)}, []int{9, 7, 8, 5}, true, true},
		{"P slice untouched", [][]byte{annexB(sps, pps, idr), annexB(pslice)}, []int{1}, false, true},
		{"header-only buffer", [][]byte{annexB(sps, pps)}, nil, false, false},
		{"headers then bare IDR", [][]byte{annexB(sps, pps), annexB(idr)}, []int{7, 8, 5}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p paramSets
			var out []byte
			var key, pic bool
			for _, au := range tt.in {
				out, key, pic = p.fix(au)
			}
			var got []int
			if out != nil {
				got = encodetest.H264NALTypes(out)
			}
			if !slices.Equal(got, tt.wantTypes) || key != tt.wantKey || pic != tt.wantPicture {
				t.Errorf("fix = types %v key %v picture %v; want %v %v %v", got, key, pic, tt.wantTypes, tt.wantKey, tt.wantPicture)
			}
		})
	}
}
