package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/capture/whep"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// staffAudit appends staff mode's events (session.StaffEvent: unlocks,
// wrong PINs, lockouts, quality overrides) to the audit file the preview
// sessions go to, each line fsync'd: one file says who watched the camera
// and what staff did at the kiosk. The session records under its lock, so
// RecordStaff only queues; a goroutine writes.
type staffAudit struct {
	f   *os.File
	ch  chan session.StaffEvent
	log *slog.Logger
}

// staffAuditQueue: staff events come a few a minute at most; a queue this
// deep only fills if the disk stopped answering.
const staffAuditQueue = 64

var _ session.StaffAudit = (*staffAudit)(nil)

// openStaffAudit opens (creating, mode 0600) the audit file for appending.
// O_APPEND makes each line one atomic write beside the preview's writer.
func openStaffAudit(path string, log *slog.Logger) (*staffAudit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return &staffAudit{f: f, ch: make(chan session.StaffEvent, staffAuditQueue), log: log}, nil
}

// RecordStaff implements session.StaffAudit.
func (a *staffAudit) RecordStaff(e session.StaffEvent) {
	select {
	case a.ch <- e:
	default:
		a.log.Error("staff audit event dropped: the audit file is not keeping up", "event", e.Event)
	}
}

// run writes events until ctx ends, then writes what is queued and closes
// the file.
func (a *staffAudit) run(ctx context.Context) error {
	if a == nil {
		return nil // no staff mode
	}
	defer a.f.Close()
	for {
		select {
		case e := <-a.ch:
			a.write(e)
		case <-ctx.Done():
			for {
				select {
				case e := <-a.ch:
					a.write(e)
				default:
					return nil
				}
			}
		}
	}
}

func (a *staffAudit) write(e session.StaffEvent) {
	line, err := json.Marshal(e)
	if err == nil {
		_, err = a.f.Write(append(line, '\n'))
	}
	if err == nil {
		err = a.f.Sync()
	}
	if err != nil {
		a.log.Error("staff audit event not written", "event", e.Event, "err", err)
	}
}

// auditTail is how much of the audit file's end is read for the status:
// enough for far more than maxAuditEvents lines (~200 bytes each).
const (
	auditTail      = 64 << 10
	maxAuditEvents = 50
)

// auditLine is an audit line of either writer: whep.Event or
// session.StaffEvent.
type auditLine struct {
	whep.Event
	Kind      string     `json:"kind"`
	Failed    []string   `json:"failed"`
	Photos    []string   `json:"photos"`
	Reference string     `json:"reference"`
	Failures  int        `json:"failures"`
	Until     *time.Time `json:"until"`
}

// readAudit returns the newest events of the audit file, newest first. A
// missing file is no events: nothing was audited yet.
func readAudit(path string, limit int) ([]control.AuditEvent, error) {
	out := []control.AuditEvent{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return out, fmt.Errorf("audit log: %w", err)
	}
	off := max(fi.Size()-auditTail, 0)
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return out, fmt.Errorf("audit log: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), auditTail)
	first := off > 0 // a line cut by the seek
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		var l auditLine
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Event.Event == "" {
			continue
		}
		out = append(out, auditEvent(l))
	}
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b control.AuditEvent) int { return b.Time.Compare(a.Time) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func auditEvent(l auditLine) control.AuditEvent {
	e := control.AuditEvent{Time: l.Time, Event: l.Event.Event, Reason: l.Reason, Source: "preview"}
	if strings.HasPrefix(e.Event, "staff_") || e.Event == session.StaffEventOverride || e.Event == session.StaffEventOverrideSubmitted {
		e.Source = "staff"
		e.Kind, e.Failed, e.Photos, e.Reference, e.Failures, e.Until = l.Kind, l.Failed, l.Photos, l.Reference, l.Failures, l.Until
		return e
	}
	e.Token, e.Remote, e.Seconds, e.Connected = l.Token, l.Remote, l.Seconds, l.Connected
	return e
}
