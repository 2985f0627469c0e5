package config

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Admin configures the admin listener: the live camera preview over WHEP
// (capture/whep) and the admin page (kiosk-ui/admin).
type Admin struct {
	Listen            string        `toml:"listen" doc:"HTTPS address of the admin listener (live camera preview over WHEP, admin page), e.g. \":8443\". Empty: off. It faces the network: every request needs an admin token."`
	TLSCert           string        `toml:"tls_cert" doc:"PEM certificate (chain) of the admin listener. Empty, with tls_key empty: a self-signed one is made once in <data_dir>/admin-tls/ (for development; browsers warn)."`
	TLSKey            string        `toml:"tls_key" doc:"PEM private key of tls_cert (mode 0600)."`
	Tokens            []string      `toml:"tokens" doc:"Admin tokens as \"name:max_viewers:sha256-hex\": only each token's SHA-256 is kept. Make one: t=$(head -c 32 /dev/urandom | base64 | tr -d '/+='); printf %s \"$t\" | sha256sum. The name goes to the audit log."`
	MaxViewers        int           `toml:"max_viewers" doc:"Most preview sessions at once, over all tokens."`
	Encoder           string        `toml:"encoder" doc:"\"vp8\" (software, libvpx) or \"h264-m2m\" (the board's V4L2 hardware encoder at m2m_device). \"h264-passthrough\" is for cameras that deliver H.264, which no camera driver here does yet."`
	M2MDevice         string        `toml:"m2m_device" doc:"V4L2 memory-to-memory H.264 encoder used by the \"h264-m2m\" encoder (a Raspberry Pi 4's is /dev/video11)."`
	BitrateKbps       int           `toml:"bitrate_kbps" doc:"Bitrate cap of the preview stream, kbit/s: the same for one viewer or ten."`
	FPS               float64       `toml:"fps" doc:"Highest preview frame rate; camera frames beyond it are skipped."`
	KeyframeInterval  time.Duration `toml:"keyframe_interval" doc:"Longest time between keyframes, so a viewer that lost packets recovers even if its request for one was lost too."`
	KeyframeMinGap    time.Duration `toml:"keyframe_min_gap" doc:"Keyframes asked for by viewers' picture-loss reports come at most this often. A new viewer's comes at once."`
	ICEUDPPort        int           `toml:"ice_udp_port" doc:"The one UDP port all preview media uses (on the listen address's interfaces). Open it in the firewall."`
	ICETCPPort        int           `toml:"ice_tcp_port" doc:"TCP port for ICE-TCP, for admins on networks that block UDP; 0: off. Must differ from the listen port."`
	ICEServers        []string      `toml:"ice_servers" doc:"STUN/TURN servers (stun:host:port, turn:host:port?transport=udp) the kiosk gathers through; viewers are told about them too."`
	ICEUsername       string        `toml:"ice_username" doc:"TURN username for the turn: servers."`
	ICECredentialFile string        `toml:"ice_credential_file" doc:"File holding the TURN password (mode 0600)."`
	ViewerTimeout     time.Duration `toml:"viewer_timeout" doc:"A viewer that stops answering (lid closed, network gone) is dropped after this long, as if it had ended the session."`
	AuditLog          string        `toml:"audit_log" doc:"JSON-lines file of every preview session: token name, address, start, end, why it ended. Never a token. Empty: <data_dir>/audit.jsonl."`
}

// defaultAdmin: off until a listen address and tokens are set.
func defaultAdmin() Admin {
	return Admin{
		MaxViewers: 10,
		Encoder:    "vp8", M2MDevice: "/dev/video11",
		// 1 Mbit/s: a 640x480 picture of a booth at 15 fps looks clean;
		// 720p wants about twice that.
		BitrateKbps: 1000, FPS: 15,
		// 2 s, as WebRTC senders use: a keyframe costs ~5 ms to encode and
		// a few times a normal frame's bytes.
		KeyframeInterval: 2 * time.Second,
		KeyframeMinGap:   500 * time.Millisecond,
		ICEUDPPort:       8443, ICETCPPort: 8444,
		// 10 s: a few missed consent checks (sent every 2 s) are a blip; a
		// laptop lid closed for 10 s is gone.
		ViewerTimeout: 10 * time.Second,
	}
}

// AuditLogPath is where preview sessions are recorded.
func (c *Config) AuditLogPath() string {
	if c.Admin.AuditLog != "" {
		return c.Admin.AuditLog
	}
	return c.Device.DataDir + "/audit.jsonl"
}

// AdminTLSDir is where the development certificate is kept when none is
// configured.
func (c *Config) AdminTLSDir() string { return c.Device.DataDir + "/admin-tls" }

var adminToken = regexp.MustCompile(`^([A-Za-z0-9._@-]{1,64}):([0-9]{1,3}):([0-9a-fA-F]{64})$`)

// validateAdmin checks the [admin] keys when the listener is on.
func validateAdmin(c *Config, bad func(key, format string, args ...any)) {
	a := &c.Admin
	if a.Listen == "" {
		return
	}
	host, port, err := net.SplitHostPort(a.Listen)
	listenPort, perr := strconv.Atoi(port)
	if err != nil || perr != nil || listenPort < 1 || listenPort > 65535 {
		bad("admin.listen", "%q: want host:port or :port, e.g. \":8443\"", a.Listen)
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		bad("admin.listen", "%q: use an IP address (or none for every interface), not a name", a.Listen)
	}

	if len(a.Tokens) == 0 {
		bad("admin.tokens", "required with admin.listen: at least one \"name:max_viewers:sha256-hex\"")
	}
	names := map[string]bool{}
	for i, t := range a.Tokens {
		m := adminToken.FindStringSubmatch(t)
		if m == nil {
			name, _, _ := strings.Cut(t, ":")
			if len(name) > 16 {
				name = name[:16] // the line may be the token itself: do not echo it
			}
			bad("admin.tokens", "item %d (%s…): want \"name:max_viewers:sha256-hex\" with the token's 64-digit SHA-256, not the token", i+1, name)
			continue
		}
		if n, _ := strconv.Atoi(m[2]); n < 1 || n > 100 {
			bad("admin.tokens", "token %s: max_viewers %s: want 1 to 100", m[1], m[2])
		}
		if names[m[1]] {
			bad("admin.tokens", "token name %s is used twice: the audit log could not tell them apart", m[1])
		}
		names[m[1]] = true
	}

	switch {
	case (a.TLSCert == "") != (a.TLSKey == ""):
		bad("admin.tls_cert", "set both admin.tls_cert and admin.tls_key, or neither (a self-signed certificate for development)")
	case a.TLSCert != "":
		if _, err := os.Stat(a.TLSCert); err != nil {
			bad("admin.tls_cert", "%v", err)
		}
		checkSecretFile(a.TLSKey, func(format string, args ...any) { bad("admin.tls_key", format, args...) })
	}

	switch a.Encoder {
	case "vp8":
	case "h264-m2m":
		if a.M2MDevice == "" {
			bad("admin.m2m_device", "required with admin.encoder = \"h264-m2m\", e.g. /dev/video11")
		}
	case "h264-passthrough":
		bad("admin.encoder", "\"h264-passthrough\" needs a camera that delivers H.264; the camera drivers here deliver MJPEG, YUYV or NV12")
	default:
		bad("admin.encoder", "%q: want \"vp8\" or \"h264-m2m\"", a.Encoder)
	}
	if a.MaxViewers < 1 || a.MaxViewers > 100 {
		bad("admin.max_viewers", "%d: want 1 to 100", a.MaxViewers)
	}
	if a.BitrateKbps < 50 || a.BitrateKbps > 20000 {
		bad("admin.bitrate_kbps", "%d: want 50 to 20000", a.BitrateKbps)
	}
	if a.FPS < 1 || a.FPS > 60 {
		bad("admin.fps", "%g: want 1 to 60", a.FPS)
	}
	if a.KeyframeInterval < time.Second || a.KeyframeInterval > time.Minute {
		bad("admin.keyframe_interval", "%s: want 1s to 1m", a.KeyframeInterval)
	}
	if a.KeyframeMinGap < 50*time.Millisecond || a.KeyframeMinGap > 10*time.Second {
		bad("admin.keyframe_min_gap", "%s: want 50ms to 10s", a.KeyframeMinGap)
	}
	if a.ICEUDPPort < 1 || a.ICEUDPPort > 65535 {
		bad("admin.ice_udp_port", "%d: want a port from 1 to 65535: every session shares it", a.ICEUDPPort)
	}
	if a.ICETCPPort < 0 || a.ICETCPPort > 65535 {
		bad("admin.ice_tcp_port", "%d: want 0 (off) or a port", a.ICETCPPort)
	} else if a.ICETCPPort != 0 && a.ICETCPPort == listenPort {
		bad("admin.ice_tcp_port", "%d is the admin listener's own port", a.ICETCPPort)
	}
	turn := false
	for _, u := range a.ICEServers {
		scheme, rest, _ := strings.Cut(u, ":")
		switch {
		case rest == "":
			bad("admin.ice_servers", "%q: want stun:host:port or turn:host:port", u)
		case scheme == "turn" || scheme == "turns":
			turn = true
		case scheme != "stun" && scheme != "stuns":
			bad("admin.ice_servers", "%q: scheme %q, want stun, stuns, turn or turns", u, scheme)
		}
	}
	if turn && (a.ICEUsername == "" || a.ICECredentialFile == "") {
		bad("admin.ice_username", "TURN servers need admin.ice_username and admin.ice_credential_file")
	}
	if a.ICECredentialFile != "" {
		checkSecretFile(a.ICECredentialFile, func(format string, args ...any) { bad("admin.ice_credential_file", format, args...) })
	}
	if a.ViewerTimeout < 2*time.Second || a.ViewerTimeout > 5*time.Minute {
		bad("admin.viewer_timeout", "%s: want 2s to 5m", a.ViewerTimeout)
	}
	if a.AuditLog != "" && !filepath.IsAbs(a.AuditLog) {
		bad("admin.audit_log", "%q: must be an absolute path", a.AuditLog)
	}
}
