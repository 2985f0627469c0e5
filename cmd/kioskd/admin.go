package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/encode"
	"github.com/idkiosk/idkiosk/capture/whep"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/kiosk-ui/admin"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// adminDeps are the parts of the kiosk the admin listener shows.
type adminDeps struct {
	hub    *capture.Hub
	camera interface{ State() capture.State }
	box    *outbox.Outbox
	// viewers gets the number of admins watching: the learner's banner.
	viewers func(n int)
	// metrics is served at GET /metrics (metrics.go); nil: no endpoint.
	metrics *metrics
}

// adminListener is the HTTPS listener for remote admins: the live preview
// (WHEP) and the admin page. The zero value is "off" and runs nothing.
type adminListener struct {
	srv   *http.Server
	ln    net.Listener
	whep  *whep.Server
	audit *whep.AuditFile
	log   *slog.Logger
}

// newAdmin binds the admin listener and the ICE ports, so a port in use
// stops kioskd at start rather than leaving admins without a preview.
func newAdmin(cfg *config.Config, log *slog.Logger, deps adminDeps) (*adminListener, error) {
	a := cfg.Admin
	if a.Listen == "" {
		return &adminListener{}, nil
	}
	tokens, err := adminTokens(a.Tokens)
	if err != nil {
		return nil, err
	}
	cert, fingerprint, err := adminCertificate(cfg)
	if err != nil {
		return nil, err
	}
	ice, err := adminICEServers(a)
	if err != nil {
		return nil, err
	}
	audit, err := whep.OpenAuditFile(cfg.AuditLogPath())
	if err != nil {
		return nil, err
	}
	codec, open := previewEncoder(a)
	host, _, _ := net.SplitHostPort(a.Listen)
	var tcp string
	if a.ICETCPPort != 0 {
		tcp = net.JoinHostPort(host, strconv.Itoa(a.ICETCPPort))
	}
	ws, err := whep.New(whep.Config{
		Codec: codec,
		Source: &encode.Live{Hub: deps.hub, Codec: codec, Open: open, MaxFPS: a.FPS,
			Log: log.With("part", "preview-encoder")},
		Tokens:              tokens,
		MaxViewers:          a.MaxViewers,
		ICEServers:          ice,
		UDP:                 net.JoinHostPort(host, strconv.Itoa(a.ICEUDPPort)),
		TCP:                 tcp,
		KeyframeMinGap:      a.KeyframeMinGap,
		DisconnectedTimeout: a.ViewerTimeout / 2,
		FailedTimeout:       a.ViewerTimeout / 2,
		KeepaliveInterval:   min(2*time.Second, a.ViewerTimeout/4),
		Audit:               audit,
		OnViewers:           deps.viewers,
		Log:                 log,
	})
	if err != nil {
		audit.Close()
		return nil, err
	}
	l := &adminListener{whep: ws, audit: audit, log: log}
	handler := admin.Handler(admin.Config{
		Authenticate: ws.Authenticate,
		Status:       func(ctx context.Context) (admin.Status, error) { return adminStatus(cfg, deps, ws) },
		WHEP:         ws.Handler(),
		Log:          log,
	})
	if handler, err = withMetrics(handler, deps.metrics, cfg.Metrics.TokenSHA256, ws.Authenticate, log); err != nil {
		ws.Close()
		audit.Close()
		return nil, err
	}
	l.srv = &http.Server{
		Handler:           handler,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", a.Listen)
	if err != nil {
		ws.Close()
		audit.Close()
		return nil, fmt.Errorf("admin listen: %w", err)
	}
	l.ln = ln
	udp, tcpAddr := ws.Addrs()
	log.Info("admin listener", "url", "https://"+ln.Addr().String()+"/", "ice_udp", udp, "ice_tcp", tcpAddr,
		"encoder", a.Encoder, "cert_sha256", fingerprint, "audit_log", cfg.AuditLogPath())
	return l, nil
}

// run serves until ctx ends, then ends every preview session (each one
// audited) and closes the ports.
func (l *adminListener) run(ctx context.Context) error {
	if l.srv == nil {
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- l.srv.ServeTLS(l.ln, "", "") }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("admin server: %w", err)
	}
	shCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	l.srv.Shutdown(shCtx)
	l.whep.Close()
	l.audit.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func adminTokens(lines []string) (whep.Tokens, error) {
	var ts whep.Tokens
	for _, line := range lines {
		t, err := whep.ParseToken(line)
		if err != nil {
			return nil, fmt.Errorf("admin.tokens: %w", err)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// adminICEServers: each URL its own server; TURN ones carry the
// credentials.
func adminICEServers(a config.Admin) ([]whep.ICEServer, error) {
	var cred string
	if a.ICECredentialFile != "" {
		b, err := os.ReadFile(a.ICECredentialFile)
		if err != nil {
			return nil, fmt.Errorf("admin.ice_credential_file: %w", err)
		}
		cred = strings.TrimSpace(string(b))
	}
	var out []whep.ICEServer
	for _, u := range a.ICEServers {
		s := whep.ICEServer{URLs: []string{u}}
		if strings.HasPrefix(u, "turn") {
			s.Username, s.Credential = a.ICEUsername, cred
		}
		out = append(out, s)
	}
	return out, nil
}

// previewEncoder picks the encoder from the config. Each Open makes a new
// one for the frame size at hand; Live closes it when nobody watches.
func previewEncoder(a config.Admin) (encode.Codec, func(w, h int) (encode.Encoder, error)) {
	s := encode.Settings{FPS: a.FPS, BitrateKbps: a.BitrateKbps, KeyframeInterval: a.KeyframeInterval}
	switch a.Encoder {
	case "h264-m2m":
		return encode.CodecH264, func(w, h int) (encode.Encoder, error) {
			m, err := encode.NewM2M(a.M2MDevice, w, h, s)
			if err != nil {
				return nil, err
			}
			return m, nil
		}
	case "h264-passthrough":
		return encode.CodecH264, func(w, h int) (encode.Encoder, error) { return &encode.Passthrough{FPS: a.FPS}, nil }
	}
	return encode.CodecVP8, func(w, h int) (encode.Encoder, error) {
		v, err := encode.NewVP8(w, h, s)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// adminStatus is what the admin page shows: no personal data.
func adminStatus(cfg *config.Config, deps adminDeps, ws *whep.Server) (admin.Status, error) {
	q, err := deps.box.Stats()
	if err != nil {
		return admin.Status{}, fmt.Errorf("queue: %w", err)
	}
	hs := deps.hub.Stats()
	ps := ws.Stats()
	st := admin.Status{
		Device:  cfg.Device.ID,
		Version: version,
		Camera:  admin.CameraStatus{State: deps.camera.State().String(), Source: deps.hub.Source(), FPS: hs.FPS},
		Queue:   admin.QueueStatus{Queued: q.Queued, Dead: q.Dead},
		Preview: admin.PreviewStatus{Codec: strings.TrimPrefix(previewCodecName(cfg.Admin), "video/"),
			Encoding: ps.Encoding, Frames: ps.Frames, Keyframes: ps.Keyframes},
	}
	if !q.Oldest.IsZero() {
		st.Queue.Oldest = &q.Oldest
	}
	for _, v := range ws.Viewers() {
		st.Viewers = append(st.Viewers, admin.Viewer{Token: v.Token, Remote: v.Remote, Since: v.Since, Connected: v.Connected})
	}
	return st, nil
}

func previewCodecName(a config.Admin) string {
	c, _ := previewEncoder(a)
	return c.MimeType
}
