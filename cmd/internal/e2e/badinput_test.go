package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// TestCheckConfig_ReportsEveryProblem runs `kioskd -check-config` as a
// technician would on a broken file.
func TestCheckConfig_ReportsEveryProblem(t *testing.T) {
	e := newEnv(t, nil)
	good, err := os.ReadFile(e.s.KioskConfig)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(binDir, "kioskd"), "-check-config", "-config", e.s.KioskConfig).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": ok") {
		t.Fatalf("valid config: %v\n%s", err, out)
	}

	bad := string(good) + "\n[log]\nlevle = \"debug\"\n[queue]\nmax_items = \"lots\"\n"
	path := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(path, []byte(bad), 0o600)
	lines := strings.Count(string(good), "\n")
	out, err = exec.Command(filepath.Join(binDir, "kioskd"), "-check-config", "-config", path).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("bad config: exit %v, want status 1\n%s", err, out)
	}
	for _, want := range []string{
		"2 problems",
		"line " + strconv.Itoa(lines+3) + `: log.levle: unknown key (did you mean "log.level"?)`,
		"line " + strconv.Itoa(lines+5) + `: queue.max_items: want an integer, got the string "lots"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}

	// kioskd itself refuses to start on it, with the same report.
	out, err = exec.Command(filepath.Join(binDir, "kioskd"), "-config", path).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "log.levle") {
		t.Errorf("kioskd started on a bad config: %v\n%s", err, out)
	}
}

// TestBadInput_ClearErrorsNothingLost sends what a broken page, a hostile
// page or an unusual learner would, to a running kiosk in the middle of a
// session, and checks each gets a clear message key while the session keeps
// what the learner already entered.
func TestBadInput_ClearErrorsNothingLost(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	e.do(session.Action{Type: session.ActStart})
	e.do(session.Action{Type: session.ActConsentAccept})

	if st, code := e.tryDo(session.Action{Type: session.ActEmailSubmit, Email: "ana@@example..org"}); code != http.StatusUnprocessableEntity || st.Message == nil || st.Message.Key != "email_invalid" {
		t.Errorf("malformed email: status %d message %+v, want 422 email_invalid", code, st.Message)
	}
	e.do(session.Action{Type: session.ActEmailSubmit, Email: "learner@example.com"})
	e.waitState("name step", func(s session.State) bool { return s.Step == session.StepName })

	names := []struct {
		name, key string
	}{
		{"", "name_empty"},
		{"   ", "name_empty"},
		{strings.Repeat("ش", 10000), "name_too_long"},
		{"Ana\x00Maria", "name_invalid_chars"},
	}
	for _, n := range names {
		st, code := e.tryDo(session.Action{Type: session.ActNameSubmit, Name: n.name})
		if code != http.StatusUnprocessableEntity || st.Message == nil || st.Message.Key != n.key {
			t.Errorf("name of %d bytes: status %d message %+v, want 422 %s", len(n.name), code, st.Message, n.key)
		}
		if st.Email != "learner@example.com" || st.Step != session.StepName {
			t.Errorf("after a refused name the session is on %s with email %q; want it kept", st.Step, st.Email)
		}
	}

	// A 10 MB body: refused before it is read into memory, with a key the
	// page can show; the session is untouched.
	resp := e.post("/api/action", bytes.Repeat([]byte("a"), 10<<20))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"key"`) {
		t.Errorf("10 MB body: status %d body %.200s, want 413 with a message key", resp.StatusCode, body)
	}
	if st := e.state(); st.Step != session.StepName || st.Email != "learner@example.com" {
		t.Errorf("after the 10 MB body the session is on %s with email %q; want it kept", st.Step, st.Email)
	}

	// Names in any script go through, normalised to NFC: "Zoë" typed with
	// a combining diaeresis arrives precomposed.
	st := e.do(session.Action{Type: session.ActNameSubmit, Name: "Zoe\u0308 李 مريم"})
	if st.Name != "Zo\u00eb 李 مريم" {
		t.Errorf("name stored as %q, want the NFC form %q", st.Name, "Zo\u00eb 李 مريم")
	}
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}
