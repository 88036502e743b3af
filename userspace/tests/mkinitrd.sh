#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tiny busybox initramfs for Linux guests of `ringside run`:
#
#   userspace/tests/mkinitrd.sh OUT.cpio
#
# Its /init mounts /proc, /sys and /dev, prints one line the tests parse
#   ringside-guest: cpus=N mem_kib=N apic=x2apic|xapic ir=N uptime=S
# (ir: the interrupts that go through interrupt remapping)
# and then runs what the kernel command line says after "rs.cmd=" (words
# joined by commas, e.g. rs.cmd=uname,-a: busybox takes no quoting from
# the command line) or, without it, an interactive shell on the console.
# With rs.poweroff=1 it powers off when the command or shell ends.
# busybox must be statically linked (Debian's /bin/busybox is).
set -euo pipefail

out=${1:?usage: mkinitrd.sh OUT.cpio}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
cp /bin/busybox "$root/bin/busybox"
for f in $(/bin/busybox --list-full); do
	[[ -e $root/$f ]] || ln -s /bin/busybox "$root/$f"
done
cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
cpus=$(grep -c ^processor /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
# The APIC's mode, and how many interrupts go through remapping
apic=xapic
dmesg | grep -q 'x2apic enabled\|x2apic: enabled by BIOS' && apic=x2apic
ir=$(grep -c 'IR-' /proc/interrupts)
echo "ringside-guest: cpus=$cpus mem_kib=$mem apic=$apic ir=$ir uptime=$(cut -d' ' -f1 /proc/uptime)"
cmd= off=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	rs.cmd=*) cmd=$(echo "${arg#rs.cmd=}" | tr , ' ') ;;
	rs.poweroff=1) off=1 ;;
	esac
done
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
