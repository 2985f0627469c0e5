package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/cmd/internal/enroll"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// authHealth is the part of kioskd's /healthz these tests read.
type authHealth struct {
	Queue struct {
		Queued, Dead, Delivered int
	} `json:"queue"`
	Upload struct {
		LastError string `json:"last_error"`
	} `json:"upload"`
}

func (e *env) authHealth() authHealth {
	e.t.Helper()
	var h authHealth
	e.getJSON(e.kioskURL()+"/healthz", "", &h)
	return h
}

// holdsQueue waits until the kiosk's uploader met the refusal want, then
// checks that the n profiles saved since are all still queued, none
// dead-lettered, and the service has none of them.
func (e *env) holdsQueue(want string, n, atService int) {
	e.t.Helper()
	e.eventually("the service's refusal ("+want+")", func() bool {
		return strings.Contains(e.authHealth().Upload.LastError, want)
	})
	h := e.authHealth()
	if h.Queue.Queued != n || h.Queue.Dead != 0 {
		e.t.Fatalf("after %q: %d queued, %d dead; want %d queued and nothing dead-lettered", want, h.Queue.Queued, h.Queue.Dead, n)
	}
	if got := len(e.received()); got != atService {
		e.t.Fatalf("the service holds %d profiles, want %d", got, atService)
	}
}

// reenroll stops the kiosk, enrolls it again (verifyd -add-device and the
// enrollment kioskctl runs) and starts it.
func (e *env) reenroll() {
	e.t.Helper()
	e.stop(e.kioskd)
	if err := e.s.Enroll(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.startKioskd()
}

// TestDeviceAuth_RefusedKioskKeepsItsQueue: a revoked kiosk (403) and a
// kiosk whose certificate was superseded by another enrollment of its
// device id (401, as an unknown certificate) keep every profile queued:
// nothing is dead-lettered, nothing lost. Enrolled again, the kiosk
// delivers each profile exactly once.
func TestDeviceAuth_RefusedKioskKeepsItsQueue(t *testing.T) {
	e := newEnv(t, fastRetries)
	e.startVerifyd()
	e.startKioskd()
	before := e.completeProfile("before@example.org", "Aiyana Redcloud", false)
	e.arrived(before.Ref)

	// 1. Revoked while running: 403 from the next request on.
	if _, err := e.s.Verifyd("-revoke-device", e.s.DeviceID); err != nil {
		t.Fatal(err)
	}
	a := e.completeProfile("a@example.org", "Bjørn Ødegård", false)
	b := e.completeProfile("b@example.org", "Chidi Okafor", true)
	e.holdsQueue("device is revoked", 2, 1)
	e.reenroll()
	e.arrived(a.Ref, b.Ref)

	// 2. Someone enrolls the same device id elsewhere (a replacement
	// kiosk, or a copy of the code): this kiosk's certificate no longer
	// identifies an enrolled device, 401.
	out, err := e.s.Verifyd("-add-device", e.s.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = enroll.Run(context.Background(), enroll.Options{
		DataDir: t.TempDir(), DeviceID: e.s.DeviceID, ServiceURL: e.s.ServiceURL(),
		Code: strings.TrimSpace(out), CAFile: e.s.ServiceCA(),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.completeProfile("c@example.org", "Dagny Þórsdóttir", false)
	e.holdsQueue("superseded", 1, 3)
	e.reenroll()
	e.arrived(c.Ref)

	e.eventually("the queue drained", func() bool { return e.authHealth().Queue.Queued == 0 })
	if h := e.authHealth(); h.Queue.Dead != 0 {
		t.Errorf("%d profiles dead-lettered, want none", h.Queue.Dead)
	}
	for _, p := range e.received() {
		if p.Stores != 1 {
			t.Errorf("profile %s stored %d times, want once", p.Reference, p.Stores)
		}
	}
	if len(e.received()) != 4 {
		t.Errorf("service holds %d profiles, want 4", len(e.received()))
	}
	e.stop(e.kioskd)
	e.stop(e.verifyd)
	e.noKeysInLogs()
}

// noKeysInLogs checks the kiosk's key files (0600) and that no line either
// process logged holds a private key or any slice of one.
func (e *env) noKeysInLogs() {
	e.t.Helper()
	logs := e.logs.String()
	if strings.Contains(logs, "PRIVATE KEY") {
		e.t.Error("a process logged a PEM private key")
	}
	for _, name := range []string{"signing.key", "tls.key"} {
		path := filepath.Join(e.s.KioskIdentityDir(), name)
		fi, err := os.Stat(path)
		if err != nil {
			e.t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			e.t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		block, _ := pem.Decode(b)
		if block == nil {
			e.t.Fatalf("%s is not PEM", name)
		}
		// Overlapping 32-character windows of the key as the file has it
		// in base64: a leaked key would show one of them.
		body := base64.StdEncoding.EncodeToString(block.Bytes)
		for i := 0; i+32 <= len(body); i += 16 {
			if strings.Contains(logs, body[i:i+32]) {
				e.t.Fatalf("the logs hold part of the kiosk's %s", name)
			}
		}
	}
}

// TestKeyRotation_OldEnvelopesStillAccepted: a profile sealed while the
// service is down stays sealed to the old key; the operator adds a new key
// (verifyd -genkey, newest is current) and restarts the service; the
// queued profile is accepted, and the kiosk, told the new key over its
// pinned connection, seals the next profile to it.
func TestKeyRotation_OldEnvelopesStillAccepted(t *testing.T) {
	e := newEnv(t, map[string]string{
		"service.min_backoff": `"200ms"`, "service.max_backoff": `"1s"`, "service.key_refresh": `"1s"`,
	})
	e.startVerifyd()
	e.startKioskd()
	e.stop(e.verifyd)
	queued := e.completeProfile("queued@example.org", "Emeka Nwosu", false)

	pubPath, err := e.s.Verifyd("-genkey")
	if err != nil {
		t.Fatal(err)
	}
	next, err := envelope.LoadPublicKey(strings.TrimSpace(pubPath))
	if err != nil {
		t.Fatal(err)
	}
	e.startVerifyd()
	e.arrived(queued.Ref)
	e.eventually("the kiosk to take the new key", func() bool {
		return strings.Contains(e.logs.String(), `"msg":"service key rotated"`) && strings.Contains(e.logs.String(), `"to":"`+next.KeyID+`"`)
	})
	fresh := e.completeProfile("fresh@example.org", "Farida Haddad", true)
	got := e.arrived(fresh.Ref)
	id := got[fresh.Ref].ID
	// verifyd logs the key each profile was sealed to (never its content).
	e.eventually("the fresh profile stored under the new key", func() bool {
		for line := range strings.SplitSeq(e.logs.String(), "\n") {
			var rec struct{ Msg, Profile, Key string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "profile stored" && rec.Profile == id {
				return rec.Key == next.KeyID
			}
		}
		return false
	})
	if p := e.profile(id); p.FullName != "Farida Haddad" {
		t.Errorf("review of the fresh profile: name %q", p.FullName)
	}
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}
