package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

// fakeKiosk answers the status commands from canned values.
type fakeKiosk struct {
	status control.Status
	diag   control.Diagnosis
	keys   control.Keys
	logs   []string
	level  slog.Level // of the last Logs call
}

func (f *fakeKiosk) Status(context.Context) (control.Status, error)      { return f.status, nil }
func (f *fakeKiosk) Diagnose(context.Context) (control.Diagnosis, error) { return f.diag, nil }
func (f *fakeKiosk) Keys() (control.Keys, error)                         { return f.keys, nil }
func (f *fakeKiosk) Logs(limit int, level slog.Level) control.Logs {
	f.level = level
	l := control.Logs{}
	for _, s := range f.logs[:min(limit, len(f.logs))] {
		l.Records = append(l.Records, json.RawMessage(s))
	}
	return l
}

// serveStatus runs a control server with the status commands on a fresh
// socket.
func serveStatus(t *testing.T, src control.StatusSource) string {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "kioskd.sock")
	ln, err := control.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := control.New(nil)
	srv.HandleStatus(src)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return socket
}

func healthy() control.Status {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	oldest := now.Add(-5 * time.Minute)
	return control.Status{
		Time: now, Health: "ok",
		Device:    control.Device{ID: "kiosk-7", Version: "1.2.3", Service: "https://verify.example"},
		Queue:     control.QueueStats{Queued: 2, Oldest: &oldest, Delivered: 5, MaxItems: 5000, MaxBytes: 2 << 30},
		OldestAge: 300,
		Camera: control.Camera{Driver: "v4l2", State: "ok", Format: "MJPEG 640x480", FPS: 15,
			Checks: []control.Check{{ID: "camera.present", Status: "ok", Message: "connected"}}},
		Network: control.Network{Service: "https://verify.example", Reachable: true, Checked: &now, LatencyMS: 42},
		Disk:    control.Disk{Path: "/var/lib/idkiosk", FreeBytes: 3 << 30, TotalBytes: 8 << 30, MinFreeBytes: 64 << 20},
		Clock:   control.Clock{Now: now},
		Audit:   []control.AuditEvent{{Time: now, Source: "staff", Event: "staff_unlocked"}},
	}
}

func TestStatus(t *testing.T) {
	degraded := healthy()
	degraded.Health = "degraded"
	degraded.Alerts = []control.Alert{{Code: "dead_letters", Count: 2}}
	degraded.Camera.State = "disconnected"
	degraded.Camera.Checks = []control.Check{{ID: "camera.streaming", Status: "fail", Message: "No picture: the camera is disconnected."}}
	degraded.Network.Reachable, degraded.Network.Error = false, "connection refused"
	tests := []struct {
		name     string
		st       control.Status
		wantExit int
		wantOut  []string
	}{
		{"healthy", healthy(), exitOK, []string{"health:     ok", "queue:      2 waiting (oldest 5m0s)", "answers (42 ms)", "3.0 GiB free", "staff_unlocked"}},
		{"degraded", degraded, exitProblem, []string{"health:     degraded", "2 profile(s) refused by the service", "camera:     disconnected",
			"FAIL  No picture: the camera is disconnected.", "NOT REACHABLE: connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			socket := serveStatus(t, &fakeKiosk{status: tt.st})
			var out, errOut bytes.Buffer
			if got := run([]string{"status", "-socket", socket}, &out, &errOut); got != tt.wantExit {
				t.Errorf("exit = %d, want %d (stderr %q)", got, tt.wantExit, errOut.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			out.Reset()
			if got := run([]string{"status", "-json", "-socket", socket}, &out, &errOut); got != tt.wantExit {
				t.Errorf("-json: exit = %d, want %d", got, tt.wantExit)
			}
			var back control.Status
			if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Health != tt.st.Health || back.Queue.Queued != 2 {
				t.Errorf("-json: %v, health %q queued %d; want the status back", err, back.Health, back.Queue.Queued)
			}
		})
	}
}

func TestStatus_NoKiosk(t *testing.T) {
	var out, errOut bytes.Buffer
	socket := filepath.Join(t.TempDir(), "nobody-home.sock")
	for _, cmd := range []string{"status", "diagnose", "logs", "keys"} {
		if got := run([]string{cmd, "-socket", socket}, &out, &errOut); got != exitNoAnswer {
			t.Errorf("%s with no kioskd: exit = %d, want %d", cmd, got, exitNoAnswer)
		}
	}
}

func TestDiagnose(t *testing.T) {
	d := control.Diagnosis{OK: true, Camera: control.Camera{Driver: "sim", State: "ok",
		Checks: []control.Check{{ID: "camera.streaming", Status: "ok", Message: "Frames are arriving."}}}}
	bad := d
	bad.OK = false
	bad.Camera.Checks = []control.Check{{ID: "camera.present", Status: "fail", Message: "The configured camera /dev/video0 is not connected."}}
	for _, tt := range []struct {
		name string
		d    control.Diagnosis
		exit int
		want string
	}{
		{"passing", d, exitOK, "OK    Picture arriving: Frames are arriving."},
		{"failing", bad, exitProblem, "FAIL  Camera connected: The configured camera /dev/video0 is not connected."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			socket := serveStatus(t, &fakeKiosk{diag: tt.d})
			var out, errOut bytes.Buffer
			if got := run([]string{"diagnose", "-socket", socket}, &out, &errOut); got != tt.exit || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d output:\n%s\nwant exit %d and %q", got, out.String(), tt.exit, tt.want)
			}
		})
	}
}

func TestLogs(t *testing.T) {
	k := &fakeKiosk{logs: []string{
		`{"time":"2026-05-04T10:00:00Z","level":"WARN","msg":"camera unavailable","state":"disconnected","failures":3}`,
		`{"time":"2026-05-04T10:00:01Z","level":"INFO","msg":"camera reopening"}`,
	}}
	socket := serveStatus(t, k)
	var out, errOut bytes.Buffer
	if got := run([]string{"logs", "-n", "1", "-level", "warn", "-socket", socket}, &out, &errOut); got != exitOK {
		t.Fatalf("exit = %d (%s)", got, errOut.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 1 ||
		!strings.Contains(lines[0], "WARN  camera unavailable failures=3 state=disconnected") {
		t.Errorf("logs -n 1 printed %q, want the one warning with its attributes", out.String())
	}
	if k.level != slog.LevelWarn {
		t.Errorf("kioskd was asked for level %s, want WARN", k.level)
	}
	out.Reset()
	run([]string{"logs", "-json", "-socket", socket}, &out, &errOut)
	if got := strings.Split(strings.TrimSpace(out.String()), "\n"); len(got) != 2 || got[0] != k.logs[0] {
		t.Errorf("logs -json printed %q, want the records as kioskd wrote them", out.String())
	}
	if got := run([]string{"logs", "-level", "loud", "-socket", socket}, &out, &errOut); got != exitUsage {
		t.Errorf("logs -level loud: exit %d, want %d (kioskd refuses the level)", got, exitUsage)
	}
}

func TestKeys(t *testing.T) {
	k := control.Keys{Device: "kiosk-7", Signer: control.SignerKey{ID: "sig-1", PublicKey: make([]byte, 32)},
		Certificate: control.CertInfo{Subject: "CN=kiosk-7", Serial: "1f", SHA256: "ab12"},
		ServiceKeys: []control.ServiceKey{{KeyID: "k2", Current: true, SHA256: "cd34"}, {KeyID: "k1", SHA256: "ef56"}}}
	socket := serveStatus(t, &fakeKiosk{keys: k})
	var out, errOut bytes.Buffer
	if got := run([]string{"keys", "-socket", socket}, &out, &errOut); got != exitOK {
		t.Fatalf("exit = %d (%s)", got, errOut.String())
	}
	for _, want := range []string{"signing key:   sig-1", "CN=kiosk-7, serial 1f", "sha256 ab12", "k2 (suite", "current: new profiles are sealed to it", "k1 (suite"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("keys output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPINHash(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := runIn([]string{"pin-hash"}, strings.NewReader("  864213 \n"), &out, &errOut); got != exitOK {
		t.Fatalf("exit = %d (%s)", got, errOut.String())
	}
	if strings.Contains(out.String(), "864213") {
		t.Errorf("pin-hash printed the PIN: %q", out.String())
	}
	text := strings.TrimSpace(out.String())
	if !strings.HasPrefix(text, "[staff]\npin_hash = \"$scrypt$") {
		t.Fatalf("pin-hash printed %q, want a [staff] pin_hash line", text)
	}
	cfg, err := config.Parse("kioskd.toml", []byte("[device]\nid = \"k\"\n\n"+text+"\n"))
	if err != nil {
		t.Fatalf("the printed lines do not load: %v", err)
	}
	h, _ := config.ParsePINHash(cfg.Staff.PINHash)
	if !h.CheckPIN("864213") || h.CheckPIN("864214") {
		t.Error("the printed hash does not check the PIN it was made from")
	}
	for _, bad := range []string{"1234\n", "12345x\n", ""} {
		out.Reset()
		if got := runIn([]string{"pin-hash"}, strings.NewReader(bad), &out, &errOut); got != exitUsage || out.Len() != 0 {
			t.Errorf("pin-hash of %q: exit %d output %q, want %d and nothing printed", bad, got, out.String(), exitUsage)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"frobnicate"}, &out, &errOut); got != exitUsage || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("exit = %d stderr %q, want usage and %d", got, errOut.String(), exitUsage)
	}
	for _, want := range []string{"kioskctl diagnose", "kioskctl logs", "kioskctl keys", "kioskctl pin-hash", "4 no permission"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}
