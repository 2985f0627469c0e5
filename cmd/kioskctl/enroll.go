package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/enroll"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/client"
)

const enrollUsage = `  kioskctl enroll -code CODE (-ca FILE | -ca-fingerprint SHA256) [-config FILE] [-service URL] [-force]
                                                    enroll this kiosk with the service (one-time code from verifyd -add-device)
`

// enrollCmd makes the kiosk's keys and exchanges the operator's one-time
// code for a client certificate. The device id and data directory come
// from kioskd's config, so the identity lands where kioskd looks for it.
func enrollCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/idkiosk/kioskd.toml", "kioskd's config (device.id, device.data_dir, service.url)")
	service := fs.String("service", "", "the service's base URL (default: service.url from the config)")
	code := fs.String("code", "", "the one-time enrollment code")
	ca := fs.String("ca", "", "PEM file of the CA the service's certificate chains to (pinned)")
	fingerprint := fs.String("ca-fingerprint", "", "SHA-256 of the service's CA certificate, as verifyd -add-device prints it (pinned)")
	force := fs.Bool("force", false, "enroll again although this kiosk is enrolled (the signing key is kept)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *code == "" || fs.NArg() != 0 {
		fmt.Fprint(stderr, "usage:\n"+enrollUsage)
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	if *service == "" {
		*service = cfg.Service.URL
	}
	if id, err := identity.Load(cfg.Device.DataDir); err == nil && !*force {
		fmt.Fprintf(stderr, "already enrolled as %s with %s since %s; use -force to enroll again\n",
			id.DeviceID, id.ServiceURL, id.Enrolled.Local().Format(time.DateTime))
		return exitProblem
	} else if err != nil && !errors.Is(err, identity.ErrNotEnrolled) && !*force {
		fmt.Fprintf(stderr, "the identity in %s is unreadable (%v); use -force to enroll again\n", identity.Dir(cfg.Device.DataDir), err)
		return exitProblem
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := enroll.Run(ctx, enroll.Options{
		DataDir: cfg.Device.DataDir, DeviceID: cfg.Device.ID, ServiceURL: *service,
		Code: *code, CAFile: *ca, CAFingerprint: *fingerprint,
	})
	if err != nil {
		fmt.Fprintln(stderr, "enroll:", explain(err))
		return exitProblem
	}
	fmt.Fprintf(stdout, "enrolled %s with %s (certificate serial %x); restart kioskd to use it\n",
		id.DeviceID, *service, id.Certificate.SerialNumber)
	return exitOK
}

// explain turns the service's refusal into what the operator should do.
func explain(err error) string {
	var se *client.StatusError
	if errors.As(err, &se) && se.Problem.Detail != "" {
		return fmt.Sprintf("the service refused (%d): %s", se.Code, se.Problem.Detail)
	}
	return err.Error()
}
