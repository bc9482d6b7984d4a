# MedicalCare auth backend: build, test, run.
#
#   make                 build common/libmedicalcare.a, cgi-bin/*.cgi and bin/*
#   make SAN=1           the same, with AddressSanitizer + UBSan, into build/san/
#   make test            unit + CGI tests, then the same suite under ASan+UBSan
#   make fuzz            build the libFuzzer harnesses (make fuzz-build) and run
#                        each for FUZZ_SECONDS (600)
#   make db              apply sql/ migrations to the configured database
#   make deb             the Debian package build/deb/medicalcare-auth_<VERSION>_<arch>.deb
#                        (deploy/build-deb.sh: dpkg-buildpackage, debhelper, lintian)
#   make bench           requests/s, latency, CPU and memory in FastCGI and CGI
#                        mode (tests/load/bench.sh, docs/BENCHMARKS.md);
#                        BENCH_SECONDS (10), BENCH_RUNS (3), BENCH_PEER_URL
#
# Objects go under $(B)/obj; programs built without SAN land in cgi-bin/ and bin/,
# where a web server and cron expect them.

CC      ?= cc
PKGS    := libpq json-c libcrypto libcurl libargon2 libxcrypt fcgi liboath
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# What a program maps at every start (docs/BENCHMARKS.md, "Plain CGI start"):
# json-c, and libargon2 linked in (its .a is position-independent). libcrypto,
# libpq, libcurl, libfcgi, libcrypt, libzxcvbn and liboath are not linked:
# common/lib<name>.c loads each when a program first calls it (lazy.h).
PKG_LIBS   := $(shell pkg-config --libs json-c) -l:libargon2.a
# make run and make configs build nothing themselves (run calls ./setup.sh,
# which installs the libraries and builds), so they work on a fresh machine.
ifeq ($(PKG_CFLAGS),)
ifneq ($(filter-out run configs,$(or $(MAKECMDGOALS),all)),)
$(error pkg-config could not find $(PKGS): run ./setup.sh)
endif
endif

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings -Wformat=2 -Wformat-security -Wvla -Wshadow \
        -Wpointer-arith -Wcast-qual -fno-common
HARDEN := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
HARDEN_LD := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
# A program records (DT_NEEDED) and maps at start only the libraries it calls.
LEAN_LD := -Wl,--as-needed

ifeq ($(SAN),1)
B       := build/san
OPT     := -O1 -g -fno-omit-frame-pointer \
           -fsanitize=address,undefined -fno-sanitize-recover=all
SANLD   := -fsanitize=address,undefined
CGIDIR  := $(B)/cgi-bin
BINDIR  := $(B)/bin
else
B       := build/rel
OPT     := -O2 -g
SANLD   :=
CGIDIR  := cgi-bin
BINDIR  := bin
endif

# -MMD -MP: the compiler writes beside each object (.d) the headers it
# included, so a changed header rebuilds only what includes it; a changed
# Makefile (flags) rebuilds every object.
DEPFLAGS    = -MMD -MP
CFLAGS_ALL  = -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(DEPFLAGS) -Icommon $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANLD) $(HARDEN_LD) $(LEAN_LD) $(LDFLAGS)
LIBS_ALL    = $(PKG_LIBS)

LIB_SRC  := $(sort $(wildcard common/*.c))
LIB_OBJ  := $(LIB_SRC:common/%.c=$(B)/obj/common/%.o)
LIB      := $(B)/libmedicalcare.a
CGI_SRC  := $(sort $(wildcard cgi-bin/*.c))
CGI_BIN  := $(CGI_SRC:cgi-bin/%.c=$(CGIDIR)/%.cgi)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(BINDIR)/medicalcare-%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all lib cgi tools unit test test-unit test-cgi test-san check-format format db run clean
.DEFAULT_GOAL := all

all: $(CGI_BIN) $(TOOL_BIN)
ifeq ($(SAN),1)
# openapi.cgi serves docs/openapi.json of the root above its cgi-bin/: the
# sanitizer build's programs find it through build/san/docs.
all: $(B)/docs
$(B)/docs:
	ln -sfn ../../docs $@
endif
lib: $(LIB)
cgi: $(CGI_BIN)
tools: $(TOOL_BIN)
unit: $(UNIT_BIN)

$(B)/obj/common/%.o: common/%.c Makefile | $(B)/obj/common
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/obj/cgi-bin/%.o: cgi-bin/%.c Makefile | $(B)/obj/cgi-bin
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(CGIDIR)/%.cgi: $(B)/obj/cgi-bin/%.o $(LIB) | $(CGIDIR)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS_ALL)

$(B)/obj/tools/%.o: tools/%.c Makefile | $(B)/obj/tools
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BINDIR)/medicalcare-%: $(B)/obj/tools/%.o $(LIB) | $(BINDIR)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS_ALL)

$(B)/obj/tests/%.o: tests/unit/%.c Makefile | $(B)/obj/tests
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/tests/%: $(B)/obj/tests/%.o $(LIB) | $(B)/tests
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS_ALL) $(shell pkg-config --libs cmocka)

# Objects are kept (not removed as intermediates): relinking after a change
# to the library compiles nothing again.
.SECONDARY:

$(B)/obj/common $(B)/obj/cgi-bin $(B)/obj/tools $(B)/obj/tests $(B)/tests $(CGIDIR) $(BINDIR):
	mkdir -p $@

# libFuzzer harnesses (fuzz/fuzz_*.c, see fuzz/README.md): the library built
# again with clang, ASan and UBSan and libFuzzer's coverage into build/fuzz/,
# apart from build/rel and build/san. `make fuzz` runs each for FUZZ_SECONDS
# (600) on FUZZ_JOBS (2) cores; new inputs go to build/fuzz/corpus-<name>/.
FUZZ_CC      ?= clang
FZ           := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -std=c17 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
                $(WARN) $(DEPFLAGS) -Wno-format-nonliteral -Icommon $(PKG_CFLAGS)
FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:fuzz/%.c=$(FZ)/%)
FUZZ_LIB     := $(FZ)/libmedicalcare.a
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 2

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BIN)

$(FZ)/obj/common/%.o: common/%.c Makefile | $(FZ)/obj/common
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(LIB_SRC:common/%.c=$(FZ)/obj/common/%.o)
	rm -f $@ && ar rcs $@ $^

$(FZ)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB) | $(FZ)/obj/common
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LIBS_ALL)

$(FZ)/obj/common:
	mkdir -p $@

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run.sh

# The whole test suite: normal build, then again under ASan+UBSan. First
# what it needs (tests/preflight.sh: stops at once, naming ./setup.sh).
test:
	@tests/preflight.sh
	@tests/check-format.sh
	tests/run.sh

test-unit: unit
	tests/run-unit.sh $(B)/tests

check-format:
	@tests/check-format.sh

format:
	clang-format -i common/*.c common/*.h cgi-bin/*.c tools/*.c tests/unit/*.c fuzz/*.c fuzz/*.h

db:
	sql/migrate.sh

# Serve the API on http://localhost:8000 with Apache until Ctrl-C, after
# ./setup.sh (idempotent, quick when all is there). PORT=8001 for another port.
run:
	./setup.sh --run

# Benchmarks (not tests): its own servers on free ports, about 10 minutes with
# the defaults; BENCH_PEER_URL and BENCH_PEER_MAIL_DIR add another server of
# the same API, interleaved, with the ratios (tests/load/bench.sh --help).
.PHONY: bench
bench: all
	BENCH_SECONDS=$(or $(BENCH_SECONDS),10) BENCH_RUNS=$(or $(BENCH_RUNS),3) tests/load/bench.sh --no-build

# The web server configurations as apache/render.sh makes them from
# apache/*.in and apache/routes.txt with this project's paths, into
# build/configs/ to read (for a deployment, run apache/render.sh with the
# server's own options: see apache/render.sh --help).
.PHONY: configs
configs:
	apache/render.sh vhost --out build/configs/vhost.conf
	apache/render.sh htaccess --out build/configs/htaccess
	apache/render.sh lighttpd --out build/configs/lighttpd.conf
	apache/render.sh local --out build/configs/local.conf

# The Debian package (debian/, deploy/build-deb.sh), from a copy of the
# sources in build/deb/src, checked with lintian.
.PHONY: deb
deb:
	deploy/build-deb.sh

clean:
	rm -rf build bin $(wildcard cgi-bin/*.cgi)

# The headers each object, program and test included when it was last built.
-include $(wildcard $(B)/obj/*/*.d $(FZ)/obj/common/*.d $(FZ)/*.d)
