package session

import (
	"context"
	"errors"

	"github.com/idkiosk/idkiosk/sync/api"
)

// lookupJob is one account lookup in flight; like captureJob, the session's
// pointer to it is the ticket for applying its answer.
type lookupJob struct {
	purpose Step // StepEmail or StepStatus
	email   string
	cancel  context.CancelFunc
	timeout Timer
}

var errLookupTimeout = errors.New("account lookup timed out")

func (s *Session) statusLookup(ctx context.Context, raw string) error {
	if s.step != StepStatus || s.looking != nil {
		return notAllowed()
	}
	email, err := NormalizeEmail(raw)
	if err != nil {
		return err
	}
	s.email = email
	s.lookup = nil
	if s.accounts == nil {
		s.lookup = &LookupResult{Result: LookupOffline}
		return nil
	}
	s.startLookup(ctx, email, StepStatus)
	return nil
}

// startLookup asks Accounts about email without holding mu: the page keeps
// rendering ("checking...") and the learner can go back. Callers hold mu.
func (s *Session) startLookup(parent context.Context, email string, purpose Step) {
	s.cancelLookup()
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	job := &lookupJob{purpose: purpose, email: email, cancel: cancel}
	s.looking = job
	// The timer, not ctx's deadline, ends the wait: it answers "offline"
	// even if the client ignores cancellation.
	job.timeout = s.clock.AfterFunc(s.cfg.LookupTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lookupDone(job, api.LookupResponse{}, errLookupTimeout)
	})
	go func() {
		resp, err := s.accounts.Lookup(ctx, email)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lookupDone(job, resp, err)
	}()
}

// lookupDone applies a lookup's answer if the job is still current.
// Callers hold mu.
func (s *Session) lookupDone(job *lookupJob, resp api.LookupResponse, err error) {
	if s.looking != job {
		return
	}
	s.cancelLookup()
	s.online = err == nil
	if err != nil {
		s.log.Info("account lookup failed; going on offline", "err", redact(err, job.email))
	}
	switch job.purpose {
	case StepEmail:
		switch {
		case err != nil:
			s.account = AccountUnknown
			s.advance()
		case resp.Exists:
			s.account = AccountExists
			s.advance()
		default:
			s.account = AccountNone
			s.message = &Message{Key: KeyEmailNoAccount, Params: map[string]string{"email": job.email}}
		}
	case StepStatus:
		s.lookup = lookupResult(resp, err)
	}
	s.changed()
}

func lookupResult(resp api.LookupResponse, err error) *LookupResult {
	switch {
	case err != nil:
		return &LookupResult{Result: LookupOffline}
	case !resp.Exists:
		return &LookupResult{Result: LookupNoAccount}
	case resp.Verification == nil:
		return &LookupResult{Result: LookupNoProfile}
	}
	v := resp.Verification
	r := &LookupResult{Result: string(v.State), Reason: v.Reason}
	if !v.Updated.IsZero() {
		u := v.Updated
		r.Updated = &u
	}
	return r
}

// cancelLookup abandons the lookup in flight, if any. Callers hold mu.
func (s *Session) cancelLookup() {
	if s.looking == nil {
		return
	}
	s.looking.cancel()
	s.looking.timeout.Stop()
	s.looking = nil
}
