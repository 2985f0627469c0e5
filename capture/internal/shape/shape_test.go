package shape

import (
	"math"
	"testing"
)

// TestDistance checks each shape at points inside, on and outside its
// edge, where the true distance is known by hand.
func TestDistance(t *testing.T) {
	// A 20x10 rectangle centred at (10,5) with corners of radius 2; the
	// top-right corner circle is centred at (18,8).
	rect := func(x, y float64) float64 { return RoundRect(x, y, 10, 5, 10, 5, 2) }
	// A horizontal segment from (0,0) to (10,0).
	seg := func(x, y float64) float64 { return Segment(x, y, 0, 0, 10, 0) }
	// A circle of radius 5 at the origin, and an 8x4 ellipse at (10,20).
	circle := func(x, y float64) float64 { return Ellipse(x, y, 0, 0, 5, 5) }
	ellipse := func(x, y float64) float64 { return Ellipse(x, y, 10, 20, 8, 4) }
	r2 := math.Sqrt2
	tests := []struct {
		name      string
		got, want float64
	}{
		{"RoundRect: centre", rect(10, 5), -5},
		{"RoundRect: inside near the left side", rect(1, 5), -1},
		{"RoundRect: on the left side", rect(0, 5), 0},
		{"RoundRect: on the top side", rect(10, 0), 0},
		{"RoundRect: outside the right side", rect(23, 5), 3},
		{"RoundRect: outside below", rect(10, 14), 4},
		{"RoundRect: on the rounded corner", rect(18+2/r2, 8+2/r2), 0},
		{"RoundRect: outside the corner, on the diagonal", rect(21, 11), 3*r2 - 2},
		{"RoundRect: the sharp corner point is outside", rect(20, 10), 2*r2 - 2},

		{"Segment: on it", seg(5, 0), 0},
		{"Segment: beside the middle", seg(5, 3), 3},
		{"Segment: past the end, measured to the end", seg(13, 4), 5},
		{"Segment: before the start", seg(-3, -4), 5},
		{"Segment: on an end point", seg(10, 0), 0},
		{"Segment: diagonal", Segment(0, 2, 0, 0, 2, 2), r2},
		{"Segment: zero length is a point", Segment(4, 5, 1, 1, 1, 1), 5},

		{"Ellipse: circle centre", circle(0, 0), -5},
		{"Ellipse: inside the circle", circle(3, 0), -2},
		{"Ellipse: on the circle", circle(3, 4), 0},
		{"Ellipse: outside the circle", circle(6, 8), 5},
		{"Ellipse: centre is the smaller semi-axis deep", ellipse(10, 20), -4},
		{"Ellipse: end of the long axis", ellipse(18, 20), 0},
		{"Ellipse: end of the short axis", ellipse(10, 24), 0},
		{"Ellipse: outside along the long axis", ellipse(21, 20), 3},
		{"Ellipse: inside along the short axis", ellipse(10, 19), -3},
		{"Ellipse: on the edge off the axes", ellipse(10+8/r2, 20+4/r2), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-9 {
				t.Errorf("got %g, want %g", tt.got, tt.want)
			}
		})
	}
}

func TestCover(t *testing.T) {
	tests := []struct {
		name    string
		d, soft float64
		want    float32
	}{
		{"on the edge is half covered", 0, 1, 0.5},
		{"deep inside is covered", -3, 1, 1},
		{"far outside is empty", 3, 1, 0},
		{"a quarter pixel inside", -0.25, 1, 0.75},
		{"half a pixel outside is empty", 0.5, 1, 0},
		{"half a pixel inside is covered", -0.5, 1, 1},
		{"a wide edge ramps slower", 1, 4, 0.25},
		{"an edge under a pixel is widened to one", 0.25, 0.1, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cover(tt.d, tt.soft); got != tt.want {
				t.Errorf("Cover(%g, %g) = %g, want %g", tt.d, tt.soft, got, tt.want)
			}
		})
	}
}

func TestSmoothstep(t *testing.T) {
	tests := []struct {
		x, want float64
	}{
		{-1, 0}, {2, 0}, {4, 0.5}, {3, 0.15625}, {6, 1}, {9, 1},
	}
	for _, tt := range tests {
		if got := Smoothstep(2, 6, tt.x); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Smoothstep(2, 6, %g) = %g, want %g", tt.x, got, tt.want)
		}
	}
}
