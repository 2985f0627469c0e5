package encode

import (
	"errors"
	"image"
	"image/color"
	"testing"
)

func TestLUT_FullRangeToStudioRange(t *testing.T) {
	tests := []struct {
		in           uint8
		luma, chroma uint8
	}{
		{0, 16, 16},
		{128, 126, 128},
		{255, 235, 240},
	}
	for _, tt := range tests {
		if got := lumaLUT[tt.in]; got != tt.luma {
			t.Errorf("luma %d -> %d, want %d", tt.in, got, tt.luma)
		}
		if got := chromaLUT[tt.in]; got != tt.chroma {
			t.Errorf("chroma %d -> %d, want %d", tt.in, got, tt.chroma)
		}
	}
}

// Whatever the source image type, the planes read back as the picture's
// colours when interpreted as studio range, as a browser does.
func TestPlanar_Fill_ColoursSurviveEverySourceType(t *testing.T) {
	src := quadrants(64, 48, testColours)
	rgba := image.NewRGBA(src.Bounds())
	for y := range 48 {
		for x := range 64 {
			rgba.Set(x, y, src.At(x, y))
		}
	}
	ycc422 := image.NewYCbCr(src.Bounds(), image.YCbCrSubsampleRatio422)
	ycc444 := image.NewYCbCr(src.Bounds(), image.YCbCrSubsampleRatio444)
	for _, dst := range []*image.YCbCr{ycc422, ycc444} {
		for y := range 48 {
			for x := range 64 {
				c := color.YCbCrModel.Convert(src.At(x, y)).(color.YCbCr)
				dst.Y[dst.YOffset(x, y)] = c.Y
				dst.Cb[dst.COffset(x, y)] = c.Cb
				dst.Cr[dst.COffset(x, y)] = c.Cr
			}
		}
	}
	for _, tt := range []struct {
		name string
		img  image.Image
	}{
		{"ycbcr420", src}, {"ycbcr422", ycc422}, {"ycbcr444", ycc444}, {"rgba", rgba},
		{"ycbcr420-subimage", quadrants(80, 60, testColours).SubImage(image.Rect(8, 6, 72, 54))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p planar
			b := tt.img.Bounds()
			p.reset(b.Dx(), b.Dy())
			if err := p.fill(tt.img); err != nil {
				t.Fatal(err)
			}
			got := planarImage(&p)
			for q, pt := range []image.Point{{8, 8}, {b.Dx() - 8, 8}, {8, b.Dy() - 8}, {b.Dx() - 8, b.Dy() - 8}} {
				if tt.name == "ycbcr420-subimage" {
					// The crop moves the quadrant borders; sample the centre
					// of each visible quadrant instead of the corners.
					pt = image.Point{[]int{16, 48}[q%2], []int{12, 36}[q/2]}
				}
				r, g, bl := at(got, pt.X, pt.Y)
				want := testColours[q]
				if !near(r, g, bl, want, 4) {
					t.Errorf("quadrant %d at %v: got rgb(%d,%d,%d), want about %v", q, pt, r, g, bl, want)
				}
			}
		})
	}
}

func TestPlanar_Fill_Gray(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	var p planar
	p.reset(4, 4)
	if err := p.fill(g); err != nil {
		t.Fatal(err)
	}
	if p.y[0] != 235 || p.cb[0] != 128 || p.cr[0] != 128 {
		t.Errorf("white gray pixel -> Y %d Cb %d Cr %d, want 235 128 128", p.y[0], p.cb[0], p.cr[0])
	}
}

func TestPlanar_Fill_WrongSize(t *testing.T) {
	var p planar
	p.reset(64, 48)
	err := p.fill(image.NewYCbCr(image.Rect(0, 0, 32, 48), image.YCbCrSubsampleRatio420))
	if !errors.Is(err, ErrSize) {
		t.Errorf("fill with a 32x48 frame into 64x48: err = %v, want ErrSize", err)
	}
}

func TestPlanar_NV12_StrideAndPaddedHeight(t *testing.T) {
	var p planar
	p.reset(6, 4)
	for i := range p.y {
		p.y[i] = byte(i)
	}
	for i := range p.cb {
		p.cb[i], p.cr[i] = byte(100+i), byte(200+i)
	}
	// A driver that aligns lines to 8 bytes and heights to 8 rows.
	const stride, uv = 8, 8 * 8
	buf := make([]byte, uv+stride*4)
	if err := p.nv12(buf, stride, uv); err != nil {
		t.Fatal(err)
	}
	if got, want := buf[1*stride+2], byte(1*6+2); got != want {
		t.Errorf("luma (2,1) = %d, want %d", got, want)
	}
	// Chroma row 1: Cb/Cr of chroma samples 3, 4, 5 interleaved.
	row := buf[uv+stride:][:6]
	want := []byte{103, 203, 104, 204, 105, 205}
	if string(row) != string(want) {
		t.Errorf("chroma row 1 = %v, want %v", row, want)
	}
	if err := p.nv12(make([]byte, 10), stride, uv); err == nil {
		t.Error("nv12 into a 10-byte buffer: no error")
	}
}

// planarImage views p as an image for the colour checks.
func planarImage(p *planar) *image.YCbCr {
	return &image.YCbCr{
		Y: p.y, Cb: p.cb, Cr: p.cr, YStride: p.w, CStride: p.cw(),
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, p.w, p.h),
	}
}

func near(r, g, b int, want color.RGBA, tol int) bool {
	d := func(a int, b uint8) int { return max(a-int(b), int(b)-a) }
	return d(r, want.R) <= tol && d(g, want.G) <= tol && d(b, want.B) <= tol
}
