package control

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// Queue is what the queue commands need; *outbox.Outbox is one.
type Queue interface {
	Stats() (outbox.Stats, error)
	Queued(after uint64, max int) ([]outbox.Item, error)
	DeadLetters() ([]outbox.DeadLetter, error)
	RetryDead(ids ...string) (int, error)
	DeadSealed(id string) ([]byte, error)
	RetryNow() error
}

var _ Queue = (*outbox.Outbox)(nil)

// Listing bounds: a page of queued profiles is metadata only (~200 bytes
// each), but a 5000-item queue is still more than a terminal wants.
const (
	defaultListLimit = 100
	maxListLimit     = 10000
)

// HandleQueue mounts the queue commands. device names the kiosk in export
// manifests.
func (s *Server) HandleQueue(q Queue, device string) {
	s.Handle("GET "+PathQueue, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		listQueue(w, r, q)
	}))
	s.Handle("POST "+PathSyncNow, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := q.RetryNow(); err != nil {
			writeProblem(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	s.Handle("POST "+PathRetryDead, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		retryDead(w, r, q, s)
	}))
	s.Handle("GET "+PathExportDead, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exportDead(w, q, device, s)
	}))
}

func listQueue(w http.ResponseWriter, r *http.Request, q Queue) {
	limit, after := defaultListLimit, uint64(0)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			writeProblem(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1 to %d", maxListLimit))
			return
		}
		limit = n
	}
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, "after must be a sequence number")
			return
		}
		after = n
	}
	st, err := q.Stats()
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	items, err := q.Queued(after, limit+1)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	dead, err := q.DeadLetters()
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := QueueList{Stats: queueStats(st), Queued: []QueueItem{}, Dead: []DeadLetter{}}
	if len(items) > limit {
		items, out.More = items[:limit], true
	}
	for _, it := range items {
		out.Queued = append(out.Queued, QueueItem{
			ID: it.ID, Reference: api.ReferenceCode(it.ID), Seq: it.Seq, Created: it.Created, Size: it.Size,
			Attempts: it.Attempts, NextAttempt: it.NextAttempt, LastError: it.LastError,
		})
	}
	for _, d := range dead {
		out.Dead = append(out.Dead, deadLetter(d))
	}
	writeJSON(w, http.StatusOK, out)
}

func queueStats(st outbox.Stats) QueueStats {
	qs := QueueStats{
		Queued: st.Queued, QueuedBytes: st.QueuedBytes, Dead: st.Dead, DeadBytes: st.DeadBytes,
		Delivered: st.Delivered, MaxItems: st.MaxItems, MaxBytes: st.MaxBytes,
	}
	if !st.Oldest.IsZero() {
		qs.Oldest = &st.Oldest
	}
	return qs
}

func deadLetter(d outbox.DeadLetter) DeadLetter {
	return DeadLetter{
		ID: d.ID, Reference: api.ReferenceCode(d.ID), Seq: d.Seq, Created: d.Created, DeadAt: d.DeadAt,
		Reason: d.Reason, Attempts: d.Attempts, Size: d.Size,
	}
}

func retryDead(w http.ResponseWriter, r *http.Request, q Queue, s *Server) {
	var req RetryDeadRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, http.StatusBadRequest, "body must be {\"ids\": [...]}: "+err.Error())
		return
	}
	n, err := q.RetryDead(req.IDs...)
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		writeProblem(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		writeProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.log.Info("dead letters requeued by staff", "count", n, "ids", req.IDs)
	writeJSON(w, http.StatusOK, RetryDeadResult{Requeued: n})
}

// exportDead streams every dead letter as a tar: <id>.idke per envelope,
// then manifest.json. Each envelope is read in its own short transaction
// and written before the next is read, so memory holds one at a time.
func exportDead(w http.ResponseWriter, q Queue, device string, s *Server) {
	dead, err := q.DeadLetters()
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Cache-Control", "no-store")
	tw := tar.NewWriter(w)
	now := time.Now().UTC()
	m := ExportManifest{Exported: now, Device: device, Profiles: []ExportedDead{}}
	for _, d := range dead {
		env, err := q.DeadSealed(d.ID)
		if errors.Is(err, outbox.ErrNotFound) {
			continue // retried or delivered since the listing
		}
		if err != nil {
			// The status line is gone; a truncated archive is what the
			// client sees, and tar readers report it.
			s.log.Error("export dead letters", "err", err)
			return
		}
		name := d.ID + ".idke"
		if err := writeTarFile(tw, name, env, now); err != nil {
			return
		}
		m.Profiles = append(m.Profiles, ExportedDead{DeadLetter: deadLetter(d), File: name, Digest: api.ContentDigest(env)})
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeTarFile(tw, "manifest.json", append(b, '\n'), now); err != nil {
		return
	}
	if err := tw.Close(); err != nil {
		return
	}
	s.log.Info("dead letters exported", "count", len(m.Profiles))
}

func writeTarFile(tw *tar.Writer, name string, b []byte, mod time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}
