package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a Chromium for the admin side: it trusts the admin listener's
// self-signed development certificate and takes a testing.TB, so
// benchmarks (time to first frame) can drive it too. Each Browser is its
// own Chromium process, so a test can have the kiosk's page in one (New)
// and an admin watching in another.
type Browser struct {
	tb  testing.TB
	ctx context.Context
}

// NewBrowser starts Chromium; it lives until the test ends.
func NewBrowser(tb testing.TB) *Browser {
	tb.Helper()
	exe := findChromium(tb)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1024),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// The admin listener's development certificate is self-signed;
		// the tests check its fingerprint is the one kioskd logged.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(tb.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	tb.Cleanup(acancel)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return &Browser{tb: tb, ctx: ctx}
}

// findChromium is chromium for any testing.TB (New takes a *testing.T).
func findChromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("IDKIOSK_E2E") == "require" {
		tb.Fatal("chromium not installed (make test installs it: apt-get install chromium)")
	}
	tb.Skip("chromium not installed; make test installs it")
	return ""
}

// Context is the tab's chromedp context.
func (b *Browser) Context() context.Context { return b.ctx }

// Run runs actions one by one, each within 30 s.
func (b *Browser) Run(actions ...Action) {
	b.tb.Helper()
	for i, a := range actions {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		err := chromedp.Do(ctx, a)
		cancel()
		if err != nil {
			state, _ := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("body"), "data-state"))
			b.tb.Fatalf("action %d (page state %q): %v", i, state.Value, err)
		}
	}
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// into out.
func (b *Browser) Eval(js string, out any) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.tb.Fatalf("evaluate %.60q: %v", js, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.tb.Fatalf("evaluate %.60q: decode %s: %v", js, raw, err)
	}
}

// WatchAdmin opens the admin page at url, logs in with token and waits
// until the first frame is decoded.
func (b *Browser) WatchAdmin(url, token string) {
	b.tb.Helper()
	b.Run(
		Navigate(url),
		Visible(`[data-testid="token"]`),
		Type("token", token),
		Click("login"),
		Visible(`body[data-state="watching"]`),
	)
}

// VideoStats is what the admin page reports about the preview.
type VideoStats struct {
	FramesDecoded int
	Width, Height int
	// FirstFrame is the time from posting the offer to the first decoded
	// frame, as the page measured it.
	FirstFrame time.Duration
}

// AdminVideo reads the admin page's preview numbers (from getStats).
func (b *Browser) AdminVideo() VideoStats {
	b.tb.Helper()
	var d map[string]string
	b.Eval(`({...document.querySelector('[data-testid="video-stats"]').dataset})`, &d)
	atoi := func(k string) int { n, _ := strconv.Atoi(d[k]); return n }
	return VideoStats{
		FramesDecoded: atoi("framesDecoded"), Width: atoi("width"), Height: atoi("height"),
		FirstFrame: time.Duration(atoi("firstFrameMs")) * time.Millisecond,
	}
}

// RGB is a pixel's colour.
type RGB struct{ R, G, B int }

func (c RGB) String() string { return fmt.Sprintf("rgb(%d,%d,%d)", c.R, c.G, c.B) }

// VideoPixels draws the page's playing video onto a canvas at its own size
// and returns the colour around each point (the mean of a 5x5 block, so
// compression noise does not decide a test).
func (b *Browser) VideoPixels(points [][2]int) []RGB {
	b.tb.Helper()
	pts, _ := json.Marshal(points)
	js := `(() => {
  const v = document.querySelector("video");
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(v, 0, 0);
  return ` + string(pts) + `.map(([x, y]) => {
    const d = g.getImageData(x - 2, y - 2, 5, 5).data;
    const s = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i + 1]; s[2] += d[i + 2]; }
    return s.map((v) => Math.round(v / 25));
  });
})()`
	var raw [][3]int
	b.Eval(js, &raw)
	out := make([]RGB, len(raw))
	for i, p := range raw {
		out[i] = RGB{p[0], p[1], p[2]}
	}
	return out
}
