package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// adminToken is the e2e admin's bearer token; kioskd's config holds only
// its SHA-256.
const adminToken = "e2e-admin-7f3c9a1d5b2e8f4a6c0d9b3e7a1f5c2d"

// previewW x previewH is not the default 640x480, so a decoded picture of
// that size shows the configured size reached the viewer.
const previewW, previewH = 800, 600

// adminEnv is a kiosk with the admin listener on loopback.
type adminEnv struct {
	*env
	adminURL string
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	sum := sha256.Sum256([]byte(adminToken))
	admin := freeAddr(t)
	e := newEnv(t, map[string]string{
		"camera.width":       strconv.Itoa(previewW),
		"camera.height":      strconv.Itoa(previewH),
		"camera.fps":         "15",
		"admin.listen":       strconv.Quote(admin),
		"admin.tokens":       fmt.Sprintf(`["e2e-admin:3:%s"]`, hex.EncodeToString(sum[:])),
		"admin.ice_udp_port": strconv.Itoa(freeUDPPort(t)),
		"admin.ice_tcp_port": "0",
	})
	e.startVerifyd()
	e.startKioskd()
	return &adminEnv{env: e, adminURL: "https://" + admin + "/"}
}

// cardPoints are spots of known colour in simcam's id_front scene at a w x
// h frame, from its layout (capture/simcam/compose.go and card.go): the
// ID-1 card is scaled to 80% of the frame and centred (+3, +2 px per 480
// lines); its top 10 mm are the blue header band, the title ends near
// 34 mm; the area right of the fields is plain card stock; the cradle
// around the card is dark.
func cardPoints(w, h int) (band, paper, cradle [2]int) {
	const cardW, cardH = 85.60, 53.98
	s := float64(h) / 480
	k := math.Min(0.8*float64(w)/cardW, 0.8*float64(h)/cardH)
	left := float64(w)/2 + 3*s - cardW*k/2
	top := float64(h)/2 + 2*s - cardH*k/2
	at := func(mmX, mmY float64) [2]int {
		return [2]int{int(left + mmX*k), int(top + mmY*k)}
	}
	return at(50, 6), at(70, 22), [2]int{int(12 * s), int(12 * s)}
}

// TestAdminPreview is the admin's view end to end: Chromium logs in to the
// admin page over HTTPS, watches the kiosk's simulated camera over WHEP
// (pion, VP8), and the kiosk's own screen tells the learner while it does.
func TestAdminPreview(t *testing.T) {
	e := newAdminEnv(t)
	e.scene("id_front")

	kiosk := browsertest.New(t)
	kiosk.Run(browsertest.Navigate(e.kioskURL()+"/"), kiosk.Step("welcome"),
		browsertest.Gone(`[data-testid="admin-viewing"]`))

	admin := browsertest.NewBrowser(t)
	admin.WatchAdmin(e.adminURL, adminToken)

	t.Run("banner while watched", func(t *testing.T) {
		kiosk.Run(browsertest.Visible(`[data-testid="admin-viewing"]`))
		want := i18n.Lookup("en", "admin.viewing", nil)
		if got := kiosk.Text("admin-viewing"); got != want {
			t.Errorf("banner text %q, want %q", got, want)
		}
	})

	t.Run("admin page shows the kiosk's state", func(t *testing.T) {
		var st map[string]string
		ok := func() bool {
			admin.Eval(`({camera: document.querySelector('[data-testid="camera-state"]').dataset.state,
				queued: document.querySelector('[data-testid="queue-depth"]').dataset.queued,
				viewers: document.querySelector('[data-testid="viewers"]').textContent})`, &st)
			return st["camera"] == "ok" && st["queued"] == "0" && strings.Contains(st["viewers"], "e2e-admin")
		}
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("admin page shows %v; want camera ok, 0 queued, e2e-admin watching", st)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("frames keep coming at the configured size", func(t *testing.T) {
		prev := admin.AdminVideo()
		start := prev.FramesDecoded
		for i := range 5 {
			// A sample every 2 s over 10 s; the page refreshes its numbers
			// twice a second, so a live stream (15 fps) always shows ~30
			// more frames, and one that froze none.
			time.Sleep(2 * time.Second)
			cur := admin.AdminVideo()
			if cur.FramesDecoded <= prev.FramesDecoded {
				t.Fatalf("at %d s: framesDecoded %d -> %d: the stream froze", 2*(i+1), prev.FramesDecoded, cur.FramesDecoded)
			}
			prev = cur
		}
		if got := prev.FramesDecoded - start; got < 50 {
			t.Errorf("%d frames decoded in 10 s at 15 fps, want at least 50", got)
		}
		if prev.Width != previewW || prev.Height != previewH {
			t.Errorf("decoded %dx%d, want the configured %dx%d", prev.Width, prev.Height, previewW, previewH)
		}
		t.Logf("%d frames decoded; first frame %v after the POST", prev.FramesDecoded, prev.FirstFrame)
	})

	t.Run("the picture is the camera's", func(t *testing.T) {
		band, paper, cradle := cardPoints(previewW, previewH)
		px := admin.VideoPixels([][2]int{band, paper, cradle})
		t.Logf("band %v %v, paper %v %v, cradle %v %v", band, px[0], paper, px[1], cradle, px[2])
		// The card's header band is rgb(28,86,150) darkening to 80% at
		// its right end; paper is ~rgb(215,228,232); the cradle ~rgb(30,30,35).
		if c := px[0]; !(c.B > 100 && c.B > c.R+60 && c.B > c.G+25 && c.R < 70) {
			t.Errorf("header band at %v is %v, want the card's blue", band, c)
		}
		if c := px[1]; !(c.R > 170 && c.G > 180 && c.B > 180) {
			t.Errorf("card stock at %v is %v, want near white", paper, c)
		}
		if c := px[2]; !(c.R < 70 && c.G < 70 && c.B < 80) {
			t.Errorf("cradle at %v is %v, want dark", cradle, c)
		}
	})

	admin.Run(browsertest.Click("stop"), browsertest.Visible(`body[data-state="stopped"]`))

	t.Run("banner gone after", func(t *testing.T) {
		kiosk.Run(browsertest.Gone(`[data-testid="admin-viewing"]`))
	})

	t.Run("audited without the token", func(t *testing.T) {
		var events []map[string]any
		e.eventually("the session's end in the audit log", func() bool {
			events = readAudit(t, e.s.Path("kiosk", "audit.jsonl"))
			for _, ev := range events {
				if ev["event"] == "viewer_end" {
					return true
				}
			}
			return false
		})
		var got []string
		for _, ev := range events {
			got = append(got, fmt.Sprintf("%v/%v/%v", ev["event"], ev["token"], ev["reason"]))
			if ev["remote"] == "" || ev["remote"] == nil {
				t.Errorf("audit event without an address: %v", ev)
			}
		}
		if want := "viewer_start/e2e-admin/<nil> viewer_end/e2e-admin/deleted"; strings.Join(got, " ") != want {
			t.Errorf("audit events %v, want %s", got, want)
		}
		raw, _ := os.ReadFile(e.s.Path("kiosk", "audit.jsonl"))
		for name, text := range map[string]string{"audit log": string(raw), "kioskd log": e.logs.String()} {
			if strings.Contains(text, adminToken) {
				t.Errorf("the %s contains the admin token", name)
			}
		}
	})
	kiosk.CheckConsole()
}

func readAudit(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, ev)
	}
	return out
}
