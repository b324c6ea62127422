#!/usr/bin/env bash
# sandbox-overhead.sh - build bench/sandbox_overhead.c against the library
# (build/libcoderoom.a) and run it: per-run cost of the sandbox against bare
# fork+exec and bubblewrap. Needs root. Extra arguments go to the program
# (-n RUNS, -p MS between runs, -j).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="libwebsockets libuv jansson sqlite3 libseccomp libcrypto"
make --no-print-directory -s build/libcoderoom.a
mkdir -p build/bench
# shellcheck disable=SC2046
cc -O2 -g -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wwrite-strings -Wimplicit-fallthrough -Wno-unused-parameter -Isrc \
  $(pkg-config --cflags $PKGS) -Wl,-z,relro,-z,now -o build/bench/sandbox-overhead \
  bench/sandbox_overhead.c build/libcoderoom.a $(pkg-config --libs $PKGS) -lpthread
exec build/bench/sandbox-overhead "$@"
