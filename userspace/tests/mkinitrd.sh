#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A tiny busybox initramfs for Linux guests of `ringside run`:
#
#   userspace/tests/mkinitrd.sh [--modules] OUT.cpio
#
# Its /init mounts /proc, /sys and /dev, prints one line the tests parse
#   ringside-guest: cpus=N mem_kib=N apic=x2apic|xapic ir=N uptime=S
# (ir: the interrupts that go through interrupt remapping)
# and then runs what the kernel command line says after "rs.cmd=" (words
# joined by commas, e.g. rs.cmd=uname,-a: busybox takes no quoting from
# the command line) or, without it, an interactive shell on the console.
# With rs.poweroff=1 it powers off when the command or shell ends.
# busybox must be statically linked (Debian's /bin/busybox is).
#
# --modules copies the running kernel's /lib/modules/$(uname -r) into it,
# and /init loads the drivers of the launcher's virtio devices and ext4
# (the list in /etc/modules) before its line, printing
#   ringside-guest: modprobe NAME failed: WHY
# for any that does not load.  The guest must run the same kernel: in the
# test VM (scripts/vm-run), whose /lib/modules holds just the modules it
# ships, decompressed, with depmod's files.  Plain POSIX sh, so that
# busybox runs it there.
#
# With rs.root=DEVICE (e.g. /dev/vda) /init mounts DEVICE as ext4,
# read-only if the command line has "ro", unmounts /proc, /sys and /dev
# and switches to the root's /sbin/init instead of running a command;
# if it cannot mount DEVICE it says so and goes on as without rs.root.
set -eu

modules=0
[ "${1:-}" = --modules ] && { modules=1; shift; }
out=${1:?usage: mkinitrd.sh [--modules] OUT.cpio}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

for d in bin sbin usr/bin usr/sbin proc sys dev tmp root etc; do
	mkdir -p "$root/$d"
done
cp /bin/busybox "$root/bin/busybox"
for f in $(/bin/busybox --list-full); do
	[ -e "$root/$f" ] || ln -s /bin/busybox "$root/$f"
done
if [ $modules = 1 ]; then
	kver=$(uname -r)
	[ -f "/lib/modules/$kver/modules.dep" ] ||
		{ echo "mkinitrd.sh: no /lib/modules/$kver/modules.dep" >&2; exit 1; }
	mkdir -p "$root/lib/modules"
	cp -a "/lib/modules/$kver" "$root/lib/modules/"
	# crc32c: ext4's checksums, which it asks for only at its first
	# mount (a soft dependency, which busybox modprobe ignores); the
	# generic one, as crc32c-intel wants SSE4.2.
	echo virtio_pci virtio_blk virtio_net virtio_console virtio-rng \
		crc32c_generic ext4 >"$root/etc/modules"
fi
cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
if [ -f /etc/modules ]; then
	for m in $(cat /etc/modules); do
		err=$(modprobe "$m" 2>&1) ||
			echo "ringside-guest: modprobe $m failed: $err"
	done
fi
cpus=$(grep -c ^processor /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
# The APIC's mode, and how many interrupts go through remapping
apic=xapic
dmesg | grep -q 'x2apic enabled\|x2apic: enabled by BIOS' && apic=x2apic
ir=$(grep -c 'IR-' /proc/interrupts)
echo "ringside-guest: cpus=$cpus mem_kib=$mem apic=$apic ir=$ir uptime=$(cut -d' ' -f1 /proc/uptime)"
cmd= off=0 rootdev= rootmode=rw
for arg in $(cat /proc/cmdline); do
	case $arg in
	rs.cmd=*) cmd=$(echo "${arg#rs.cmd=}" | tr , ' ') ;;
	rs.poweroff=1) off=1 ;;
	rs.root=*) rootdev=${arg#rs.root=} ;;
	ro) rootmode=ro ;;
	esac
done
if [ -n "$rootdev" ]; then
	# The disk's node comes with its driver's probe: wait a little anyway.
	n=0
	while [ ! -b "$rootdev" ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	mkdir -p /newroot
	if mount -t ext4 -o $rootmode "$rootdev" /newroot; then
		# The new root's init mounts what it wants.
		umount /proc /sys /dev
		exec switch_root /newroot /sbin/init
	fi
	echo "ringside-guest: cannot mount $rootdev ($rootmode)"
fi
if [ -n "$cmd" ]; then
	sh -c "$cmd"
	echo "ringside-guest: status=$?"
else
	setsid cttyhack sh -l
fi
[ $off = 1 ] && poweroff -f
exec sh
INIT
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
