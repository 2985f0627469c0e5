package session

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/sync/api"
)

// rejections records what the hook hears.
type rejections struct {
	mu  sync.Mutex
	got []string // "kind:check,check"
}

func (r *rejections) hook(kind api.PhotoKind, failed []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(kind)+":"+strings.Join(failed, ","))
}

func (r *rejections) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// TestOnReject_HearsEveryFailedPhoto: each capture that fails its checks
// reaches the hook once, with the photo's kind and the failed check; the
// live guidance on preview frames (which fail too, in the dark) does not.
func TestOnReject_HearsEveryFailedPhoto(t *testing.T) {
	opt, cam := withQuality(t)
	var rec rejections
	r := newRig(t, opt, func(_ *Config, d *Deps, _ *rig) { d.OnReject = rec.hook })
	r.toFaceStep(cam, false)
	cam.SetScene(simcam.SceneDark)
	r.waitGuidance(quality.KeyTooDark)
	if got := rec.list(); len(got) != 0 {
		t.Fatalf("before any capture the hook heard %v, want nothing: preview frames are not rejections", got)
	}
	r.clock.Advance(DefaultManualAfter)
	r.failCaptures(2, quality.KeyTooDark)
	got := rec.list()
	if len(got) != 2 {
		t.Fatalf("hook heard %v, want 2 rejections", got)
	}
	for _, g := range got {
		kind, checks, _ := strings.Cut(g, ":")
		if kind != string(api.PhotoFace) || !slices.Contains(strings.Split(checks, ","), "brightness") {
			t.Errorf("hook heard %q, want kind face with the brightness check among the failed", g)
		}
	}
}
