package shape

import "math"

// Cover turns a signed distance into coverage (0..1) with an edge soft
// pixels wide, centred on the edge: a pixel centre on the edge is half
// covered. An edge narrower than a pixel would alias, so soft is at least 1.
// It returns float32 because the simulated camera's canvas blends in float32.
func Cover(d, soft float64) float32 {
	if soft < 1 {
		soft = 1
	}
	v := 0.5 - d/soft
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 1
	}
	return float32(v)
}

// Smoothstep is 0 below e0, 1 above e1 and a cubic ramp with flat ends in
// between, so shading that fades with it shows no visible rim.
func Smoothstep(e0, e1, x float64) float64 {
	t := math.Min(1, math.Max(0, (x-e0)/(e1-e0)))
	return t * t * (3 - 2*t)
}
