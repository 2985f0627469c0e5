package admin

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed web
var embedded embed.FS

func webFS() fs.FS {
	sub, err := fs.Sub(embedded, "web")
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

// Status is what the page shows besides the video. It holds no personal
// data: a learner's name or photos never leave the kiosk this way.
type Status struct {
	Device  string        `json:"device"`
	Version string        `json:"version"`
	Camera  CameraStatus  `json:"camera"`
	Queue   QueueStatus   `json:"queue"`
	Preview PreviewStatus `json:"preview"`
	Viewers []Viewer      `json:"viewers"`
	// Token is the name of the token the request used.
	Token string `json:"token"`
}

// CameraStatus is the camera's health.
type CameraStatus struct {
	State     string  `json:"state"` // ok, disconnected, ... (capture.State)
	Source    string  `json:"source"`
	FPS       float64 `json:"fps"`
	LastError string  `json:"last_error,omitempty"`
}

// QueueStatus is the delivery queue's depth.
type QueueStatus struct {
	Queued int        `json:"queued"`
	Dead   int        `json:"dead"`
	Oldest *time.Time `json:"oldest,omitempty"`
}

// PreviewStatus is the live preview's encoder.
type PreviewStatus struct {
	Codec     string `json:"codec"`
	Encoding  bool   `json:"encoding"`
	Frames    uint64 `json:"frames"`
	Keyframes uint64 `json:"keyframes"`
}

// Viewer is one open preview session.
type Viewer struct {
	Token     string    `json:"token"`
	Remote    string    `json:"remote"`
	Since     time.Time `json:"since"`
	Connected bool      `json:"connected"`
}

// Config configures the admin handler.
type Config struct {
	// Authenticate checks a request's bearer token and names it.
	Authenticate func(r *http.Request) (name string, ok bool)
	// Status gathers the page's numbers.
	Status func(ctx context.Context) (Status, error)
	// WHEP is the live preview endpoint, mounted at WHEPPath and below.
	WHEP     http.Handler
	WHEPPath string // default "/whep"
	Log      *slog.Logger
}

// csp: this origin only, no inline code. media-src covers the
// MediaStream the video element plays; WebRTC itself is not subject to
// connect-src.
const csp = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; " +
	"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Handler serves the page, its status API and the WHEP endpoint.
func Handler(cfg Config) http.Handler {
	if cfg.WHEPPath == "" {
		cfg.WHEPPath = "/whep"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, webFS(), "index.html")
	})
	mux.HandleFunc("GET /", asset)
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) { status(cfg, w, r) })
	isWHEP := func(p string) bool { return p == cfg.WHEPPath || strings.HasPrefix(p, cfg.WHEPPath+"/") }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		if isWHEP(r.URL.Path) && cfg.WHEP != nil {
			// The WHEP endpoint answers players on other origins (CORS);
			// the page and its API are for this origin only.
			cfg.WHEP.ServeHTTP(w, r)
			return
		}
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		mux.ServeHTTP(w, r)
	})
}

// asset serves a file of the page; no listings, no index redirects.
func asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	info, err := fs.Stat(webFS(), name)
	if err != nil || info.IsDir() || name == "index.html" {
		problem(w, http.StatusNotFound, "Not found")
		return
	}
	http.ServeFileFS(w, r, webFS(), name)
}

func status(cfg Config, w http.ResponseWriter, r *http.Request) {
	name, ok := cfg.Authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idkiosk"`)
		problem(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	st, err := cfg.Status(r.Context())
	if err != nil {
		cfg.Log.Warn("admin status", "err", err)
		problem(w, http.StatusServiceUnavailable, "Status unavailable")
		return
	}
	st.Token = name
	if st.Viewers == nil {
		st.Viewers = []Viewer{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

func problem(w http.ResponseWriter, code int, title string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": code})
}
