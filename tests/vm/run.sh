#!/usr/bin/env bash
# run.sh - the sandbox tests that need cgroups, on a pure cgroup v2 kernel in
# a virtual machine (the vm suite of tests/run-all.sh). Prints the TAP of
# every test run inside the guest on stdout, then one line
# "# vm-summary pass=N fail=N skip=N" (progress on stderr); exits 0 when
# nothing failed.
#
#   tests/vm/run.sh                      the default set (TESTS, UNIT below)
#   VM_TESTS="tests/vm/cgroup2.test.mjs" VM_PATTERN=janitor VM_UNIT= tests/vm/run.sh
#   VM_ACCEL=tcg|kvm|auto (default auto)  VM_KEEP=1 (keep the work dir)
#   VM_CMD='cat /sys/fs/cgroup/cgroup.controllers' tests/vm/run.sh
#                                        a shell command instead of the tests
#
# What it does: builds an initramfs into a temporary directory (never the
# tree): Debian's busybox-static, the 9p/virtio modules of the installed
# Debian kernel (linux-image-amd64) with their dependencies in load order,
# tests/vm/init.sh as /init, tests/vm/guest.sh, and the few host /etc files
# the toolchains need (ld.so.cache, alternatives). Boots that kernel with
# qemu, the host's /usr and this repository shared read-only over 9p (the
# built binaries, languages/, the tests and their node_modules) and a
# writable 9p share of the work dir for the results; see guest.sh for the
# cgroup v2 set-up inside and service.sh for how each server starts. KVM is
# used when it boots the guest within VM_KVM_PROBE_S (on some hosts nested
# KVM crashes qemu or hangs right after the kernel is decompressed),
# otherwise software emulation (TCG), about 10x slower.
#
# Where qemu, the kernel, busybox-static or node is missing, or the guest
# cannot boot, it prints one "ok 1 - NAME # SKIP reason" line instead.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
REPO=$PWD
NAME='sandbox tests on a pure cgroup v2 kernel (qemu)'

# The default set: the hostile resource tests that need cgroups (memory,
# pids, CPU, kill of the whole tree, accounting), filtered by name, and the
# v2-only checks of tests/vm/cgroup2.test.mjs.
TESTS=${VM_TESTS-"tests/sandbox/resources.test.mjs tests/vm/cgroup2.test.mjs"}
# ... and the cmocka tests of the warm pool, whose groups are made ahead
# and get the run's limits at hand-out (built by make unit; the other
# cmocka sandbox tests assert wall times too tight for emulation).
UNIT=${VM_UNIT-"test_sandbox_warm"}
PATTERN=${VM_PATTERN-'^(fork bomb|thread bomb|memory bomb \(Python\)|infinite loop|SIGSTOP|double fork|cgroup v2)'}
ACCEL=${VM_ACCEL:-auto}
KVM_PROBE_S=${VM_KVM_PROBE_S:-20}
MEM=${VM_MEM:-2048}
SMP=${VM_SMP:-2}
TIMEOUT_S=${VM_TIMEOUT_S:-1500} # the whole guest run: a hang guard only

log() { echo "vm: $*" >&2; }
skip() {
	echo "ok 1 - $NAME # SKIP $*"
	echo "# vm-summary pass=0 fail=0 skip=1"
	log "skipped: $*"
	exit 0
}

# --- what we need ------------------------------------------------------
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (Debian: qemu-system-x86)"
[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
bb=/usr/bin/busybox
# The guest's first stage has no libc: Debian's busybox (not -static) is
# linked dynamically.
case "$([ -x "$bb" ] && LC_ALL=C ldd "$bb" 2>&1)" in
*'not a dynamic executable'*) ;;
*) skip "no static busybox at $bb (Debian: busybox-static)" ;;
esac
node=/usr/bin/node
[ -x "$node" ] || skip "no $node"
[ -x "$REPO/build/coderoom" ] || skip "build/coderoom not built (make all)"
# The newest kernel that has its modules installed, Debian's (-amd64) first.
kver=
for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' |
	awk '{ print (/-amd64$/ ? 0 : 1), $0 }' | sort -k1,1n -k2,2Vr | cut -d' ' -f2); do
	if [ -f "/lib/modules/$k/modules.dep" ]; then kver=$k; break; fi
done
[ -n "$kver" ] || skip "no kernel with modules in /boot and /lib/modules (Debian: linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || skip "$kernel is not readable"
moddir=/lib/modules/$kver

work=$(mktemp -d "${TMPDIR:-/tmp}/coderoom-vm.XXXXXX") || skip "mktemp failed"
qpid=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null
		sleep 1
		kill -9 "$qpid" 2>/dev/null
	fi
	[ -n "${VM_KEEP:-}" ] && { log "work dir kept: $work"; return; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the initramfs ---------------------------------------------------------
# Modules in load order: each one's dependencies (modules.dep lists them
# all, transitively) before it, each once.
declare -A seen=()
order=()
add_module() { # path relative to $moddir
	local m=$1 deps d
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	deps=$(awk -v m="$m:" '$1 == m { $1 = ""; print; exit }' "$moddir/modules.dep")
	for d in $deps; do add_module "$d"; done
	order+=("$m")
}
# Only modules: the config says what is built in (nothing to load then).
want_module() { # name, CONFIG_ symbol
	local name=$1 sym=$2 p
	if grep -q "^CONFIG_$sym=y" "/boot/config-$kver" 2>/dev/null; then return 0; fi
	p=$(awk -v n="/$name.ko" 'index($1, n ":") { sub(":", "", $1); print $1; exit }' "$moddir/modules.dep")
	[ -n "$p" ] || return 1
	add_module "$p"
}
# overlay: each run sees the host's /usr through an overlay of its own
for spec in virtio_pci:VIRTIO_PCI 9pnet_virtio:NET_9P_VIRTIO 9p:9P_FS overlay:OVERLAY_FS; do
	want_module "${spec%%:*}" "${spec#*:}" || skip "kernel $kver has no module ${spec%%:*}"
done
want_module virtio-rng HW_RANDOM_VIRTIO || true # entropy early (node's crypto)

ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,modules,hostetc} || skip "mkdir failed"
cp "$bb" "$ird/bin/busybox"
cp "$REPO/tests/vm/init.sh" "$ird/init"
cp "$REPO/tests/vm/guest.sh" "$ird/guest.sh"
chmod 755 "$ird/init" "$ird/guest.sh"
: >"$ird/modules/order"
for m in "${order[@]}"; do
	case "$m" in
	*.ko) cp "$moddir/$m" "$ird/modules/" ;;
	*.ko.xz) xz -dc "$moddir/$m" >"$ird/modules/$(basename "${m%.xz}")" ;;
	*.ko.zst) zstd -qdc "$moddir/$m" >"$ird/modules/$(basename "${m%.zst}")" ;;
	*) skip "unknown module format: $m" ;;
	esac || skip "cannot copy module $m"
	basename "${m%.xz}" | sed 's/\.zst$//' >>"$ird/modules/order"
done
# The host's /etc, only what programs under /usr look up there.
cp -a /etc/alternatives "$ird/hostetc/" 2>/dev/null
for f in ld.so.cache ld.so.conf ld.so.conf.d; do
	[ -e "/etc/$f" ] && cp -a "/etc/$f" "$ird/hostetc/"
done
cat >"$ird/hostetc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
coderoom:x:999:999:coderoom:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$ird/hostetc/group" <<'EOF'
root:x:0:
coderoom:x:999:
nogroup:x:65534:
EOF
# A shadow file, as every host has (the escape tests read its first line).
printf 'root:*:19000:0:99999:7:::\ncoderoom:!:19000::::::\nnobody:*:19000:0:99999:7:::\n' >"$ird/hostetc/shadow"
chmod 640 "$ird/hostetc/shadow"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$ird/hostetc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$ird/hostetc/nsswitch.conf"
{
	printf 'REPO=%q\n' "$REPO"
	printf 'UNIT=%q\n' "$UNIT"
	printf 'TESTS=%q\n' "$TESTS"
	printf 'PATTERN=%q\n' "$PATTERN"
	printf 'TIMEOUT_S=%q\n' "$TIMEOUT_S"
	printf 'CMD=%q\n' "${VM_CMD:-}"
} >"$ird/hostetc/vm.conf"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz" ||
	skip "cannot build the initramfs (cpio, gzip)"

# --- boot ----------------------------------------------------------------
mkdir -p "$work/results"
boot() { # accel -> starts qemu in the background, sets qpid
	local accel=$1 cpu=max
	[ "$accel" = kvm ] && cpu=host
	rm -f "$work/console.log" "$work/results/"*
	"$qemu" -accel "$accel" -machine q35 -cpu "$cpu" -m "$MEM" -smp "$SMP" \
		-display none -monitor none -serial "file:$work/console.log" \
		-no-reboot -nic none -device virtio-rng-pci \
		-kernel "$kernel" -initrd "$work/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init coderoom.accel=$accel" \
		-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on" \
		-virtfs "local,path=$REPO,mount_tag=repo,security_model=none,readonly=on" \
		-virtfs "local,path=$work/results,mount_tag=results,security_model=none" \
		</dev/null >"$work/qemu.log" 2>&1 &
	qpid=$!
}
# Wait until the console shows 'pattern' or qemu exits; 1 after 's' seconds.
wait_console() { # pattern seconds
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		grep -q "$1" "$work/console.log" 2>/dev/null && return 0
		kill -0 "$qpid" 2>/dev/null || { grep -q "$1" "$work/console.log" 2>/dev/null; return; }
		sleep 0.2
	done
	return 1
}
stop_qemu() {
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
}

accel=
if [ "$ACCEL" != tcg ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	log "booting $kernel with KVM"
	boot kvm
	if wait_console 'vm-init: started' "$KVM_PROBE_S"; then
		accel=kvm
	else
		log "KVM did not boot the guest within ${KVM_PROBE_S}s; using TCG"
		stop_qemu
	fi
fi
if [ -z "$accel" ]; then
	[ "$ACCEL" = kvm ] && skip "VM_ACCEL=kvm but KVM cannot boot the guest here"
	log "booting $kernel with TCG (software emulation)"
	boot tcg
	accel=tcg
	wait_console 'vm-init: started' 300 || {
		tail -20 "$work/console.log" >&2
		skip "the guest did not boot (TCG); console: $(tail -c 300 "$work/console.log" | tr -c '[:print:]' ' ')"
	}
fi
log "guest up ($accel); running ${VM_CMD:-$UNIT $TESTS}"
for ((i = 0; i < TIMEOUT_S; i++)); do
	kill -0 "$qpid" 2>/dev/null || break
	sleep 1
done
if kill -0 "$qpid" 2>/dev/null; then
	log "the guest did not power off within ${TIMEOUT_S}s: stopped"
	stop_qemu
fi
wait "$qpid" 2>/dev/null
qpid=
res=$work/results
console_tail() { sed 's/^/# /' "$work/console.log" | tail -40; }
if [ -n "${VM_CMD:-}" ]; then
	cat "$res/cmd.out" 2>/dev/null
	[ "$(cat "$res/rc" 2>/dev/null)" = 0 ]
	exit
fi
if [ -s "$res/fatal" ] || [ ! -s "$res/rc" ]; then
	if [ -s "$res/fatal" ]; then cat "$res/fatal"; else echo "not ok 1 - $NAME # the guest ended without results"; fi
	console_tail
	sed 's/^/# /' "$res/runner.log" 2>/dev/null | tail -20
	echo "1..1"
	echo "# vm-summary pass=0 fail=1 skip=0"
	exit 1
fi

# --- the results -------------------------------------------------------
# Every test's TAP as it came, then one summary line for run-all.sh:
#   # vm-summary pass=N fail=N skip=N
pass=0 fail=0 skipped=0
for t in $UNIT; do
	tap=$res/unit-$t.tap
	if [ ! -x "build/tests/$t" ]; then
		echo "ok - vm: $t # SKIP build/tests/$t not built (make unit)"
		skipped=$((skipped + 1))
		continue
	fi
	echo "# vm: build/tests/$t"
	if [ ! -f "$tap" ]; then
		echo "not ok - vm: $t did not run"
		fail=$((fail + 1))
		continue
	fi
	cat "$tap"
	# cmocka writes a skip as "not ok N # SKIP name": a skip, not a failure
	sk=$(grep -cE '^(not )?ok [0-9]+.*# SKIP' "$tap")
	ok=$(grep -E '^ok [0-9]+' "$tap" | grep -cv '# SKIP')
	nok=$(grep -E '^not ok [0-9]+' "$tap" | grep -cv '# SKIP')
	pass=$((pass + ok)) skipped=$((skipped + sk)) fail=$((fail + nok))
	if [ "$(cat "$res/unit-$t.rc" 2>/dev/null)" != 0 ] && [ "$nok" = 0 ]; then
		echo "not ok - vm: $t exited with $(cat "$res/unit-$t.rc" 2>/dev/null)"
		fail=$((fail + 1))
	fi
done
if [ -n "$TESTS" ]; then
	echo "# vm: node --test $TESTS"
	tap=$res/node.tap
	# Tests left out by the name pattern run on the host (the sandbox
	# suite); they are not this suite's skips.
	filtered=$(grep -cE '^ *ok [0-9]+ .*# SKIP test name does not match pattern' "$tap")
	grep -vE '# SKIP test name does not match pattern|^# Subtest: ' "$tap"
	num() { grep -E "^# $1 [0-9]+" "$tap" | tail -1 | awk '{print $3}'; }
	p=$(num pass) f=$(num fail) sk=$(num skipped) td=$(num todo)
	p=${p:-0} f=${f:-0} sk=${sk:-0} td=${td:-0}
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + sk + td - filtered))
	if [ "$(cat "$res/node.rc" 2>/dev/null)" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - vm: node --test exited with $(cat "$res/node.rc" 2>/dev/null)"
		tail -30 "$tap"
		fail=$((fail + 1))
	fi
fi
if [ $((pass + fail)) = 0 ]; then
	echo "not ok - $NAME # no test ran in the guest"
	console_tail
	fail=$((fail + 1))
fi
log "$pass passed, $fail failed, $skipped skipped in the guest ($accel)"
echo "# vm-summary pass=$pass fail=$fail skip=$skipped"
[ "$fail" = 0 ]
