package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/idkiosk/idkiosk/sync/api"
)

// Defaults for a zero Options field.
const (
	// DefaultTimeout bounds one attempt, upload included: a 1 MB envelope
	// over a weak 3G link takes ~10 s, and the service fsyncs before it
	// answers.
	DefaultTimeout = 60 * time.Second
	DefaultMinWait = time.Second
	DefaultMaxWait = 30 * time.Second

	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
)

// MaxResponseBytes caps how much of any response body is read. The
// contract's answers are a few hundred bytes; anything near this is a
// portal page or an attack.
const MaxResponseBytes = 1 << 20

// Options configure a Client.
type Options struct {
	BaseURL  string // e.g. https://verify.example.org; a query is kept on every request and never logged
	DeviceID string
	// Token, when set, is sent as a bearer token. verifyd authenticates
	// devices by their client certificate (TLS, see PinnedTLS) and needs
	// none; one of the two is required.
	Token string
	// Timeout bounds each attempt (connect, upload, answer, body).
	Timeout time.Duration
	// Log receives retryablehttp's messages, scrubbed; nil discards them.
	Log *slog.Logger
	// RetryMax is how many times one call retries after its first attempt;
	// 0 means no retries (the uploader retries durably on its own).
	RetryMax int
	// MinWait and MaxWait bound the backoff between attempts; MaxWait also
	// caps Retry-After.
	MinWait, MaxWait time.Duration
	// Version goes into the User-Agent: idkiosk/<Version>.
	Version string
	// TLS configures the transport (private CA, client certificate for
	// mTLS); nil means the system roots.
	TLS *tls.Config
	// Now is used to read Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Client calls the central service for one device. It is safe for
// concurrent use.
type Client struct {
	BaseURL  *url.URL
	DeviceID string
	Token    string
	HTTP     *retryablehttp.Client

	userAgent string
	now       func() time.Time
}

// New builds a Client with this project's retry policy (see the package
// documentation).
func New(opts Options) (*Client, error) {
	base, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base url: %w", err)
	}
	if (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("client: base url must be http(s)://host[/path], got scheme %q host %q", base.Scheme, base.Host)
	}
	if base.User != nil {
		return nil, errors.New("client: base url must not carry credentials; use Token")
	}
	if opts.DeviceID == "" || (opts.Token == "" && !hasClientCert(opts.TLS)) {
		return nil, errors.New("client: device id and a client certificate (or token) are required")
	}
	if opts.RetryMax < 0 {
		return nil, fmt.Errorf("client: RetryMax %d is negative", opts.RetryMax)
	}
	timeout := orDefault(opts.Timeout, DefaultTimeout)
	minWait := orDefault(opts.MinWait, DefaultMinWait)
	maxWait := max(orDefault(opts.MaxWait, DefaultMaxWait), minWait)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}

	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       opts.TLS,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		// The uploader keeps up to queue.parallel PUTs in flight; fewer
		// idle connections than that would mean a new TCP (and TLS)
		// handshake for most of them.
		MaxIdleConnsPerHost: 8,
		ForceAttemptHTTP2:   true,
	}
	rc := &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		RetryWaitMin: minWait,
		RetryWaitMax: maxWait,
		RetryMax:     opts.RetryMax,
		CheckRetry:   checkRetry,
		Backoff:      newBackoff(now),
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if opts.Log != nil {
		rc.Logger = &retryLogger{log: opts.Log.With("component", "retryablehttp"), secrets: []string{opts.Token}}
	}
	return &Client{
		BaseURL:   base,
		DeviceID:  opts.DeviceID,
		Token:     opts.Token,
		HTTP:      rc,
		userAgent: "idkiosk/" + version,
		now:       now,
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// call is one request of the contract.
type call struct {
	method      string
	segments    []string // path segments, unescaped
	contentType string
	body        []byte
	header      http.Header
}

// do sends c with retries and returns the body of a 2xx answer, or a
// *StatusError for any other answer.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	u := c.BaseURL.JoinPath(escapeAll(cl.segments)...)
	var body any
	if cl.body != nil {
		body = cl.body // a []byte is re-read from the start on every retry
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, scrubError(err))
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set(api.HeaderDeviceID, c.DeviceID)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json, application/problem+json")
	if cl.contentType != "" {
		req.Header.Set("Content-Type", cl.contentType)
	}

	resp, err := c.HTTP.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, scrubError(err)
	}
	defer resp.Body.Close()
	b, tooLarge, readErr := readLimited(resp.Body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		switch {
		case readErr != nil:
			return nil, fmt.Errorf("read %d answer: %w", resp.StatusCode, scrubError(readErr))
		case tooLarge:
			return nil, fmt.Errorf("%d answer: %w (limit %d bytes)", resp.StatusCode, ErrResponseTooLarge, MaxResponseBytes)
		}
		return b, nil
	}
	return nil, statusError(resp, b, tooLarge || readErr != nil, c.now())
}

func escapeAll(segments []string) []string {
	out := make([]string, len(segments))
	for i, s := range segments {
		out[i] = url.PathEscape(s)
	}
	return out
}

// readLimited reads at most MaxResponseBytes and says whether there was more.
func readLimited(r io.Reader) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if len(b) > MaxResponseBytes {
		return b[:MaxResponseBytes], true, err
	}
	return b, false, err
}

// statusError builds the error for a non-2xx answer, decoding its problem
// document when there is a usable one.
func statusError(resp *http.Response, body []byte, partial bool, now time.Time) *StatusError {
	e := &StatusError{Code: resp.StatusCode}
	if after, ok := retryAfter(resp.Header, now); ok {
		e.RetryAfter = after
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !partial && (mt == "application/problem+json" || mt == "application/json") {
		var p api.Problem
		if json.Unmarshal(body, &p) == nil {
			e.Problem = p
		}
	}
	if e.Problem.Title == "" {
		e.Problem.Title = http.StatusText(resp.StatusCode)
	}
	if e.Problem.Status == 0 {
		e.Problem.Status = resp.StatusCode
	}
	return e
}

// decode unmarshals a 2xx JSON answer.
func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return nil
}
