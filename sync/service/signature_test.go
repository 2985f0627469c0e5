package service

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

func TestSignature_SignedEnvelopeStoredWithItsSigner(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)
	rec, err := f.srv.store.get(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := envelope.SignerID(deviceSigner(testDevice).Public().(ed25519.PublicKey))
	if rec.Version != envelope.VersionSigned || rec.Signer != want {
		t.Errorf("record version %d signer %q, want %d and %q", rec.Version, rec.Signer, envelope.VersionSigned, want)
	}
}

// Chain of custody: an envelope changed after the device signed it, or
// signed by anyone but the device, is refused with 422 (permanent) and
// nothing is stored.
func TestSignature_TamperedOrResignedRejected(t *testing.T) {
	f := newFixture(t, nil)
	thief := newSigner(t)
	p := newProfile(t, testDevice, testEmail, false)
	env := seal(t, f.key.Public(), p)

	headerByte := bytes.Clone(env)
	headerByte[20] ^= 1 // inside the JSON header
	body := bytes.Clone(env)
	body[len(body)/2] ^= 1
	ownSeal, err := envelope.SealSigned(f.key.Public(), thief, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  []byte
		want string
	}{
		{"ciphertext byte changed", body, probBadSignature},
		{"signature byte changed", func() []byte { b := bytes.Clone(env); b[len(b)-1] ^= 1; return b }(), probBadSignature},
		{"changed and re-signed by another key", resign(t, body, thief), probBadSignature},
		{"sealed and signed by another key", ownSeal, probBadSignature},
		// The last 64 bytes of the tag are read as the signature.
		{"signature stripped", env[:len(env)-envelope.SignatureSize], probBadSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := f.do(f.putRequest(p.ID, tt.env))
			if got := problemOf(t, resp, b, http.StatusUnprocessableEntity); got.Type != tt.want {
				t.Errorf("problem %q, want %q (%s)", got.Type, tt.want, got.Detail)
			}
		})
	}
	t.Run("header byte changed", func(t *testing.T) {
		resp, b := f.do(f.putRequest(p.ID, headerByte))
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("status %d, want 400 (header no longer parses) or 422; %s", resp.StatusCode, b)
		}
	})
	if sums := f.summaries(); len(sums) != 0 {
		t.Errorf("rejected envelopes stored: %+v", sums)
	}
	// The genuine one still goes in.
	if resp, b := f.do(f.putRequest(p.ID, env)); resp.StatusCode != http.StatusCreated {
		t.Errorf("the untouched envelope: %d %s, want 201", resp.StatusCode, b)
	}
}

// The v1 policy: unsigned envelopes only from before the device enrolled.
func TestSignature_UnsignedOnlyFromBeforeEnrollment(t *testing.T) {
	f := newFixture(t, nil) // devices enrol at 09:00
	before := newProfile(t, testDevice, testEmail, false)
	before.Created = f.clock.Now().Add(-24 * time.Hour)
	if resp, b := f.do(f.putRequest(before.ID, sealUnsigned(t, f.key.Public(), before))); resp.StatusCode != http.StatusCreated {
		t.Errorf("v1 sealed the day before enrollment: %d %s, want 201", resp.StatusCode, b)
	}
	after := newProfile(t, testDevice, testEmail, false)
	after.Created = f.clock.Now().Add(time.Minute)
	resp, b := f.do(f.putRequest(after.ID, sealUnsigned(t, f.key.Public(), after)))
	if got := problemOf(t, resp, b, http.StatusUnprocessableEntity); got.Type != probUnsigned {
		t.Errorf("v1 sealed after enrollment: problem %q, want %q", got.Type, probUnsigned)
	}
	// Enrolling again later does not widen the window: it is the first
	// enrollment that counts.
	f.clock.Advance(48 * time.Hour)
	f.enroll(testDevice)
	resp, b = f.do(f.putRequest(after.ID, sealUnsigned(t, f.key.Public(), after)))
	problemOf(t, resp, b, http.StatusUnprocessableEntity)
}

// The committed envelope vectors go through the whole ingest path: v1 as a
// pre-enrollment backlog, v2 with the vector's device key enrolled. (They
// share a profile id, so each gets its own service.)
func TestSignature_CommittedVectors(t *testing.T) {
	var key envelope.PrivateKey
	b, err := os.ReadFile("../envelope/testdata/v1/service.key")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &key); err != nil {
		t.Fatal(err)
	}
	pubHex, err := os.ReadFile("../envelope/testdata/v2/device.pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hex.DecodeString(strings.TrimSpace(string(pubHex)))
	if err != nil {
		t.Fatal(err)
	}
	// The vector's device key is derived from a label in the envelope
	// tests; the device enrols with a proof made by that same key.
	signer := ed25519.NewKeyFromSeed(sha256Sum("idkiosk envelope test vector v2, device signing key, not a secret"))
	if !bytes.Equal(signer.Public().(ed25519.PublicKey), pub) {
		t.Fatal("device.pub is not the key derived from the vector's seed label")
	}
	const device = "kiosk-vector-01"
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Keys[key.KeyID] = &key })
			req, tlsKey := enrollRequest(t, addDevice(t, f, device, time.Hour), device, signer)
			resp, body := f.postEnroll(req)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("enroll %s: %d %s", device, resp.StatusCode, body)
			}
			f.certs[device] = certOf(t, body, tlsKey)

			env, err := os.ReadFile("../envelope/testdata/" + v + "/envelope.bin")
			if err != nil {
				t.Fatal(err)
			}
			h, err := envelope.ParseHeader(env)
			if err != nil {
				t.Fatal(err)
			}
			r := f.putRequest(h.ProfileID, env)
			r.Header.Set(api.HeaderDeviceID, device)
			resp, body = f.doAs(device, r)
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("PUT the %s vector: %d %s, want 201", v, resp.StatusCode, body)
			}
		})
	}
}

// A profile stored before its device's key was revoked stays stored: a
// replay of the same bytes (the kiosk never saw the 201) gets the same
// answer, not a 422 that would dead-letter a delivered profile.
func TestSignature_ReplayAfterKeyRevoked(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	env := seal(t, f.key.Public(), p)
	first, firstBody := f.do(f.putRequest(p.ID, env))
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first PUT: %d %s", first.StatusCode, firstBody)
	}
	if err := RevokeDevice(f.dir, testDevice, true, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	req, key := enrollRequest(t, addDevice(t, f, testDevice, time.Hour), testDevice, newSigner(t))
	resp, body := f.postEnroll(req)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("re-enroll: %d %s", resp.StatusCode, body)
	}
	f.certs[testDevice] = certOf(t, body, key)
	again, againBody := f.do(f.putRequest(p.ID, env))
	if again.StatusCode != http.StatusCreated || !bytes.Equal(againBody, firstBody) {
		t.Errorf("replay after the key was revoked: %d %s, want 201 %s", again.StatusCode, againBody, firstBody)
	}
}
