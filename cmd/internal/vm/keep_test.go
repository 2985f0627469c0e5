package vm

import (
	"os"
	"slices"
	"testing"
)

// A checkout under /tmp must stay visible to the guest through its tmpfs,
// and nothing else of the host's /tmp.
func TestKeptUnderTmpfs(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"checkout outside tmp", Options{
			RunDir: "/work/repo/.cache/vm/runs/run-1", Kernel: &Kernel{Dir: "/work/repo/.cache/vm/kernel"},
			Command: []string{"/work/repo/.cache/vm/runs/run-1/x.test"},
		}, nil},
		{"checkout under tmp", Options{
			RunDir: "/tmp/clone/.cache/vm/runs/run-1", Kernel: &Kernel{Dir: "/tmp/clone/.cache/vm/kernel"},
			Dir: "/tmp/clone/cmd/kioskd", Command: []string{"/tmp/clone/.cache/vm/runs/run-1/x.test"},
		}, []string{"/tmp/clone"}},
		{"run dir and kernel in different tmpfs", Options{
			RunDir: "/var/tmp/r/run-1", Kernel: &Kernel{Dir: "/tmp/k"}, Command: []string{"sh"},
		}, []string{"/var/tmp/r", "/tmp/k"}},
		{"a name only looking like tmp", Options{
			RunDir: "/tmpfoo/run-1", Kernel: &Kernel{Dir: "/tmpfoo/k"}, Command: []string{"/bin/true"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keptUnderTmpfs(tt.o); !slices.Equal(got, tt.want) {
				t.Errorf("keptUnderTmpfs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTraversable(t *testing.T) {
	root := t.TempDir()
	open := root + "/open/inner"
	closed := root + "/closed/inner"
	for _, d := range []string{open, closed} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(root+"/closed", 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir  string
		want bool
	}{
		{open, traversable(root)}, // open below root: as root itself (t.TempDir's parents may be 0700)
		{closed, false},
		{closed + "/not-yet-made", false},
	}
	for _, tt := range tests {
		if got := traversable(tt.dir); got != tt.want {
			t.Errorf("traversable(%s) = %v, want %v", tt.dir, got, tt.want)
		}
	}
}
