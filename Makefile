# idkiosk: the two commands are `make run` and `make test` (see README.md).
# Both install what they need on Debian 12 (as root) and are quick when it is
# already there.

SHELL      := /bin/bash
GO         ?= go
BIN        := bin
CACHE      := .cache
# Packages CI needs beyond Go: Chromium drives the browser end-to-end tests;
# libvpx-dev and pkg-config build the live preview's VP8 encoder (cgo).
TEST_DEBS  := chromium libvpx-dev pkg-config
# The cradle's VM test builds gpio-sim from Debian's sources for the kernel
# it boots (linux-headers-amd64: the current ABI, as linux-image-amd64).
TEST_DEBS  += linux-source-6.1 linux-headers-amd64
# The VM tests (cmd/internal/vm) boot Debian's kernel under qemu with a
# static busybox as init, run depmod on it (kmod), and drive vivid with
# v4l2-ctl; the camera benchmark compares with ustreamer. The initramfs is
# written in Go, so cpio is not needed.
VM_DEBS    := qemu-system-x86 busybox-static kmod v4l-utils ustreamer
TEST_DEBS  += $(VM_DEBS)
RUN_DEBS   := libvpx-dev pkg-config
# vpxenc (vpx-tools) is the VP8 encoder benchmark's reference.
BENCH_DEBS := chromium libvpx-dev pkg-config vpx-tools
BENCH_DEBS += $(VM_DEBS)

export GOFLAGS := -buildvcs=false
# go4vl v0.5.0 names two pixel formats newer than Debian 12's 6.1 kernel
# headers (linux-libc-dev); these are their v4l2_fourcc values ('A','V','1','F'
# and 'P','0','1','2'). Only go4vl's cgo reads them.
export CGO_CFLAGS := -O2 -g -DV4L2_PIX_FMT_AV1_FRAME=0x46315641 -DV4L2_PIX_FMT_P012=0x32313050

.PHONY: run test bench build vet deps-run deps-test deps-bench clean vmtest vm deps-vm

# kioskd loads pigo's face cascade from beside its binary: it ships inside
# pigo's Go module and is copied, never committed (quality.cascade).
build:
	$(GO) build -o $(BIN)/ ./cmd/...
	install -m 0644 "$$($(GO) list -m -f '{{.Dir}}' github.com/esimov/pigo)/cascade/facefinder" $(BIN)/facefinder

# The kiosk with a simulated camera and cradle, plus the reference
# verification service, on loopback. State lives in .run/ (git-ignored).
# CAMERA=/dev/v4l/by-id/... uses a real USB camera instead (README.md).
run: deps-run build
	$(BIN)/devstack -state .run -bin $(BIN) $(if $(CAMERA),-camera '$(CAMERA)')

# The virtual appliance: the kiosk in qemu on Debian's kernel, set up from
# the image's own overlays and units (buildroot/README.md, "make vm"), with
# vivid as the camera and gpio-sim as the cradle; verifyd on the host.
# Prints the URLs; state (the data disk, the service's data) in .run/vm.
VMRUN_DEBS := $(VM_DEBS) linux-source-6.1 linux-headers-amd64 e2fsprogs
vm: deps-vm build
	$(BIN)/vmstack -state .run/vm -bin $(BIN)

deps-vm:
	@./.ci/apt-ensure $(VMRUN_DEBS)

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# Everything CI runs. IDKIOSK_E2E=require turns a missing browser into a
# failure instead of a skip, so CI can never pass without the browser tests.
# IDKIOSK_VM=require does the same for the VM (hardware-in-the-loop) tests.
test: deps-test vet
	IDKIOSK_E2E=require IDKIOSK_VM=require $(GO) test -race -count=1 -timeout 20m ./...
	IDKIOSK_BUILDROOT=require buildroot/check.sh

# Only the tests that boot Debian's kernel under qemu (vivid camera, gpio-sim
# cradle); the kernel is downloaded once into .cache/vm.
vmtest: deps-test
	IDKIOSK_VM=require $(GO) test -count=1 -timeout 15m -v -run '^(TestVM_|TestVMAppliance_|TestCamera_)' ./cmd/...

# Benchmarks; results go in BENCHMARKS.md with the machine and this command.
bench: deps-bench build
	@mkdir -p $(CACHE)
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 30m ./... | tee $(CACHE)/bench.txt

deps-run:
	@./.ci/apt-ensure $(RUN_DEBS)

deps-test:
	@./.ci/apt-ensure $(TEST_DEBS)

deps-bench:
	@./.ci/apt-ensure $(BENCH_DEBS)

# The Buildroot tree (buildroot/, see buildroot/README.md): the health gate's
# rollback decisions, the A/B boot scripts in GRUB and U-Boot under qemu, and
# the kioskd.toml templates always; with BUILDROOT_DIR=/path/to/buildroot
# also Buildroot's check-package on every file and each defconfig loaded
# with the tree. Downloads nothing from Buildroot's mirrors.
BUILDROOT_DEBS := python3-magic shellcheck flake8 qemu-system-x86 qemu-system-arm \
	u-boot-qemu u-boot-tools grub-pc-bin genimage mtools dosfstools
# make test runs the tree's checks that need no Buildroot checkout.
TEST_DEBS += $(BUILDROOT_DEBS)
.PHONY: buildroot-check
buildroot-check:
	@./.ci/apt-ensure $(BUILDROOT_DEBS)
	BUILDROOT_DIR="$(BUILDROOT_DIR)" buildroot/check.sh

clean:
	rm -rf $(BIN)
