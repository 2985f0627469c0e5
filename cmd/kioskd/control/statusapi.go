package control

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
)

// StatusSource is what the status commands need; kioskd's status
// aggregator is one.
type StatusSource interface {
	Status(ctx context.Context) (Status, error)
	// Diagnose runs the checks now rather than answering from a cache.
	Diagnose(ctx context.Context) (Diagnosis, error)
	Keys() (Keys, error)
	// Logs returns at most limit of the newest records at level or above.
	Logs(limit int, level slog.Level) Logs
}

// Bounds of a logs request: the ring holds at most a few thousand records.
const (
	defaultLogLimit = 100
	maxLogLimit     = 10000
)

// HandleStatus mounts status, diagnose, keys and logs.
func (s *Server) HandleStatus(src StatusSource) {
	s.Handle("GET "+PathStatus, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := src.Status(r.Context())
		if err != nil {
			writeProblem(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, st)
	}))
	s.Handle("POST "+PathDiagnose, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := src.Diagnose(r.Context())
		if err != nil {
			writeProblem(w, http.StatusInternalServerError, err.Error())
			return
		}
		s.log.Info("diagnostics run on request", "ok", d.OK)
		writeJSON(w, http.StatusOK, d)
	}))
	s.Handle("GET "+PathKeys, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := src.Keys()
		if err != nil {
			writeProblem(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, k)
	}))
	s.Handle("GET "+PathLogs, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := defaultLogLimit
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxLogLimit {
				writeProblem(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1 to %d", maxLogLimit))
				return
			}
			limit = n
		}
		level := slog.LevelDebug
		if v := r.URL.Query().Get("level"); v != "" {
			if err := level.UnmarshalText([]byte(v)); err != nil {
				writeProblem(w, http.StatusBadRequest, "level must be debug, info, warn or error")
				return
			}
		}
		writeJSON(w, http.StatusOK, src.Logs(limit, level))
	}))
}

// Status fetches the kiosk's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var out Status
	return out, c.Do(ctx, http.MethodGet, PathStatus, nil, &out)
}

// Diagnose runs the checks now and returns their results.
func (c *Client) Diagnose(ctx context.Context) (Diagnosis, error) {
	var out Diagnosis
	return out, c.Do(ctx, http.MethodPost, PathDiagnose, struct{}{}, &out)
}

// Keys fetches the kiosk's keys and pins.
func (c *Client) Keys(ctx context.Context) (Keys, error) {
	var out Keys
	return out, c.Do(ctx, http.MethodGet, PathKeys, nil, &out)
}

// Logs fetches at most limit recent log records at level ("debug",
// "info", "warn", "error"; "" for all) or above.
func (c *Client) Logs(ctx context.Context, limit int, level string) (Logs, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if level != "" {
		q.Set("level", level)
	}
	path := PathLogs
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out Logs
	return out, c.Do(ctx, http.MethodGet, path, nil, &out)
}
