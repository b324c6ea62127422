#!/usr/bin/env bash
# run.sh - coderoom's benchmarks (make bench). Prints a table of figures and
# ratios against named baselines; never passes or fails on a number.
# Needs what `make bench` set up: build/coderoom, python3, tests/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
export CODEROOM_BIN=${CODEROOM_BIN:-$PWD/build/coderoom}
export CODEROOM_WEB_ROOT=${CODEROOM_WEB_ROOT:-$PWD/web/dist}
# 1,000 idle connections need more descriptors than the usual soft limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
if [ ! -d tests/node_modules/ws ]; then
  echo "bench: tests/node_modules is missing (make bench installs it)" >&2
  exit 1
fi
exec node bench/run.mjs
