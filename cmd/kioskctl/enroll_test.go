package main

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/service"
)

// enrollEnv is a reference service over HTTPS with its development CA, and
// a kiosk config pointing at it.
type enrollEnv struct {
	svcDir, dataDir, config, caFile, fingerprint, url string
}

func newEnrollEnv(t *testing.T) *enrollEnv {
	t.Helper()
	e := &enrollEnv{svcDir: t.TempDir(), dataDir: t.TempDir()}
	key, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := service.New(service.Options{DataDir: e.svcDir, Keys: envelope.KeyRing{key.KeyID: key}})
	if err != nil {
		t.Fatal(err)
	}
	cert, ca, err := service.DevServerTLS(e.svcDir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.TLS = service.TLSConfig(cert)
	ts.StartTLS()
	t.Cleanup(func() { ts.Close(); srv.Close() })
	e.url, e.caFile, e.fingerprint = ts.URL, filepath.Join(e.svcDir, service.DevCACertFile), service.Fingerprint(ca)
	e.config = filepath.Join(t.TempDir(), "kioskd.toml")
	text := fmt.Sprintf("[device]\nid = \"kiosk-1\"\ndata_dir = %q\n\n[service]\nurl = %q\n", e.dataDir, e.url)
	if err := os.WriteFile(e.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *enrollEnv) code(t *testing.T, ttl time.Duration) string {
	t.Helper()
	code, _, err := service.AddDevice(e.svcDir, "kiosk-1", ttl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func kioskctl(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestEnroll(t *testing.T) {
	for _, tt := range []struct {
		name string
		pin  func(e *enrollEnv) []string
	}{
		{"CA file", func(e *enrollEnv) []string { return []string{"-ca", e.caFile} }},
		{"CA fingerprint", func(e *enrollEnv) []string { return []string{"-ca-fingerprint", e.fingerprint} }},
		{"CA fingerprint with colons, upper case", func(e *enrollEnv) []string {
			var parts []string
			for i := 0; i < len(e.fingerprint); i += 2 {
				parts = append(parts, strings.ToUpper(e.fingerprint[i:i+2]))
			}
			return []string{"-ca-fingerprint", strings.Join(parts, ":")}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnrollEnv(t)
			code := e.code(t, time.Hour)
			args := append([]string{"enroll", "-config", e.config, "-code", code}, tt.pin(e)...)
			exit, out, errOut := kioskctl(args...)
			if exit != exitOK || !strings.Contains(out, "enrolled kiosk-1") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and \"enrolled kiosk-1\"", exit, out, errOut)
			}
			id, err := identity.Load(e.dataDir)
			if err != nil {
				t.Fatalf("identity after enroll: %v", err)
			}
			if id.DeviceID != "kiosk-1" || id.ServiceURL != e.url {
				t.Errorf("identity %s at %s, want kiosk-1 at %s", id.DeviceID, id.ServiceURL, e.url)
			}
			if strings.Contains(out+errOut, "PRIVATE KEY") || strings.Contains(out+errOut, code) {
				t.Errorf("output shows a key or the code:\n%s%s", out, errOut)
			}

			// Enrolled: a second run needs -force, and then the used code
			// is refused by the service (single use), leaving the
			// enrollment as it was.
			if exit, _, errOut := kioskctl(args...); exit != exitProblem || !strings.Contains(errOut, "already enrolled") {
				t.Errorf("second enroll: exit %d stderr %q, want %d and \"already enrolled\"", exit, errOut, exitProblem)
			}
			exit, _, errOut = kioskctl(append(args, "-force")...)
			if exit != exitProblem || !strings.Contains(errOut, "already used") {
				t.Errorf("enroll -force with the used code: exit %d stderr %q, want %d and the service's refusal", exit, errOut, exitProblem)
			}
			if again, err := identity.Load(e.dataDir); err != nil || !again.Certificate.Equal(id.Certificate) {
				t.Errorf("a refused re-enrollment changed the identity: %v", err)
			}
		})
	}
}

func TestEnroll_Refused(t *testing.T) {
	other := newEnrollEnv(t) // another service, another CA
	for _, tt := range []struct {
		name string
		args func(e *enrollEnv, code string) []string
		exit int
		want string
	}{
		{"wrong CA fingerprint", func(e *enrollEnv, code string) []string {
			return []string{"-code", code, "-ca-fingerprint", other.fingerprint}
		}, exitProblem, "fingerprint"},
		{"CA file of another service", func(e *enrollEnv, code string) []string {
			return []string{"-code", code, "-ca", other.caFile}
		}, exitProblem, "certificate"},
		{"unknown code", func(e *enrollEnv, code string) []string {
			return []string{"-code", "AAAA-BBBB", "-ca", e.caFile}
		}, exitProblem, "unknown, already used, or expired"},
		{"no pin", func(e *enrollEnv, code string) []string { return []string{"-code", code} }, exitProblem, "-ca"},
		{"both pins", func(e *enrollEnv, code string) []string {
			return []string{"-code", code, "-ca", e.caFile, "-ca-fingerprint", e.fingerprint}
		}, exitProblem, "one of the two"},
		{"no code", func(e *enrollEnv, code string) []string { return []string{"-ca", e.caFile} }, exitUsage, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnrollEnv(t)
			code := e.code(t, time.Hour)
			exit, _, errOut := kioskctl(append([]string{"enroll", "-config", e.config}, tt.args(e, code)...)...)
			if exit != tt.exit || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", exit, errOut, tt.exit, tt.want)
			}
			if _, err := identity.Load(e.dataDir); err == nil {
				t.Error("a refused enrollment left the kiosk enrolled")
			}
			// The code still works: nothing above reached the point of
			// using it.
			if exit, out, errOut := kioskctl("enroll", "-config", e.config, "-code", code, "-ca", e.caFile); exit != exitOK {
				t.Errorf("the code afterwards: exit %d %s%s, want 0", exit, out, errOut)
			}
		})
	}
}

func TestEnroll_ExpiredCode(t *testing.T) {
	e := newEnrollEnv(t)
	code := e.code(t, time.Nanosecond)
	exit, _, errOut := kioskctl("enroll", "-config", e.config, "-code", code, "-ca", e.caFile)
	if exit != exitProblem || !strings.Contains(errOut, "expired") {
		t.Errorf("exit %d stderr %q, want %d and a refusal naming expiry", exit, errOut, exitProblem)
	}
}
