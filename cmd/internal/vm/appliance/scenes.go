package appliance

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/simcam"
)

// Scene pictures for the camera: the simulated camera's scenes, so the VM's
// camera shows what `make run` shows and the photo checks judge the same
// pictures, now through vivid and go4vl.
const (
	SceneWidth  = 640
	SceneHeight = 480
	// SceneFrames per scene, played in a loop. Frames differ by the
	// simulated sensor's noise, so kioskd's frozen-camera check (identical
	// frames) stays quiet, as with a real camera; 4 at 600 KB each keep
	// the agent's memory small.
	SceneFrames = 4
)

// writeScenes renders every simcam scene into dir as <scene>.yuyv: Frames
// raw YUYV 4:2:2 frames, the layout vivid's output takes.
func writeScenes(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, sc := range simcam.Scenes() {
		frames, err := renderScene(ctx, sc)
		if err != nil {
			return fmt.Errorf("scene %s: %w", sc, err)
		}
		var raw []byte
		for _, f := range frames {
			raw = append(raw, yuyv(f)...)
		}
		if err := os.WriteFile(filepath.Join(dir, string(sc)+".yuyv"), raw, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// renderScene takes SceneFrames frames of sc from a simulated camera. A
// high frame rate only makes it quick: the frames differ by noise either
// way.
func renderScene(ctx context.Context, sc simcam.Scene) ([]*image.YCbCr, error) {
	cam := simcam.New(simcam.Options{Width: SceneWidth, Height: SceneHeight, FPS: 1000})
	cam.SetScene(sc)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []*image.YCbCr
	var bad error
	err := cam.Stream(ctx, func(f *capture.Frame) {
		if len(out) == SceneFrames || bad != nil {
			return
		}
		img, err := f.Image()
		yc, ok := img.(*image.YCbCr)
		switch {
		case err != nil:
			bad = err
		case !ok:
			bad = fmt.Errorf("simcam frame is %T, want *image.YCbCr", img)
		default:
			out = append(out, yc)
		}
		if len(out) == SceneFrames || bad != nil {
			cancel()
		}
	})
	if bad != nil {
		return nil, bad
	}
	if len(out) < SceneFrames {
		if err == nil || errors.Is(err, context.Canceled) {
			err = errors.New("stream ended early")
		}
		return nil, err
	}
	return out, nil
}

// yuyv packs img as YUYV 4:2:2: Y0 Cb Y1 Cr for each pair of pixels, the
// chroma of the pair's first pixel.
func yuyv(img *image.YCbCr) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, 0, w*h*2)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x+1 < b.Max.X; x += 2 {
			c := img.COffset(x, y)
			out = append(out, img.Y[img.YOffset(x, y)], img.Cb[c], img.Y[img.YOffset(x+1, y)], img.Cr[c])
		}
	}
	return out
}
