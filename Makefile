# gw: an API gateway as a Unix toolkit.  Plain GNU make.
#
#   make            build/libcore.a and the programs in cmd/
#   make check      every test; the last line reads "N passed, N failed"
#   make asan       the same suite built with -fsanitize=address,undefined
#   make run        build and start the demo gateway on 127.0.0.1:8080
#   make install    PREFIX=/usr/local DESTDIR=
#
# The user's CFLAGS, CPPFLAGS, LDFLAGS, PREFIX and DESTDIR are respected.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
DATADIR	?= $(PREFIX)/share
MANDIR	?= $(DATADIR)/man
# With PREFIX=/usr the configuration lives in /etc (gw-serve.service also
# names it in ConfigurationDirectory=, which is always under /etc), and zsh
# completions go where Debian's zsh looks (its fpath has no
# /usr/share/zsh/site-functions); /usr/local/share/zsh/site-functions is in
# every zsh's fpath.
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
ZSHCOMPDIR ?= $(DATADIR)/zsh/vendor-completions
else
SYSCONFDIR ?= $(PREFIX)/etc
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
endif
UNITDIR	?= $(PREFIX)/lib/systemd/system
DOCDIR	?= $(DATADIR)/doc/gw

CC	?= cc
AR	?= ar
CFLAGS	?= -O2 -g
BUILD	?= build
SANITIZE ?=

PKGS	= libcurl json-c libsystemd openssl libxml-2.0 libxslt libexslt \
	  libpcre2-8 hiredis
LIBS_EXTRA = -lhttp_parser -lcrypt -lm
WARN	= -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual \
	  -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	  -Wwrite-strings -Wformat=2 -Wvla -Wdeclaration-after-statement \
	  -Wimplicit-fallthrough -fno-common

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
endif

ALL_CPPFLAGS = -D_GNU_SOURCE -Ilibcore $(PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) \
	       $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS  = -Wl,--as-needed $(SAN_FLAGS) $(LDFLAGS)
LDLIBS	     = $(PKG_LIBS) $(LIBS_EXTRA)

LIB_SRCS  := $(sort $(wildcard libcore/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TOOLS	  := $(patsubst cmd/%.c,%,$(sort $(wildcard cmd/gw-*.c)))
TOOL_BINS := $(TOOLS:%=$(BUILD)/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
UNIT_SRCS := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/fuzz/replay-%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)

MAN_PAGES := $(sort $(wildcard man/*.[1-9]))
SHELL_SCRIPTS := $(sort $(wildcard tests/e2e/*.sh tests/*.sh tests/load/*.sh \
		   scripts/*.sh \
		   bench/*.sh) .ci/run $(wildcard bench/proxy bench/gw-bench))

# keep objects of helpers, unit tests and replays between runs
.SECONDARY:

.PHONY: all check asan valgrind coverage fuzz fuzz-deps load lint run install \
	uninstall clean deps \
	unit e2e test-bins
.DEFAULT_GOAL := all

all: $(BUILD)/libcore.a $(TOOL_BINS)

$(BUILD)/libcore.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gw-%: $(BUILD)/cmd/gw-%.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

# Corpus replay: each fuzz target linked with a main() that feeds it files.
$(BUILD)/tests/fuzz/replay-%: $(BUILD)/tests/fuzz/%.o \
    $(BUILD)/tests/fuzz/replay.o $(BUILD)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/tests/fuzz/replay.o \
	    $(BUILD)/libcore.a $(LDLIBS)

test-bins: all $(HELPER_BINS) $(UNIT_BINS) $(REPLAY_BINS)

deps:
	@sh scripts/deps.sh check

# T=t1002 runs one e2e script; J= sets parallel jobs.
check: deps test-bins
	@BUILD=$(BUILD) T="$(T)" J="$(J)" GW_SANITIZE="$(SANITIZE)" \
	    sh tests/run.sh

asan:
	$(MAKE) BUILD=build-asan SANITIZE=address,undefined CFLAGS="-O1 -g" check

# Every unit test under valgrind's memcheck: no error, no leak.
valgrind: test-bins
	@fail=0; for t in $(UNIT_BINS); do \
	    if valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	        --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	        $$t >$(BUILD)/test-results/valgrind-$${t##*/}.out 2>&1; then \
	        echo "PASS valgrind $${t##*/}"; \
	    else echo "FAIL valgrind $${t##*/}"; \
	        tail -20 $(BUILD)/test-results/valgrind-$${t##*/}.out; fail=1; fi; \
	done; exit $$fail

# The load tests (tests/load/run.sh): minutes each, bounded in time and
# count, on 127.0.0.1; LOAD="hold slow chaos" picks some, LOAD_* tune them.
load: deps test-bins
	@BUILD=$(BUILD) sh tests/load/run.sh $(LOAD)

coverage:
	$(MAKE) BUILD=build-cov CFLAGS="-O0 -g --coverage" \
	    LDFLAGS="--coverage" check
	gcov -o build-cov/libcore libcore/*.c >/dev/null && \
	    mv *.gcov build-cov/ 2>/dev/null; true

# libFuzzer targets: make fuzz FUZZ_TIME=60 (seconds per target).
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 1
FUZZ_CC ?= clang
FUZZ_OBJS := $(LIB_SRCS:libcore/%.c=build-fuzz/obj/%.o)
fuzz-deps:
	@sh scripts/deps.sh fuzz

# One object per rule, so that make -j builds them side by side.
build-fuzz/obj/%.o: libcore/%.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) -std=c11 -g -O1 \
	    -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

build-fuzz/libcore.a: $(FUZZ_OBJS)
	rm -f $@ && $(AR) rcs $@ $(FUZZ_OBJS)

-include $(FUZZ_OBJS:.o=.d)

build-fuzz/fuzz-%: tests/fuzz/fuzz-%.c build-fuzz/libcore.a
	$(FUZZ_CC) $(ALL_CPPFLAGS) -std=c11 -g -O1 \
	    -fsanitize=fuzzer,address,undefined -o $@ $< \
	    build-fuzz/libcore.a $(LDLIBS)

fuzz: $(FUZZ_BINS)
	@FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) \
	    sh tests/fuzz/run.sh $(FUZZ_BINS)

lint: deps
	@BUILD=$(BUILD) LINT_ONLY=1 sh tests/run.sh

# The demo: a gateway on 127.0.0.1:8080 with routes that need no other service.
run: deps all
	@sh scripts/run-demo.sh $(BUILD)

# gw-serve is a daemon (gw-serve(8)): $(SBINDIR), as nginx and haproxy.
# Directories are made only for what goes in them.
XSLT	:= $(wildcard xslt/*.xsl)
AUDIT_RULES := $(wildcard audit/*.rules)
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	for t in $(filter-out gw-serve,$(TOOLS)); do \
	    install -m 755 $(BUILD)/$$t $(DESTDIR)$(BINDIR)/$$t || exit 1; done
	install -m 755 $(BUILD)/gw-serve $(DESTDIR)$(SBINDIR)/gw-serve
	for m in $(MAN_PAGES); do s=$${m##*.}; \
	    install -d $(DESTDIR)$(MANDIR)/man$$s && \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	install -d $(DESTDIR)$(DATADIR)/bash-completion/completions \
	    $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	for f in completions/bash/*; do install -m 644 $$f \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/ || exit 1; done
	for f in completions/zsh/*; do install -m 644 $$f \
	    $(DESTDIR)$(ZSHCOMPDIR)/ || exit 1; done
	for f in completions/fish/*; do install -m 644 $$f \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/ || exit 1; done
	install -d $(DESTDIR)$(UNITDIR)
	for f in systemd/*.socket systemd/*.service; do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    $$f >$(DESTDIR)$(UNITDIR)/$${f##*/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${f##*/} || exit 1; done
	install -d $(DESTDIR)$(DATADIR)/gw/examples
	$(if $(XSLT),install -d $(DESTDIR)$(DATADIR)/gw/xslt)
	$(if $(XSLT),install -m 644 $(XSLT) $(DESTDIR)$(DATADIR)/gw/xslt/)
	$(if $(AUDIT_RULES),install -d $(DESTDIR)$(DATADIR)/gw/audit)
	$(if $(AUDIT_RULES),install -m 644 $(AUDIT_RULES) \
	    $(DESTDIR)$(DATADIR)/gw/audit/)
	cp -R examples/. $(DESTDIR)$(DATADIR)/gw/examples/
	install -m 644 gw.schema.json $(DESTDIR)$(DATADIR)/gw/gw.schema.json

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	rm -f $(DESTDIR)$(SBINDIR)/gw-serve
	for m in $(MAN_PAGES); do s=$${m##*.}; \
	    rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in completions/bash/*; do \
	    rm -f $(DESTDIR)$(DATADIR)/bash-completion/completions/$${f##*/}; done
	for f in completions/zsh/*; do \
	    rm -f $(DESTDIR)$(ZSHCOMPDIR)/$${f##*/}; done
	for f in completions/fish/*; do \
	    rm -f $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$${f##*/}; done
	for f in systemd/*.socket systemd/*.service; do \
	    rm -f $(DESTDIR)$(UNITDIR)/$${f##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)/gw

clean:
	rm -rf build build-*

# the compiler's dependency files, and only those: a directory under
# $(BUILD) named *.d (a test's fish/vendor_completions.d) is not one
-include $(wildcard $(BUILD)/libcore/*.d $(BUILD)/cmd/*.d $(BUILD)/tests/*/*.d)
