#!/usr/bin/env bash
# run.sh - coderoom's benchmarks (make bench). Prints a table of figures and
# ratios against named baselines; never passes or fails on a number.
# Needs what `make bench` set up: build/coderoom, python3, tests/node_modules.
# TTYD=/path/to/ttyd adds ttyd as a baseline of the terminal benches (one on
# PATH is used too; Debian 12 has no package).
set -euo pipefail
cd "$(dirname "$0")/.."
export CODEROOM_BIN=${CODEROOM_BIN:-$PWD/build/coderoom}
export CODEROOM_WEB_ROOT=${CODEROOM_WEB_ROOT:-$PWD/web/dist}
# 10,000 idle connections need more descriptors than the usual soft limit
# (on the client side: the server raises its own).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
if [ ! -d tests/node_modules/ws ]; then
  echo "bench: tests/node_modules is missing (make bench installs it)" >&2
  exit 1
fi
# Per-run cost of the sandbox (a C program on the library, as root), with
# bubblewrap and a bare unshare as baselines, then runs per second with
# two per CPU at once; its JSON lines go to results/.
if [ "$(id -u)" = 0 ]; then
  echo "bench: sandbox per-run overhead..." >&2
  mkdir -p bench/results
  out=bench/results/sandbox-$(date -u +%Y-%m-%dT%H-%M-%SZ).jsonl
  if bench/sandbox-overhead.sh -j -n "${BENCH_SANDBOX_RUNS:-200}" >"$out.tmp"; then
    grep -v '^{' "$out.tmp"; grep '^{' "$out.tmp" >"$out"; echo
    export BENCH_SANDBOX_JSONL=$PWD/$out	# its rows join the final table
  else
    cat "$out.tmp"; echo "bench: sandbox-overhead failed" >&2
  fi
  rm -f "$out.tmp"
else
  echo "bench: sandbox overhead skipped (needs root)" >&2
fi
# The collab authority's cost per edit, per MiB of document, against a
# memcpy of the document and a UTF-8 walk of it (src/room/, no server).
echo "bench: collab apply..." >&2
if make --no-print-directory -s build/bench/collab-apply; then
  build/bench/collab-apply "${BENCH_COLLAB_MIB:-1}" || echo "bench: collab-apply failed" >&2
  echo
else
  echo "bench: collab-apply did not build" >&2
fi
# The terminal benches' client, the same loop against every target.
make --no-print-directory -s build/bench/term-client
exec node bench/run.mjs
