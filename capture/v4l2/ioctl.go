package v4l2

/*
#include <linux/videodev2.h>
*/
import "C"

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// go4vl's ioctl wrappers take the address of a struct on the caller's
// stack, turn it into a uintptr, and pass that down two function calls
// before the syscall. If the goroutine's stack grows (or is shrunk by the
// GC) in between, the runtime moves it; the uintptr still points at the old
// copy, the kernel writes its answer there, and the call "succeeds" with a
// zeroed struct. Seen in the VM: VIDIOC_QUERYCTRL reported max 0 for
// vivid's test_pattern.
//
// So the per-frame ioctls, the ones run thousands of times an hour, are
// done here with the pointer converted inside the Syscall argument list,
// which the compiler keeps valid for the call. The one-shot go4vl calls
// (open, format, buffers, controls) run after growStack, which gives the
// goroutine a stack large enough that they cannot trigger a move.

// buffer is what we need of a dequeued v4l2_buffer.
type buffer struct {
	index, bytesUsed, flags uint32
}

// Buffer flags (videodev2.h).
const bufFlagError = C.V4L2_BUF_FLAG_ERROR

// dequeue takes a filled buffer from the driver (VIDIOC_DQBUF).
func dequeue(fd uintptr) (buffer, error) {
	var b C.struct_v4l2_buffer
	b._type = C.V4L2_BUF_TYPE_VIDEO_CAPTURE
	b.memory = C.V4L2_MEMORY_MMAP
	if err := ioctl(fd, C.VIDIOC_DQBUF, unsafe.Pointer(&b)); err != nil {
		return buffer{}, err
	}
	return buffer{index: uint32(b.index), bytesUsed: uint32(b.bytesused), flags: uint32(b.flags)}, nil
}

// enqueue hands buffer index back to the driver (VIDIOC_QBUF).
func enqueue(fd uintptr, index uint32) error {
	var b C.struct_v4l2_buffer
	b._type = C.V4L2_BUF_TYPE_VIDEO_CAPTURE
	b.memory = C.V4L2_MEMORY_MMAP
	b.index = C.__u32(index)
	return ioctl(fd, C.VIDIOC_QBUF, unsafe.Pointer(&b))
}

// ioctl retries EINTR and returns the raw errno, so EAGAIN, EBUSY and
// ENODEV stay distinguishable.
func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		}
		return errno
	}
}

// growStack makes sure the calling goroutine has at least ~64 KiB of stack
// before it calls into go4vl (see above): a frame this large forces the
// runtime to grow the stack now, at a safe moment.
//
//go:noinline
func growStack() {
	var pad [32 << 10]byte
	touch(pad[:])
}

//go:noinline
func touch(b []byte) {
	b[0], b[len(b)-1] = 1, 1
}
