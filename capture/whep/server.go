package whep

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/idkiosk/idkiosk/capture/encode"
)

// Config configures a Server. Zero durations and limits take the defaults
// below.
type Config struct {
	// Codec is what Source produces; Source the shared encoded stream.
	Codec  encode.Codec
	Source Source
	// Tokens may watch; nobody else can.
	Tokens Tokens
	// MaxViewers caps sessions over all tokens: each one costs the kiosk
	// packet sending and encryption (BENCHMARKS.md).
	MaxViewers int
	ICEServers []ICEServer
	// UDP is the one ICE UDP port, as "host:port" (":8443": every
	// interface). Required.
	UDP string
	// TCP, if set, is the ICE-TCP port for networks that block UDP.
	TCP string
	// KeyframeMinGap limits keyframes asked for by PLI and FIR.
	KeyframeMinGap time.Duration
	// ConnectTimeout drops a session whose connection never comes up.
	ConnectTimeout time.Duration
	// DisconnectedTimeout and FailedTimeout: a viewer silent for the first
	// counts as disconnected, and after the second more is reaped.
	DisconnectedTimeout, FailedTimeout time.Duration
	// KeepaliveInterval between ICE consent checks.
	KeepaliveInterval time.Duration
	// Audit receives every session start and end; nil logs them only.
	Audit Auditor
	// OnViewers, if set, is called with the number of open sessions each
	// time it changes (the kiosk's "an administrator is viewing" banner).
	// Calls may come from several goroutines but never out of order.
	OnViewers func(n int)
	// BasePath is the WHEP endpoint's path; default "/whep".
	BasePath string
	Log      *slog.Logger // nil: slog.Default()
}

// Defaults for Config.
const (
	DefaultMaxViewers          = 10
	DefaultKeyframeMinGap      = 500 * time.Millisecond
	DefaultConnectTimeout      = 30 * time.Second
	DefaultDisconnectedTimeout = 5 * time.Second
	DefaultFailedTimeout       = 5 * time.Second
	DefaultKeepaliveInterval   = 2 * time.Second
	DefaultBasePath            = "/whep"
)

// maxOffer bounds the request body: browser offers are 3-10 KB.
const maxOffer = 64 << 10

// gatherTimeout bounds the wait for candidates before answering. Host
// candidates on the muxes are instant; STUN/TURN ones are capped by the
// setting engine's STUN gather timeout.
const gatherTimeout = 5 * time.Second

// Server is a WHEP endpoint. It is safe for concurrent use.
type Server struct {
	cfg   Config
	net   *network
	bc    *broadcast
	kf    *keyframes
	stats *counters
	log   *slog.Logger
	now   func() time.Time
	// failAudit keeps tokenless requests from filling the data partition
	// with audit lines.
	failAudit *failedAuthAudit

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool
	// viewersMu orders OnViewers calls.
	viewersMu sync.Mutex
}

// New opens the ICE ports and returns a server ready to answer offers.
func New(cfg Config) (*Server, error) {
	if cfg.Source == nil || cfg.Codec.MimeType == "" {
		return nil, errors.New("whep: Source and Codec are required")
	}
	if cfg.UDP == "" {
		return nil, errors.New("whep: an ICE UDP address is required")
	}
	for _, s := range cfg.ICEServers {
		for _, u := range s.URLs {
			if err := checkICEURL(u); err != nil {
				return nil, fmt.Errorf("whep: %w", err)
			}
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.MaxViewers <= 0 {
		cfg.MaxViewers = DefaultMaxViewers
	}
	def(&cfg.KeyframeMinGap, DefaultKeyframeMinGap)
	def(&cfg.ConnectTimeout, DefaultConnectTimeout)
	def(&cfg.DisconnectedTimeout, DefaultDisconnectedTimeout)
	def(&cfg.FailedTimeout, DefaultFailedTimeout)
	def(&cfg.KeepaliveInterval, DefaultKeepaliveInterval)
	if cfg.BasePath == "" {
		cfg.BasePath = DefaultBasePath
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/")
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	n, err := newNetwork(cfg.Codec, cfg.UDP, cfg.TCP, timeouts{cfg.DisconnectedTimeout, cfg.FailedTimeout, cfg.KeepaliveInterval}, log)
	if err != nil {
		return nil, fmt.Errorf("whep: %w", err)
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
		MimeType: cfg.Codec.MimeType, ClockRate: cfg.Codec.ClockRate, SDPFmtpLine: cfg.Codec.FmtpLine,
	}, "camera", "kiosk")
	if err != nil {
		n.close()
		return nil, fmt.Errorf("whep: track: %w", err)
	}
	s := &Server{cfg: cfg, net: n, log: log, now: time.Now, sessions: map[string]*session{}, stats: newCounters(), failAudit: newFailedAuthAudit()}
	s.kf = newKeyframes(cfg.KeyframeMinGap, time.Now)
	s.bc = &broadcast{src: cfg.Source, track: track, kf: s.kf, log: log}
	return s, nil
}

// Addrs returns the bound ICE addresses (UDP, and TCP or "").
func (s *Server) Addrs() (udp, tcp string) { return s.net.udpAddr, s.net.tcpAddr }

// Authenticate checks a request's bearer token against the server's
// tokens, for the admin page's other endpoints. Failures are counted and
// audited as the endpoint's own are: guessing at the status API is
// guessing all the same.
func (s *Server) Authenticate(r *http.Request) (name string, ok bool) {
	t, ok := s.cfg.Tokens.Authenticate(r)
	if !ok {
		s.authFailed(r)
	}
	return t.Name, ok
}

// Viewer describes an open session, for the admin page.
type Viewer struct {
	Token     string    `json:"token"`
	Remote    string    `json:"remote"`
	Since     time.Time `json:"since"`
	Connected bool      `json:"connected"`
}

// Viewers lists the open sessions, oldest first.
func (s *Server) Viewers() []Viewer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Viewer
	for _, ss := range s.sessions {
		if ss.active {
			out = append(out, Viewer{Token: ss.token, Remote: ss.remote, Since: ss.start, Connected: ss.connected.Load()})
		}
	}
	slices.SortFunc(out, func(a, b Viewer) int { return a.Since.Compare(b.Since) })
	return out
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	var st Stats
	s.mu.Lock()
	for _, ss := range s.sessions {
		if ss.active {
			st.Viewers++
		}
	}
	s.mu.Unlock()
	s.stats.fill(&st)
	s.bc.fill(&st)
	st.Keyframes, st.PictureLoss = s.kf.counts()
	return st
}

// Close ends every session (audited as a shutdown) and closes the ICE
// ports. Offers that arrive afterwards get 503.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		s.end(ss, ReasonShutdown)
	}
	return s.net.close()
}

// Handler serves the endpoint at BasePath and its sessions below it.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		base := s.cfg.BasePath
		switch {
		case r.URL.Path == base:
			s.endpoint(w, r)
		case strings.HasPrefix(r.URL.Path, base+"/") && !strings.Contains(r.URL.Path[len(base)+1:], "/"):
			s.resource(w, r, r.URL.Path[len(base)+1:])
		default:
			writeProblem(w, http.StatusNotFound, probNotFound, "Not found", "")
		}
	})
}

// cors lets browser players on other origins (a fleet dashboard) use the
// endpoint. Any origin is fine: the credential is a bearer token the page
// must hold, not a cookie the browser would attach by itself.
func cors(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Location, Link, Accept-Post, Allow")
}

func preflight(w http.ResponseWriter, methods string) {
	h := w.Header()
	h.Set("Allow", methods)
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) endpoint(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Accept-Post", "application/sdp")
		preflight(w, "POST, OPTIONS")
	case http.MethodPost:
		s.offer(w, r)
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		writeProblem(w, http.StatusMethodNotAllowed, probMethod, "Method not allowed", "POST an SDP offer here")
	}
}

func (s *Server) resource(w http.ResponseWriter, r *http.Request, id string) {
	switch r.Method {
	case http.MethodOptions:
		preflight(w, "DELETE, OPTIONS")
	case http.MethodDelete:
		s.delete(w, r, id)
	default:
		// PATCH is for trickle ICE and ICE restarts; answers here carry
		// every candidate, so neither is offered.
		w.Header().Set("Allow", "DELETE, OPTIONS")
		writeProblem(w, http.StatusMethodNotAllowed, probMethod, "Method not allowed",
			"this endpoint does not support trickle ICE or ICE restarts; start a new session instead")
	}
}

// authenticate answers 401 (audited) for a request without a valid token.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Token, bool) {
	t, ok := s.cfg.Tokens.Authenticate(r)
	if ok {
		return t, true
	}
	s.authFailed(r)
	w.Header().Set("WWW-Authenticate", `Bearer realm="idkiosk"`)
	writeProblem(w, http.StatusUnauthorized, probUnauthorized, "Unauthorized", "send Authorization: Bearer <admin token>")
	return Token{}, false
}

// authFailed counts a request without a valid token and audits it, as far
// as failedAuthAudit lets it.
func (s *Server) authFailed(r *http.Request) {
	s.stats.authFailed()
	if ok, unrecorded := s.failAudit.allow(s.now()); ok {
		s.audit(Event{Event: EventAuthFailed, Remote: r.RemoteAddr, Unrecorded: unrecorded})
	}
}

func (s *Server) audit(e Event) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if s.cfg.Audit == nil {
		return
	}
	if err := s.cfg.Audit.Record(e); err != nil {
		s.log.Error("audit record lost", "event", e.Event, "token", e.Token, "err", err)
	}
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, id string) {
	t, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ss := s.sessions[id]
	s.mu.Unlock()
	// Another token's session is answered like a missing one: ids are
	// unguessable, and nobody learns whose they are.
	if ss == nil || !ss.active || ss.token != t.Name {
		writeProblem(w, http.StatusNotFound, probNotFound, "No such session", "")
		return
	}
	s.end(ss, ReasonDeleted)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) notifyViewers() {
	if s.cfg.OnViewers == nil {
		return
	}
	s.viewersMu.Lock()
	defer s.viewersMu.Unlock()
	n := 0
	s.mu.Lock()
	for _, ss := range s.sessions {
		if ss.active {
			n++
		}
	}
	s.mu.Unlock()
	s.cfg.OnViewers(n)
}
