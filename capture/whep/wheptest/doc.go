// Package wheptest is a WHEP viewer built on pion, for tests and
// benchmarks of the kiosk's live preview: it posts an offer, takes the
// answer, counts the frames and keyframes that arrive, can end its session
// with DELETE or vanish without one (its socket goes silent, as a laptop
// whose lid closes).
package wheptest
