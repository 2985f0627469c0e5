package service

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The fleet page: every enrolled kiosk with its last heartbeat, for the
// people who keep the kiosks running. It sits behind the reviewer login:
// the reference service has one kind of staff account, and the page shows
// nothing a reviewer may not see (no personal data at all: device ids,
// versions, states and counts). A deployment that separates fleet admins
// from reviewers puts its own auth in front of /review/fleet.

// DefaultFleetStaleAfter marks a kiosk stale after five missed heartbeats
// at kioskd's default interval (one a minute): one late heartbeat is a
// blip, five is a kiosk that is off, offline or stuck.
const DefaultFleetStaleAfter = 5 * time.Minute

// FleetDevice is one row of the fleet page and of GET /review/api/fleet.
type FleetDevice struct {
	ID       string     `json:"id"`
	Enrolled *time.Time `json:"enrolled,omitempty"` // nil: heard from but not in the registry (removed)
	Revoked  bool       `json:"revoked,omitempty"`
	// LastSeen is when the last heartbeat arrived (the service's clock);
	// nil: never.
	LastSeen *time.Time `json:"last_seen,omitempty"`
	// Stale: no heartbeat for the stale interval, or never one.
	Stale        bool       `json:"stale"`
	Version      string     `json:"version,omitempty"`
	Health       string     `json:"health,omitempty"` // ok | degraded | failing, as the kiosk judged itself
	QueueDepth   int        `json:"queue_depth"`
	DeadLetters  int        `json:"dead_letters,omitempty"`
	OldestQueued *time.Time `json:"oldest_queued,omitempty"`
	Camera       string     `json:"camera,omitempty"`
	// Problems are the kiosk's checks that are not ok, "id: result".
	Problems []string `json:"problems,omitempty"`
	// PreviewURL is the kiosk's admin listener, where its live camera
	// preview is (the admin logs in there with an admin token).
	PreviewURL string `json:"preview_url,omitempty"`
	// Age is how long ago LastSeen was, for the page.
	Age time.Duration `json:"-"`
}

func (s *Server) fleetRoutes() []route {
	r := func(method, path string, h func(http.ResponseWriter, *http.Request, string)) route {
		return route{method, path, reviewHeaders(s.reviewer(h))}
	}
	return []route{
		r("GET", "/review/fleet", s.fleetPage),
		r("GET", "/review/api/fleet", s.apiFleet),
	}
}

// fleet merges the registry (every enrolled kiosk, heard from or not) with
// the stored heartbeats.
func (s *Server) fleet() ([]FleetDevice, error) {
	reg, err := s.registry.read()
	if err != nil {
		return nil, err
	}
	beats, err := s.store.devices()
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := map[string]*FleetDevice{}
	for id, e := range reg.Devices {
		enrolled := e.Enrolled
		rows[id] = &FleetDevice{ID: id, Enrolled: &enrolled, Revoked: !e.Revoked.IsZero(), Stale: true}
	}
	for _, d := range beats {
		row := rows[d.ID]
		if row == nil {
			row = &FleetDevice{ID: d.ID}
			rows[d.ID] = row
		}
		hb := d.Heartbeat
		seen := d.LastSeen
		row.LastSeen, row.Age = &seen, lastSeenAge(now, seen)
		row.Stale = now.Sub(seen) > s.fleetStale
		row.Version, row.Health, row.Camera = hb.Version, hb.Health, hb.Camera
		row.QueueDepth, row.DeadLetters, row.OldestQueued = hb.QueueDepth, hb.DeadLetters, hb.OldestQueued
		row.PreviewURL = previewURL(hb.AdminURL)
		for id, res := range hb.Checks {
			if res != "ok" && res != "skip" {
				row.Problems = append(row.Problems, id+": "+res)
			}
		}
		slices.Sort(row.Problems)
	}
	out := make([]FleetDevice, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b FleetDevice) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// previewURL accepts only an https URL without credentials: the address
// comes from the kiosk, and the page must not turn it into a javascript:
// link or a phishing target with a password in it.
func previewURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

type fleetData struct {
	Devices    []FleetDevice
	StaleAfter time.Duration
	Now        time.Time
}

func (s *Server) fleetPage(w http.ResponseWriter, r *http.Request, user string) {
	devs, err := s.fleet()
	if err != nil {
		s.internal(w, "fleet", err)
		return
	}
	s.render(w, "fleet.html", fleetData{Devices: devs, StaleAfter: s.fleetStale, Now: s.now()})
}

func (s *Server) apiFleet(w http.ResponseWriter, r *http.Request, user string) {
	devs, err := s.fleet()
	if err != nil {
		s.internal(w, "fleet", err)
		return
	}
	writeJSON(w, http.StatusOK, devs)
}
