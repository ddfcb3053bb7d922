# berth — build, test, install.
#
#   make                      every binary into build/
#   make check                unit, golden, manifest, fuzz-replay and verify tests
#   SANITIZE=address,undefined make check
#   make e2e                  booted-systemd end-to-end suite (tests/e2e/)
#   make install DESTDIR=… PREFIX=…
#   make deps                 install build and test dependencies (Debian packages)
#   make fuzz                 build the libFuzzer targets with clang
#   make bench                run the benchmarks under bench/
#   make demo                 deps + build + boot a test system running an example app
#   make test                 deps + check + e2e: the whole test suite (what CI runs)

PREFIX      ?= /usr
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec/berth
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
PODMAN      ?= /usr/bin/podman
RESTIC      ?= /usr/bin/restic

# systemd's own directories, relative to PREFIX (Debian 12's systemd.pc puts the
# system ones under an empty rootprefix, i.e. /lib/systemd; keep that for /usr).
ifeq ($(PREFIX),/usr)
ROOTPREFIX  ?= $(shell pkg-config --variable=rootprefix systemd 2>/dev/null)
else
ROOTPREFIX  ?= $(PREFIX)
endif
systemd_var  = $(shell pkg-config --define-variable=prefix=$(PREFIX) --define-variable=rootprefix=$(ROOTPREFIX) --variable=$(1) systemd)
SYSTEM_GENERATOR_DIR ?= $(call systemd_var,systemdsystemgeneratordir)
USER_GENERATOR_DIR   ?= $(call systemd_var,systemdusergeneratordir)
SYSTEM_UNIT_DIR      ?= $(call systemd_var,systemdsystemunitdir)
TMPFILES_DIR         ?= $(call systemd_var,tmpfilesdir)
SYSUSERS_DIR         ?= $(call systemd_var,sysusersdir)
DBUS_SYSTEM_SERVICES ?= $(DATADIR)/dbus-1/system-services
DBUS_SYSTEM_POLICY   ?= $(DATADIR)/dbus-1/system.d
POLKIT_ACTIONS       ?= $(DATADIR)/polkit-1/actions

CC      ?= cc
PKGS     = libsystemd yaml-0.1 json-c libsodium sqlite3 libarchive
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

B := build
ifneq ($(SANITIZE),)
B := build/sanitize
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
           -Wstrict-prototypes -Wno-unused-parameter -fstack-protector-strong \
           -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(SAN_FLAGS) -Isrc/lib $(PKG_CFLAGS) \
           -DBERTH_LIBEXECDIR='"$(LIBEXECDIR)"' -DBERTH_BINDIR='"$(BINDIR)"' \
           -DBERTH_PODMAN='"$(PODMAN)"' -DBERTH_RESTIC='"$(RESTIC)"'
LDFLAGS += $(SAN_FLAGS) -Wl,--as-needed
LDLIBS  += $(PKG_LIBS)

LIB_SRC   := $(sort $(wildcard src/lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
CLI_SRC   := $(sort $(wildcard src/berth/*.c))
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/%.o)
D_SRC     := $(sort $(wildcard src/berthd/*.c))
D_OBJ     := $(D_SRC:%.c=$(B)/%.o)
HELPERS   := $(patsubst helpers/%.c,$(B)/%,$(sort $(wildcard helpers/*.c)))
UNIT_TESTS:= $(patsubst tests/unit/%.c,$(B)/tests/%,$(sort $(wildcard tests/unit/test-*.c)))
# berth-generator's own malloc (generators/small_alloc.c); sanitizers bring theirs.
GEN_ALLOC := $(if $(SANITIZE),,$(B)/generators/small_alloc.o)
ifneq ($(SANITIZE),)
UNIT_TESTS:= $(filter-out $(B)/tests/test-small_alloc,$(UNIT_TESTS))
endif
BINS      := $(B)/berth $(B)/berth-generator $(HELPERS) $(if $(D_SRC),$(B)/berthd)
# Static units and D-Bus files name installed paths: made from *.in at build time.
UNITS_IN  := $(wildcard units/*.in dbus/*.in)
GEN_FILES := $(UNITS_IN:%.in=$(B)/%)

all: $(BINS) $(GEN_FILES)

$(B)/units/% $(B)/dbus/%: SUBST = sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g'
$(B)/units/%: units/%.in
	@mkdir -p $(dir $@)
	$(SUBST) $< > $@
$(B)/dbus/%: dbus/%.in
	@mkdir -p $(dir $@)
	$(SUBST) $< > $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libberth.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/berth: $(CLI_OBJ) $(B)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/berthd: $(D_OBJ) $(B)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/berth-generator: $(B)/generators/berth-generator.o $(GEN_ALLOC) $(B)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# It is malloc: the compiler must not turn its own code into calls of it.
$(B)/generators/small_alloc.o: CFLAGS += -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc -fno-builtin-free

$(B)/berth-%: $(B)/helpers/berth-%.o $(B)/libberth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libberth.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Linked with the generator's malloc, which it tests.
$(B)/tests/test-small_alloc: $(B)/generators/small_alloc.o

# The fuzz targets build as ordinary programs with a replay main for `make check`,
# and with clang's libFuzzer for `make fuzz`.
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/fuzz-*.c)))
$(B)/fuzz/%-replay: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libberth.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

FUZZ_CC ?= clang
fuzz: $(FUZZ_TARGETS:%=build/fuzz/%)
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc/lib $(PKG_CFLAGS) -DBERTH_LIBEXECDIR='"$(LIBEXECDIR)"' \
	  -DBERTH_BINDIR='"$(BINDIR)"' -DBERTH_PODMAN='"$(PODMAN)"' -DBERTH_RESTIC='"$(RESTIC)"' \
	  -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

check: all $(UNIT_TESTS) $(FUZZ_TARGETS:%=$(B)/fuzz/%-replay)
	@BUILD=$(B) LIBEXECDIR=$(LIBEXECDIR) tests/run-checks.sh

# Both flavours (podman 5 and podman 4.3) side by side; the lifecycle matrix twice.
e2e: all
	LIFECYCLE_ROUNDS=$${LIFECYCLE_ROUNDS:-2} tests/e2e/run.sh --flavour all --parallel

bench: all
	bench/run-all.sh

deps:
	tools/install-deps.sh

# Ordered: dependencies first, then the build, then the tests.
test:
	$(MAKE) deps
	$(MAKE) check
	$(MAKE) e2e

demo:
	$(MAKE) deps
	$(MAKE) all
	tools/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SYSTEM_GENERATOR_DIR) \
	  $(DESTDIR)$(USER_GENERATOR_DIR) $(DESTDIR)$(SYSTEM_UNIT_DIR) $(DESTDIR)$(TMPFILES_DIR) \
	  $(DESTDIR)$(SYSUSERS_DIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/berth $(DESTDIR)$(BINDIR)/berth
	install -m 0755 $(B)/berth-generator $(DESTDIR)$(SYSTEM_GENERATOR_DIR)/berth-generator
	install -m 0755 $(B)/berth-generator $(DESTDIR)$(USER_GENERATOR_DIR)/berth-generator
	$(foreach h,$(HELPERS) $(if $(D_SRC),$(B)/berthd),install -m 0755 $(h) $(DESTDIR)$(LIBEXECDIR)/$(notdir $(h));)
	$(foreach u,$(wildcard units/*.service units/*.slice units/*.target units/*.timer units/*.socket) $(filter $(B)/units/%,$(GEN_FILES)),install -m 0644 $(u) $(DESTDIR)$(SYSTEM_UNIT_DIR)/;)
	install -m 0644 tmpfiles.d/berth.conf $(DESTDIR)$(TMPFILES_DIR)/berth.conf
	install -m 0644 sysusers.d/berth.conf $(DESTDIR)$(SYSUSERS_DIR)/berth.conf
	$(foreach s,1 5 8,$(foreach m,$(wildcard man/*.$(s)),install -m 0644 $(m) $(DESTDIR)$(MANDIR)/man$(s)/;))
	$(if $(filter $(B)/dbus/%.service,$(GEN_FILES)),install -d $(DESTDIR)$(DBUS_SYSTEM_SERVICES) && install -m 0644 $(filter $(B)/dbus/%.service,$(GEN_FILES)) $(DESTDIR)$(DBUS_SYSTEM_SERVICES)/)
	$(if $(wildcard dbus/*.conf),install -d $(DESTDIR)$(DBUS_SYSTEM_POLICY) && install -m 0644 dbus/*.conf $(DESTDIR)$(DBUS_SYSTEM_POLICY)/)
	$(if $(wildcard dbus/*.policy),install -d $(DESTDIR)$(POLKIT_ACTIONS) && install -m 0644 dbus/*.policy $(DESTDIR)$(POLKIT_ACTIONS)/)

clean:
	rm -rf build

.PHONY: all check e2e bench deps install clean fuzz test demo
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
