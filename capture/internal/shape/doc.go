// Package shape holds the antialiasing geometry that both the preview
// placeholder (package capture) and the simulated camera (package simcam)
// draw with: signed distances to simple shapes, and the ramps that turn a
// distance into pixel coverage.
//
// Distances are in pixels, negative inside a shape and positive outside, so
// a shape is drawn by asking, for each pixel centre, how far it is from the
// edge; an edge then looks smooth at any size without supersampling.
package shape
