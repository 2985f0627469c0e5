package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

const queueUsage = `  kioskctl queue list [-limit N] [-after SEQ] [-json]  queued profiles and dead letters
  kioskctl queue retry-dead (-all | ID-or-REFERENCE...)  requeue dead letters once the cause is fixed
  kioskctl queue export-dead -o FILE.tar                 copy dead letters (sealed) for the service
  kioskctl queue sync-now                                send everything queued now
    (each takes -socket PATH, or -config FILE to find it; default: kioskd's default)
`

// queueTimeout bounds one command; an export of a full queue of dead
// letters is the slowest (2 GB over a local socket: seconds).
const queueTimeout = 5 * time.Minute

func queueCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("queue "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "", "kioskd's control socket")
	cfgPath := fs.String("config", "", "kioskd's config file, to find the control socket")
	var run func(ctx context.Context, c *control.Client) int
	switch sub {
	case "list":
		limit := fs.Int("limit", 100, "list at most this many queued profiles")
		after := fs.Uint64("after", 0, "list queued profiles after this sequence number")
		asJSON := fs.Bool("json", false, "print kioskd's answer as JSON")
		run = func(ctx context.Context, c *control.Client) int {
			return queueList(ctx, c, *after, *limit, *asJSON, stdout, stderr)
		}
	case "retry-dead":
		all := fs.Bool("all", false, "requeue every dead letter")
		run = func(ctx context.Context, c *control.Client) int {
			return retryDead(ctx, c, *all, fs.Args(), stdout, stderr)
		}
	case "export-dead":
		out := fs.String("o", "", "write the archive (tar) to this file")
		run = func(ctx context.Context, c *control.Client) int {
			return exportDead(ctx, c, *out, stdout, stderr)
		}
	case "sync-now":
		run = func(ctx context.Context, c *control.Client) int {
			if err := c.SyncNow(ctx); err != nil {
				fmt.Fprintln(stderr, err)
				return exitNoAnswer
			}
			fmt.Fprintln(stdout, "every queued profile is due now")
			return exitOK
		}
	default:
		usage(stderr)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	path, err := socketPath(*socket, *cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), queueTimeout)
	defer cancel()
	return run(ctx, control.NewClient(path))
}

// socketPath is -socket, else the one -config names, else the default.
func socketPath(socket, cfgPath string) (string, error) {
	switch {
	case socket != "":
		return socket, nil
	case cfgPath != "":
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return "", err
		}
		return cfg.ControlSocket(), nil
	}
	cfg := config.Default()
	return cfg.ControlSocket(), nil
}

func queueList(ctx context.Context, c *control.Client, after uint64, limit int, asJSON bool, stdout, stderr io.Writer) int {
	l, err := c.QueueList(ctx, after, limit)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitNoAnswer
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(l)
		return exitOK
	}
	st := l.Stats
	fmt.Fprintf(stdout, "queued:     %d of %d (%s of %s)\n", st.Queued+st.Dead, st.MaxItems, mib(st.QueuedBytes+st.DeadBytes), mib(st.MaxBytes))
	fmt.Fprintf(stdout, "dead:       %d\ndelivered:  %d\n", st.Dead, st.Delivered)
	if len(l.Queued) > 0 {
		fmt.Fprintln(stdout, "\nwaiting for delivery, oldest first:")
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tREFERENCE\tCREATED\tSIZE\tATTEMPTS\tNEXT\tLAST ERROR")
		for _, it := range l.Queued {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", it.Seq, it.Reference, it.Created.Local().Format(time.DateTime),
				kib(it.Size), it.Attempts, it.NextAttempt.Local().Format(time.TimeOnly), oneLine(it.LastError))
		}
		tw.Flush()
		if l.More {
			fmt.Fprintf(stdout, "(more: kioskctl queue list -after %d)\n", l.Queued[len(l.Queued)-1].Seq)
		}
	}
	if len(l.Dead) > 0 {
		fmt.Fprintln(stdout, "\ndead letters (refused by the service; fix the cause, then retry-dead, or export-dead):")
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REFERENCE\tID\tDEAD SINCE\tATTEMPTS\tREASON")
		for _, d := range l.Dead {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.Reference, d.ID, d.DeadAt.Local().Format(time.DateTime), d.Attempts, oneLine(d.Reason))
		}
		tw.Flush()
	}
	return exitOK
}

func retryDead(ctx context.Context, c *control.Client, all bool, args []string, stdout, stderr io.Writer) int {
	if all == (len(args) > 0) {
		fmt.Fprintln(stderr, "retry-dead: give -all or the ids (or receipt references) to requeue, not both")
		return exitUsage
	}
	ids, err := resolveDead(ctx, c, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	n, err := c.RetryDead(ctx, ids...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if control.IsNotFound(err) {
			return exitProblem
		}
		return exitNoAnswer
	}
	fmt.Fprintf(stdout, "requeued %d profile(s)\n", n)
	return exitOK
}

// resolveDead turns receipt references (XXXX-XXXX, what a learner shows
// staff) into profile ids; full ids pass through.
func resolveDead(ctx context.Context, c *control.Client, args []string) ([]string, error) {
	var refs bool
	for _, a := range args {
		refs = refs || len(a) != 36
	}
	if !refs {
		return args, nil
	}
	l, err := c.QueueList(ctx, 0, 1)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range args {
		if len(a) == 36 {
			ids = append(ids, a)
			continue
		}
		found := ""
		for _, d := range l.Dead {
			if strings.EqualFold(d.Reference, a) {
				found = d.ID
			}
		}
		if found == "" {
			return nil, fmt.Errorf("retry-dead: no dead letter has reference %q", a)
		}
		ids = append(ids, found)
	}
	return ids, nil
}

// exportDead writes the archive to a temporary file next to out and
// renames it into place only once it is complete (its manifest arrived).
func exportDead(ctx context.Context, c *control.Client, out string, stdout, stderr io.Writer) int {
	if out == "" {
		fmt.Fprintln(stderr, "export-dead: -o FILE.tar is required")
		return exitUsage
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".export-*.tar")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	defer os.Remove(tmp.Name())
	err = c.ExportDead(ctx, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitNoAnswer
	}
	m, err := readManifest(tmp.Name())
	if err != nil {
		fmt.Fprintf(stderr, "export-dead: incomplete archive: %v\n", err)
		return exitProblem
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "exported %d dead letter(s) to %s (sealed: only the service can open them)\n", len(m.Profiles), out)
	return exitOK
}

// readManifest reads an export archive to its end and returns its
// manifest, checking that every envelope it lists is in the archive.
func readManifest(path string) (*control.ExportManifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	files := map[string]bool{}
	var m *control.ExportManifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Name != "manifest.json" {
			files[h.Name] = true
			continue
		}
		m = &control.ExportManifest{}
		if err := json.NewDecoder(tr).Decode(m); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
	}
	if m == nil {
		return nil, errors.New("no manifest.json")
	}
	for _, p := range m.Profiles {
		if !files[p.File] {
			return nil, fmt.Errorf("manifest lists %s, which is not in the archive", p.File)
		}
	}
	return m, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
func kib(n int64) string { return fmt.Sprintf("%d KiB", (n+1023)/1024) }

func oneLine(s string) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > 100 {
		return string(r[:97]) + "..."
	}
	return string(r)
}
