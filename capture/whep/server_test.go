package whep

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/encode/encodetest"
	"github.com/idkiosk/idkiosk/capture/whep/wheptest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOffer_Unauthorized(t *testing.T) {
	r := newRig(t, nil)
	o, err := wheptest.NewOffer()
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for _, tt := range []struct{ name, token string }{
		{"no token", ""},
		{"wrong token", "alice-but-not-quite"},
		{"a token's hash sent as the token", fmt.Sprintf("%x", HashToken(secretAlice))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, resp, body, err := o.Post(ctxT(t), nil, r.endpoint, tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if v != nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want a problem document", ct)
			}
		})
	}
	if n := r.srv.Stats().EncoderRuns; n != 0 {
		t.Errorf("encoder started %d times for unauthorized offers, want 0", n)
	}
	failed := 0
	for _, e := range r.audit() {
		if e.Event == EventAuthFailed {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("audit has %d auth failures, want 3", failed)
	}
}

func TestOffer_BadRequests(t *testing.T) {
	r := newRig(t, nil)
	good, err := wheptest.NewOffer()
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	audioOnly := strings.Replace(good.SDP, "m=video", "m=audio", 1)
	h264Only := strings.NewReplacer("VP8/90000", "H264/90000").Replace(good.SDP)
	tests := []struct {
		name, contentType, body string
		want                    int
	}{
		{"not SDP", "application/sdp", "hello, kiosk", http.StatusBadRequest},
		{"empty", "application/sdp", "", http.StatusBadRequest},
		{"no video", "application/sdp", audioOnly, http.StatusBadRequest},
		{"no VP8", "application/sdp", h264Only, http.StatusBadRequest},
		{"JSON", "application/json", good.SDP, http.StatusUnsupportedMediaType},
		{"huge", "application/sdp", good.SDP + strings.Repeat("a=x-pad:0123456789\r\n", 5000), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, p := r.request(http.MethodPost, "/whep", secretAlice, tt.contentType, tt.body)
			if resp.StatusCode != tt.want || p.Status != tt.want {
				t.Errorf("status %d (problem %+v), want %d", resp.StatusCode, p, tt.want)
			}
		})
	}
	if n := r.srv.Stats().Viewers; n != 0 {
		t.Errorf("%d viewers after bad offers, want 0", n)
	}
}

func TestMethods_PatchOptions(t *testing.T) {
	r := newRig(t, nil)
	resp, p := r.request(http.MethodPatch, "/whep/0123456789abcdef", secretAlice, "application/trickle-ice-sdpfrag", "a=candidate:1")
	if resp.StatusCode != http.StatusMethodNotAllowed || p.Status != 405 || !strings.Contains(resp.Header.Get("Allow"), "DELETE") {
		t.Errorf("PATCH: status %d, Allow %q, problem %+v; want 405 with Allow: DELETE", resp.StatusCode, resp.Header.Get("Allow"), p)
	}
	resp, _ = r.request(http.MethodOptions, "/whep", "", "", "")
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Accept-Post") != "application/sdp" ||
		h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") {
		t.Errorf("OPTIONS /whep: status %d, headers %v; want 204 with Accept-Post and CORS", resp.StatusCode, h)
	}
	resp, _ = r.request(http.MethodGet, "/whep", secretAlice, "", "")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /whep: status %d, want 405", resp.StatusCode)
	}
}

// A viewer gets the configured picture, and DELETE ends its session and,
// as it was the last, frees the encoder before the response comes back.
func TestWatch_DeleteFreesEncoder(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	v, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WaitFrames(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if w, h := v.KeyframeSize(); w != rigW || h != rigH {
		t.Errorf("keyframe size %dx%d, want the camera's %dx%d", w, h, rigW, rigH)
	}
	dec, err := encodetest.NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	if img, err := dec.Decode(v.LastKeyframe()); err != nil || img.Bounds().Dx() != rigW {
		t.Errorf("the received keyframe does not decode at %d wide: %v", rigW, err)
	}
	if st := r.srv.Stats(); st.Viewers != 1 || !st.Encoding {
		t.Errorf("while watching: %d viewers, encoding %v; want 1, true", st.Viewers, st.Encoding)
	}

	status, err := v.Delete(ctx)
	if err != nil || status != http.StatusOK {
		t.Fatalf("DELETE: %d, %v; want 200", status, err)
	}
	st := r.srv.Stats()
	opens, closes, _ := r.enc.get()
	if st.Viewers != 0 || st.Encoding || opens != 1 || closes != 1 {
		t.Errorf("right after DELETE: %d viewers, encoding %v, encoders opened %d closed %d; want 0, false, 1, 1",
			st.Viewers, st.Encoding, opens, closes)
	}
	if got := r.viewerCalls(); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("OnViewers calls %v, want [1 0]", got)
	}
	resp, _ := r.request(http.MethodDelete, strings.TrimPrefix(v.Location, r.http.URL), secretAlice, "", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: status %d, want 404", resp.StatusCode)
	}
	var events []string
	for _, e := range r.audit() {
		events = append(events, e.Event+"/"+e.Token+"/"+e.Reason)
		if e.Event == EventEnd && (e.Start.IsZero() || e.End.Before(e.Start) || !e.Connected || e.Remote == "") {
			t.Errorf("end record incomplete: %+v", e)
		}
	}
	if want := []string{"viewer_start/alice/", "viewer_end/alice/deleted"}; !slices.Equal(events, want) {
		t.Errorf("audit %v, want %v", events, want)
	}
	raw, _ := os.ReadFile(r.auditLog)
	if strings.Contains(string(raw), secretAlice) || strings.Contains(string(raw), fmt.Sprintf("%x", HashToken(secretAlice))) {
		t.Error("the audit log contains the token or its hash")
	}
}

// Ten viewers at once cost one encoder and one encode per frame.
func TestWatch_TenViewersShareOneEncode(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	published := r.hub.Stats().Published
	viewers := make([]*wheptest.Viewer, 10)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
			if err != nil {
				errs <- err
				return
			}
			viewers[i] = v
			errs <- v.WaitFrames(ctx, 20)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := r.srv.Stats().Viewers; n != 10 {
		t.Errorf("%d viewers, want 10", n)
	}
	// An eleventh for the same token is over its limit.
	o, err := wheptest.NewOffer()
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, resp, _, _ := o.Post(ctx, nil, r.endpoint, secretAlice); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("11th viewer for a 10-viewer token: status %d, want 429", resp.StatusCode)
	}

	opens, _, encodes := r.enc.get()
	frames := r.hub.Stats().Published - published
	if opens != 1 {
		t.Errorf("%d encoders opened for 10 viewers, want 1", opens)
	}
	if uint64(encodes) > frames {
		t.Errorf("%d encodes for %d camera frames: some frames were encoded more than once", encodes, frames)
	}
	var least uint64 = 1 << 62
	for _, v := range viewers {
		least = min(least, v.Frames())
	}
	if least < 20 {
		t.Errorf("a viewer got only %d frames", least)
	}
	for _, v := range viewers {
		if status, err := v.Delete(ctx); err != nil || status != http.StatusOK {
			t.Errorf("DELETE: %d, %v", status, err)
		}
	}
	if opens, closes, _ := r.enc.get(); closes != opens || r.srv.Stats().Encoding {
		t.Errorf("after every DELETE: %d opened, %d closed, encoding %v", opens, closes, r.srv.Stats().Encoding)
	}
}

func TestWatch_VanishedViewerIsReaped(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	v, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.WaitFrames(ctx, 5); err != nil {
		t.Fatal(err)
	}
	v.Vanish()
	// The reap runs on its own: wait for its last step, the audit record,
	// which is written once the encoder is closed.
	var reason string
	r.eventually("the vanished viewer reaped", func() bool {
		for _, e := range r.audit() {
			if e.Event == EventEnd {
				reason = e.Reason
				return true
			}
		}
		return false
	})
	if reason != ReasonVanished {
		t.Errorf("audit end reason %q, want %q", reason, ReasonVanished)
	}
	if opens, closes, _ := r.enc.get(); closes != opens || r.srv.Stats().Encoding || r.srv.Stats().Viewers != 0 {
		t.Errorf("after the reap: %d opened, %d closed, encoding %v, %d viewers; want the encoder freed and none",
			opens, closes, r.srv.Stats().Encoding, r.srv.Stats().Viewers)
	}
}

// A viewer that closes its connection (a browser tab closed) ends too.
func TestWatch_ClosedViewerEnds(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	v, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WaitFrames(ctx, 3); err != nil {
		t.Fatal(err)
	}
	v.Close()
	r.eventually("the closed viewer ended", func() bool { return r.srv.Stats().Viewers == 0 })
}

// A second viewer sees a picture at once: its keyframe is forced when its
// connection comes up, not left to the periodic one (a minute here).
func TestWatch_KeyframeForEachNewViewer(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	first, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Delete(ctx)
	if err := first.WaitFrames(ctx, 20); err != nil {
		t.Fatal(err)
	}
	second, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Delete(ctx)
	if err := second.WaitFrames(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if second.Keyframes() == 0 {
		t.Errorf("the second viewer got %d frames and no keyframe", second.Frames())
	}
	if w, _ := second.KeyframeSize(); w != rigW {
		t.Errorf("second viewer's keyframe width %d, want %d", w, rigW)
	}
}

func TestWatch_PerTokenLimitAndAnotherTokensSession(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	v, err := wheptest.Watch(ctx, nil, r.endpoint, secretBob)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Delete(ctx)
	o, _ := wheptest.NewOffer()
	defer o.Close()
	if _, resp, _, _ := o.Post(ctx, nil, r.endpoint, secretBob); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("bob's second viewer: status %d, want 429 (limit 1)", resp.StatusCode)
	}
	// Alice cannot end Bob's session.
	resp, _ := r.request(http.MethodDelete, strings.TrimPrefix(v.Location, r.http.URL), secretAlice, "", "")
	if resp.StatusCode != http.StatusNotFound || r.srv.Stats().Viewers != 1 {
		t.Errorf("alice deleting bob's session: status %d, %d viewers; want 404 and bob still watching", resp.StatusCode, r.srv.Stats().Viewers)
	}
}

func TestServer_CloseEndsSessions(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	v, err := wheptest.Watch(ctx, nil, r.endpoint, secretAlice)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	r.srv.Close()
	if st := r.srv.Stats(); st.Viewers != 0 || st.Encoding {
		t.Errorf("after Close: %d viewers, encoding %v", st.Viewers, st.Encoding)
	}
	o, _ := wheptest.NewOffer()
	defer o.Close()
	if _, resp, _, _ := o.Post(ctx, nil, r.endpoint, secretAlice); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("offer after Close: status %d, want 503", resp.StatusCode)
	}
	ends := 0
	for _, e := range r.audit() {
		if e.Event == EventEnd && e.Reason == ReasonShutdown {
			ends++
		}
	}
	if ends != 1 {
		t.Errorf("%d shutdown ends in the audit, want 1", ends)
	}
}

// Answers are complete (no trickle): host candidates on the one UDP port
// and a passive ICE-TCP candidate, and a viewer without UDP connects over
// TCP.
func TestWatch_AnswerCandidatesAndICETCP(t *testing.T) {
	r := newRig(t, nil)
	ctx := ctxT(t)
	udp, tcp := r.srv.Addrs()
	o, err := wheptest.NewOfferWith(wheptest.Options{TCPOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	v, resp, answer, err := o.Post(ctx, nil, r.endpoint, secretAlice)
	if err != nil || v == nil {
		t.Fatalf("POST: %v, %v", resp.Status, err)
	}
	defer v.Delete(ctx)
	_, udpPort, _ := strings.Cut(udp, ":")
	_, tcpPort, _ := strings.Cut(tcp, ":")
	sdp := string(answer)
	if !strings.Contains(sdp, " udp ") || !strings.Contains(sdp, " "+udpPort+" typ host") {
		t.Errorf("answer lacks a UDP host candidate on port %s:\n%s", udpPort, sdp)
	}
	if !strings.Contains(sdp, " "+tcpPort+" typ host tcptype passive") {
		t.Errorf("answer lacks a passive TCP candidate on port %s:\n%s", tcpPort, sdp)
	}
	if err := v.WaitFrames(ctx, 10); err != nil {
		t.Fatalf("over ICE-TCP: %v", err)
	}
}
