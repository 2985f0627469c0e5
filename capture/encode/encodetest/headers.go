package encodetest

import "bytes"

// VP8Keyframe reports whether frame is a VP8 keyframe and, if so, its
// size (RFC 6386 section 9.1: a 3-byte frame tag whose lowest bit is 0 for
// keyframes, the start code 9d 01 2a, then 14-bit width and height).
func VP8Keyframe(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || !bytes.Equal(frame[3:6], []byte{0x9d, 0x01, 0x2a}) {
		return 0, 0, false
	}
	w = int(frame[6]) | int(frame[7]&0x3f)<<8
	h = int(frame[8]) | int(frame[9]&0x3f)<<8
	return w, h, true
}

// H264NALTypes lists the NAL unit types of an Annex-B access unit in
// order: 7 SPS, 8 PPS, 5 IDR slice, 1 other slice, 9 delimiter.
func H264NALTypes(au []byte) []int {
	var types []int
	for i := 0; i+3 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			types = append(types, int(au[i+3]&0x1f))
			i += 3
		}
	}
	return types
}
