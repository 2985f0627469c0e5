package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
)

// Probe timing: staff want an answer while they look at the screen, so
// one probe waits at most reachTimeout, and a status read within reachTTL
// of the last probe reuses it (the staff page polls every few seconds).
const (
	reachTimeout = 5 * time.Second
	reachTTL     = 30 * time.Second
)

// reachProbe answers "does the service answer this kiosk?" with the
// cheapest authenticated request of the contract, GET /v1/keys: the same
// mTLS client certificate, pinned CA and network path as deliveries, no
// retries. A 2xx is reachable; any other answer says the network works
// but the service refuses (401/403: enroll again). It also learns the
// service's clock from the Date header.
type reachProbe struct {
	base   *url.URL
	device string
	http   *http.Client
	now    func() time.Time

	mu      sync.Mutex
	last    control.Network
	skew    *float64
	running bool
}

func newReachProbe(cli *client.Client) *reachProbe {
	return &reachProbe{base: cli.BaseURL, device: cli.DeviceID, http: cli.HTTP.HTTPClient, now: time.Now,
		last: control.Network{Service: shownURL(cli.BaseURL)}}
}

// cached returns the last probe's answer and, when it is older than
// reachTTL, starts a new probe in the background for the next read.
func (p *reachProbe) cached() control.Network {
	p.mu.Lock()
	defer p.mu.Unlock()
	stale := p.last.Checked == nil || p.now().Sub(*p.last.Checked) >= reachTTL
	if stale && !p.running {
		p.running = true
		go p.probe(context.Background())
	}
	return p.last
}

// clockSkew is the service's clock minus ours from the last answer.
func (p *reachProbe) clockSkew() *float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skew
}

// probe asks the service now and keeps the answer.
func (p *reachProbe) probe(ctx context.Context) control.Network {
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	start := p.now()
	n := control.Network{Service: shownURL(p.base), Checked: &start}
	var skew *float64
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base.JoinPath("v1", "keys").String(), nil)
	if err == nil {
		req.Header.Set(api.HeaderDeviceID, p.device)
		req.Header.Set("Accept", "application/json")
		var resp *http.Response
		resp, err = p.http.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			end := p.now()
			n.LatencyMS = end.Sub(start).Milliseconds()
			n.Status = resp.StatusCode
			n.Reachable = resp.StatusCode/100 == 2
			if !n.Reachable {
				n.Error = fmt.Sprintf("the service answered %s", resp.Status)
			}
			if d, derr := http.ParseTime(resp.Header.Get("Date")); derr == nil {
				// The Date was stamped somewhere between start and end.
				s := d.Sub(start.Add(end.Sub(start) / 2)).Round(time.Second).Seconds()
				skew = &s
			}
		}
	}
	if err != nil {
		n.Error = reachError(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.running = n, false
	if skew != nil {
		p.skew = skew
	}
	return n
}

// shownURL is the service's URL as staff screens and kioskctl show it:
// without a query, fragment or user info, which sync/client treats as
// possibly secret and never logs either.
func shownURL(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.ForceQuery, r.Fragment, r.RawFragment = nil, "", false, "", ""
	return r.String()
}

// reachError is the transport's reason without the URL: short enough for
// the staff screen.
func reachError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", reachTimeout)
	}
	return err.Error()
}
