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
)

// qualityKeys points kioskd at pigo's face cascade beside the binaries
// (make build and the end-to-end tests put it there) and gives the stack a
// staff code for photo overrides, made once and kept like the review
// password.
func (s *Stack) qualityKeys(keys map[string]string) error {
	file := s.path("kiosk", "staff.code")
	if b, err := os.ReadFile(file); err == nil {
		s.StaffCode = strings.TrimSpace(string(b))
	} else {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return err
		}
		s.StaffCode = fmt.Sprintf("%06d", n)
		if err := os.WriteFile(file, []byte(s.StaffCode+"\n"), 0o600); err != nil {
			return err
		}
	}
	if cascade := s.cascade(); cascade != "" {
		keys["quality.cascade"] = strconv.Quote(cascade)
	}
	keys["quality.staff_code_file"] = strconv.Quote(file)
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
