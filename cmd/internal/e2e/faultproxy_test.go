package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
)

// faultKind is what the fault server does to a PUT of a profile.
type faultKind string

const (
	faultPass      faultKind = ""          // forward it, answer with the service's answer
	faultReset     faultKind = "reset"     // read part of the body, then reset the connection
	faultLostAck   faultKind = "lost-ack"  // forward it (the service stores it), then drop the connection unanswered
	faultSlow      faultKind = "slow"      // forward it, then hold the answer's headers past the kiosk's timeout
	faultTruncated faultKind = "truncated" // forward it, then send half the answer's body and close
	faultStatus    faultKind = "status"    // answer Status without forwarding
	faultChaos     faultKind = "chaos"     // any of the quick faults above, at random, on half the PUTs
)

// fault is the fault server's behaviour: Kind on the next Times PUTs of a
// profile, then pass (Times 0: on every PUT until changed). Requests other
// than profile PUTs (lookups, status polls) always pass.
type fault struct {
	Kind       faultKind
	Times      int
	Status     int           // faultStatus: the code to answer
	RetryAfter string        // faultStatus: the Retry-After header, if any
	Delay      time.Duration // faultSlow: how long to hold the answer
}

// faultProxy is the "faulty server" between kioskd and verifyd: an HTTPS
// proxy on a fixed loopback address that can refuse connections, present
// another certificate, and break PUTs in the ways a flaky network or a
// lying service does. It speaks HTTP/1.1 on the connection itself (not
// through net/http's server), so it can reset a connection mid-body or cut
// an answer short.
//
// The kiosk pins verifyd's CA and authenticates with its client
// certificate, so the proxy presents a certificate from that CA and passes
// requests on to verifyd with the kiosk's own certificate: verifyd sees
// the kiosk, the kiosk sees verifyd.
type faultProxy struct {
	t        *testing.T
	addr     string
	upstream string            // https://host:port of the service
	client   http.RoundTripper // to the service, as the kiosk
	good     *tls.Config       // what the kiosk accepts: a certificate from verifyd's CA

	mu    sync.Mutex
	ln    net.Listener
	tls   *tls.Config // nil: plain HTTP towards the kiosk
	f     fault
	hits  int // PUTs broken since the last set
	puts  int // PUTs seen since the last set
	conns map[net.Conn]bool
	wg    sync.WaitGroup
	rnd   *rand.Rand
}

func newFaultProxy(t *testing.T, addr string, s *stack.Stack) *faultProxy {
	t.Helper()
	cert, err := s.ServiceCertificate("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	asKiosk, err := s.KioskClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{
		t: t, addr: addr, upstream: s.ServiceURL(),
		client: &http.Transport{TLSClientConfig: asKiosk, DisableCompression: true, MaxIdleConnsPerHost: 16},
		// HTTP/1.1 only: the faults are cut into HTTP/1.1 framing.
		good:  &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		conns: map[net.Conn]bool{},
		rnd:   rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)),
	}
	p.tls = p.good
	t.Cleanup(func() { p.down(); p.wg.Wait() })
	return p
}

// up starts accepting connections on the proxy's address.
func (p *faultProxy) up() {
	p.t.Helper()
	var ln net.Listener
	var err error
	// The port was free when chosen; a moment after down() the kernel
	// may still hold it.
	for range 100 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("fault proxy listen %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns[c] = true
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serveConn(c)
				p.mu.Lock()
				delete(p.conns, c)
				p.mu.Unlock()
				c.Close()
			}()
		}
	}()
}

// down closes the listener and every open connection: the kiosk now gets
// "connection refused".
func (p *faultProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// set changes the fault and resets the counters.
func (p *faultProxy) set(f fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.f, p.hits, p.puts = f, 0, 0
}

// useCert makes new connections present cert (nil: the good one again).
func (p *faultProxy) useCert(cert *tls.Certificate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tls = p.good
	if cert != nil {
		p.tls = &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}}
	}
}

// counts returns the PUTs broken and seen since the last set.
func (p *faultProxy) counts() (hits, puts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits, p.puts
}

// decide picks what to do with one request.
func (p *faultProxy) decide(r *http.Request) fault {
	if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, "/v1/profiles/") {
		return fault{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.puts++
	f := p.f
	if f.Kind == faultPass || (f.Times > 0 && p.hits >= f.Times) {
		return fault{}
	}
	if f.Kind == faultChaos {
		if p.rnd.IntN(2) == 0 {
			return fault{}
		}
		quick := []fault{
			{Kind: faultReset}, {Kind: faultLostAck}, {Kind: faultTruncated},
			{Kind: faultStatus, Status: 500}, {Kind: faultStatus, Status: 503, RetryAfter: "1"},
		}
		f = quick[p.rnd.IntN(len(quick))]
	}
	p.hits++
	return f
}

func (p *faultProxy) serveConn(raw net.Conn) {
	c := raw
	p.mu.Lock()
	cfg := p.tls
	p.mu.Unlock()
	if cfg != nil {
		tc := tls.Server(raw, cfg)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return // the kiosk refused the certificate, as it should
		}
		tc.SetDeadline(time.Time{})
		c = tc
	}
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		f := p.decide(req)
		if !p.handle(c, raw, req, f) {
			return
		}
	}
}

// handle answers one request; false means the connection is finished.
func (p *faultProxy) handle(c, raw net.Conn, req *http.Request, f fault) bool {
	if req.Method == http.MethodPost && req.URL.Path == "/v1/accounts/lookup" {
		// Not under test here, and the service rate-limits lookups per
		// device, which would slow a generator of many learners to a
		// crawl: answer "no such account" at once.
		io.Copy(io.Discard, req.Body)
		_, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"exists\":false}")
		return err == nil
	}
	switch f.Kind {
	case faultReset:
		io.CopyN(io.Discard, req.Body, 1024)
		resetConn(raw)
		return false
	case faultStatus:
		io.Copy(io.Discard, req.Body)
		body, _ := json.Marshal(map[string]any{"title": http.StatusText(f.Status), "status": f.Status, "detail": "fault injected by the test"})
		var b bytes.Buffer
		fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\n", f.Status, http.StatusText(f.Status), len(body))
		if f.RetryAfter != "" {
			fmt.Fprintf(&b, "Retry-After: %s\r\n", f.RetryAfter)
		}
		b.WriteString("\r\n")
		b.Write(body)
		_, err := c.Write(b.Bytes())
		return err == nil
	}

	resp, body, err := p.forward(req)
	if err != nil {
		p.t.Logf("fault proxy: forward %s %s: %v", req.Method, req.URL.Path, err)
		return false
	}
	switch f.Kind {
	case faultLostAck:
		resetConn(raw)
		return false
	case faultSlow:
		time.Sleep(f.Delay)
	case faultTruncated:
		var b bytes.Buffer
		fmt.Fprintf(&b, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", resp.Status, resp.Header.Get("Content-Type"), len(body))
		b.Write(body[:len(body)/2])
		c.Write(b.Bytes())
		return false
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.TransferEncoding = nil
	resp.Close = false
	return resp.Write(c) == nil
}

// forward sends req to the service and reads the whole answer.
func (p *faultProxy) forward(req *http.Request) (*http.Response, []byte, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, req.Method, p.upstream+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out.Header = req.Header.Clone()
	out.ContentLength = int64(len(body))
	resp, err := p.client.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}

// resetConn closes with an RST instead of a FIN, as a middlebox or a
// crashed peer does.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// statusFault is a fault answering code on the next times PUTs.
func statusFault(code, times int) fault {
	return fault{Kind: faultStatus, Status: code, Times: times}
}

// String names a fault in test output.
func (f fault) String() string {
	if f.Kind == faultStatus {
		s := strconv.Itoa(f.Status)
		if f.RetryAfter != "" {
			s += " Retry-After " + f.RetryAfter
		}
		return s
	}
	return string(f.Kind)
}
