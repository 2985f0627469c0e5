package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/service"
)

// logSink collects the JSON log and reports the listening address.
type logSink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addrc chan string
}

func (l *logSink) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "verifyd listening" {
			l.addrc <- rec.Addr
		}
	}
	return len(b), nil
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func runOut(t *testing.T, c config) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), c, &out, io.Discard); err != nil {
		t.Fatalf("run %+v: %v", c, err)
	}
	return strings.TrimSpace(out.String())
}

// TestVerifyd_EndToEnd goes through what an operator does: make a key,
// enroll a kiosk, start the service, receive a profile, review it, stop.
func TestVerifyd_EndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := config{
		listen:       "127.0.0.1:0",
		data:         filepath.Join(dir, "data"),
		keys:         filepath.Join(dir, "keys"),
		devices:      filepath.Join(dir, "devices.txt"),
		passwordFile: filepath.Join(dir, "password"),
		logLevel:     "debug",
	}
	gen := c
	gen.genkey = true
	pub, err := envelope.LoadPublicKey(runOut(t, gen))
	if err != nil {
		t.Fatalf("-genkey printed no usable .pub path: %v", err)
	}
	add := c
	add.addDevice = "kiosk-7"
	token := runOut(t, add)
	if err := os.WriteFile(c.passwordFile, []byte("review-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logSink{addrc: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, io.Discard, logs) }()
	var base string
	select {
	case addr := <-logs.addrc:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("verifyd stopped before listening: %v\n%s", err, logs)
	}

	p := profile(t, "kiosk-7")
	env, err := envelope.Seal(pub, p)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", base+"/v1/profiles/"+p.ID, bytes.NewReader(env))
	req.Header.Set("Content-Type", api.EnvelopeMediaType)
	req.Header.Set(api.HeaderIdempotencyKey, p.ID)
	req.Header.Set(api.HeaderContentDigest, api.ContentDigest(env))
	req.Header.Set(api.HeaderDeviceID, "kiosk-7")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: status %d, want 201", resp.StatusCode)
	}

	req, _ = http.NewRequest("GET", base+"/review/api/profiles/"+p.ID, nil)
	req.SetBasicAuth("reviewer", "review-pw")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got service.ReviewProfile
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || got.FullName != p.FullName || got.Email != p.Email {
		t.Errorf("review API: %q <%s> (%v), want %q <%s>", got.FullName, got.Email, err, p.FullName, p.Email)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("verifyd did not stop within a minute of its context ending")
	}
	for what, secret := range map[string]string{"name": p.FullName, "email": p.Email, "token": token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds the %s", what)
		}
	}
}

func TestVerifyd_Errors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		c    config
		want string
	}{
		{"bad log level", config{logLevel: "loud"}, "-log-level"},
		{"add-device without -devices", config{logLevel: "info", addDevice: "k"}, "-devices"},
		{"no keys", config{logLevel: "info", keys: dir, data: dir}, "-genkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.c, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func profile(t *testing.T, device string) *api.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 32, 24)), nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	p := &api.Profile{
		ID: uuid.NewString(), DeviceID: device, Created: now, Language: "es",
		Email: "ana@example.org", FullName: "Ana María Núñez", IDType: api.IDPassport,
	}
	for _, k := range api.RequiredPhotos(false) {
		p.Photos = append(p.Photos, api.Photo{Kind: k, Width: 32, Height: 24, Captured: now, Source: "sim", JPEG: buf.Bytes()})
	}
	return p
}
