package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
	"github.com/idkiosk/idkiosk/sync/service"
)

// VMOptions describe `make vm`'s deployment: verifyd on the host, as for
// `make run`, and the kiosk in the virtual appliance (package appliance).
type VMOptions struct {
	// Dir holds the state: verifyd's data and keys, the appliance's data
	// disk (vm/data.img: the kiosk's identity and queue) and its run
	// directory. Not under /tmp.
	Dir string
	// Bin holds verifyd, kioskd, kioskctl and facefinder (make build).
	Bin string
	// Agent runs in the guest and relays its connections to verifyd;
	// default Bin/vmstack.
	Agent       string
	VerifydAddr string // default 127.0.0.1:8700
	// KioskPort is the kiosk page's port on 127.0.0.1 (and in the guest:
	// see appliance.Options.UIPort); 0: a free one.
	KioskPort int
	DeviceID  string // default "vm-kiosk-1"
	Accounts  []string
	// Kioskd adds kioskd.toml keys to the image's template.
	Kioskd map[string]string
	// Logs receives verifyd's, the guest agent's and kioskd's output and
	// the guest's console; nil: discarded.
	Logs io.Writer
}

// VM is a running `make vm` deployment.
type VM struct {
	*Stack
	Verifyd   *Proc
	Appliance *appliance.Appliance
	// AdminToken opens the kiosk's admin page (AdminURL).
	AdminToken string
	// BootToUI is how long the appliance took from starting qemu until
	// its kiosk page answered on the host.
	BootToUI time.Duration
}

// StartVM prepares the state on first use, starts verifyd, boots the
// appliance (which enrolls itself on its first boot with a code verifyd
// issues now) and waits until the kiosk's page answers on the host.
func StartVM(ctx context.Context, o VMOptions) (*VM, error) {
	if o.DeviceID == "" {
		o.DeviceID = "vm-kiosk-1"
	}
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	if o.Agent == "" {
		o.Agent = filepath.Join(o.Bin, "vmstack")
	}
	s, err := Prepare(Options{
		Dir: o.Dir, Bin: o.Bin, VerifydAddr: o.VerifydAddr, DeviceID: o.DeviceID, Accounts: o.Accounts,
		ServiceHosts: []string{appliance.ServiceHost}, ServiceOnly: true,
	})
	if err != nil {
		return nil, err
	}
	v := &VM{Stack: s}
	if v.Verifyd, err = s.StartVerifyd(ctx, o.Logs); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			v.Verifyd.Stop()
		}
	}()
	enroll, err := s.enrollment()
	if err != nil {
		return nil, err
	}
	token, tokens, err := AdminToken(s.Dir)
	if err != nil {
		return nil, err
	}
	v.AdminToken = token
	keys := map[string]string{
		"admin.listen": strconv.Quote(":" + strconv.Itoa(appliance.AdminPort)),
		"admin.tokens": tokens,
	}
	// The same staff PIN handling as `make run` (quality.go); the image's
	// template finds the cascade itself.
	staff := map[string]string{}
	if err := s.qualityKeys(staff); err != nil {
		return nil, err
	}
	keys["staff.pin_hash"] = staff["staff.pin_hash"]
	for k, val := range o.Kioskd {
		keys[k] = val
	}
	if v.Appliance, err = appliance.Boot(ctx, appliance.Options{
		Bin: o.Bin, Agent: o.Agent,
		RunDir: s.path("vm", "run"), Disk: s.path("vm", "data.img"),
		ServiceAddr: s.VerifydAddr, DeviceID: o.DeviceID, UIPort: o.KioskPort,
		Config: keys, Enroll: enroll,
		Console: o.Logs, Output: o.Logs, Log: o.Logs,
	}); err != nil {
		return nil, err
	}
	// Well above the <60 s promise: a cold first boot also enrolls, and
	// the machine may be busy with other tests.
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if v.BootToUI, err = v.Appliance.WaitUI(wctx); err != nil {
		v.Appliance.Kill()
		return nil, err
	}
	s.KioskAddr = strings.TrimPrefix(v.Appliance.KioskURL(), "http://")
	ok = true
	return v, nil
}

// Stop stops the kiosk first (so a profile being saved is committed and
// its upload can finish against a live service), powers the appliance
// off, then stops verifyd.
func (v *VM) Stop(ctx context.Context) error {
	var errs []error
	if res, err := v.Appliance.Stop(ctx); err != nil {
		errs = append(errs, err)
	} else if res.ExitCode != 0 {
		errs = append(errs, fmt.Errorf("the appliance's agent exited %d", res.ExitCode))
	}
	if err := v.Verifyd.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("stop verifyd: %w", err))
	}
	return errors.Join(errs...)
}

// enrollment issues a one-time code for the kiosk (verifyd -add-device)
// with the fingerprint of the service's CA, as a technician would get
// them. The appliance uses it only if its data disk is not enrolled yet;
// an unused code expires.
func (s *Stack) enrollment() (*appliance.Enrollment, error) {
	out, err := s.Verifyd("-add-device", s.DeviceID)
	if err != nil {
		return nil, err
	}
	code := lastLine(out)
	if code == "" {
		return nil, errors.New("verifyd -add-device printed no code")
	}
	ca, err := service.DevCA(s.path("verifyd"), time.Now())
	if err != nil {
		return nil, err
	}
	return &appliance.Enrollment{Code: code, CAFingerprint: service.Fingerprint(ca)}, nil
}
