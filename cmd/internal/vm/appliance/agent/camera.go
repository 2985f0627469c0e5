package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/cmd/internal/learner"
	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// camera plays the simulated camera's scenes into vivid's output node, so
// kioskd sees them on its capture node: the scene the learner's step calls
// for, unless the rig pinned one.
type camera struct {
	frames map[string][][]byte

	mu     sync.Mutex
	pinned string // "" follows the step
	auto   string // the step's scene
}

// loadScenes reads <scene>.yuyv files of n frames of w x h YUYV each.
func loadScenes(dir string, w, h, n int) (*camera, error) {
	c := &camera{frames: map[string][][]byte{}, auto: string(simcam.SceneEmpty)}
	size := w * h * 2
	for _, sc := range simcam.Scenes() {
		b, err := os.ReadFile(filepath.Join(dir, string(sc)+".yuyv"))
		if err != nil {
			return nil, err
		}
		if len(b) != n*size {
			return nil, fmt.Errorf("scene %s: %d bytes, want %d frames of %d", sc, len(b), n, size)
		}
		for i := range n {
			c.frames[string(sc)] = append(c.frames[string(sc)], b[i*size:(i+1)*size])
		}
	}
	return c, nil
}

// showing is the scene on screen now.
func (c *camera) showing() (scene, mode string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pinned != "" {
		return c.pinned, c.pinned
	}
	return c.auto, appliance.SceneAuto
}

// pin shows scene from now on, or follows the step again (SceneAuto).
func (c *camera) pin(scene string) error {
	if scene != appliance.SceneAuto {
		if _, ok := c.frames[scene]; !ok {
			return fmt.Errorf("unknown scene %q (want %s or one of %v)", scene, appliance.SceneAuto, simcam.Scenes())
		}
	} else {
		scene = ""
	}
	c.mu.Lock()
	c.pinned = scene
	c.mu.Unlock()
	return nil
}

// play streams the scenes into the output node for as long as ctx lives:
// v4l2-ctl queues the output buffers (mmap streaming) and reads each frame
// from a pipe this side keeps full, so a change of scene shows from the
// next frames on without stopping the stream (a stopped output shows as
// vivid's test pattern on the capture). The pipe blocks when v4l2-ctl is
// behind, so the output's frame rate paces it. vivid's write() path cannot
// do this on 6.1: it queues the buffers with a payload of 0, which vivid
// refuses.
func (c *camera) play(ctx context.Context, log *slog.Logger) {
	for ctx.Err() == nil {
		cmd := exec.CommandContext(ctx, "v4l2-ctl", "-d", outputNode, "--stream-out-mmap", "--stream-from=/proc/self/fd/0")
		in, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			log.Error("camera scenes", "err", err)
			return
		}
		for i := 0; ; i++ {
			scene, _ := c.showing()
			f := c.frames[scene]
			if _, err = in.Write(f[i%len(f)]); err != nil {
				break
			}
		}
		in.Close()
		werr := cmd.Wait()
		if ctx.Err() != nil {
			return
		}
		log.Warn("camera scenes: v4l2-ctl ended; restarting", "err", err, "exit", werr)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// follow keeps the auto scene on what the learner shows the camera at each
// step, from kioskd's state stream, reconnecting while kioskd restarts.
// Only the step is decoded: the stream carries the learner's name and
// email, which the agent has no business keeping.
func (c *camera) follow(ctx context.Context, ui string, log *slog.Logger) {
	for ctx.Err() == nil {
		err := c.followOnce(ctx, "http://"+ui+"/api/events")
		if ctx.Err() != nil {
			return
		}
		log.Debug("state stream ended; reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (c *camera) followOnce(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var st struct {
			Step     session.Step `json:"step"`
			TwoSided bool         `json:"two_sided"`
		}
		if json.Unmarshal([]byte(data), &st) != nil {
			continue
		}
		c.mu.Lock()
		c.auto = string(learner.Scene(st.Step, st.TwoSided))
		c.mu.Unlock()
	}
	return sc.Err()
}
