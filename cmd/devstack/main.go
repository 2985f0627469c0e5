// Binary devstack runs the reference verification service and a kiosk with
// simulated camera and cradle on loopback, for `make run`, and prints where
// to find them. With -camera the kiosk uses a real V4L2 camera instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
)

func main() {
	state := flag.String("state", ".run", "state directory (keys, queue, service data)")
	bin := flag.String("bin", "bin", "directory with the verifyd and kioskd binaries")
	verifyd := flag.String("verifyd", "127.0.0.1:8700", "verifyd listen address")
	kiosk := flag.String("kiosk", "127.0.0.1:8080", "kiosk UI listen address")
	admin := flag.String("admin", "127.0.0.1:8443", "kioskd's admin listener (live preview over WHEP, /metrics); loopback here")
	camera := flag.String("camera", "", "V4L2 camera for the kiosk, e.g. /dev/v4l/by-id/usb-...-video-index0 (kioskd -list-cameras lists them); empty: simulated")
	flag.Parse()
	log.SetFlags(0)

	o := stack.Options{
		Dir: *state, Bin: *bin, VerifydAddr: *verifyd, KioskAddr: *kiosk, Demo: true, Camera: *camera,
		// Known accounts for the demo's "account lookup" and status screens.
		Accounts: []string{"learner@example.com", "ana.garcia@example.com"},
	}
	// The admin token is kept in the state directory like the review
	// password; kioskd only ever sees its hash.
	token, tokens, err := stack.AdminToken(*state)
	if err != nil {
		log.Fatalf("devstack: %v", err)
	}
	o.Kioskd = map[string]string{"admin.listen": strconv.Quote(*admin), "admin.tokens": tokens}
	s, err := stack.Prepare(o)
	if err != nil {
		log.Fatalf("devstack: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logs, err := os.OpenFile(s.Path("stack.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		log.Fatalf("devstack: %v", err)
	}
	defer logs.Close()
	v, err := s.StartVerifyd(ctx, logs)
	if err != nil {
		log.Fatalf("devstack: %v (logs: %s)", err, logs.Name())
	}
	k, err := s.StartKioskd(ctx, logs)
	if err != nil {
		v.Stop()
		log.Fatalf("devstack: %v (logs: %s)", err, logs.Name())
	}

	fmt.Printf(`
idkiosk is running (%s camera, simulated cradle).

  Kiosk (learner UI):      http://%s/
  Admin page (kioskd):     https://%s/   token: %s
    (live camera preview and /metrics; a self-signed certificate: accept the warning)
  Review page (verifyd):   https://%s/review
    user: reviewer   password: %s
    (HTTPS under a development CA: trust %s in the browser, or accept its warning)
  Staff PIN (staff mode: the small "Staff" button on the welcome screen;
    also accepts a photo that failed its checks, after 3 tries): %s

  Logs: %s
  Stop with Ctrl-C.
`, cameraName(*camera), s.KioskAddr, *admin, token, s.VerifydAddr, s.ReviewPassword, s.ServiceCA(), s.StaffPIN, logs.Name())

	select {
	case <-ctx.Done():
	case <-k.Done():
		log.Printf("kioskd exited; see %s", logs.Name())
	case <-v.Done():
		log.Printf("verifyd exited; see %s", logs.Name())
	}
	// The kiosk first, so its last upload finishes against a live service.
	if err := k.Stop(); err != nil {
		log.Printf("stop kioskd: %v", err)
	}
	if err := v.Stop(); err != nil {
		log.Printf("stop verifyd: %v", err)
	}
}

// cameraName says which camera the kiosk uses, for the banner.
func cameraName(device string) string {
	if device == "" {
		return "simulated"
	}
	return device
}
