package session

import (
	"context"
	"image"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/sync/api"
)

// Assessor judges pictures as photos (*quality.Analyzer implements it).
// With an Assessor wired (Deps.Assessor), no photo reaches the profile
// unless it passed every check or staff overrode the verdict.
type Assessor interface {
	Assess(img image.Image, t quality.Target) *quality.Assessment
	NewTracker(window time.Duration) *quality.Tracker
}

// Frames is the live preview the guidance watches (*capture.Hub
// implements it).
type Frames interface {
	Next(ctx context.Context, after uint64) (*capture.Frame, error)
}

// QualityConfig sets how photo quality is enforced. Zero values take the
// defaults below.
type QualityConfig struct {
	// ManualAfter is how long a photo step shows live guidance before the
	// manual capture button appears, so nobody is stuck waiting for an
	// auto-capture that does not come.
	ManualAfter time.Duration
	// OverrideAfter is how many failed captures of one photo let staff
	// accept the last one with a reason, in staff mode (Deps.PIN; without
	// it there are no overrides).
	OverrideAfter int
	// GuidanceFPS bounds how many preview frames a second are judged.
	GuidanceFPS float64
	// StableWindow is how long every check must hold before the kiosk
	// captures on its own.
	StableWindow time.Duration
	// Analyzer names the assessor in the profile's quality report.
	Analyzer string
	// Outline is where the card goes in the picture (the cradle's place,
	// quality.Thresholds.Card); the page draws it over the preview on the
	// ID steps. Empty: no outline.
	Outline quality.Region
}

// Defaults for QualityConfig.
const (
	DefaultManualAfter   = 10 * time.Second
	DefaultOverrideAfter = 3
	DefaultGuidanceFPS   = 10
	DefaultStableWindow  = 500 * time.Millisecond
)

func (c QualityConfig) withDefaults() QualityConfig {
	if c.ManualAfter <= 0 {
		c.ManualAfter = DefaultManualAfter
	}
	if c.OverrideAfter <= 0 {
		c.OverrideAfter = DefaultOverrideAfter
	}
	if c.GuidanceFPS <= 0 {
		c.GuidanceFPS = DefaultGuidanceFPS
	}
	if c.StableWindow <= 0 {
		c.StableWindow = DefaultStableWindow
	}
	return c
}

// QualityState is what the page shows about photo quality on a photo step.
type QualityState struct {
	// Guidance is the live advice from the preview, a catalogue key; ""
	// while nothing is wrong or nothing is judged.
	Guidance string `json:"guidance"`
	// Ready: every check holds on the preview; the kiosk captures once it
	// has held for the stable window.
	Ready bool `json:"ready"`
	// Manual: the capture button is offered.
	Manual bool `json:"manual"`
	// Failed counts the failed captures of this step's photo.
	Failed int `json:"failed"`
	// Override: staff may accept the last failed capture.
	Override bool `json:"override"`
	// Outline is where the ID goes, on the ID steps once the preview's
	// size is known.
	Outline *Outline `json:"outline,omitempty"`
}

// Outline is the card's place in the preview: fractions of the frame, and
// the frame's size so the page can line it up with the picture.
type Outline struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Right  float64 `json:"right"`
	Bottom float64 `json:"bottom"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
}

// Capture ways, as the quality report records them.
const (
	howAuto   = "auto"
	howManual = "manual"
	howCradle = "cradle"
)

// qualityState is the session's side of quality: per photo kind counts and
// the last failed capture, and the live monitor. Guarded by Session.mu.
type qualityState struct {
	cfg      QualityConfig
	assessor Assessor // nil: no checks (tests of other parts, or no detector)
	frames   Frames

	attempts map[api.PhotoKind]int
	failed   map[api.PhotoKind]int
	rejected map[api.PhotoKind]*photo // the last failed capture, for an override
	onReject RejectHook               // metrics; see observe.go

	monitor  *monitorJob
	guidance string
	ready    bool
	frameW   int // size of the last preview frame judged
	frameH   int

	manualStep  Step // the step the manual timer ran for
	manual      bool
	manualTimer Timer

	closed bool // shut down: no more monitors
}

func newQualityState(cfg QualityConfig, deps Deps) qualityState {
	return qualityState{
		cfg:      cfg.withDefaults(),
		assessor: deps.Assessor,
		frames:   deps.Frames,
		onReject: deps.OnReject,
		attempts: map[api.PhotoKind]int{},
		failed:   map[api.PhotoKind]int{},
		rejected: map[api.PhotoKind]*photo{},
	}
}

// checking reports whether photos are judged at all.
func (s *Session) checking() bool { return s.q.assessor != nil }

// target is what the photo of the current step must show.
func (s *Session) target(kind api.PhotoKind, mode string) quality.Target {
	t := quality.Target{Kind: quality.Kind(kind), Cradle: mode == modeCradle}
	if kind == api.PhotoFace && s.twoSided {
		t.Kind = quality.KindFaceWithID
	}
	return t
}

// syncQuality brings the monitor and the manual button in line with the
// state: guidance runs on a live photo step while nothing is being taken or
// waiting for "use this photo", except while a card lies in the cradle (the
// cradle captures it with the light on, and the unlit preview would only
// mislead). Called from changed, under mu.
func (s *Session) syncQuality() {
	if !s.checking() || s.q.closed {
		return
	}
	kind, photoStep := stepPhoto(s.step)
	live := photoStep && s.live && s.pending == nil

	// The manual button: ManualAfter into each visit of a photo step.
	if s.q.manualStep != s.step {
		s.q.manualStep = s.step
		s.q.manual = false
		if s.q.manualTimer != nil {
			s.q.manualTimer.Stop()
			s.q.manualTimer = nil
		}
	}
	if live && !s.q.manual && s.q.manualTimer == nil {
		step := s.step
		s.q.manualTimer = s.clock.AfterFunc(s.q.cfg.ManualAfter, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.q.manualStep == step && !s.q.manual {
				s.q.manual = true
				s.q.manualTimer = nil
				s.changed()
			}
		})
	}

	cradled := kind != api.PhotoFace && s.present && s.cradle != nil
	want := live && s.capture == nil && !cradled && s.q.frames != nil
	var t quality.Target
	if want {
		t = s.target(kind, modeHand)
	}
	if m := s.q.monitor; m != nil && (!want || m.target != t) {
		m.cancel()
		s.q.monitor = nil
		s.q.guidance, s.q.ready = "", false
	}
	if want && s.q.monitor == nil {
		s.startMonitor(t)
	}
}

// qualitySnapshot is the page's view, nil off the photo steps.
func (s *Session) qualitySnapshot() *QualityState {
	kind, ok := stepPhoto(s.step)
	if !s.checking() || !ok {
		return nil
	}
	qs := &QualityState{
		Guidance: s.q.guidance,
		Ready:    s.q.ready,
		Manual:   s.q.manual,
		Failed:   s.q.failed[kind],
		Override: s.overrideOffered(kind),
	}
	if o := s.q.cfg.Outline; kind != api.PhotoFace && o.Valid() && s.q.frameW > 0 {
		qs.Outline = &Outline{Left: o.Left, Top: o.Top, Right: o.Right, Bottom: o.Bottom, Width: s.q.frameW, Height: s.q.frameH}
	}
	return qs
}

// overrideOffered: staff may unlock staff mode here and accept the last
// failed capture of kind. Wrong PINs lock the keypad (staff.go), not the
// offer.
func (s *Session) overrideOffered(kind api.PhotoKind) bool {
	return s.staff.pin != nil &&
		s.q.failed[kind] >= s.q.cfg.OverrideAfter && s.q.rejected[kind] != nil &&
		s.capture == nil && s.pending == nil
}

// autoCaptured reports whether the kiosk is taking, or has just taken, the
// photo of kind by itself.
func (s *Session) autoCaptured(kind api.PhotoKind) bool {
	if s.capture != nil {
		return s.capture.how == howAuto && s.capture.kind == kind
	}
	return s.pending != nil && s.pending.kind == kind && s.pending.quality != nil && s.pending.quality.Capture == howAuto
}

// judge assesses a still. It runs without mu: decoding and measuring take
// milliseconds. A still that does not decode fails.
func (s *Session) judge(still capture.Still, t quality.Target) (*quality.Assessment, error) {
	img, err := decodeJPEG(still.JPEG)
	if err != nil {
		return nil, err
	}
	return s.q.assessor.Assess(img, t), nil
}

// report turns an assessment into the profile's record of it.
func (s *Session) report(kind api.PhotoKind, how string, as *quality.Assessment) *api.PhotoQuality {
	pq := &api.PhotoQuality{
		Kind:     kind,
		Capture:  how,
		Attempts: s.q.attempts[kind],
		Failed:   s.q.failed[kind],
		Passed:   as.Passed(),
	}
	for _, c := range as.Checks {
		pq.Checks = append(pq.Checks, api.QualityCheck{
			Name: c.Name, Value: finite(c.Value), Limit: finite(c.Limit), Max: c.Max, Pass: c.Pass,
		})
	}
	return pq
}

// judged applies the verdict on a still taken by job. A passing still
// becomes the pending photo; a failing one is kept aside for a possible
// override and the learner is told what to fix. Callers hold mu.
func (s *Session) judged(job *captureJob, still capture.Still, as *quality.Assessment) {
	kind := job.kind
	s.q.attempts[kind]++
	p := s.newPhoto(kind, still)
	if !as.Passed() {
		s.q.failed[kind]++
		s.q.reject(kind, as.Failed())
	}
	p.quality = s.report(kind, job.how, as)
	if as.Passed() {
		s.pending = p
		s.live = false
		return
	}
	s.log.Info("photo failed a quality check", "kind", kind, "how", job.how, "failed", as.Failed(),
		"attempt", s.q.attempts[kind])
	if old := s.q.rejected[kind]; old != nil {
		old.wipe()
	}
	s.q.rejected[kind] = p
	s.message = &Message{Key: as.Key()}
	s.q.guidance = as.Key()
}

// dropQuality forgets the failed captures kept for overrides (on leaving
// a step) or everything (on reset). Callers hold mu.
func (s *Session) dropQuality(all bool) {
	for k, p := range s.q.rejected {
		p.wipe()
		delete(s.q.rejected, k)
	}
	if all {
		clear(s.q.attempts)
		clear(s.q.failed)
	}
}

// photoPassed reports whether a photo may go into the profile: it passed
// every check, or staff accepted it. Without checks, every photo may.
func (s *Session) photoPassed(p *photo) bool {
	if !s.checking() {
		return true
	}
	return p.quality != nil && (p.quality.Passed || p.quality.Override != nil)
}
