#!/bin/busybox sh
# shellcheck shell=dash
# init.sh - stage 1 of the VM test guest: /init of the initramfs that
# tests/vm/run.sh builds (busybox-static, the 9p/virtio modules of the
# Debian kernel, this script, the host's /etc bits in /hostetc).
#
# Loads the modules (in the dependency order run.sh computed), mounts a
# tmpfs root with the host's /usr and the repository shared read-only over
# 9p and a writable 9p share for the results, then switch_root's into it
# and runs guest.sh there. A tmpfs root and not the initramfs itself: the
# sandbox pivot_root()s, which the initramfs (rootfs) cannot be.
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "vm-init: $*"; }
fail() {
	say "FATAL: $*"
	echo "not ok 1 - vm: guest set-up # $*" >/newroot/results/fatal 2>/dev/null
	poweroff -f
	sleep 5
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say "started (kernel $(uname -r))"

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/modules/$m" || fail "insmod $m"
done </modules/order

. /hostetc/vm.conf # REPO (absolute path of the repository on the host)

mkdir -p /newroot
mount -t tmpfs -o mode=0755,size=50% root /newroot || fail "tmpfs root"
cd /newroot || fail "cd /newroot"
mkdir -p usr results etc proc sys dev tmp run root var/tmp "./$REPO"
opts=trans=virtio,version=9p2000.L,msize=512000
# /usr and the repository do not change during the run: cache=loose saves
# most round trips, which TCG makes expensive.
mount -t 9p -o "$opts,ro,cache=loose" usr /newroot/usr || fail "9p /usr"
mount -t 9p -o "$opts,ro,cache=loose" repo "/newroot/$REPO" || fail "9p repo"
mount -t 9p -o "$opts" results /newroot/results || fail "9p results"
# The merged-/usr links, as on the host.
for l in bin lib lib32 lib64 libx32 sbin; do
	[ -e "usr/$l" ] && ln -s "usr/$l" "$l"
done
cp -a /hostetc/. etc/
cp /guest.sh /newroot/guest.sh
chmod 1777 tmp var/tmp

for d in proc sys dev; do
	mount --move "/$d" "/newroot/$d" || fail "move /$d"
done
say "switching root"
exec switch_root /newroot /usr/bin/busybox sh /guest.sh
