package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/whep"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// TestStaffAudit_OneFileForStaffAndViewers: staff events and the preview's
// viewer events share the audit file, and the status reads both back,
// newest first, with each kind's own fields.
func TestStaffAudit_OneFileForStaffAndViewers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	viewers, err := whep.OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer viewers.Close()
	staff, err := openStaffAudit(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- staff.run(ctx) }()

	t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	viewers.Record(whep.Event{Time: t0, Event: whep.EventStart, Token: "ops", Remote: "10.0.0.9:5000"})
	staff.RecordStaff(session.StaffEvent{Time: t0.Add(time.Minute), Event: session.StaffEventUnlocked})
	staff.RecordStaff(session.StaffEvent{Time: t0.Add(2 * time.Minute), Event: session.StaffEventOverride,
		Kind: api.PhotoFace, Failed: []string{"brightness"}})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	viewers.Record(whep.Event{Time: t0.Add(3 * time.Minute), Event: whep.EventEnd, Token: "ops", Seconds: 180, Reason: whep.ReasonDeleted})

	got, err := readAudit(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range got {
		events = append(events, e.Source+":"+e.Event)
	}
	want := "preview:viewer_end staff:quality_override staff:staff_unlocked preview:viewer_start"
	if strings.Join(events, " ") != want {
		t.Fatalf("audit = %v, want %s", events, want)
	}
	if o := got[1]; o.Kind != "face" || len(o.Failed) != 1 || o.Failed[0] != "brightness" || o.Token != "" {
		t.Errorf("override event %+v, want the photo and its failed check", o)
	}
	if v := got[0]; v.Token != "ops" || v.Seconds != 180 || v.Reason != "deleted" {
		t.Errorf("viewer end %+v, want token, seconds and reason", v)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %04o, want 0600", fi.Mode().Perm())
	}
	if two, _ := readAudit(path, 2); len(two) != 2 || two[0].Event != whep.EventEnd {
		t.Errorf("limit 2: %+v, want the two newest", two)
	}
}

// A long audit file is read from its end only, and a line cut by the
// seek is skipped, not misread.
func TestReadAudit_TailOfALongFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, _ := os.Create(path)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		b, _ := json.Marshal(whep.Event{Time: t0.Add(time.Duration(i) * time.Second), Event: whep.EventAuthFailed, Remote: "192.0.2.1:40000", Reason: strings.Repeat("r", 30)})
		f.Write(append(b, '\n'))
	}
	f.Close()
	got, err := readAudit(path, maxAuditEvents)
	if err != nil || len(got) != maxAuditEvents {
		t.Fatalf("readAudit = %d events, %v; want %d", len(got), err, maxAuditEvents)
	}
	if newest := got[0].Time; !newest.Equal(t0.Add(1999 * time.Second)) {
		t.Errorf("newest event at %v, want the file's last line", newest)
	}
	if none, err := readAudit(filepath.Join(t.TempDir(), "missing.jsonl"), 10); err != nil || len(none) != 0 {
		t.Errorf("missing file: %v, %v; want no events and no error", none, err)
	}
}
