package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// A learner drives the page API as fast as the kiosk answers, for tests
// that need many profiles (the crash test kills kioskd under it). Unlike
// env.do it never fails the test: when kioskd is gone it reports how far
// the profile got, which is what the crash test checks against.

// outcome is how far one learner's profile got.
type outcome int

const (
	notSubmitted outcome = iota // stopped before "submit": nothing was promised
	inDoubt                     // "submit" was sent, no receipt seen: it may or may not be stored
	confirmed                   // the receipt was shown: it must reach the service exactly once
)

// attempt is one learner's profile as the generator saw it.
type attempt struct {
	Name, Email string
	Outcome     outcome
	Ref         string  // the receipt's reference, when confirmed
	Message     *string // a message key the kiosk showed instead of the receipt
}

// learnerName turns n into a name of letters only (names refuse digits).
func learnerName(prefix string, n int) string {
	var b []byte
	for i := 0; i < 4; i++ {
		b = append(b, byte('a'+n%26))
		n /= 26
	}
	b[0] -= 'a' - 'A'
	return prefix + " " + string(b)
}

// errKioskGone: kioskd stopped answering (killed, or not up yet).
var errKioskGone = errors.New("kiosk gone")

// learner is one page-API client with short timeouts.
type learner struct {
	base string
	http *http.Client
}

func newLearner(kioskAddr string) *learner {
	return &learner{base: "http://" + kioskAddr, http: &http.Client{Timeout: 10 * time.Second}}
}

// act posts one action and returns the state the kiosk answered with (the
// problem document's state for a refusal) and the status code.
func (l *learner) act(a session.Action) (session.State, int, error) {
	body, _ := json.Marshal(a)
	resp, err := l.http.Post(l.base+"/api/action", "application/json", bytes.NewReader(body))
	if err != nil {
		return session.State{}, 0, errKioskGone
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return session.State{}, 0, errKioskGone
	}
	var st session.State
	if resp.StatusCode == http.StatusOK {
		json.Unmarshal(raw, &st)
		return st, resp.StatusCode, nil
	}
	var p struct {
		State *session.State `json:"state"`
	}
	json.Unmarshal(raw, &p)
	if p.State != nil {
		st = *p.State
	}
	return st, resp.StatusCode, nil
}

func (l *learner) must(a session.Action) (session.State, error) {
	st, code, err := l.act(a)
	if err != nil {
		return st, err
	}
	if code != http.StatusOK {
		return st, fmt.Errorf("action %s: status %d on %s (message %+v)", a.Type, code, st.Step, st.Message)
	}
	return st, nil
}

func (l *learner) state() (session.State, error) {
	resp, err := l.http.Get(l.base + "/api/state")
	if err != nil {
		return session.State{}, errKioskGone
	}
	defer resp.Body.Close()
	var st session.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return session.State{}, errKioskGone
	}
	return st, nil
}

// wait polls the state every 5 ms until cond holds (10 s at most).
func (l *learner) wait(what string, cond func(session.State) bool) (session.State, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := l.state()
		if err != nil {
			return st, err
		}
		if cond(st) {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("waiting for %s: still on %s", what, st.Step)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// toWelcome taps "back" until the welcome screen (a session left
// mid-flow, e.g. after a refused save).
func (l *learner) toWelcome() error {
	for range 12 {
		st, err := l.state()
		if err != nil {
			return err
		}
		switch st.Step {
		case session.StepWelcome:
			return nil
		case session.StepReceipt:
			if _, err := l.must(session.Action{Type: session.ActFinish}); err != nil {
				return err
			}
			continue
		}
		if _, err := l.must(session.Action{Type: session.ActBack}); err != nil {
			return err
		}
	}
	return errors.New("back never reached the welcome screen")
}

// toReview fills in everything and takes both photos (a one-sided ID held
// up to the camera), stopping on the review screen.
func (l *learner) toReview(a *attempt) error {
	steps := []session.Action{
		{Type: session.ActStart},
		{Type: session.ActConsentAccept},
		{Type: session.ActEmailSubmit, Email: a.Email},
	}
	for _, s := range steps {
		if st, err := l.must(s); err != nil {
			if st.Message != nil {
				a.Message = &st.Message.Key
			}
			return err
		}
	}
	st, err := l.wait("email checked", func(s session.State) bool { return !s.Checking })
	if err != nil {
		return err
	}
	if st.Step == session.StepEmail {
		if _, err := l.must(session.Action{Type: session.ActEmailContinue}); err != nil {
			return err
		}
	}
	if _, err := l.must(session.Action{Type: session.ActNameSubmit, Name: a.Name}); err != nil {
		return err
	}
	if _, err := l.must(session.Action{Type: session.ActIDTypeSubmit, IDType: "passport"}); err != nil {
		return err
	}
	for _, step := range []session.Step{session.StepFace, session.StepIDPhoto} {
		if err := l.photo(step); err != nil {
			return err
		}
	}
	_, err = l.wait("review", func(s session.State) bool { return s.Step == session.StepReview })
	return err
}

// photo takes the photo of step with the button and accepts it. Every
// still is judged by the kiosk's quality checks; the simulated camera
// shows what the step asks for, so a still passes, but one caught between
// two scenes may not: then the learner tries again, as they would. The
// kiosk may also take the photo by itself first (auto-capture).
func (l *learner) photo(step session.Step) error {
	for range 5 {
		st, err := l.wait(string(step), func(s session.State) bool { return s.Step == step && !s.Capturing })
		if err != nil {
			return err
		}
		if st.Pending == nil {
			if _, code, err := l.act(session.Action{Type: session.ActCapture}); err != nil {
				return err
			} else if code != http.StatusOK && code != http.StatusConflict {
				return fmt.Errorf("capture on %s: status %d", step, code)
			}
			st, err = l.wait("a judged still", func(s session.State) bool {
				return !s.Capturing && (s.Pending != nil || s.Message != nil)
			})
			if err != nil {
				return err
			}
		}
		if st.Pending != nil {
			_, err := l.must(session.Action{Type: session.ActAcceptPhoto})
			return err
		}
	}
	return fmt.Errorf("no photo on %s passed the checks in 5 tries", step)
}

// submit taps "send" and waits for the receipt or a refusal. It records
// the outcome in a; err is set when the kiosk went away or misbehaved.
func (l *learner) submit(a *attempt) error {
	a.Outcome = inDoubt
	if _, err := l.must(session.Action{Type: session.ActSubmit}); err != nil {
		return err
	}
	st, err := l.wait("receipt", func(s session.State) bool {
		return s.Step == session.StepReceipt || (s.Step == session.StepReview && s.Message != nil)
	})
	if err != nil {
		return err
	}
	if st.Receipt == nil {
		// Refused: the kiosk said so, and stored nothing.
		a.Outcome = notSubmitted
		a.Message = &st.Message.Key
		return nil
	}
	a.Outcome, a.Ref = confirmed, st.Receipt.Reference
	_, err = l.must(session.Action{Type: session.ActFinish})
	return err
}

// complete is one whole profile.
func (l *learner) complete(a *attempt) error {
	if err := l.toReview(a); err != nil {
		return err
	}
	return l.submit(a)
}
