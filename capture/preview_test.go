package capture

import (
	"context"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// openPreview starts a preview server on hub and returns a reader of its parts
// and a function that says when the handler has returned.
func openPreview(t *testing.T, hub *Hub, opts PreviewOptions) (*multipart.Reader, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	handlerDone := make(chan struct{})
	h := PreviewHandler(hub, opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/x-mixed-replace" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q, want multipart/x-mixed-replace with a boundary", resp.Header.Get("Content-Type"))
	}
	return multipart.NewReader(resp.Body, params["boundary"]), cancel, handlerDone
}

// readPart reads one part and checks it is a JPEG of the given size; it
// returns the part's mean luma.
func readPart(t *testing.T, mr *multipart.Reader, w, h int) float64 {
	t.Helper()
	p, err := mr.NextPart()
	if err != nil {
		t.Fatalf("next part: %v", err)
	}
	if got := p.Header.Get("Content-Type"); got != "image/jpeg" {
		t.Errorf("part Content-Type = %q, want image/jpeg", got)
	}
	body, err := io.ReadAll(p)
	if err != nil {
		t.Fatalf("read part: %v", err)
	}
	if got := p.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
		t.Errorf("part Content-Length = %s, body has %d bytes", got, len(body))
	}
	img, luma := decodeJPEG(t, body)
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("part decodes at %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	return luma
}

func TestPreview_StreamsNewestFrames(t *testing.T) {
	hub := NewHub()
	mr, _, _ := openPreview(t, hub, PreviewOptions{MaxFPS: 1000, StallTimeout: time.Hour})
	for _, luma := range []uint8{30, 220, 120, 250} {
		hub.Publish(solidFrame(64, 48, luma, time.Now()))
		got := readPart(t, mr, 64, 48)
		if d := got - float64(luma); d < -3 || d > 3 {
			t.Errorf("part mean luma = %.0f, want the frame just published (%d)", got, luma)
		}
	}
}

func TestPreview_PlaceholderWhenHubStalls(t *testing.T) {
	tests := []struct {
		name        string
		placeholder []byte
	}{
		{"generated", nil},
		{"configured", mustPlaceholder(t, 64, 48)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := NewHub()
			mr, _, _ := openPreview(t, hub, PreviewOptions{MaxFPS: 1000, StallTimeout: 5 * time.Millisecond, Placeholder: tt.placeholder})
			hub.Publish(solidFrame(64, 48, 235, time.Now()))
			if got := readPart(t, mr, 64, 48); got < 200 {
				t.Fatalf("first part luma = %.0f, want the bright frame", got)
			}
			// No new frame: the next part must be the dark placeholder at
			// the stream's size, not the bright frame again.
			if got := readPart(t, mr, 64, 48); got > 80 {
				t.Errorf("part after a stall has mean luma %.0f, want the dark placeholder", got)
			}
			// The camera comes back: the stream resumes with live frames.
			hub.Publish(solidFrame(64, 48, 235, time.Now()))
			for range 10 {
				if readPart(t, mr, 64, 48) > 200 {
					return
				}
			}
			t.Errorf("no live frame in 10 parts after the camera came back")
		})
	}
}

func mustPlaceholder(t *testing.T, w, h int) []byte {
	b, err := PlaceholderJPEG(w, h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPreview_HandlerEndsWhenClientLeaves(t *testing.T) {
	tests := []struct {
		name    string
		publish bool // a frame arrives before the client leaves
	}{
		{"while waiting for the first frame", false},
		{"after a part", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := NewHub()
			mr, cancel, done := openPreview(t, hub, PreviewOptions{MaxFPS: 1000, StallTimeout: time.Hour})
			if tt.publish {
				hub.Publish(solidFrame(64, 48, 100, time.Now()))
				readPart(t, mr, 64, 48)
			}
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("preview handler still running 10s after the client left")
			}
		})
	}
}

func TestPreview_RejectsOtherMethods(t *testing.T) {
	for _, h := range []http.Handler{PreviewHandler(NewHub(), PreviewOptions{}), SnapshotHandler(NewHub())} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST status = %d, want 405", rec.Code)
		}
	}
}

func TestSnapshot(t *testing.T) {
	hub := NewHub()
	h := SnapshotHandler(hub)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("before any frame: status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}

	hub.Publish(solidFrame(64, 48, 20, time.Now()))
	hub.Publish(solidFrame(64, 48, 210, time.Now()))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":           "image/jpeg",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         strconv.Itoa(rec.Body.Len()),
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	img, luma := decodeJPEG(t, rec.Body.Bytes())
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 || luma < 200 {
		t.Errorf("snapshot = %dx%d luma %.0f, want the latest frame: 64x48 luma 210", b.Dx(), b.Dy(), luma)
	}
}

func TestPlaceholderJPEG(t *testing.T) {
	tests := []struct{ w, h int }{{640, 480}, {1280, 720}, {64, 48}, {480, 640}}
	for _, tt := range tests {
		b, err := PlaceholderJPEG(tt.w, tt.h)
		if err != nil {
			t.Fatalf("%dx%d: %v", tt.w, tt.h, err)
		}
		img, luma := decodeJPEG(t, b)
		if got := img.Bounds(); got.Dx() != tt.w || got.Dy() != tt.h {
			t.Errorf("placeholder %dx%d decodes at %dx%d", tt.w, tt.h, got.Dx(), got.Dy())
		}
		if luma < 30 || luma > 70 {
			t.Errorf("%dx%d: mean luma %.0f, want dark grey", tt.w, tt.h, luma)
		}
		// Corners are plain background; the glyph sits in the middle.
		if c := lumaAt(img, 1, 1); c > 50 {
			t.Errorf("%dx%d: corner luma %d, want background", tt.w, tt.h, c)
		}
		if n := brightPixels(img, 90); n == 0 {
			t.Errorf("%dx%d: no glyph pixels", tt.w, tt.h)
		}
	}
	if _, err := PlaceholderJPEG(0, 10); err == nil {
		t.Error("PlaceholderJPEG(0, 10) = nil error, want one")
	}
	if _, err := PlaceholderJPEG(10, -1); err == nil {
		t.Error("PlaceholderJPEG(10, -1) = nil error, want one")
	}
}

func lumaAt(img image.Image, x, y int) int {
	r, g, b, _ := img.At(x, y).RGBA()
	return int((299*r + 587*g + 114*b) / 1000 / 257)
}

func brightPixels(img image.Image, above int) int {
	n := 0
	bo := img.Bounds()
	for y := bo.Min.Y; y < bo.Max.Y; y++ {
		for x := bo.Min.X; x < bo.Max.X; x++ {
			if lumaAt(img, x, y) > above {
				n++
			}
		}
	}
	return n
}
