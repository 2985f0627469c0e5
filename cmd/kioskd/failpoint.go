package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// failpointEnv names a point at which kioskd kills itself with SIGKILL, as
// a power cut would: "after-seal", "after-commit-before-answer",
// "after-send-before-answer", "after-2xx-before-delete", "mid-compaction".
// "name:N" fires on the N-th time the point is reached (default 1). Only
// the crash test sets it.
const failpointEnv = "IDKIOSK_FAILPOINT"

// failpointFromEnv returns the function the parts call at their named
// points, or nil when the variable is unset (every part treats nil as "no
// failpoints", so production pays one nil check per point).
func failpointFromEnv(log *slog.Logger) (func(string), error) {
	name, n, err := pointFromEnv(failpointEnv)
	if name == "" || err != nil {
		return nil, err
	}
	var hits atomic.Int64
	log.Warn("failpoint armed: kioskd will kill itself", "point", name, "hit", n)
	return func(point string) {
		if point != name || hits.Add(1) != n {
			return
		}
		log.Warn("failpoint reached: SIGKILL", "point", point)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is not delivered synchronously; never return
	}, nil
}

// pointFromEnv reads a test-only point from the environment variable env:
// "name" or "name:N", the N-th time the point is reached (default 1).
// An unset variable gives "".
func pointFromEnv(env string) (name string, n int64, err error) {
	spec := os.Getenv(env)
	if spec == "" {
		return "", 0, nil
	}
	name, nth, _ := strings.Cut(spec, ":")
	n = 1
	if nth != "" {
		if n, err = strconv.ParseInt(nth, 10, 64); err != nil || n < 1 {
			return "", 0, fmt.Errorf("%s=%q: want name or name:N with N >= 1", env, spec)
		}
	}
	return name, n, nil
}
