package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestParse_AdminOffByDefault(t *testing.T) {
	_, valid := fixture(t)
	cfg, err := Parse("kioskd.toml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Admin.Listen != "" || cfg.Admin.Encoder != "vp8" || cfg.Admin.ICEUDPPort != 8443 {
		t.Errorf("admin defaults = %+v; want off, vp8, UDP 8443", cfg.Admin)
	}
	if got := cfg.AuditLogPath(); got != cfg.Device.DataDir+"/audit.jsonl" {
		t.Errorf("AuditLogPath = %q", got)
	}
}

func TestParse_Admin(t *testing.T) {
	dir, valid := fixture(t)
	turnPW := filepath.Join(dir, "turn.pw")
	if err := os.WriteFile(turnPW, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("kioskd.toml", []byte(valid+`
[admin]
listen = ":9443"
tokens = ["ops-alice:2:`+hashA+`", "fleet@example.org:10:`+strings.ToUpper(hashA)+`"]
bitrate_kbps = 800
ice_servers = ["stun:stun.example.org:3478", "turn:turn.example.org:3478?transport=udp"]
ice_username = "kiosk"
ice_credential_file = "`+turnPW+`"
viewer_timeout = "20s"
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	a := cfg.Admin
	if a.Listen != ":9443" || len(a.Tokens) != 2 || a.BitrateKbps != 800 || a.ViewerTimeout != 20*time.Second || len(a.ICEServers) != 2 {
		t.Errorf("admin = %+v", a)
	}
}

func TestParse_AdminProblems(t *testing.T) {
	dir, valid := fixture(t)
	world := filepath.Join(dir, "key.pem")
	os.WriteFile(world, []byte("x"), 0o644)
	const tok = `tokens = ["a:1:` + hashA + `"]` + "\n"
	tests := []struct {
		name  string
		extra string
		key   string
		msg   string
	}{
		{"no tokens", "", "admin.tokens", "required with admin.listen"},
		{"the token instead of its hash", `tokens = ["ops:1:my-secret-token"]` + "\n", "admin.tokens", "not the token"},
		{"no viewer limit", `tokens = ["ops:` + hashA + `"]` + "\n", "admin.tokens", "name:max_viewers:sha256-hex"},
		{"limit zero", `tokens = ["ops:0:` + hashA + `"]` + "\n", "admin.tokens", "want 1 to 100"},
		{"name twice", `tokens = ["ops:1:` + hashA + `", "ops:2:` + hashA + `"]` + "\n", "admin.tokens", "used twice"},
		{"cert without key", tok + `tls_cert = "/etc/ssl/certs/ca-certificates.crt"` + "\n", "admin.tls_cert", "both"},
		{"key readable by others", tok + `tls_cert = "` + world + `"` + "\ntls_key = \"" + world + `"` + "\n", "admin.tls_key", "readable by others"},
		{"unknown encoder", tok + `encoder = "av1"` + "\n", "admin.encoder", `want "vp8" or "h264-m2m"`},
		{"pass-through without an H.264 camera", tok + `encoder = "h264-passthrough"` + "\n", "admin.encoder", "needs a camera that delivers H.264"},
		{"m2m without a device", tok + "encoder = \"h264-m2m\"\nm2m_device = \"\"\n", "admin.m2m_device", "required"},
		{"bitrate too low", tok + "bitrate_kbps = 10\n", "admin.bitrate_kbps", "want 50 to 20000"},
		{"no UDP port", tok + "ice_udp_port = 0\n", "admin.ice_udp_port", "every session shares it"},
		{"ICE-TCP on the HTTPS port", tok + "ice_tcp_port = 9443\n", "admin.ice_tcp_port", "listener's own port"},
		{"TURN without credentials", tok + `ice_servers = ["turn:t.example.org"]` + "\n", "admin.ice_username", "TURN servers need"},
		{"http ICE server", tok + `ice_servers = ["http://stun.example.org"]` + "\n", "admin.ice_servers", "scheme"},
		{"viewer timeout too short", tok + "viewer_timeout = \"1s\"\n", "admin.viewer_timeout", "want 2s to 5m"},
		{"relative audit log", tok + `audit_log = "audit.jsonl"` + "\n", "admin.audit_log", "absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kioskd.toml", []byte(valid+"[admin]\nlisten = \":9443\"\n"+tt.extra))
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse error = %v, want *Problems", err)
			}
			if len(ps.List) != 1 || ps.List[0].Key != tt.key || !strings.Contains(ps.List[0].Msg, tt.msg) {
				t.Errorf("problems %v; want one for %s containing %q", err, tt.key, tt.msg)
			}
			if strings.Contains(err.Error(), "my-secret-token") {
				t.Errorf("the error repeats a token: %v", err)
			}
		})
	}
}
