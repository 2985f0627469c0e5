// Package simcam is the simulated twin of the kiosk camera: it renders the
// scenes of the learner flow (an empty booth, a face, a face with the ID's
// photo side, the ID's front and back in the cradle, a face in the dark)
// into real frames at a set rate, so `make run`, the UI and the tests work
// without hardware, and later quality checks can be tested on pictures that
// differ the way the real ones do.
//
// Scenes are painted in Go (soft-edged shapes, gradients and the 7x13
// bitmap font from golang.org/x/image) once per scene, into a static layer
// with a margin. Each frame is then a crop of that layer at a slowly
// swaying offset (people only: a card in the cradle holds still), under
// slightly flickering light with a soft band rolling down the picture, plus
// Gaussian sensor noise, so consecutive frames differ as from a real
// camera. The face is shaded so a face detector finds it: the pigo
// facefinder cascade scores it about 85-130 at 320x240 to 1280x720 (and
// the card's portrait about 130-175), the dark scene at most about 15.
//
// Costs on the 2-core dev machine (BenchmarkRender, BenchmarkPaint): a
// frame is ~0.5 ms at 640x480 and ~1.5 ms at 1280x720; painting a scene's
// layer the first time it is shown takes 10-70 ms at 640x480.
//
// The kiosk's wiring picks the scene from the session step (face step ->
// SceneFace, ID step -> SceneIDFront, ...); a demo panel can override it
// with SetScene.
package simcam
