// Package qualitytest finds what tests of photo quality need and the
// repository must not carry: pigo's face cascade and its sample photo, from
// the module cache, and real photos from Debian's python3-skimage package,
// fetched once into the git-ignored .cache/testimages.
//
// When something cannot be found the test is skipped with the reason,
// unless IDKIOSK_E2E=require (set by `make test`): then it fails, so CI
// can never pass without the real-image tests.
package qualitytest

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // pigo's sample photo
	_ "image/png"  // scikit-image's photos
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// pigoModule is the face detector's module; its cascade and sample photo
// live in the module cache.
const pigoModule = "github.com/esimov/pigo"

// Photos from python3-skimage (BSD-licensed scikit-image data; the
// photographs are public domain or the authors').
const (
	Astronaut = "astronaut.png" // Eileen Collins, frontal, head and shoulders
	Camera    = "camera.png"    // a cameraman in profile: no frontal face
	Chelsea   = "chelsea.png"   // a cat: not a face
)

var skimagePhotos = []string{Astronaut, Camera, Chelsea}

var pigoDir = sync.OnceValues(func() (string, error) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", pigoModule).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("go list -m %s: %w", pigoModule, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("go list -m %s: module not downloaded (go mod download %s)", pigoModule, pigoModule)
	}
	return dir, nil
})

// CascadePath returns the path of pigo's facefinder cascade in the module
// cache. It is for TestMain functions that copy it next to a binary; tests
// use Cascade.
func CascadePath() (string, error) {
	dir, err := pigoDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "cascade", "facefinder")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("face cascade: %w", err)
	}
	return p, nil
}

// Cascade returns the cascade's path, or skips (fails under
// IDKIOSK_E2E=require).
func Cascade(t testing.TB) string {
	t.Helper()
	p, err := CascadePath()
	if err != nil {
		unavailable(t, "pigo's face cascade: %v", err)
	}
	return p
}

// Sample returns pigo's sample photo: one real frontal face, 320x400.
func Sample(t testing.TB) image.Image {
	t.Helper()
	dir, err := pigoDir()
	if err != nil {
		unavailable(t, "pigo's sample photo: %v", err)
	}
	return decode(t, filepath.Join(dir, "testdata", "sample.jpg"))
}

// Photo returns one of scikit-image's photos (Astronaut, Camera, Chelsea),
// fetching the Debian package the first time.
func Photo(t testing.TB, name string) image.Image {
	t.Helper()
	dir, err := skimageDir()
	if err != nil {
		unavailable(t, "real test photos: %v", err)
	}
	return decode(t, filepath.Join(dir, name))
}

func decode(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		unavailable(t, "test photo: %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("IDKIOSK_E2E") == "require" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (skipped; IDKIOSK_E2E=require makes this a failure)")
}

// skimageDir returns .cache/testimages/skimage under the repository root
// with the photos in it, fetching python3-skimage with apt-get download
// (no install) when they are missing. Several test binaries may race to
// fetch: each works in its own temporary directory and renames the
// finished photos into place.
var skimageDir = sync.OnceValues(func() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".cache", "testimages", "skimage")
	if havePhotos(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "fetch-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := run("apt-get", "download", "python3-skimage"); err != nil {
		return "", err
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "python3-skimage_*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download python3-skimage left %d packages", len(debs))
	}
	if err := run("dpkg-deb", "-x", debs[0], "x"); err != nil {
		return "", err
	}
	data := filepath.Join(tmp, "x", "usr", "lib", "python3", "dist-packages", "skimage", "data")
	for _, name := range skimagePhotos {
		if err := os.Rename(filepath.Join(data, name), filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("python3-skimage: %w", err)
		}
	}
	return dir, nil
})

func havePhotos(dir string) bool {
	for _, name := range skimagePhotos {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// repoRoot walks up from the working directory (a test's package) to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
