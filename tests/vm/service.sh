#!/bin/sh
# service.sh - start build/coderoom the way systemd starts a service with
# Delegate=yes on a cgroup v2 host: in a fresh group of its own under
# system.slice (whose controllers the guest enabled), nothing else in it.
# guest.sh sets CODEROOM_BIN to this script, so every test's server starts
# this way.
#
#   CODEROOM_VM_CGROUP=/system.slice/x.service/coderoom-server  join this
#       existing group instead (a server restarted in place, in the leaf
#       its predecessor moved itself to)
#   service.sh --exec CMD ARGS...  run CMD instead of the server (the
#       cmocka sandbox tests, which start a spawner of their own)
#   CODEROOM_VM_LANGUAGES=DIR  the server's --languages-dir (guest.sh: the
#       languages the tests inside use)
#   CODEROOM_VM_SUBTREE_MOUNT=1  in a mount namespace of its own whose
#       /sys/fs/cgroup is a bind mount of the group (a container sharing
#       the host's cgroup namespace)
cg=/sys/fs/cgroup
if [ -n "${CODEROOM_VM_CGROUP:-}" ]; then
	grp=$cg$CODEROOM_VM_CGROUP
else
	grp=$cg/system.slice/coderoom-$$.service
	mkdir "$grp" || exit 125
fi
echo $$ >"$grp/cgroup.procs" || exit 125
if [ "${1:-}" = --exec ]; then
	shift
	exec "$@"
fi
[ -n "${CODEROOM_VM_LANGUAGES:-}" ] && set -- --languages-dir "$CODEROOM_VM_LANGUAGES" "$@"
bin=$(cd "$(dirname "$0")/../.." && pwd)/build/coderoom
if [ -n "${CODEROOM_VM_SUBTREE_MOUNT:-}" ]; then
	# A container in the host's cgroup namespace: its /sys/fs/cgroup shows
	# only its own group (mountinfo's root field is that group's path).
	exec unshare -m /bin/sh -c 'mount --bind "$0" /sys/fs/cgroup && exec "$@"' \
		"$grp" "$bin" "$@"
fi
exec "$bin" "$@"
