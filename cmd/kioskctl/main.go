// Binary kioskctl is the operator's command line for a kiosk: what state it
// is in, whether its config is sound, its queue, and enrolling it with the
// verification service (enroll.go).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
)

// Exit codes scripts can rely on.
const (
	exitOK       = 0
	exitProblem  = 1 // the kiosk or the config has a problem
	exitUsage    = 2
	exitNoAnswer = 3 // kioskd did not answer
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "status":
		return status(args[1:], stdout, stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "queue":
		return queueCmd(args[1:], stdout, stderr)
	case "enroll":
		return enrollCmd(args[1:], stdout, stderr)
	}
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  kioskctl status [-addr 127.0.0.1:8080] [-json]   queue, camera and delivery state
  kioskctl check-config FILE                        every problem in a kioskd config
`+queueUsage+enrollUsage)
}

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "kioskd's UI address")
	asJSON := fs.Bool("json", false, "print kioskd's answer as JSON")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + *addr + "/healthz")
	if err != nil {
		fmt.Fprintf(stderr, "kioskd at %s: %v\n", *addr, err)
		return exitNoAnswer
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "kioskd at %s: status %d %v\n", *addr, resp.StatusCode, err)
		return exitNoAnswer
	}
	var h struct {
		Status string `json:"status"`
		Camera string `json:"camera"`
		Queue  struct {
			Queued, Dead, Delivered int
			Oldest                  *time.Time
		} `json:"queue"`
		Upload struct {
			LastError   string     `json:"last_error"`
			LastSuccess *time.Time `json:"last_success"`
		} `json:"upload"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		fmt.Fprintf(stderr, "kioskd at %s: unreadable answer: %v\n", *addr, err)
		return exitNoAnswer
	}
	if *asJSON {
		stdout.Write(body)
	} else {
		fmt.Fprintf(stdout, "status:     %s\ncamera:     %s\nqueued:     %d", h.Status, h.Camera, h.Queue.Queued)
		if h.Queue.Oldest != nil {
			fmt.Fprintf(stdout, " (oldest %s ago)", time.Since(*h.Queue.Oldest).Round(time.Second))
		}
		fmt.Fprintf(stdout, "\ndead:       %d\ndelivered:  %d\n", h.Queue.Dead, h.Queue.Delivered)
		if h.Upload.LastSuccess != nil {
			fmt.Fprintf(stdout, "last sent:  %s\n", h.Upload.LastSuccess.Local().Format(time.DateTime))
		}
		if h.Upload.LastError != "" {
			fmt.Fprintf(stdout, "last error: %s\n", h.Upload.LastError)
		}
	}
	if h.Status != "ok" {
		return exitProblem
	}
	return exitOK
}

func checkConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		usage(stderr)
		return exitUsage
	}
	if _, err := config.Load(args[0]); err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[0])
	return exitOK
}
