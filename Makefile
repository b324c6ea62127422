# coderoom - build, run, test.
#
#   make run     install what is missing, build, start on http://127.0.0.1:8080
#   make test    the same set-up, then every test; ends with
#                "N passed, N failed, N skipped"
#   make soak    1,000 clients and runs for 10 minutes; nothing may grow
#   make bench   benchmarks against named baselines, printing ratios
#   make fuzz    libFuzzer targets for every parser that reads the network

VERSION := 0.1.0
CC      ?= cc
PKGS    := libwebsockets libuv jansson sqlite3 libseccomp openssl hiredis
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wwrite-strings -Wimplicit-fallthrough \
           -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu17 -D_GNU_SOURCE $(WARN) -Isrc -DCODEROOM_VERSION='"$(VERSION)"' \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP
# Full RELRO: the GOT is read-only, and every symbol is bound at start,
# once, so the processes the spawner forks for each run (inits, programs)
# resolve none lazily (ld.so's lookups were ~7% of a run's CPU there).
LDFLAGS += -Wl,-z,relro,-z,now
ifdef WERROR
CFLAGS  += -Werror
endif
ifdef SAN
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

B       := build$(if $(SAN),-san)
SRCS    := $(wildcard src/*.c src/*/*.c)
OBJS    := $(SRCS:%.c=$(B)/%.o)
LIBOBJS := $(filter-out $(B)/src/main.o,$(OBJS))
UNIT    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
# The collab authority in src/room/ (changeset, utext, collab) is pure
# (libc + jansson): the programs that use only it link only it, which also
# keeps it that way. (The rest of src/room/, the rooms, uses run/ and
# store/.)
ROOMOBJS := $(addprefix $(B)/src/room/,changeset.o utext.o collab.o)

.PHONY: all setup web run test unit bench fuzz format clean languages soak
all: $(B)/coderoom

$(B)/coderoom: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm -lpthread

$(B)/libcoderoom.a: $(LIBOBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libcoderoom.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libcoderoom.a \
		$(PKG_LIBS) -lcmocka -lm -lpthread

# The pure Socket.IO codecs on a JSON-lines pipe, for the conformance test
# against the official client's parsers (tests/integration/sio-codec).
$(B)/tests/sio_pipe: tests/lib/sio_pipe.c $(B)/libcoderoom.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libcoderoom.a \
		$(PKG_LIBS) -lpthread

# The C side of the differential tests against @codemirror/state and
# @codemirror/collab (tests/integration/collab-*.test.mjs).
$(B)/tests/collab_oracle: tests/lib/collab_oracle.c $(ROOMOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ROOMOBJS) -ljansson

unit: $(UNIT) $(B)/tests/sio_pipe $(B)/tests/collab_oracle

# bench/run.sh builds and runs them (make bench).
$(B)/bench/term-client: bench/term_client.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lutil

$(B)/bench/collab-apply: bench/collab_apply.c $(ROOMOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ROOMOBJS) -ljansson

# Debian packages, npm packages, the service user: scripts/setup.sh is
# idempotent and quick when nothing is missing.
setup:
	@scripts/setup.sh $(SETUP_FLAGS)

web: setup
	@cd web && npm run --silent build

run: setup web all
	@mkdir -p data
	exec ./$(B)/coderoom --listen 127.0.0.1:$${PORT:-8080} --data-dir ./data --web-root ./web/dist

# The sanitizer build (build-san/) runs the unit tests and, once more,
# the integration and hostile suites (tests/run-all.sh).
test: SETUP_FLAGS=--test
test: setup web
	@$(MAKE) --no-print-directory all unit WERROR=1
	@$(MAKE) --no-print-directory all unit SAN=1 WERROR=1
	@tests/run-all.sh

# Not part of 'make test': 1,000 WebSocket clients and runs through every
# API for SOAK_MINUTES (default 10), then checks nothing grew or leaked.
soak: SETUP_FLAGS=--test
soak: setup all
	@node tests/soak/soak.mjs

bench: SETUP_FLAGS=--bench
bench: setup web all
	@bench/run.sh

languages: setup
	@scripts/setup.sh --languages

fuzz: SETUP_FLAGS=--fuzz
fuzz: setup
	@$(MAKE) --no-print-directory -C fuzz run

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h tests/unit/*.c)

clean:
	rm -rf build build-san web/dist

-include $(OBJS:.o=.d) $(UNIT:=.d)
