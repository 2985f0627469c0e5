package appliance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The rig is the agent's small HTTP API on RigPort: the learner's hands and
// the room around the kiosk, which the host cannot otherwise reach in the
// guest. It never sees personal data.
//
//	GET  /rig           RigState
//	POST /rig/cradle    {"present": bool}   place or remove the ID card
//	POST /rig/scene     {"scene": "auto"|simcam scene}   pin what the camera sees
//	POST /rig/poweroff  stop kioskd as systemd would, then power off
const (
	RigStatePath    = "/rig"
	RigCradlePath   = "/rig/cradle"
	RigScenePath    = "/rig/scene"
	RigPowerOffPath = "/rig/poweroff"
)

// SceneAuto makes the camera follow the learner's step, as kioskd's
// simulated camera does.
const SceneAuto = "auto"

// RigState is what the rig reports.
type RigState struct {
	// Cradle: the card-present line is pulled high (a card is in).
	Cradle bool `json:"cradle"`
	// Light: kioskd drives the cradle's light line.
	Light bool `json:"light"`
	// Scene is "auto" or the pinned scene; Showing what the camera shows.
	Scene   string `json:"scene"`
	Showing string `json:"showing"`
}

// SetCradle places the ID card in the cradle (present) or takes it out.
func (a *Appliance) SetCradle(ctx context.Context, present bool) error {
	return a.rig(ctx, http.MethodPost, RigCradlePath, map[string]bool{"present": present}, nil)
}

// SetScene pins what the camera sees (a simcam scene) or, with SceneAuto,
// lets it follow the learner's step again.
func (a *Appliance) SetScene(ctx context.Context, scene string) error {
	return a.rig(ctx, http.MethodPost, RigScenePath, map[string]string{"scene": scene}, nil)
}

// Rig reports the cradle's lines and the camera's scene.
func (a *Appliance) Rig(ctx context.Context) (RigState, error) {
	var st RigState
	err := a.rig(ctx, http.MethodGet, RigStatePath, nil, &st)
	return st, err
}

func (a *Appliance) rig(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+a.m.Addr(RigPort)+path, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("rig %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("rig %s: %s: %s", path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
