package service

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

func (f *fixture) fleet() map[string]FleetDevice {
	f.t.Helper()
	var list []FleetDevice
	f.getJSON(f.reviewRequest("GET", "/review/api/fleet", nil), &list)
	out := map[string]FleetDevice{}
	for _, d := range list {
		out[d.ID] = d
	}
	return out
}

func (f *fixture) fleetPage() string {
	f.t.Helper()
	resp, body := f.do(f.reviewRequest("GET", "/review/fleet", nil))
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("fleet page: status %d; body %s", resp.StatusCode, body)
	}
	return string(body)
}

// heartbeat posts hb as testDevice and requires a 204.
func (f *fixture) heartbeat(hb api.Heartbeat) {
	f.t.Helper()
	resp, body := f.do(f.deviceRequest("POST", "/v1/devices/"+testDevice+"/heartbeat", hb))
	if resp.StatusCode != http.StatusNoContent {
		f.t.Fatalf("heartbeat: status %d, want 204; body %s", resp.StatusCode, body)
	}
}

// row returns the fleet page's table row of device.
func row(t *testing.T, page, device string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `<tr data-device="`+device+`"`)
	if !ok {
		t.Fatalf("the fleet page has no row for %s", device)
	}
	r, _, _ := strings.Cut(rest, "</tr>")
	return r
}

// TestFleet_ShowsAKioskAfterItsHeartbeatAndMarksItStale is the fleet page
// over time, on the service's injected clock: enrolled kiosks are listed
// from the start (never seen, stale); one heartbeat brings a kiosk's
// version, health, camera, queue and preview link; five minutes of silence
// make it stale again.
func TestFleet_ShowsAKioskAfterItsHeartbeatAndMarksItStale(t *testing.T) {
	f := newFixture(t, nil)

	before := f.fleet()
	for _, id := range []string{testDevice, otherDevice} {
		d, ok := before[id]
		if !ok || d.LastSeen != nil || !d.Stale || d.Enrolled == nil {
			t.Errorf("before any heartbeat, %s: %+v (listed %v); want enrolled, never seen, stale", id, d, ok)
		}
	}

	oldest := f.clock.Now().Add(-time.Hour)
	f.heartbeat(api.Heartbeat{
		Version: "1.4.2", Health: "degraded", QueueDepth: 2, DeadLetters: 1, OldestQueued: &oldest,
		Camera: "disconnected", AdminURL: "https://10.0.0.5:8443/", Sent: f.clock.Now(),
		Checks: map[string]string{"camera.present": "fail", "camera.black": "skip", "queue": "ok", "alert.dead_letters": "1"},
	})
	d := f.fleet()[testDevice]
	if d.LastSeen == nil || !d.LastSeen.Equal(f.clock.Now()) || d.Stale || d.Version != "1.4.2" || d.Health != "degraded" ||
		d.Camera != "disconnected" || d.QueueDepth != 2 || d.DeadLetters != 1 || d.PreviewURL != "https://10.0.0.5:8443/" {
		t.Errorf("after a heartbeat: %+v", d)
	}
	if want := []string{"alert.dead_letters: 1", "camera.present: fail"}; !slices.Equal(d.Problems, want) {
		t.Errorf("problems %q, want %q (ok and skip left out)", d.Problems, want)
	}
	r := row(t, f.fleetPage(), testDevice)
	for _, want := range []string{`data-stale="false"`, "1.4.2", "degraded", "disconnected", "2 queued", "1 dead",
		`href="https://10.0.0.5:8443/"`, "<small>https://10.0.0.5:8443/</small>", "camera.present: fail"} {
		if !strings.Contains(r, want) {
			t.Errorf("the fleet row lacks %q:\n%s", want, r)
		}
	}
	if r := row(t, f.fleetPage(), otherDevice); !strings.Contains(r, "never") || !strings.Contains(r, `data-stale="true"`) {
		t.Errorf("the silent kiosk's row does not say never/stale:\n%s", r)
	}

	f.clock.Advance(DefaultFleetStaleAfter)
	if d := f.fleet()[testDevice]; d.Stale {
		t.Errorf("stale exactly %s after the last heartbeat; want stale only after", DefaultFleetStaleAfter)
	}
	f.clock.Advance(time.Second)
	if d := f.fleet()[testDevice]; !d.Stale || d.Version != "1.4.2" {
		t.Errorf("%s after the last heartbeat: %+v; want stale, last report kept", DefaultFleetStaleAfter+time.Second, d)
	}
	if r := row(t, f.fleetPage(), testDevice); !strings.Contains(r, `data-stale="true"`) || !strings.Contains(r, "5m1s ago") {
		t.Errorf("the stale row:\n%s", r)
	}

	f.heartbeat(api.Heartbeat{Version: "1.4.2", Health: "ok", Camera: "ok", Sent: f.clock.Now()})
	if d := f.fleet()[testDevice]; d.Stale || d.Health != "ok" {
		t.Errorf("after a new heartbeat: %+v, want fresh and ok", d)
	}
}

func TestFleet_StaleAfterIsConfigurable(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.FleetStaleAfter = 30 * time.Second })
	f.heartbeat(api.Heartbeat{Version: "1", Health: "ok", Sent: f.clock.Now()})
	f.clock.Advance(31 * time.Second)
	if d := f.fleet()[testDevice]; !d.Stale {
		t.Errorf("31s after the heartbeat with FleetStaleAfter 30s: not stale")
	}
}

// TestFleet_PreviewLinkOnlyHTTPS: the admin URL comes from the kiosk; only
// a plain https URL becomes a link.
func TestFleet_PreviewLinkOnlyHTTPS(t *testing.T) {
	f := newFixture(t, nil)
	for _, tt := range []struct{ url, want string }{
		{"https://kiosk-1.example.org:8443/", "https://kiosk-1.example.org:8443/"},
		{"javascript:alert(1)", ""},
		{"http://10.0.0.5:8443/", ""},
		{"https://admin:secret@10.0.0.5:8443/", ""},
		{"", ""},
	} {
		f.heartbeat(api.Heartbeat{Version: "1", Health: "ok", AdminURL: tt.url, Sent: f.clock.Now()})
		if got := f.fleet()[testDevice].PreviewURL; got != tt.want {
			t.Errorf("admin_url %q: preview link %q, want %q", tt.url, got, tt.want)
		}
		if page := f.fleetPage(); tt.want == "" && strings.Contains(row(t, page, testDevice), "<a href") {
			t.Errorf("admin_url %q became a link", tt.url)
		}
	}
}

func TestFleet_RevokedAndAuth(t *testing.T) {
	f := newFixture(t, nil)
	if err := RevokeDevice(f.dir, otherDevice, false, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if d := f.fleet()[otherDevice]; !d.Revoked {
		t.Errorf("revoked device %+v, want revoked", d)
	}
	for _, path := range []string{"/review/fleet", "/review/api/fleet"} {
		r, _ := http.NewRequest("GET", f.ts.URL+path, nil)
		resp, _ := f.do(r)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without the reviewer login: status %d, want 401", path, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, cc)
		}
	}
}
