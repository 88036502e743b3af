#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The launcher end to end, on the module: boots the hello guest through
# each of its exit paths and checks status and output.  Runs where the
# module is loaded (the test VM), from a folder holding guests/:
#
#   scripts/vm-run --add userspace/guests --add userspace/tests/vm-tests.sh \
#       -- sh vm-tests.sh
#
# RINGSIDE names the launcher (default: ringside on PATH).  Ends with
# "N passed, N failed"; exits 1 if any failed.

R=${RINGSIDE:-ringside}
G=${GUESTS:-guests}
T=${TMPDIR:-/tmp}/ringside-vm-tests.$$
mkdir -p "$T" || exit 1
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() {
	fail=$((fail + 1))
	echo "not ok - $1"
	sed 's/^/#   /' "$T/out" "$T/err" 2>/dev/null | head -40
}

# expect NAME STATUS [GREP...]: the last run's status and output lines
expect() {
	name=$1 want=$2
	shift 2
	if [ "$status" != "$want" ]; then
		not_ok "$name: status $status, expected $want"
		return
	fi
	for pat in "$@"; do
		if ! grep -qF -- "$pat" "$T/out" "$T/err"; then
			not_ok "$name: no \"$pat\""
			return
		fi
	done
	ok "$name"
}

run() {
	"$@" </dev/null >"$T/out" 2>"$T/err"
	status=$?
}

run $R check
expect "check" 0 "API version" "backend" "exit routing        yes" "guest debug         yes, single-step, hardware breakpoints"

run $R run --append foo "$G/hello.elf"
expect "hello.elf, debug exit 0" 1 "Hello from a ringside guest" \
	"cmdline: \"$G/hello.elf foo\"" "fw_cfg: RAM 128 MiB, CPUs 1" \
	"mem: lower 639 KiB, upper 130048 KiB" "boot loader: ringside" "bye"

run $R run "$G/hello.bin"
expect "hello.bin (a.out kludge)" 1 "Hello from a ringside guest" \
	"cmdline: \"$G/hello.bin \"" "bye"

printf 'module one\n' >"$T/m1"
printf 'two\n' >"$T/m2"
run $R run --mem 5G --cpus 3 --initrd "$T/m1 x=1,,y,$T/m2" "$G/hello.elf"
expect "5G, 3 CPUs, 2 modules" 1 "fw_cfg: RAM 5120 MiB, CPUs 3" \
	"mmap: 0000000100000000 0000000080000000 type 1" "modules: 2" \
	"module: \"$T/m1 x=1,y\", 11 bytes, \"module one\"" \
	"module: \"$T/m2\", 4 bytes, \"two\""

run $R run --append poweroff "$G/hello.elf"
expect "ACPI power off" 0 "powering off"

run $R run --append crash "$G/hello.elf"
expect "triple fault" 4 "triple fault" "cr0=0000000000000011"

printf 'typed.' | $R run --append echo "$G/hello.elf" >"$T/out" 2>"$T/err"
status=$?
expect "COM1 input" 1 "typed" "bye"

# A halt with interrupts off: the launcher's own APICs see it and say so;
# with the module's, the vCPU waits in the kernel (an NMI or INIT could
# still wake it) and SIGTERM ends the run all the same.
wait_for() {	# FILE PATTERN: up to 60 s
	i=0
	while [ $i -lt 60 ] && ! grep -q "$2" "$1"; do
		sleep 1
		i=$((i + 1))
	done
}
for apic in --user-apic ""; do
	rm -f "$T/out" "$T/err"		# not the last run's
	$R run $apic --append halt "$G/hello.elf" </dev/null >"$T/out" 2>"$T/err" &
	pid=$!
	wait_for "$T/out" "halting with interrupts off"
	[ -n "$apic" ] && wait_for "$T/err" "halted with interrupts disabled"
	kill -TERM $pid
	wait $pid
	status=$?
	if [ -n "$apic" ]; then
		expect "halt, then SIGTERM ($apic)" 143 "halting with interrupts off" \
			"halted with interrupts disabled"
	else
		expect "halt, then SIGTERM (the module's APIC)" 143 \
			"halting with interrupts off"
	fi
done

# Exit routing (--route): the events come to the launcher, which logs each
# as a line and has the module handle it as usual, so the guest ends as
# it would without.  The first character out of COM1 is the 'H' of Hello.
run $R run --route port=0xf4:0x3f8-0x3ff --route exc=ud:gp,hlt "$G/hello.elf"
expect "--route port=...: OUTs logged, the guest unchanged" 1 \
	"Hello from a ringside guest" "bye" \
	"route: vcpu=0 IO_OUT index=0x3f8 subindex=0x1 value=0x48 error=- len=1 " \
	"route: vcpu=0 IO_IN index=0x3fd subindex=0x1 " \
	"route: vcpu=0 IO_OUT index=0xf4 subindex=0x1 value=0x0 error=- len=2 "

run $R run --route exc=ud --append crash "$G/hello.elf"
expect "--route exc=ud: the #UD logged, delivered, a triple fault" 4 \
	"crashing: #UD" "route: vcpu=0 EXCEPTION(#UD) index=0x6 subindex=0x0 value=0x0 error=- len=0 " \
	"triple fault"

# --route-log: the lines go to the file as they happen (the run is still
# halted when the HLT's line is there), not to stderr.
rm -f "$T/out" "$T/err" "$T/route.log"
$R run --route hlt --route-log "$T/route.log" --append halt "$G/hello.elf" \
	</dev/null >"$T/out" 2>"$T/err" &
pid=$!
wait_for "$T/out" "halting with interrupts off"
touch "$T/route.log"
wait_for "$T/route.log" "route: vcpu=0 HLT "
kill -TERM $pid
wait $pid
status=$?
if ! grep -q "^route: vcpu=0 HLT index=0x0 .* len=1 " "$T/route.log"; then
	not_ok "--route hlt --route-log: no HLT line in the log"
	sed 's/^/#   /' "$T/route.log"
elif grep -q "^route:" "$T/out" "$T/err"; then
	not_ok "--route-log: routed events on stdout or stderr too"
else
	expect "--route hlt --route-log FILE, then SIGTERM" 143 \
		"halting with interrupts off"
fi

run $R run --route exc=nmi "$G/hello.elf"
expect "--route exc=nmi refused" 2 "vector 2 (NMI) stays the host's"
run $R run --kvm --route hlt "$G/hello.elf"
expect "--route with --kvm refused" 2 "drop --kvm or --route"

run $R run "$T/m1"
expect "not a Multiboot kernel" 2 "not a Multiboot kernel"

dd if=/dev/zero of="$T/big" bs=1024 count=3072 2>/dev/null
run $R run --mem 2M --initrd "$T/big" "$G/hello.elf"
expect "does not fit in RAM" 2 "try a larger --mem"

rm -rf "$T"
# kselftest's totals too, for scripts that add those up.
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
