package capture

import "errors"

// Errors a Camera wraps (with %w) so the Runner can tell staff what kind of
// failure it is without knowing the driver. Anything else a camera returns is
// treated as a disconnect.
var (
	// ErrNoDevice: the device node is missing or went away (ENOENT, ENODEV,
	// a USB unplug).
	ErrNoDevice = errors.New("camera not found")
	// ErrBusy: another program is streaming from the camera (EBUSY).
	ErrBusy = errors.New("camera busy")
	// ErrNoPermission: this process may not open the device node (EACCES,
	// EPERM): usually the user is not in the node's group.
	ErrNoPermission = errors.New("no permission to open camera")
)

// StateForError is the state a Runner shows after a Stream call failed
// with err.
func StateForError(err error) State {
	switch {
	case errors.Is(err, ErrBusy):
		return StateBusy
	case errors.Is(err, ErrNoPermission):
		return StateNoPermission
	}
	return StateDisconnected
}
