// Package v4l2 is the kiosk's real camera: a capture.Camera for any V4L2
// device (USB UVC webcams in the field, the vivid test driver in the VM
// tests) built on go4vl's ioctl layer.
//
// What it does, and why:
//
//   - Format: MJPEG is taken when the camera offers it and passed through
//     untouched (capture.NewJPEGFrame): no conversion, no JPEG encode, and
//     on USB 2 it is the only way to get 720p at 30 fps. Otherwise YUYV (or
//     NV12) is converted to a planar 4:2:0 *image.YCbCr in one pass
//     (capture.NewImageFrame) and encoded only if someone asks for JPEG.
//   - Size and frame rate come from Options; the driver may adjust them and
//     Format reports what was agreed (VIDIOC_G_FMT / G_PARM read back).
//   - Failures are wrapped in capture.ErrNoDevice (ENOENT, ENODEV, an
//     unplug), capture.ErrBusy (EBUSY) and capture.ErrNoPermission (EACCES,
//     EPERM), which capture.Runner turns into the camera state staff see.
//   - Every file descriptor is closed on every path, including after the
//     device vanished mid-stream: a leaked descriptor would keep the old
//     video device alive and a replugged camera would come back under a new
//     /dev/videoN.
//
// go4vl does the setup: open, VIDIOC_QUERYCAP, the format, size and frame
// interval enumeration, S_FMT/G_FMT, S_PARM, REQBUFS, mmap, STREAMON and the
// controls. The capture loop is our own (poll, VIDIOC_DQBUF, convert
// straight from the mmap'd buffer, VIDIOC_QBUF; ioctl.go) rather than
// go4vl's device.Device stream, which copies every frame into a pool,
// reports dropped frames and fatal errors on one shared channel, and leaks
// the descriptor on some open errors; and its ioctl wrappers can lose the
// kernel's answer when the goroutine's stack moves (see ioctl.go).
//
// Kernel reference: https://docs.kernel.org/userspace-api/media/v4l/v4l2.html
// (capture: dev-capture.html, streaming I/O: mmap.html, formats:
// pixfmt-yuv-packed.html and pixfmt-yuv-planar.html).
//
// Building needs cgo and the CGO_CFLAGS the Makefile exports (go4vl v0.5.0
// names two pixel formats newer than Debian 12's kernel headers).
package v4l2
