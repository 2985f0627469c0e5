package appliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/vm"
	"github.com/idkiosk/idkiosk/device/cradle/gpio/gpiosim"
)

// vividLoop is vivid as the VM's camera: one instance with a video capture
// node (/dev/video0, kioskd's camera) and a video output node (/dev/video1)
// whose picture is looped into the capture, both HDMI (vivid loops only
// HDMI or S-Video, never its webcam input). The image's own vivid.conf
// uses the webcam input; kioskd cannot tell the two apart but by name.
const vividLoop = "n_devs=1 node_types=0x101 num_inputs=1 input_types=0x3 num_outputs=1 output_types=0x1"

// Options describe one boot of the appliance.
type Options struct {
	// Source is the repository checkout with buildroot/; default: the Go
	// module above the working directory.
	Source string
	// Bin holds kioskd, kioskctl and pigo's cascade (facefinder), as make
	// build leaves them. Not under /tmp: the guest has its own.
	Bin string
	// Agent runs as `Agent -guest FILE` in the guest (agent.Run) and as
	// `Agent -relay ADDR` on the host, started by qemu for each connection
	// the guest opens to the service (Relay). cmd/vmstack does both.
	Agent string
	// RunDir is shared read-write with the guest and emptied first; not
	// under /tmp.
	RunDir string
	// Disk is the data disk image, made on first use (ensureDisk).
	Disk string
	// ServiceAddr is verifyd on the host; the guest reaches it as
	// ServiceGuestAddr, so its certificate must also name ServiceHost.
	ServiceAddr string
	DeviceID    string
	// Config are kioskd.toml keys set on top of the image's template.
	Config map[string]string
	// Enroll is redeemed if the disk's kiosk is not enrolled yet.
	Enroll *Enrollment
	// UIPort is the kiosk UI's port, the same on the host's loopback and
	// in the guest: kioskd answers only requests whose Host names its own
	// port (its guard against DNS rebinding). 0: a free port.
	UIPort int
	// Memory in MiB; default 1024.
	Memory int

	// Console gets the serial console, Output the agent's and kioskd's
	// output, Log what preparing prints (kernel download, gpio-sim
	// build); nil: discarded.
	Console, Output, Log io.Writer
}

// Appliance is a running virtual appliance.
type Appliance struct {
	m       *vm.Machine
	uiPort  int
	started time.Time
}

// Boot prepares and starts the appliance and returns while it boots; see
// WaitUI. Cancelling ctx kills it.
func Boot(ctx context.Context, o Options) (*Appliance, error) {
	if o.Bin == "" || o.Agent == "" || o.RunDir == "" || o.Disk == "" {
		return nil, errors.New("appliance: Bin, Agent, RunDir and Disk are required")
	}
	// Before anything is touched: the run directory may be that of the
	// appliance holding the port.
	if err := checkUIPort(o.UIPort); err != nil {
		return nil, err
	}
	var err error
	if o.Source == "" {
		if o.Source, err = vm.ModuleRoot(); err != nil {
			return nil, err
		}
	}
	if err := vm.Available(); err != nil {
		return nil, err
	}
	cache, err := vm.CacheDir()
	if err != nil {
		return nil, err
	}
	k, err := vm.EnsureKernel(ctx, cache, o.Log)
	if err != nil {
		return nil, err
	}
	ko, err := gpiosim.Module(ctx, cache, k.Version, o.Log)
	if err != nil {
		return nil, err
	}
	for _, p := range []*string{&o.Bin, &o.Agent, &o.RunDir, &o.Disk, &o.Source} {
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, err
		}
	}
	if err := os.RemoveAll(o.RunDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.RunDir, 0o755); err != nil {
		return nil, err
	}
	if err := ensureDisk(ctx, o.Disk); err != nil {
		return nil, err
	}
	scenes := filepath.Join(o.RunDir, "scenes")
	if err := writeScenes(ctx, scenes); err != nil {
		return nil, err
	}
	if o.UIPort == 0 {
		if o.UIPort, err = vm.FreePort(); err != nil {
			return nil, err
		}
	}
	// The agent relays the guest's network port to kioskd's loopback.
	config := map[string]string{"ui.listen": strconv.Quote("127.0.0.1:" + strconv.Itoa(o.UIPort))}
	maps.Copy(config, o.Config)
	br := filepath.Join(o.Source, "buildroot", "board")
	gc := &GuestConfig{
		Overlays: []string{filepath.Join(br, "common", "rootfs-overlay"), filepath.Join(br, "qemu_x86_64", "rootfs-overlay")},
		Users:    []string{filepath.Join(br, "common", "users.txt")},
		Bin:      o.Bin, Modules: k.ModulesDir(), GPIOSim: ko,
		Scenes: scenes, Width: SceneWidth, Height: SceneHeight, Frames: SceneFrames,
		DeviceID: o.DeviceID, ServiceURL: "https://" + ServiceGuestAddr,
		Config: config, Enroll: o.Enroll,
	}
	cfg := filepath.Join(o.RunDir, "guest.json")
	if err := gc.write(cfg); err != nil {
		return nil, err
	}
	vo := vm.Options{
		Kernel: k, RunDir: o.RunDir, Memory: o.Memory,
		Modules: []vm.Module{
			{Name: "vivid", Params: vividLoop},
			{Name: "configfs"}, // gpio-sim is made through it
			// ext4 asks the crypto API for crc32c at mount time, which
			// modules.dep does not list.
			{Name: "virtio_blk"}, {Name: "crc32c_generic"}, {Name: "ext4"},
		},
		Disks:     []string{o.Disk},
		Forward:   []int{o.UIPort, AdminPort, RigPort},
		HostPorts: map[int]int{o.UIPort: o.UIPort},
		GuestForwards: []vm.GuestForward{
			{Addr: ServiceGuestAddr, Command: []string{o.Agent, "-relay", o.ServiceAddr}},
		},
		Command: []string{o.Agent, "-guest", cfg},
		Env:     []string{"IDKIOSK_VM_GUEST=1"},
		Console: o.Console, Output: o.Output,
	}
	if err := vm.WritableRoot(&vo); err != nil {
		return nil, err
	}
	a := &Appliance{uiPort: o.UIPort, started: time.Now()}
	if a.m, err = vm.Start(ctx, vo); err != nil {
		return nil, err
	}
	return a, nil
}

// checkUIPort refuses a kiosk port the appliance cannot have (0 is fine:
// Boot picks one): a port the guest uses itself, or one taken on the
// host's loopback. qemu would fail to forward a taken port and power off,
// but WaitUI could first get its 200 from whatever holds the port, and
// `make vm` would print another program's page as the kiosk.
func checkUIPort(port int) error {
	if port == 0 {
		return nil
	}
	if port == AdminPort || port == RigPort {
		return fmt.Errorf("appliance: the kiosk port %d is the guest's admin or rig port; pick another", port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("appliance: the kiosk port 127.0.0.1:%d is in use (another make vm? vmstack -kiosk-port N picks another, 0 any free one): %w", port, err)
	}
	return ln.Close()
}

// KioskURL is the kiosk's UI, forwarded to the host's loopback.
func (a *Appliance) KioskURL() string { return "http://" + a.m.Addr(a.uiPort) }

// AdminURL is kioskd's admin listener (HTTPS, self-signed).
func (a *Appliance) AdminURL() string { return "https://" + a.m.Addr(AdminPort) + "/" }

// Done is closed when the guest has powered off.
func (a *Appliance) Done() <-chan struct{} { return a.m.Done() }

// RunDir is the directory shared with the guest.
func (a *Appliance) RunDir() string { return a.m.RunDir() }

// WaitUI waits until the kiosk's page answers through the forward and
// returns how long that took from starting qemu.
func (a *Appliance) WaitUI(ctx context.Context) (time.Duration, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.KioskURL()+"/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(a.started), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the kiosk UI did not answer at %s: %w", a.KioskURL(), ctx.Err())
		case <-a.m.Done():
			res, err := a.m.Wait()
			return 0, guestExit(res, err)
		case <-tick.C:
		}
	}
}

// Stop asks the agent to stop kioskd as systemd would (SIGTERM, then the
// unit's stop timeout) and power off, and waits; the guest is killed if
// ctx ends first.
func (a *Appliance) Stop(ctx context.Context) (*vm.Result, error) {
	if err := a.rig(ctx, http.MethodPost, RigPowerOffPath, nil, nil); err != nil {
		select {
		case <-a.m.Done(): // already off
		default:
			a.m.Kill()
			return nil, fmt.Errorf("power off: %w; killed the guest", err)
		}
	}
	select {
	case <-a.m.Done():
	case <-ctx.Done():
		a.m.Kill()
		return nil, errors.New("the guest did not power off in time; killed it")
	}
	return a.m.Wait()
}

// Kill stops the guest at once, as pulling the plug would.
func (a *Appliance) Kill() { a.m.Kill() }

// guestExit explains a guest that powered off before it should have.
func guestExit(res *vm.Result, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("the appliance powered off (agent exit %d); its output:\n%s", res.ExitCode, tailBytes(res.Output, 4000))
}

func tailBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
