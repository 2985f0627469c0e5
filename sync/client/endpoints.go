package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
)

// PutProfile delivers a sealed envelope under its profile id. A nil error
// means the service has stored exactly these bytes: the answer names the
// same id and the same Content-Digest.
func (c *Client) PutProfile(ctx context.Context, id string, envelope []byte) (api.StoreResult, error) {
	if err := checkProfileID(id); err != nil {
		return api.StoreResult{}, err
	}
	if len(envelope) == 0 {
		return api.StoreResult{}, fmt.Errorf("put profile %s: %w: empty envelope", id, ErrInvalidRequest)
	}
	digest := api.ContentDigest(envelope)
	b, err := c.do(ctx, call{
		method:      http.MethodPut,
		segments:    []string{"v1", "profiles", id},
		contentType: api.EnvelopeMediaType,
		body:        envelope,
		header: http.Header{
			api.HeaderIdempotencyKey: {id},
			api.HeaderContentDigest:  {digest},
		},
	})
	if err != nil {
		return api.StoreResult{}, fmt.Errorf("put profile %s: %w", id, err)
	}
	var res api.StoreResult
	if err := decode(b, &res); err != nil {
		return api.StoreResult{}, fmt.Errorf("put profile %s: %w", id, err)
	}
	if res.ID != id || res.Digest != digest {
		return api.StoreResult{}, fmt.Errorf("put profile %s: %w: stored id %q digest %q, sent digest %q",
			id, ErrBadResponse, res.ID, res.Digest, digest)
	}
	return res, nil
}

// Status asks where a profile stands with the reviewers. An unknown id is
// a *StatusError matching ErrNotFound.
func (c *Client) Status(ctx context.Context, id string) (api.ProfileStatus, error) {
	if err := checkProfileID(id); err != nil {
		return api.ProfileStatus{}, err
	}
	b, err := c.do(ctx, call{method: http.MethodGet, segments: []string{"v1", "profiles", id, "status"}})
	if err != nil {
		return api.ProfileStatus{}, fmt.Errorf("profile status %s: %w", id, err)
	}
	var st api.ProfileStatus
	if err := decode(b, &st); err != nil {
		return api.ProfileStatus{}, fmt.Errorf("profile status %s: %w", id, err)
	}
	if st.ID != id {
		return api.ProfileStatus{}, fmt.Errorf("profile status %s: %w: answer is about %q", id, ErrBadResponse, st.ID)
	}
	return st, nil
}

// Lookup asks whether an account exists for email. The email travels only
// in the body, which is never logged. A rate-limited answer is a
// *StatusError matching ErrRateLimited, with RetryAfter set.
func (c *Client) Lookup(ctx context.Context, email string) (api.LookupResponse, error) {
	if email == "" {
		return api.LookupResponse{}, fmt.Errorf("account lookup: %w: empty email", ErrInvalidRequest)
	}
	body, err := json.Marshal(api.LookupRequest{Email: email})
	if err != nil {
		return api.LookupResponse{}, fmt.Errorf("account lookup: %w", err)
	}
	b, err := c.do(ctx, call{
		method:      http.MethodPost,
		segments:    []string{"v1", "accounts", "lookup"},
		contentType: "application/json",
		body:        body,
	})
	if err != nil {
		return api.LookupResponse{}, fmt.Errorf("account lookup: %w", err)
	}
	var res api.LookupResponse
	if err := decode(b, &res); err != nil {
		return api.LookupResponse{}, fmt.Errorf("account lookup: %w", err)
	}
	return res, nil
}

// Heartbeat reports this device's version, health and queue depth.
func (c *Client) Heartbeat(ctx context.Context, hb api.Heartbeat) error {
	if c.DeviceID == "." || c.DeviceID == ".." {
		return fmt.Errorf("heartbeat: %w: device id %q", ErrInvalidRequest, c.DeviceID)
	}
	body, err := json.Marshal(hb)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	_, err = c.do(ctx, call{
		method:      http.MethodPost,
		segments:    []string{"v1", "devices", c.DeviceID, "heartbeat"},
		contentType: "application/json",
		body:        body,
	})
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// checkProfileID refuses ids that are not UUIDs before anything is sent: the
// id becomes a path segment and the Idempotency-Key.
func checkProfileID(id string) error {
	// Parse also accepts {braced} and urn:uuid: forms; only the canonical
	// 36-character form is an id.
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return fmt.Errorf("profile id %q: %w: not a UUID", id, ErrInvalidRequest)
	}
	return nil
}
