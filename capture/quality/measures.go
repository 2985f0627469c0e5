package quality

import (
	"math"
	"slices"
)

// meanStd returns the mean luma in r and its standard deviation (the RMS
// contrast).
func (p *plane) meanStd(r rect) (mean, std float64) {
	if r.empty() {
		return 0, 0
	}
	var hist [256]int
	for y := r.y0; y < r.y1; y++ {
		for _, v := range p.pix[y*p.w+r.x0 : y*p.w+r.x1] {
			hist[v]++
		}
	}
	n := float64(r.area())
	var s, s2 float64
	for v, c := range hist {
		f := float64(v) * float64(c)
		s += f
		s2 += f * float64(v)
	}
	mean = s / n
	return mean, math.Sqrt(math.Max(0, s2/n-mean*mean))
}

// clipped is the share of pixels in r at or above level.
func (p *plane) clipped(r rect, level uint8) float64 {
	if r.empty() {
		return 0
	}
	n := 0
	for y := r.y0; y < r.y1; y++ {
		for _, v := range p.pix[y*p.w+r.x0 : y*p.w+r.x1] {
			if v >= level {
				n++
			}
		}
	}
	return float64(n) / float64(r.area())
}

// laplacianVar is the variance of the 4-neighbour Laplacian over the
// interior of r: the classic focus measure (Pech-Pacheco et al., "Diatom
// autofocusing in brightfield microscopy", ICPR 2000). Edges and fine
// texture give large responses; defocus and motion blur flatten them.
func (p *plane) laplacianVar(r rect) float64 {
	r = p.clip(rect{r.x0 + 1, r.y0 + 1, r.x1 - 1, r.y1 - 1})
	r.x0, r.y0 = max(r.x0, 1), max(r.y0, 1)
	r.x1, r.y1 = min(r.x1, p.w-1), min(r.y1, p.h-1)
	if r.empty() {
		return 0
	}
	var s, s2 float64
	for y := r.y0; y < r.y1; y++ {
		up, mid, dn := p.pix[(y-1)*p.w:], p.pix[y*p.w:], p.pix[(y+1)*p.w:]
		var rs, rs2 int64
		for x := r.x0; x < r.x1; x++ {
			l := int64(up[x]) + int64(dn[x]) + int64(mid[x-1]) + int64(mid[x+1]) - 4*int64(mid[x])
			rs += l
			rs2 += l * l
		}
		s += float64(rs)
		s2 += float64(rs2)
	}
	n := float64(r.area())
	m := s / n
	return s2/n - m*m
}

// glare measures clipped highlights in r: specular is the share of pixels
// at or above level; glare is the share in connected (4-neighbour) blobs of
// at least minBlob pixels. A laminated card under a lamp sparkles: its
// hologram and embossing throw many highlights a few pixels wide that hide
// nothing. What hides print is a washed-out patch, so only blobs big enough
// to cover a character count as glare.
func (p *plane) glare(r rect, level uint8, minBlob int) (specular, glare float64) {
	if r.empty() {
		return 0, 0
	}
	w := r.dx()
	// mark: 1 = saturated and not yet visited.
	mark := make([]uint8, r.area())
	sat := 0
	for y := r.y0; y < r.y1; y++ {
		row := p.pix[y*p.w+r.x0 : y*p.w+r.x1]
		m := mark[(y-r.y0)*w:]
		for x, v := range row {
			if v >= level {
				m[x] = 1
				sat++
			}
		}
	}
	if sat == 0 {
		return 0, 0
	}
	inBlobs := 0
	var stack []int
	for i, m := range mark {
		if m != 1 {
			continue
		}
		mark[i] = 2
		stack = append(stack[:0], i)
		size := 0
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x := j % w
			for _, k := range [4]int{j - w, j + w, j - 1, j + 1} {
				if k < 0 || k >= len(mark) || mark[k] != 1 {
					continue
				}
				if (k == j-1 && x == 0) || (k == j+1 && x == w-1) {
					continue // no wrap across rows
				}
				mark[k] = 2
				stack = append(stack, k)
			}
		}
		if size >= minBlob {
			inBlobs += size
		}
	}
	n := float64(r.area())
	return float64(sat) / n, float64(inBlobs) / n
}

// Card segmentation. The cradle floor (or whatever is around the outline
// when a card is held up) is one level; a card differs from it by far more
// than sensor noise. cardDelta is that margin in luma levels: an ID's paper
// is 150+ levels above a matte black cradle floor and its darkest print
// (the header band, the portrait's hair) still 40+; sensor noise is 2-4
// levels and the simulated recess shading about 15.
const (
	cardDelta = 32
	// cardRun is how many differing pixels in a row start or end the card,
	// so single noisy pixels and dust specks do not.
	cardRun = 3
)

// coverage is the share of r covered by something that differs from the
// background level measured in a band around r. Each row's covered span
// runs from its first to its last run of differing pixels, so the card's
// own dark print (a portrait, a band) counts as card.
func (p *plane) coverage(r rect) (share float64, background uint8) {
	if r.empty() {
		return 0, 0
	}
	bg := p.ringMedian(r)
	covered := 0
	for y := r.y0; y < r.y1; y++ {
		row := p.pix[y*p.w+r.x0 : y*p.w+r.x1]
		first, last := -1, -1
		run := 0
		for x, v := range row {
			if absDiff(v, bg) > cardDelta {
				run++
				if run == cardRun {
					if first < 0 {
						first = x - cardRun + 1
					}
					last = x
				} else if run > cardRun {
					last = x
				}
			} else {
				run = 0
			}
		}
		if first >= 0 {
			covered += last - first + 1
		}
	}
	return float64(covered) / float64(r.area()), bg
}

// ringMedian is the median luma of a band around r, a twentieth of the
// frame wide, outside r and inside the frame. If r leaves no room, the
// frame's outermost rows and columns stand in.
func (p *plane) ringMedian(r rect) uint8 {
	band := max(2, min(p.w, p.h)/20)
	outer := p.clip(rect{r.x0 - band, r.y0 - band, r.x1 + band, r.y1 + band})
	var hist [256]int
	n := 0
	for y := outer.y0; y < outer.y1; y++ {
		for x := outer.x0; x < outer.x1; x++ {
			if x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1 {
				continue
			}
			hist[p.pix[y*p.w+x]]++
			n++
		}
	}
	if n < 16 {
		for x := range p.w {
			hist[p.pix[x]]++
			hist[p.pix[(p.h-1)*p.w+x]]++
		}
		n += 2 * p.w
	}
	half, acc := n/2, 0
	for v, c := range hist {
		acc += c
		if acc > half {
			return uint8(v)
		}
	}
	return 255
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// motion is how much two thumbnails of consecutive frames differ: the mean
// absolute luma difference after matching b's exposure to a's (a gain, so
// a flickering light or an exposure that settles does not read as
// movement). It is in luma levels; a still scene gives its sensor noise,
// well below 1 at thumbnail size.
func motion(a, b *plane) float64 {
	if a == nil || b == nil || a.w != b.w || a.h != b.h || len(a.pix) == 0 {
		return math.NaN()
	}
	var sa, sb float64
	for i := range a.pix {
		sa += float64(a.pix[i])
		sb += float64(b.pix[i])
	}
	k := 1.0
	if sb > 0 {
		k = sa / sb
	}
	var mad float64
	for i := range a.pix {
		mad += math.Abs(float64(a.pix[i]) - k*float64(b.pix[i]))
	}
	return mad / float64(len(a.pix))
}

// median of a small slice (copied).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
