#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Disk and network throughput of a Linux guest on virtio devices, in one
# test VM, on three hypervisors: ringside, KVM with the same launcher
# (`ringside run --kvm`), and QEMU with KVM and its own virtio devices:
#
#   KVER=$(scripts/kver); mkdir -p build/fw
#   cp /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
#      /usr/share/qemu/kvmvapic.bin build/fw/
#   scripts/vm-run --mem 2048 --timeout 1800 --add /boot/vmlinuz-$KVER \
#       --add userspace/tests/mkinitrd.sh --add userspace/ringside \
#       --add bench/diskbench --add bench/tcpsend --add bench/virtio-bench.sh \
#       --add /usr/bin/qemu-system-x86_64 --add build/fw -- \
#       sh virtio-bench.sh vmlinuz-$KVER fw
#
# Disk: the guest runs diskbench (bench/diskbench.c) on /dev/vda, a raw
# image in the test VM's RAM (so the figures are the virtio path's, not a
# disk's): sequential 1 MiB and random 4 KiB, O_DIRECT in the guest.
# Network: over a tap (tap0, 192.168.100.1; the guest is .2), the guest
# sends NET_MIB MiB to `nc` in the test VM (bench/tcpsend.c: busybox nc
# writes 1 KiB at a time, which measures nc) and fetches as much from its
# httpd with wget; each figure is MB/s by the guest's clock.  Without FW-DIR (or
# without qemu-system-x86_64 beside the script) QEMU is left out; without
# /dev/net/tun the network.
#
# MIB (64) is the disk span, SECS (5) each random test's length, NET_MIB
# (32) each transfer, RUNS (1) how many boots each hypervisor gets.
# Prints "HYPERVISOR: diskbench: ..." and "HYPERVISOR: net: ..." lines:
# figures, no verdict (Documentation/benchmarks.rst).
R=${RINGSIDE:-./ringside}
QEMU=${QEMU:-./qemu-system-x86_64}
KERNEL=${1:?usage: virtio-bench.sh KERNEL [FW-DIR]}
FW=${2:-}
MIB=${MIB:-64}
SECS=${SECS:-5}
NET_MIB=${NET_MIB:-32}
RUNS=${RUNS:-1}
PORT=5001
T=${TMPDIR:-/tmp}/virtio-bench.$$
mkdir -p "$T/add" "$T/www" || exit 1

# The guest's side: /bench disk | /bench net
cat >"$T/add/bench" <<EOF
#!/bin/sh
cs() { awk '{ printf "%d\n", \$1 * 100 }' /proc/uptime; }
rate() { awk -v b=\$1 -v d=\$2 'BEGIN { printf "%.1f", b / 1e6 / (d / 100) }'; }
case \$1 in
disk)	/diskbench /dev/vda $MIB $SECS ;;
net)
	ip addr add 192.168.100.2/24 dev eth0 && ip link set eth0 up || exit 1
	sleep 1
	/tcpsend 192.168.100.1 $PORT $NET_MIB | sed 's/^tcpsend:/net: guest-to-host/'
	t=\$(cs)
	wget -q -O /dev/null http://192.168.100.1:8080/blob || echo "net: wget failed"
	echo "net: host-to-guest \$(rate $((NET_MIB << 20)) \$((\$(cs) - t))) MB/s"
	;;
esac
EOF
chmod +x "$T/add/bench"
sh mkinitrd.sh --modules "$T/base.cpio" || exit 1
cp diskbench tcpsend "$T/add/" || exit 1
(cd "$T/add" && printf 'bench\ndiskbench\ntcpsend\n' | cpio -o -H newc 2>/dev/null) >"$T/add.cpio"
cat "$T/base.cpio" "$T/add.cpio" >"$T/initrd.cpio"
dd if=/dev/zero of="$T/disk.img" bs=1M count=$((MIB + 1)) 2>/dev/null

CMDLINE="console=ttyS0 quiet rs.poweroff=1"

# A tap for the network runs, with the test VM's end at .1 and a server.
net=0
if [ -e /dev/net/tun ] || modprobe tun 2>/dev/null; then
	tunctl -t tap0 >/dev/null 2>&1 || ip tuntap add dev tap0 mode tap 2>/dev/null
	if ip addr add 192.168.100.1/24 dev tap0 && ip link set tap0 up; then
		net=1
		dd if=/dev/zero bs=1M count=$NET_MIB 2>/dev/null | tr '\0' x >"$T/www/blob"
		httpd -p 192.168.100.1:8080 -h "$T/www"
	fi
fi

# guest NAME WHAT HYPERVISOR-COMMAND...: one boot, its figures prefixed
guest() {
	name=$1 what=$2
	shift 2
	if [ "$what" = net ]; then
		(sleep 1000 | nc -l -p $PORT >/dev/null) &
		sink=$!
	fi
	"$@" </dev/null 2>&1 | grep 'diskbench:\|net:\|ringside:\|qemu' |
		sed "s/^/$name: /"
	[ "$what" = net ] && { kill $sink; pkill -f "nc -l -p $PORT"; } 2>/dev/null
}

ringside() {
	$R run $1 --mem 512M --disk "$T/disk.img" $2 --initrd "$T/initrd.cpio" \
		--append "$CMDLINE rs.cmd=/bench,$3" "$KERNEL"
}

qemu() {
	$QEMU -L "$FW" -machine q35,accel=kvm -cpu host -m 512 -nodefaults \
		-no-user-config -display none -serial stdio -no-reboot \
		-drive file="$T/disk.img",format=raw,if=virtio,cache=writeback \
		$1 -kernel "$KERNEL" -initrd "$T/initrd.cpio" \
		-append "$CMDLINE rs.cmd=/bench,$2"
}

kvm_on() { modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null; }
kvm_off() { rmmod kvm-amd kvm-intel kvm 2>/dev/null; }

i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	for what in disk net; do
		[ $what = net ] && [ $net = 0 ] && continue
		nic=
		[ $what = net ] && nic="--net tap=tap0"
		guest ringside $what ringside "" "$nic" $what
		kvm_on || continue
		guest kvm $what ringside --kvm "$nic" $what
		if [ -n "$FW" ] && [ -x "$QEMU" ]; then
			qnic=
			[ $what = net ] && qnic="-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0,romfile="
			guest qemu $what qemu "$qnic" $what
		fi
		kvm_off
	done
done
[ $net = 1 ] && { pkill -f "httpd -p 192.168.100.1"; tunctl -d tap0 || ip link del tap0; } >/dev/null 2>&1
rm -rf "$T"
