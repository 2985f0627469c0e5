package whep

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/idkiosk/idkiosk/capture/encode"
)

// ICEServer is a STUN or TURN server. The kiosk gathers server-reflexive
// and relay candidates through it, and viewers are told about it in the
// answer's Link headers (the draft's way to share TURN credentials).
type ICEServer struct {
	URLs       []string // stun:host:port, turn:host:port?transport=udp, turns:...
	Username   string   // TURN only
	Credential string   // TURN only
}

// checkICEURL accepts the RFC 7064/7065 schemes pion understands.
func checkICEURL(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || rest == "" {
		return fmt.Errorf("ICE server %q: want stun:, stuns:, turn: or turns: with a host", u)
	}
	switch scheme {
	case "stun", "stuns", "turn", "turns":
		return nil
	}
	return fmt.Errorf("ICE server %q: scheme %q, want stun, stuns, turn or turns", u, scheme)
}

// network is the shared ICE transport: one UDP port for every session and
// optionally one TCP port, and the pion API built on them.
type network struct {
	api     *webrtc.API
	closers []io.Closer
	udpAddr string // what was bound, for logs and tests
	tcpAddr string
}

// timeouts of ICE consent (RFC 7675): how long without an answer before a
// viewer counts as disconnected, then as failed (reaped), and how often
// keepalives go out.
type timeouts struct {
	disconnected, failed, keepalive time.Duration
}

func newNetwork(codec encode.Codec, udp, tcp string, to timeouts, log *slog.Logger) (*network, error) {
	n := &network{}
	ok := false
	defer func() {
		if !ok {
			n.close()
		}
	}()

	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: codec.MimeType, ClockRate: codec.ClockRate, SDPFmtpLine: codec.FmtpLine, RTCPFeedback: fb,
		},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register codec: %w", err)
	}
	// NACK: resend lost packets from a short history instead of a keyframe;
	// sender reports: viewers sync and measure round trips. No congestion
	// control: the encoder's bitrate cap is the budget.
	reg := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}

	var se webrtc.SettingEngine
	logs := pionLogs{log}
	se.LoggerFactory = logs
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	host, port, err := splitListen(udp)
	if err != nil {
		return nil, fmt.Errorf("ice udp %q: %w", udp, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		// One socket per interface address, all on the same port: the
		// answer carries a host candidate per address.
		mux, err := ice.NewMultiUDPMuxFromPort(port, ice.UDPMuxFromPortWithLoopback(),
			ice.UDPMuxFromPortWithLogger(logs.NewLogger("udpmux")))
		if err != nil {
			return nil, fmt.Errorf("ice udp port %d: %w", port, err)
		}
		n.closers = append(n.closers, mux)
		se.SetICEUDPMux(mux)
		n.udpAddr = net.JoinHostPort(host, strconv.Itoa(port))
		se.SetIncludeLoopbackCandidate(true)
	} else {
		conn, err := net.ListenPacket("udp", udp)
		if err != nil {
			return nil, fmt.Errorf("ice udp: %w", err)
		}
		n.closers = append(n.closers, conn)
		se.SetICEUDPMux(webrtc.NewICEUDPMux(logs.NewLogger("udpmux"), conn))
		n.udpAddr = conn.LocalAddr().String()
		se.SetIncludeLoopbackCandidate(ip != nil && ip.IsLoopback())
	}
	if tcp != "" {
		ln, err := net.Listen("tcp", tcp)
		if err != nil {
			return nil, fmt.Errorf("ice tcp: %w", err)
		}
		n.closers = append(n.closers, ln)
		// 8 buffered packets per connection: enough for a burst of a
		// keyframe's packets while the reader catches up.
		se.SetICETCPMux(webrtc.NewICETCPMux(logs.NewLogger("tcpmux"), ln, 8))
		n.tcpAddr = ln.Addr().String()
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	se.SetICETimeouts(to.disconnected, to.failed, to.keepalive)
	// STUN and TURN gathering must not hold an answer for long: the
	// answer is sent only when gathering ends (no trickle).
	se.SetSTUNGatherTimeout(2 * time.Second)

	n.api = webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	ok = true
	return n, nil
}

// splitListen parses "host:port" (host may be empty for every interface).
func splitListen(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

func (n *network) close() error {
	var errs []error
	for _, c := range n.closers {
		errs = append(errs, c.Close())
	}
	n.closers = nil
	return errors.Join(errs...)
}

// pionICEServers converts the config's servers for pion.
func pionICEServers(servers []ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(servers))
	for _, s := range servers {
		ps := webrtc.ICEServer{URLs: s.URLs}
		if s.Username != "" || s.Credential != "" {
			ps.Username, ps.Credential = s.Username, s.Credential
		}
		out = append(out, ps)
	}
	return out
}

// linkHeaders are the answer's Link headers for the ICE servers
// (draft-ietf-wish-whep, as in WHIP, RFC 9725 section 4.6).
func linkHeaders(servers []ICEServer) []string {
	var out []string
	for _, s := range servers {
		for _, u := range s.URLs {
			l := fmt.Sprintf("<%s>; rel=\"ice-server\"", u)
			if strings.HasPrefix(u, "turn") && s.Username != "" {
				l += fmt.Sprintf("; username=%q; credential=%q; credential-type=\"password\"", s.Username, s.Credential)
			}
			out = append(out, l)
		}
	}
	return out
}
