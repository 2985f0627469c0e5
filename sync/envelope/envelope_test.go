package envelope

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen_RoundTrip(t *testing.T) {
	k := testKey(t)
	for _, tt := range []struct {
		name   string
		photos int
	}{
		{"one-sided ID, 2 photos", 2},
		{"two-sided ID, 3 photos", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := testProfile(t, tt.photos)
			env := seal(t, k, want)

			h, got, err := Open(KeyRing{k.KeyID: k}, env)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if d := diffProfile(got, want); d != "" {
				t.Errorf("opened profile differs: %s", d)
			}
			if h.ProfileID != want.ID || h.DeviceID != want.DeviceID || !h.Created.Equal(want.Created) ||
				h.KeyID != k.KeyID || h.Suite != DefaultSuite || h.Version != Version {
				t.Errorf("header = %+v, want profile %s device %s created %v key %s suite %+v",
					h, want.ID, want.DeviceID, want.Created, k.KeyID, DefaultSuite)
			}
		})
	}
}

// The clear header is what a proxy, a log line or a thief sees: it must route
// the envelope and carry nothing personal.
func TestParseHeader_NoPersonalData(t *testing.T) {
	k := testKey(t)
	p := testProfile(t, 3)
	env := seal(t, k, p)

	h, err := ParseHeader(env)
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	if h.ProfileID != p.ID || h.KeyID != k.KeyID {
		t.Errorf("header = %+v, want profile %s key %s", h, p.ID, k.KeyID)
	}
	hdr := env[:headerEnd(env)]
	for _, secret := range []string{p.FullName, p.Email, "Zoë", "zoe.lefevre"} {
		if bytes.Contains(hdr, []byte(secret)) {
			t.Errorf("clear header %q contains %q", hdr, secret)
		}
	}
	// Nor does the sealed part carry the name or a photo in the clear.
	if bytes.Contains(env, []byte(p.FullName)) || bytes.Contains(env, p.Photos[0].JPEG[:64]) {
		t.Error("envelope contains the name or photo bytes in the clear")
	}
}

// Every header byte is bound as HPKE info: changing any of them must make
// Open fail, whether or not the header still parses.
func TestOpen_TamperedHeaderByte(t *testing.T) {
	k := testKey(t)
	env := seal(t, k, testProfile(t, 2))
	keys := KeyRing{k.KeyID: k}
	for i := range headerEnd(env) {
		bad := bytes.Clone(env)
		bad[i] ^= 0x01
		if _, p, err := Open(keys, bad); err == nil {
			t.Fatalf("Open with header byte %d (%q -> %q) changed: err = nil, profile %s", i, env[i], bad[i], p.ID)
		}
	}
}

func TestOpen_TamperedCiphertext(t *testing.T) {
	k := testKey(t)
	env := seal(t, k, testProfile(t, 2))
	keys := KeyRing{k.KeyID: k}
	start := headerEnd(env)
	for _, tt := range []struct {
		name string
		at   int
	}{
		{"first byte of the encapsulated key", start},
		{"last byte of the encapsulated key", start + 1119}, // ML-KEM-768+X25519 enc is 1120 bytes
		{"first byte of the ciphertext", start + 1120},
		{"middle", start + (len(env)-start)/2},
		{"last byte of the tag", len(env) - 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(env)
			bad[tt.at] ^= 0x80
			if _, _, err := Open(keys, bad); err == nil {
				t.Errorf("Open with byte %d flipped: err = nil, want an error", tt.at)
			}
		})
	}
	t.Run("appended byte", func(t *testing.T) {
		if _, _, err := Open(keys, append(bytes.Clone(env), 0)); err == nil {
			t.Error("Open with a byte appended: err = nil, want an error")
		}
	})
}

func TestOpen_HeaderFromAnotherEnvelope(t *testing.T) {
	k := testKey(t)
	a := seal(t, k, testProfile(t, 2))
	b := seal(t, k, testProfile(t, 3))
	spliced := append(bytes.Clone(a[:headerEnd(a)]), b[headerEnd(b):]...)
	if _, p, err := Open(KeyRing{k.KeyID: k}, spliced); err == nil {
		t.Fatalf("Open(header of A + ciphertext of B): err = nil, profile %s", p.ID)
	}
}

func TestOpen_WrongKey(t *testing.T) {
	k, other := testKey(t), testKey(t)
	env := seal(t, k, testProfile(t, 2))

	h, _, err := Open(KeyRing{other.KeyID: other}, env)
	if !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open with another key ring: err = %v, want ErrUnknownKey", err)
	}
	if h == nil || h.KeyID != k.KeyID {
		t.Errorf("Open with another key ring: header %+v, want the header naming key %s", h, k.KeyID)
	}

	// A ring that files the wrong key under the right id must still fail,
	// and not with a misleading "unknown key".
	_, _, err = Open(KeyRing{k.KeyID: other}, env)
	if err == nil || errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open with the wrong key under the right id: err = %v, want a decryption error", err)
	}
}

func TestOpen_TruncatedAtEveryLength(t *testing.T) {
	k := testKey(t)
	env := seal(t, k, testProfile(t, 2))
	keys := KeyRing{k.KeyID: k}
	for n := range len(env) {
		if _, _, err := Open(keys, env[:n]); err == nil {
			t.Fatalf("Open(envelope[:%d] of %d): err = nil, want an error", n, len(env))
		}
		if n < headerEnd(env) {
			if _, err := ParseHeader(env[:n]); err == nil {
				t.Fatalf("ParseHeader(envelope[:%d]): err = nil, want an error", n)
			}
		}
	}
}

func TestParseHeader_Malformed(t *testing.T) {
	k := testKey(t)
	env := seal(t, k, testProfile(t, 2))
	hdr := func(json string) []byte {
		b := []byte{'I', 'D', 'K', 'E', 1, byte(len(json) >> 8), byte(len(json))}
		return append(b, json...)
	}
	for _, tt := range []struct {
		name string
		env  []byte
	}{
		{"empty", nil},
		{"wrong magic", append([]byte("IDKP"), env[4:]...)},
		{"version 2", append([]byte{'I', 'D', 'K', 'E', 2}, env[5:]...)},
		{"header length past the end", []byte{'I', 'D', 'K', 'E', 1, 0xff, 0xff, '{'}},
		{"empty header", hdr("")},
		{"header not JSON", hdr("not json")},
		{"unknown field", hdr(`{"v":1,"profile_id":"p","key_id":"k","email":"x@example.org"}`)},
		{"no profile id", hdr(`{"v":1,"key_id":"k"}`)},
		{"no key id", hdr(`{"v":1,"profile_id":"p"}`)},
		{"header says v2", hdr(`{"v":2,"profile_id":"p","key_id":"k"}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHeader(tt.env)
			if !errors.Is(err, ErrFormat) {
				t.Errorf("ParseHeader: err = %v, want ErrFormat", err)
			}
		})
	}
}

// A header longer than Open accepts must be refused by Seal: otherwise a
// kiosk would queue, and keep resending, an envelope nobody can open.
func TestSeal_HeaderTooLong(t *testing.T) {
	k := testKey(t)
	for _, n := range []int{maxHeaderBytes, 1 << 16} {
		p := testProfile(t, 2)
		p.DeviceID = strings.Repeat("d", n)
		env, err := Seal(k.Public(), p)
		if err == nil {
			_, _, openErr := Open(KeyRing{k.KeyID: k}, env)
			t.Errorf("Seal with a %d-byte device id: err = nil (and Open says %v), want an error", n, openErr)
		}
	}
}

func TestSeal_InvalidProfile(t *testing.T) {
	k := testKey(t)
	p := testProfile(t, 2)
	p.Photos = p.Photos[:1]
	if _, err := Seal(k.Public(), p); err == nil {
		t.Error("Seal of a profile without its ID photo: err = nil, want an error")
	}
}
