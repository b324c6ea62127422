#!/usr/bin/env bash
# run-all.sh - every test suite, then one line "N passed, N failed, N skipped".
#
# Suites, in order (ONLY=<suite> runs one; ONLY="a b" several):
#   unit             cmocka tests, plain build (build/tests)
#   unit-san         the same, ASan/UBSan build (build-san/tests)
#   fuzz             the fuzz corpus replayed through ASan/UBSan builds
#   integration      node:test + real clients against build/coderoom
#   sandbox          hostile programs against build/coderoom
#   integration-san  integration against build-san/coderoom (ASan/UBSan);
#                    runs alongside integration when both are asked for
#   sandbox-san      sandbox against build-san/coderoom
#   browser          playwright-core + Debian's chromium
#   cluster          gateways and workers over a real redis-server, started
#                    by the tests (each skipped, by name, where redis-server
#                    is missing)
#   vm               the sandbox tests that need cgroups, on a pure cgroup
#                    v2 kernel in a virtual machine (tests/vm/run.sh;
#                    skipped, by name, where qemu or the kernel is missing)
#
# Counting: every TAP result line counts once: "ok" passed, "not ok"
# failed, a "# SKIP" or "# TODO" directive skipped (cmocka's skip(),
# node's skip and todo). A cmocka binary that exits 0 without results
# (a root-only test run as another user) counts as one skipped, named
# with the reason it printed. A suite that should run and reports nothing
# fails, and so does the run when a server exited unasked under any test
# (tests/lib/server.mjs logs it). Every skipped test is listed by name
# before the last line.
#
# Adding a suite: write a function that runs it with its TAP in a file
# under $art and calls count_tap (or run_node for node:test files), and
# add it to 'suites' below. Environment: CODEROOM_BIN (default
# build/coderoom), CODEROOM_SAN_BIN (default build-san/coderoom).
set -uo pipefail
cd "$(dirname "$0")/.."
export CODEROOM_BIN=${CODEROOM_BIN:-$PWD/build/coderoom}
export CODEROOM_WEB_ROOT=${CODEROOM_WEB_ROOT:-$PWD/web/dist}
SAN_BIN=${CODEROOM_SAN_BIN:-$PWD/build-san/coderoom}
art=tests/artifacts
mkdir -p "$art"
# tests/lib/server.mjs appends here when a server exits unasked (a crash)
rm -f "$art/server-exits.log"
passed=0 failed=0 skipped=0
skip_names=() fail_names=()

# count_tap SUITE FILE: adds FILE's TAP result lines (any indentation) to
# the totals. Prints the failures and skips. Returns the number of results.
count_tap() {
  local suite=$1 file=$2 line n=0 name not reason
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(not\ )?ok\ [0-9]+(\ -)?\ ?(.*)$ ]] || continue
    n=$((n + 1))
    not=${BASH_REMATCH[1]} name=${BASH_REMATCH[3]}
    if [[ $name =~ (^|[[:space:]])#[[:space:]]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])([[:space:]]+(.*))?$ ]]; then
      reason=${BASH_REMATCH[4]}
      name=${name%%#*}
      name=${name% }
      # cmocka writes "not ok 2 # SKIP test_name"
      [ -z "$name" ] && name=$reason reason=
      skipped=$((skipped + 1))
      skip_names+=("$suite: $name${reason:+ ($reason)}")
    elif [ -n "$not" ]; then
      failed=$((failed + 1))
      fail_names+=("$suite: $name")
      echo "not ok - $suite: $name"
    else
      passed=$((passed + 1))
    fi
  done <"$file"
  return $((n > 255 ? 255 : n))
}

fail_suite() { # suite why
  failed=$((failed + 1))
  fail_names+=("$1: $2")
  echo "not ok - $1: $2"
}

# A directory of cmocka binaries.
run_unit() {
  local suite=$1 dir=$2 t log rc n
  if ! ls "$dir"/tests/test_* >/dev/null 2>&1; then
    fail_suite "$suite" "no test binaries in $dir/tests (make unit${dir#build})"
    return
  fi
  for t in "$dir"/tests/test_*; do
    [ -x "$t" ] && [[ $t != *.d ]] || continue
    log=$art/$suite-$(basename "$t").tap
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
    rc=$?
    count_tap "$suite/$(basename "$t")" "$log"
    n=$?
    if [ $n = 0 ] && [ $rc = 0 ] && grep -qiE '^# (SKIP|skipped)' "$log"; then
      skipped=$((skipped + 1))
      skip_names+=("$suite/$(basename "$t"): $(grep -iE '^# (SKIP|skipped)' "$log" | head -1 | sed -E 's/^# (SKIP|skipped):? ?//')")
    elif [ $n = 0 ]; then
      fail_suite "$suite/$(basename "$t")" "exited $rc with no results"; tail -20 "$log"
    elif [ $rc -ne 0 ] && ! grep -qE '^ *not ok [0-9]+( -)? [^#]' "$log"; then
      # a crash after the last TAP line, or a group set-up that failed
      fail_suite "$suite/$(basename "$t")" "exited with $rc"; tail -20 "$log"
    fi
  done
}

# node_files DIR: its test files (none: empty).
node_files() { ls tests/"$1"/*.test.mjs 2>/dev/null; }
# node_tap SUITE DIR BIN: the node:test run itself, its TAP to $art/SUITE.tap.
node_tap() {
  # shellcheck disable=SC2046
  CODEROOM_BIN=$3 node --test --test-reporter=tap --test-concurrency=1 $(node_files "$2") >"$art/$1.tap" 2>&1
}

# node:test files of tests/DIR against the binary BIN. A suite started
# ahead (start_node, below) is only waited for and counted here.
declare -A node_pid=()
run_node() {
  local suite=$1 dir=$2 bin=$3 log=$art/$1.tap rc
  if [ -z "$(node_files "$dir")" ]; then fail_suite "$suite" "no test files in tests/$dir"; return; fi
  if [ ! -x "$bin" ]; then fail_suite "$suite" "no binary $bin (make${bin##*/build-san*} )"; return; fi
  echo "== $suite ($bin)"
  if [ -n "${node_pid[$suite]:-}" ]; then
    wait "${node_pid[$suite]}"
    rc=$?
    unset "node_pid[$suite]"
  else
    node_tap "$suite" "$dir" "$bin"
    rc=$?
  fi
  # passed and failed: node's own summary (suites are not tests); skipped:
  # every SKIP/TODO line, a skipped suite counting once (node's summary
  # leaves a skipped describe() out); names from the TAP lines
  local -A sum=()
  local k v
  while read -r _ k v; do sum[$k]=$v; done < <(grep -E '^# (tests|pass|fail|cancelled|skipped|todo) [0-9]+$' "$log")
  echo "   tests ${sum[tests]:-0}, pass ${sum[pass]:-0}, fail ${sum[fail]:-0}, cancelled ${sum[cancelled]:-0}, skipped ${sum[skipped]:-0}, todo ${sum[todo]:-0}"
  local p0=$passed f0=$failed
  count_tap "$suite" "$log"
  # what each failure said (its TAP diagnostics, cut short), so a failure
  # in CI can be read from the summary without the artefacts
  awk '/^not ok [0-9]+ - /{p=1; n=0; skip=0; print "   " $0; next}
       p && /^  \.\.\.$/{p=0}
       p && /^  [a-zA-Z_]+:/{skip = $1 ~ /^(duration_ms|location|failureType|code|stack):$/}
       p && !skip && n < 24 {print "   " $0; n++}' "$log"
  passed=$((p0 + ${sum[pass]:-0}))
  failed=$((f0 + ${sum[fail]:-0} + ${sum[cancelled]:-0}))
  if [ "${sum[tests]:-0}" = 0 ]; then fail_suite "$suite" "reported no tests"; tail -30 "$log"
  elif [ $rc -ne 0 ] && [ $failed = $f0 ]; then
    fail_suite "$suite" "node exited with $rc"; tail -30 "$log"
  fi
}

# start_node SUITE DIR BIN: the same node:test run, in the background;
# run_node SUITE then waits for it and counts it. Only for a suite whose
# tests share nothing with the one that runs meanwhile (each test starts
# its own servers, on ports and data dirs of their own): most of a node
# suite's time is spent waiting for timers and sockets, not on a CPU.
start_node() {
  [ -n "$(node_files "$2")" ] && [ -x "$3" ] || return 0	# run_node says why
  node_tap "$@" &
  node_pid[$1]=$!
}

suite_unit() { run_unit unit build; }
suite_unit_san() { run_unit unit-san build-san; }
suite_fuzz() {
  # The fuzz corpus, replayed once through plain (gcc + ASan/UBSan)
  # builds of the fuzz targets: every seed and every past crash stays fixed.
  echo "== fuzz corpus"
  make -s --no-print-directory -C fuzz regress >"$art/fuzz.tap" 2>&1
  local rc=$?
  count_tap fuzz "$art/fuzz.tap"
  local n=$?
  if [ $n = 0 ]; then fail_suite fuzz "the corpus replay reported nothing (exit $rc)"; tail -20 "$art/fuzz.tap"
  elif [ $rc -ne 0 ] && ! grep -q '^not ok' "$art/fuzz.tap"; then
    fail_suite fuzz "the corpus build failed"; tail -20 "$art/fuzz.tap"
  fi
}
# integration-san runs alongside integration when both are asked for.
suite_integration() {
  if selected integration-san; then san_env start_node integration-san integration "$SAN_BIN"; fi
  run_node integration integration "$CODEROOM_BIN"
}
suite_sandbox() { run_node sandbox sandbox "$CODEROOM_BIN"; }
# ASan keeps freed memory in quarantine (256 MiB by default), which the
# tests that watch the server's RSS would take for a leak; leaks are still
# reported at exit (and turn the exit code the tests check non-zero).
san_env() { ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=4:detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} "$@"; }
suite_integration_san() { san_env run_node integration-san integration "$SAN_BIN"; }
suite_sandbox_san() { san_env run_node sandbox-san sandbox "$SAN_BIN"; }
suite_browser() { run_node browser browser "$CODEROOM_BIN"; }
suite_cluster() { run_node cluster cluster "$CODEROOM_BIN"; }
# tests/vm/run.sh prints the guest's TAP and one
# "# vm-summary pass=N fail=N skip=N" line, which counts.
suite_vm() {
  local log=$art/vm.tap rc line p f s
  echo "== vm"
  tests/vm/run.sh >"$log" 2>"$art/vm.log"
  rc=$?
  line=$(grep -E '^# vm-summary ' "$log" | tail -1)
  if [ -z "$line" ]; then
    fail_suite vm "ended without a summary (exit $rc)"; tail -30 "$art/vm.log"; return
  fi
  p=$(sed -E 's/.*pass=([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*fail=([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*skip=([0-9]+).*/\1/' <<<"$line")
  local p0=$passed f0=$failed s0=$skipped
  count_tap vm "$log"	# for the names
  passed=$((p0 + p)); failed=$((f0 + f)); skipped=$((s0 + s))
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then fail_suite vm "exited with $rc"; tail -30 "$art/vm.log"; fi
}

suites=(unit unit-san fuzz integration sandbox integration-san sandbox-san browser cluster vm)
only=${ONLY:-}
selected() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
ran=0
for s in "${suites[@]}"; do
  if ! selected "$s"; then continue; fi
  ran=$((ran + 1))
  t0=$SECONDS
  "suite_${s//-/_}"
  echo "== $s: $((SECONDS - t0)) s"
done
[ $ran = 0 ] && fail_suite run-all "ONLY='$only' names no suite (${suites[*]})"
# A server that died under a test fails the run even where no test noticed.
if [ -s "$art/server-exits.log" ]; then
  echo "server exits:"
  sed 's/^/  /' "$art/server-exits.log"
  fail_suite run-all "$(grep -c '^\[test\] server ' "$art/server-exits.log") server(s) exited unasked ($art/server-exits.log)"
fi

if [ ${#skip_names[@]} -gt 0 ]; then
  echo "skipped:"
  printf '  %s\n' "${skip_names[@]}"
fi
if [ ${#fail_names[@]} -gt 0 ]; then
  echo "failed:"
  printf '  %s\n' "${fail_names[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
