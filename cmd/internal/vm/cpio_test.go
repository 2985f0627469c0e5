package vm

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

type cpioEntryRead struct {
	name string
	mode uint32
	data string
}

// readCPIO parses a newc archive the way the kernel does.
func readCPIO(t *testing.T, b []byte) []cpioEntryRead {
	t.Helper()
	var out []cpioEntryRead
	off := 0
	field := func(i int) int {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+6+8*i+8]), 16, 32)
		if err != nil {
			t.Fatalf("field %d at %d: %v", i, off, err)
		}
		return int(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for {
		if off%4 != 0 || string(b[off:off+6]) != cpioMagic {
			t.Fatalf("no aligned magic at %d", off)
		}
		mode, size, nameSize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+nameSize-1])
		dataOff := align(off + 110 + nameSize)
		data := string(b[dataOff : dataOff+size])
		off = align(dataOff + size)
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Errorf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, cpioEntryRead{name, uint32(mode), data})
	}
}

func TestWriteCPIO(t *testing.T) {
	var buf bytes.Buffer
	err := writeCPIO(&buf, []cpioFile{
		{Name: "/init", Mode: 0o755, Data: []byte("#!/bin/sh\n")},
		{Name: "lib/vm-boot/9p.ko", Mode: 0o644, Data: []byte("abc")}, // odd sizes exercise padding
		{Name: "bin/sh", Link: "busybox"},
		{Name: "etc/mdev.conf", Mode: 0o644, Data: []byte("video[0-9]+ 0:44 660\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, buf.Bytes())
	want := []cpioEntryRead{
		{"bin", 0o040755, ""},
		{"bin/sh", 0o120000, "busybox"},
		{"etc", 0o040755, ""},
		{"etc/mdev.conf", 0o100644, "video[0-9]+ 0:44 660\n"},
		{"init", 0o100755, "#!/bin/sh\n"},
		{"lib", 0o040755, ""},
		{"lib/vm-boot", 0o040755, ""},
		{"lib/vm-boot/9p.ko", 0o100644, "abc"},
	}
	if len(got) != len(want) {
		t.Fatalf("archive has %d entries %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

const fakeModulesDep = `kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/net/9p/9pnet.ko:
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/media/common/v4l2-tpg/v4l2-tpg.ko:
kernel/drivers/media/test-drivers/vivid/vivid.ko: kernel/drivers/media/common/v4l2-tpg/v4l2-tpg.ko
kernel/a.ko: kernel/b.ko
kernel/b.ko: kernel/a.ko
`

func TestResolveModules(t *testing.T) {
	tests := []struct {
		names   []string
		want    []string
		wantErr string
	}{
		{[]string{"9p"}, []string{"kernel/net/9p/9pnet.ko", "kernel/fs/netfs/netfs.ko", "kernel/fs/fscache/fscache.ko", "kernel/fs/9p/9p.ko"}, ""},
		{[]string{"9pnet_virtio", "9p"}, []string{
			"kernel/net/9p/9pnet.ko", "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko", "kernel/net/9p/9pnet_virtio.ko",
			"kernel/fs/netfs/netfs.ko", "kernel/fs/fscache/fscache.ko", "kernel/fs/9p/9p.ko"}, ""},
		{[]string{"v4l2_tpg", "vivid"}, []string{"kernel/drivers/media/common/v4l2-tpg/v4l2-tpg.ko", "kernel/drivers/media/test-drivers/vivid/vivid.ko"}, ""},
		{[]string{"nosuch"}, nil, `"nosuch" is not in modules.dep`},
		{[]string{"a"}, nil, "cycle"},
	}
	for _, tt := range tests {
		got, err := resolveModules(strings.NewReader(fakeModulesDep), tt.names)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("resolve %v = %v, %v; want error %q", tt.names, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("resolve %v =\n %v, %v\nwant\n %v", tt.names, got, err, tt.want)
		}
	}
}

func TestShQuote(t *testing.T) {
	tests := map[string]string{
		"plain":       "'plain'",
		"it's":        `'it'\''s'`,
		"$HOME; rm *": "'$HOME; rm *'",
		"":            "''",
	}
	for in, want := range tests {
		if got := shQuote(in); got != want {
			t.Errorf("shQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
