#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A stock Linux kernel boots as a ringside guest: run where the module is
# loaded (the SVM test VM), from a folder holding the kernel and an
# initramfs made by mkinitrd.sh:
#
#   scripts/vm-run --add /boot/vmlinuz-$(scripts/kver) --add build/initrd.cpio \
#       --add userspace/tests/linux-boot.sh -- sh linux-boot.sh vmlinuz-... initrd.cpio
#
# For each of --cpus 1 and 2 it checks that the guest's init sees that many
# CPUs and nearly the memory it was given (MemTotal: less what the kernel
# keeps), that its APICs are in x2APIC mode with interrupt remapping (with
# the module's local APICs: not with --kvm or --user-apic), that a command
# runs in it, and that its "poweroff -f" ends the
# launcher with status 0; it prints the time from the launcher's start to
# the guest's init and to the launcher's end.  RINGSIDE names the
# launcher (default: ringside on PATH), CPUS the counts to try, RUN_FLAGS
# more options for "ringside run" (--kvm: the same machine on KVM),
# BOOT_TIMEOUT the seconds after which a boot that has not ended is stopped
# with SIGTERM and fails (default 300: a hung guest must not eat the test
# VM's whole time), ATTEMPTS how many boots each count gets (default 1: a
# failed attempt is printed, and only the last one counts).  With STATS=1
# it prints, after each boot, the last `ringside stat --once` taken (every
# 0.2 s) before the launcher ended: the exits by reason, and those that
# reached user space (Documentation/launcher.rst, "What it costs").  Then
# one more boot with exit routing (--route): every CPUID, WRMSR and HLT
# comes to the launcher, which logs it and has the module handle it as
# usual; the boot must pass the same checks, and the log hold the CPUIDs
# and WRMSRs of Linux's start (ROUTE=0 skips it; --kvm has no routing).
# Ends with "N passed, N failed" and kselftest's totals; exits 1 if any
# failed.

R=${RINGSIDE:-ringside}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
ATTEMPTS=${ATTEMPTS:-1}
KERNEL=${1:?usage: linux-boot.sh KERNEL INITRD}
INITRD=${2:?usage: linux-boot.sh KERNEL INITRD}
MEM_MIB=512
T=${TMPDIR:-/tmp}/ringside-linux-boot.$$
mkdir -p "$T" || exit 1
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
# bad MESSAGE: this attempt failed; the last attempt's failure counts.
bad() {
	if [ "$attempt" -lt "$ATTEMPTS" ]; then
		echo "# attempt $attempt of $ATTEMPTS failed: $1"
	else
		fail=$((fail + 1))
		echo "not ok - $1"
	fi
	tail -n 30 "$T/out" | sed 's/^/#   /'
	return 1
}

uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
secs() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 100 }'; }

# The VM's exit statistics while it runs: the last snapshot in $T/stat.
stat_poll() {
	while :; do
		$R stat --once >"$T/stat.new" 2>&1 &&
			grep -q 'to user space' "$T/stat.new" &&
			mv "$T/stat.new" "$T/stat"
		sleep 0.2
	done
}

# boot CPUS: boot, record the console in $T/out, when init spoke and ended
boot() {
	start=$(uptime_cs)
	: >"$T/init_at"
	: >"$T/stat"
	[ "${STATS:-0}" = 1 ] && { stat_poll & poller=$!; }
	{
		timeout "$BOOT_TIMEOUT" $R run $RUN_FLAGS --mem ${MEM_MIB}M \
			--cpus "$1" --initrd "$INITRD" \
			--append "console=ttyS0 quiet rs.cmd=uname,-r rs.poweroff=1" \
			"$KERNEL" </dev/null 2>&1
		echo "launcher-status=$?"
	} | while IFS= read -r line; do
		echo "$line"
		case $line in
		*ringside-guest:\ cpus=*) uptime_cs >"$T/init_at" ;;
		esac
	done >"$T/out"
	end=$(uptime_cs)
	if [ "${STATS:-0}" = 1 ]; then
		kill "$poller"
		wait "$poller" 2>/dev/null
		sed 's/^/# /' "$T/stat"
	fi
	status=$(sed -n 's/^launcher-status=//p' "$T/out")
	init_at=$(cat "$T/init_at")
}

check_boot() {
	n=$1
	boot "$n"
	name="${RUN_FLAGS:+$RUN_FLAGS }--cpus $n"
	if [ "$status" = 124 ] || [ "$status" = 143 ]; then
		bad "$name: no end after $BOOT_TIMEOUT s, stopped"
		return
	fi
	if [ "$status" != 0 ]; then
		why=
		grep -aq 'an emulator defect' "$T/out" &&
			why=" (the emulator saved the host's state as the guest's: Documentation/testing.rst)"
		bad "$name: the launcher ended with status $status, not 0$why"
		return
	fi
	line=$(grep -a 'ringside-guest: cpus=' "$T/out" | head -n 1)
	cpus=$(echo "$line" | sed -n 's/.*cpus=\([0-9]*\).*/\1/p')
	mem=$(echo "$line" | sed -n 's/.*mem_kib=\([0-9]*\).*/\1/p')
	if [ "$cpus" != "$n" ]; then
		bad "$name: the guest's init sees ${cpus:-no} CPUs"
		return
	fi
	# MemTotal is what the kernel did not keep for itself: from 80 %.
	if [ -z "$mem" ] || [ "$mem" -gt $((MEM_MIB * 1024)) ] ||
	   [ "$mem" -lt $((MEM_MIB * 1024 * 8 / 10)) ]; then
		bad "$name: MemTotal ${mem:-?} KiB for ${MEM_MIB} MiB"
		return
	fi
	if ! grep -aq 'ringside-guest: status=0' "$T/out"; then
		bad "$name: the command in the guest did not run"
		return
	fi
	# With the module's local APICs the launcher offers interrupt
	# remapping, and with it Linux runs its APICs in x2APIC mode.
	apic=$(echo "$line" | sed -n 's/.* apic=\([a-z0-9]*\).*/\1/p')
	ir=$(echo "$line" | sed -n 's/.* ir=\([0-9]*\).*/\1/p')
	case " $RUN_FLAGS " in
	*" --kvm "* | *" --user-apic "* | *" -u "*) ;;
	*)
		if [ "$apic" != x2apic ] || [ "${ir:-0}" -eq 0 ]; then
			bad "$name: the guest's APIC is in ${apic:-?} mode, $ir interrupts remapped: not x2APIC with remapping"
			return
		fi
		;;
	esac
	ok "$name: $cpus CPUs, MemTotal $mem KiB, $apic, $ir interrupts" \
	   "remapped, poweroff -f ends with 0;" \
	   "init after $(secs $((init_at - start))) s, end after" \
	   "$(secs $((end - start))) s"
}

# check_route_boot: a boot with --route, and what its log holds: leaf 0
# first, as every kernel asks it; a WRMSR of IA32_LSTAR (0xc0000082),
# which the guest writes once and which exits only while routed (the MSR
# permission map lets it through otherwise).
check_route_boot() {
	log=$T/route.log
	flags=$RUN_FLAGS
	RUN_FLAGS="${flags:+$flags }--route cpuid=0-0xffffffff,msr_write=0-0xffffffff,hlt --route-log $log"
	check_boot 1
	r=$?
	RUN_FLAGS=$flags
	[ $r = 0 ] || return 1
	cpuid=$(grep -c '^route: vcpu=0 CPUID index=' "$log")
	wrmsr=$(grep -c '^route: vcpu=0 MSR_WRITE index=' "$log")
	if ! head -n 1 "$log" | grep -q '^route: vcpu=0 CPUID index=0x0 ' ||
	   ! grep -q '^route: vcpu=0 MSR_WRITE index=0xc0000082 ' "$log"; then
		bad "--route: the log has $cpuid CPUID and $wrmsr MSR_WRITE lines, not CPUID leaf 0 first and a WRMSR of IA32_LSTAR"
		sed -n '1,10s/^/#   /p' "$log"
		return 1
	fi
	ok "--route: $cpuid CPUIDs and $wrmsr WRMSRs logged"
}

for n in ${CPUS:-1 2}; do
	attempt=1
	until check_boot "$n" || [ "$attempt" -ge "$ATTEMPTS" ]; do
		attempt=$((attempt + 1))
	done
done
case " $RUN_FLAGS " in
*" --kvm "* | *" -k "*) ;;
*)
	if [ "${ROUTE:-1}" = 1 ]; then
		attempt=1
		until check_route_boot || [ "$attempt" -ge "$ATTEMPTS" ]; do
			attempt=$((attempt + 1))
		done
	fi
	;;
esac

rm -rf "$T"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
