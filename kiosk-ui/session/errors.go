package session

import (
	"errors"
	"strings"
)

// Sentinels for errors.Is. The HTTP layer maps ErrNotAllowed to 409 and
// ErrInvalidInput to 422.
var (
	// ErrNotAllowed: the action does not apply to the current step (a double
	// tap, a stale page, or a page bug). The state is unchanged.
	ErrNotAllowed = errors.New("action not allowed in this step")
	// ErrInvalidInput: what the learner entered was refused; State.Message
	// says why in the learner's language.
	ErrInvalidInput = errors.New("invalid input")
	// ErrQueueFull is what a Saver wraps when the outbox cannot take another
	// profile; the learner is asked to fetch staff rather than to retry.
	ErrQueueFull = errors.New("profile queue full")
)

// Error is an error the learner may see: Key names a catalogue message.
type Error struct {
	Key    string
	Params map[string]string
	kind   error // ErrNotAllowed or ErrInvalidInput
}

func (e *Error) Error() string { return e.kind.Error() + ": " + e.Key }

// Unwrap lets errors.Is find the sentinel.
func (e *Error) Unwrap() error { return e.kind }

func notAllowed() *Error { return &Error{Key: KeyActionNotAllowed, kind: ErrNotAllowed} }

func invalid(key string, params map[string]string) *Error {
	return &Error{Key: key, Params: params, kind: ErrInvalidInput}
}

// redact removes personal data from an error string before it is logged: a
// dependency may quote what it was given.
func redact(err error, secrets ...string) string {
	s := err.Error()
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
