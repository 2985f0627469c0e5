package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// unitFile is the one copy of kioskd's systemd unit: the image installs it
// from the Buildroot tree's overlay.
const unitFile = "../../buildroot/board/common/rootfs-overlay/usr/lib/systemd/system/kioskd.service"

// TestUnitFile_MatchesWhatKioskdDoes keeps the unit and the daemon in step:
// the notify protocol kioskd speaks (notify.go), a watchdog it can feed,
// a stop timeout above its own shutdown grace, and kioskd -config FILE.
func TestUnitFile_MatchesWhatKioskdDoes(t *testing.T) {
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	section := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && section == "Service" && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	if keys["Type"] != "notify" {
		t.Errorf("Type=%s, want notify: kioskd sends READY=1 once it serves", keys["Type"])
	}
	if a := keys["NotifyAccess"]; a != "main" && a != "all" {
		t.Errorf("NotifyAccess=%s: kioskd's main process sends the notifications", a)
	}
	wd, err := time.ParseDuration(keys["WatchdogSec"])
	if err != nil || wd < 2*time.Second {
		t.Errorf("WatchdogSec=%s: want a duration of a few seconds or more (kioskd pings every half of it)", keys["WatchdogSec"])
	}
	stop, err := time.ParseDuration(keys["TimeoutStopSec"])
	if err != nil || stop <= shutdownGrace {
		t.Errorf("TimeoutStopSec=%s: want more than kioskd's shutdown grace (%s), or systemd kills a clean stop", keys["TimeoutStopSec"], shutdownGrace)
	}
	args := strings.Fields(keys["ExecStart"])
	if len(args) == 0 || !strings.HasSuffix(args[0], "/kioskd") {
		t.Fatalf("ExecStart=%s, want kioskd", keys["ExecStart"])
	}
	// main.go's only flag for serving is -config.
	if len(args) != 3 || args[1] != "-config" {
		t.Errorf("ExecStart=%s, want kioskd -config FILE", keys["ExecStart"])
	}
}
