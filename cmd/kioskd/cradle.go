package main

import (
	"errors"
	"log/slog"

	pgpio "periph.io/x/conn/v3/gpio"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/device/cradle"
	gpiocradle "github.com/idkiosk/idkiosk/device/cradle/gpio"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// gpioCradle is the cradle on GPIO lines as kioskd holds it: open, or the
// reason it is not.
type gpioCradle struct {
	cradle  *gpiocradle.Cradle // nil when it could not be opened
	openErr error
}

// openGPIOCradle opens the cradle on the configured lines. A cradle that
// cannot be opened does not stop kioskd: learners hold their ID up to the
// camera instead, and /healthz says what is wrong and how to fix it. The
// returned cradle.Cradle is nil then (not a nil *gpiocradle.Cradle, which
// the session would take for a fitted cradle).
func openGPIOCradle(cfg config.Cradle) (cradle.Cradle, *gpioCradle) {
	pull := map[string]pgpio.Pull{"none": pgpio.PullNoChange, "up": pgpio.PullUp, "down": pgpio.PullDown}
	c, err := gpiocradle.Open(gpiocradle.Config{
		Chip:             cfg.Chip,
		Present:          cfg.PresentLine,
		Light:            cfg.LightLine,
		Ready:            cfg.ReadyLine,
		Busy:             cfg.BusyLine,
		Attention:        cfg.AttentionLine,
		PresentActiveLow: cfg.PresentActiveLow,
		PresentPull:      pull[cfg.PresentPull],
		LightActiveLow:   cfg.LightActiveLow,
		StatusActiveLow:  cfg.StatusActiveLow,
		Options:          gpiocradle.Options{Debounce: cfg.Debounce},
	})
	if err != nil {
		return nil, &gpioCradle{openErr: err}
	}
	return c, &gpioCradle{cradle: c}
}

// cradleHealth is the cradle's part of /healthz, the same record as in
// the control socket's status. Problem is a key of
// kiosk-ui/i18n/*/cradle.json with its Params, for staff screens in any
// language; Message is its English text and Detail the driver's own words,
// for whoever reads the JSON or the log.
type cradleHealth = control.Cradle

// health reports whether the cradle opened and every line still works.
func (g *gpioCradle) health() cradleHealth {
	h := cradleHealth{Driver: "gpio", Status: "ok"}
	err := g.openErr
	if err == nil {
		err = g.cradle.Health()
	}
	if err == nil {
		return h
	}
	h.Status, h.Detail = "fault", err.Error()
	h.Problem, h.Params = cradleProblem(err)
	h.Message = i18n.Lookup(i18n.Fallback, h.Problem, h.Params)
	return h
}

// cradleProblem turns a cradle error into a catalogue key and its params.
// Lines are named by their config key too, which reads the same in every
// language and is what staff must change.
func cradleProblem(err error) (string, map[string]string) {
	var le *gpiocradle.LineError
	if !errors.As(err, &le) {
		return "cradle.fault", map[string]string{"error": err.Error()}
	}
	line := map[string]string{"key": "cradle." + string(le.Role) + "_line", "line": le.Line}
	switch le.Problem {
	case gpiocradle.ProblemNoGPIO:
		return "cradle.no_gpio", nil
	case gpiocradle.ProblemChipMissing:
		return "cradle.chip_missing", map[string]string{"chip": le.Chip}
	case gpiocradle.ProblemLineMissing:
		if le.Chip == "" {
			return "cradle.line_missing", line
		}
		line["chip"] = le.Chip
		return "cradle.line_missing_on_chip", line
	case gpiocradle.ProblemLineBusy:
		line["consumer"] = le.Consumer
		if le.Consumer == "" {
			line["consumer"] = "?"
		}
		return "cradle.line_busy", line
	case gpiocradle.ProblemNoPermission:
		line["device"] = le.Device
		return "cradle.no_permission", line
	}
	line["error"] = "?"
	if le.Err != nil {
		line["error"] = le.Err.Error()
	}
	return "cradle.line_failed", line
}

// cradleHealth is nil when no cradle is fitted. The simulated cradle is
// always fine.
func (hw *hardware) cradleHealth() *cradleHealth {
	switch {
	case hw.gpio != nil:
		h := hw.gpio.health()
		return &h
	case hw.cradle != nil:
		return &cradleHealth{Driver: "sim", Status: "ok"}
	}
	return nil
}

// logCradle says once, at start, why the GPIO cradle is not in use.
func (hw *hardware) logCradle(log *slog.Logger) {
	if hw.gpio == nil || hw.gpio.openErr == nil {
		return
	}
	h := hw.gpio.health()
	log.Error("cradle unavailable; IDs are held up to the camera", "problem", h.Problem, "err", hw.gpio.openErr)
}
