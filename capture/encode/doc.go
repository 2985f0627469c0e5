// Package encode turns camera frames into a compressed video stream for the
// admins' live preview (capture/whep). One interface, Encoder, has three
// implementations, picked by what the camera and the board offer:
//
//   - Passthrough: the camera already sends H.264; its access units are
//     forwarded untouched, with the last SPS and PPS put back in front of
//     every IDR that lacks them, so a viewer who joins mid-stream can start
//     at the next keyframe.
//   - M2M: the board's V4L2 memory-to-memory H.264 encoder (the Pi 4's
//     /dev/video11, bcm2835-codec) through go4vl's device.Encoder. It is
//     compiled and unit-tested here against a fake device; it cannot be run
//     without the hardware (see m2m.go for what is untested).
//   - VP8: software VP8 through libvpx (cgo, Debian's libvpx-dev), the
//     default. Realtime settings as WebRTC senders use them: no lookahead,
//     CBR under a bitrate cap, error resilience, one thread, a periodic
//     keyframe, and a keyframe on demand.
//
// Live runs one encoder on the newest frames of a capture.Hub, only while
// someone watches: the WHEP server starts it with the first viewer and
// stops it (closing the encoder and its buffers) when the last one leaves.
// Every viewer shares the one encoded stream, so ten viewers cost one
// encode.
//
// Go's image.YCbCr is JFIF full range (0-255) while video decoders assume
// BT.601 studio range (16-235); the encoders convert, or the picture in the
// browser comes out too contrasty with crushed blacks (see yuv.go).
//
// Measured on the 2-core dev machine: BENCHMARKS.md, "Admin live preview".
package encode
