# idkiosk: the two commands are `make run` and `make test` (see README.md).
# Both install what they need on Debian 12 (as root) and are quick when it is
# already there.

SHELL      := /bin/bash
GO         ?= go
BIN        := bin
CACHE      := .cache
# Packages CI needs beyond Go: Chromium drives the browser end-to-end tests.
TEST_DEBS  := chromium
RUN_DEBS   :=

export GOFLAGS := -buildvcs=false
# go4vl v0.5.0 names two pixel formats newer than Debian 12's 6.1 kernel
# headers (linux-libc-dev); these are their v4l2_fourcc values ('A','V','1','F'
# and 'P','0','1','2'). Only go4vl's cgo reads them.
export CGO_CFLAGS := -O2 -g -DV4L2_PIX_FMT_AV1_FRAME=0x46315641 -DV4L2_PIX_FMT_P012=0x32313050

.PHONY: run test bench build vet deps-run deps-test clean

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The kiosk with a simulated camera and cradle, plus the reference
# verification service, on loopback. State lives in .run/ (git-ignored).
run: deps-run build
	$(BIN)/devstack -state .run -bin $(BIN)

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# Everything CI runs. IDKIOSK_E2E=require turns a missing browser into a
# failure instead of a skip, so CI can never pass without the browser tests.
test: deps-test vet
	IDKIOSK_E2E=require $(GO) test -race -count=1 -timeout 20m ./...

# Benchmarks; results go in BENCHMARKS.md with the machine and this command.
bench: build
	@mkdir -p $(CACHE)
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 30m ./... | tee $(CACHE)/bench.txt

deps-run:
	@./.ci/apt-ensure $(RUN_DEBS)

deps-test:
	@./.ci/apt-ensure $(TEST_DEBS)

clean:
	rm -rf $(BIN)
