package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/diag"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// statusSource gathers, in one place, what staff mode shows, what
// kioskctl status and diagnose print, and what /healthz summarises, so the
// three never disagree: the health verdict and alerts are checkHealth's
// (health.go), the rest is added around them. Nothing gathered is
// personal data.
type statusSource struct {
	cfg    *config.Config
	camera *cameraParts
	box    *outbox.Outbox
	up     *upload.Uploader
	saver  sealingSaver
	hw     *hardware
	dev    *kioskIdentity
	reach  *reachProbe
	logs   *logRing
	log    *slog.Logger
	now    func() time.Time
}

var _ control.StatusSource = (*statusSource)(nil)

// maxDeadListed bounds the dead letters in one status: the queue allows
// thousands, a screen shows a few dozen; kioskctl queue list has them all.
const maxDeadListed = 100

// Status implements control.StatusSource. It fails only when the queue
// cannot be read.
func (s *statusSource) Status(ctx context.Context) (control.Status, error) {
	h, err := checkHealth(ctx, s.camera, s.box, s.up, s.saver, s.hw)
	if err != nil {
		return control.Status{}, fmt.Errorf("status: queue: %w", err)
	}
	now := s.now()
	st := control.Status{Time: now, Health: h.Status, Device: s.device()}
	for _, a := range h.Alerts {
		st.Alerts = append(st.Alerts, control.Alert{Code: a.Code, Count: a.Count, Since: a.Since, Detail: a.Detail})
	}
	qs, err := s.box.Stats()
	if err != nil {
		return control.Status{}, fmt.Errorf("status: queue: %w", err)
	}
	st.Queue = queueStatsOf(qs)
	if !qs.Oldest.IsZero() {
		st.OldestAge = now.Sub(qs.Oldest).Round(time.Second).Seconds()
	}
	if st.Dead, err = s.deadLetters(); err != nil {
		return control.Status{}, fmt.Errorf("status: %w", err)
	}
	st.Upload = uploadOf(s.up.Stats())
	st.Camera = cameraOf(s.camera.driver, s.camera.monitor.Report())
	st.Cradle = h.Cradle
	st.Disk = s.disk()
	st.Clock = clockOf(now, s.reach.clockSkew())
	st.Network = s.reach.cached()
	if st.Audit, err = readAudit(s.cfg.AuditLogPath(), maxAuditEvents); err != nil {
		// The status is still worth showing; the log says why the audit
		// part is missing.
		s.log.Warn("status without audit", "err", err)
	}
	return st, nil
}

// Diagnose implements control.StatusSource: the camera's device checks,
// the cradle's lines and the service, asked now.
func (s *statusSource) Diagnose(ctx context.Context) (control.Diagnosis, error) {
	d := control.Diagnosis{
		Camera:  cameraOf(s.camera.driver, s.camera.monitor.Check()),
		Cradle:  s.hw.cradleHealth(),
		Network: s.reach.probe(ctx),
		Disk:    s.disk(),
	}
	d.Time = s.now()
	d.Clock = clockOf(d.Time, s.reach.clockSkew())
	d.OK = d.Camera.State == capture.StateStreaming.String() && d.Network.Reachable && d.Disk.Error == "" &&
		d.Disk.FreeBytes >= d.Disk.MinFreeBytes && (d.Cradle == nil || d.Cradle.Status == "ok")
	for _, c := range d.Camera.Checks {
		d.OK = d.OK && c.Status != string(diag.Fail)
	}
	return d, nil
}

// Logs implements control.StatusSource.
func (s *statusSource) Logs(limit int, level slog.Level) control.Logs {
	return s.logs.Logs(limit, level)
}

// Keys implements control.StatusSource: the device's own public keys and
// what it pins of the service, as fingerprints.
func (s *statusSource) Keys() (control.Keys, error) {
	id := s.dev.id
	pub, ok := id.Signer().Public().(ed25519.PublicKey)
	if !ok {
		return control.Keys{}, fmt.Errorf("keys: signer is not Ed25519")
	}
	k := control.Keys{
		Device:      id.DeviceID,
		Signer:      control.SignerKey{ID: s.dev.signerID(), PublicKey: pub},
		Certificate: certInfo(id.Certificate),
		ServiceCA:   []control.CertInfo{},
	}
	for _, c := range id.ServiceRoots() {
		k.ServiceCA = append(k.ServiceCA, certInfo(c))
	}
	s.dev.mu.RLock()
	list := s.dev.keys.API()
	s.dev.mu.RUnlock()
	for _, sk := range list.Keys {
		sum := sha256.Sum256(sk.PublicKey)
		k.ServiceKeys = append(k.ServiceKeys, control.ServiceKey{
			KeyID: sk.KeyID, Current: sk.KeyID == list.Current, SHA256: hex.EncodeToString(sum[:]),
			Suite: fmt.Sprintf("0x%04x/0x%04x/0x%04x", sk.Suite.KEM, sk.Suite.KDF, sk.Suite.AEAD),
		})
	}
	return k, nil
}

func (s *statusSource) device() control.Device {
	id := s.dev.id
	service := s.cfg.Service.URL
	if u, err := url.Parse(service); err == nil { // validated by config
		service = shownURL(u)
	}
	return control.Device{
		ID: s.cfg.Device.ID, Version: version, Service: service,
		Enrolled: id.Enrolled, CertSerial: id.Certificate.SerialNumber.Text(16), CertExpires: id.Certificate.NotAfter,
		Signer: s.dev.signerID(), ServiceKey: s.dev.current().KeyID,
	}
}

func (s *statusSource) deadLetters() ([]control.DeadLetter, error) {
	dead, err := s.box.DeadLetters()
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(dead, func(a, b outbox.DeadLetter) int { return b.DeadAt.Compare(a.DeadAt) })
	out := []control.DeadLetter{}
	for _, d := range dead[:min(len(dead), maxDeadListed)] {
		out = append(out, control.DeadLetter{
			ID: d.ID, Reference: api.ReferenceCode(d.ID), Seq: d.Seq, Created: d.Created, DeadAt: d.DeadAt,
			Reason: d.Reason, Attempts: d.Attempts, Size: d.Size,
		})
	}
	return out, nil
}

// disk is the data partition's room: the queue, keys and audit live there.
func (s *statusSource) disk() control.Disk {
	d := control.Disk{Path: s.cfg.Device.DataDir, MinFreeBytes: uint64(s.cfg.Queue.MinFreeMB) << 20}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(d.Path, &fs); err != nil {
		d.Error = err.Error()
		return d
	}
	d.FreeBytes = fs.Bavail * uint64(fs.Bsize)
	d.TotalBytes = fs.Blocks * uint64(fs.Bsize)
	return d
}

func queueStatsOf(st outbox.Stats) control.QueueStats {
	qs := control.QueueStats{
		Queued: st.Queued, QueuedBytes: st.QueuedBytes, Dead: st.Dead, DeadBytes: st.DeadBytes,
		Delivered: st.Delivered, MaxItems: st.MaxItems, MaxBytes: st.MaxBytes,
	}
	if !st.Oldest.IsZero() {
		qs.Oldest = &st.Oldest
	}
	return qs
}

func uploadOf(us upload.Stats) control.Upload {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return control.Upload{
		Attempts: us.Attempts, Delivered: us.Delivered, Retries: us.Retries, Dead: us.Dead, InFlight: us.InFlight,
		LastError: us.LastError, LastErrorAt: at(us.LastErrorAt), LastSuccess: at(us.LastSuccess), PausedUntil: at(us.PausedUntil),
	}
}

// cameraOf turns the diag report into the status's camera, each check
// with its English text from the catalogue for kioskctl.
func cameraOf(driver string, r diag.Report) control.Camera {
	c := control.Camera{
		Driver: driver, State: r.State.String(), Device: r.Device, Format: r.Stream.Format,
		FPS: r.Stream.FPS, Frames: r.Stream.Frames, LastFrame: r.Stream.LastFrame, LastError: r.LastError,
		Checks: []control.Check{},
	}
	for _, ch := range r.Checks {
		c.Checks = append(c.Checks, control.Check{
			ID: ch.ID, Status: string(ch.Status), Key: ch.Key, Params: ch.Params,
			Message: i18n.Lookup(i18n.Fallback, ch.Key, ch.Params),
		})
	}
	return c
}

// clockOf reads the kernel's NTP state: adjtimex(2) with no modes only
// reads, and needs no privilege.
func clockOf(now time.Time, skew *float64) control.Clock {
	c := control.Clock{Now: now, Skew: skew}
	c.Zone, _ = now.Zone()
	var tx unix.Timex
	if state, err := unix.Adjtimex(&tx); err == nil {
		synced := state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
		c.Synced = &synced
	}
	return c
}

func certInfo(c *x509.Certificate) control.CertInfo {
	sum := sha256.Sum256(c.Raw)
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return control.CertInfo{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: c.SerialNumber.Text(16),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		SHA256: hex.EncodeToString(sum[:]), SPKI: hex.EncodeToString(spki[:]),
	}
}
