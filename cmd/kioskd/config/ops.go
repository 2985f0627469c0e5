package config

import (
	"net"
	"net/url"
	"regexp"
	"time"
)

// Metrics configures the Prometheus endpoint, /metrics on the admin
// listener (cmd/kioskd/metrics.go).
type Metrics struct {
	TokenSHA256 string `toml:"token_sha256" doc:"SHA-256 (64 hex digits) of a bearer token that may read /metrics on the admin listener and nothing else, for a Prometheus server (authorization.credentials_file). Admin tokens may read it too. Empty: only admin tokens. /metrics exists only while the admin listener is on."`
}

// Heartbeat configures the kiosk's reports to the service's fleet page
// (cmd/kioskd/heartbeat.go).
type Heartbeat struct {
	Interval time.Duration `toml:"interval" doc:"Send a heartbeat (version, health, queue depth, camera state, checks) to the service this often. The fleet page marks a kiosk stale after missing a few."`
	AdminURL string        `toml:"admin_url" doc:"https:// URL at which fleet admins reach this kiosk's admin listener (its live preview), sent in each heartbeat for the fleet page's link. Empty: derived from admin.listen when that names an IP address, else no link."`
}

// defaultHeartbeat: once a minute is one small POST per kiosk per minute,
// and a kiosk that went dark shows on the fleet page within a few minutes.
func defaultHeartbeat() Heartbeat { return Heartbeat{Interval: time.Minute} }

var sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// validateOps checks the [metrics] and [heartbeat] keys.
func validateOps(c *Config, bad func(key, format string, args ...any)) {
	if t := c.Metrics.TokenSHA256; t != "" && !sha256Hex.MatchString(t) {
		// Never echo it: it may be the token itself.
		bad("metrics.token_sha256", "want the 64 hex digits of the token's SHA-256 (printf %%s \"$TOKEN\" | sha256sum), not the token")
	}
	within(bad, "heartbeat.interval", c.Heartbeat.Interval, 5*time.Second, time.Hour)
	if u := c.Heartbeat.AdminURL; u != "" {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil {
			bad("heartbeat.admin_url", "%q: want an https:// URL with a host and no credentials, e.g. \"https://10.0.0.5:8443/\"", u)
		}
	}
}

// AdminURL is where fleet admins reach the admin listener: heartbeat.admin_url,
// else https://<admin.listen>/ when the listener is on and bound to one
// address; "" when neither says.
func (c *Config) AdminURL() string {
	if c.Heartbeat.AdminURL != "" {
		return c.Heartbeat.AdminURL
	}
	if c.Admin.Listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(c.Admin.Listen)
	ip := net.ParseIP(host)
	if err != nil || ip == nil || ip.IsUnspecified() {
		return "" // ":8443" or "0.0.0.0:8443": the kiosk cannot tell which address admins use
	}
	return "https://" + net.JoinHostPort(host, port) + "/"
}
