#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The same Linux guest as linux-boot.sh under QEMU with KVM, for a boot
# time to compare with ringside's in the same test VM:
#
#   scripts/vm-run --add /boot/vmlinuz-$(scripts/kver) --add build/initrd.cpio \
#       --add /usr/bin/qemu-system-x86_64 --add QEMU-FIRMWARE-DIR \
#       --add userspace/tests/kvm-boot.sh -- sh kvm-boot.sh vmlinuz-... initrd.cpio FW-DIR
#
# FW-DIR holds bios-256k.bin (/usr/share/seabios), linuxboot_dma.bin and
# kvmvapic.bin (/usr/share/qemu), copied, not linked.  Loads
# kvm-amd (or kvm-intel); prints the seconds from QEMU's start to the
# guest's init and to QEMU's end, for 1 and 2 vCPUs.
KERNEL=${1:?usage: kvm-boot.sh KERNEL INITRD FW-DIR}
INITRD=${2:?}
FW=${3:?}
QEMU=${QEMU:-./qemu-system-x86_64}

modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null
[ -e /dev/kvm ] || { echo "no /dev/kvm"; exit 1; }
uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
secs() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 100 }'; }

for n in ${CPUS:-1 2}; do
	start=$(uptime_cs)
	: >/tmp/init_at
	$QEMU -L "$FW" -machine q35,accel=kvm -cpu host -smp "$n" -m 512 \
		-nodefaults -no-user-config -display none -serial stdio \
		-no-reboot -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet rs.cmd=uname,-r rs.poweroff=1" \
		</dev/null 2>&1 | while IFS= read -r line; do
		case $line in
		*ringside-guest:\ cpus=*) echo "$line"; uptime_cs >/tmp/init_at ;;
		esac
	done
	end=$(uptime_cs)
	echo "KVM --cpus $n: init after $(secs $(($(cat /tmp/init_at) - start))) s," \
	     "end after $(secs $((end - start))) s"
done
