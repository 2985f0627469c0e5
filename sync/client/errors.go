package client

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// StatusError is a non-2xx answer from the service.
type StatusError struct {
	Code       int
	Problem    api.Problem   // decoded problem+json; Title falls back to the status text
	RetryAfter time.Duration // from Retry-After, uncapped; 0 when absent
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("service answered %d", e.Code)
	if e.Problem.Title != "" {
		msg += ": " + e.Problem.Title
	}
	if e.Problem.Detail != "" {
		msg += ": " + e.Problem.Detail
	}
	return msg
}

// Is lets callers test the common cases with errors.Is.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == http.StatusNotFound
	case ErrUnauthorized:
		return e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden
	case ErrRateLimited:
		return e.Code == http.StatusTooManyRequests
	}
	return false
}

var (
	// ErrNotFound matches a 404 StatusError.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized matches a 401 or 403 StatusError: the device token is
	// wrong, expired or revoked. No profile is at fault.
	ErrUnauthorized = errors.New("device not authorized")
	// ErrRateLimited matches a 429 StatusError.
	ErrRateLimited = errors.New("rate limited")
	// ErrInvalidRequest: the call was refused before anything was sent.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrResponseTooLarge: a 2xx body exceeded MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response body too large")
	// ErrBadResponse: a 2xx answer that is not what the contract promises
	// (not JSON, another profile's id, another digest).
	ErrBadResponse = errors.New("response does not match the contract")
)

// retryableStatus is the one retry rule, used both between the attempts of
// one call and by Retryable for the caller's own (durable) retries.
func retryableStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusConflict, code == http.StatusTooManyRequests:
		return true
	case code == http.StatusNotImplemented:
		return false
	case code >= 400 && code < 500:
		return false
	}
	// 5xx, and the 3xx or 1xx the API never sends: a portal or a proxy in
	// the way, which is the network's problem, not the profile's.
	return code < 200 || code >= 300
}

// Retryable classifies an error from this package: retry is false only
// when sending the same request again can never succeed (a permanent 4xx,
// 501, or a request refused before sending). after is the server's
// Retry-After, uncapped; the caller caps it.
func Retryable(err error) (retry bool, after time.Duration) {
	if err == nil {
		return false, 0
	}
	var se *StatusError
	if errors.As(err, &se) {
		return retryableStatus(se.Code), se.RetryAfter
	}
	if errors.Is(err, ErrInvalidRequest) {
		return false, 0
	}
	// Transport errors, timeouts, cancellation, bodies that broke off or
	// did not match the contract.
	return true, 0
}
