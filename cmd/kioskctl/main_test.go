package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name     string
		answer   string
		code     int
		wantExit int
		wantOut  string
	}{
		{"healthy", `{"status":"ok","camera":"ok","queue":{"queued":2,"dead":0,"delivered":5}}`, 200, exitOK, "queued:     2"},
		{"degraded", `{"status":"degraded","camera":"disconnected","queue":{"queued":0,"dead":1,"delivered":0}}`, 200, exitProblem, "camera:     disconnected"},
		{"garbage", `<html>`, 200, exitNoAnswer, ""},
		{"server error", `{}`, 500, exitNoAnswer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.code)
				w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			var out, errOut bytes.Buffer
			got := run([]string{"status", "-addr", strings.TrimPrefix(srv.URL, "http://")}, &out, &errOut)
			if got != tt.wantExit {
				t.Errorf("exit = %d, want %d (stderr %q)", got, tt.wantExit, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tt.wantOut)
			}
		})
	}
}

func TestStatus_NoKiosk(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	var out, errOut bytes.Buffer
	if got := run([]string{"status", "-addr", addr}, &out, &errOut); got != exitNoAnswer {
		t.Errorf("exit = %d, want %d", got, exitNoAnswer)
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"frobnicate"}, &out, &errOut); got != exitUsage || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("exit = %d stderr %q, want usage and %d", got, errOut.String(), exitUsage)
	}
}
