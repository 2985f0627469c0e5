package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

const statusUsage = `  kioskctl status [-json]                          health, queue, camera, cradle, service, disk, clock, audit
  kioskctl diagnose [-json]                        run the camera, cradle and service checks now
  kioskctl logs [-n N] [-level warn] [-json]       kioskd's recent log lines (no personal data)
  kioskctl keys [-json]                            this kiosk's keys and the service keys it pins
    (each takes -socket PATH, or -config FILE to find it; default: kioskd's default)
`

// status prints what staff mode shows. Exit: 0 healthy, 1 degraded.
func status(args []string, stdout, stderr io.Writer) int {
	fs, sf := socketCommand("status", stderr)
	return ask(fs, sf, args, stdout, stderr, (*control.Client).Status, printStatus,
		func(st control.Status) int { return exitFor(st.Health == "ok") })
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// alertText says what an alert means and what to do.
var alertText = map[string]string{
	"dead_letters": "%d profile(s) refused by the service: kioskctl queue list, then retry-dead or export-dead",
	"kiosk_full":   "no room for another profile: new learners are turned away until the queue drains",
}

func printStatus(w io.Writer, st control.Status) {
	d := st.Device
	fmt.Fprintf(w, "kiosk:      %s, version %s, enrolled with %s on %s\n", d.ID, d.Version, d.Service, day(d.Enrolled))
	fmt.Fprintf(w, "health:     %s\n", st.Health)
	for _, a := range st.Alerts {
		text, ok := alertText[a.Code]
		if !ok {
			text = a.Code
		} else if strings.Contains(text, "%d") {
			text = fmt.Sprintf(text, a.Count)
		}
		fmt.Fprintf(w, "  ! %s\n", text)
	}
	cam := st.Camera
	fmt.Fprintf(w, "camera:     %s (%s)", cam.State, cam.Driver)
	if cam.State == "ok" {
		fmt.Fprintf(w, ", %s %.1f fps", cam.Format, cam.FPS)
	}
	fmt.Fprintln(w)
	for _, ch := range cam.Checks {
		if ch.Status == "fail" || ch.Status == "warn" {
			fmt.Fprintf(w, "  %s  %s\n", strings.ToUpper(ch.Status), ch.Message)
		}
	}
	printCradle(w, st.Cradle)
	q := st.Queue
	fmt.Fprintf(w, "queue:      %d waiting", q.Queued)
	if q.Queued > 0 {
		fmt.Fprintf(w, " (oldest %s)", time.Duration(st.OldestAge*float64(time.Second)))
	}
	fmt.Fprintf(w, ", %d dead, %d delivered; room for %d profiles, %s\n", q.Dead, q.Delivered, q.MaxItems, mib(q.MaxBytes))
	for _, dl := range st.Dead[:min(len(st.Dead), 5)] {
		fmt.Fprintf(w, "  dead %s  %s  %s\n", dl.Reference, dl.DeadAt.Local().Format(time.DateTime), oneLine(dl.Reason))
	}
	u := st.Upload
	fmt.Fprint(w, "delivery:   ")
	if u.LastSuccess != nil {
		fmt.Fprintf(w, "last sent %s", u.LastSuccess.Local().Format(time.DateTime))
	} else {
		fmt.Fprint(w, "nothing sent since kioskd started")
	}
	if u.LastError != "" {
		fmt.Fprintf(w, "; last error: %s", oneLine(u.LastError))
	}
	fmt.Fprintln(w)
	printNetwork(w, st.Network, st.Time)
	printDisk(w, st.Disk)
	printClock(w, st.Clock)
	if len(st.Audit) > 0 {
		fmt.Fprintln(w, "audit (newest first):")
		for _, e := range st.Audit[:min(len(st.Audit), 8)] {
			fmt.Fprintf(w, "  %s  %-7s %s\n", e.Time.Local().Format(time.DateTime), e.Source, auditLine(e))
		}
	}
}

func printCradle(w io.Writer, c *control.Cradle) {
	switch {
	case c == nil:
		fmt.Fprintln(w, "cradle:     none fitted")
	case c.Status == "ok":
		fmt.Fprintf(w, "cradle:     ok (%s)\n", c.Driver)
	default:
		fmt.Fprintf(w, "cradle:     %s (%s): %s\n", c.Status, c.Driver, c.Message)
	}
}

func printNetwork(w io.Writer, n control.Network, now time.Time) {
	fmt.Fprint(w, "service:    ")
	switch {
	case n.Checked == nil:
		fmt.Fprintln(w, "not checked yet")
		return
	case n.Reachable:
		fmt.Fprintf(w, "answers (%d ms)", n.LatencyMS)
	default:
		fmt.Fprintf(w, "NOT REACHABLE: %s", n.Error)
	}
	fmt.Fprintf(w, ", checked %s ago\n", now.Sub(*n.Checked).Round(time.Second))
}

func printDisk(w io.Writer, d control.Disk) {
	if d.Error != "" {
		fmt.Fprintf(w, "disk:       %s: %s\n", d.Path, d.Error)
		return
	}
	fmt.Fprintf(w, "disk:       %s free of %s on %s", gib(d.FreeBytes), gib(d.TotalBytes), d.Path)
	if d.FreeBytes < d.MinFreeBytes {
		fmt.Fprintf(w, " (LOW: new learners need %s)", gib(d.MinFreeBytes))
	}
	fmt.Fprintln(w)
}

func printClock(w io.Writer, c control.Clock) {
	fmt.Fprintf(w, "clock:      %s", c.Now.Local().Format("2006-01-02 15:04:05 MST"))
	if c.Synced != nil {
		if *c.Synced {
			fmt.Fprint(w, ", NTP synchronised")
		} else {
			fmt.Fprint(w, ", NOT synchronised with NTP")
		}
	}
	if c.Skew != nil {
		fmt.Fprintf(w, ", %+.0f s from the service's clock", *c.Skew)
	}
	fmt.Fprintln(w)
}

func auditLine(e control.AuditEvent) string {
	var b strings.Builder
	b.WriteString(e.Event)
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	add("reason", e.Reason)
	add("photo", e.Kind)
	add("failed", strings.Join(e.Failed, ","))
	add("photos", strings.Join(e.Photos, ","))
	add("reference", e.Reference)
	if e.Failures > 0 {
		add("wrong_pins", fmt.Sprint(e.Failures))
	}
	if e.Until != nil {
		add("locked_until", e.Until.Local().Format(time.TimeOnly))
	}
	add("token", e.Token)
	add("from", e.Remote)
	if e.Seconds > 0 {
		add("seconds", fmt.Sprintf("%.0f", e.Seconds))
	}
	return b.String()
}

func day(t time.Time) string { return t.Local().Format(time.DateOnly) }

func gib(n uint64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
