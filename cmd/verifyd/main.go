// Binary verifyd is the reference central verification service: it takes
// sealed, signed profiles from enrolled kiosks exactly once, answers account
// lookups and status queries, and serves the review page where people
// approve or reject.
//
//	verifyd -genkey -keys keys/                      # a sealing key; newest is current
//	verifyd -add-device kiosk-1 -data data/          # per kiosk: prints a one-time enrollment code
//	verifyd -revoke-device kiosk-1 -data data/       # the kiosk gets 403 from its next request on
//	verifyd -revoke-device kiosk-1 -compromised ...  # stolen: its signing key is refused for good
//	verifyd -keys keys/ -data data/ -review-password-file pw.txt
//
// Reviewers log in at /review; the same login shows the fleet page,
// /review/fleet: every enrolled kiosk with its last heartbeat.
//
// It serves HTTPS only. Without -tls-cert it makes a private CA and a
// server certificate in -data (tls-ca.crt); kiosks pin that CA when they
// enroll (kioskctl enroll -ca tls-ca.crt, or -ca-fingerprint).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/service"
)

type config struct {
	listen, data, keys, accounts, passwordFile, logLevel string
	currentKey, addDevice, revokeDevice                  string
	tlsCert, tlsKey, tlsHosts                            string
	codeTTL, fleetStale                                  time.Duration
	genkey, compromised                                  bool
}

func main() {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:8700", "address to serve HTTPS on")
	flag.StringVar(&c.data, "data", "verifyd-data", "data directory (store, service secret, device CA and registry, development TLS certificate)")
	flag.StringVar(&c.keys, "keys", "verifyd-keys", "directory of service key pairs; every *.key is loaded")
	flag.BoolVar(&c.genkey, "genkey", false, "add a new key pair to -keys, print the .pub path and exit; the newest key is current unless -current-key says otherwise")
	flag.StringVar(&c.currentKey, "current-key", "", "key `id` kiosks seal to (default: the newest key in -keys)")
	flag.StringVar(&c.addDevice, "add-device", "", "issue a one-time enrollment code for device `id`, print it and exit")
	flag.DurationVar(&c.codeTTL, "code-ttl", service.DefaultCodeTTL, "how long an enrollment code from -add-device works")
	flag.StringVar(&c.revokeDevice, "revoke-device", "", "revoke device `id` and exit; it gets 403 from its next request (also while verifyd runs) and keeps its queue until enrolled again")
	flag.BoolVar(&c.compromised, "compromised", false, "with -revoke-device: the kiosk's keys may have been copied; refuse its signing key for good (envelopes signed with it too) and require new keys to enroll again")
	flag.StringVar(&c.tlsCert, "tls-cert", "", "server certificate chain (PEM); empty makes a development CA and certificate in -data")
	flag.StringVar(&c.tlsKey, "tls-key", "", "server certificate key (PEM), with -tls-cert")
	flag.StringVar(&c.tlsHosts, "tls-hosts", "", "comma-separated names and addresses for the development certificate (default: the -listen host, localhost, 127.0.0.1, ::1)")
	flag.StringVar(&c.accounts, "accounts", "", "accounts file: one email per line")
	flag.StringVar(&c.passwordFile, "review-password-file", "", "file whose first line is the review page password")
	flag.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	flag.DurationVar(&c.fleetStale, "fleet-stale-after", service.DefaultFleetStaleAfter, "the fleet page (/review/fleet) marks a kiosk stale when its last heartbeat is older than this")
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
		return addDevice(c, stdout, stderr)
	case c.revokeDevice != "":
		if err := service.RevokeDevice(c.data, c.revokeDevice, c.compromised, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "device %s revoked: its next request is refused (403)\n", c.revokeDevice)
		if c.compromised {
			fmt.Fprintln(stderr, "its signing keys are revoked too: envelopes signed with them will be refused, and it must enroll with new keys")
		}
		return nil
	}
	opts, err := options(c, log)
	if err != nil {
		return err
	}
	cert, err := serverCert(c, log)
	if err != nil {
		return err
	}
	svc, err := service.New(opts)
	if err != nil {
		return err
	}
	return serve(ctx, c.listen, cert, svc, log)
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

// addDevice prints the code alone on stdout, so scripts can take it, and
// what to do with it on stderr.
func addDevice(c config, stdout, stderr io.Writer) error {
	code, expires, err := service.AddDevice(c.data, c.addDevice, c.codeTTL, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, code)
	pin := "-ca <the CA file of -tls-cert>"
	if c.tlsCert == "" {
		ca, err := service.DevCA(c.data, time.Now())
		if err != nil {
			return err
		}
		pin = "-ca-fingerprint " + service.Fingerprint(ca)
	}
	fmt.Fprintf(stderr, "one-time enrollment code for %s, valid until %s. On the kiosk:\n  kioskctl enroll -service https://%s -code %s %s\n",
		c.addDevice, expires.Local().Format(time.DateTime), c.listen, code, pin)
	return nil
}

func options(c config, log *slog.Logger) (service.Options, error) {
	opts := service.Options{DataDir: c.data, Log: log, CurrentKey: c.currentKey, FleetStaleAfter: c.fleetStale}
	var err error
	if opts.Keys, err = service.LoadKeyRing(c.keys); err != nil {
		return opts, err
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

// serverCert loads -tls-cert or makes the development certificate.
func serverCert(c config, log *slog.Logger) (tls.Certificate, error) {
	if c.tlsCert != "" || c.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		return cert, nil
	}
	cert, ca, err := service.DevServerTLS(c.data, tlsHosts(c), time.Now())
	if err != nil {
		return tls.Certificate{}, err
	}
	log.Info("development TLS certificate", "ca", filepath.Join(c.data, service.DevCACertFile), "ca_sha256", service.Fingerprint(ca))
	return cert, nil
}

func tlsHosts(c config) []string {
	if c.tlsHosts != "" {
		return strings.Split(c.tlsHosts, ",")
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(c.listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" && !slices.Contains(hosts, h) {
		hosts = append(hosts, h)
	}
	return hosts
}

// serve runs the HTTPS server until ctx is done, then shuts down in order:
// Shutdown waits for in-flight PUTs, so each either committed and was
// answered or never started; only then does the store close.
func serve(ctx context.Context, listen string, cert tls.Certificate, svc *service.Server, log *slog.Logger) error {
	// Listen before announcing it: `make run` and tests wait for that line.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		svc.Close()
		return err
	}
	srv := &http.Server{
		Handler:           svc.Handler(),
		TLSConfig:         service.TLSConfig(cert),
		ReadHeaderTimeout: 10 * time.Second,
		// A 32 MiB envelope over a slow site uplink needs minutes.
		ReadTimeout:  5 * time.Minute,
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	log.Info("verifyd listening", "addr", ln.Addr().String(), "url", "https://"+ln.Addr().String())

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
	if serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", serr)
	}
	log.Info("stopped")
	return nil
}
