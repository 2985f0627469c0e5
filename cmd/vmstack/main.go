// Binary vmstack runs `make vm`: the reference verification service on the
// host and the kiosk in a virtual appliance booted with qemu (Debian's
// kernel, vivid as the camera, gpio-sim as the cradle; see
// cmd/internal/vm/appliance), and prints where to find them.
//
// The same binary is the appliance's agent inside the guest (-guest) and
// the relay qemu starts for each connection the guest opens to the service
// (-relay); both are internal to `make vm`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance/agent"
)

func main() {
	state := flag.String("state", ".run/vm", "state directory (the service's data and keys, the appliance's data disk)")
	bin := flag.String("bin", "bin", "directory with verifyd, kioskd, kioskctl and facefinder")
	verifyd := flag.String("verifyd", "127.0.0.1:8701", "verifyd listen address (make run's is 8700)")
	kiosk := flag.Int("kiosk-port", 8081, "the kiosk page's port on 127.0.0.1 (make run's is 8080); 0: any free port")
	guest := flag.String("guest", "", "internal: run as the appliance's agent in the guest, with this config")
	relay := flag.String("relay", "", "internal: relay the connection on standard input to this address")
	flag.Parse()
	log.SetFlags(0)

	switch {
	case *guest != "":
		if err := agent.Run(context.Background(), *guest, os.Stdout); err != nil {
			fmt.Println("vm-agent:", err)
			os.Exit(1)
		}
		return
	case *relay != "":
		// Standard output and error are the guest's connection: no message.
		if appliance.Relay(*relay, os.Stdin) != nil {
			os.Exit(1)
		}
		return
	}

	// The appliance lives as long as life: a Ctrl-C while it boots kills
	// it; one after, stops it in order (kioskd first).
	life, kill := context.WithCancel(context.Background())
	defer kill()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	booted := make(chan struct{})
	go func() {
		select {
		case <-sig:
			kill()
		case <-booted:
		}
	}()
	if err := os.MkdirAll(*state, 0o700); err != nil {
		log.Fatalf("vmstack: %v", err)
	}
	logs, err := os.OpenFile(filepath.Join(*state, "vm.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		log.Fatalf("vmstack: %v", err)
	}
	defer logs.Close()
	fmt.Println("Booting the virtual appliance (logs:", logs.Name()+")...")
	v, err := stack.StartVM(life, stack.VMOptions{
		Dir: *state, Bin: *bin, VerifydAddr: *verifyd, KioskPort: *kiosk, Logs: logs,
		Accounts: []string{"learner@example.com", "ana.garcia@example.com"},
	})
	close(booted)
	if err != nil {
		log.Fatalf("vmstack: %v (logs: %s)", err, logs.Name())
	}
	a := v.Appliance
	fmt.Printf(`
The idkiosk virtual appliance is running: its kiosk page answered %.1f s after qemu started.
(Debian's kernel under qemu; camera: vivid, showing the simulated scenes; cradle: gpio-sim.)

  Kiosk (learner UI):      %s/
  Admin page (kioskd):     %s   token: %s
    (self-signed certificate: accept the warning. The live preview's video does
    not cross qemu's user network; the page and its controls do.)
  Review page (verifyd):   https://%s/review
    user: reviewer   password: %s
    (HTTPS under a development CA: trust %s in the browser, or accept its warning)
  Staff PIN (staff mode: the "Staff" button on the welcome screen): %s

  The learner's hands, typed here + Enter:
    p          place the ID card in the cradle        r   take it out
    s SCENE    pin what the camera sees: %s (auto follows the step)

  Logs: %s
  Stop with Ctrl-C.
`, v.BootToUI.Seconds(), a.KioskURL(), a.AdminURL(), v.AdminToken, v.VerifydAddr, v.ReviewPassword, v.ServiceCA(),
		v.StaffPIN, sceneNames(), logs.Name())

	go readHands(life, a)
	select {
	case <-sig:
	case <-a.Done():
		log.Printf("the appliance powered off; see %s", logs.Name())
	case <-v.Verifyd.Done():
		log.Printf("verifyd exited; see %s", logs.Name())
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := v.Stop(sctx); err != nil {
		log.Printf("vmstack: %v", err)
	}
}
