package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
	"github.com/idkiosk/idkiosk/device/identity"
)

// Paths on the image the agent works with.
const (
	unitDir      = "/usr/lib/systemd/system"
	kioskdUnit   = unitDir + "/kioskd.service"
	gpioSimUnit  = unitDir + "/idkiosk-gpio-sim.service"
	tmpfilesConf = "/usr/lib/tmpfiles.d/idkiosk.conf"
	dataDir      = "/data"
	identityCert = "/data/idkiosk/identity/tls.crt"
	pinnedCA     = "/data/idkiosk/identity/service-ca.pem"
)

// Run brings the appliance up as the image boots, and keeps kioskd running
// until the rig's power-off (or ctx) ends it; then kioskd is stopped as
// systemd stops it and the data disk unmounted. Its log and kioskd's
// output go to out.
func Run(ctx context.Context, cfgPath string, out io.Writer) error {
	if err := inGuest(); err != nil {
		return err
	}
	c, err := appliance.ReadGuestConfig(cfgPath)
	if err != nil {
		return err
	}
	b := &boot{c: c, out: out, log: slog.New(slog.NewTextHandler(out, nil)).With("from", "vm-agent"), start: time.Now()}
	if err := b.root(); err != nil {
		return err
	}
	if err := b.mountData(ctx); err != nil {
		return err
	}
	defer unmountData(b.log)
	cam, err := b.camera(ctx)
	if err != nil {
		return err
	}
	r, err := b.cradle()
	if err != nil {
		return err
	}
	svc, ui, err := b.configure(ctx)
	if err != nil {
		return err
	}
	return b.serve(ctx, svc, ui, cam, r)
}

// boot is one boot of the appliance, in the image's order.
type boot struct {
	c     *appliance.GuestConfig
	out   io.Writer
	log   *slog.Logger
	start time.Time
}

// step logs a milestone with the time since the agent started.
func (b *boot) step(msg string, args ...any) {
	b.log.Info(msg, append(args, "t", time.Since(b.start).Round(time.Millisecond).String())...)
}

// root makes the guest's root the image's: overlays, programs, users.
func (b *boot) root() error {
	for _, o := range b.c.Overlays {
		if err := applyOverlay(o); err != nil {
			return fmt.Errorf("overlay %s: %w", o, err)
		}
	}
	if err := install(b.c); err != nil {
		return err
	}
	for _, t := range b.c.Users {
		if err := addUsers(t, "/etc"); err != nil {
			return fmt.Errorf("users %s: %w", t, err)
		}
	}
	b.step("root file system ready", "overlays", b.c.Overlays)
	return nil
}

// mountData is local-fs.target and systemd-tmpfiles-setup: configfs, the
// data partition through the image's fstab, then tmpfiles.
func (b *boot) mountData(ctx context.Context) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("configfs", "/sys/kernel/config", "configfs", 0, ""); err != nil {
		return fmt.Errorf("mount configfs: %w", err)
	}
	if err := run(ctx, "mount", dataDir); err != nil {
		return err
	}
	if err := applyTmpfiles(tmpfilesConf, func(l string) { b.log.Warn("tmpfiles line not applied", "line", l) }); err != nil {
		return err
	}
	b.step("data partition mounted", "fstab", "LABEL="+appliance.DataLabel)
	return nil
}

// camera loops vivid's output into kioskd's camera and starts playing the
// scenes, before kioskd opens it.
func (b *boot) camera(ctx context.Context) (*camera, error) {
	if err := setNodes("/dev/video*", "video", 0o660); err != nil {
		return nil, err
	}
	if err := loopCamera(ctx, b.c.Width, b.c.Height); err != nil {
		return nil, err
	}
	cam, err := loadScenes(b.c.Scenes, b.c.Width, b.c.Height, b.c.Frames)
	if err != nil {
		return nil, err
	}
	go cam.play(ctx, b.log)
	return cam, nil
}

// cradle runs the image's gpio-sim unit and gives the chip the gpio
// group; the rig drives its present line and reads its light.
func (b *boot) cradle() (*rig, error) {
	gs, err := unitService(gpioSimUnit)
	if err != nil {
		return nil, err
	}
	if err := oneshot(gs, b.out); err != nil {
		return nil, err
	}
	if err := setNodes("/dev/gpiochip*", "gpio", 0o660); err != nil {
		return nil, err
	}
	r := &rig{log: b.log}
	if r.present, err = findSimLine("CRADLE_PRESENT"); err != nil {
		return nil, err
	}
	if r.light, err = findSimLine("CRADLE_LIGHT"); err != nil {
		return nil, err
	}
	b.step("camera and cradle ready")
	return r, nil
}

// configure is the technician's part: the device config from the
// template, checked, and enrollment on the first boot. It returns
// kioskd's unit and its UI address.
func (b *boot) configure(ctx context.Context) (*Service, string, error) {
	svc, err := unitService(kioskdUnit)
	if err != nil {
		return nil, "", err
	}
	keys := map[string]string{"device.id": strconv.Quote(b.c.DeviceID), "service.url": strconv.Quote(b.c.ServiceURL)}
	maps.Copy(keys, b.c.Config)
	text, err := writeDeviceConfig(keys)
	if err != nil {
		return nil, "", err
	}
	ui, err := uiAddr(text)
	if err != nil {
		return nil, "", err
	}
	if err := enrollOnce(ctx, b.c, svc, b.out); err != nil {
		return nil, "", err
	}
	b.step("device configured and enrolled", "device", b.c.DeviceID)
	return svc, ui, nil
}

// serve runs kioskd under its unit until the rig's power-off, with the UI
// relay, the rig and the camera following the learner's step beside it.
func (b *boot) serve(ctx context.Context, svc *Service, ui string, cam *camera, r *rig) error {
	// The socket outlives the power-off request: kioskd reports STOPPING
	// while it stops.
	notify, err := notifySocket(ctx, "/run/idkiosk-vm-notify", svc.Name, b.log)
	if err != nil {
		return err
	}
	ctx, poweroff := context.WithCancel(ctx)
	defer poweroff()
	b.log.Info("unit keys not applied in the VM", "unit", svc.Name, "keys", svc.NotApplied)
	r.cam, r.poweroff = cam, poweroff
	go func() {
		if err := serve(ctx, appliance.RigPort, r.handler()); err != nil {
			b.log.Error("rig", "err", err)
			poweroff()
		}
	}()
	go func() {
		if err := relayUI(ctx, ui, b.log); err != nil {
			b.log.Error("ui relay", "err", err)
			poweroff()
		}
	}()
	go cam.follow(ctx, ui, b.log)
	return svc.Supervise(ctx, b.log, b.out, notify, func(pid int) {
		go waitHealthy(ctx, "http://"+ui+"/healthz", func() { b.step("kioskd answering", "pid", pid) })
	})
}

func unitService(path string) (*Service, error) {
	u, err := ReadUnit(path)
	if err != nil {
		return nil, err
	}
	return NewService(u)
}

// oneshot runs a Type=oneshot unit's command to its end.
func oneshot(s *Service, out io.Writer) error {
	cmd, err := s.Command(out)
	if err != nil {
		return err
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	return nil
}

// enrollOnce is step 2 of enrolling (buildroot/README.md): kioskctl,
// as kioskd's user, trades the one-time code for the kiosk's certificate,
// pinning the service's CA by its fingerprint. A kiosk enrolled on an
// earlier boot keeps its identity, if it is the given service's.
func enrollOnce(ctx context.Context, c *appliance.GuestConfig, svc *Service, out io.Writer) error {
	if _, err := os.Stat(identityCert); err == nil {
		if c.Enroll == nil {
			return nil
		}
		return checkPinnedCA(pinnedCA, c.Enroll.CAFingerprint)
	}
	if c.Enroll == nil {
		return fmt.Errorf("the kiosk is not enrolled (%s is missing) and no enrollment code was given", identityCert)
	}
	enroll := *svc
	enroll.Name, enroll.UMask = "kioskctl enroll", ""
	enroll.Exec = []string{"/usr/bin/kioskctl", "enroll", "-config", configLink,
		"-code", c.Enroll.Code, "-ca-fingerprint", c.Enroll.CAFingerprint}
	cmd, err := enroll.Command(out)
	if err != nil {
		return err
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kioskctl enroll: %w", err)
	}
	return nil
}

// checkPinnedCA fails unless the CA the kiosk pinned at enrollment (PEM
// at path) has the SHA-256 fingerprint the service has now. A data disk
// kept while the service's state was removed would otherwise boot into a
// kiosk that can reach no service and seals profiles for one that is gone.
func checkPinnedCA(path, fingerprint string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the kiosk's pinned service CA: %w", err)
	}
	cas, err := identity.ParseCertificates(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	want := strings.ToLower(strings.ReplaceAll(fingerprint, ":", ""))
	for _, ca := range cas {
		if sum := sha256.Sum256(ca.Raw); hex.EncodeToString(sum[:]) == want {
			return nil
		}
	}
	return fmt.Errorf("the data disk's kiosk is enrolled with another verification service (its pinned CA is not %s, the service's now); "+
		"its queued profiles are sealed for that service. Remove the data disk (make vm: .run/vm/vm/data.img) to enroll afresh", want)
}

// waitHealthy calls ready once url answers 200.
func waitHealthy(ctx context.Context, url string, ready func()) {
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready()
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func unmountData(log *slog.Logger) {
	syscall.Sync()
	if err := syscall.Unmount(dataDir, 0); err != nil {
		log.Warn("unmount the data partition", "err", err)
	}
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
