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
	// Live reports whether the camera is streaming (a Runner in
	// StateStreaming). When it returns false the placeholder is sent at
	// once instead of the last frame, so an unplugged camera never leaves a
	// frozen picture on screen for StallTimeout. Nil: rely on StallTimeout
	// alone.
	Live func() bool
}

// livePoll is how often a client waiting for a frame re-checks Live: the
// placeholder replaces the picture within this long of an unplug.
const livePoll = 200 * time.Millisecond

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
	var started time.Time
	width, height := 640, 480
	for {
		f, err := p.next(ctx, after)
		var data []byte
		notLive := errors.Is(err, errNotLive)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded) || notLive:
			if data, err = p.placeholder(width, height); err != nil {
				return
			}
		case err != nil:
			return
		default:
			// The pace counts from here, so encoding and writing take
			// their time out of the interval instead of adding to it
			// (with a 40 ms encode, 15 fps would otherwise become 9).
			started = time.Now()
			after, width, height = f.Seq, f.Width, f.Height
			if data, err = f.JPEG(); err != nil {
				continue // a corrupt MJPEG frame: skip it, not the stream
			}
		}
		head := fmt.Sprintf("Content-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(data))
		if p.write(rc, w, []byte(head), data, []byte("\r\n--"+previewBoundary+"\r\n")) != nil {
			return
		}
		if notLive {
			// Repeat the placeholder once a second (it keeps the
			// connection visibly alive) but show the camera's first frame
			// as soon as it is back.
			if !p.waitLive(ctx, placeholderRepeat) {
				return
			}
			continue
		}
		pace.Reset(interval - time.Since(started))
		select {
		case <-pace.C:
		case <-ctx.Done():
			return
		}
	}
}

// errNotLive is next's answer while the camera is not streaming.
var errNotLive = errors.New("camera not live")

// placeholderRepeat is how often the placeholder is re-sent while the
// camera is not live.
const placeholderRepeat = time.Second

// waitLive waits until Live reports true or d passes. It returns false if
// ctx ended.
func (p *previewHandler) waitLive(ctx context.Context, d time.Duration) bool {
	t := time.NewTicker(livePoll)
	defer t.Stop()
	end := time.Now().Add(d)
	for time.Now().Before(end) && !p.opts.Live() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return ctx.Err() == nil
}

// next waits for a frame newer than after for at most StallTimeout. With a
// Live function it waits in livePoll slices and gives up as soon as the
// camera is not live, even if a frame is waiting: a frame published just
// before the unplug is exactly the frozen picture the placeholder replaces.
func (p *previewHandler) next(ctx context.Context, after uint64) (*Frame, error) {
	if p.opts.Live == nil {
		wctx, cancel := context.WithTimeout(ctx, p.opts.StallTimeout)
		defer cancel()
		return p.hub.Next(wctx, after)
	}
	deadline := time.Now().Add(p.opts.StallTimeout)
	for {
		if !p.opts.Live() {
			return nil, errNotLive
		}
		slice := min(livePoll, time.Until(deadline))
		if slice <= 0 {
			return nil, context.DeadlineExceeded
		}
		wctx, cancel := context.WithTimeout(ctx, slice)
		f, err := p.hub.Next(wctx, after)
		cancel()
		if err == nil || ctx.Err() != nil {
			return f, err
		}
	}
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
