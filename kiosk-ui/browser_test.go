package kioskui

// Tests of the page in headless Chromium against fakes behind the session:
// they catch page bugs (CSP violations, script errors, broken hooks) close
// to the code. cmd/internal/e2e runs the whole system the same way.
// IDKIOSK_SCREENSHOTS=dir keeps a screenshot of every screen reached.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

func testJPEG(t *testing.T, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	for y := range 180 {
		for x := range 320 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type jpegCamera struct{ jpeg []byte }

func (c jpegCamera) Still(ctx context.Context) (capture.Still, error) {
	return capture.Still{JPEG: c.jpeg, Width: 320, Height: 180, Time: time.Now(), Source: "test"}, nil
}

type recSaver struct {
	mu    sync.Mutex
	saved []api.Profile
}

func (s *recSaver) Save(ctx context.Context, p *api.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, *p)
	return nil
}

type tableAccounts map[string]api.LookupResponse

func (a tableAccounts) Lookup(ctx context.Context, email string) (api.LookupResponse, error) {
	return a[email], nil
}

func mjpeg(frame []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		rc := http.NewResponseController(w)
		for {
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(frame))
			w.Write(frame)
			io.WriteString(w, "\r\n")
			if rc.Flush() != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// kiosk is a session and server on simulated hardware, and a browser tab.
type kiosk struct {
	*browsertest.Tab
	url   string
	saver *recSaver
}

func newKiosk(t *testing.T, cfg session.Config, accounts session.Accounts) *kiosk {
	t.Helper()
	sim := cradle.NewSim()
	k := &kiosk{saver: &recSaver{}}
	frame := testJPEG(t, color.RGBA{200, 120, 40, 255})
	cfg.Languages = []string{"en", "es", "fr"}
	cfg.DeviceID = "kiosk-browser"
	sess := session.New(cfg, session.Deps{Camera: jpegCamera{frame}, Cradle: sim, Saver: k.saver, Accounts: accounts,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go sess.Run(ctx)
	srv := NewServer(ServerConfig{Preview: mjpeg(frame), Demo: &fakeDemo{cradle: sim, scene: "face"}}, sess)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	k.url = ts.URL
	// Last, so its cleanup runs first: the page's open streams would
	// otherwise keep the test server from closing.
	k.Tab = browsertest.New(t)
	return k
}

func TestBrowser_Flow(t *testing.T) {
	for _, tc := range []struct {
		lang     string
		twoSided bool
		name     string
	}{
		{"en", false, "Ana María Pérez"},
		{"fr", true, "Zoë D’Arcy"},
	} {
		t.Run(fmt.Sprintf("%s two-sided=%v", tc.lang, tc.twoSided), func(t *testing.T) {
			k := newKiosk(t, session.Config{}, nil)
			k.Run(browsertest.Navigate(k.url + "/"))
			k.Run(k.PickLanguage(tc.lang)...)
			k.Run(
				browsertest.Click("start"),
				k.Step("consent"),
				browsertest.Click("consent-accept"),
				k.Step("email"),
				// The on-screen keyboard for part, physical keys for the rest.
				browsertest.Keys("ana"),
				browsertest.Type("email-input", "@gmial.com"),
				browsertest.Click("email-next"),
				browsertest.Visible(`[data-testid="email-use-suggestion"]`),
				browsertest.Click("email-use-suggestion"),
				k.Step("name"),
				browsertest.Type("name-input", "Ana 2"),
				browsertest.Click("name-next"),
				browsertest.Message("name_invalid_symbol"),
				browsertest.Click("kb-backspace"), browsertest.Click("kb-backspace"), browsertest.Click("kb-backspace"), browsertest.Click("kb-backspace"), browsertest.Click("kb-backspace"),
				browsertest.Type("name-input", tc.name),
				browsertest.Click("name-next"),
			)
			k.Run(k.ChooseID("national_id", tc.twoSided)...)
			k.Run(k.TakePhotos(tc.twoSided)...)
			k.Run(
				browsertest.Click("edit-name"),
				k.Step("name"),
				browsertest.Click("name-next"),
				k.Step("review"),
				browsertest.Click("submit"),
				k.Step("receipt"),
			)
			ref := k.Text("receipt-reference")
			k.Run(browsertest.Click("finish"), k.Step("welcome"), browsertest.Message("card_left_behind"))
			k.CheckConsole()

			k.saver.mu.Lock()
			defer k.saver.mu.Unlock()
			if len(k.saver.saved) != 1 {
				t.Fatalf("%d profiles saved, want 1", len(k.saver.saved))
			}
			p := k.saver.saved[0]
			if p.FullName != tc.name || p.Email != "ana@gmail.com" || p.Language != tc.lang || p.TwoSided != tc.twoSided {
				t.Errorf("saved %q %q %s two-sided=%v, want %q ana@gmail.com %s %v",
					p.FullName, p.Email, p.Language, p.TwoSided, tc.name, tc.lang, tc.twoSided)
			}
			if ref != api.ReferenceCode(p.ID) {
				t.Errorf("receipt shows %q, want %q", ref, api.ReferenceCode(p.ID))
			}
		})
	}
}

func TestBrowser_StatusAndIdle(t *testing.T) {
	accounts := tableAccounts{
		"ana@example.org": {Exists: true, Verification: &api.ProfileStatus{State: api.StateRejected, Reason: "photo blurred"}},
	}
	// A short idle timeout so the warning shows within the test; nothing
	// is timed, the test waits for the overlay to appear.
	k := newKiosk(t, session.Config{IdleTimeout: 6 * time.Second, IdleWarning: 4 * time.Second}, accounts)
	k.Run(
		browsertest.Navigate(k.url+"/"),
		k.Step("welcome"),
		browsertest.Click("lang-es"),
		browsertest.Visible(`html[lang="es"] body[data-step="welcome"]`),
		browsertest.Click("check-status"),
		k.Step("status"),
		browsertest.Type("status-email-input", "ana@example.org"),
		browsertest.Click("status-lookup"),
		browsertest.Visible(`[data-testid="status-result"][data-result="rejected"]`),
		browsertest.Visible(`[data-testid="idle-warning"]`),
		browsertest.Click("keep-alive"),
		browsertest.Gone(`[data-testid="idle-warning"]`),
		k.Step("status"),
		browsertest.Click("status-done"),
		k.Step("welcome"),
	)
	text, err := chromedp.Run(k.Context(), chromedp.Text(chromedp.CSS("h1")))
	if err != nil || text != "Le damos la bienvenida" {
		t.Errorf("welcome heading %q (%v), want the Spanish one", text, err)
	}
	k.CheckConsole()
}
