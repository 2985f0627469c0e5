package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// fixture returns a data directory and a valid config text that uses it.
// (The kiosk's keys and certificate live in the data directory once it is
// enrolled; the config only says where the service is.)
func fixture(t *testing.T) (dir, valid string) {
	t.Helper()
	dir = t.TempDir()
	valid = fmt.Sprintf(`[device]
id = "kiosk-1"
data_dir = %q

[service]
url = "https://verify.example.org"
key_refresh = "30m"
`, dir)
	return dir, valid
}

func TestParse_Valid(t *testing.T) {
	dir, valid := fixture(t)
	cfg, err := Parse("kioskd.toml", []byte(valid+"\n[ui]\nidle_timeout = \"2m\"\nlanguages = [\"fr\", \"en\"]\ndefault_language = \"fr\"\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got, want := cfg.UI.IdleTimeout, 2*time.Minute; got != want {
		t.Errorf("ui.idle_timeout = %v, want %v", got, want)
	}
	if got, want := strings.Join(cfg.UI.Languages, ","), "fr,en"; got != want {
		t.Errorf("ui.languages = %v, want %v", got, want)
	}
	if got, want := cfg.Camera.Width, Default().Camera.Width; got != want {
		t.Errorf("camera.width = %d, want default %d", got, want)
	}
	if got, want := cfg.QueuePath(), dir+"/outbox.db"; got != want {
		t.Errorf("QueuePath() = %q, want %q", got, want)
	}
}

// TestParse_Problems checks that each mistake is reported with its key and
// line, and that several mistakes are all reported in one go.
func TestParse_Problems(t *testing.T) {
	_, valid := fixture(t)
	// valid has 7 lines, so appended text starts on line 8.
	tests := []struct {
		name  string
		extra string
		want  []Problem // Msg is matched as a substring
	}{
		{"unknown key with suggestion", "[ui]\nlisen = \"127.0.0.1:1\"\n",
			[]Problem{{Key: "ui.lisen", Line: 9, Msg: `did you mean "ui.listen"`}}},
		{"unknown section", "[camra]\nwidth = 640\n",
			[]Problem{{Key: "camra", Line: 8, Msg: "unknown key"}}},
		{"wrong types, all reported", "[camera]\nwidth = \"640\"\nfps = true\n[ui]\nidle_timeout = 90\n",
			[]Problem{
				{Key: "camera.width", Line: 9, Msg: `want an integer, got the string "640"`},
				{Key: "camera.fps", Line: 10, Msg: "want a number, got true"},
				{Key: "ui.idle_timeout", Line: 12, Msg: "want a duration string"},
			}},
		{"bad duration", "[ui]\nidle_timeout = \"soon\"\n",
			[]Problem{{Key: "ui.idle_timeout", Line: 9, Msg: `got "soon"`}}},
		{"UI not on loopback", "[ui]\nlisten = \"0.0.0.0:8080\"\n",
			[]Problem{{Key: "ui.listen", Line: 9, Msg: "must be a loopback address"}}},
		{"language without catalogue", "[ui]\nlanguages = [\"en\", \"de\"]\n",
			[]Problem{{Key: "ui.languages", Line: 9, Msg: `"de" has no catalogue`}}},
		{"list of wrong type", "[ui]\nlanguages = [\"en\", 3]\n",
			[]Problem{{Key: "ui.languages", Line: 9, Msg: "item 2: want a string"}}},
		{"v4l2 without device", "[camera]\ndriver = \"v4l2\"\n",
			[]Problem{{Key: "camera.device", Line: 0, Msg: "required with camera.driver"}}},
		{"warning not below timeout", "[ui]\nidle_timeout = \"30s\"\nidle_warning = \"30s\"\n",
			[]Problem{{Key: "ui.idle_warning", Line: 10, Msg: "below ui.idle_timeout"}}},
		{"duplicate table", "[service]\nurl = \"https://example.org\"\n",
			[]Problem{{Key: "service", Line: 8, Msg: "already exists"}}},
		{"integer out of range", "[queue]\nmax_items = 99999999999\n",
			[]Problem{{Key: "queue.max_items", Line: 9, Msg: "out of range"}}},
		{"negative size", "[queue]\nmax_mb = -1\n",
			[]Problem{{Key: "queue.max_mb", Line: 9, Msg: "want at least 1"}}},
		{"bad log level, localhost accepted", "[log]\nlevel = \"loud\"\n[ui]\nlisten = \"localhost:80\"\n",
			[]Problem{
				{Key: "log.level", Line: 9, Msg: `"loud": want debug`},
			}},
		{"syntax error", "[ui\n",
			[]Problem{{Line: 8, Msg: "TOML syntax"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kioskd.toml", []byte(valid+tt.extra))
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse error = %v, want *Problems", err)
			}
			if len(ps.List) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(ps.List), len(tt.want), err)
			}
			for i, want := range tt.want {
				got := ps.List[i]
				if (want.Key != "" && got.Key != want.Key) || got.Line != want.Line || !strings.Contains(got.Msg, want.Msg) {
					t.Errorf("problem %d = %+v, want key %q line %d msg containing %q", i, got, want.Key, want.Line, want.Msg)
				}
			}
		})
	}
}

func TestParse_MissingRequired(t *testing.T) {
	_, err := Parse("empty.toml", nil)
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse(empty) error = %v, want *Problems", err)
	}
	for _, key := range []string{"device.id"} {
		found := false
		for _, p := range ps.List {
			found = found || p.Key == key
		}
		if !found {
			t.Errorf("no problem reported for missing %s; got:\n%v", key, err)
		}
	}
}

// The kiosk authenticates with a client certificate and pins the service's
// CA: there is no plain-HTTP mode to fall back to.
func TestParse_ServiceURLMustBeHTTPS(t *testing.T) {
	_, valid := fixture(t)
	for _, url := range []string{"http://verify.example.org", "verify.example.org", "https://"} {
		text := strings.Replace(valid, "https://verify.example.org", url, 1)
		_, err := Parse("kioskd.toml", []byte(text))
		var ps *Problems
		if !errors.As(err, &ps) || len(ps.List) != 1 || ps.List[0].Key != "service.url" || ps.List[0].Line != 6 {
			t.Errorf("url %q: error %v, want one problem with service.url on line 6", url, err)
		}
	}
	text := strings.Replace(valid, `key_refresh = "30m"`, `key_refresh = "10ms"`, 1)
	if _, err := Parse("kioskd.toml", []byte(text)); err == nil || !strings.Contains(err.Error(), "service.key_refresh") {
		t.Errorf("key_refresh 10ms: error %v, want a service.key_refresh problem", err)
	}
}

// TestExample_ParsesAndIsCommitted keeps docs/kioskd.example.toml equal to
// what Example() renders, and proves that the rendered defaults are valid
// once the placeholders point at real files.
func TestExample_ParsesAndIsCommitted(t *testing.T) {
	ex := Example()
	committed, err := os.ReadFile("../../../docs/kioskd.example.toml")
	if err != nil {
		t.Fatalf("read committed example: %v (regenerate with: go run ./cmd/kioskd -print-config > docs/kioskd.example.toml)", err)
	}
	if string(committed) != string(ex) {
		t.Errorf("docs/kioskd.example.toml is stale; regenerate with: go run ./cmd/kioskd -print-config > docs/kioskd.example.toml")
	}
	if _, err := Parse("example", ex); err != nil {
		t.Errorf("the example does not parse: %v", err)
	}
	for _, line := range strings.Split(string(ex), "\n") {
		if strings.Contains(line, " = ") && strings.HasPrefix(line, "#") {
			t.Errorf("example has a commented-out key, keep keys live: %q", line)
		}
	}
}

func TestParse_ServiceURLWithCredentials(t *testing.T) {
	_, valid := fixture(t)
	text := strings.Replace(valid, "https://verify.example.org", "https://u:p@example.org", 1)
	_, err := Parse("kioskd.toml", []byte(text))
	var ps *Problems
	if !errors.As(err, &ps) || len(ps.List) != 1 {
		t.Fatalf("Parse error = %v, want exactly one problem", err)
	}
	if got := ps.List[0]; got.Key != "service.url" || got.Line != 6 || !strings.Contains(got.Msg, "credentials") {
		t.Errorf("problem = %+v, want service.url on line 6 about credentials", got)
	}
}
