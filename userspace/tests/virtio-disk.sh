#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A stock Linux kernel runs as a ringside guest with its root file system
# on a virtio disk (`ringside run --disk`): run where the module is loaded
# (the SVM test VM), from a folder holding the kernel, mkinitrd.sh, this
# script and e2fsprogs' mke2fs, e2fsck and debugfs:
#
#   KVER=$(scripts/kver)
#   scripts/vm-run --add /boot/vmlinuz-$KVER --add userspace/tests/mkinitrd.sh \
#       --add userspace/tests/virtio-disk.sh --add /sbin/mke2fs \
#       --add /sbin/e2fsck --add /sbin/debugfs -- sh virtio-disk.sh vmlinuz-$KVER
#
# The e2fsprogs tools are the host's own (scripts/deps): vm-run copies the
# shared libraries that ldd names for every executable it is given, and
# this script calls them by their path in E2FS (default: its own folder),
# as busybox sh runs its own mke2fs applet, which knows neither -t nor
# -d, before any mke2fs on PATH.  The kernel must be the test VM's own:
# the guest's initramfs (mkinitrd.sh --modules) gets the VM's modules,
# virtio_pci, virtio_blk and ext4 among them (scripts/vm-run VM_MODULES).
#
# It checks that
# 1. the guest, without a disk, loads those modules without an error, and
#    with --rng reads from virtio's RNG;
# 2. with --disk IMAGE, an ext4 image made by `mke2fs -d` from a busybox
#    tree, the guest mounts /dev/vda read-write as its root (rs.root=, see
#    mkinitrd.sh) and runs its /sbin/init (below), which reads a file
#    mke2fs put there, writes files (4 MB, 1 MiB random, 50 small),
#    syncs, drops its page cache, reads them back and prints their
#    checksums, remounts the root read-only (so the journal is
#    checkpointed) and powers off; the launcher then ends with status 0,
#    `e2fsck -fn` finds the image clean, and the files that debugfs takes
#    out of it have the checksums the guest read and, but for the random
#    one, the bytes this script makes the same way;
# 3. the same with --disk IMAGE,cache=none;
# 4. with --disk IMAGE,ro the guest sees a read-only disk, mounts it, reads
#    the file, fails to write either a file or the raw device, and the
#    image does not change.
# The images live on an ext4 file system in a RAM disk (brd) where TMPDIR
# refuses O_DIRECT, as the VM's tmpfs does: cache=none needs it.  The disk
# cases are skipped (and say so) while the launcher has no --disk.
# CASES picks cases by name (default "modules rw direct ro", 1-4 above):
# the VMX run, where a boot takes minutes under Bochs, has "rw" only.
# RINGSIDE names the launcher (default: ringside on PATH), RUN_FLAGS more
# options for "ringside run", BOOT_TIMEOUT the seconds after which a boot
# that has not ended is stopped and fails (default 300).  Ends with
# kselftest's totals and "N passed, N failed"; exits 1 if any failed.

R=${RINGSIDE:-ringside}
CASES=" ${CASES:-modules rw direct ro} "
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
KERNEL=${1:?usage: virtio-disk.sh KERNEL}
HERE=$(cd "$(dirname "$0")" && pwd)
E2FS=${E2FS:-$HERE}
MEM_MIB=256
T=${TMPDIR:-/tmp}/ringside-virtio-disk.$$
IMG=$T/img/disk.img
mkdir -p "$T/img" || exit 1
pass=0
fail=0
skip=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() {
	fail=$((fail + 1))
	echo "not ok - $1"
	[ -f "$T/out" ] && tail -n 30 "$T/out" | sed 's/^/#   /'
	return 1
}

uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
secs() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 100 }'; }

# boot ARGS...: `ringside run ARGS... KERNEL` with the initramfs; the
# console (without its CRs) in $T/out, the launcher's status in $status.
boot() {
	start=$(uptime_cs)
	{
		timeout "$BOOT_TIMEOUT" $R run $RUN_FLAGS --mem ${MEM_MIB}M \
			--initrd "$T/initrd.cpio" "$@" "$KERNEL" </dev/null 2>&1
		echo "launcher-status=$?"
	} | tr -d '\r' >"$T/out"
	took=$(secs $(($(uptime_cs) - start)))
	status=$(sed -n 's/^launcher-status=//p' "$T/out")
}

# ended NAME: did the launcher end by itself, with status 0?
ended() {
	case $status in
	124 | 143) bad "$1: no end after $BOOT_TIMEOUT s, stopped" ;;
	0) return 0 ;;
	*) bad "$1: the launcher ended with status $status, not 0" ;;
	esac
}

# guest WHAT: the rest of the first line "virtio-disk: WHAT ..." the
# guest's /sbin/init printed.
guest() { sed -n "s/^virtio-disk: $1 //p" "$T/out" | head -n 1; }

# The disk's tree: busybox, the /sbin/init that does the guest's part,
# the files it writes whose bytes are known (gen.sh, which this script
# runs too) and one it reads.
make_tree() {
	tree=$T/tree
	for d in bin sbin usr/bin usr/sbin proc sys dev tmp; do
		mkdir -p "$tree/$d"
	done
	cp /bin/busybox "$tree/bin/busybox"
	for f in $(/bin/busybox --list-full); do
		[ -e "$tree/$f" ] || ln -s /bin/busybox "$tree/$f"
	done
	rm -f "$tree/sbin/init"
	cat >"$tree/sbin/init" <<'INIT'
#!/bin/sh
# /sbin/init of virtio-disk.sh's root file system on /dev/vda
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "virtio-disk: $*"; }
say "root $(awk '$2 == "/" { r = $1 " " $3 " " $4 } END { print r }' /proc/mounts)" \
    "ro=$(cat /sys/block/vda/ro)"
say "seed $(sha256sum </seed | cut -c1-64)"
if err=$( { : >/probe; } 2>&1); then
	rm /probe
	sh /gen.sh /out
	dd if=/dev/urandom of=/out/random bs=64k count=16 2>/dev/null
	sync
	# Read them back from the disk, not from the page cache.
	echo 3 >/proc/sys/vm/drop_caches
	cd /
	find out -type f | sort | xargs -r sha256sum | sed 's/^/virtio-disk: sum /'
	# Checkpoints the journal: the image is clean without a replay.
	mount -o remount,ro / && say "remounted read-only"
else
	say "write refused: $err"
	if err=$(seq 1 200 | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>&1); then
		say "raw write accepted"
	else
		say "raw write refused: $(echo "$err" | head -n 1)"
	fi
fi
say done
poweroff -f
INIT
	chmod 755 "$tree/sbin/init"
	cat >"$tree/gen.sh" <<'GEN'
# gen.sh DIR: what the guest writes, but for its random file; every
# 512-byte sector of big is unlike the others.
mkdir -p "$1/small"
seq -w 1 500000 >"$1/big"
seq -w 1 1100 | head -c 4097 >"$1/small/4097"
for i in $(seq 1 49); do
	echo "small file $i, written by the guest" >"$1/small/$i"
done
GEN
	seq -w 1 200000 >"$tree/seed"
	seed_sum=$(sha256sum <"$tree/seed" | cut -c1-64)
	sh "$tree/gen.sh" "$T/expect/out"
	(cd "$T/expect" && find out -type f | sort | xargs -r sha256sum) >"$T/expect.sums"
}

make_image() {
	rm -f "$IMG" "$T/out"
	"$E2FS/mke2fs" -q -F -t ext4 -d "$T/tree" "$IMG" 64M >"$T/mkfs" 2>&1 ||
		{ sed 's/^/#   /' "$T/mkfs"; return 1; }
}

# fsck NAME: is the image clean?
fsck() {
	"$E2FS/e2fsck" -fn "$IMG" >"$T/fsck" 2>&1 && return 0
	bad "$1: e2fsck -fn finds the image not clean"
	sed 's/^/#   /' "$T/fsck"
	return 1
}

# root_is NAME MODE RO: the guest's root is /dev/vda, ext4 mounted MODE
# (rw, ro), on a disk whose /sys/block/vda/ro is RO, and it read the seed.
root_is() {
	root=$(guest root)
	case $root in
	"/dev/vda ext4 $2,"*" ro=$3") ;;
	*) bad "$1: the guest's root is \"${root:-?}\", not /dev/vda ext4 $2 with ro=$3"
	   return 1 ;;
	esac
	[ "$(guest seed)" = "$seed_sum" ] ||
		bad "$1: the guest read the file mke2fs put there as $(guest seed), not $seed_sum"
}

# has OPTION: does `ringside run` have OPTION?
has() { $R run --help 2>&1 | grep -q -- "$1"; }
want() { case $CASES in *" $1 "*) return 0 ;; esac; return 1; }

# With --rng the guest's hardware RNG is virtio's, and it reads from it.
check_modules() {
	name="modules"
	rng= cmd=lsmod
	if has --rng; then
		name="modules, --rng"
		rng=--rng
		cmd="$cmd;echo,hwrng=\$(cat,/sys/class/misc/hw_random/rng_current),bytes=\$(head,-c,64,/dev/hwrng|wc,-c)"
	fi
	boot $rng --append "console=ttyS0 quiet rs.cmd=$cmd rs.poweroff=1"
	ended "$name" || return
	if grep -q '^ringside-guest: modprobe' "$T/out"; then
		bad "$name: $(grep '^ringside-guest: modprobe' "$T/out" | head -n 1)"
		return
	fi
	for m in virtio_pci virtio_blk virtio_net virtio_console virtio_rng ext4; do
		grep -q "^$m " "$T/out" || { bad "$name: lsmod in the guest has no $m"; return; }
	done
	grep -q '^ringside-guest: status=0' "$T/out" ||
		{ bad "$name: lsmod did not run in the guest"; return; }
	hwrng=
	if [ -n "$rng" ]; then
		hwrng=$(grep '^hwrng=' "$T/out")
		[ "$hwrng" = "hwrng=virtio_rng.0 bytes=64" ] ||
			{ bad "$name: the guest's RNG: ${hwrng:-?}, not virtio_rng.0 giving 64 bytes"; return; }
		hwrng=", reads 64 bytes from virtio_rng.0"
	fi
	ok "$name: the guest loads virtio_pci, virtio_blk, virtio_net," \
	   "virtio_console, virtio_rng and ext4 without an error$hwrng ($took s)"
}

# check_rw OPTIONS: --disk IMAGE,OPTIONS (or IMAGE)
check_rw() {
	name="--disk IMAGE$1"
	make_image || { bad "$name: mke2fs failed"; return; }
	boot --disk "$IMG$1" \
		--append "console=ttyS0 quiet rs.root=/dev/vda rs.cmd=true rs.poweroff=1"
	ended "$name" || return
	root_is "$name" rw 0 || return
	grep -q '^virtio-disk: remounted read-only' "$T/out" ||
		{ bad "$name: the guest did not remount its root read-only"; return; }
	fsck "$name" || return
	sed -n 's/^virtio-disk: sum //p' "$T/out" >"$T/guest.sums"
	rm -rf "$T/got"
	mkdir "$T/got"
	"$E2FS/debugfs" -R "rdump /out $T/got" "$IMG" >"$T/debugfs" 2>&1
	(cd "$T/got" && find out -type f 2>/dev/null | sort | xargs -r sha256sum) >"$T/image.sums"
	if ! cmp -s "$T/guest.sums" "$T/image.sums"; then
		bad "$name: the files in the image are not those the guest read back"
		diff "$T/guest.sums" "$T/image.sums" | head -n 20 | sed 's/^/#   /'
		return
	fi
	if grep -vxFf "$T/image.sums" "$T/expect.sums" >"$T/missing"; then
		bad "$name: $(wc -l <"$T/missing") files in the image are not what the guest was to write"
		sed 's/^/#   /' "$T/missing" | head -n 10
		return
	fi
	grep -q ' out/random$' "$T/image.sums" ||
		{ bad "$name: the guest's random file is not in the image"; return; }
	ok "$name: root on /dev/vda, $(wc -l <"$T/image.sums") files written," \
	   "read back and in the image, e2fsck clean ($took s)"
}

check_ro() {
	name="--disk IMAGE,ro"
	make_image || { bad "$name: mke2fs failed"; return; }
	before=$(sha256sum <"$IMG")
	boot --disk "$IMG,ro" \
		--append "console=ttyS0 quiet ro rs.root=/dev/vda rs.cmd=true rs.poweroff=1"
	ended "$name" || return
	root_is "$name" ro 1 || return
	refused=$(guest "write refused:")
	[ -n "$refused" ] || { bad "$name: the guest wrote a file on its root"; return; }
	raw=$(guest "raw write refused:")
	[ -n "$raw" ] || { bad "$name: the guest wrote to /dev/vda"; return; }
	[ "$(sha256sum <"$IMG")" = "$before" ] ||
		{ bad "$name: the image changed"; return; }
	fsck "$name" || return
	ok "$name: read-only /dev/vda mounted, a file write refused ($refused)," \
	   "a raw write refused ($raw), the image unchanged ($took s)"
}

# e2fs_ok: are e2fsprogs' tools there?  (Not a skip: check forgot them.)
e2fs_ok() {
	for t in mke2fs e2fsck debugfs; do
		"$E2FS/$t" -V >/dev/null 2>&1 ||
			{ bad "no e2fsprogs $t in $E2FS (scripts/vm-run --add /sbin/$t)"; return 1; }
	done
}

# scratch: a file system that takes O_DIRECT, as cache=none wants, for
# the images: TMPDIR's, or ext4 on a RAM disk where it is tmpfs.
scratch() {
	dd if=/dev/zero of="$T/img/direct" bs=4096 count=1 oflag=direct 2>/dev/null &&
		{ rm "$T/img/direct"; return 0; }
	rm -f "$T/img/direct"
	modprobe brd rd_nr=1 rd_size=262144 &&
		"$E2FS/mke2fs" -q -F -t ext4 /dev/ram0 >/dev/null 2>&1 &&
		modprobe ext4 && mount -t ext4 /dev/ram0 "$T/img" && return 0
	bad "no ext4 on a RAM disk (brd) for the images"
}

initrd=0
if sh "$HERE/mkinitrd.sh" --modules "$T/initrd.cpio"; then
	initrd=1
	want modules && check_modules
else
	bad "mkinitrd.sh --modules failed"
fi
rm -f "$T/out"	# bad() shows it: not that boot's for what follows
if ! has --disk; then
	# Not a pass: each case says it did not run.
	for c in "" ",cache=none" ",ro"; do
		skip=$((skip + 1))
		echo "ok - --disk IMAGE$c # SKIP ringside run has no --disk"
	done
elif [ $initrd = 1 ] && e2fs_ok && { ! want direct || scratch; }; then
	make_tree
	want rw && check_rw ""
	want direct && check_rw ",cache=none"
	want ro && check_ro
fi
if grep -q " $T/img " /proc/mounts; then
	umount "$T/img" && rmmod brd
fi

rm -rf "$T"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
