package session

import (
	"context"
	"errors"
	"slices"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/sync/api"
)

// Capture modes.
const (
	modeCradle = "cradle" // card in the cradle: light on for the still
	modeHand   = "hand"   // face, or an ID held up to the camera
)

// captureJob is one still being taken. The session's pointer to it is the
// ticket: whoever ends the job sets s.capture to nil under mu, and a result
// that arrives for a job that is no longer current is thrown away.
type captureJob struct {
	kind    api.PhotoKind
	mode    string
	how     string         // auto, manual or cradle: for the quality report
	target  quality.Target // what the still is judged as
	cancel  context.CancelCauseFunc
	settle  Timer
	timeout Timer
}

var (
	errCaptureTimeout = errors.New("capture timed out")
	errCaptureEnded   = errors.New("capture abandoned")
)

func (s *Session) captureAction(ctx context.Context, a Action) error {
	kind, ok := stepPhoto(s.step)
	if ok && (a.Kind == "" || a.Kind == kind) && s.autoCaptured(kind) {
		// The kiosk took the photo by itself as the learner tapped: the
		// tap has what it asked for.
		return nil
	}
	if !ok || s.capture != nil || s.pending != nil || (a.Kind != "" && a.Kind != kind) {
		return notAllowed()
	}
	// With checks on the page offers the button only after ManualAfter,
	// but a capture is accepted at any time: every still is judged the
	// same way, so tapping early gains nothing.
	mode := modeHand
	if kind != api.PhotoFace && s.cradle != nil && s.cradle.Present() {
		mode = modeCradle
	}
	s.live = true
	s.startCapture(ctx, mode, false)
	return nil
}

func (s *Session) retake(a Action) error {
	if s.step == StepReview {
		step, ok := photoStep(a.Kind)
		if !ok || !slices.Contains(api.RequiredPhotos(s.twoSided), a.Kind) {
			return notAllowed()
		}
		s.returnToReview = true
		s.goTo(step)
		s.live = true
		return nil
	}
	kind, ok := stepPhoto(s.step)
	switch {
	case !ok || s.capture != nil || (a.Kind != "" && a.Kind != kind):
		return notAllowed()
	case s.pending != nil:
		s.dropPending()
	case !s.live && s.photos[kind] != nil:
		// Keep the accepted photo until a new one is accepted: "back"
		// must not lose it.
	default:
		return notAllowed()
	}
	s.live = true
	return nil
}

func (s *Session) acceptPhoto(a Action) error {
	kind, ok := stepPhoto(s.step)
	if !ok || s.capture != nil || (a.Kind != "" && a.Kind != kind) {
		return notAllowed()
	}
	switch {
	case s.pending != nil:
		s.dropPhoto(kind)
		s.photos[kind] = s.pending
		s.pending = nil
	case !s.live && s.photos[kind] != nil:
		// "use this photo" on a photo accepted earlier
	default:
		return notAllowed()
	}
	s.advance()
	return nil
}

// startCapture begins taking a still for the current step. With settle, it
// first waits CradleSettle for the learner's hand to leave the card.
// Callers hold mu.
func (s *Session) startCapture(parent context.Context, mode string, settle bool) {
	kind, _ := stepPhoto(s.step)
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	job := &captureJob{kind: kind, mode: mode, cancel: cancel, how: howManual, target: s.target(kind, mode)}
	if mode == modeCradle {
		job.how = howCradle
	}
	s.capture = job
	var settled chan struct{}
	if settle {
		settled = make(chan struct{})
		job.settle = s.clock.AfterFunc(s.cfg.CradleSettle, func() { close(settled) })
	}
	go s.runCapture(ctx, job, settled)
}

func (s *Session) runCapture(ctx context.Context, job *captureJob, settled <-chan struct{}) {
	if settled != nil {
		select {
		case <-settled:
		case <-ctx.Done():
			return // whoever cancelled has already cleaned up
		}
	}
	s.mu.Lock()
	if s.capture != job {
		s.mu.Unlock()
		return
	}
	job.timeout = s.clock.AfterFunc(s.cfg.CaptureTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.capture == job {
			s.log.Warn("capture timed out", "kind", job.kind, "mode", job.mode)
			s.endCapture(KeyCaptureTimeout)
			s.changed()
		}
	})
	if job.mode == modeCradle {
		s.setLight(true)
		s.changed()
	}
	s.mu.Unlock()

	still, err := s.camera.Still(ctx)
	if err == nil && (len(still.JPEG) == 0 || still.Width <= 0 || still.Height <= 0) {
		err = errors.New("camera returned an empty still")
	}
	var verdict *quality.Assessment
	if err == nil && s.checking() {
		verdict, err = s.judge(still, job.target)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.capture != job {
		return // ended meanwhile: card removed, timeout, reset, step change
	}
	if err != nil {
		s.log.Warn("capture failed", "kind", job.kind, "mode", job.mode, "err", err)
		s.endCapture(KeyCaptureFailed)
		s.changed()
		return
	}
	s.endCapture("")
	if verdict != nil {
		s.judged(job, still, verdict)
	} else {
		s.pending = s.newPhoto(job.kind, still)
		s.live = false
	}
	s.changed()
}

func (s *Session) newPhoto(kind api.PhotoKind, still capture.Still) *photo {
	s.photoRev++
	captured := still.Time
	if captured.IsZero() {
		captured = s.clock.Now()
	}
	return &photo{
		kind:     kind,
		jpeg:     slices.Clone(still.JPEG), // ours to wipe; the camera may reuse its buffer
		width:    still.Width,
		height:   still.Height,
		captured: captured,
		source:   still.Source,
		rev:      s.photoRev,
	}
}

// endCapture ends the current capture, if any, and switches the light off.
// A non-empty key becomes the learner's message. Callers hold mu.
func (s *Session) endCapture(key string) {
	job := s.capture
	if job == nil {
		return
	}
	s.capture = nil
	cause := errCaptureEnded
	if key == KeyCaptureTimeout {
		cause = errCaptureTimeout
	}
	job.cancel(cause)
	if job.settle != nil {
		job.settle.Stop()
	}
	if job.timeout != nil {
		job.timeout.Stop()
	}
	if job.mode == modeCradle {
		s.setLight(false)
	}
	if key != "" {
		s.message = &Message{Key: key}
	}
}

func (s *Session) dropPending() {
	if s.pending != nil {
		s.pending.wipe()
		s.pending = nil
	}
}

func (s *Session) dropPhoto(kind api.PhotoKind) {
	if p := s.photos[kind]; p != nil {
		p.wipe()
		delete(s.photos, kind)
	}
}

func (s *Session) wipePhotos() {
	s.dropQuality(false)
	s.dropPending()
	for k := range s.photos {
		s.dropPhoto(k)
	}
}
