package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/whep/wheptest"
	"github.com/idkiosk/idkiosk/cmd/internal/enroll"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// TestLogs_NoPersonalDataOrSecrets is Done-when 4 of the fleet issue:
// after a full flow through a real kioskd and verifyd, no log line of
// either holds a learner's name or email, or a secret: the enrollment code,
// the device's private keys, an admin or metrics token (right or wrong),
// the staff PIN (right or wrong), the review password. Every line is JSON
// (log/slog), as journald and log shippers expect.
//
// The flow: the kiosk enrolls (again) with a code while verifyd logs; a
// learner whose email has no account completes a profile (account lookup,
// photos, submit, delivery); a reviewer approves it; the learner checks
// the status by email; staff open staff mode with a wrong PIN, then the
// right one, and leave; an admin reads the status page and watches the
// preview, another tries a wrong token; Prometheus scrapes, and once with
// a wrong token; a heartbeat reaches the fleet page; both stop on SIGTERM.
func TestLogs_NoPersonalDataOrSecrets(t *testing.T) {
	const (
		name       = "Zoë Quillfeather-Ørsted"
		email      = "zoe.quillfeather@example.org"
		wrongAdmin = "e2e-wrong-admin-9d8c7b6a5f4e3d2c1b0a"
		wrongScrap = "e2e-wrong-scrape-0a1b2c3d4e5f6a7b8c9d"
		wrongPIN   = "000000"
	)
	admin := freeAddr(t)
	keys := opsKeys(t, admin)
	keys["heartbeat.interval"] = `"5s"`
	e := newEnv(t, keys)
	e.startVerifyd()

	// Enroll again with a code of our own, so verifyd's log covers a
	// redemption and the test knows the code to look for.
	out, err := e.s.Verifyd("-add-device", e.s.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(out[strings.LastIndexByte(strings.TrimSpace(out), '\n')+1:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := enroll.Run(ctx, enroll.Options{DataDir: e.s.Path("kiosk"), DeviceID: e.s.DeviceID,
		ServiceURL: e.s.ServiceURL(), Code: code, CAFile: e.s.ServiceCA()}); err != nil {
		t.Fatalf("enroll with a fresh code: %v", err)
	}
	e.startKioskd()

	// The learner.
	done := e.completeProfile(email, name, false)
	rec := e.arrived(done.Ref)[done.Ref]
	if p := e.profile(rec.ID); p.FullName != name || p.Email != email {
		t.Fatalf("the service decrypted %q <%s>, want %q <%s>", p.FullName, p.Email, name, email)
	}
	e.decide(rec.ID, api.StateApproved, "")
	e.do(session.Action{Type: session.ActCheckStatus})
	e.do(session.Action{Type: session.ActStatusLookup, Email: email})
	e.waitState("status looked up", func(s session.State) bool { return s.Step == session.StepStatus && !s.Checking })
	e.do(session.Action{Type: session.ActFinish})

	// Staff.
	// The PIN is checked in the background (scrypt): wait for each answer.
	checked := func(s session.State) bool { return s.Staff != nil && !s.Staff.Checking }
	e.do(session.Action{Type: session.ActStaffOpen})
	e.do(session.Action{Type: session.ActStaffUnlock, PIN: wrongPIN})
	if st := e.waitState("the wrong PIN checked", checked); st.Staff.Unlocked {
		t.Fatalf("a wrong staff PIN unlocked staff mode")
	}
	e.do(session.Action{Type: session.ActStaffUnlock, PIN: e.s.StaffPIN})
	if st := e.waitState("the right PIN checked", checked); !st.Staff.Unlocked {
		t.Fatalf("the staff PIN did not unlock staff mode: message %+v", st.Message)
	}
	e.do(session.Action{Type: session.ActStaffExit})

	// Admins and Prometheus.
	ac := e.adminClient()
	for tok, want := range map[string]int{adminToken: http.StatusOK, wrongAdmin: http.StatusUnauthorized} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+admin+"/api/status", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := ac.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("admin status with token %.12s…: %d, want %d", tok, resp.StatusCode, want)
		}
	}
	v, err := wheptest.Watch(ctx, ac, "https://"+admin+"/whep", adminToken)
	if err != nil {
		t.Fatalf("watch the preview: %v", err)
	}
	if err := v.WaitFrames(ctx, 5); err != nil {
		t.Fatalf("preview frames: %v", err)
	}
	v.Delete(ctx)
	e.scraper(admin, metricsToken).scrape()
	if code, _ := e.scraper(admin, wrongScrap).get(); code != http.StatusUnauthorized {
		t.Errorf("a wrong metrics token: status %d, want 401", code)
	}
	e.waitFleet("the kiosk on the fleet page", func(d fleetRow) bool { return d.LastSeen != nil })

	e.stop(e.kioskd)
	e.stop(e.verifyd)

	logs := e.logs.String()
	secrets := map[string]string{
		"the learner's name":        name,
		"the learner's family name": "Quillfeather",
		"the learner's email":       email,
		"the email's local part":    "zoe.quillfeather",
		"the enrollment code":       code,
		"the enrollment code, bare": strings.ReplaceAll(code, "-", ""),
		"the admin token":           adminToken,
		"a wrong admin token":       wrongAdmin,
		"the metrics token":         metricsToken,
		"a wrong metrics token":     wrongScrap,
		"the review password":       e.s.ReviewPassword,
		"a private key":             "PRIVATE KEY",
	}
	for _, f := range []string{"tls.key", "signing.key"} {
		for i, line := range pemBody(t, filepath.Join(e.s.KioskIdentityDir(), f)) {
			secrets[fmt.Sprintf("%s line %d", f, i+1)] = line
		}
	}
	lower := strings.ToLower(logs)
	for what, s := range secrets {
		if s != "" && strings.Contains(lower, strings.ToLower(s)) {
			t.Errorf("%s appears in the logs", what)
		}
	}
	for what, pin := range map[string]string{"the staff PIN": e.s.StaffPIN, "a wrong staff PIN": wrongPIN} {
		// Whole numbers only: a six-digit run inside a timestamp is not a PIN.
		if regexp.MustCompile(`(^|[^0-9])` + regexp.QuoteMeta(pin) + `([^0-9]|$)`).MatchString(logs) {
			t.Errorf("%s appears in the logs", what)
		}
	}

	lines := 0
	for line := range strings.Lines(logs) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lines++
		var rec struct {
			Time  time.Time `json:"time"`
			Level string    `json:"level"`
			Msg   string    `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Time.IsZero() || rec.Level == "" || rec.Msg == "" {
			t.Errorf("not a JSON log line with time, level and msg: %.200s", line)
		}
	}
	// The flow above logs plenty; a silent kioskd would pass vacuously.
	for _, want := range []string{"kioskd serving", "verifyd listening", "staff mode opened", "review decision"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %q line: the scan would not see what it should", want)
		}
	}
	t.Logf("%d log lines scanned", lines)
}

// pemBody returns the base64 lines of a PEM file (a private key).
func pemBody(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	var lines []string
	for line := range bytes.Lines(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes})) {
		l := strings.TrimSpace(string(line))
		if l != "" && !strings.HasPrefix(l, "-----") && len(l) >= 16 {
			lines = append(lines, l)
		}
	}
	return lines
}
