package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// openQueue opens the outbox with the [queue] settings.
func openQueue(cfg *config.Config, fp func(string)) (*outbox.Outbox, error) {
	box, err := outbox.Open(cfg.QueuePath(), outbox.Options{
		MaxItems:        cfg.Queue.MaxItems,
		MaxBytes:        int64(cfg.Queue.MaxMB) << 20,
		CompactMinBytes: int64(cfg.Queue.CompactMinMB) << 20,
		Failpoint:       fp,
	})
	if err != nil {
		return nil, fmt.Errorf("open queue %s: %w", cfg.QueuePath(), err)
	}
	return box, nil
}

// newSaver is the session's Saver and Admitter.
func newSaver(cfg *config.Config, key *envelope.PublicKey, box *outbox.Outbox, fp func(string)) sealingSaver {
	return sealingSaver{key: key, box: box, minFree: uint64(cfg.Queue.MinFreeMB) << 20, failpoint: fp}
}

// newUploader drains box to the service through cli, polling review
// outcomes of what it delivered.
func newUploader(cfg *config.Config, box *outbox.Outbox, cli *client.Client, log *slog.Logger, fp func(string)) *upload.Uploader {
	return &upload.Uploader{
		Outbox: box, Client: cli, Log: log.With("part", "upload"),
		MinBackoff: cfg.Service.MinBackoff, MaxBackoff: cfg.Service.MaxBackoff,
		Parallel: cfg.Queue.Parallel,
		Status:   cli,
		StatusPolicy: upload.StatusPolicy{
			StatusFirst: cfg.Queue.StatusFirst, StatusWindow: cfg.Queue.StatusWindow,
		},
		Failpoint: fp,
	}
}

// controlServer is kioskd's control socket with the queue commands; other
// parts mount their routes on it with Handle before run.
type controlServer struct {
	*control.Server
	ln net.Listener
}

// listenControl creates the control socket. It fails when another kioskd
// is serving on it, which also keeps two kioskd from sharing a data dir.
func listenControl(cfg *config.Config, box *outbox.Outbox, log *slog.Logger) (*controlServer, error) {
	ln, err := control.Listen(cfg.ControlSocket())
	if err != nil {
		return nil, err
	}
	srv := control.New(log.With("part", "control"))
	srv.HandleQueue(box, cfg.Device.ID)
	return &controlServer{Server: srv, ln: ln}, nil
}

func (c *controlServer) run(ctx context.Context) error {
	return c.Serve(ctx, c.ln)
}

// alert is a condition staff must act on, shown in /healthz (and, with
// staff mode, on the kiosk). Code is stable for tools and catalogues;
// Detail is for the log reader.
type alert struct {
	Code   string     `json:"code"`
	Count  int        `json:"count,omitempty"`
	Since  *time.Time `json:"since,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

// Alert codes.
const (
	alertDeadLetters = "dead_letters" // the service refused profiles for good: kioskctl queue list / retry-dead / export-dead
	alertKioskFull   = "kiosk_full"   // new sessions are refused: queue at its limit or disk nearly full
)

// queueAlerts are the delivery conditions staff must see.
func queueAlerts(ctx context.Context, st outbox.Stats, us upload.Stats, saver sealingSaver) []alert {
	var out []alert
	if st.Dead > 0 {
		a := alert{Code: alertDeadLetters, Count: st.Dead, Detail: us.LastDead}
		if !us.LastDeadAt.IsZero() {
			a.Since = &us.LastDeadAt
		}
		out = append(out, a)
	}
	if err := saver.Admit(ctx); err != nil {
		out = append(out, alert{Code: alertKioskFull, Detail: err.Error()})
	}
	return out
}
