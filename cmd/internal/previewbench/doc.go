// Package previewbench measures the admins' live preview on a real kioskd
// (built without the race detector, unlike cmd/internal/e2e's): the time
// from posting the WHEP offer to the first decoded frame in Chromium, and
// kioskd's CPU and memory while 1 or 5 viewers watch. It holds benchmarks
// only; `make bench` runs them and BENCHMARKS.md records the numbers.
package previewbench
