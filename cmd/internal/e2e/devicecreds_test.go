package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// deviceCredentials returns how the stack's kiosk seals a profile (to the
// service key it pinned, signed with its device key) and a plain net/http
// PUT that authenticates as that kiosk (its client certificate), for
// benchmarks that compare kioskd with a bare client.
func deviceCredentials(b *testing.B, s *stack.Stack) (seal func(*api.Profile) ([]byte, error), put func(context.Context, string, []byte) error) {
	b.Helper()
	id, err := identity.Load(s.Path("kiosk"))
	if err != nil {
		b.Fatal(err)
	}
	var sk api.ServiceKeys
	if err := json.Unmarshal(id.ServiceKeys(), &sk); err != nil {
		b.Fatal(err)
	}
	keys, err := envelope.ParseServiceKeys(sk)
	if err != nil {
		b.Fatal(err)
	}
	tlsConf, err := s.KioskClientTLS()
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 32}}
	base := s.ServiceURL()
	seal = func(p *api.Profile) ([]byte, error) { return envelope.SealSigned(keys.Current(), id.Signer(), p) }
	put = func(ctx context.Context, pid string, env []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"/v1/profiles/"+pid, bytes.NewReader(env))
		if err != nil {
			return err
		}
		req.Header.Set(api.HeaderIdempotencyKey, pid)
		req.Header.Set(api.HeaderContentDigest, api.ContentDigest(env))
		req.Header.Set("Content-Type", api.EnvelopeMediaType)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("PUT %s: %d %s", pid, resp.StatusCode, body)
		}
		return nil
	}
	return seal, put
}
