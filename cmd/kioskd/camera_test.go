package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/diag"
	"github.com/idkiosk/idkiosk/capture/v4l2"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// Every message the camera checks can produce exists in every language, so
// staff never see a raw key.
func TestCameraMessages_InEveryCatalogue(t *testing.T) {
	for _, lang := range i18n.Languages() {
		c, _ := i18n.Catalogue(lang)
		for _, k := range diag.MessageKeys() {
			if _, ok := c[k]; !ok {
				t.Errorf("%s catalogue lacks %q", lang, k)
			}
		}
	}
}

// What staff read for a kiosk whose configured camera is not there: every
// check renders to a sentence with no placeholder left unfilled.
func TestDiagnostics_MissingCameraReadsWell(t *testing.T) {
	cfg := config.Default()
	cfg.Camera.Driver, cfg.Camera.Device = "v4l2", "/dev/v4l/by-id/usb-Missing_Camera-video-index0"
	cam := newCamera(&cfg, newV4L2Camera(cfg.Camera), capture.NewHub(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cam.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// The first open fails at once; wait for the runner to say so.
	deadline := time.Now().Add(10 * time.Second)
	for cam.runner.State() != capture.StateDisconnected && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	w := httptest.NewRecorder()
	cam.diagnostics().ServeHTTP(w, httptest.NewRequest("GET", "/api/diagnostics", nil))
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	var rep struct {
		Driver string        `json:"driver"`
		State  string        `json:"state"`
		Checks []diag.Result `json:"checks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("diagnostics: %v\n%s", err, w.Body)
	}
	if rep.Driver != "v4l2" || rep.State != "disconnected" {
		t.Errorf("driver %q state %q, want v4l2 and disconnected", rep.Driver, rep.State)
	}
	var ids []string
	for _, c := range rep.Checks {
		ids = append(ids, c.ID)
		for _, lang := range i18n.Languages() {
			text := i18n.Lookup(lang, c.Key, c.Params)
			if text == c.Key || strings.Contains(text, "{") {
				t.Errorf("%s %s reads %q", lang, c.Key, text)
			}
		}
	}
	if !slices.Equal(ids, diag.CheckIDs()) {
		t.Errorf("checks %v, want %v", ids, diag.CheckIDs())
	}
	present, _ := diag.Report{Checks: rep.Checks}.Check(diag.CheckPresent)
	want := "The configured camera /dev/v4l/by-id/usb-Missing_Camera-video-index0 is not connected. Check the USB cable, or plug the camera into another port."
	if got := i18n.Lookup("en", present.Key, present.Params); got != want {
		t.Errorf("staff read %q, want %q", got, want)
	}
}

func TestCameraFormats_MatchDriver(t *testing.T) {
	for _, f := range config.CameraFormats() {
		if !v4l2.ValidFormat(f) {
			t.Errorf("config accepts camera.format %q, which capture/v4l2 does not know", f)
		}
	}
}
