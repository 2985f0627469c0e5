package appliance

import (
	"bytes"
	"context"
	"image"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/capture/simcam"
)

func TestYUYV(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	copy(img.Y, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	copy(img.Cb, []byte{10, 11})
	copy(img.Cr, []byte{20, 21})
	got := yuyv(img)
	want := []byte{1, 10, 2, 20, 3, 11, 4, 21, 5, 10, 6, 20, 7, 11, 8, 21}
	if !bytes.Equal(got, want) {
		t.Errorf("yuyv = %v, want %v", got, want)
	}
}

// Every scene is there at the size vivid's output takes, and its frames
// differ: a loop of identical frames would trip kioskd's frozen-camera
// check.
func TestWriteScenes(t *testing.T) {
	dir := t.TempDir()
	if err := writeScenes(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	size := SceneWidth * SceneHeight * 2
	for _, sc := range simcam.Scenes() {
		b, err := os.ReadFile(filepath.Join(dir, string(sc)+".yuyv"))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != SceneFrames*size {
			t.Fatalf("%s: %d bytes, want %d frames of %d", sc, len(b), SceneFrames, size)
		}
		if bytes.Equal(b[:size], b[size:2*size]) {
			t.Errorf("%s: frames 1 and 2 are identical", sc)
		}
	}
}

// The data disk is an ext4 file system labelled as the image's fstab
// expects, made once and then kept.
func TestEnsureDisk(t *testing.T) {
	if _, err := os.Stat(mkfsPath()); err != nil {
		t.Skip("mkfs.ext4 not installed (e2fsprogs)")
	}
	disk := filepath.Join(t.TempDir(), "data.img")
	if err := ensureDisk(context.Background(), disk); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("blkid", "-o", "export", disk).Output()
	if err != nil {
		t.Fatalf("blkid: %v", err)
	}
	for _, want := range []string{"LABEL=" + DataLabel, "TYPE=ext4"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("blkid says %q, want %s", out, want)
		}
	}
	if err := os.WriteFile(disk, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ensureDisk(context.Background(), disk); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(disk); string(b) != "kept" {
		t.Error("ensureDisk remade an existing disk")
	}
}

// Relay joins the socket qemu hands its command to a host service, and
// passes a half-close on: a request fully sent still gets its answer.
func TestRelay(t *testing.T) {
	svc, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	go func() {
		c, err := svc.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, _ := io.ReadAll(c) // until the guest's half-close
		c.Write(append([]byte("got "), req...))
	}()

	// qemu's side: a connected pair, one end given to the relay as stdin.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	guest, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer guest.Close()
	handed, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := handed.(*net.TCPConn).File()
	handed.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Relay(svc.Addr().String(), f) }()

	guest.Write([]byte("hello"))
	guest.(*net.TCPConn).CloseWrite()
	got, _ := io.ReadAll(guest)
	if string(got) != "got hello" {
		t.Errorf("answer %q, want %q", got, "got hello")
	}
	if err := <-done; err != nil {
		t.Errorf("Relay = %v", err)
	}
}

// A kiosk port that is taken, or that the guest uses itself, is refused
// before anything is prepared: the run directory of an appliance that may
// hold the port is left alone, and no page of another program is taken for
// the kiosk's.
func TestBoot_RefusesUnusableKioskPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	// Cancelled: should Boot go on past the check, it stops at the first
	// step that honours ctx instead of booting a guest.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name string
		port int
		want string
	}{
		{"taken on the host", taken.Addr().(*net.TCPAddr).Port, "in use"},
		{"the admin listener's", AdminPort, "admin or rig port"},
		{"the rig's", RigPort, "admin or rig port"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := t.TempDir()
			kept := filepath.Join(run, "guest.json")
			if err := os.WriteFile(kept, []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Boot(ctx, Options{
				Bin: t.TempDir(), Agent: "/nonexistent/vmstack", RunDir: run,
				Disk: filepath.Join(t.TempDir(), "data.img"), UIPort: tt.port,
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Boot with kiosk port %d = %v, want an error saying %q", tt.port, err, tt.want)
			}
			if _, err := os.Stat(kept); err != nil {
				t.Errorf("the run directory was emptied: %v", err)
			}
		})
	}
}
