package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// cascadeName is the file make build copies from pigo's module next to
// the binaries; kioskd looks for it there unless quality.cascade says
// otherwise.
const cascadeName = "facefinder"

// analyzerName goes into every profile's quality report, so a reviewer (or
// a later analysis) knows which checks produced the numbers.
const analyzerName = "idkiosk-quality/1 pigo-1.4.6-facefinder"

// wireQuality turns on the photo checks: it loads the face cascade, builds
// the analyzer from [quality], and gives the session the preview to watch.
// A kiosk without its cascade does not start: it would otherwise either
// refuse every photo or check none.
func wireQuality(cfg *config.Config, hub *capture.Hub, deps *session.Deps, log *slog.Logger) (session.QualityConfig, error) {
	q := cfg.Quality
	path, err := cascadePath(q.Cascade)
	if err != nil {
		return session.QualityConfig{}, err
	}
	det, err := quality.LoadDetector(path)
	if err != nil {
		return session.QualityConfig{}, fmt.Errorf("quality: %w (make build copies it to bin/%s; or set quality.cascade)", err, cascadeName)
	}
	th := q.Thresholds()
	deps.Assessor = quality.NewAnalyzer(det, th)
	deps.Frames = hub
	log.Info("photo checks on", "cascade", path, "overrides", cfg.Staff.PINHash != "",
		"manual_after", q.ManualAfter, "guidance_fps", q.GuidanceFPS)
	return session.QualityConfig{
		ManualAfter:   q.ManualAfter,
		OverrideAfter: q.OverrideAfter, // in staff mode (staff.go)
		GuidanceFPS:   q.GuidanceFPS,
		StableWindow:  q.StableWindow,
		Analyzer:      analyzerName,
		Outline:       th.Card,
	}, nil
}

// cascadePath is the configured cascade, or facefinder beside the binary.
func cascadePath(configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("quality: find the face cascade beside kioskd: %w", err)
	}
	return filepath.Join(filepath.Dir(exe), cascadeName), nil
}
