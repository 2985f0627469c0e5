package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// Client talks to kioskd's control socket.
type Client struct {
	http *http.Client
}

// NewClient returns a client for the socket at path. Nothing is dialled
// until the first call.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	return &Client{http: &http.Client{Transport: tr}}
}

// StatusError is a problem answer from kioskd.
type StatusError struct{ Problem }

func (e *StatusError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("kioskd answered %d: %s", e.Status, e.Detail)
	}
	return fmt.Sprintf("kioskd answered %d %s", e.Status, e.Title)
}

// Do sends a request to path and decodes a JSON answer into out (nil: the
// answer is dropped). in, when not nil, is sent as JSON.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.open(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("kioskd %s %s: decode: %w", method, path, err)
	}
	return nil
}

// Stream sends a GET to path and returns the answer's body, for answers
// that are not JSON. The caller closes it.
func (c *Client) Stream(ctx context.Context, path string) (io.ReadCloser, error) {
	resp, err := c.open(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func (c *Client) open(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	// The host is a placeholder: the transport always dials the socket.
	req, err := http.NewRequestWithContext(ctx, method, "http://kioskd"+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kioskd control socket: %w", err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		se := &StatusError{Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		json.Unmarshal(b, &se.Problem)
		return nil, se
	}
	return resp, nil
}

// QueueList fetches the outbox listing: at most limit queued profiles
// after sequence number after (0: from the start).
func (c *Client) QueueList(ctx context.Context, after uint64, limit int) (QueueList, error) {
	q := url.Values{}
	if after > 0 {
		q.Set("after", strconv.FormatUint(after, 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := PathQueue
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out QueueList
	return out, c.Do(ctx, http.MethodGet, path, nil, &out)
}

// RetryDead requeues dead letters; no ids means all of them.
func (c *Client) RetryDead(ctx context.Context, ids ...string) (int, error) {
	var out RetryDeadResult
	err := c.Do(ctx, http.MethodPost, PathRetryDead, RetryDeadRequest{IDs: ids}, &out)
	return out.Requeued, err
}

// SyncNow makes every queued profile due now.
func (c *Client) SyncNow(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, PathSyncNow, struct{}{}, nil)
}

// ExportDead writes the dead-letter archive (a tar) to w.
func (c *Client) ExportDead(ctx context.Context, w io.Writer) error {
	body, err := c.Stream(ctx, PathExportDead)
	if err != nil {
		return err
	}
	defer body.Close()
	if _, err := io.Copy(w, body); err != nil {
		return fmt.Errorf("kioskd export: %w", err)
	}
	return nil
}

// IsNotFound reports whether err is kioskd's 404.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}
