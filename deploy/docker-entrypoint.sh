#!/bin/sh
# docker-entrypoint.sh - start coderoom in a container.
#
# With a private cgroup namespace (--cgroupns private, Docker's default on
# cgroup v2) the container sees its own cgroup as /sys/fs/cgroup, mounted
# read-only unless the container is privileged. coderoom needs to create
# groups for its runs there: remount it read-write when that is allowed
# (CAP_SYS_ADMIN, no AppArmor mount rule in the way). It touches nothing
# outside the container's own cgroup.
set -e
if [ -d /sys/fs/cgroup ] && ! touch /sys/fs/cgroup/.coderoom-probe 2>/dev/null; then
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null ||
    echo "docker-entrypoint: /sys/fs/cgroup is read-only; run with --privileged or see docs/operations.md" >&2
fi
rm -f /sys/fs/cgroup/.coderoom-probe 2>/dev/null || true
exec /opt/coderoom/bin/coderoom "$@"
