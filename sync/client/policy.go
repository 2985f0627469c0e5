package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// checkRetry is the retryablehttp.CheckRetry for this contract.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return true, nil
	}
	return retryableStatus(resp.StatusCode), nil
}

// newBackoff returns a retryablehttp.Backoff: Retry-After when the server
// sent one, capped at max; otherwise exponential with full jitter, capped at
// max. now is injectable for Retry-After dates.
func newBackoff(now func() time.Time) func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil {
			if after, ok := retryAfter(resp.Header, now()); ok && after > 0 {
				return capAt(after, hi)
			}
		}
		return fullJitter(lo, hi, attempt)
	}
}

// fullJitter returns a random duration in [0, min(hi, lo*2^attempt)]: the
// "full jitter" of the AWS architecture blog, which spreads a fleet of
// kiosks coming back online instead of letting them retry in lockstep.
func fullJitter(lo, hi time.Duration, attempt int) time.Duration {
	ceiling := lo
	for range max(attempt, 0) {
		if ceiling >= hi/2 {
			ceiling = hi
			break
		}
		ceiling *= 2
	}
	ceiling = capAt(ceiling, hi)
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

func capAt(d, hi time.Duration) time.Duration {
	if hi > 0 && d > hi {
		return hi
	}
	return d
}

// retryAfter parses Retry-After (RFC 9110 10.2.3): delay-seconds or an
// HTTP-date. A date in the past means "now".
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	// An out-of-range number still means "a long time"; ParseUint then
	// returns the largest uint64, which the min below turns into the
	// longest Duration.
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		const maxSecs = uint64(1<<63-1) / uint64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
