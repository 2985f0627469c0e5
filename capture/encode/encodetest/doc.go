// Package encodetest checks encoded video in tests: a libvpx VP8 decoder
// (so a test can look at the picture a viewer would see, not only count
// bytes) and readers for the headers of VP8 frames and H.264 streams.
package encodetest
