package kioskui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// events streams the session state as Server-Sent Events: the current state
// at once, then every change ("event: state", id = rev), with comment lines
// as a heartbeat. The session coalesces, so a slow page skips to the newest
// state instead of queueing.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // long-lived by design
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	states, cancel := s.sess.Subscribe()
	defer cancel()
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()

	// The page reconnects with its own backoff; this is the browser's
	// default wait should it reconnect on its own.
	if _, err := fmt.Fprint(w, "retry: 1000\n\n"); err != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case st, ok := <-states:
			if !ok {
				return
			}
			b, err := json.Marshal(st)
			if err != nil {
				s.log.Error("encode state", "err", err)
				return
			}
			if _, err := fmt.Fprintf(w, "event: state\nid: %d\ndata: %s\n\n", st.Rev, b); err != nil {
				return
			}
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
