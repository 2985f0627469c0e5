package service

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

func TestLookup(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.LookupBurst = 100 })

	// Two profiles for one email: the newest one's review is the answer.
	older := newProfile(t, testDevice, testEmail, false)
	f.put(older)
	f.clock.Advance(time.Hour)
	newer := newProfile(t, testDevice, strings.ToUpper(testEmail), true)
	f.put(newer)
	f.decide(older.ID, Decision{State: api.StateApproved})

	tests := []struct {
		name   string
		email  string
		exists bool
		want   *api.ProfileStatus
	}{
		{"in accounts file only", "Listed@Example.org", true, nil},
		{"has profiles, newest wins", "  learner@example.ORG ", true,
			&api.ProfileStatus{ID: newer.ID, State: api.StatePendingReview, Updated: f.clock.Now()}},
		{"unknown", "nobody@example.org", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got api.LookupResponse
			f.getJSON(f.deviceRequest("POST", "/v1/accounts/lookup", api.LookupRequest{Email: tt.email}), &got)
			if got.Exists != tt.exists {
				t.Errorf("exists %v, want %v", got.Exists, tt.exists)
			}
			switch {
			case tt.want == nil && got.Verification != nil:
				t.Errorf("verification %+v, want none", got.Verification)
			case tt.want != nil && (got.Verification == nil || *got.Verification != *tt.want):
				t.Errorf("verification %+v, want %+v", got.Verification, tt.want)
			}
		})
	}
}

func TestLookup_Malformed(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.LookupBurst = 100 })
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"not json", "email=a@b.c", 400},
		{"no at sign", `{"email":"learner.example.org"}`, 400},
		{"empty", `{"email":""}`, 400},
		{"two values", `{"email":"a@b.c"}{"email":"d@e.f"}`, 400},
		{"over 4 KiB", `{"email":"` + strings.Repeat("a", 5000) + `@example.org"}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.deviceRequest("POST", "/v1/accounts/lookup", nil)
			r.Body = io.NopCloser(strings.NewReader(tt.body))
			r.ContentLength = int64(len(tt.body))
			resp, body := f.do(r)
			problemOf(t, resp, body, tt.status)
		})
	}
}

func TestLookup_RateLimited(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.LookupPerMinute, o.LookupBurst = 10, 5 })
	lookup := func(device string) *http.Response {
		r := f.deviceRequest("POST", "/v1/accounts/lookup", api.LookupRequest{Email: "listed@example.org"})
		r.Header.Set(api.HeaderDeviceID, device)
		resp, _ := f.doAs(device, r)
		return resp
	}
	for i := range 5 {
		if resp := lookup(testDevice); resp.StatusCode != http.StatusOK {
			t.Fatalf("lookup %d of the burst: status %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp := lookup(testDevice)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("lookup after the burst: status %d, want 429", resp.StatusCode)
	}
	// 10 a minute is one token every 6 seconds.
	if got := resp.Header.Get("Retry-After"); got != "6" {
		t.Errorf("Retry-After %q, want \"6\"", got)
	}
	if resp := lookup(otherDevice); resp.StatusCode != http.StatusOK {
		t.Errorf("another device: status %d, want 200 (buckets are per device)", resp.StatusCode)
	}
	f.clock.Advance(6 * time.Second)
	if resp := lookup(testDevice); resp.StatusCode != http.StatusOK {
		t.Errorf("lookup after Retry-After: status %d, want 200", resp.StatusCode)
	}
	if resp := lookup(testDevice); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("second lookup after one refill: status %d, want 429", resp.StatusCode)
	}
}

func TestHeartbeat(t *testing.T) {
	f := newFixture(t, nil)
	hb := api.Heartbeat{Version: "0.1.0", Health: "ok", QueueDepth: 3, Sent: f.clock.Now()}

	resp, body := f.do(f.deviceRequest("POST", "/v1/devices/"+testDevice+"/heartbeat", hb))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("heartbeat: status %d, want 204; body %s", resp.StatusCode, body)
	}
	resp, body = f.do(f.deviceRequest("POST", "/v1/devices/"+otherDevice+"/heartbeat", hb))
	problemOf(t, resp, body, http.StatusForbidden)

	devs, err := f.srv.store.devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].ID != testDevice || devs[0].Heartbeat.QueueDepth != 3 || !devs[0].LastSeen.Equal(f.clock.Now()) {
		t.Errorf("devices %+v, want %s seen now with queue depth 3", devs, testDevice)
	}
}
