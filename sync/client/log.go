package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
)

var _ retryablehttp.LeveledLogger = (*retryLogger)(nil)

// retryLogger adapts retryablehttp's leveled logging to slog. retryablehttp
// logs the full request URL (query included) and transport errors quote it
// again, so every value passes through scrub first. It never sees headers
// or bodies: retryablehttp does not log them, and no hooks are installed.
type retryLogger struct {
	log     *slog.Logger
	secrets []string // exact strings that must never appear, e.g. the token
}

// retryablehttp logs a failed attempt at error level, but one failed attempt
// is routine for a kiosk that is offline for days; the caller decides what
// is an error, so it arrives here as a warning.
func (l *retryLogger) Error(msg string, kv ...any) { l.emit(slog.LevelWarn, msg, kv) }
func (l *retryLogger) Warn(msg string, kv ...any)  { l.emit(slog.LevelWarn, msg, kv) }
func (l *retryLogger) Info(msg string, kv ...any)  { l.emit(slog.LevelInfo, msg, kv) }
func (l *retryLogger) Debug(msg string, kv ...any) { l.emit(slog.LevelDebug, msg, kv) }

func (l *retryLogger) emit(level slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]any, 0, len(kv))
	for i, v := range kv {
		if i%2 == 0 {
			attrs = append(attrs, v) // a key
			continue
		}
		attrs = append(attrs, l.scrub(v))
	}
	l.log.Log(ctx, level, l.scrubString(msg), attrs...)
}

func (l *retryLogger) scrub(v any) any {
	switch v := v.(type) {
	case string:
		return l.scrubString(v)
	case *url.URL:
		return redactURL(v)
	case error:
		return l.scrubString(v.Error())
	case fmt.Stringer:
		return l.scrubString(v.String())
	}
	return v // numbers and durations
}

func (l *retryLogger) scrubString(s string) string {
	s = urlPattern.ReplaceAllStringFunc(s, func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			return "[url]"
		}
		return redactURL(u)
	})
	for _, secret := range l.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// urlPattern finds absolute URLs inside free text such as
// `Put "http://host/v1?code=x": dial tcp ...`.
var urlPattern = regexp.MustCompile(`(?i)https?://[^\s"'<>]+`)

// redactURL drops what may carry a secret: user info, query and fragment.
func redactURL(u *url.URL) string {
	r := *u
	r.User = nil
	r.RawQuery, r.ForceQuery = "", false
	r.Fragment, r.RawFragment = "", ""
	return r.String()
}

// scrubError rewrites the URL inside a *url.Error the same way, so that
// errors the caller logs or stores (an outbox LastError) carry no query
// string either. The wrapped cause is kept for errors.Is.
func scrubError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	clean := "[url]"
	if perr == nil {
		clean = redactURL(u)
	}
	return &url.Error{Op: ue.Op, URL: clean, Err: ue.Err}
}
