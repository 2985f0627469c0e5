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

// Envelope format versions. Version (1) is unsigned and is what Seal writes;
// VersionSigned (2) adds the device's Ed25519 signature and is what kiosks
// write (SealSigned). Open reads both: a service must read every envelope a
// kiosk in the field ever wrote.
const (
	Version       = 1
	VersionSigned = 2
)

var magic = [4]byte{'I', 'D', 'K', 'E'}

// The info labels prefix the header in the HPKE info, so that these keys can
// never be tricked into opening ciphertext made for another protocol, nor a
// v2 ciphertext re-framed as v1 (which would strip its signature).
const (
	infoLabelV1 = "idkiosk envelope v1\x00"
	infoLabelV2 = "idkiosk envelope v2\x00"
)

const maxHeaderBytes = 4 << 10

// Header is the clear part of an envelope: enough for the service to route,
// deduplicate, pick a key and check the signer without decrypting. It holds
// no personal data.
type Header struct {
	Version   int       `json:"v"`
	ProfileID string    `json:"profile_id"`
	DeviceID  string    `json:"device_id"`
	Created   time.Time `json:"created"`
	KeyID     string    `json:"key_id"`
	Suite     Suite     `json:"suite"`
	// Signer is the key id (SignerID) of the device key that signed a
	// version 2 envelope; empty in version 1.
	Signer string `json:"signer,omitempty"`
}

// ErrFormat reports bytes that are not a well-formed envelope.
var ErrFormat = errors.New("malformed envelope")

// ErrUnknownKey reports an envelope sealed to a key the opener does not hold.
var ErrUnknownKey = errors.New("envelope sealed to an unknown key")

// Seal frames p, encrypts it to pub and returns an unsigned version 1
// envelope. Kiosks use SealSigned; Seal stays for tools and tests that need
// the unsigned format, which the service accepts only under its legacy
// policy. The caller owns p; Seal does not keep references to it.
func Seal(pub *PublicKey, p *api.Profile) ([]byte, error) {
	return encrypt(pub, p, Version, "")
}

// encrypt writes everything of an envelope but the signature.
func encrypt(pub *PublicKey, p *api.Profile, version int, signer string) ([]byte, error) {
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
		Version:   version,
		ProfileID: p.ID,
		DeviceID:  p.DeviceID,
		Created:   p.Created.UTC(),
		KeyID:     pub.KeyID,
		Suite:     pub.Suite,
		Signer:    signer,
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
	ct, err := hpke.Seal(pub.key, kdf, aead, info(version, hb), plain)
	if err != nil {
		return nil, fmt.Errorf("seal: hpke: %w", err)
	}
	out := make([]byte, 0, 4+1+2+len(hb)+len(ct)+SignatureSize)
	out = append(out, magic[:]...)
	out = append(out, byte(version))
	out = binary.BigEndian.AppendUint16(out, uint16(len(hb)))
	out = append(out, hb...)
	out = append(out, ct...)
	return out, nil
}

func info(version int, header []byte) []byte {
	label := infoLabelV1
	if version == VersionSigned {
		label = infoLabelV2
	}
	return append([]byte(label), header...)
}

// parts are the pieces of an envelope as split finds them.
type parts struct {
	h      *Header
	header []byte // the header's exact bytes
	hpke   []byte // HPKE enc || ciphertext
	signed []byte // v2: everything the signature covers
	sig    []byte // v2: the signature; nil in v1
}

// split checks the framing and parses the header.
func split(env []byte) (*parts, error) {
	if len(env) < 7 || !bytes.Equal(env[:4], magic[:]) {
		return nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	v := int(env[4])
	if v != Version && v != VersionSigned {
		return nil, fmt.Errorf("%w: version %d, this build reads %d and %d", ErrFormat, v, Version, VersionSigned)
	}
	n := int(binary.BigEndian.Uint16(env[5:7]))
	trailer := 0
	if v == VersionSigned {
		trailer = SignatureSize
	}
	if n > maxHeaderBytes || 7+n+trailer > len(env) {
		return nil, fmt.Errorf("%w: header length %d", ErrFormat, n)
	}
	hb := env[7 : 7+n]
	var h Header
	dec := json.NewDecoder(bytes.NewReader(hb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if h.Version != v || h.ProfileID == "" || h.KeyID == "" {
		return nil, fmt.Errorf("%w: header incomplete", ErrFormat)
	}
	// The signer field is what makes a header v2; one without the other
	// is a forgery or a bug, never an envelope to guess about.
	if (v == VersionSigned) != (h.Signer != "") {
		return nil, fmt.Errorf("%w: version %d header with signer %q", ErrFormat, v, h.Signer)
	}
	p := &parts{h: &h, header: hb, hpke: env[7+n : len(env)-trailer]}
	if v == VersionSigned {
		p.signed = env[:len(env)-trailer]
		p.sig = env[len(env)-trailer:]
	}
	return p, nil
}

// ParseHeader reads an envelope's clear header without decrypting it or
// checking its signature.
func ParseHeader(env []byte) (*Header, error) {
	p, err := split(env)
	if err != nil {
		return nil, err
	}
	return p.h, nil
}

// KeyRing is the set of private keys a service can open envelopes with,
// by key ID. Keeping retired keys here is what makes rotation safe: envelopes
// sealed before a rotation, still queued on an offline kiosk, stay readable.
type KeyRing map[string]*PrivateKey

// Open decrypts an envelope (either version) with the matching key from keys
// and checks that the profile inside agrees with the clear header.
//
// Open does not check a version 2 signature: that needs the device's key,
// which the service knows and this package does not. Call Verify first.
func Open(keys KeyRing, env []byte) (*Header, *api.Profile, error) {
	parts, err := split(env)
	if err != nil {
		return nil, nil, err
	}
	h := parts.h
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
	plain, err := hpke.Open(k.key, kdf, aead, info(h.Version, parts.header), parts.hpke)
	if err != nil {
		return h, nil, fmt.Errorf("open envelope %s: %w", h.ProfileID, err)
	}
	p, err := api.DecodePayload(plain) // the photos alias plain: do not clear it
	if err != nil {
		return h, nil, fmt.Errorf("open envelope %s: %w", h.ProfileID, err)
	}
	if p.ID != h.ProfileID || p.DeviceID != h.DeviceID || !p.Created.Equal(h.Created) {
		return h, nil, fmt.Errorf("%w: profile %s/%s does not match header %s/%s",
			ErrFormat, p.ID, p.DeviceID, h.ProfileID, h.DeviceID)
	}
	return h, p, nil
}
