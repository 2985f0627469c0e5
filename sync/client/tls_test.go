package client

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/service"
)

// tlsServer serves h with a certificate for 127.0.0.1 under a CA of its own
// (the service's development CA code) and returns the CA.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, *x509.Certificate) {
	t.Helper()
	cert, ca, err := service.DevServerTLS(t.TempDir(), []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = service.TLSConfig(cert)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, ca
}

func get(t *testing.T, url string, cfg *tls.Config) error {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestPinnedTLS_TrustsOnlyThePinnedCA(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	a, caA := tlsServer(t, ok)
	_, caB := tlsServer(t, ok)
	if err := get(t, a.URL, PinnedTLS([]*x509.Certificate{caA}, tls.Certificate{})); err != nil {
		t.Errorf("pinned to the server's CA: %v", err)
	}
	if err := get(t, a.URL, PinnedTLS([]*x509.Certificate{caB}, tls.Certificate{})); err == nil {
		t.Error("pinned to another CA: connected, want a certificate error")
	}
	// The host name is still checked: the certificate names 127.0.0.1.
	local := strings.Replace(a.URL, "127.0.0.1", "localhost", 1)
	if err := get(t, local, PinnedTLS([]*x509.Certificate{caA}, tls.Certificate{})); err == nil {
		t.Error("pinned CA, wrong host name: connected, want a certificate error")
	}
}

func TestFingerprintTLS(t *testing.T) {
	a, caA := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	_, caB := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	fp := func(c *x509.Certificate) []byte { s := sha256.Sum256(c.Raw); return s[:] }

	var found *x509.Certificate
	if err := get(t, a.URL, FingerprintTLS(fp(caA), func(c *x509.Certificate) { found = c })); err != nil {
		t.Fatalf("fingerprint of the server's CA: %v", err)
	}
	if found == nil || !found.Equal(caA) {
		t.Errorf("found %v, want the CA to pin", found)
	}
	for _, tt := range []struct {
		name, url string
		fp        []byte
	}{
		{"fingerprint of another CA", a.URL, fp(caB)},
		{"right CA, wrong host name", strings.Replace(a.URL, "127.0.0.1", "localhost", 1), fp(caA)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			if err := get(t, tt.url, FingerprintTLS(tt.fp, func(*x509.Certificate) { called = true })); err == nil {
				t.Error("connected, want a certificate error")
			}
			if called {
				t.Error("found was called for a connection that failed")
			}
		})
	}
}

func TestEnroll(t *testing.T) {
	var got api.EnrollRequest
	answer := api.EnrollResponse{DeviceID: "kiosk-1", Certificate: []byte{1, 2, 3}, Keys: api.ServiceKeys{Current: "k"}}
	status := http.StatusCreated
	ts, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/enroll" || r.Header.Get("Authorization") != "" {
			t.Errorf("request %s %s (Authorization %q), want POST /v1/enroll without credentials", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		json.NewDecoder(r.Body).Decode(&got)
		if status != http.StatusCreated {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(api.Problem{Title: "Unauthorized", Status: status, Detail: "code used"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(answer)
	}))
	cfg := PinnedTLS([]*x509.Certificate{ca}, tls.Certificate{})
	req := api.EnrollRequest{Code: "C", DeviceID: "kiosk-1", CSR: []byte{4}}
	out, err := Enroll(context.Background(), ts.URL, cfg, req)
	if err != nil || out.DeviceID != "kiosk-1" || got.Code != "C" {
		t.Fatalf("Enroll = %+v, %v (sent %+v)", out, err, got)
	}

	status = http.StatusUnauthorized
	_, err = Enroll(context.Background(), ts.URL, cfg, req)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 401 || se.Problem.Detail != "code used" {
		t.Errorf("refused: err = %v, want a *StatusError 401 with the problem", err)
	}

	status, answer.DeviceID = http.StatusCreated, "kiosk-2"
	if _, err := Enroll(context.Background(), ts.URL, cfg, req); !errors.Is(err, ErrBadResponse) {
		t.Errorf("answer for another device: err = %v, want ErrBadResponse", err)
	}
	if _, err := Enroll(context.Background(), strings.Replace(ts.URL, "https", "http", 1), cfg, req); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("http:// service: err = %v, want ErrInvalidRequest", err)
	}
}

func TestNew_NeedsCertificateOrToken(t *testing.T) {
	if _, err := New(Options{BaseURL: "https://x", DeviceID: "d"}); err == nil {
		t.Error("neither certificate nor token: err = nil")
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{}}}
	if _, err := New(Options{BaseURL: "https://x", DeviceID: "d", TLS: cfg}); err != nil {
		t.Errorf("with a client certificate: %v", err)
	}
}

func TestServiceKeys(t *testing.T) {
	want := api.ServiceKeys{Current: "a", Keys: []api.ServiceKey{{KeyID: "a", PublicKey: []byte{1}}}}
	ts, ca := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/keys" || r.Header.Get(api.HeaderDeviceID) != "d" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(want)
	}))
	c, err := New(Options{BaseURL: ts.URL, DeviceID: "d", TLS: PinnedTLS([]*x509.Certificate{ca}, tls.Certificate{}), Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ServiceKeys(context.Background())
	if err != nil || got.Current != "a" || len(got.Keys) != 1 {
		t.Errorf("ServiceKeys = %+v, %v; want %+v", got, err, want)
	}
}
