// Package quality judges camera frames as the photos a human reviewer will
// look at: is the picture lit, sharp and still, is there exactly the face
// (or the face and the ID's portrait) that should be there, at a usable
// size and place, is the ID in its outline, free of glare. The kiosk runs
// it on every preview frame to guide the learner and capture on their
// behalf, and on every still before the learner may keep it.
//
// Measures (Analyzer.Assess), all on luma box-scaled to fit 640x480:
//
//   - brightness: mean luma; contrast: its standard deviation (RMS
//     contrast); clipped: the share of blown-out pixels.
//   - sharpness: variance of the Laplacian (Pech-Pacheco et al., ICPR
//     2000) over the learner's face box or the card outline.
//   - faces: pigo (github.com/esimov/pigo), a pixel-intensity-comparison
//     cascade; count, size as a share of the frame height, offset of the
//     centre from the frame's centre. Two-sided IDs need two faces: the
//     learner and, smaller, the portrait on the ID held beside the face.
//   - card: the cradle fixes where the card lies (Thresholds.Card); a
//     held card is shown into the same outline. Coverage is the share of
//     the outline that differs from the floor around it.
//   - glare: clipped pixels in the card outline (or around the held ID's
//     portrait), counted only in blobs big enough to hide a character, so
//     a laminate's sparkle is not glare.
//   - stillness (Tracker): motion between consecutive preview frames,
//     after matching their exposure, so flicker is not movement.
//
// Every check carries the catalogue key of the advice that fixes it (too
// dark, move closer, hold still, tilt the card...). An assessment's advice
// is its first failed check's, in an order that puts first what the
// learner must fix first. The thresholds live in kioskd's [quality]
// config; Default documents each with its source or measurement.
//
// pigo's cascade ships inside its Go module and is loaded from a file at
// run time (LoadDetector); this repository never carries a copy. Package
// qualitytest finds it, and real test photos, for tests.
//
// Cost in CPU time on one core of the dev machine (BenchmarkAssess,
// BENCHMARKS.md): 1-3 ms for a face or ID frame at 640x480, 8 ms when the
// small portrait beside a face must be found; decoding an MJPEG frame adds
// 2-3 ms at 640x480, 6-8 ms at 1280x720.
package quality
