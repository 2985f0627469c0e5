// Binary verifyd is the reference central verification service: it takes
// sealed profiles from kiosks exactly once, answers account lookups and
// status queries, and serves the review page where people approve or reject.
//
//	verifyd -genkey -keys keys/                       # once: prints the .pub for kiosks
//	verifyd -add-device kiosk-1 -devices devices.txt  # per kiosk: prints its token once
//	verifyd -keys keys/ -devices devices.txt -review-password-file pw.txt
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/service"
)

type config struct {
	listen, data, keys, devices, addDevice, accounts, passwordFile, logLevel string
	genkey                                                                   bool
}

func main() {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:8700", "address to serve on")
	flag.StringVar(&c.data, "data", "verifyd-data", "data directory (store and service secret)")
	flag.StringVar(&c.keys, "keys", "verifyd-keys", "directory of service key pairs; every *.key is loaded")
	flag.BoolVar(&c.genkey, "genkey", false, "generate a key pair into -keys, print the .pub path and exit")
	flag.StringVar(&c.devices, "devices", "", "devices file: lines `device-id token-sha256-hex`")
	flag.StringVar(&c.addDevice, "add-device", "", "enroll a device `id` in -devices, print its token once and exit")
	flag.StringVar(&c.accounts, "accounts", "", "accounts file: one email per line")
	flag.StringVar(&c.passwordFile, "review-password-file", "", "file whose first line is the review page password")
	flag.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "verifyd:", err)
		os.Exit(1)
	}
}

// run does what the flags say; serving stops when ctx is done.
func run(ctx context.Context, c config, stdout, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	switch {
	case c.genkey:
		return genkey(c.keys, stdout)
	case c.addDevice != "":
		if c.devices == "" {
			return errors.New("-add-device needs -devices")
		}
		token, err := service.AddDevice(c.devices, c.addDevice)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	}
	opts, err := options(c, log)
	if err != nil {
		return err
	}
	svc, err := service.New(opts)
	if err != nil {
		return err
	}
	return serve(ctx, c.listen, svc, log)
}

func genkey(dir string, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	k, err := envelope.GenerateKey()
	if err != nil {
		return err
	}
	_, pub, err := envelope.WriteKeyPair(dir, k)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, pub)
	return nil
}

func options(c config, log *slog.Logger) (service.Options, error) {
	opts := service.Options{DataDir: c.data, Log: log}
	var err error
	if opts.Keys, err = service.LoadKeyRing(c.keys); err != nil {
		return opts, err
	}
	if c.devices != "" {
		if opts.Devices, err = service.OpenDeviceFile(c.devices); err != nil {
			return opts, err
		}
	} else {
		log.Warn("no -devices file: no kiosk can authenticate")
	}
	if c.accounts != "" {
		if opts.Accounts, err = service.LoadAccounts(c.accounts); err != nil {
			return opts, err
		}
	}
	if c.passwordFile != "" {
		if opts.ReviewPasswordSHA256, err = service.ReadPasswordFile(c.passwordFile); err != nil {
			return opts, err
		}
	} else {
		log.Warn("no -review-password-file: the review page refuses every login")
	}
	return opts, nil
}

// serve runs the HTTP server until ctx is done, then shuts down in order:
// Shutdown waits for in-flight PUTs, so each either committed and was
// answered or never started; only then does the store close.
func serve(ctx context.Context, listen string, svc *service.Server, log *slog.Logger) error {
	// Listen before announcing it: `make run` and tests wait for that line.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		svc.Close()
		return err
	}
	srv := &http.Server{
		Handler:           svc.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// A 32 MiB envelope over a slow site uplink needs minutes.
		ReadTimeout:  5 * time.Minute,
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("verifyd listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		svc.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	serr := srv.Shutdown(sctx)
	if err := svc.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("shutdown: %w", serr)
	}
	log.Info("stopped")
	return nil
}
