package stack

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Options describe one deployment.
type Options struct {
	Dir         string // state: keys, queue, service data; created 0700
	Bin         string // directory with the verifyd and kioskd binaries
	VerifydAddr string // host:port for verifyd; default 127.0.0.1:8700
	KioskAddr   string // host:port for the kiosk UI; default 127.0.0.1:8080
	DeviceID    string // default "dev-kiosk-1"
	Accounts    []string
	Demo        bool // show the simulation panel in the kiosk UI
	// Camera is a V4L2 device (ideally a /dev/v4l/by-id/ path) for kioskd
	// to use instead of the simulated camera; empty: simulated.
	Camera string
	// ServiceHosts are extra names or addresses verifyd's certificate must
	// cover, for a test that reaches it by another name than its address.
	ServiceHosts []string
	// Kioskd overrides kioskd.toml keys: "section.key" -> TOML literal,
	// e.g. "service.max_backoff": `"1s"` for tests that wait for a retry.
	Kioskd map[string]string
	// ServiceOnly prepares the service alone: no kioskd config, no
	// enrollment (the virtual appliance enrolls itself, vm.go).
	ServiceOnly bool
}

// Stack is a prepared deployment.
type Stack struct {
	Options
	ReviewPassword string
	KioskConfig    string // path of kioskd.toml
	StaffPIN       string // unlocks staff mode, which may override a failed photo check (quality.go)
}

// Prepare creates the state directory on first use (service key pair,
// review password, kioskd config, and the kiosk enrolled with the service:
// verifyd runs for that moment, see enrollOnce) and reuses what is already
// there, so `make run` keeps its queue and the service its profiles across
// restarts.
func Prepare(o Options) (*Stack, error) {
	if o.VerifydAddr == "" {
		o.VerifydAddr = "127.0.0.1:8700"
	}
	if o.KioskAddr == "" {
		o.KioskAddr = "127.0.0.1:8080"
	}
	if o.DeviceID == "" {
		o.DeviceID = "dev-kiosk-1"
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	o.Dir = abs
	if o.Bin, err = filepath.Abs(o.Bin); err != nil {
		return nil, err
	}
	for _, d := range []string{o.Dir, o.path("keys"), o.path("verifyd"), o.path("kiosk"), o.path("kiosk-tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", d, err)
		}
	}
	s := &Stack{Options: o, KioskConfig: o.path("kiosk", "kioskd.toml")}

	pubs, _ := filepath.Glob(o.path("keys", "*.pub"))
	if len(pubs) == 0 {
		if _, err := s.Verifyd("-genkey"); err != nil {
			return nil, err
		}
		if pubs, _ = filepath.Glob(o.path("keys", "*.pub")); len(pubs) != 1 {
			return nil, fmt.Errorf("verifyd -genkey wrote %d public keys", len(pubs))
		}
	}

	pwFile := o.path("verifyd", "review-password")
	if b, err := os.ReadFile(pwFile); err == nil {
		s.ReviewPassword = strings.TrimSpace(string(b))
	} else {
		s.ReviewPassword = randomHex(12)
		if err := os.WriteFile(pwFile, []byte(s.ReviewPassword+"\n"), 0o600); err != nil {
			return nil, err
		}
	}

	if err := os.WriteFile(o.path("verifyd", "accounts"), []byte(strings.Join(o.Accounts, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	if o.ServiceOnly {
		return s, nil
	}
	if err := s.writeKioskConfig(); err != nil {
		return nil, err
	}
	if err := s.enrollOnce(); err != nil {
		return nil, err
	}
	return s, nil
}

func (o Options) path(parts ...string) string {
	return filepath.Join(append([]string{o.Dir}, parts...)...)
}

// Path returns a path inside the state directory.
func (s *Stack) Path(parts ...string) string { return s.path(parts...) }

// Verifyd runs the verifyd binary with args and the stack's -data and
// -keys (for -add-device, -revoke-device, -genkey) and returns its stdout.
func (s *Stack) Verifyd(args ...string) (string, error) {
	args = append(args, "-data", s.path("verifyd"), "-keys", s.path("keys"), "-listen", s.VerifydAddr)
	cmd := exec.Command(filepath.Join(s.Bin, "verifyd"), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("verifyd %s: %w\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

func (s *Stack) writeKioskConfig() error {
	keys := map[string]string{
		"device.id":       strconv.Quote(s.DeviceID),
		"device.data_dir": strconv.Quote(s.path("kiosk")),
		"ui.listen":       strconv.Quote(s.KioskAddr),
		"ui.demo":         strconv.FormatBool(s.Demo),
		"camera.driver":   `"sim"`,
		"cradle.driver":   `"sim"`,
		"service.url":     strconv.Quote(s.ServiceURL()),
	}
	if s.Camera != "" {
		keys["camera.driver"], keys["camera.device"] = `"v4l2"`, strconv.Quote(s.Camera)
	}
	if err := s.qualityKeys(keys); err != nil {
		return err
	}
	maps.Copy(keys, s.Kioskd)
	sections := map[string][]string{}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		sec, key, _ := strings.Cut(k, ".")
		sections[sec] = append(sections[sec], key+" = "+keys[k])
	}
	var b strings.Builder
	b.WriteString("# Written by the dev stack on every start; see docs/kioskd.example.toml for every key.\n")
	for _, sec := range slices.Sorted(maps.Keys(sections)) {
		fmt.Fprintf(&b, "\n[%s]\n%s\n", sec, strings.Join(sections[sec], "\n"))
	}
	return os.WriteFile(s.KioskConfig, []byte(b.String()), 0o600)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// adminTokenName is the token's name in kioskd's audit log.
const adminTokenName = "dev-admin"

// AdminToken returns the admin token of the stack in dir, made once and
// kept (0600) like the review password, and the admin.tokens value that
// lets it in: only its SHA-256 goes into kioskd's config.
func AdminToken(dir string) (token, tokens string, err error) {
	file := filepath.Join(dir, "admin-token")
	if b, err := os.ReadFile(file); err == nil {
		token = strings.TrimSpace(string(b))
	} else {
		token = randomHex(32)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
			return "", "", err
		}
	}
	sum := sha256.Sum256([]byte(token))
	return token, fmt.Sprintf("[%q]", adminTokenName+":2:"+hex.EncodeToString(sum[:])), nil
}
