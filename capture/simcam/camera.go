package simcam

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// Defaults for Options.
const (
	DefaultWidth  = 640
	DefaultHeight = 480
	DefaultFPS    = 15
	DefaultName   = "sim"
)

// Options configure a simulated camera; zero fields take the defaults.
type Options struct {
	Width, Height int
	FPS           float64
	Name          string
}

// Camera is a simulated camera: it renders the current scene into real
// frames at a set rate. It is safe for concurrent use.
type Camera struct {
	opts Options

	mu        sync.Mutex
	scene     Scene
	unplugged bool // see unplug.go

	layerMu sync.Mutex
	layers  map[Scene]*layer // painted on first use, kept: a scene never changes
}

var _ capture.Camera = (*Camera)(nil)

// New returns a camera showing SceneEmpty.
func New(opts Options) *Camera {
	if opts.Width <= 0 {
		opts.Width = DefaultWidth
	}
	if opts.Height <= 0 {
		opts.Height = DefaultHeight
	}
	if opts.FPS <= 0 {
		opts.FPS = DefaultFPS
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	return &Camera{opts: opts, scene: SceneEmpty, layers: map[Scene]*layer{}}
}

// Name implements capture.Camera.
func (c *Camera) Name() string { return c.opts.Name }

// Options returns the camera's settings with defaults filled in.
func (c *Camera) Options() Options { return c.opts }

// SetScene switches what the camera sees from the next frame on. Unknown
// scenes are ignored; use ParseScene to check names from outside.
func (c *Camera) SetScene(sc Scene) {
	if !sc.valid() {
		return
	}
	c.mu.Lock()
	c.scene = sc
	c.mu.Unlock()
}

// Scene returns the current scene.
func (c *Camera) Scene() Scene {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scene
}

// Stream implements capture.Camera: it emits a frame at once and then one
// per tick at the configured rate until ctx ends, and returns ctx.Err(); or,
// once the camera is unplugged (unplug.go), an error wrapping
// capture.ErrNoDevice.
func (c *Camera) Stream(ctx context.Context, emit func(*capture.Frame)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.opts.FPS))
	defer tick.Stop()
	r := newRenderer(rand.Uint64())
	start := time.Now()
	now := start
	for {
		if err := c.gone(); err != nil {
			return err
		}
		emit(capture.NewImageFrame(c.render(r, c.Scene(), now.Sub(start)), now))
		// A ready tick must not win over a context ended during emit.
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now = <-tick.C:
		}
	}
}

// layer returns the static picture of sc, painting it on first use. The
// first frame of a scene costs the painting (tens of milliseconds at
// 640x480, see BenchmarkPaint); later frames only crop and add noise.
func (c *Camera) layer(sc Scene) *layer {
	c.layerMu.Lock()
	defer c.layerMu.Unlock()
	l, ok := c.layers[sc]
	if !ok {
		l = newLayer(sc, c.opts.Width, c.opts.Height)
		c.layers[sc] = l
	}
	return l
}

// render makes the frame of sc at time t into the stream: the static layer,
// cropped at a slowly swaying offset, under light that flickers a little
// and has a soft brighter band rolling down the picture, with fresh sensor
// noise. Consecutive frames differ as from a real sensor while the picture
// stays still enough for "hold still" checks.
func (c *Camera) render(r *renderer, sc Scene, t time.Duration) *image.YCbCr {
	l := c.layer(sc)
	sec := t.Seconds()
	ox := l.margin + int(math.Round(l.swayX*math.Sin(2*math.Pi*sec/5.3)))
	oy := l.margin + int(math.Round(l.swayY*math.Sin(2*math.Pi*sec/3.7+1)))
	flicker := 0.012 * math.Sin(2*math.Pi*sec/2.3)
	phase := sec / 4
	return r.frame(l, c.opts.Width, c.opts.Height, ox, oy, func(fy float64) float64 {
		return 1 + flicker + 0.015*math.Sin(2*math.Pi*(0.7*fy-phase))
	})
}

// renderer holds the per-stream state of the frame path: the noise
// generator and its table, reused from frame to frame.
type renderer struct {
	rng      uint64
	noiseLUT [256]int8
	sigma    float64
}

func newRenderer(seed uint64) *renderer {
	if seed == 0 {
		seed = 0x9e3779b97f4a7c15
	}
	return &renderer{rng: seed}
}

// next is xorshift64*: fast enough to draw noise for every pixel, and
// this is simulated sensor noise, not cryptography.
func (r *renderer) next() uint64 {
	r.rng ^= r.rng >> 12
	r.rng ^= r.rng << 25
	r.rng ^= r.rng >> 27
	return r.rng * 2685821657736338717
}

// setNoise fills the table that maps a uniform byte to Gaussian noise.
func (r *renderer) setNoise(sigma float64) {
	if r.sigma == sigma {
		return
	}
	r.sigma = sigma
	for i := range r.noiseLUT {
		p := (float64(i) + 0.5) / 256
		v := sigma * math.Sqrt2 * math.Erfinv(2*p-1)
		r.noiseLUT[i] = int8(math.Max(-127, math.Min(127, math.Round(v))))
	}
}

// frame crops a w x h frame from l at (ox, oy), applies the light (gain as
// a function of the row's height fraction) and noise to luma, and copies
// chroma. The result is a new image every time: frames are shared by
// consumers and must never change after they are emitted.
func (r *renderer) frame(l *layer, w, h, ox, oy int, gain func(fy float64) float64) *image.YCbCr {
	r.setNoise(l.noise)
	src := l.img
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		g := int32(math.Round(gain(float64(y)/float64(h)) * 1024))
		s := src.Y[(y+oy)*src.YStride+ox:][:w]
		d := dst.Y[y*dst.YStride:][:w]
		var bits uint64
		for x := range d {
			if x&7 == 0 {
				bits = r.next()
			}
			v := (int32(s[x])*g+512)>>10 + int32(r.noiseLUT[uint8(bits)])
			bits >>= 8
			d[x] = uint8(min(255, max(0, v)))
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	cox, coy := ox/2, oy/2
	for y := range ch {
		so := (y+coy)*src.CStride + cox
		do := y * dst.CStride
		copy(dst.Cb[do:do+cw], src.Cb[so:so+cw])
		copy(dst.Cr[do:do+cw], src.Cr[so:so+cw])
	}
	return dst
}
