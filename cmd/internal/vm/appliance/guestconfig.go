package appliance

import (
	"encoding/json"
	"fmt"
	"os"
)

// The guest's fixed addresses in qemu's user network, and the ports the
// agent and kioskd listen on there.
const (
	GuestIP = "10.0.2.15"
	// ServiceHost is where the guest finds the verification service; a
	// guestfwd relays it to verifyd on the host, whose certificate must
	// name it.
	ServiceHost      = "10.0.2.100"
	ServiceGuestAddr = ServiceHost + ":8700"
	// AdminPort is kioskd's admin listener (admin.listen).
	AdminPort = 8443
	// RigPort is the agent's rig API (rig.go).
	RigPort = 8090
)

// GuestConfig is what the agent in the guest is told: host paths (the guest
// sees the host root at the same paths) and the device's settings.
type GuestConfig struct {
	// Overlays are rootfs overlays copied onto the guest's root in order,
	// later ones winning, as Buildroot applies BR2_ROOTFS_OVERLAY.
	Overlays []string `json:"overlays"`
	// Users are Buildroot makeusers tables (board/common/users.txt).
	Users []string `json:"users"`
	// Bin holds kioskd, kioskctl and pigo's cascade (facefinder), which the
	// agent installs where the kioskd package puts them.
	Bin string `json:"bin"`
	// Modules is the booted kernel's lib/modules/<version>, so modprobe
	// works in the guest; GPIOSim is the out-of-tree gpiosim.ko.
	Modules string `json:"modules"`
	GPIOSim string `json:"gpio_sim"`
	// Scenes holds <scene>.yuyv: Frames raw YUYV frames each, Width x
	// Height (scenes.go).
	Scenes string `json:"scenes"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Frames int    `json:"frames"`

	DeviceID   string `json:"device_id"`
	ServiceURL string `json:"service_url"`
	// Config are kioskd.toml keys ("section.key" -> TOML literal) set on
	// top of the image's template.
	Config map[string]string `json:"config"`
	// Enroll is used when the data disk holds no identity yet.
	Enroll *Enrollment `json:"enroll,omitempty"`
}

// Enrollment is what `verifyd -add-device` prints for a technician: the
// one-time code and the SHA-256 of the service's CA.
type Enrollment struct {
	Code          string `json:"code"`
	CAFingerprint string `json:"ca_fingerprint"`
}

// ReadGuestConfig reads the agent's configuration.
func ReadGuestConfig(path string) (*GuestConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c GuestConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// write saves c for the agent, owner-only: it carries the enrollment code.
func (c *GuestConfig) write(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
