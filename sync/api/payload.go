package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// PayloadVersion is the version of the plaintext framing below.
const PayloadVersion = 1

// Limits a decoder enforces so that a hostile or corrupt payload cannot make
// the service allocate without bound.
const (
	MaxPhotos        = 8
	MaxPhotoBytes    = 8 << 20  // a 4K JPEG at high quality is ~3 MB
	maxDocumentBytes = 64 << 10 // the JSON document: a name, an email, metadata
)

var payloadMagic = [4]byte{'I', 'D', 'K', 'P'}

// EncodePayload frames a profile for sealing:
//
//	"IDKP" | version u8 | doc length u32 | doc (JSON) | for each photo: length u32 | JPEG
//
// All integers are big-endian. Photos follow in the order of p.Photos.
func EncodePayload(p *Profile) ([]byte, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode profile document: %w", err)
	}
	if len(doc) > maxDocumentBytes {
		return nil, fmt.Errorf("profile document is %d bytes, limit %d", len(doc), maxDocumentBytes)
	}
	if len(p.Photos) > MaxPhotos {
		return nil, fmt.Errorf("profile has %d photos, limit %d", len(p.Photos), MaxPhotos)
	}
	size := 4 + 1 + 4 + len(doc)
	for _, ph := range p.Photos {
		if len(ph.JPEG) > MaxPhotoBytes {
			return nil, fmt.Errorf("%s photo is %d bytes, limit %d", ph.Kind, len(ph.JPEG), MaxPhotoBytes)
		}
		size += 4 + len(ph.JPEG)
	}
	b := make([]byte, 0, size)
	b = append(b, payloadMagic[:]...)
	b = append(b, PayloadVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(doc)))
	b = append(b, doc...)
	for _, ph := range p.Photos {
		b = binary.BigEndian.AppendUint32(b, uint32(len(ph.JPEG)))
		b = append(b, ph.JPEG...)
	}
	return b, nil
}

// ErrPayload reports a payload that is not a well-formed profile.
var ErrPayload = errors.New("malformed profile payload")

// DecodePayload is the inverse of EncodePayload. The returned photos alias b.
func DecodePayload(b []byte) (*Profile, error) {
	if len(b) < 9 || !bytes.Equal(b[:4], payloadMagic[:]) {
		return nil, fmt.Errorf("%w: bad magic", ErrPayload)
	}
	if b[4] != PayloadVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrPayload, b[4], PayloadVersion)
	}
	n := binary.BigEndian.Uint32(b[5:9])
	rest := b[9:]
	if n > maxDocumentBytes || int(n) > len(rest) {
		return nil, fmt.Errorf("%w: document length %d", ErrPayload, n)
	}
	var p Profile
	if err := json.Unmarshal(rest[:n], &p); err != nil {
		return nil, fmt.Errorf("%w: document: %v", ErrPayload, err)
	}
	rest = rest[n:]
	if len(p.Photos) > MaxPhotos {
		return nil, fmt.Errorf("%w: %d photos", ErrPayload, len(p.Photos))
	}
	for i := range p.Photos {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: photo %d truncated", ErrPayload, i)
		}
		m := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if m > MaxPhotoBytes || int(m) > len(rest) {
			return nil, fmt.Errorf("%w: photo %d length %d", ErrPayload, i, m)
		}
		p.Photos[i].JPEG = rest[:m:m]
		rest = rest[m:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrPayload, len(rest))
	}
	return &p, nil
}
