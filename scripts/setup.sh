#!/usr/bin/env bash
# setup.sh - install whatever coderoom needs and is missing, and the
# service user 'coderoom'. Idempotent.
#
#   scripts/setup.sh            build + run dependencies (make run)
#   scripts/setup.sh --test     plus what the tests need (make test)
#   scripts/setup.sh --bench    plus the benchmark baselines (make bench)
#   scripts/setup.sh --languages  every toolchain of the language table
#                               (make languages; --test implies it)
#   scripts/setup.sh --fuzz     clang and its libFuzzer runtime (make fuzz)
#
# Debian packages come from apt (as root); npm packages from package-lock.json
# files, installed only when the lock file changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0 want_bench=0 want_langs=0 want_fuzz=0
for a in "$@"; do
  case "$a" in
    --test) want_test=1; want_langs=1 ;;
    --bench) want_test=1; want_bench=1 ;;
    --languages) want_langs=1 ;;
    --fuzz) want_fuzz=1 ;;
    *) echo "setup: unknown option '$a'" >&2; exit 2 ;;
  esac
done

# Build and run.
pkgs=(build-essential pkg-config libuv1-dev libwebsockets-dev
      libwebsockets-evlib-uv libjansson-dev libsqlite3-dev libhiredis-dev
      libseccomp-dev libcmocka-dev libssl-dev python3 procps ca-certificates)
# The tests: a real browser, real Redis, valgrind for the leak check.
[ "$want_test" = 1 ] && pkgs+=(chromium redis-server valgrind fonts-dejavu-core openssl)
# The cgroup v2 virtual machine (tests/vm/): qemu, a Debian kernel (only an
# image and modules under /boot and /lib/modules: the running system is
# not changed), busybox for the guest's init, strace to watch the
# spawner's clone3. The kernel package needs an initramfs tool: the host's
# own where it has one (tiny-initramfs conflicts with it), else
# tiny-initramfs (apt's first choice, initramfs-tools, pulls udev and
# upgrades systemd in a container).
if [ "$want_test" = 1 ]; then
  pkgs+=(qemu-system-x86 linux-image-amd64 busybox-static cpio strace)
  irt=
  for p in initramfs-tools dracut tiny-initramfs; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] && irt=$p
  done
  [ -n "$irt" ] || pkgs+=(tiny-initramfs)
fi
# The baselines the benchmarks compare against.
[ "$want_bench" = 1 ] && pkgs+=(bubblewrap)
# libFuzzer and the sanitizer runtimes.
[ "$want_fuzz" = 1 ] && pkgs+=(clang libclang-rt-14-dev)
# Every toolchain of the language table ("packages" of languages/*.json,
# Debian bookworm names). Slow the first time; make run installs none.
if [ "$want_langs" = 1 ]; then
  while read -r p; do [ -n "$p" ] && pkgs+=("$p"); done < <(
    sed -n 's/.*"packages": *\[\(.*\)\].*/\1/p' languages/*.json |
      tr -d '" ' | tr ',' '\n' | sort -u)
fi
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$s" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The service user the server runs as (never root, never nobody): a system
# account of its own, no home, no shell.
if ! getent passwd coderoom >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: the service user 'coderoom' is missing (run as root, or: useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin coderoom)" >&2
    exit 1
  fi
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin coderoom
  echo "setup: created the service user 'coderoom'"
fi

# npm packages, per lock file.
npm_install() {
  local dir=$1 stamp=$1/node_modules/.coderoom-lock
  [ -f "$dir/package-lock.json" ] || return 0
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    return 0
  fi
  echo "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
}
npm_install web
[ "$want_test" = 1 ] && npm_install tests

# promtool, the official parser of /metrics, from Debian's prometheus
# package: unpacked into build/tools, not installed (installing it would
# start a Prometheus server on the machine). Without it that test skips.
if [ "$want_test" = 1 ] && ! command -v promtool >/dev/null && [ ! -x build/tools/promtool ]; then
  tmp=$(mktemp -d)
  if (cd "$tmp" && { apt-get download -qq prometheus || { apt-get update -qq && apt-get download -qq prometheus; }; }) >/dev/null 2>&1 &&
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x" && [ -x "$tmp/x/usr/bin/promtool" ]; then
    mkdir -p build/tools
    cp "$tmp/x/usr/bin/promtool" build/tools/promtool
    echo "setup: unpacked promtool into build/tools"
  else
    echo "setup: could not fetch Debian's prometheus package for promtool; its test will skip" >&2
  fi
  rm -rf "$tmp"
fi
exit 0
