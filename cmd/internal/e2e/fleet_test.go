package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fleetRow is one kiosk of verifyd's GET /review/api/fleet.
type fleetRow struct {
	ID         string     `json:"id"`
	LastSeen   *time.Time `json:"last_seen"`
	Stale      bool       `json:"stale"`
	Version    string     `json:"version"`
	Health     string     `json:"health"`
	QueueDepth int        `json:"queue_depth"`
	Camera     string     `json:"camera"`
	Problems   []string   `json:"problems"`
	PreviewURL string     `json:"preview_url"`
}

// waitFleet polls the fleet API until the stack's kiosk's row passes cond.
func (e *env) waitFleet(what string, cond func(fleetRow) bool) fleetRow {
	e.t.Helper()
	var row fleetRow
	e.eventually(what, func() bool {
		var rows []fleetRow
		if code := e.getJSON(e.s.ServiceURL()+"/review/api/fleet", e.s.ReviewPassword, &rows); code != http.StatusOK {
			e.t.Fatalf("fleet API: status %d", code)
		}
		for _, r := range rows {
			if r.ID == e.s.DeviceID {
				row = r
				return cond(r)
			}
		}
		return false
	})
	return row
}

// TestFleet_KioskReportsItself: a real kioskd's heartbeats reach verifyd
// over mTLS, and the fleet page (behind the reviewer login) shows the
// kiosk with its version, health, camera and queue, and a link to its
// live preview at the admin listener's address. Staleness over time is
// tested on an injected clock in sync/service (fleet_test.go).
func TestFleet_KioskReportsItself(t *testing.T) {
	admin := freeAddr(t)
	keys := opsKeys(t, admin)
	keys["heartbeat.interval"] = `"5s"`
	e := newEnv(t, keys)
	e.startVerifyd()

	before := e.waitFleet("the enrolled kiosk listed", func(r fleetRow) bool { return true })
	if before.LastSeen != nil || !before.Stale {
		t.Errorf("before kioskd ran: %+v, want never seen and stale", before)
	}

	e.startKioskd()
	row := e.waitFleet("a heartbeat with the camera streaming", func(r fleetRow) bool { return r.LastSeen != nil && r.Camera == "ok" })
	if row.Stale || row.Version == "" || row.Health != "ok" || row.QueueDepth != 0 || row.PreviewURL != "https://"+admin+"/" {
		t.Errorf("fleet row %+v; want fresh, a version, ok, queue 0, preview https://%s/", row, admin)
	}

	req, _ := http.NewRequest(http.MethodGet, e.s.ServiceURL()+"/review/fleet", nil)
	req.SetBasicAuth("reviewer", e.s.ReviewPassword)
	resp, err := e.s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`data-device="` + e.s.DeviceID + `"`, `href="https://` + admin + `/"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the fleet page lacks %s", want)
		}
	}

	// The link leads to the kiosk's admin page (it asks for a token there).
	resp, err = e.adminClient().Get(row.PreviewURL)
	if err != nil {
		t.Fatalf("follow the preview link: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the preview link answers %d, want the admin page", resp.StatusCode)
	}
}
