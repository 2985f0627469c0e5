package quality

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"

	pigo "github.com/esimov/pigo/core"
)

// Detector finds frontal faces with pigo's pixel-intensity-comparison
// cascade (github.com/esimov/pigo, after Markuš et al., "Object Detection
// with Pixel Intensity Comparisons Organized in Decision Trees", 2013). The
// cascade file ships inside pigo's module (cascade/facefinder); kioskd
// loads it from a configured path and never embeds a copy.
//
// A Detector is read-only after loading and safe for concurrent use.
type Detector struct {
	cascade *pigo.Pigo
}

// LoadDetector reads a pigo cascade file, e.g. pigo's cascade/facefinder.
func LoadDetector(path string) (*Detector, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("face cascade: %w", err)
	}
	d, err := NewDetector(b)
	if err != nil {
		return nil, fmt.Errorf("face cascade %s: %w", path, err)
	}
	return d, nil
}

// NewDetector unpacks a cascade already in memory.
func NewDetector(cascade []byte) (d *Detector, err error) {
	// pigo indexes the file without length checks: a truncated or foreign
	// file panics instead of failing.
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("not a pigo cascade (%v)", r)
		}
	}()
	if err := checkCascadeSize(cascade); err != nil {
		return nil, err
	}
	c, err := pigo.NewPigo().Unpack(cascade)
	if err != nil {
		return nil, fmt.Errorf("unpack: %w", err)
	}
	return &Detector{cascade: c}, nil
}

// checkCascadeSize reads the header pigo trusts: 8 bytes, tree depth d and
// tree count n (little-endian uint32), then n trees of 8*2^d bytes. pigo
// allocates from n before reading, so a foreign file could ask for
// gigabytes; a file must be exactly the size its header says.
func checkCascadeSize(b []byte) error {
	if len(b) < 16 {
		return fmt.Errorf("not a pigo cascade (%d bytes)", len(b))
	}
	depth := binary.LittleEndian.Uint32(b[8:])
	trees := binary.LittleEndian.Uint32(b[12:])
	if depth == 0 || depth > 16 || trees == 0 {
		return fmt.Errorf("not a pigo cascade (depth %d, %d trees)", depth, trees)
	}
	if want := 16 + uint64(trees)*8<<depth; uint64(len(b)) != want {
		return fmt.Errorf("not a pigo cascade (%d bytes, header says %d)", len(b), want)
	}
	return nil
}

// Face is one detected face, in fractions of the frame so that numbers
// mean the same at every resolution.
type Face struct {
	X     float64 `json:"x"`     // centre, fraction of the frame width
	Y     float64 `json:"y"`     // centre, fraction of the frame height
	Size  float64 `json:"size"`  // side of the detection box, fraction of the frame height
	Score float64 `json:"score"` // pigo's score, summed over the windows merged into this face
}

// Detection window steps. Measured on the simulated camera's scenes and
// pigo's sample photo (BenchmarkDetect): a shift of 15% of the window and
// a scale step of 15% find every face there at a fifth of the cost of
// pigo's documented 10%/10%, with scores about half as high (the score sums
// the overlapping windows).
const (
	shiftFactor = 0.15
	scaleFactor = 1.15
	// mergeIoU merges windows that overlap this much into one face, the
	// value pigo's own examples use.
	mergeIoU = 0.2
)

// detect returns the faces in r of p between minSize and maxSize pixels
// (box side, in p's pixels) scoring at least minScore, biggest first.
func (d *Detector) detect(p *plane, r rect, minSize, maxSize int, minScore float64) []Face {
	return d.detectP(p, r, minSize, maxSize, minScore, shiftFactor, scaleFactor)
}

func (d *Detector) detectP(p *plane, r rect, minSize, maxSize int, minScore float64, shiftFactor, scaleFactor float64) []Face {
	r = p.clip(r)
	maxSize = min(maxSize, r.dx(), r.dy())
	if d == nil || minSize > maxSize || r.empty() {
		return nil
	}
	params := pigo.CascadeParams{
		MinSize: minSize, MaxSize: maxSize,
		ShiftFactor: shiftFactor, ScaleFactor: scaleFactor,
		ImageParams: pigo.ImageParams{
			// A window onto r: pigo indexes rows with Dim, so a sub-slice
			// starting at r's corner is a crop without a copy.
			Pixels: p.pix[r.y0*p.w+r.x0:],
			Rows:   r.dy(), Cols: r.dx(), Dim: p.w,
		},
	}
	dets := d.cascade.ClusterDetections(d.cascade.RunCascade(params, 0), mergeIoU)
	var faces []Face
	for _, det := range dets {
		if float64(det.Q) < minScore {
			continue
		}
		faces = append(faces, Face{
			X:     float64(r.x0+det.Col) / float64(p.w),
			Y:     float64(r.y0+det.Row) / float64(p.h),
			Size:  float64(det.Scale) / float64(p.h),
			Score: float64(det.Q),
		})
	}
	slices.SortFunc(faces, func(a, b Face) int {
		switch {
		case a.Size > b.Size:
			return -1
		case a.Size < b.Size:
			return 1
		}
		return 0
	})
	return dropNested(faces, float64(p.w)/float64(p.h))
}

// dropNested removes faces that are parts of a bigger face: pigo merges
// overlapping windows by intersection over union, so a small window on the
// eyes and nose of a big face, or one over the chin and neck, survives as
// a second "face". A face counts as part of a bigger one if its centre is
// inside the bigger box, or if the boxes overlap and it is more than half
// the bigger one's size. The ID's portrait held beside the face is a fifth
// of the face's size and beside it, so it stays. faces is sorted biggest
// first; aspect is the frame's width over its height.
func dropNested(faces []Face, aspect float64) []Face {
	out := faces[:0]
	for _, f := range faces {
		nested := false
		for _, big := range out {
			dx, dy := math.Abs(f.X-big.X)*aspect, math.Abs(f.Y-big.Y)
			inside := dx <= big.Size/2 && dy <= big.Size/2
			reach := (big.Size + f.Size) / 2
			overlaps := dx < reach && dy < reach
			if inside || (overlaps && f.Size > big.Size/2) {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, f)
		}
	}
	return out
}
