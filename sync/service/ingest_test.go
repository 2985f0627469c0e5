package service

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

func TestPut_FirstStoreIsDurable(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	env := seal(t, f.key.Public(), p)

	resp, body := f.do(f.putRequest(p.ID, env))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", resp.StatusCode, body)
	}
	var got api.StoreResult
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := api.StoreResult{ID: p.ID, Received: f.clock.Now(), Digest: api.ContentDigest(env)}
	if got != want {
		t.Errorf("store result %+v, want %+v", got, want)
	}

	// A 201 promises the profile is on disk: a new server on the same
	// data dir must know it.
	f.restart()
	if st := f.status(p.ID); st.State != api.StatePendingReview {
		t.Errorf("after restart: state %q, want %q", st.State, api.StatePendingReview)
	}
	sums := f.summaries()
	if len(sums) != 1 || sums[0].ID != p.ID || sums[0].Stores != 1 || sums[0].Replays != 0 {
		t.Errorf("after restart: summaries %+v, want one with id %s, 1 store, 0 replays", sums, p.ID)
	}
}

func TestPut_ReplaySameDigest(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, true)
	env := seal(t, f.key.Public(), p)

	first, firstBody := f.do(f.putRequest(p.ID, env))
	f.clock.Advance(3600e9) // a replay an hour later must not change "received"
	again, againBody := f.do(f.putRequest(p.ID, env))
	if first.StatusCode != http.StatusCreated || again.StatusCode != http.StatusCreated {
		t.Fatalf("statuses %d, %d; want 201, 201", first.StatusCode, again.StatusCode)
	}
	if !bytes.Equal(firstBody, againBody) {
		t.Errorf("replay body %s, want identical to %s", againBody, firstBody)
	}
	if a, b := first.Header.Get("Location"), again.Header.Get("Location"); a != b {
		t.Errorf("replay Location %q, want %q", b, a)
	}
	sums := f.summaries()
	if len(sums) != 1 || sums[0].Stores != 1 || sums[0].Replays != 1 {
		t.Errorf("summaries %+v, want one profile with 1 store and 1 replay", sums)
	}
}

func TestPut_SameKeyDifferentDigest(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)

	// Sealing again gives new ciphertext for the same id: a different body.
	resp, body := f.do(f.putRequest(p.ID, seal(t, f.key.Public(), p)))
	if got := problemOf(t, resp, body, http.StatusUnprocessableEntity); got.Type != probKeyReused {
		t.Errorf("problem type %q, want %q", got.Type, probKeyReused)
	}
	if sums := f.summaries(); len(sums) != 1 || sums[0].Replays != 0 {
		t.Errorf("summaries %+v, want the first store untouched", sums)
	}
}

// TestPut_ConcurrentSameID_Overlap holds the first PUT between its claim and
// its commit, so the second PUT of the same id is certain to overlap it.
func TestPut_ConcurrentSameID_Overlap(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	env := seal(t, f.key.Public(), p)

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.setBeforeCommit(func(string) {
		once.Do(func() {
			close(entered)
			<-release
		})
	})
	type answer struct {
		status int
		body   []byte
	}
	firstc := make(chan answer, 1)
	go func() {
		resp, err := f.deviceClient(testDevice).Do(f.putRequest(p.ID, env))
		if err != nil {
			firstc <- answer{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		firstc <- answer{resp.StatusCode, b}
	}()
	<-entered

	resp, body := f.do(f.putRequest(p.ID, env))
	problemOf(t, resp, body, http.StatusConflict)
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Error("409 without Retry-After")
	}

	close(release)
	first := <-firstc
	if first.status != http.StatusCreated {
		t.Fatalf("first PUT: status %d, want 201; body %s", first.status, first.body)
	}
	resp, body = f.do(f.putRequest(p.ID, env))
	if resp.StatusCode != http.StatusCreated || !bytes.Equal(body, first.body) {
		t.Errorf("PUT after the overlap: %d %s, want 201 %s", resp.StatusCode, body, first.body)
	}
	if sums := f.summaries(); len(sums) != 1 || sums[0].Stores != 1 || sums[0].Replays != 1 {
		t.Errorf("summaries %+v, want 1 store and 1 replay", sums)
	}
}

// TestPut_ConcurrentSameID_Many lets the scheduler pick the interleaving;
// whatever it picks, exactly one store happens and every 201 is the same.
func TestPut_ConcurrentSameID_Many(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	env := seal(t, f.key.Public(), p)

	const n = 8
	statuses := make([]int, n)
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := f.deviceClient(testDevice).Do(f.putRequest(p.ID, env))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			statuses[i] = resp.StatusCode
			bodies[i], _ = io.ReadAll(resp.Body)
		})
	}
	wg.Wait()

	var created [][]byte
	for i, s := range statuses {
		switch s {
		case http.StatusCreated:
			created = append(created, bodies[i])
		case http.StatusConflict:
		default:
			t.Errorf("PUT %d: status %d, want 201 or 409; body %s", i, s, bodies[i])
		}
	}
	if len(created) == 0 {
		t.Fatal("no PUT got 201")
	}
	for _, b := range created[1:] {
		if !bytes.Equal(b, created[0]) {
			t.Errorf("201 bodies differ: %s vs %s", b, created[0])
		}
	}
	sums := f.summaries()
	if len(sums) != 1 || sums[0].Stores != 1 || sums[0].Replays != len(created)-1 {
		t.Errorf("summaries %+v, want 1 store and %d replays", sums, len(created)-1)
	}
}

func TestPut_Rejected(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	env := seal(t, f.key.Public(), p)

	otherKey, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	wrongID := newProfile(t, testDevice, testEmail, false) // sealed for another id
	fromOther := newProfile(t, otherDevice, testEmail, false)
	tampered := bytes.Clone(env)
	tampered[len(tampered)-envelope.SignatureSize-1] ^= 1 // last byte of the AEAD tag

	tests := []struct {
		name     string
		id       string
		body     []byte
		edit     func(*http.Request)
		status   int
		probType string
	}{
		{"id not a uuid", "profile-1", env, func(r *http.Request) { r.Header.Set(api.HeaderIdempotencyKey, "profile-1") }, 400, probMalformed},
		{"id in upper case", strings.ToUpper(p.ID), env, func(r *http.Request) { r.Header.Set(api.HeaderIdempotencyKey, strings.ToUpper(p.ID)) }, 400, probMalformed},
		{"idempotency key differs from path", p.ID, env, func(r *http.Request) { r.Header.Set(api.HeaderIdempotencyKey, uuid.NewString()) }, 400, probMalformed},
		{"no idempotency key", p.ID, env, func(r *http.Request) { r.Header.Del(api.HeaderIdempotencyKey) }, 400, probMalformed},
		{"wrong content type", p.ID, env, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, 415, probMediaType},
		{"bad content digest", p.ID, env, func(r *http.Request) { r.Header.Set(api.HeaderContentDigest, api.ContentDigest([]byte("other"))) }, 400, probMalformed},
		{"no content digest", p.ID, env, func(r *http.Request) { r.Header.Del(api.HeaderContentDigest) }, 400, probMalformed},
		{"not an envelope", p.ID, []byte("hello"), nil, 400, probMalformed},
		{"header profile id differs from path", p.ID, seal(t, f.key.Public(), wrongID), nil, 400, probMalformed},
		{"sealed by another device", fromOther.ID, seal(t, f.key.Public(), fromOther), nil, 422, probWrongDevice},
		{"sealed to an unknown key", p.ID, seal(t, otherKey.Public(), p), nil, 422, probUnknownKey},
		{"ciphertext tampered", p.ID, tampered, nil, 422, probBadSignature},
		{"signed by the device but does not decrypt", p.ID, resign(t, tampered, deviceSigner(testDevice)), nil, 422, probUndecryptable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.putRequest(tt.id, tt.body)
			if tt.edit != nil {
				tt.edit(r)
			}
			// putRequest computed the digest for tt.body; edits may override it.
			resp, body := f.do(r)
			got := problemOf(t, resp, body, tt.status)
			if got.Type != tt.probType {
				t.Errorf("problem type %q, want %q (detail %q)", got.Type, tt.probType, got.Detail)
			}
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if sums := f.summaries(); len(sums) != 0 {
		t.Errorf("rejected PUTs stored %d profiles: %+v", len(sums), sums)
	}
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func TestPut_BodyTooLarge(t *testing.T) {
	f := newFixture(t, nil)
	const size = 33 << 20
	id := uuid.NewString()
	tests := []struct {
		name          string
		contentLength int64
	}{
		{"declared length", size},
		{"chunked", -1}, // the limit must hold while reading, not only on the header
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/v1/profiles/"+id, io.LimitReader(zeros{}, size))
			r.ContentLength = tt.contentLength
			r.Header.Set("Content-Type", api.EnvelopeMediaType)
			r.Header.Set(api.HeaderIdempotencyKey, id)
			r.Header.Set(api.HeaderContentDigest, "sha-256=:AAAA:")
			f.withCert(r, testDevice)
			w := httptest.NewRecorder()
			f.srv.Handler().ServeHTTP(w, r)
			problemOf(t, w.Result(), w.Body.Bytes(), http.StatusRequestEntityTooLarge)
		})
	}
}

func TestStatus_Unknown(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(f.deviceRequest("GET", "/v1/profiles/"+uuid.NewString()+"/status", nil))
	problemOf(t, resp, body, http.StatusNotFound)

	resp, body = f.doAs("", f.deviceRequest("GET", "/v1/profiles/"+uuid.NewString()+"/status", nil))
	problemOf(t, resp, body, http.StatusUnauthorized)
}

func TestRouting_Problems(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/profiles/" + uuid.NewString(), 405, "PUT"},
		{"DELETE", "/v1/profiles/" + uuid.NewString(), 405, "PUT"},
		{"GET", "/v1/accounts/lookup", 405, "POST"},
		{"GET", "/nowhere", 404, ""},
		{"GET", "/v2/profiles", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := f.do(f.deviceRequest(tt.method, tt.path, nil))
			problemOf(t, resp, body, tt.status)
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(mustRequest(t, "GET", f.ts.URL+"/healthz"))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %d %s, want 200", resp.StatusCode, body)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
