package v4l2

import (
	"syscall"

	vl "github.com/vladimirvivien/go4vl/v4l2"
)

// Controls the tests and tools use. V4L2 control IDs are stable kernel ABI.
const (
	// ControlVividTestPattern is vivid's "test_pattern" menu: 0 75%
	// colour bars ... 5 100% black, 6 100% white, 21 noise.
	ControlVividTestPattern uint32 = 0x00f0f000
	// ControlVividOSDText is vivid's "osd_text_mode" menu: 0 all,
	// 1 counters only, 2 none. With none and no movement every frame is
	// the same picture.
	ControlVividOSDText uint32 = 0x00f0f001
)

// SetControl sets control id on the device at path to value. Controls
// belong to the device, not to a file handle, so this works while another
// handle (kioskd's capture loop) is streaming.
func SetControl(path string, id uint32, value int32) error {
	return withDevice(path, "set control on", func(fd uintptr) error {
		return vl.SetControlValue(fd, id, value)
	})
}

// Control reads control id of the device at path.
func Control(path string, id uint32) (int32, error) {
	var v int32
	err := withDevice(path, "read control of", func(fd uintptr) error {
		var err error
		v, err = vl.GetControlValue(fd, id)
		return err
	})
	return v, err
}

func withDevice(path, op string, f func(fd uintptr) error) error {
	growStack()
	fd, err := vl.OpenDevice(path, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return classify("open", path, err)
	}
	defer vl.CloseDevice(fd)
	if err := f(fd); err != nil {
		return classify(op, path, err)
	}
	return nil
}
