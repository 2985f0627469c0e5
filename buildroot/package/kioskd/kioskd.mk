################################################################################
#
# kioskd
#
################################################################################

# The image carries the code of the working tree this external tree lives in,
# so `make kioskd-rebuild` picks up an edit without a release or a tarball.
KIOSKD_SITE = $(BR2_EXTERNAL_IDKIOSK_PATH)/..
KIOSKD_SITE_METHOD = local
KIOSKD_GOMOD = github.com/idkiosk/idkiosk
KIOSKD_BUILD_TARGETS = cmd/kioskd cmd/kioskctl
KIOSKD_DEPENDENCIES = host-pkgconf libvpx

# Build output, caches and any Buildroot output directory kept inside the
# repository are not sources; vendor/ is always regenerated below.
KIOSKD_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /bin --exclude /.cache --exclude /.run \
	--exclude /buildroot --exclude /vendor

KIOSKD_DESCRIBE = $(shell git -C $(KIOSKD_SITE) describe --always --dirty 2>/dev/null || echo unknown)
KIOSKD_LDFLAGS = -X main.version=$(KIOSKD_DESCRIBE)

# go4vl v0.5.0 names two pixel formats that kernel headers before about 6.5
# lack; these are their v4l2_fourcc values, as in the repository's Makefile.
# Newer headers define them again with the same value, which is harmless.
KIOSKD_GO_ENV = \
	CGO_CFLAGS="$(subst -g3,-g2,$(TARGET_CFLAGS)) \
		-DV4L2_PIX_FMT_AV1_FRAME=0x46315641 \
		-DV4L2_PIX_FMT_P012=0x32313050" \
	PKG_CONFIG="$(PKG_CONFIG_HOST_BINARY)"

# The local site method skips Buildroot's download step, and with it the
# `go mod vendor` the golang infrastructure runs there. So the modules go
# into a module cache in DL_DIR: `make kioskd-source` (or `make source`) on a
# machine with internet fills it, and every build vendors from it offline.
# The cache also holds the pigo cascade, which vendoring would leave out.
KIOSKD_GOMODCACHE = $(KIOSKD_DL_DIR)/gomodcache
KIOSKD_GOPROXY ?= https://proxy.golang.org,direct
KIOSKD_MODULES_ENV = \
	$(HOST_GO_COMMON_ENV) \
	GOMODCACHE="$(KIOSKD_GOMODCACHE)" \
	GOFLAGS="-mod=mod -modcacherw"

# go4vl's cgo preamble adds -I/usr/include, the build machine's headers;
# Buildroot's toolchain wrapper rightly refuses it when cross-compiling. The
# toolchain's sysroot has the target's V4L2 headers, so drop the flag, and
# stop if any other vendored module points at the build machine.
define KIOSKD_VENDOR_MODULES
	cd $(@D) && $(KIOSKD_MODULES_ENV) GOPROXY=off $(GO_BIN) mod vendor
	$(SED) '/^#cgo linux CFLAGS: -I\/usr\/include$$/d' \
		$(@D)/vendor/github.com/vladimirvivien/go4vl/v4l2/cgo.go
	if grep -rnE '^#cgo .*-[IL] ?/usr/(local/)?(include|lib)' $(@D)/vendor; then \
		echo "kioskd: a vendored module uses build-machine headers or libraries" >&2; \
		exit 1; \
	fi
endef
KIOSKD_PRE_CONFIGURE_HOOKS += KIOSKD_VENDOR_MODULES

define KIOSKD_INSTALL_FACE_CASCADE
	$(INSTALL) -D -m 0644 \
		"$$(cd $(@D) && $(KIOSKD_MODULES_ENV) GOPROXY=off \
			$(GO_BIN) list -m -f '{{.Dir}}' github.com/esimov/pigo)/cascade/facefinder" \
		$(TARGET_DIR)/usr/share/idkiosk/facefinder
endef
KIOSKD_POST_INSTALL_TARGET_HOOKS += KIOSKD_INSTALL_FACE_CASCADE

$(eval $(golang-package))

# Fetch the modules go.mod names; `go mod download` verifies each against
# go.sum and does not touch the network for modules already in the cache.
$(KIOSKD_GOMODCACHE)/.stamp_downloaded: $(KIOSKD_SITE)/go.mod $(KIOSKD_SITE)/go.sum | host-go
	@echo ">>> kioskd Go modules into $(KIOSKD_GOMODCACHE)"
	mkdir -p $(KIOSKD_GOMODCACHE)
	cd $(KIOSKD_SITE) && $(KIOSKD_MODULES_ENV) GOPROXY="$(KIOSKD_GOPROXY)" \
		$(GO_BIN) mod download
	touch $@

kioskd-source: $(KIOSKD_GOMODCACHE)/.stamp_downloaded
$(KIOSKD_TARGET_CONFIGURE): $(KIOSKD_GOMODCACHE)/.stamp_downloaded
