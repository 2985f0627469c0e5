package config

import (
	"strings"
	"testing"
	"time"
)

func TestOps_Defaults(t *testing.T) {
	d := Default()
	if d.Heartbeat.Interval != time.Minute || d.Heartbeat.AdminURL != "" || d.Metrics.TokenSHA256 != "" {
		t.Errorf("defaults: heartbeat %+v, metrics %+v; want 1m, no admin URL, no metrics token", d.Heartbeat, d.Metrics)
	}
}

func TestOps_Problems(t *testing.T) {
	_, valid := fixture(t)
	for _, tt := range []struct {
		name, extra, key, msg string
	}{
		{"token not a hash", "[metrics]\ntoken_sha256 = \"s3cret-token-value\"\n", "metrics.token_sha256", "64 hex digits"},
		{"interval too short", "[heartbeat]\ninterval = \"1s\"\n", "heartbeat.interval", "want 5s to 1h0m0s"},
		{"admin url http", "[heartbeat]\nadmin_url = \"http://10.0.0.5:8443/\"\n", "heartbeat.admin_url", "https://"},
		{"admin url credentials", "[heartbeat]\nadmin_url = \"https://u:p@10.0.0.5/\"\n", "heartbeat.admin_url", "no credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kioskd.toml", []byte(valid+tt.extra))
			if err == nil || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want %s: ...%s...", err, tt.key, tt.msg)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret-token-value") {
				t.Errorf("the error echoes the token: %v", err)
			}
		})
	}
	cfg, err := Parse("kioskd.toml", []byte(valid+"[metrics]\ntoken_sha256 = \""+strings.Repeat("ab", 32)+"\"\n[heartbeat]\ninterval = \"30s\"\n"))
	if err != nil {
		t.Fatalf("a valid [metrics]/[heartbeat]: %v", err)
	}
	if cfg.Heartbeat.Interval != 30*time.Second {
		t.Errorf("heartbeat.interval = %s, want 30s", cfg.Heartbeat.Interval)
	}
}

func TestConfig_AdminURL(t *testing.T) {
	for _, tt := range []struct{ listen, set, want string }{
		{"", "", ""},
		{":8443", "", ""},
		{"0.0.0.0:8443", "", ""},
		{"10.0.0.5:8443", "", "https://10.0.0.5:8443/"},
		{"[fd00::5]:8443", "", "https://[fd00::5]:8443/"},
		{":8443", "https://kiosk-7.site.example:8443/", "https://kiosk-7.site.example:8443/"},
	} {
		c := Default()
		c.Admin.Listen, c.Heartbeat.AdminURL = tt.listen, tt.set
		if got := c.AdminURL(); got != tt.want {
			t.Errorf("listen %q, admin_url %q: AdminURL() = %q, want %q", tt.listen, tt.set, got, tt.want)
		}
	}
}
