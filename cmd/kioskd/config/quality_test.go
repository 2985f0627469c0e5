package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/capture/quality"
)

// TestQuality_DefaultsAreTheAnalyzers: the config's defaults are
// capture/quality's, where each is justified, and round-trip to it.
func TestQuality_DefaultsAreTheAnalyzers(t *testing.T) {
	_, valid := fixture(t)
	cfg, err := Parse("kioskd.toml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Quality.Thresholds(), quality.Default(); got != want {
		t.Errorf("default thresholds\n got %+v\nwant %+v", got, want)
	}
	if cfg.Quality.OverrideAfter != 3 || cfg.Quality.ManualAfter.Seconds() != 10 {
		t.Errorf("defaults: override after %d, manual after %s; want 3, 10s",
			cfg.Quality.OverrideAfter, cfg.Quality.ManualAfter)
	}
}

func TestQuality_Problems(t *testing.T) {
	dir, valid := fixture(t)
	code := filepath.Join(dir, "staff.code")
	if err := os.WriteFile(code, []byte("1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, extra, key, msg string
	}{
		{"brightness range upside down", "brightness_min = 200.0\nbrightness_max = 100.0\n", "quality.brightness_max", "above quality.brightness_min"},
		{"share above one", "glare_max = 1.5\n", "quality.glare_max", "want 0 to 1"},
		{"card region empty", "card_left = 0.6\ncard_right = 0.4\n", "quality.card_right", "right of quality.card_left"},
		{"glare level too low", "glare_level = 20\n", "quality.glare_level", "want 128 to 255"},
		{"guidance too slow", "guidance_fps = 0.5\n", "quality.guidance_fps", "want 1 to 30"},
		{"relative cascade path", "cascade = \"bin/facefinder\"\n", "quality.cascade", "absolute path"},
		// The staff code gave way to staff mode's PIN: the old key is
		// refused with the name of the new one.
		{"retired staff code", "staff_code_file = \"" + code + "\"\n", "quality.staff_code_file", "Set staff.pin_hash instead (make it with: kioskctl pin-hash)"},
		{"override never", "override_after = 0\n", "quality.override_after", "want 1 to 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kioskd.toml", []byte(valid+"\n[quality]\n"+tt.extra))
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse error = %v, want problems", err)
			}
			for _, p := range ps.List {
				if p.Key == tt.key && strings.Contains(p.Msg, tt.msg) && p.Line > 0 {
					return
				}
			}
			t.Errorf("no problem for %s containing %q with its line; got:\n%v", tt.key, tt.msg, err)
		})
	}
}
