package stack

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/enroll"
	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/service"
)

// The stack's kiosk is enrolled the way a technician enrolls one: verifyd
// -add-device issues a one-time code, and the kiosk redeems it (the code
// kioskctl enroll runs), pinning verifyd's development CA. verifyd serves
// HTTPS only, with that CA; the stack's clients trust it.

// ServiceURL is verifyd's base URL.
func (s *Stack) ServiceURL() string { return "https://" + s.VerifydAddr }

// ServiceCA is the path of verifyd's development CA certificate: what the
// kiosk pins, and what a client must trust to reach the review page.
func (s *Stack) ServiceCA() string { return s.path("verifyd", service.DevCACertFile) }

// HTTPClient is an HTTP client that trusts the service CA (when verifyd
// has made it), for the review API; plain http:// URLs (the kiosk) work too.
func (s *Stack) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if b, err := os.ReadFile(s.ServiceCA()); err == nil {
		if roots, err := identity.ParseCertificates(b); err == nil {
			tr.TLSClientConfig = client.PinnedTLS(roots, tls.Certificate{})
		}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Enrolled reports whether the kiosk has completed an enrollment.
func (s *Stack) Enrolled() bool {
	_, err := identity.Load(s.path("kiosk"))
	return err == nil
}

// Enroll issues a code for the kiosk (verifyd -add-device) and enrolls it
// with that code. verifyd must be running. Enrolling again keeps the
// kiosk's signing key and replaces its certificate.
func (s *Stack) Enroll(ctx context.Context) error {
	out, err := s.Verifyd("-add-device", s.DeviceID)
	if err != nil {
		return err
	}
	code := lastLine(out)
	if code == "" {
		return errors.New("verifyd -add-device printed no code")
	}
	_, err = enroll.Run(ctx, enroll.Options{
		DataDir: s.path("kiosk"), DeviceID: s.DeviceID, ServiceURL: s.ServiceURL(),
		Code: code, CAFile: s.ServiceCA(),
	})
	if err != nil {
		return fmt.Errorf("enroll the kiosk: %w", err)
	}
	return nil
}

// enrollOnce enrolls a kiosk that is not enrolled yet, starting verifyd for
// the moment if needed, so that tests may start kioskd first (the service
// "down" from the kiosk's first day) and `make run` works on a fresh
// checkout.
func (s *Stack) enrollOnce() error {
	if s.Enrolled() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var logs bytes.Buffer
	// One writer for both streams: exec then serialises the writes.
	v, err := s.StartVerifyd(ctx, &logs)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, logs.String())
	}
	err = s.Enroll(ctx)
	if serr := v.Stop(); err == nil && serr != nil {
		err = fmt.Errorf("stop verifyd after enrolling: %w", serr)
	}
	return err
}

// ServiceCertificate issues a server certificate for hosts from verifyd's
// development CA, the CA the kiosk pinned: what a test's proxy between
// kiosk and service presents so the kiosk talks to it as to the service.
// verifyd must have started once (Prepare does that).
func (s *Stack) ServiceCertificate(hosts ...string) (tls.Certificate, error) {
	return service.DevServerCertificate(s.path("verifyd"), hosts, time.Now())
}

// KioskClientTLS is the kiosk's own TLS client configuration: its
// enrolled certificate and the pinned CA. A test's proxy uses it to pass
// the kiosk's requests on to verifyd as the kiosk.
func (s *Stack) KioskClientTLS() (*tls.Config, error) {
	id, err := identity.Load(s.path("kiosk"))
	if err != nil {
		return nil, err
	}
	return client.PinnedTLS(id.ServiceRoots(), id.ClientCertificate()), nil
}

// KioskIdentityDir is where the kiosk keeps its keys and certificate.
func (s *Stack) KioskIdentityDir() string { return identity.Dir(s.path("kiosk")) }
