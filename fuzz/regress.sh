#!/usr/bin/env bash
# regress.sh BINDIR DIR TARGET... - replays DIR/<target>/* through the
# plain (non-libFuzzer) build of each target, one process per file, as TAP:
# "ok N - target file". Exit status 1 if any file failed.
set -u
cd "$(dirname "$0")"
bindir=$1 dir=$2; shift 2
total=0
for t in "$@"; do
	for f in "$dir/$t"/*; do [ -f "$f" ] && total=$((total + 1)); done
done
echo "1..$total"
n=0 failed=0
for t in "$@"; do
	for f in "$dir/$t"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if out=$("$bindir/$t" "$f" 2>&1); then
			echo "ok $n - $t $(basename "$f")"
		else
			echo "not ok $n - $t $(basename "$f")"
			printf '%s\n' "$out" | head -20 | sed 's/^/# /'
			failed=$((failed + 1))
		fi
	done
done
[ "$failed" -eq 0 ]
