// Binary kioskd is the identity-verification kiosk: it reads its config,
// wires the camera, cradle, learner UI and delivery queue together, and
// serves the touchscreen app on loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	configPath := flag.String("config", "/etc/idkiosk/kioskd.toml", "config file")
	checkConfig := flag.Bool("check-config", false, "report every problem in the config file and exit (status 1 if any)")
	printConfig := flag.Bool("print-config", false, "print every config key with its default and documentation, and exit")
	showVersion := flag.Bool("version", false, "print the version and exit")
	listCameras := flag.Bool("list-cameras", false, "list the video capture devices with their /dev/v4l/by-id paths and formats, and exit")
	flag.Parse()

	switch {
	case *printConfig:
		os.Stdout.Write(config.Example())
		return
	case *showVersion:
		fmt.Println(version)
		return
	case *listCameras:
		if err := printCameras(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}

	cfg, err := config.Load(*configPath)
	if *checkConfig {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: ok\n", *configPath)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	log := newLogger(cfg.Log.Level)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, log); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("kioskd stopped", "err", err)
		os.Exit(1)
	}
	log.Info("kioskd stopped cleanly")
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
}
