package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// ServiceKeys asks the service for its HPKE public keys and the current one.
// The answer is only as trustworthy as the connection: use a Client whose
// TLS configuration pins the service (PinnedTLS), and check the list with
// envelope.ParseServiceKeys before sealing to it.
func (c *Client) ServiceKeys(ctx context.Context) (api.ServiceKeys, error) {
	b, err := c.do(ctx, call{method: http.MethodGet, segments: []string{"v1", "keys"}})
	if err != nil {
		return api.ServiceKeys{}, fmt.Errorf("service keys: %w", err)
	}
	var keys api.ServiceKeys
	if err := decode(b, &keys); err != nil {
		return api.ServiceKeys{}, fmt.Errorf("service keys: %w", err)
	}
	return keys, nil
}

// Enroll sends an enrollment request to the service at baseURL over a
// connection configured by tlsConfig (FingerprintTLS, or PinnedTLS roots
// without a client certificate). It is one attempt with no retries: a code
// is single-use, so trying again is a person's decision (and the service
// answers an identical retry with the same certificate). A refusal is a
// *StatusError carrying the service's problem document.
func Enroll(ctx context.Context, baseURL string, tlsConfig *tls.Config, req api.EnrollRequest) (api.EnrollResponse, error) {
	base, err := url.Parse(baseURL)
	if err != nil || base.Scheme != "https" || base.Host == "" || base.User != nil {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w: service url must be https://host[/path]", ErrInvalidRequest)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, base.JoinPath("v1", "enroll").String(), bytes.NewReader(body))
	if err != nil {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json, application/problem+json")
	hc := &http.Client{
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     tlsConfig,
			TLSHandshakeTimeout: tlsHandshakeTimeout,
		},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(hreq)
	if err != nil {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w", scrubError(err))
	}
	defer resp.Body.Close()
	b, tooLarge, readErr := readLimited(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w", statusError(resp, b, tooLarge || readErr != nil, time.Now()))
	}
	if readErr != nil || tooLarge {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w: unreadable answer", ErrBadResponse)
	}
	var out api.EnrollResponse
	if err := decode(b, &out); err != nil {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w", err)
	}
	if out.DeviceID != req.DeviceID {
		return api.EnrollResponse{}, fmt.Errorf("enroll: %w: enrolled %q, asked for %q", ErrBadResponse, out.DeviceID, req.DeviceID)
	}
	return out, nil
}
