package encode

import "bytes"

// H.264 NAL unit types (ITU-T H.264 table 7-1) the stream handling needs.
const (
	nalSlice = 1 // a coded slice of a non-IDR picture
	nalIDR   = 5 // a coded slice of an IDR picture: a keyframe
	nalSPS   = 7
	nalPPS   = 8
	nalAUD   = 9
)

var startCode = []byte{0, 0, 0, 1}

// nalUnits splits an Annex-B byte stream into NAL units, without their
// start codes (3 or 4 bytes). Bytes before the first start code are
// dropped: a stream must begin with one.
func nalUnits(au []byte) [][]byte {
	var out [][]byte
	i := bytes.Index(au, startCode[1:])
	for i >= 0 {
		begin := i + 3
		next := bytes.Index(au[begin:], startCode[1:])
		if next < 0 {
			if begin < len(au) {
				out = append(out, au[begin:])
			}
			break
		}
		end := begin + next
		// A 4-byte start code leaves its leading zero on this unit; so
		// may trailing_zero_8bits. Neither belongs to the NAL unit.
		nal := bytes.TrimRight(au[begin:end], "\x00")
		if len(nal) > 0 {
			out = append(out, nal)
		}
		i = end
	}
	return out
}

func nalType(nal []byte) byte { return nal[0] & 0x1f }

// paramSets remembers the last SPS and PPS of an H.264 stream and puts
// them back in front of every IDR that arrives without them. Cameras and
// encoders often send them once, at the start; a viewer who joins later
// can then never decode anything. With them before every keyframe, any
// keyframe is a starting point.
type paramSets struct {
	sps, pps []byte
}

// fix returns the access unit to send, whether it is a keyframe, and
// whether it holds a picture at all (a header-only buffer, as some
// encoders send first, only updates the parameter sets). Until an SPS and
// a PPS have been seen the stream cannot be decoded, so fix returns nil.
func (p *paramSets) fix(au []byte) (out []byte, key, picture bool) {
	var haveSPS, havePPS bool
	for _, nal := range nalUnits(au) {
		switch t := nalType(nal); {
		case t == nalSPS:
			p.sps, haveSPS = bytes.Clone(nal), true
		case t == nalPPS:
			p.pps, havePPS = bytes.Clone(nal), true
		case t == nalIDR:
			key, picture = true, true
		case t >= nalSlice && t < nalIDR:
			picture = true
		}
	}
	if !picture || p.sps == nil || p.pps == nil {
		return nil, key, picture
	}
	if !key || (haveSPS && havePPS) {
		return au, key, true
	}
	// Rebuild the unit: SPS, PPS, then everything that was there except
	// the parameter sets already replaced, keeping an access unit
	// delimiter first if there was one.
	var b bytes.Buffer
	b.Grow(len(au) + len(p.sps) + len(p.pps) + 8)
	nals := nalUnits(au)
	if len(nals) > 0 && nalType(nals[0]) == nalAUD {
		b.Write(startCode)
		b.Write(nals[0])
		nals = nals[1:]
	}
	for _, ps := range [][]byte{p.sps, p.pps} {
		b.Write(startCode)
		b.Write(ps)
	}
	for _, nal := range nals {
		if t := nalType(nal); t == nalSPS || t == nalPPS {
			continue
		}
		b.Write(startCode)
		b.Write(nal)
	}
	return b.Bytes(), true, true
}
