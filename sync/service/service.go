package service

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/sync/envelope"
)

// Defaults for the zero values in Options.
const (
	DefaultMaxEnvelopeBytes = 32 << 20
	DefaultLookupPerMinute  = 10
	DefaultLookupBurst      = 5
)

// Options configure a Server. DataDir and Keys are required; the zero value of
// everything else works (no enrolled devices means no kiosk can
// authenticate, a zero ReviewPasswordSHA256 means no reviewer can log in).
type Options struct {
	// DataDir holds the bbolt file, the service secret, the device CA and
	// the device registry (devices.json, changed by AddDevice and
	// RevokeDevice); created 0700 if missing.
	DataDir string
	// Keys opens envelopes. Keep retired keys here: kiosks offline for days
	// still hold envelopes sealed to them.
	Keys envelope.KeyRing
	// CurrentKey is the key kiosks are told to seal to; when empty, the
	// newest key in Keys (by Created, then by key id).
	CurrentKey string
	// Accounts are the emails that have an account; compared lowercased.
	Accounts []string
	// ReviewPasswordSHA256 is the SHA-256 of the review page password.
	ReviewPasswordSHA256 [32]byte
	// MaxEnvelopeBytes caps a PUT body; DefaultMaxEnvelopeBytes when zero.
	MaxEnvelopeBytes int64
	// LookupPerMinute and LookupBurst shape the per-device token bucket of
	// the account lookup; DefaultLookupPerMinute and DefaultLookupBurst when zero.
	LookupPerMinute int
	LookupBurst     int
	// FleetStaleAfter marks a kiosk stale on the fleet page (fleet.go) when
	// its last heartbeat is older; DefaultFleetStaleAfter when zero.
	FleetStaleAfter time.Duration
	// Log receives operational events, never personal data; discarded when nil.
	Log *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the verification service. Its handler is safe for concurrent use.
type Server struct {
	store    *store
	keys     envelope.KeyRing
	current  string // key id kiosks seal to
	registry *registry
	ca       *authority            // issues and checks device certificates
	accounts map[[32]byte]struct{} // emailKey of each account, no plaintext kept
	reviewPW [32]byte
	csrfKey  []byte
	maxBody  int64
	limiter  *limiter
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	inflight map[string]struct{} // profile ids being stored right now

	// beforeCommit, when set by a test, runs while a PUT holds its profile
	// id in flight and before the store commits, so a test can line up a
	// concurrent PUT deterministically.
	beforeCommit func(id string)

	fleetStale time.Duration // see Options.FleetStaleAfter
}

// New opens (or creates) the store in opts.DataDir and returns a Server.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("service: no data directory")
	}
	if len(opts.Keys) == 0 {
		return nil, errors.New("service: no private keys: envelopes could not be opened")
	}
	current, err := CurrentKey(opts.Keys, opts.CurrentKey)
	if err != nil {
		return nil, err
	}
	s := &Server{
		keys:     opts.Keys,
		current:  current,
		registry: openRegistry(opts.DataDir),
		reviewPW: opts.ReviewPasswordSHA256,
		maxBody:  opts.MaxEnvelopeBytes,
		log:      opts.Log,
		now:      opts.Now,
		inflight: make(map[string]struct{}),
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxEnvelopeBytes
	}
	if s.fleetStale = opts.FleetStaleAfter; s.fleetStale <= 0 {
		s.fleetStale = DefaultFleetStaleAfter
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	perMinute, burst := opts.LookupPerMinute, opts.LookupBurst
	if perMinute <= 0 {
		perMinute = DefaultLookupPerMinute
	}
	if burst <= 0 {
		burst = DefaultLookupBurst
	}
	s.limiter = newLimiter(time.Minute/time.Duration(perMinute), burst)
	s.log.Info("service keys", "current", current, "keys", len(opts.Keys))

	secret, err := loadSecret(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if s.ca, err = loadOrCreateCA(opts.DataDir, deviceCACert, deviceCAKey, "idkiosk device CA", s.now()); err != nil {
		return nil, fmt.Errorf("device CA: %w", err)
	}
	st, err := openStore(opts.DataDir, secret)
	if err != nil {
		return nil, err
	}
	s.store = st
	s.csrfKey = derive(secret, "review csrf")
	s.accounts = make(map[[32]byte]struct{}, len(opts.Accounts))
	for _, a := range opts.Accounts {
		s.accounts[st.emailKey(a)] = struct{}{}
	}
	return s, nil
}

// DeviceCA is the CA that issues kiosk client certificates.
func (s *Server) DeviceCA() *x509.Certificate { return s.ca.cert }

// Close closes the store. Call it after the HTTP server has shut down, so
// that in-flight PUTs finish their commit first.
func (s *Server) Close() error {
	return s.store.close()
}

// route is one method on one path, as a Go 1.22 ServeMux pattern splits it.
type route struct {
	method, path string
	h            http.Handler
}

// contractRoutes are the operations of sync/api/openapi.yaml; a test checks
// that the two lists agree.
func (s *Server) contractRoutes() []route {
	return []route{
		{"PUT", "/v1/profiles/{id}", s.device(s.handlePut)},
		{"GET", "/v1/profiles/{id}/status", s.device(s.handleStatus)},
		{"POST", "/v1/accounts/lookup", s.device(s.handleLookup)},
		{"POST", "/v1/devices/{id}/heartbeat", s.device(s.handleHeartbeat)},
		{"POST", "/v1/enroll", http.HandlerFunc(s.handleEnroll)},
		{"GET", "/v1/keys", s.device(s.handleKeys)},
	}
}

// Handler returns the service's routes.
func (s *Server) Handler() http.Handler {
	routes := s.contractRoutes()
	routes = append(routes, route{"GET", "/healthz", http.HandlerFunc(s.handleHealth)})
	routes = append(routes, s.reviewRoutes()...)
	routes = append(routes, s.fleetRoutes()...)

	mux := http.NewServeMux()
	allow := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, rt.h)
		if allow[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allow[rt.path] = append(allow[rt.path], rt.method)
		if rt.method == "GET" {
			allow[rt.path] = append(allow[rt.path], "HEAD")
		}
	}
	// Without these, ServeMux answers 404 and 405 in text/plain; the
	// contract promises a problem document for every error.
	for _, path := range paths {
		methods := strings.Join(allow[path], ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			writeProblem(w, http.StatusMethodNotAllowed, probMethod, "method "+logSafe(r.Method)+" not allowed; use "+methods)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, probNoRoute, "no such resource")
	})
	return mux
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if err := s.store.ping(); err != nil {
		s.log.Error("health check", "err", err)
		writeProblem(w, http.StatusServiceUnavailable, probUnavailable, "store not available")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// claim marks id as being stored, reporting false when another request
// already holds it.
func (s *Server) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.inflight[id]; busy {
		return false
	}
	s.inflight[id] = struct{}{}
	return true
}

func (s *Server) release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, id)
}
