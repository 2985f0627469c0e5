package whep

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/encode"
	"github.com/idkiosk/idkiosk/capture/simcam"
)

// Test tokens: the secrets a viewer sends, and the config lines that hold
// only their hashes.
const (
	secretAlice = "alice-0123456789abcdef0123456789abcdef"
	secretBob   = "bob-fedcba9876543210fedcba9876543210"
)

func tokenLine(name string, max int, secret string) Token {
	return Token{Name: name, Hash: HashToken(secret), MaxViewers: max}
}

// encoderCount wraps the real VP8 encoder and counts what the server
// makes it do.
type encoderCount struct {
	mu      sync.Mutex
	opens   int
	closes  int
	encodes int
}

func (c *encoderCount) get() (opens, closes, encodes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens, c.closes, c.encodes
}

type countedEncoder struct {
	encode.Encoder
	c *encoderCount
}

func (e *countedEncoder) Encode(in encode.Input) ([]encode.Packet, error) {
	e.c.mu.Lock()
	e.c.encodes++
	e.c.mu.Unlock()
	return e.Encoder.Encode(in)
}

func (e *countedEncoder) Close() error {
	e.c.mu.Lock()
	e.c.closes++
	e.c.mu.Unlock()
	return e.Encoder.Close()
}

// rig is a WHEP server on loopback fed by the simulated camera through
// the real VP8 encoder.
type rig struct {
	t        *testing.T
	srv      *Server
	http     *httptest.Server
	hub      *capture.Hub
	enc      *encoderCount
	auditLog string
	endpoint string

	mu      sync.Mutex
	viewers []int // every OnViewers call
}

const rigW, rigH = 320, 240

func newRig(t *testing.T, tune func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, hub: capture.NewHub(), enc: &encoderCount{}}
	cam := simcam.New(simcam.Options{Width: rigW, Height: rigH, FPS: 15})
	cam.SetScene(simcam.SceneIDFront)
	ctx, cancel := context.WithCancel(context.Background())
	camDone := make(chan struct{})
	go func() {
		defer close(camDone)
		(&capture.Runner{Camera: cam, Hub: r.hub}).Run(ctx)
	}()
	settings := encode.Settings{FPS: 15, BitrateKbps: 500, KeyframeInterval: time.Minute}
	live := &encode.Live{Hub: r.hub, Codec: encode.CodecVP8, Open: func(w, h int) (encode.Encoder, error) {
		e, err := encode.NewVP8(w, h, settings)
		if err != nil {
			return nil, err
		}
		r.enc.mu.Lock()
		r.enc.opens++
		r.enc.mu.Unlock()
		return &countedEncoder{Encoder: e, c: r.enc}, nil
	}}
	r.auditLog = filepath.Join(t.TempDir(), "audit.jsonl")
	audit, err := OpenAuditFile(r.auditLog)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Codec: encode.CodecVP8, Source: live,
		Tokens:              Tokens{tokenLine("alice", 10, secretAlice), tokenLine("bob", 1, secretBob)},
		UDP:                 "127.0.0.1:0",
		TCP:                 "127.0.0.1:0",
		DisconnectedTimeout: 400 * time.Millisecond,
		FailedTimeout:       400 * time.Millisecond,
		KeepaliveInterval:   100 * time.Millisecond,
		Audit:               audit,
		OnViewers: func(n int) {
			r.mu.Lock()
			r.viewers = append(r.viewers, n)
			r.mu.Unlock()
		},
	}
	if tune != nil {
		tune(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.srv = srv
	r.http = httptest.NewServer(srv.Handler())
	r.endpoint = r.http.URL + "/whep"
	t.Cleanup(func() {
		r.http.Close()
		srv.Close()
		audit.Close()
		cancel()
		<-camDone
	})
	return r
}

// eventually polls cond every 20 ms until it holds or 20 s pass.
func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) viewerCalls() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.viewers...)
}

// audit reads the audit file's events.
func (r *rig) audit() []Event {
	r.t.Helper()
	f, err := os.Open(r.auditLog)
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			r.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func (r *rig) request(method, path, token, contentType, body string) (*http.Response, problem) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.http.URL+path, nil)
	if body != "" {
		req, _ = http.NewRequest(method, r.http.URL+path, strings.NewReader(body))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var p problem
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		json.NewDecoder(resp.Body).Decode(&p)
	}
	return resp, p
}
