package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// TestWireQuality: with its cascade kioskd checks photos; without, it
// refuses to start and says how to fix it.
func TestWireQuality(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Default()
	cfg.Quality.Cascade = qualitytest.Cascade(t)
	var deps session.Deps
	qc, err := wireQuality(&cfg, capture.NewHub(), &deps, log)
	if err != nil {
		t.Fatalf("wireQuality: %v", err)
	}
	if deps.Assessor == nil || deps.Frames == nil || qc.OverrideAfter != 3 || qc.Analyzer == "" || !qc.Outline.Valid() {
		t.Errorf("wired assessor %v frames %v, config %+v; want both, overrides after 3, an analyzer name and the card outline", deps.Assessor, deps.Frames, qc)
	}

	cfg.Quality.Cascade = filepath.Join(dir, "facefinder")
	if _, err := wireQuality(&cfg, capture.NewHub(), &session.Deps{}, log); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("missing cascade: %v, want an error saying make build copies it", err)
	}
}

func TestCascadePath_BesideTheBinary(t *testing.T) {
	got, err := cascadePath("")
	exe, _ := os.Executable()
	if err != nil || got != filepath.Join(filepath.Dir(exe), "facefinder") {
		t.Errorf("cascadePath(\"\") = %q, %v; want facefinder beside %s", got, err, exe)
	}
	if got, _ := cascadePath("/opt/x/facefinder"); got != "/opt/x/facefinder" {
		t.Errorf("configured path changed to %q", got)
	}
}
