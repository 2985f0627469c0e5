package session

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality"
)

// monitorJob is one run of live guidance on one target. As with captures,
// the session's pointer is the ticket: a verdict for a job that is no
// longer current is dropped.
type monitorJob struct {
	target quality.Target
	cancel context.CancelFunc
}

// startMonitor judges the newest preview frame, at most GuidanceFPS times a
// second, until the job is cancelled. Frames that arrive while one is
// judged are skipped (capture.Hub keeps only the newest), so a slow core
// lowers the guidance rate, never the camera's. Callers hold mu.
func (s *Session) startMonitor(t quality.Target) {
	ctx, cancel := context.WithCancel(context.Background())
	job := &monitorJob{target: t, cancel: cancel}
	s.q.monitor = job
	tracker := s.q.assessor.NewTracker(s.q.cfg.StableWindow)
	interval := time.Duration(float64(time.Second) / s.q.cfg.GuidanceFPS)
	go func() {
		defer cancel()
		var after uint64
		for {
			f, err := s.q.frames.Next(ctx, after)
			if err != nil {
				return // cancelled
			}
			start := time.Now()
			after = f.Seq
			img, err := f.Image()
			if err != nil {
				continue // a corrupt frame from the camera; the next will do
			}
			live := tracker.Observe(s.q.assessor.Assess(img, t), f.Time)
			if !s.guide(job, live, f.Width, f.Height) {
				return
			}
			// Bound the rate: wait out the rest of the interval.
			if rest := interval - time.Since(start); rest > 0 {
				timer := time.NewTimer(rest)
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-timer.C:
				}
			}
		}
	}()
}

// guide applies one verdict of the monitor: new advice is published, and a
// picture that has held every check for the stable window is taken. It
// reports whether the job is still current.
func (s *Session) guide(job *monitorJob, live quality.Live, w, h int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q.monitor != job {
		return false
	}
	sized := s.q.frameW != w || s.q.frameH != h
	s.q.frameW, s.q.frameH = w, h
	if live.Stable {
		// The monitor stops (a capture is running) and starts afresh if
		// the still fails.
		s.message = nil
		s.startCapture(context.Background(), modeHand, false)
		s.capture.how = howAuto
		s.changed()
		return false
	}
	if sized || live.Key != s.q.guidance || live.Ready != s.q.ready {
		s.q.guidance, s.q.ready = live.Key, live.Ready
		s.changed()
	}
	return true
}

func decodeJPEG(b []byte) (image.Image, error) {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode still: %w", err)
	}
	return img, nil
}

// finite keeps a report encodable: JSON has no NaN or infinity.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
