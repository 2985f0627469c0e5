package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/enroll"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/service"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// enrolledKiosk is a reference service over HTTPS and a kiosk data
// directory enrolled with it, as kioskctl enroll leaves it.
type enrolledKiosk struct {
	svc     *service.Server
	svcDir  string
	cfg     *config.Config
	oldKey  *envelope.PrivateKey
	baseURL string
	logs    *bytes.Buffer
	log     *slog.Logger
}

func newEnrolledKiosk(t *testing.T) *enrolledKiosk {
	t.Helper()
	k := &enrolledKiosk{svcDir: t.TempDir(), logs: &bytes.Buffer{}}
	k.log = slog.New(slog.NewJSONHandler(k.logs, nil))
	var err error
	if k.oldKey, err = envelope.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	k.start(t, envelope.KeyRing{k.oldKey.KeyID: k.oldKey})
	code, _, err := service.AddDevice(k.svcDir, "kiosk-1", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	text := fmt.Sprintf("[device]\nid = \"kiosk-1\"\ndata_dir = %q\n[service]\nurl = %q\n", data, k.baseURL)
	if k.cfg, err = config.Parse("kioskd.toml", []byte(text)); err != nil {
		t.Fatal(err)
	}
	_, err = enroll.Run(context.Background(), enroll.Options{
		DataDir: data, DeviceID: "kiosk-1", ServiceURL: k.baseURL, Code: code,
		CAFile: filepath.Join(k.svcDir, service.DevCACertFile),
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// start (re)starts the service with ring; the address changes, the CA
// and the registry do not.
func (k *enrolledKiosk) start(t *testing.T, ring envelope.KeyRing) {
	t.Helper()
	if k.svc != nil {
		k.svc.Close()
	}
	svc, err := service.New(service.Options{DataDir: k.svcDir, Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := service.DevServerTLS(k.svcDir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(svc.Handler())
	ts.TLS = service.TLSConfig(cert)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	t.Cleanup(func() { svc.Close() })
	k.svc, k.baseURL = svc, ts.URL
	if k.cfg != nil {
		k.cfg.Service.URL = ts.URL
	}
}

func (k *enrolledKiosk) client(t *testing.T, dev *kioskIdentity) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{BaseURL: k.cfg.Service.URL, DeviceID: "kiosk-1", TLS: dev.tlsConfig()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadIdentity_NotEnrolled(t *testing.T) {
	cfg := config.Default()
	cfg.Device.ID, cfg.Device.DataDir = "kiosk-1", t.TempDir()
	_, err := loadIdentity(&cfg, slog.New(slog.DiscardHandler))
	if !errors.Is(err, identity.ErrNotEnrolled) || !strings.Contains(err.Error(), "kioskctl enroll") {
		t.Errorf("err = %v, want ErrNotEnrolled with a pointer to kioskctl enroll", err)
	}
}

func TestLoadIdentity_OtherDeviceID(t *testing.T) {
	k := newEnrolledKiosk(t)
	k.cfg.Device.ID = "kiosk-2"
	if _, err := loadIdentity(k.cfg, k.log); err == nil || !strings.Contains(err.Error(), "kiosk-2") {
		t.Errorf("err = %v, want a refusal naming both ids", err)
	}
}

// Rotation end to end, in process: the kiosk seals a profile to the old
// key (queued, the service unreachable), the service rotates, the kiosk
// refreshes over its pinned connection, and both profiles are accepted,
// the old one under the old key and the next under the new one. The
// refreshed key is pinned on disk: a restart keeps sealing to it.
func TestRotation_KioskFollowsAndOldEnvelopeStillAccepted(t *testing.T) {
	k := newEnrolledKiosk(t)
	dev, err := loadIdentity(k.cfg, k.log)
	if err != nil {
		t.Fatal(err)
	}
	queued := apitest.Profile(t, apitest.Options{DeviceID: "kiosk-1"})
	queuedEnv, err := dev.seal(queued)
	if err != nil {
		t.Fatal(err)
	}

	next, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k.start(t, envelope.KeyRing{k.oldKey.KeyID: k.oldKey, next.KeyID: next})
	cli := k.client(t, dev)
	if err := dev.refresh(context.Background(), cli); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if got := dev.current().KeyID; got != next.KeyID {
		t.Fatalf("after refresh the kiosk seals to %s, want the new key %s", got, next.KeyID)
	}
	if !strings.Contains(k.logs.String(), `"msg":"service key rotated"`) {
		t.Errorf("no log line for the rotation:\n%s", k.logs)
	}
	fresh := apitest.Profile(t, apitest.Options{DeviceID: "kiosk-1"})
	freshEnv, err := dev.seal(fresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p   *api.Profile
		env []byte
		key string
	}{{queued, queuedEnv, k.oldKey.KeyID}, {fresh, freshEnv, next.KeyID}} {
		if h, _ := envelope.ParseHeader(tt.env); h.KeyID != tt.key || h.Version != envelope.VersionSigned {
			t.Errorf("envelope %s: key %s version %d, want %s, signed", tt.p.ID, h.KeyID, h.Version, tt.key)
		}
		if _, err := cli.PutProfile(context.Background(), tt.p.ID, tt.env); err != nil {
			t.Errorf("PUT %s (key %s): %v", tt.p.ID, tt.key, err)
		}
	}

	again, err := loadIdentity(k.cfg, k.log)
	if err != nil || again.current().KeyID != next.KeyID {
		t.Errorf("after a restart the kiosk seals to %v (%v), want the pinned new key", again.current().KeyID, err)
	}
}

// fakeKeys is a key source that answers with a fixed list.
type fakeKeys struct {
	keys api.ServiceKeys
	err  error
}

func (f fakeKeys) ServiceKeys(context.Context) (api.ServiceKeys, error) { return f.keys, f.err }

// A key list the kiosk cannot trust changes nothing: it keeps sealing to
// the key it has, and says why in the log.
func TestRefresh_RefusesBadLists(t *testing.T) {
	k := newEnrolledKiosk(t)
	dev, err := loadIdentity(k.cfg, k.log)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := envelope.GenerateKey()
	good := other.Public().API()
	for _, tt := range []struct {
		name string
		src  fakeKeys
	}{
		{"service unreachable", fakeKeys{err: errors.New("connection refused")}},
		{"key id not of its bytes", fakeKeys{keys: api.ServiceKeys{Current: k.oldKey.KeyID, Keys: []api.ServiceKey{{KeyID: k.oldKey.KeyID, Suite: good.Suite, PublicKey: good.PublicKey}}}}},
		{"weaker suite", fakeKeys{keys: api.ServiceKeys{Current: good.KeyID, Keys: []api.ServiceKey{{KeyID: good.KeyID, Suite: api.KeySuite{KEM: 0x20, KDF: 1, AEAD: 3}, PublicKey: good.PublicKey}}}}},
		{"current not listed", fakeKeys{keys: api.ServiceKeys{Current: "feedfacefeedface", Keys: []api.ServiceKey{good}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(filepath.Join(identity.Dir(k.cfg.Device.DataDir), "service-keys.json"))
			if err := dev.refresh(context.Background(), tt.src); err == nil {
				t.Error("refresh: err = nil, want a refusal")
			}
			if got := dev.current().KeyID; got != k.oldKey.KeyID {
				t.Errorf("the kiosk now seals to %s, want still %s", got, k.oldKey.KeyID)
			}
			after, _ := os.ReadFile(filepath.Join(identity.Dir(k.cfg.Device.DataDir), "service-keys.json"))
			if !bytes.Equal(before, after) {
				t.Error("the pinned key list on disk changed")
			}
		})
	}
}

// Done-when 4 at the level of the kiosk's own parts: a kiosk the service
// no longer accepts, revoked (403) or with a certificate that no longer
// identifies an enrolled device (401: its device id was enrolled again
// elsewhere), meets the refusal in its uploader and keeps every profile
// queued; nothing is dead-lettered, nothing lost.
func TestRefusedKiosk_UploaderKeepsQueue(t *testing.T) {
	for _, tt := range []struct {
		name   string
		refuse func(t *testing.T, k *enrolledKiosk)
		want   string
	}{
		{"revoked", func(t *testing.T, k *enrolledKiosk) {
			if err := service.RevokeDevice(k.svcDir, "kiosk-1", false, time.Now()); err != nil {
				t.Fatal(err)
			}
		}, "403"},
		{"enrolled again elsewhere", func(t *testing.T, k *enrolledKiosk) {
			code, _, err := service.AddDevice(k.svcDir, "kiosk-1", time.Hour, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			_, err = enroll.Run(context.Background(), enroll.Options{
				DataDir: t.TempDir(), DeviceID: "kiosk-1", ServiceURL: k.baseURL, Code: code,
				CAFile: filepath.Join(k.svcDir, service.DevCACertFile),
			})
			if err != nil {
				t.Fatal(err)
			}
		}, "401"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := newEnrolledKiosk(t)
			dev, err := loadIdentity(k.cfg, k.log)
			if err != nil {
				t.Fatal(err)
			}
			qdir := filepath.Join(t.TempDir(), "queue")
			if err := os.Mkdir(qdir, 0o700); err != nil {
				t.Fatal(err)
			}
			box, err := outbox.Open(filepath.Join(qdir, "outbox.db"), outbox.Options{MaxItems: 10, MaxBytes: 64 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer box.Close()
			saver := sealingSaver{box: box, device: dev}
			for range 2 {
				if err := saver.Save(context.Background(), apitest.Profile(t, apitest.Options{DeviceID: "kiosk-1"})); err != nil {
					t.Fatal(err)
				}
			}
			tt.refuse(t, k)
			u := &upload.Uploader{Outbox: box, Client: k.client(t, dev), Log: k.log, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- u.Run(ctx) }()
			for !strings.Contains(u.Stats().LastError, tt.want) {
				select {
				case <-ctx.Done():
					t.Fatalf("the uploader never met a %s; last error %q", tt.want, u.Stats().LastError)
				case <-time.After(10 * time.Millisecond):
				}
			}
			cancel()
			<-done
			st, err := box.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Queued != 2 || st.Dead != 0 {
				t.Errorf("after %s: %d queued, %d dead; want 2 queued, none dead", tt.want, st.Queued, st.Dead)
			}
		})
	}
}
