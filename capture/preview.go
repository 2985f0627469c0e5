package capture

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Preview defaults.
const (
	DefaultPreviewFPS   = 15
	DefaultStallTimeout = 2 * time.Second
	// partWriteTimeout bounds one part's write, so a client that stops
	// reading (its TCP window full) cannot hold the handler forever.
	partWriteTimeout = 10 * time.Second
	// previewBoundary is fixed and long enough not to turn up inside JPEG
	// data by chance.
	previewBoundary = "idkiosk-frame-5f1c9e27b3d04a86"
)

// PreviewOptions tune PreviewHandler. The zero value is ready to use.
type PreviewOptions struct {
	// MaxFPS caps the rate sent to each client; 0 means DefaultPreviewFPS.
	MaxFPS float64
	// StallTimeout is how long a client waits for a new frame before it is
	// sent the "camera off" placeholder instead of a frozen last frame;
	// 0 means DefaultStallTimeout.
	StallTimeout time.Duration
	// Placeholder, if set, is sent instead of the generated picture.
	Placeholder []byte
}

// PreviewHandler serves the hub as an MJPEG stream
// (multipart/x-mixed-replace), the format an <img> element plays natively.
//
// Each client waits on hub.Next on its own, paced to MaxFPS, so a slow
// client skips frames and never delays the camera or other clients. The
// handler returns when the client goes away or the request context ends.
func PreviewHandler(hub *Hub, opts PreviewOptions) http.Handler {
	if opts.MaxFPS <= 0 {
		opts.MaxFPS = DefaultPreviewFPS
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	return &previewHandler{hub: hub, opts: opts, placeholders: map[[2]int][]byte{}}
}

type previewHandler struct {
	hub  *Hub
	opts PreviewOptions

	mu           sync.Mutex
	placeholders map[[2]int][]byte // by size; a kiosk has one or two sizes
}

func (p *previewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "multipart/x-mixed-replace; boundary="+previewBoundary)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	ctx := r.Context()

	// Each part is written as headers, body, then the next part's boundary
	// at once: some browsers only show a part when they see the boundary
	// after it, and the bytes are exactly what mime/multipart writes.
	if err := p.write(rc, w, []byte("--"+previewBoundary+"\r\n")); err != nil {
		return
	}
	interval := time.Duration(float64(time.Second) / p.opts.MaxFPS)
	pace := time.NewTimer(0)
	defer pace.Stop()
	var after uint64
	width, height := 640, 480
	for {
		f, err := p.next(ctx, after)
		var data []byte
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded):
			if data, err = p.placeholder(width, height); err != nil {
				return
			}
		case err != nil:
			return
		default:
			after, width, height = f.Seq, f.Width, f.Height
			if data, err = f.JPEG(); err != nil {
				continue // a corrupt MJPEG frame: skip it, not the stream
			}
		}
		head := fmt.Sprintf("Content-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(data))
		if p.write(rc, w, []byte(head), data, []byte("\r\n--"+previewBoundary+"\r\n")) != nil {
			return
		}
		pace.Reset(interval)
		select {
		case <-pace.C:
		case <-ctx.Done():
			return
		}
	}
}

// next waits for a frame newer than after for at most StallTimeout.
func (p *previewHandler) next(ctx context.Context, after uint64) (*Frame, error) {
	wctx, cancel := context.WithTimeout(ctx, p.opts.StallTimeout)
	defer cancel()
	return p.hub.Next(wctx, after)
}

func (p *previewHandler) write(rc *http.ResponseController, w http.ResponseWriter, chunks ...[]byte) error {
	// Not every ResponseWriter supports deadlines (httptest.ResponseRecorder
	// does not); the stream still works without one.
	_ = rc.SetWriteDeadline(time.Now().Add(partWriteTimeout))
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return rc.Flush()
}

func (p *previewHandler) placeholder(w, h int) ([]byte, error) {
	if p.opts.Placeholder != nil {
		return p.opts.Placeholder, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := [2]int{w, h}
	if b, ok := p.placeholders[key]; ok {
		return b, nil
	}
	b, err := PlaceholderJPEG(w, h)
	if err != nil {
		return nil, err
	}
	p.placeholders[key] = b
	return b, nil
}

// SnapshotHandler serves the hub's latest frame as one image/jpeg, or 503
// with Retry-After before the first frame.
func SnapshotHandler(hub *Hub) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		f := hub.Latest()
		if f == nil {
			h.Set("Retry-After", "1")
			http.Error(w, "no frame yet", http.StatusServiceUnavailable)
			return
		}
		data, err := f.JPEG()
		if err != nil {
			http.Error(w, "frame unavailable", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "image/jpeg")
		h.Set("Content-Length", strconv.Itoa(len(data)))
		if !f.Time.IsZero() {
			h.Set("Last-Modified", f.Time.UTC().Format(http.TimeFormat))
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(data)
	})
}
