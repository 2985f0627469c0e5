package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// logs prints kioskd's recent log records: one line each, time, level,
// message and the rest as key=value; -json prints them as kioskd wrote
// them, one JSON object a line.
func logs(args []string, stdout, stderr io.Writer) int {
	fs, sf := socketCommand("logs", stderr)
	n := fs.Int("n", 100, "print at most this many of the newest records")
	level := fs.String("level", "", "only records at this level or above: debug, info, warn, error")
	c, ctx, cancel, code := connect(fs, sf, args, stderr)
	if c == nil {
		return code
	}
	defer cancel()
	l, err := c.Logs(ctx, *n, *level)
	if err != nil {
		return failed(err, stderr)
	}
	if l.Dropped > 0 && !*sf.json {
		fmt.Fprintf(stdout, "(%d older records no longer kept; journalctl -u kioskd has them)\n", l.Dropped)
	}
	for _, r := range l.Records {
		if *sf.json {
			fmt.Fprintf(stdout, "%s\n", r)
			continue
		}
		fmt.Fprintln(stdout, logLine(r))
	}
	return exitOK
}

// logLine renders one slog JSON record for a person.
func logLine(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	var b strings.Builder
	if s, ok := m["time"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			s = t.Local().Format("2006-01-02 15:04:05.000")
		}
		b.WriteString(s + " ")
	}
	fmt.Fprintf(&b, "%-5v %v", m["level"], m["msg"])
	delete(m, "time")
	delete(m, "level")
	delete(m, "msg")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := m[k]
		if _, ok := v.(string); !ok {
			bv, _ := json.Marshal(v)
			v = string(bv)
		}
		fmt.Fprintf(&b, " %s=%v", k, v)
	}
	return b.String()
}
