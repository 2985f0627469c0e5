package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

func TestReachProbe(t *testing.T) {
	answer := http.StatusOK
	var device string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/svc/v1/keys" {
			http.NotFound(w, r)
			return
		}
		device = r.Header.Get(api.HeaderDeviceID)
		// The service's clock is 30 s ahead of ours.
		w.Header().Set("Date", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(answer)
	}))
	defer srv.Close()
	// A query may carry a secret (sync/client never logs it): it is sent,
	// never shown.
	base, _ := url.Parse(srv.URL + "/svc?key=s3cret")
	p := &reachProbe{base: base, device: "kiosk-7", http: srv.Client(), now: time.Now}

	n := p.probe(context.Background())
	if !n.Reachable || n.Status != 200 || n.Checked == nil || device != "kiosk-7" {
		t.Errorf("probe of a working service: %+v (device header %q), want reachable 200 from kiosk-7", n, device)
	}
	if n.Service != srv.URL+"/svc" {
		t.Errorf("probe shows the service as %q, want %q (no query)", n.Service, srv.URL+"/svc")
	}
	if s := p.clockSkew(); s == nil || *s < 28 || *s > 32 {
		t.Errorf("clock skew %v, want about +30 s", s)
	}
	if c := p.cached(); c.Checked == nil || !c.Checked.Equal(*n.Checked) {
		t.Errorf("cached right after a probe: %+v, want that probe's answer", c)
	}

	answer = http.StatusForbidden
	if n := p.probe(context.Background()); n.Reachable || n.Status != 403 || !strings.Contains(n.Error, "403") {
		t.Errorf("probe of a service that refuses us: %+v, want unreachable with its 403", n)
	}

	srv.Close()
	if n := p.probe(context.Background()); n.Reachable || n.Error == "" || strings.Contains(n.Error, "/svc") {
		t.Errorf("probe of a service that is gone: %+v, want unreachable with the reason and without the URL", n)
	}
}
