package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// health is the /healthz answer: enough for the dev stack to know kioskd is
// up and for staff tools to see the queue, and no personal data.
type health struct {
	Status string `json:"status"` // ok | degraded
	Camera string `json:"camera"`
	Queue  struct {
		Queued    int        `json:"queued"`
		Dead      int        `json:"dead"`
		Delivered int        `json:"delivered"`
		Oldest    *time.Time `json:"oldest,omitempty"`
	} `json:"queue"`
	Upload struct {
		LastError   string     `json:"last_error,omitempty"`
		LastSuccess *time.Time `json:"last_success,omitempty"`
	} `json:"upload"`
	Alerts []alert       `json:"alerts,omitempty"` // conditions staff must act on (sync.go)
	Cradle *cradleHealth `json:"cradle,omitempty"` // nil: no cradle fitted (cradle.go)
}

func healthHandler(cam interface{ State() capture.State }, box *outbox.Outbox, up *upload.Uploader, saver sealingSaver, hw *hardware) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := checkHealth(r.Context(), cam, box, up, saver, hw)
		if err != nil {
			http.Error(w, "queue unreadable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(h)
	})
}

// checkHealth is /healthz's answer; heartbeats carry it too (heartbeat.go).
// It fails only when the queue cannot be read.
func checkHealth(ctx context.Context, cam interface{ State() capture.State }, box *outbox.Outbox, up *upload.Uploader, saver sealingSaver, hw *hardware) (health, error) {
	h := health{Status: "ok", Camera: cam.State().String()}
	st, err := box.Stats()
	if err != nil {
		return h, err
	}
	h.Queue.Queued, h.Queue.Dead, h.Queue.Delivered = st.Queued, st.Dead, st.Delivered
	if !st.Oldest.IsZero() {
		h.Queue.Oldest = &st.Oldest
	}
	us := up.Stats()
	h.Upload.LastError = us.LastError
	if !us.LastSuccess.IsZero() {
		h.Upload.LastSuccess = &us.LastSuccess
	}
	h.Alerts = queueAlerts(ctx, st, us, saver)
	if cam.State() != capture.StateStreaming || len(h.Alerts) > 0 {
		h.Status = "degraded"
	}
	if h.Cradle = hw.cradleHealth(); h.Cradle != nil && h.Cradle.Status != "ok" {
		h.Status = "degraded"
	}
	return h, nil
}
