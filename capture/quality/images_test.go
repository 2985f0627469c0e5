package quality

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/capture/simcam"
)

// Pictures with known properties, made from real photos and the simulated
// camera's scenes: the same picture darker, brighter, blurred, with glare,
// moved.

// simFrame returns one frame of a simulated camera scene.
func simFrame(t testing.TB, w, h int, sc simcam.Scene) *image.YCbCr {
	t.Helper()
	frames := simFrames(t, w, h, sc, 1)
	return frames[0]
}

// simFrames returns n consecutive frames of a scene, rendered as fast as
// the camera goes (30 fps of simulated time each).
func simFrames(t testing.TB, w, h int, sc simcam.Scene, n int) []*image.YCbCr {
	t.Helper()
	cam := simcam.New(simcam.Options{Width: w, Height: h, FPS: 30})
	cam.SetScene(sc)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out []*image.YCbCr
	err := cam.Stream(ctx, func(f *capture.Frame) {
		img, err := f.Image()
		if err != nil {
			t.Errorf("sim frame: %v", err)
			cancel()
			return
		}
		out = append(out, img.(*image.YCbCr))
		if len(out) == n {
			cancel()
		}
	})
	if len(out) < n {
		t.Fatalf("simcam gave %d frames (%v), want %d", len(out), err, n)
	}
	return out
}

// rgba copies img into an RGBA picture that the edits below can change.
func rgba(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// gain scales every channel by k, clipping at 255: k < 1 is a darker room,
// k > 1 an over-exposed camera.
func gain(img image.Image, k float64) *image.RGBA {
	out := rgba(img)
	for i, v := range out.Pix {
		if i%4 == 3 {
			continue
		}
		out.Pix[i] = uint8(math.Min(255, math.Round(float64(v)*k)))
	}
	return out
}

// blur is a separable Gaussian blur of standard deviation sigma pixels:
// an out-of-focus lens.
func blur(img image.Image, sigma float64) *image.RGBA {
	src := rgba(img)
	r := int(math.Ceil(3 * sigma))
	kernel := make([]float64, 2*r+1)
	var sum float64
	for i := range kernel {
		x := float64(i - r)
		kernel[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += kernel[i]
	}
	for i := range kernel {
		kernel[i] /= sum
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pass := func(in *image.RGBA, dx, dy int) *image.RGBA {
		out := image.NewRGBA(in.Rect)
		for y := range h {
			for x := range w {
				var acc [3]float64
				for k, kv := range kernel {
					sx := min(w-1, max(0, x+(k-r)*dx))
					sy := min(h-1, max(0, y+(k-r)*dy))
					o := in.PixOffset(sx, sy)
					for c := range 3 {
						acc[c] += kv * float64(in.Pix[o+c])
					}
				}
				o := out.PixOffset(x, y)
				for c := range 3 {
					out.Pix[o+c] = uint8(math.Round(acc[c]))
				}
				out.Pix[o+3] = 255
			}
		}
		return out
	}
	return pass(pass(src, 1, 0), 0, 1)
}

// withGlare paints a washed-out patch: an ellipse of clipped white centred
// at (cx, cy) with semi-axes (ax, ay), all in fractions of the frame, with
// a soft rim, as a lamp reflected in a laminate looks.
func withGlare(img image.Image, cx, cy, ax, ay float64) *image.RGBA {
	out := rgba(img)
	w, h := float64(out.Rect.Dx()), float64(out.Rect.Dy())
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			dx, dy := (float64(x)-cx*w)/(ax*w), (float64(y)-cy*h)/(ay*h)
			d := math.Hypot(dx, dy)
			if d >= 1.3 {
				continue
			}
			a := 1.0
			if d > 1 {
				a = (1.3 - d) / 0.3
			}
			o := out.PixOffset(x, y)
			for c := range 3 {
				out.Pix[o+c] = uint8(math.Round(float64(out.Pix[o+c])*(1-a) + 255*a))
			}
		}
	}
	return out
}

// withSparkle scatters n specular highlights of size x size clipped pixels
// over the region (fractions of the frame), on a fixed grid: the glints of
// a laminate's hologram and embossing.
func withSparkle(img image.Image, reg Region, n, size int) *image.RGBA {
	out := rgba(img)
	w, h := float64(out.Rect.Dx()), float64(out.Rect.Dy())
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	for i := range n {
		fx := reg.Left + (reg.Right-reg.Left)*(float64(i%cols)+0.5)/float64(cols)
		fy := reg.Top + (reg.Bottom-reg.Top)*(float64(i/cols)+0.5)/float64(cols)
		x0, y0 := int(fx*w), int(fy*h)
		draw.Draw(out, image.Rect(x0, y0, x0+size, y0+size), image.NewUniform(color.White), image.Point{}, draw.Src)
	}
	return out
}

// fill paints a region (fractions of the frame) with one colour plus
// noise: an empty cradle floor where the card was.
func fill(img image.Image, reg Region, c color.Gray) *image.RGBA {
	out := rgba(img)
	w, h := float64(out.Rect.Dx()), float64(out.Rect.Dy())
	seed := uint32(1)
	for y := int(reg.Top * h); y < int(reg.Bottom*h); y++ {
		for x := int(reg.Left * w); x < int(reg.Right*w); x++ {
			seed = seed*1664525 + 1013904223
			v := int(c.Y) + int(seed>>29) - 4
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = uint8(v), uint8(v), uint8(v)
		}
	}
	return out
}

// shift moves the picture by (dx, dy) pixels, repeating the edge: the
// learner moved between two frames.
func shift(img image.Image, dx, dy int) *image.RGBA {
	src := rgba(img)
	out := image.NewRGBA(src.Rect)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		for x := range w {
			sx, sy := min(w-1, max(0, x-dx)), min(h-1, max(0, y-dy))
			copy(out.Pix[out.PixOffset(x, y):][:4], src.Pix[src.PixOffset(sx, sy):][:4])
		}
	}
	return out
}

// detector loads pigo's cascade from the module cache.
func detector(t testing.TB) *Detector {
	t.Helper()
	d, err := LoadDetector(qualitytest.Cascade(t))
	if err != nil {
		t.Fatalf("load detector: %v", err)
	}
	return d
}

// sideBySide puts two pictures of the same height next to each other:
// two people in front of the camera.
func sideBySide(a, b image.Image) *image.RGBA {
	ra, rb := rgba(a), rgba(b)
	w, h := ra.Rect.Dx(), ra.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w+rb.Rect.Dx(), h))
	draw.Draw(out, ra.Rect, ra, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(w, 0, w+rb.Rect.Dx(), h), rb, image.Point{}, draw.Src)
	return out
}
