package service

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// Rotation: the service adds a key and makes it current; profiles sealed to
// the old key, still queued on a kiosk that was offline, are accepted.
func TestRotation_OldKeyStillAccepted(t *testing.T) {
	f := newFixture(t, nil)
	old := f.key
	queued := newProfile(t, testDevice, testEmail, false)
	queuedEnv := seal(t, old.Public(), queued)

	next, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	next.Created = old.Created.Add(time.Second)
	f.opts.Keys = envelope.KeyRing{old.KeyID: old, next.KeyID: next}
	f.restart()

	var keys api.ServiceKeys
	f.getJSON(f.deviceRequest("GET", "/v1/keys", nil), &keys)
	l, err := envelope.ParseServiceKeys(keys)
	if err != nil {
		t.Fatalf("GET /v1/keys: %v", err)
	}
	if l.Current().KeyID != next.KeyID || len(keys.Keys) != 2 {
		t.Errorf("after rotation: current %s of %d keys, want %s of 2", l.Current().KeyID, len(keys.Keys), next.KeyID)
	}

	if resp, body := f.do(f.putRequest(queued.ID, queuedEnv)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("profile sealed to the old key: %d %s, want 201", resp.StatusCode, body)
	}
	fresh := newProfile(t, testDevice, testEmail, true)
	f.put2(fresh, l.Current())
	for id, want := range map[string]string{queued.ID: old.KeyID, fresh.ID: next.KeyID} {
		rec, err := f.srv.store.get(id)
		if err != nil || rec.KeyID != want {
			t.Errorf("profile %s stored under key %v (%v), want %s", id, rec, err, want)
		}
	}
	// Both open for review.
	for _, id := range []string{queued.ID, fresh.ID} {
		var got ReviewProfile
		f.getJSON(f.reviewRequest("GET", "/review/api/profiles/"+id, nil), &got)
		if got.FullName != testName {
			t.Errorf("review of %s: name %q, want %q", id, got.FullName, testName)
		}
	}
}

func (f *fixture) put2(p *api.Profile, pub *envelope.PublicKey) {
	f.t.Helper()
	resp, body := f.do(f.putRequest(p.ID, seal(f.t, pub, p)))
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("PUT %s: %d %s, want 201", p.ID, resp.StatusCode, body)
	}
}

func TestCurrentKey(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	a.Created, b.Created = time.Unix(100, 0), time.Unix(200, 0)
	legacy := mustKey(t)
	legacy.Created = time.Time{} // a key file from before Created was recorded
	ring := envelope.KeyRing{a.KeyID: a, b.KeyID: b, legacy.KeyID: legacy}
	tests := []struct {
		name, want, got string
		wantErr         bool
	}{
		{name: "newest", want: "", got: b.KeyID},
		{name: "named", want: a.KeyID, got: a.KeyID},
		{name: "named legacy", want: legacy.KeyID, got: legacy.KeyID},
		{name: "not in ring", want: "00112233", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CurrentKey(ring, tt.want)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "not in the key ring") {
					t.Errorf("err = %v, want one saying the key is not in the ring", err)
				}
				return
			}
			if err != nil || got != tt.got {
				t.Errorf("CurrentKey = %s, %v; want %s", got, err, tt.got)
			}
		})
	}
}

func mustKey(t *testing.T) *envelope.PrivateKey {
	t.Helper()
	k, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
