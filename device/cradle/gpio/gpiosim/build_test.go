package gpiosim

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Without Debian's sources for the kernel, Module says which packages to
// install, and builds nothing.
func TestModule_NamesTheMissingPackages(t *testing.T) {
	dir := t.TempDir()
	_, err := Module(context.Background(), dir, "9.87.0-1-amd64", nil)
	if !errors.Is(err, ErrNoSources) {
		t.Fatalf("Module for a kernel with no sources: %v, want ErrNoSources", err)
	}
	if want := "apt-get install linux-source-9.87 linux-headers-9.87.0-1-amd64"; !strings.Contains(err.Error(), want) {
		t.Errorf("%v\ndoes not say %q", err, want)
	}
}
