package main

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// kioskIdentity is this kiosk's enrolled identity as kioskd uses it: the
// client certificate and pinned CA for every call to the service, the
// Ed25519 key every envelope is signed with, and the service key new
// profiles are sealed to, which a rotation on the service changes.
//
// Rotation: the service's key list arrives with the enrollment and again
// from GET /v1/keys every service.key_refresh. It is believed because of
// where it comes from: a TLS connection whose server certificate chains to
// the CA pinned at enrollment (the same trust the kiosk puts in the
// service for everything else; a signature by another key would add
// nothing, since it would live on the same service). It must also pass
// envelope.ParseServiceKeys (ids match key bytes, no weaker suite). A list
// that fails is logged and ignored; the kiosk keeps sealing to the key it
// has, which the service still holds.
type kioskIdentity struct {
	id  *identity.Identity
	log *slog.Logger

	mu   sync.RWMutex
	keys *envelope.KeyList
}

// loadIdentity reads the enrollment from the data directory. A kiosk that
// is not enrolled does not start: it would have no key to seal to.
func loadIdentity(cfg *config.Config, log *slog.Logger) (*kioskIdentity, error) {
	id, err := identity.Load(cfg.Device.DataDir)
	if errors.Is(err, identity.ErrNotEnrolled) {
		return nil, fmt.Errorf("%w; enroll it first: kioskctl enroll -config FILE -code CODE -ca SERVICE-CA.pem", err)
	}
	if err != nil {
		return nil, fmt.Errorf("device identity: %w", err)
	}
	if id.DeviceID != cfg.Device.ID {
		return nil, fmt.Errorf("device identity: enrolled as %q but device.id is %q; enroll again or fix the config", id.DeviceID, cfg.Device.ID)
	}
	var sk api.ServiceKeys
	if err := json.Unmarshal(id.ServiceKeys(), &sk); err != nil {
		return nil, fmt.Errorf("device identity: pinned service keys: %w", err)
	}
	keys, err := envelope.ParseServiceKeys(sk)
	if err != nil {
		return nil, fmt.Errorf("device identity: pinned %w", err)
	}
	d := &kioskIdentity{id: id, log: log.With("part", "identity"), keys: keys}
	d.log.Info("device identity", "identity", id, "signer", d.signerID(), "service_key", keys.Current().KeyID)
	return d, nil
}

// tlsConfig authenticates the kiosk and pins the service.
func (d *kioskIdentity) tlsConfig() *tls.Config {
	return client.PinnedTLS(d.id.ServiceRoots(), d.id.ClientCertificate())
}

func (d *kioskIdentity) current() *envelope.PublicKey {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.keys.Current()
}

func (d *kioskIdentity) signerID() string {
	pub, _ := d.id.Signer().Public().(ed25519.PublicKey)
	return envelope.SignerID(pub)
}

// seal seals p to the current service key and signs it with the device key.
func (d *kioskIdentity) seal(p *api.Profile) ([]byte, error) {
	return envelope.SealSigned(d.current(), d.id.Signer(), p)
}

// sealProfile is the saver's sealing step: kioskd always has a device and
// signs; without one (the submit benchmark) it seals unsigned to key.
func (s sealingSaver) sealProfile(p *api.Profile) ([]byte, error) {
	if s.device != nil {
		return s.device.seal(p)
	}
	return envelope.Seal(s.key, p)
}

// keySource is the part of the client the refresh uses.
type keySource interface {
	ServiceKeys(ctx context.Context) (api.ServiceKeys, error)
}

// refreshKeys asks the service for its keys now and then every interval
// until ctx ends. Failures are logged and retried at the next tick: the
// pinned key stays usable the whole time.
func (d *kioskIdentity) refreshKeys(src keySource, every time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := d.refresh(ctx, src); err != nil && ctx.Err() == nil {
				d.log.Warn("service keys not refreshed", "err", err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// refresh fetches, checks, pins and switches to the service's key list.
func (d *kioskIdentity) refresh(ctx context.Context, src keySource) error {
	sk, err := src.ServiceKeys(ctx)
	if err != nil {
		return err
	}
	keys, err := envelope.ParseServiceKeys(sk)
	if err != nil {
		return fmt.Errorf("refusing the key list: %w", err)
	}
	b, err := json.Marshal(keys.API())
	if err != nil {
		return err
	}
	// Pin first: a kiosk that restarts must come back sealing to the key
	// it last used, never to an older one.
	if err := d.id.PinServiceKeys(b); err != nil {
		return err
	}
	d.mu.Lock()
	old := d.keys.Current().KeyID
	d.keys = keys
	d.mu.Unlock()
	if now := keys.Current().KeyID; now != old {
		d.log.Info("service key rotated", "from", old, "to", now)
	}
	return nil
}
