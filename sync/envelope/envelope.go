package envelope

import (
	"bytes"
	"crypto/hpke"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// Version is the envelope format version this package writes.
const Version = 1

var magic = [4]byte{'I', 'D', 'K', 'E'}

// infoLabel prefixes the header in the HPKE info, so that these keys can never
// be tricked into opening ciphertext made for another protocol.
const infoLabel = "idkiosk envelope v1\x00"

const maxHeaderBytes = 4 << 10

// Header is the clear part of an envelope: enough for the service to route,
// deduplicate and pick a key without decrypting. It holds no personal data.
type Header struct {
	Version   int       `json:"v"`
	ProfileID string    `json:"profile_id"`
	DeviceID  string    `json:"device_id"`
	Created   time.Time `json:"created"`
	KeyID     string    `json:"key_id"`
	Suite     Suite     `json:"suite"`
}

// ErrFormat reports bytes that are not a well-formed envelope.
var ErrFormat = errors.New("malformed envelope")

// ErrUnknownKey reports an envelope sealed to a key the opener does not hold.
var ErrUnknownKey = errors.New("envelope sealed to an unknown key")

// Seal frames p, encrypts it to pub and returns the envelope. The caller owns
// p; Seal does not keep references to it.
func Seal(pub *PublicKey, p *api.Profile) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	plain, err := api.EncodePayload(p)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// The framed plaintext holds the photos; clear our copy once sealed.
	defer clear(plain)

	hdr := Header{
		Version:   Version,
		ProfileID: p.ID,
		DeviceID:  p.DeviceID,
		Created:   p.Created.UTC(),
		KeyID:     pub.KeyID,
		Suite:     pub.Suite,
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return nil, fmt.Errorf("seal: header: %w", err)
	}
	if len(hb) > maxHeaderBytes {
		// Open refuses such a header: an envelope sealed with it would be
		// queued as "saved" yet could never be opened by the service.
		return nil, fmt.Errorf("seal: header is %d bytes, limit %d", len(hb), maxHeaderBytes)
	}
	_, kdf, aead, err := pub.Suite.parts()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	ct, err := hpke.Seal(pub.key, kdf, aead, info(hb), plain)
	if err != nil {
		return nil, fmt.Errorf("seal: hpke: %w", err)
	}
	out := make([]byte, 0, 4+1+2+len(hb)+len(ct))
	out = append(out, magic[:]...)
	out = append(out, Version)
	out = binary.BigEndian.AppendUint16(out, uint16(len(hb)))
	out = append(out, hb...)
	out = append(out, ct...)
	return out, nil
}

func info(header []byte) []byte {
	return append([]byte(infoLabel), header...)
}

// split returns the parsed header, its exact bytes and the HPKE part.
func split(env []byte) (*Header, []byte, []byte, error) {
	if len(env) < 7 || !bytes.Equal(env[:4], magic[:]) {
		return nil, nil, nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	if env[4] != Version {
		return nil, nil, nil, fmt.Errorf("%w: version %d, this build reads %d", ErrFormat, env[4], Version)
	}
	n := int(binary.BigEndian.Uint16(env[5:7]))
	if n > maxHeaderBytes || 7+n > len(env) {
		return nil, nil, nil, fmt.Errorf("%w: header length %d", ErrFormat, n)
	}
	hb := env[7 : 7+n]
	var h Header
	dec := json.NewDecoder(bytes.NewReader(hb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if h.Version != Version || h.ProfileID == "" || h.KeyID == "" {
		return nil, nil, nil, fmt.Errorf("%w: header incomplete", ErrFormat)
	}
	return &h, hb, env[7+n:], nil
}

// ParseHeader reads an envelope's clear header without decrypting it.
func ParseHeader(env []byte) (*Header, error) {
	h, _, _, err := split(env)
	return h, err
}

// KeyRing is the set of private keys a service can open envelopes with,
// by key ID. Keeping retired keys here is what makes rotation safe: envelopes
// sealed before a rotation, still queued on an offline kiosk, stay readable.
type KeyRing map[string]*PrivateKey

// Open decrypts an envelope with the matching key from keys and checks that
// the profile inside agrees with the clear header.
func Open(keys KeyRing, env []byte) (*Header, *api.Profile, error) {
	h, hb, ct, err := split(env)
	if err != nil {
		return nil, nil, err
	}
	k, ok := keys[h.KeyID]
	if !ok {
		return h, nil, fmt.Errorf("%w: %s", ErrUnknownKey, h.KeyID)
	}
	if h.Suite != k.Suite {
		return h, nil, fmt.Errorf("%w: suite %+v does not match key %s", ErrFormat, h.Suite, k.KeyID)
	}
	_, kdf, aead, err := k.Suite.parts()
	if err != nil {
		return h, nil, err
	}
	plain, err := hpke.Open(k.key, kdf, aead, info(hb), ct)
	if err != nil {
		return h, nil, fmt.Errorf("open envelope %s: %w", h.ProfileID, err)
	}
	p, err := api.DecodePayload(plain)
	if err != nil {
		return h, nil, fmt.Errorf("open envelope %s: %w", h.ProfileID, err)
	}
	if p.ID != h.ProfileID || p.DeviceID != h.DeviceID || !p.Created.Equal(h.Created) {
		return h, nil, fmt.Errorf("%w: profile %s/%s does not match header %s/%s",
			ErrFormat, p.ID, p.DeviceID, h.ProfileID, h.DeviceID)
	}
	return h, p, nil
}
