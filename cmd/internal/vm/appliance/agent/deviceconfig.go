package agent

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// The image's paths (buildroot/README.md, "Enroll the device").
const (
	configLink     = "/etc/idkiosk/kioskd.toml" // -> /data/etc/idkiosk/kioskd.toml
	configTemplate = "/usr/share/idkiosk/kioskd.toml"
)

// writeDeviceConfig does step 1 of enrolling a device: the template with
// device.id, service.url and the launcher's keys set, written where the
// image's /etc/idkiosk/kioskd.toml points, then checked by kioskd itself.
// Root owns it, group kioskd, 0640: kioskd reads it and may not change it,
// and nobody else reads the staff PIN's hash in it.
func writeDeviceConfig(keys map[string]string) (string, error) {
	tmpl, err := os.ReadFile(configTemplate)
	if err != nil {
		return "", err
	}
	text := setTOML(string(tmpl), keys)
	dst, err := os.Readlink(configLink)
	if err != nil {
		return "", fmt.Errorf("the image links %s to the data partition: %w", configLink, err)
	}
	g, err := user.LookupGroup("kioskd")
	if err != nil {
		return "", fmt.Errorf("the image's kioskd group: %w", err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return "", fmt.Errorf("group kioskd: gid %q: %w", g.Gid, err)
	}
	if err := os.WriteFile(dst, []byte(text), 0o640); err != nil {
		return "", err
	}
	if err := os.Chown(dst, 0, gid); err != nil {
		return "", err
	}
	if err := os.Chmod(dst, 0o640); err != nil {
		return "", err
	}
	out, err := exec.Command("/usr/bin/kioskd", "-check-config", "-config", configLink).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("kioskd -check-config %s: %w\n%s", configLink, err, out)
	}
	return text, nil
}

// setTOML sets "section.key" = TOML literal in a TOML text, keeping its
// comments: an existing key's line is replaced, a new key goes at the top
// of its section, a new section at the end.
func setTOML(text string, keys map[string]string) string {
	lines := strings.Split(text, "\n")
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		section, key, _ := strings.Cut(k, ".")
		line := key + " = " + keys[k]
		cur, header, done := "", -1, false
		for i, l := range lines {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "[") {
				cur = strings.Trim(t, "[] ")
				if cur == section {
					header = i
				}
				continue
			}
			if cur == section {
				if name, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(name) == key {
					lines[i], done = line, true
					break
				}
			}
		}
		switch {
		case done:
		case header >= 0:
			lines = slices.Insert(lines, header+1, line)
		default:
			lines = append(lines, "", "["+section+"]", line)
		}
	}
	return strings.Join(lines, "\n")
}

// uiAddr is ui.listen of a kioskd config.
func uiAddr(text string) (string, error) {
	var c struct {
		UI struct {
			Listen string `toml:"listen"`
		} `toml:"ui"`
	}
	if err := toml.Unmarshal([]byte(text), &c); err != nil {
		return "", err
	}
	if c.UI.Listen == "" {
		return "", fmt.Errorf("%s sets no ui.listen", configLink)
	}
	return c.UI.Listen, nil
}
