package session

import (
	"context"
	"errors"

	"github.com/idkiosk/idkiosk/sync/api"
)

func (s *Session) submit(ctx context.Context) error {
	if s.step != StepReview {
		return notAllowed()
	}
	switch missing := s.firstIncomplete(); missing {
	case StepReview:
	case StepFace, StepIDPhoto, StepIDName:
		kind, _ := stepPhoto(missing)
		return invalid(KeyPhotoMissing, map[string]string{"kind": string(kind)})
	default:
		return notAllowed() // review is unreachable without email, name and ID type
	}
	if err := s.checkPhotosPassed(); err != nil {
		return err
	}
	p := s.profile()
	s.step = StepSaving
	s.saves.Add(1)
	// Save runs without mu so the page keeps rendering "saving"; nothing
	// can change the photos meanwhile because every action but language
	// and keep-alive is refused while saving, and no timer runs.
	go func() {
		defer s.saves.Done()
		// The learner's tap must not be undone by the request ending
		// (browser reload) or by shutdown: Run waits for this instead.
		err := s.saver.Save(context.WithoutCancel(ctx), p)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.saved(p, err)
	}()
	return nil
}

// profile builds the profile from the session. Its photos alias the
// session's buffers, so a wipe after the save clears both. A new ID per
// attempt: an error from Save means nothing was stored, and an edited retry
// must not reuse an ID the service may have seen with other content.
func (s *Session) profile() *api.Profile {
	p := &api.Profile{
		ID:       s.newID(),
		DeviceID: s.cfg.DeviceID,
		Created:  s.clock.Now().UTC(),
		Language: s.lang,
		Email:    s.email,
		FullName: s.name,
		IDType:   s.idType,
		TwoSided: s.twoSided,
	}
	for _, k := range api.RequiredPhotos(s.twoSided) {
		ph := s.photos[k]
		p.Photos = append(p.Photos, api.Photo{
			Kind:     k,
			Width:    ph.width,
			Height:   ph.height,
			Captured: ph.captured.UTC(),
			Source:   ph.source,
			JPEG:     ph.jpeg,
		})
	}
	p.Quality = s.qualityReport()
	return p
}

// saved applies the Saver's answer. Callers hold mu.
func (s *Session) saved(p *api.Profile, err error) {
	if err != nil {
		s.log.Error("save profile", "err", redact(err, p.FullName, p.Email))
		s.step = StepReview
		s.message = &Message{Key: KeySaveFailed}
		if errors.Is(err, ErrQueueFull) {
			s.message = &Message{Key: KeyQueueFull}
		}
	} else {
		s.log.Info("profile saved", "reference", api.ReferenceCode(p.ID), "photos", len(p.Photos))
		s.auditSaved(p)
		s.wipePhotos()
		s.email, s.name = "", ""
		s.idType, s.twoSided = "", false
		s.account = AccountNotChecked
		s.step = StepReceipt
		s.receipt = &Receipt{
			Reference:  api.ReferenceCode(p.ID),
			Created:    p.Created,
			ReviewDays: s.cfg.ReviewDays,
		}
	}
	s.armTimers()
	s.changed()
}

// admit asks the Saver, when it can tell, whether a new profile would fit.
// Callers hold mu.
func (s *Session) admit(ctx context.Context) error {
	a, ok := s.saver.(Admitter)
	if !ok {
		return nil
	}
	if err := a.Admit(ctx); err != nil {
		s.log.Warn("refusing a new session", "err", err)
		return invalid(KeyKioskFull, nil)
	}
	return nil
}
