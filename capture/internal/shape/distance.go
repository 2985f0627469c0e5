package shape

import "math"

// RoundRect is the signed distance from (px,py) to a rectangle centred at
// (cx,cy) with half sizes hx,hy and corner radius r.
func RoundRect(px, py, cx, cy, hx, hy, r float64) float64 {
	qx := math.Abs(px-cx) - (hx - r)
	qy := math.Abs(py-cy) - (hy - r)
	return math.Hypot(math.Max(qx, 0), math.Max(qy, 0)) + math.Min(math.Max(qx, qy), 0) - r
}

// Segment is the distance from (px,py) to the segment (ax,ay)-(bx,by). A
// segment of zero length is its end point, not a division by zero.
func Segment(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	h := 0.0
	if l2 > 0 {
		h = math.Min(1, math.Max(0, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	return math.Hypot(px-ax-h*dx, py-ay-h*dy)
}

// Ellipse approximates the signed distance from (px,py) to an ellipse
// centred at (cx,cy) with semi-axes a (along x) and b (along y). It is
// exact on the axes and for a circle; elsewhere it is a first-order
// estimate, close within a pixel or two of the edge, which is all
// antialiasing looks at.
func Ellipse(px, py, cx, cy, a, b float64) float64 {
	dx, dy := (px-cx)/a, (py-cy)/b
	k := math.Hypot(dx, dy)
	if k == 0 {
		return -math.Min(a, b)
	}
	// Distance along the gradient of the implicit function.
	gx, gy := dx/(a*k), dy/(b*k)
	return (k - 1) / math.Hypot(gx, gy)
}
