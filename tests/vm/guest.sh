#!/usr/bin/busybox sh
# shellcheck shell=dash
# guest.sh - stage 2 of the VM test guest: pid 1 in the tmpfs root that
# init.sh switched to (the host's /usr and the repository read-only over
# 9p, /results writable).
#
# Sets the machine up the way a systemd host with a pure cgroup v2
# hierarchy runs services (cgroup2 at /sys/fs/cgroup with nsdelegate and
# memory_recursiveprot, cpu/memory/pids enabled for system.slice's
# children, this script in init.scope), then runs, from a service group of
# their own, the cmocka tests of $UNIT (build/tests/, TAP into
# /results/unit-NAME.tap, exit code in unit-NAME.rc) and the node test files
# of $TESTS (node's TAP reporter into /results/node.tap, node.rc), or the
# shell command $CMD instead (/results/cmd.out); writes /results/rc and
# powers off. Every coderoom server starts like a systemd service with
# Delegate=yes would: tests/vm/service.sh.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TMPDIR=/tmp
bb=/usr/bin/busybox

say() { echo "vm-guest: $*" >/dev/console; }
fatal() {
	say "FATAL: $*"
	echo "not ok 1 - vm: guest set-up # $*" >/results/fatal
	sync
	$bb poweroff -f
}

. /etc/vm.conf # REPO, UNIT, TESTS, PATTERN, TIMEOUT_S, CMD

mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
	fatal "mount cgroup2"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts ||
	fatal "mount devpts"
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 shm /dev/shm
# /tmp is the root's tmpfs (mode 1777, set by init.sh): a tmpfs mounted
# over it would hide a repository that lives under /tmp on the host.
mount -t tmpfs -o mode=0755 run /run
$bb ip link set lo up || fatal "loopback up"
$bb hostname coderoom-vm

# What systemd sets up: the controllers enabled for the children of the
# root and of system.slice (so that a service with Delegate=yes may hand
# them on in its own subtree), pid 1 in init.scope.
cg=/sys/fs/cgroup
say "controllers: $(cat $cg/cgroup.controllers)"
for g in "" /system.slice; do
	mkdir -p "$cg$g"
	echo "+cpu +memory +pids" >"$cg$g/cgroup.subtree_control" ||
		fatal "enable controllers in '$cg$g'"
done
mkdir -p $cg/init.scope
echo $$ >$cg/init.scope/cgroup.procs || fatal "move into init.scope"

cd "$REPO" || fatal "cd $REPO"
# Every test's server starts as a systemd service would (service.sh).
export CODEROOM_BIN="$REPO/tests/vm/service.sh"
export CODEROOM_VM=1
# Software emulation runs programs ~10x slower than the host, and counts
# the moments the busy host does not run the guest as CPU time: the hostile
# tests stretch their time limits (tests/sandbox/lib.mjs) so that a memory
# bomb still meets its memory limit before its CPU limit.
case " $(cat /proc/cmdline) " in
*" coderoom.accel=tcg "*) export CODEROOM_TEST_TIME_SCALE=8 ;;
esac
# Only the language the tests inside use: probing every toolchain of the
# table at start-up (its version command) takes longer under emulation
# than a test waits for a server to listen. service.sh passes it on.
langs=/run/vm-languages
mkdir -p $langs/examples
cp languages/python.json $langs/ || fatal "copy languages/python.json"
cp languages/examples/python.py $langs/examples/ 2>/dev/null
export CODEROOM_VM_LANGUAGES=$langs
# The test runner as a service of its own; every server it starts gets
# a fresh group beside it (service.sh).
runner=$cg/system.slice/coderoom-tests.service
mkdir -p "$runner"
(
	echo 0 >"$runner/cgroup.procs" || exit 125
	if [ -n "$CMD" ]; then
		$bb timeout "$TIMEOUT_S" /bin/sh -c "$CMD" >/results/cmd.out 2>&1
		exit
	fi
	# The cmocka sandbox tests start a spawner of their own: each in a
	# service group of its own too.
	for t in $UNIT; do
		[ -x "build/tests/$t" ] || continue
		say "running build/tests/$t"
		CMOCKA_MESSAGE_OUTPUT=TAP $bb timeout "$TIMEOUT_S" \
			"$REPO/tests/vm/service.sh" --exec "build/tests/$t" \
			>"/results/unit-$t.tap" 2>&1
		echo $? >"/results/unit-$t.rc"
	done
	[ -n "$TESTS" ] || exit 0
	say "running: $TESTS (pattern: ${PATTERN:-all})"
	set -- --test --test-reporter=tap --test-concurrency=1
	[ -n "$PATTERN" ] && set -- "$@" "--test-name-pattern=$PATTERN"
	# shellcheck disable=SC2086
	$bb timeout "$TIMEOUT_S" /usr/bin/node "$@" $TESTS >/results/node.tap 2>&1
	echo $? >/results/node.rc
) >/results/runner.log 2>&1
echo $? >/results/rc
say "tests done (exit $(cat /results/rc))"
sync
$bb poweroff -f
