package kioskui

import (
	"context"
	"image/color"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// What the learner reads on a photo step when kioskd reports a camera
// problem (session.SetCameraState), in their language, and that it goes
// away when the camera is back.
func TestBrowser_CameraProblemToldOnPhotoStep(t *testing.T) {
	frame := testJPEG(t, color.RGBA{90, 120, 160, 255})
	sess := session.New(session.Config{Languages: []string{"en", "es", "fr"}},
		session.Deps{Camera: jpegCamera{frame}, Saver: &recSaver{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go sess.Run(ctx)
	// The page asks for the demo panel; real kiosks have none, but the
	// other page tests run with it, and so does this one.
	srv := NewServer(ServerConfig{Preview: mjpeg(frame), Demo: &fakeDemo{cradle: cradle.NewSim(), scene: "face"}}, sess)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	tab := browsertest.New(t)

	for _, a := range []session.Action{
		{Type: session.ActStart},
		{Type: session.ActConsentAccept},
		{Type: session.ActEmailSubmit, Email: "learner@example.org"},
		{Type: session.ActNameSubmit, Name: "Ana Pérez"},
		{Type: session.ActIDTypeSubmit, IDType: api.IDPassport},
	} {
		if _, err := sess.Do(ctx, a); err != nil {
			t.Fatalf("%s: %v", a.Type, err)
		}
	}
	tab.Run(browsertest.Navigate(ts.URL+"/"), tab.Step("face"))

	statusIs := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := tab.Text("capture-status")
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("photo step status = %q, want %q", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, state := range []string{"disconnected", "black", "busy"} {
		sess.SetCameraState(state)
		statusIs(i18n.Lookup("en", "camera.learner."+state, nil))
	}
	sess.SetCameraState("ok")
	statusIs("")
	tab.CheckConsole()
}
