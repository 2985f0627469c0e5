package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

// logRing keeps the newest log records in memory for `kioskctl logs` and
// staff: on a kiosk without a keyboard, and with journald rotating, the
// last few hundred lines are what someone on the phone asks for. It holds
// exactly what the log holds, which never carries personal data or
// secrets (the session and the client redact before they log).
type logRing struct {
	mu      sync.Mutex
	recs    []ringRecord
	next    int // where the next record goes once full
	full    bool
	dropped uint64
}

type ringRecord struct {
	level slog.Level
	json  []byte
}

// Ring bounds: 2000 records of at most 8 KiB, so at most 16 MiB and in
// practice ~500 KiB (a record is 150-300 bytes).
const (
	logRingSize      = 2000
	logRecordMaxSize = 8 << 10
)

func newLogRing(n int) *logRing { return &logRing{recs: make([]ringRecord, n)} }

// keepRecent returns a logger that logs as log does and also keeps each
// record at level (log.level's name) or above, as JSON, in a ring.
func keepRecent(log *slog.Logger, levelName string) (*slog.Logger, *logRing) {
	var level slog.Level
	_ = level.UnmarshalText([]byte(levelName)) // validated by config
	ring := newLogRing(logRingSize)
	h := &ringHandler{ring: ring}
	h.json = slog.NewJSONHandler(h, &slog.HandlerOptions{Level: level})
	return slog.New(teeHandler{log.Handler(), h}), ring
}

func (r *logRing) add(level slog.Level, line []byte) {
	line = bytes.TrimRight(line, "\n")
	if len(line) > logRecordMaxSize {
		// Keep it valid JSON: a record that large is a bug to look at,
		// not a line to read.
		line, _ = json.Marshal(map[string]any{"level": level.String(), "msg": "record too large for the ring", "bytes": len(line)})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.full {
		r.dropped++
	}
	r.recs[r.next] = ringRecord{level: level, json: bytes.Clone(line)}
	r.next = (r.next + 1) % len(r.recs)
	r.full = r.full || r.next == 0
}

// Logs returns at most limit of the newest records at level or above,
// oldest first.
func (r *logRing) Logs(limit int, level slog.Level) control.Logs {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := control.Logs{Records: []json.RawMessage{}, Dropped: r.dropped}
	n := r.next
	if r.full {
		n = len(r.recs)
	}
	var picked []json.RawMessage
	for i := 0; i < n && len(picked) < limit; i++ {
		rec := r.recs[(r.next-1-i+len(r.recs))%len(r.recs)]
		if rec.level >= level {
			picked = append(picked, json.RawMessage(rec.json))
		}
	}
	for i := len(picked) - 1; i >= 0; i-- {
		out.Records = append(out.Records, picked[i])
	}
	return out
}

// ringHandler formats records with slog's JSON handler, whose single
// Write per record lands in the ring. The level travels beside it so the
// ring can filter without parsing.
type ringHandler struct {
	ring *logRing
	json slog.Handler

	mu    sync.Mutex // one record at a time between Handle and Write
	level slog.Level
}

func (h *ringHandler) Write(p []byte) (int, error) {
	h.ring.add(h.level, p)
	return len(p), nil
}

// ringView is the handler slog sees, with attrs and groups applied to the
// JSON formatter and the writes going to the shared ringHandler.
type ringView struct {
	root *ringHandler
	json slog.Handler
}

func (h *ringHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.json.Enabled(ctx, l) }
func (h *ringHandler) Handle(ctx context.Context, r slog.Record) error {
	return ringView{h, h.json}.Handle(ctx, r)
}
func (h *ringHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ringView{h, h.json.WithAttrs(as)}
}
func (h *ringHandler) WithGroup(name string) slog.Handler { return ringView{h, h.json.WithGroup(name)} }

func (v ringView) Enabled(ctx context.Context, l slog.Level) bool { return v.json.Enabled(ctx, l) }
func (v ringView) Handle(ctx context.Context, r slog.Record) error {
	v.root.mu.Lock()
	defer v.root.mu.Unlock()
	v.root.level = r.Level
	return v.json.Handle(ctx, r)
}
func (v ringView) WithAttrs(as []slog.Attr) slog.Handler {
	return ringView{v.root, v.json.WithAttrs(as)}
}
func (v ringView) WithGroup(name string) slog.Handler {
	return ringView{v.root, v.json.WithGroup(name)}
}

// teeHandler sends each record to both handlers, each under its own level.
type teeHandler struct{ a, b slog.Handler }

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if t.a.Enabled(ctx, r.Level) {
		err = t.a.Handle(ctx, r.Clone())
	}
	if t.b.Enabled(ctx, r.Level) {
		if e := t.b.Handle(ctx, r.Clone()); err == nil {
			err = e
		}
	}
	return err
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.a.WithAttrs(as), t.b.WithAttrs(as)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.a.WithGroup(name), t.b.WithGroup(name)}
}
