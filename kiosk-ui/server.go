package kioskui

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// Demo drives simulated hardware from the page's demo panel. It is nil on a
// real kiosk, and then the demo routes do not exist.
type Demo interface {
	SetCradle(present bool) error
	SetScene(name string) error
	Scenes() []string
	Scene() string
}

// ServerConfig configures a Server. Zero values work except Preview, which
// kioskd sets to the capture package's MJPEG handler.
type ServerConfig struct {
	Preview http.Handler // mounted at /preview.mjpeg; nil: 503
	Demo    Demo         // nil on real hardware
	Staff   Staff        // staff mode's data (staff.go); nil: no staff routes
	// AllowedHosts are the Host headers accepted, e.g. "127.0.0.1:8080" and
	// "localhost:8080". Empty: loopback names on any port.
	AllowedHosts []string
	Log          *slog.Logger
	// Heartbeat is the interval of SSE comment lines that keep the stream
	// from looking dead; default 15s.
	Heartbeat time.Duration
}

// Server is the kiosk UI's HTTP side.
type Server struct {
	cfg     ServerConfig
	sess    *session.Session
	log     *slog.Logger
	cop     *http.CrossOriginProtection
	handler http.Handler

	done      chan struct{}
	closeOnce sync.Once
}

// NewServer returns a server for s.
func NewServer(cfg ServerConfig, s *session.Session) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	srv := &Server{
		cfg:  cfg,
		sess: s,
		log:  cfg.Log,
		cop:  http.NewCrossOriginProtection(),
		done: make(chan struct{}),
	}
	srv.handler = srv.guard(srv.routes())
	return srv
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Close ends the event streams, which http.Server.Shutdown would otherwise
// wait for; register it with RegisterOnShutdown.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /", s.asset)
	mux.HandleFunc("GET /i18n/{file}", s.catalogue)
	mux.HandleFunc("GET /api/state", s.state)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("POST /api/action", s.action)
	mux.HandleFunc("GET /api/photos/{file}", s.photo)
	mux.HandleFunc("GET /preview.mjpeg", s.preview)
	if s.cfg.Staff != nil {
		s.staffRoutes(mux)
	}
	if s.cfg.Demo != nil {
		mux.HandleFunc("GET /api/demo", s.demoState)
		mux.HandleFunc("POST /api/demo/cradle", s.demoCradle)
		mux.HandleFunc("POST /api/demo/scene", s.demoScene)
	}
	mux.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, http.StatusNotFound, KeyNotFound, nil)
	})
	return mux
}
