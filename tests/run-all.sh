#!/usr/bin/env bash
# run-all.sh - every test suite, then the skipped tests by name and one line
# "N passed, N failed, N skipped".
#
# Suites: cmocka unit tests (plain and ASan/UBSan builds), the fuzz corpus,
# then node:test suites against the real binary: integration, sandbox,
# browser, cluster (a real redis-server, gateways and workers, each test
# skipped by name where redis-server is missing); then vm: the sandbox tests that need cgroups on a pure cgroup v2
# kernel in a virtual machine (tests/vm/run.sh; skipped, by name, where qemu
# or the kernel is missing).
# Environment: CODEROOM_BIN (default build/coderoom), ONLY=<suite> to run one.
set -uo pipefail
cd "$(dirname "$0")/.."
export CODEROOM_BIN=${CODEROOM_BIN:-$PWD/build/coderoom}
export CODEROOM_WEB_ROOT=${CODEROOM_WEB_ROOT:-$PWD/web/dist}
art=tests/artifacts
mkdir -p "$art"
passed=0 failed=0 skipped=0
skip_list=$art/skipped.txt
: >"$skip_list"

# The "ok ... # SKIP reason" lines of a TAP file, for the list at the end.
note_skips() { # file suite
  grep -E '^ *(not )?ok [0-9]*.*# SKIP' "$1" |
    sed -E "s/^ *(not )?ok [0-9]* *-? */$2: /" >>"$skip_list" || true
}

# cmocka writes a skipped test as "not ok N # SKIP name": a skip all the same.
count_tap() { # file -> adds its ok / not ok / skip lines to the totals
  local ok nok sk
  ok=$(grep -E '^ *ok [0-9]+' "$1" | grep -cv '# SKIP' || true)
  nok=$(grep -E '^ *not ok [0-9]+' "$1" | grep -cv '# SKIP' || true)
  sk=$(grep -cE '^ *(not )?ok [0-9]+.*# SKIP' "$1" || true)
  passed=$((passed + ok)); failed=$((failed + nok)); skipped=$((skipped + sk))
  note_skips "$1" "$(basename "$1" .tap)"
}

run_unit() {
  local dir=$1 t log
  for t in "$dir"/tests/test_*; do
    [ -x "$t" ] || continue
    log=$art/unit-$(basename "$dir")-$(basename "$t").tap
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
    local rc=$?
    cat "$log"
    count_tap "$log"
    # A crash before any TAP line must still count as a failure.
    if [ $rc -ne 0 ] && ! grep -qE '^ *not ok' "$log"; then
      echo "not ok - $t exited with $rc"; failed=$((failed + 1))
    fi
  done
}

run_node() { # suite dir
  local suite=$1 log=$art/$1.tap files
  files=$(ls tests/"$suite"/*.test.mjs 2>/dev/null) || return 0
  [ -n "$files" ] || return 0
  echo "== $suite"
  # shellcheck disable=SC2086
  node --test --test-reporter=tap --test-concurrency=1 $files >"$log" 2>&1
  local rc=$?
  grep -vE '^ *(# Subtest|duration_ms|\.\.\.|---|type:|1\.\.)' "$log" | grep -E '^ *(not )?ok |^# |error|Error' | head -400
  # node's TAP nests subtests; count the leaves only: every "ok"/"not ok"
  # line that is not followed by nested subtests. Simpler and exact: use the
  # summary lines node prints at the end.
  local p f sk td
  p=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  sk=$(grep -E '^# skipped [0-9]+' "$log" | tail -1 | awk '{print $3}')
  td=$(grep -E '^# todo [0-9]+' "$log" | tail -1 | awk '{print $3}')
  p=${p:-0} f=${f:-0} sk=${sk:-0} td=${td:-0}
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $suite suite exited with $rc"; tail -30 "$log"; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + sk + td))
  note_skips "$log" "$suite"
  grep -E '^ *ok [0-9]+.*# TODO' "$log" | sed -E "s/^ *ok [0-9]* *-? */$suite: /" >>"$skip_list" || true
}

# The cgroup v2 virtual machine: tests/vm/run.sh prints the guest's TAP
# and one "# vm-summary pass=N fail=N skip=N" line.
run_vm() {
  local log=$art/vm.tap rc line
  echo "== vm"
  tests/vm/run.sh >"$log" 2>"$art/vm.log"
  rc=$?
  grep -E '^ *(not )?ok |^# vm' "$log" | head -200
  line=$(grep -E '^# vm-summary ' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "not ok - vm suite ended without a summary (exit $rc)"; tail -30 "$art/vm.log"
    failed=$((failed + 1)); return
  fi
  local p f s
  p=$(sed -E 's/.*pass=([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*fail=([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*skip=([0-9]+).*/\1/' <<<"$line")
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - vm suite exited with $rc"; tail -30 "$art/vm.log"; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  note_skips "$log" vm
}

only=${ONLY:-}
if [ -z "$only" ] || [ "$only" = unit ]; then
  echo "== unit"
  run_unit build
  [ -d build-san/tests ] && run_unit build-san
fi
# The fuzz corpus, replayed once through plain (gcc + ASan/UBSan) builds of
# the fuzz targets: every seed and every past crash stays fixed.
if [ -z "$only" ] || [ "$only" = fuzz ]; then
  echo "== fuzz corpus"
  make -s --no-print-directory -C fuzz regress >"$art/fuzz.tap" 2>&1
  rc=$?
  grep -E '^(not )?ok ' "$art/fuzz.tap" | grep -v '^ok ' | head -20
  count_tap "$art/fuzz.tap"
  if [ $rc -ne 0 ] && ! grep -q '^not ok' "$art/fuzz.tap"; then
    echo "not ok - fuzz corpus build failed"; tail -20 "$art/fuzz.tap"; failed=$((failed + 1))
  fi
fi
for s in integration sandbox browser cluster; do
  if [ -z "$only" ] || [ "$only" = "$s" ]; then run_node "$s"; fi
done
if [ -z "$only" ] || [ "$only" = vm ]; then run_vm; fi

if [ -s "$skip_list" ]; then
  echo "== skipped"
  sed 's/^/  /' "$skip_list"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ $((passed + skipped)) -gt 0 ]
