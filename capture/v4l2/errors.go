package v4l2

import (
	"errors"
	"fmt"
	"syscall"

	vl "github.com/vladimirvivien/go4vl/v4l2"

	"github.com/idkiosk/idkiosk/capture"
)

// classify wraps err from operation op on path with the capture error the
// Runner turns into a state.
//
// go4vl folds ENODEV, EIO, ENXIO (and EBADF, ENOMEM, EFAULT) from ioctls into
// one vl.ErrorSystem, so "the device went away" cannot be told from "the
// device broke" there; both need the same cure (close, wait, reopen), so
// both count as disconnected. EBUSY and EACCES come through as the raw
// errno.
func classify(op, path string, err error) error {
	var kind error
	switch {
	case errors.Is(err, syscall.EBUSY):
		kind = capture.ErrBusy
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		kind = capture.ErrNoPermission
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV),
		errors.Is(err, syscall.ENXIO), errors.Is(err, vl.ErrorSystem):
		kind = capture.ErrNoDevice
	default:
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, path, kind, err)
}
