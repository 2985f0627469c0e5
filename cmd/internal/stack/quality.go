package stack

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
)

// qualityKeys points kioskd at pigo's face cascade beside the binaries
// (make build and the end-to-end tests put it there) and gives the stack a
// staff PIN for staff mode and photo overrides, made once and kept like
// the review password; kioskd gets only its hash.
func (s *Stack) qualityKeys(keys map[string]string) error {
	file := s.path("kiosk", "staff.pin")
	hashFile := file + ".hash"
	pin, errPIN := os.ReadFile(file)
	hash, errHash := os.ReadFile(hashFile)
	if errPIN == nil && errHash == nil {
		s.StaffPIN = strings.TrimSpace(string(pin))
	} else {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return err
		}
		s.StaffPIN = fmt.Sprintf("%06d", n)
		h, err := config.HashPIN(s.StaffPIN)
		if err != nil {
			return err
		}
		hash = []byte(h)
		if err := os.WriteFile(file, []byte(s.StaffPIN+"\n"), 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(hashFile, []byte(h+"\n"), 0o600); err != nil {
			return err
		}
	}
	if cascade := s.cascade(); cascade != "" {
		keys["quality.cascade"] = strconv.Quote(cascade)
	}
	keys["staff.pin_hash"] = strconv.Quote(strings.TrimSpace(string(hash)))
	return nil
}

// cascade finds pigo's face cascade: beside the binaries, as make build
// and the end-to-end tests leave it; else in pigo's module, for tests and
// benchmarks that build kioskd into a directory of their own. With
// neither (no Go toolchain), kioskd looks beside its own executable.
func (s *Stack) cascade() string {
	if p := filepath.Join(s.Bin, "facefinder"); fileExists(p) {
		return p
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil {
		return ""
	}
	if p := filepath.Join(strings.TrimSpace(string(out)), "cascade", "facefinder"); fileExists(p) {
		return p
	}
	return ""
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
