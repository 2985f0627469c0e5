package agent

import (
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// overlay is the image's common rootfs overlay in this checkout.
func overlay(t *testing.T, parts ...string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "..", "buildroot", "board", "common")
	return filepath.Join(append([]string{root}, parts...)...)
}

// The image's own kioskd.service, read as the agent runs it: what it
// applies, and that everything else is listed as not applied.
func TestNewService_ImageKioskdUnit(t *testing.T) {
	u, err := ReadUnit(overlay(t, "rootfs-overlay", "usr", "lib", "systemd", "system", "kioskd.service"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(u)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"ExecStart", s.Exec, []string{"/usr/bin/kioskd", "-config", "/etc/idkiosk/kioskd.toml"}},
		{"User", s.User, "kioskd"},
		{"Group", s.Group, "kioskd"},
		{"SupplementaryGroups", s.Groups, []string{"video", "gpio"}},
		{"UMask", s.UMask, "0077"},
		{"Type", s.Type, "notify"},
		{"Restart", s.Restart, "always"},
		{"RestartSec", s.RestartSec, 2 * time.Second},
		{"TimeoutStopSec", s.TimeoutStopSec, 20 * time.Second},
		{"WatchdogSec", s.WatchdogSec, 30 * time.Second},
		{"ConditionPathExists", s.Conditions, []string{"/etc/idkiosk/kioskd.toml", "/data/idkiosk/identity/tls.crt"}},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, k := range []string{"ProtectSystem", "SystemCallFilter", "DeviceAllow"} {
		if !slices.Contains(s.NotApplied, k) {
			t.Errorf("NotApplied %v lacks %s: the log would hide that the VM does not apply it", s.NotApplied, k)
		}
	}
	for _, k := range []string{"User", "ExecStart", "UMask", "WatchdogSec"} {
		if slices.Contains(s.NotApplied, k) {
			t.Errorf("NotApplied lists %s, which the agent applies", k)
		}
	}
}

func equal(a, b any) bool {
	if as, ok := a.([]string); ok {
		return slices.Equal(as, b.([]string))
	}
	return a == b
}

// kiosk-browser.service spreads ExecStart over two lines.
func TestReadUnit_ContinuedLine(t *testing.T) {
	u, err := ReadUnit(overlay(t, "rootfs-overlay", "usr", "lib", "systemd", "system", "kiosk-browser.service"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Exec(u.Get("Service", "ExecStart"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/cog", "--platform=drm", "--bg-color=black", "--webprocess-failure=restart", "http://127.0.0.1:8080/"}
	if !slices.Equal(got, want) {
		t.Errorf("ExecStart = %q, want %q", got, want)
	}
}

func TestParseUnit_Errors(t *testing.T) {
	for _, text := range []string{"Key=value\n", "[Service]\nno equals sign\n"} {
		if _, err := parseUnit(strings.NewReader(text)); err == nil {
			t.Errorf("parseUnit(%q) = nil error, want one", text)
		}
	}
}

func TestExec(t *testing.T) {
	tests := []struct {
		line string
		want []string
		ok   bool
	}{
		{"/bin/true", []string{"/bin/true"}, true},
		{"-/usr/bin/x  -a 'b c' \"d e\"", []string{"/usr/bin/x", "-a", "b c", "d e"}, true},
		{`/bin/echo ""`, []string{"/bin/echo", ""}, true},
		{"kioskd -config x", nil, false},
		{"/bin/echo 'open", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, err := Exec(tt.line)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("Exec(%q) = %q, %v; want %q, ok=%v", tt.line, got, err, tt.want, tt.ok)
		}
	}
}

func TestTimeSpan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"2s", 2 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"5min", 5 * time.Minute},
		{"1h 30min", 90 * time.Minute},
		{"20", 20 * time.Second},
		{"30sec", 30 * time.Second},
	}
	for _, tt := range tests {
		if got, err := TimeSpan(tt.in); err != nil || got != tt.want {
			t.Errorf("TimeSpan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := TimeSpan("soon"); err == nil {
		t.Error(`TimeSpan("soon") = nil error, want one`)
	}
}
