package diag

import (
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// Status is one check's outcome.
type Status string

// Check outcomes. Skip means the check does not apply now (no frames to
// judge, a simulated camera with no device node).
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check IDs. They are stable: staff tools and tests use them, and each
// message key is the ID plus the outcome (camera.busy.fail).
const (
	CheckPresent    = "camera.present"
	CheckPermission = "camera.permission"
	CheckBusy       = "camera.busy"
	CheckStreaming  = "camera.streaming"
	CheckBlack      = "camera.black"
	CheckFrozen     = "camera.frozen"
	CheckWrong      = "camera.wrong"
)

// Result is one check's answer. Key is a message catalogue key for staff;
// Params fill its {placeholders}.
type Result struct {
	ID     string            `json:"id"`
	Status Status            `json:"status"`
	Key    string            `json:"key"`
	Params map[string]string `json:"params,omitempty"`
}

// Report is everything the monitor knows, for /api/diagnostics.
type Report struct {
	State     capture.State `json:"state"`
	Time      time.Time     `json:"time"`
	Device    string        `json:"device,omitempty"` // the configured node
	LastError string        `json:"last_error,omitempty"`
	Stream    Stream        `json:"stream"`
	Checks    []Result      `json:"checks"`
	Cameras   []Camera      `json:"cameras,omitempty"` // capture devices present
}

// Check returns the result with id, or false.
func (r Report) Check(id string) (Result, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Result{}, false
}

// Stream describes the frames arriving.
type Stream struct {
	Format    string     `json:"format,omitempty"` // as negotiated, e.g. "YUYV 640x480 @ 15 fps"
	Frames    uint64     `json:"frames"`           // published since start
	FPS       float64    `json:"fps"`
	LastFrame *time.Time `json:"last_frame,omitempty"`
}

// Camera is a capture device found on the system.
type Camera struct {
	Node string   `json:"node"` // /dev/videoN
	Name string   `json:"name"`
	ByID []string `json:"by_id,omitempty"`
}

func result(id string, s Status, outcome string, params map[string]string) Result {
	return Result{ID: id, Status: s, Key: id + "." + outcome, Params: params}
}

// Message keys: <check ID>.<outcome> and <check ID>.title for checks, and
// for the camera state camera.state.<state> (a short label for staff) and
// camera.learner.<state> (plain words for the learner, not for "ok").
// MessageKeys lists every key this package can produce, so a test can hold
// the catalogues to it.
func MessageKeys() []string {
	outcomes := map[string][]string{
		CheckPresent:    {"ok", "fail"},
		CheckPermission: {"ok", "join_group", "mode", "skip"},
		CheckBusy:       {"ok", "fail", "unknown", "skip"},
		CheckStreaming:  {"ok", "starting", "fail"},
		CheckBlack:      {"ok", "fail", "skip"},
		CheckFrozen:     {"ok", "fail", "skip"},
		CheckWrong:      {"ok", "fail", "skip"},
	}
	var keys []string
	for _, id := range CheckIDs() {
		keys = append(keys, id+".title")
		for _, o := range outcomes[id] {
			keys = append(keys, id+"."+o)
		}
	}
	for _, s := range capture.States() {
		keys = append(keys, StateKey(s))
		if s != capture.StateStreaming {
			keys = append(keys, LearnerKey(s))
		}
	}
	return keys
}

// CheckIDs lists the checks in the order reports show them.
func CheckIDs() []string {
	return []string{CheckPresent, CheckPermission, CheckBusy, CheckWrong, CheckStreaming, CheckBlack, CheckFrozen}
}

// StateKey is the staff label key of a state, e.g. camera.state.busy.
func StateKey(s capture.State) string { return "camera.state." + s.String() }

// LearnerKey is the learner's message key for a state that is not ok.
func LearnerKey(s capture.State) string { return "camera.learner." + s.String() }
