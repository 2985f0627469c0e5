package config

import (
	"path/filepath"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality"
)

// Quality configures the photo checks, the live guidance and the staff
// override. The thresholds' defaults are capture/quality's Default, where
// each is justified by its source or measurement.
type Quality struct {
	Cascade       string        `toml:"cascade" doc:"pigo's face cascade file (facefinder). Empty: \"facefinder\" next to the kioskd binary, where make build copies it from pigo's Go module."`
	ManualAfter   time.Duration `toml:"manual_after" doc:"Offer the manual capture button this long into a photo step, so nobody waits forever for an auto-capture."`
	OverrideAfter int           `toml:"override_after" doc:"Failed captures of one photo after which staff may accept the last one in staff mode (staff.pin_hash), with a reason (recorded in the profile)."`
	GuidanceFPS   float64       `toml:"guidance_fps" doc:"Most preview frames a second judged for live guidance (each costs 1-17 ms of CPU on the dev machine, about 6x that on a Raspberry Pi 4; BENCHMARKS.md)."`
	StableWindow  time.Duration `toml:"stable_window" doc:"Capture automatically once every check has held on the preview this long."`

	BrightnessMin    float64 `toml:"brightness_min" doc:"Least mean luma (0-255) of a face picture or of the card outline: below, \"too dark\"."`
	BrightnessMax    float64 `toml:"brightness_max" doc:"Most mean luma: above, \"too bright\"."`
	ClippedMax       float64 `toml:"clipped_max" doc:"Largest share of a face picture that may be blown out white (at glare_level or above)."`
	ContrastMin      float64 `toml:"contrast_min" doc:"Least standard deviation of luma: below, the picture is washed out or the lens covered."`
	SharpnessMin     float64 `toml:"sharpness_min" doc:"Least variance of the Laplacian over the face (at most 640x480): below, \"blurry\"."`
	CardSharpnessMin float64 `toml:"card_sharpness_min" doc:"Least variance of the Laplacian over the card outline."`
	GlareLevel       int     `toml:"glare_level" doc:"Luma at which a pixel counts as clipped: 250 for full-range cameras, about 232 for limited-range (16-235) video."`
	GlareMinBlob     float64 `toml:"glare_min_blob" doc:"Smallest clipped patch, as a share of the card, that counts as glare; smaller highlights are a laminate's sparkle."`
	GlareMax         float64 `toml:"glare_max" doc:"Largest share of the card glare may cover: above, \"tilt the card\"."`
	StillnessMax     float64 `toml:"stillness_max" doc:"Most motion between preview frames (mean luma difference of 80-pixel thumbnails): above, \"hold still\"."`
	FaceMinScore     float64 `toml:"face_min_score" doc:"Least pigo detection score for a face to count."`
	FaceMinSize      float64 `toml:"face_min_size" doc:"Smallest face, as its box's share of the frame height: below, \"move closer\"."`
	FaceMaxSize      float64 `toml:"face_max_size" doc:"Largest face: above, \"move back\"."`
	FaceMaxOffset    float64 `toml:"face_max_offset" doc:"Farthest the face centre may be from the frame centre, as a share of the frame."`
	PortraitMinSize  float64 `toml:"portrait_min_size" doc:"Smallest portrait of the ID held beside the face (two-sided IDs), as a share of the frame height."`
	CardLeft         float64 `toml:"card_left" doc:"Where the card lies in the cradle (and the outline shown for a held card): left edge, as a share of the frame width. Measure it on a photo of a card in the cradle."`
	CardTop          float64 `toml:"card_top" doc:"Top edge of the card, as a share of the frame height."`
	CardRight        float64 `toml:"card_right" doc:"Right edge of the card, as a share of the frame width."`
	CardBottom       float64 `toml:"card_bottom" doc:"Bottom edge of the card, as a share of the frame height."`
	CardMinCoverage  float64 `toml:"card_min_coverage" doc:"Least share of the outline the card must cover: below, \"place your ID in the outline\"."`
}

// defaultQuality is capture/quality's Default plus the session's.
func defaultQuality() Quality {
	t := quality.Default()
	return Quality{
		ManualAfter:   10 * time.Second, // the "after 10 s"
		OverrideAfter: 3,                // the "after 3 failed attempts"
		// 10 fps is the floor for live guidance; more would only
		// spend the Pi's core (BENCHMARKS.md).
		GuidanceFPS: 10,
		// Half a second: five judged frames in a row, long enough that a
		// learner passing through a good pose is not caught mid-movement,
		// short enough to feel immediate.
		StableWindow: 500 * time.Millisecond,

		BrightnessMin: t.BrightnessMin, BrightnessMax: t.BrightnessMax, ClippedMax: t.ClippedMax,
		ContrastMin: t.ContrastMin, SharpnessMin: t.SharpnessMin, CardSharpnessMin: t.CardSharpnessMin,
		GlareLevel: t.GlareLevel, GlareMinBlob: t.GlareMinBlob, GlareMax: t.GlareMax,
		StillnessMax: t.StillnessMax, FaceMinScore: t.FaceMinScore,
		FaceMinSize: t.FaceMinSize, FaceMaxSize: t.FaceMaxSize, FaceMaxOffset: t.FaceMaxOffset,
		PortraitMinSize: t.PortraitMinSize,
		CardLeft:        t.Card.Left, CardTop: t.Card.Top, CardRight: t.Card.Right, CardBottom: t.Card.Bottom,
		CardMinCoverage: t.CardMinCoverage,
	}
}

// Thresholds returns the checks' limits.
func (q *Quality) Thresholds() quality.Thresholds {
	return quality.Thresholds{
		BrightnessMin: q.BrightnessMin, BrightnessMax: q.BrightnessMax, ClippedMax: q.ClippedMax,
		ContrastMin: q.ContrastMin, SharpnessMin: q.SharpnessMin, CardSharpnessMin: q.CardSharpnessMin,
		GlareLevel: q.GlareLevel, GlareMinBlob: q.GlareMinBlob, GlareMax: q.GlareMax,
		StillnessMax: q.StillnessMax, FaceMinScore: q.FaceMinScore,
		FaceMinSize: q.FaceMinSize, FaceMaxSize: q.FaceMaxSize, FaceMaxOffset: q.FaceMaxOffset,
		PortraitMinSize: q.PortraitMinSize,
		Card:            quality.Region{Left: q.CardLeft, Top: q.CardTop, Right: q.CardRight, Bottom: q.CardBottom},
		CardMinCoverage: q.CardMinCoverage,
	}
}

// validateQuality checks the [quality] keys that decoded but cannot work.
func validateQuality(q *Quality, bad func(key, format string, args ...any)) {
	if q.Cascade != "" && !filepath.IsAbs(q.Cascade) {
		bad("quality.cascade", "%q: must be an absolute path", q.Cascade)
	}
	if q.ManualAfter < 0 || q.ManualAfter > time.Minute {
		bad("quality.manual_after", "%s: want 0s to 1m", q.ManualAfter)
	}
	if q.OverrideAfter < 1 || q.OverrideAfter > 20 {
		bad("quality.override_after", "%d: want 1 to 20", q.OverrideAfter)
	}
	if q.GuidanceFPS < 1 || q.GuidanceFPS > 30 {
		bad("quality.guidance_fps", "%g: want 1 to 30", q.GuidanceFPS)
	}
	if q.StableWindow < 0 || q.StableWindow > 5*time.Second {
		bad("quality.stable_window", "%s: want 0s to 5s", q.StableWindow)
	}
	between := func(key string, v, lo, hi float64) {
		if v < lo || v > hi {
			bad(key, "%g: want %g to %g", v, lo, hi)
		}
	}
	between("quality.brightness_min", q.BrightnessMin, 0, 255)
	between("quality.brightness_max", q.BrightnessMax, 0, 255)
	if q.BrightnessMin >= q.BrightnessMax {
		bad("quality.brightness_max", "%g: must be above quality.brightness_min (%g)", q.BrightnessMax, q.BrightnessMin)
	}
	for key, v := range map[string]float64{
		"quality.clipped_max": q.ClippedMax, "quality.glare_min_blob": q.GlareMinBlob, "quality.glare_max": q.GlareMax,
		"quality.card_min_coverage": q.CardMinCoverage,
	} {
		between(key, v, 0, 1)
	}
	for key, v := range map[string]float64{
		"quality.contrast_min": q.ContrastMin, "quality.sharpness_min": q.SharpnessMin,
		"quality.card_sharpness_min": q.CardSharpnessMin, "quality.stillness_max": q.StillnessMax,
		"quality.face_min_score": q.FaceMinScore,
	} {
		if v < 0 {
			bad(key, "%g: must not be negative", v)
		}
	}
	if q.GlareLevel < 128 || q.GlareLevel > 255 {
		bad("quality.glare_level", "%d: want 128 to 255", q.GlareLevel)
	}
	between("quality.face_min_size", q.FaceMinSize, 0.01, 1)
	between("quality.face_max_size", q.FaceMaxSize, 0.01, 1)
	if q.FaceMinSize >= q.FaceMaxSize {
		bad("quality.face_max_size", "%g: must be above quality.face_min_size (%g)", q.FaceMaxSize, q.FaceMinSize)
	}
	between("quality.face_max_offset", q.FaceMaxOffset, 0, 0.5)
	between("quality.portrait_min_size", q.PortraitMinSize, 0.01, 1)
	for key, v := range map[string]float64{
		"quality.card_left": q.CardLeft, "quality.card_top": q.CardTop, "quality.card_right": q.CardRight, "quality.card_bottom": q.CardBottom,
	} {
		between(key, v, 0, 1)
	}
	if q.CardLeft >= q.CardRight {
		bad("quality.card_right", "%g: must be right of quality.card_left (%g)", q.CardRight, q.CardLeft)
	}
	if q.CardTop >= q.CardBottom {
		bad("quality.card_bottom", "%g: must be below quality.card_top (%g)", q.CardBottom, q.CardTop)
	}
}
