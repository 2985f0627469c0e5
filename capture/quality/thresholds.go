package quality

// Region is a rectangle in fractions of the frame (0..1 from the top left).
type Region struct {
	Left, Top, Right, Bottom float64
}

// Valid reports whether r is a non-empty rectangle inside the frame.
func (r Region) Valid() bool {
	return r.Left >= 0 && r.Top >= 0 && r.Right <= 1 && r.Bottom <= 1 && r.Left < r.Right && r.Top < r.Bottom
}

// Thresholds are the limits the checks apply. kioskd reads them from the
// [quality] section of its config; Default gives the values, each with the
// source or the measurement behind it.
type Thresholds struct {
	// BrightnessMin and BrightnessMax bound the mean luma (0..255) of the
	// picture (faces) or of the card outline (IDs).
	BrightnessMin, BrightnessMax float64
	// ClippedMax is the largest share of a face picture that may be
	// clipped white (at GlareLevel or above): over-exposure.
	ClippedMax float64
	// ContrastMin is the least standard deviation of luma in the same
	// region: below it the picture is fog, a covered lens or a blank wall.
	ContrastMin float64
	// SharpnessMin is the least variance of the Laplacian over the face
	// box; CardSharpnessMin over the card outline, where print gives far
	// more edges than skin does.
	SharpnessMin, CardSharpnessMin float64
	// GlareLevel is the luma at which a pixel counts as clipped.
	GlareLevel int
	// GlareMinBlob is the smallest clipped blob, as a share of the region,
	// that counts as glare; smaller highlights are a laminate's sparkle.
	GlareMinBlob float64
	// GlareMax is the largest share of the region glare may cover.
	GlareMax float64
	// StillnessMax is the most motion between consecutive preview frames
	// (mean absolute luma difference of thumbnails, levels) for "still".
	StillnessMax float64
	// FaceMinScore is the least pigo score for a detection to count.
	FaceMinScore float64
	// FaceMinSize and FaceMaxSize bound the learner's face box, as a share
	// of the frame height.
	FaceMinSize, FaceMaxSize float64
	// FaceMaxOffset is how far the face centre may be from the frame's
	// centre, as a share of the frame width (across) and height (down).
	FaceMaxOffset float64
	// PortraitMinSize is the least size of the ID's portrait held beside
	// the face, as a share of the frame height.
	PortraitMinSize float64
	// Card is where the card lies in the cradle (and the outline a
	// hand-held card is shown into).
	Card Region
	// CardMinCoverage is the least share of Card the card must cover.
	CardMinCoverage float64
}

// cardPresentMin is the coverage below which there is no card at all
// ("place your ID") rather than a card that is not lined up ("fit it to
// the outline"). A quarter: a card half out of the outline still covers
// more, noise and a thumb over an empty cradle cover far less.
const cardPresentMin = 0.25

// Default returns the thresholds kioskd uses unless configured otherwise.
// "Measured" numbers come from this package's tests and benchmarks (quality_test.go, run with -v to see
// them): pigo's sample photo (a real frontal face,
// 320x400), scikit-image's astronaut (head and shoulders, 512x512), and
// the simulated camera's scenes at 640x480 and 1280x720.
func Default() Thresholds {
	return Thresholds{
		// The acceptable range for a face picture. Measured: the
		// photos and the simulated booth 115-164, the same photos at 15%
		// light 17-25, the simulated dark scene 26, pigo's photo at 250%
		// light 225.
		BrightnessMin: 40,
		BrightnessMax: 215,
		// Measured: at most 0.8% clipped on the real photos and none on the
		// simulated scenes; the same photos over-exposed 2-2.5x: 39-66%.
		ClippedMax: 0.10,
		// Measured: real faces 74-75, simulated scenes 25 (the empty booth,
		// the flattest) to 80; darkened pictures and an empty cradle 7-11.
		ContrastMin: 15,
		// Measured on the learner's face box: sharp faces 330-1660 (real)
		// and 420-550 (simulated); the same after a Gaussian blur of
		// sigma 3 px: 3.5-46, sigma 2: 6.6-119.
		SharpnessMin: 50,
		// Measured on the card outline: 720-3920 sharp, 12-38 after a
		// sigma 2 px blur. Print has far more edges than skin.
		CardSharpnessMin: 100,
		// Clipped white on a full-range (JPEG) sensor. A camera that
		// delivers limited-range video (16-235) clips at 235: set ~232.
		GlareLevel: 250,
		// 0.1% of an ID-1 card (85.6 x 54 mm) is 4.6 mm², a patch the size
		// of one or two printed characters: smaller highlights (a
		// laminate's hologram and embossing glints) hide nothing.
		GlareMinBlob: 0.001,
		// 0.5% is 23 mm², a short word of 2 mm print. Measured: 200 glints
		// of 3x3 px (1.1% of the card clipped) give 0; a lamp's
		// reflection of 6% x 5% of the frame gives 1.9%.
		GlareMax: 0.005,
		// Measured between preview frames 100 ms apart: the simulated
		// learner's sway 1.05, a card in the cradle 0.44; a face moving
		// 4 px (at 640x480) per frame 2.4, 8 px 4.5. 2.5 keeps a slow
		// sway still at half the frame rate.
		StillnessMax: 2.5,
		// pigo's summed score at a 15% window step. Measured over 30
		// frames of each simulated scene at both sizes plus the real
		// photos: from 5 up every face was found every time and nothing
		// else was (no face in the cat, the profile, the empty booth, the
		// card's back); at 8 the learner beside an ID at 1280x720 was lost
		// in 2 of 30 frames.
		FaceMinScore: 5,
		// Face box side over frame height. 0.18 of 480 lines is an
		// 86-pixel face, about 1.3 m from a 78° webcam; the astronaut's
		// head-and-shoulders portrait measures 0.20-0.25, the simulated
		// learner 0.38-0.44, pigo's close-up 0.58-0.62. Above 0.8 the
		// chin or the hair leaves the frame.
		FaceMinSize: 0.18,
		FaceMaxSize: 0.8,
		// The face centre within the middle 60% of the frame each way;
		// portraits put the eyes high, the astronaut's face sits at 0.27
		// from the centre.
		FaceMaxOffset: 0.3,
		// Measured: the simulated ID held beside the face gives 0.073-0.085
		// at both sizes; 0.06 of 480 lines is a 29-pixel portrait, near the
		// smallest face pigo's cascade finds reliably. Faces are looked for
		// down to this size and no smaller: the smallest windows are the
		// costliest part of live guidance (BenchmarkAssess).
		PortraitMinSize: 0.06,
		// The simulated cradle: an ID-1 card scaled to 80% of a 640x480
		// frame's width, centred. A real cradle is measured once, on a
		// photo of a card lying in it (kioskd's quality.card_* keys).
		Card: Region{Left: 0.1, Top: 0.165, Right: 0.9, Bottom: 0.835},
		// Measured: a seated card covers 0.98-1.0 of its outline; pushed
		// sideways by 5%, 10%, 15% of its width 0.93, 0.87, 0.83. So a
		// card may lie about a tenth off, no more.
		CardMinCoverage: 0.85,
	}
}
