package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestKeepRecent_LogsAndKeeps(t *testing.T) {
	var out bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log, ring := keepRecent(base, "info")
	log.Debug("not kept", "x", 1)
	log.With("part", "camera").Warn("camera unavailable", "state", "disconnected")
	log.WithGroup("req").Info("served", "status", 200)

	if got := strings.Count(out.String(), "\n"); got != 2 {
		t.Errorf("the log got %d lines, want 2 (debug filtered):\n%s", got, out.String())
	}
	l := ring.Logs(10, slog.LevelDebug)
	if len(l.Records) != 2 || l.Dropped != 0 {
		t.Fatalf("ring holds %d records (dropped %d), want 2", len(l.Records), l.Dropped)
	}
	var first, second map[string]any
	json.Unmarshal(l.Records[0], &first)
	json.Unmarshal(l.Records[1], &second)
	if first["msg"] != "camera unavailable" || first["part"] != "camera" || first["state"] != "disconnected" || first["level"] != "WARN" {
		t.Errorf("first record %v, want the warning with its attributes", first)
	}
	if g, ok := second["req"].(map[string]any); !ok || g["status"] != float64(200) {
		t.Errorf("second record %v, want the group req.status", second)
	}
	if w := ring.Logs(10, slog.LevelWarn); len(w.Records) != 1 {
		t.Errorf("warn and above: %d records, want 1", len(w.Records))
	}
	// The ring holds what the log holds, line for line.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if string(l.Records[0]) != lines[0] {
		t.Errorf("ring record %s differs from the log line %s", l.Records[0], lines[0])
	}
}

func TestLogRing_KeepsTheNewest(t *testing.T) {
	r := newLogRing(3)
	for i := range 5 {
		r.add(slog.LevelInfo, fmt.Appendf(nil, `{"msg":"m%d"}`+"\n", i))
	}
	l := r.Logs(10, slog.LevelDebug)
	var got []string
	for _, rec := range l.Records {
		got = append(got, string(rec))
	}
	want := []string{`{"msg":"m2"}`, `{"msg":"m3"}`, `{"msg":"m4"}`}
	if strings.Join(got, " ") != strings.Join(want, " ") || l.Dropped != 2 {
		t.Errorf("ring = %v dropped %d, want %v dropped 2", got, l.Dropped, want)
	}
	if l := r.Logs(2, slog.LevelDebug); len(l.Records) != 2 || string(l.Records[1]) != `{"msg":"m4"}` {
		t.Errorf("limit 2: %s, want the two newest, oldest first", l.Records)
	}
	big := append([]byte(`{"msg":"`), bytes.Repeat([]byte("x"), logRecordMaxSize)...)
	r.add(slog.LevelError, append(big, `"}`...))
	last := r.Logs(1, slog.LevelDebug).Records[0]
	if len(last) > 200 || !json.Valid(last) {
		t.Errorf("an oversized record kept as %d bytes (valid JSON %v), want a short note", len(last), json.Valid(last))
	}
}
