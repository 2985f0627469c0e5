package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	kioskui "github.com/idkiosk/idkiosk/kiosk-ui"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/client"
)

// shutdownGrace bounds how long a SIGTERM waits for open requests. A save
// in progress is not bounded by it: the session waits for the commit.
const shutdownGrace = 10 * time.Second

// run wires the parts and serves until ctx ends, then stops them in the
// order that loses nothing: stop taking requests, let the session finish an
// in-flight save, stop the uploader, and only then close the outbox.
func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	log, logs := keepRecent(log, cfg.Log.Level) // logring.go: for kioskctl logs
	if err := os.MkdirAll(cfg.Device.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	dev, err := loadIdentity(cfg, log) // identity.go
	if err != nil {
		return err
	}
	fp, err := failpointFromEnv(log)
	if err != nil {
		return err
	}
	box, err := openQueue(cfg, fp)
	if err != nil {
		return err
	}
	defer box.Close()
	ctl, err := listenControl(cfg, box, log)
	if err != nil {
		return err
	}
	// Released on every return, also the early ones below: a socket left
	// listening would make the next start say "control socket in use".
	defer ctl.ln.Close()

	cli, err := client.New(client.Options{
		BaseURL: cfg.Service.URL, DeviceID: cfg.Device.ID, TLS: dev.tlsConfig(),
		Timeout: cfg.Service.Timeout, Log: log.With("part", "client"), Version: version,
		// One quick retry smooths a blip; longer outages are the
		// uploader's job, with its backoff stored durably.
		RetryMax: 1, MinWait: 500 * time.Millisecond, MaxWait: 2 * time.Second,
	})
	if err != nil {
		return err
	}

	hw, err := newHardware(cfg)
	if err != nil {
		return err
	}
	defer hw.close()
	hw.logCradle(log)

	hub := capture.NewHub()
	camera := newCamera(cfg, hw.camera, hub, log.With("part", "camera"))

	saver := newSaver(cfg, dev.current(), box, fp)
	saver.device = dev
	met := newMetrics() // metrics.go
	deps := session.Deps{
		Camera:   hub,
		Saver:    saver,
		Accounts: cli,
		Log:      log.With("part", "session"),
		OnReject: met.photoRejected,
	}
	if hw.cradle != nil {
		deps.Cradle = hw.cradle
	}
	qcfg, err := wireQuality(cfg, hub, &deps, log) // quality.go
	if err != nil {
		return err
	}
	staffAudit, staffCfg, err := wireStaff(cfg, &deps, log) // staff.go
	if err != nil {
		return err
	}
	sess := session.New(session.Config{
		DeviceID:        cfg.Device.ID,
		Languages:       cfg.UI.Languages,
		DefaultLanguage: cfg.UI.DefaultLanguage,
		IdleTimeout:     cfg.UI.IdleTimeout,
		IdleWarning:     cfg.UI.IdleWarning,
		ReceiptTimeout:  cfg.UI.ReceiptTimeout,
		CradleSettle:    cfg.Cradle.Settle,
		Quality:         qcfg,
		Staff:           staffCfg,
	}, deps)

	uploader := newUploader(cfg, box, cli, log, fp)
	status := &statusSource{cfg: cfg, camera: camera, box: box, up: uploader, saver: saver, hw: hw, dev: dev,
		reach: newReachProbe(cli), logs: logs, log: log.With("part", "status"), now: time.Now} // status.go
	ctl.HandleStatus(status)

	uiCfg := kioskui.ServerConfig{
		Preview:      camera.preview(cfg.Camera.PreviewFPS),
		AllowedHosts: allowedHosts(cfg.UI.Listen),
		Log:          log.With("part", "ui"),
	}
	if cfg.UI.Demo && hw.demo != nil {
		uiCfg.Demo = hw.demo
	}
	if deps.PIN != nil {
		uiCfg.Staff = staffDesk{status: status, box: box, log: log.With("part", "staff")} // staff.go
	}
	ui := kioskui.NewServer(uiCfg, sess)
	adm, err := newAdmin(cfg, log.With("part", "admin"), adminDeps{hub: hub, camera: camera, box: box, viewers: sess.SetViewers, metrics: met})
	if err != nil {
		return err
	}
	obs, err := wireOps(cfg, log, met, opsParts{hub: hub, camera: camera, box: box, uploader: uploader, saver: saver, hw: hw, client: cli, admin: adm}) // ops.go
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler(camera, box, uploader, saver, hw))
	mux.Handle("GET /api/diagnostics", camera.diagnostics())
	mux.Handle("/", ui.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(ui.Close)
	ln, err := net.Listen("tcp", cfg.UI.Listen)
	if err != nil {
		return fmt.Errorf("ui listen: %w", err)
	}

	// Each part runs under its own context so shutdown can stop them in order.
	var wg sync.WaitGroup
	goRun := func(name string, ctx context.Context, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("part stopped", "part", name, "err", err)
			}
		}()
	}
	partsCtx, stopParts := context.WithCancel(context.WithoutCancel(ctx))
	sessCtx, stopSession := context.WithCancel(context.WithoutCancel(ctx))
	goRun("camera", partsCtx, camera.Run)
	goRun("camera-state", partsCtx, func(ctx context.Context) error { return camera.follow(ctx, sess) })
	goRun("upload", partsCtx, uploader.Run)
	goRun("keys", partsCtx, dev.refreshKeys(cli, cfg.Service.KeyRefresh))
	goRun("control", partsCtx, ctl.run)
	goRun("admin", partsCtx, adm.run)
	goRun("staff-audit", partsCtx, staffAudit.run)
	goRun("ops", partsCtx, obs.run)
	if hw.follow != nil {
		goRun("sim-scene", partsCtx, func(ctx context.Context) error { return hw.follow(ctx, sess) })
	}
	sessDone := make(chan struct{})
	go func() {
		defer close(sessDone)
		if err := sess.Run(sessCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("session stopped", "err", err)
		}
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	obs.ready() // systemd READY=1
	log.Info("kioskd serving", "ui", "http://"+ln.Addr().String()+"/", "device", cfg.Device.ID,
		"camera", cfg.Camera.Driver, "cradle", cfg.Cradle.Driver, "version", version)

	var err2 error
	select {
	case <-ctx.Done():
		log.Info("stopping", "cause", context.Cause(ctx))
	case err2 = <-serveErr:
		err2 = fmt.Errorf("ui server: %w", err2)
	}
	obs.stopping()
	shCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil {
		log.Warn("ui shutdown", "err", err)
	}
	stopSession()
	<-sessDone // an in-flight save has committed (or failed) by now
	stopParts()
	wg.Wait()
	return err2
}

// allowedHosts lists the Host headers the UI accepts: the listen address as
// configured plus its "localhost" and 127.0.0.1 spellings. Anything else is a
// DNS-rebinding attempt by a page in the kiosk browser.
func allowedHosts(listen string) []string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		return nil // any loopback name: the kioskui default
	}
	return []string{listen, "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port}
}
