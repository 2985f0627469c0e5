package main

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/device/cradle"
	gpiocradle "github.com/idkiosk/idkiosk/device/cradle/gpio"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// Every cradle problem /healthz can report has a text in every language,
// and the params kioskd fills are exactly the text's placeholders.
func TestCradleProblem_Catalogued(t *testing.T) {
	tests := []struct {
		err     error
		key     string
		message string // the English text must contain it
	}{
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemNoGPIO}, "cradle.no_gpio", "no GPIO chip was found"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemChipMissing, Role: gpiocradle.RolePresent, Chip: "gpio-sim.3-node0"},
			"cradle.chip_missing", "“gpio-sim.3-node0” set in cradle.chip"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemLineMissing, Role: gpiocradle.RolePresent, Line: "CRADLE_PRESNT"},
			"cradle.line_missing", "no GPIO line is named “CRADLE_PRESNT” (cradle.present_line)"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemLineMissing, Role: gpiocradle.RoleLight, Line: "LAMP", Chip: "gpiochip2"},
			"cradle.line_missing_on_chip", "gpiochip2 has no line named “LAMP” (cradle.light_line)"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemLineBusy, Role: gpiocradle.RoleBusy, Line: "CRADLE_BUSY", Consumer: "gpioset@77"},
			"cradle.line_busy", "“CRADLE_BUSY” (cradle.busy_line) is in use by another program (gpioset@77)"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemLineBusy, Role: gpiocradle.RoleLight, Line: "L"},
			"cradle.line_busy", "another program (?)"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemNoPermission, Role: gpiocradle.RolePresent, Line: "P", Device: "/dev/gpiochip0"},
			"cradle.no_permission", "may not open /dev/gpiochip0 for the GPIO line “P” (cradle.present_line)"},
		{&gpiocradle.LineError{Problem: gpiocradle.ProblemLineFailed, Role: gpiocradle.RoleAttention, Line: "A", Err: errors.New("input/output error")},
			"cradle.line_failed", "“A” (cradle.attention_line) failed: input/output error"},
		{errors.New("cradle: gpio init: boom"), "cradle.fault", "not working: cradle: gpio init: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			key, params := cradleProblem(tt.err)
			if key != tt.key {
				t.Fatalf("key %q, want %q", key, tt.key)
			}
			for _, lang := range i18n.Languages() {
				c, _ := i18n.Catalogue(lang)
				text, ok := c[key]
				if !ok {
					t.Errorf("%s catalogue lacks %q", lang, key)
					continue
				}
				got := slices.Sorted(maps.Keys(params))
				want := slices.Sorted(slices.Values(i18n.Placeholders(text)))
				if !slices.Equal(got, want) {
					t.Errorf("%s %q: params %v, placeholders %v", lang, key, got, want)
				}
			}
			if msg := i18n.Lookup("en", key, params); !strings.Contains(msg, tt.message) {
				t.Errorf("message %q does not contain %q", msg, tt.message)
			}
		})
	}
}

func TestCradleHealth(t *testing.T) {
	missing := &gpiocradle.LineError{Problem: gpiocradle.ProblemLineMissing, Role: gpiocradle.RolePresent, Line: "X"}
	tests := []struct {
		name string
		hw   *hardware
		want *cradleHealth // Message and Detail checked for presence only
	}{
		{"no cradle", &hardware{}, nil},
		{"simulated", &hardware{cradle: cradle.NewSim()}, &cradleHealth{Driver: "sim", Status: "ok"}},
		{"gpio that did not open", &hardware{gpio: &gpioCradle{openErr: missing}},
			&cradleHealth{Driver: "gpio", Status: "fault", Problem: "cradle.line_missing",
				Params: map[string]string{"key": "cradle.present_line", "line": "X"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.hw.cradleHealth()
			if (got == nil) != (tt.want == nil) {
				t.Fatalf("cradleHealth() = %+v, want %+v", got, tt.want)
			}
			if got == nil {
				return
			}
			if got.Driver != tt.want.Driver || got.Status != tt.want.Status || got.Problem != tt.want.Problem ||
				!maps.Equal(got.Params, tt.want.Params) {
				t.Errorf("cradleHealth() = %+v, want %+v", got, tt.want)
			}
			if faulty := got.Status != "ok"; faulty != (got.Message != "" && got.Detail != "") {
				t.Errorf("status %s with message %q detail %q", got.Status, got.Message, got.Detail)
			}
		})
	}
}
