package v4l2

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	vl "github.com/vladimirvivien/go4vl/v4l2"

	"github.com/idkiosk/idkiosk/capture"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error // nil: no capture error
	}{
		{"missing node", &os.PathError{Op: "open", Path: "/dev/video0", Err: syscall.ENOENT}, capture.ErrNoDevice},
		{"unplugged mid-stream (go4vl folds ENODEV)", fmt.Errorf("buffer dequeue: %w", vl.ErrorSystem), capture.ErrNoDevice},
		{"raw ENODEV", syscall.ENODEV, capture.ErrNoDevice},
		{"busy", fmt.Errorf("pix format failed: %w", syscall.EBUSY), capture.ErrBusy},
		{"permission", &os.PathError{Op: "open", Path: "/dev/video0", Err: syscall.EACCES}, capture.ErrNoPermission},
		{"EPERM", syscall.EPERM, capture.ErrNoPermission},
		{"bad argument", vl.ErrorBadArgument, nil},
	}
	all := []error{capture.ErrNoDevice, capture.ErrBusy, capture.ErrNoPermission}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify("open", "/dev/video0", tt.err)
			if !errors.Is(got, tt.err) {
				t.Errorf("classify lost the cause: %v", got)
			}
			for _, e := range all {
				if want := e == tt.want; errors.Is(got, e) != want {
					t.Errorf("classify(%v) = %v: errors.Is(%v) = %v, want %v", tt.err, got, e, !want, want)
				}
			}
		})
	}
}

// A missing device is reported as ErrNoDevice, which the Runner shows as
// "disconnected", and Stream returns at once.
func TestStream_MissingDevice(t *testing.T) {
	cam := New(Options{Device: filepath.Join(t.TempDir(), "video9")})
	err := cam.Stream(context.Background(), func(*capture.Frame) { t.Error("emit called") })
	if !errors.Is(err, capture.ErrNoDevice) {
		t.Fatalf("Stream = %v, want ErrNoDevice", err)
	}
	if got := capture.StateForError(err); got != capture.StateDisconnected {
		t.Errorf("state = %v, want disconnected", got)
	}
	if _, ok := cam.Format(); ok {
		t.Errorf("Format() ok before any negotiation")
	}
}

func TestLinks(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "dev")
	byID := filepath.Join(dir, "by-id")
	for _, d := range []string{dev, byID} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"video0", "video1", "video2"} {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name, target string) {
		if err := os.Symlink(target, filepath.Join(byID, name)); err != nil {
			t.Fatal(err)
		}
	}
	// udev writes relative links.
	mk("usb-Logitech_C920-video-index0", "../dev/video0")
	mk("usb-Logitech_C920-video-index1", "../dev/video1")
	mk("usb-Gone_Camera-video-index0", "../dev/video7") // dangling
	got := links(byID)
	video0, _ := filepath.EvalSymlinks(filepath.Join(dev, "video0"))
	if want := []string{filepath.Join(byID, "usb-Logitech_C920-video-index0")}; !slices.Equal(got[video0], want) {
		t.Errorf("links to video0 = %v, want %v", got[video0], want)
	}
	if len(got) != 2 {
		t.Errorf("links = %v, want video0 and video1 only (the dangling link skipped)", got)
	}
	if links(filepath.Join(dir, "missing")) != nil {
		t.Errorf("links of a missing dir is not nil")
	}
}
