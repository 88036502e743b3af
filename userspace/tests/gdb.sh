#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gdb on a guest, end to end (issue 14, section 3): Debian's gdb in batch
# mode against "ringside run --gdb 0 --gdb-wait", on the module.  Runs
# where the module is loaded (the test VM), from a folder holding guests/
# (gdbme.elf, a Multiboot kernel with symbols), gdb and Python's encodings
# package (gdb's Python needs it to start; nothing else of its library):
#
#   scripts/vm-run --add userspace/guests --add userspace/tests/gdb.sh \
#       --add /usr/bin/gdb --add /usr/lib/python3.11/encodings -- sh gdb.sh
#
# gdbme: break on a function, continue to it, read a variable and a
# register, stepi (the PC moves to the next instruction), watch the
# variable and continue (gdb shows the old and new value), a hardware
# breakpoint (hbreak) and continue to it, then continue from it (gdb
# takes it out, steps and puts it back) to the guest's debug exit, which
# gdb hears as the inferior's exit.  Again with two vCPUs, with the
# module's local APICs and the launcher's.  Then the errors: a fifth
# hardware breakpoint, and --gdb-wait without --gdb.
#
# With KERNEL (the test VM's own kernel, vmlinuz-$(uname -r)): a Linux
# guest booted with nokaslr stops at "hbreak *start_kernel", the address
# from the VM's /proc/kallsyms less its KASLR offset.  Another kernel (the
# debug kernel's VM) is skipped, saying so.
#
#   sh gdb.sh [KERNEL]
#
# RINGSIDE names the launcher (default: ringside on PATH), GDB gdb
# (default: ./gdb if there is one, else gdb on PATH), GDB_TIMEOUT the
# seconds a gdb session may take (default 300).  Ends with "N passed, N
# failed" and kselftest's totals; exits 1 if any failed.

R=${RINGSIDE:-ringside}
G=${GUESTS:-guests}
KERNEL=$1
GDB_TIMEOUT=${GDB_TIMEOUT:-300}
if [ -z "$GDB" ]; then
	GDB=gdb
	[ -x ./gdb ] && GDB=./gdb
fi
T=${TMPDIR:-/tmp}/ringside-gdb.$$
mkdir -p "$T" || exit 1
pass=0
fail=0
skip=0

ok() { pass=$((pass + 1)); echo "ok - $1"; }
# A failure shows gdb's and the launcher's output, once a session.
shown=
not_ok() {
	fail=$((fail + 1))
	echo "not ok - $1"
	[ -n "$shown" ] && return
	shown=1
	for f in "$T/gdb" "$T/out" "$T/err"; do
		[ -s "$f" ] || continue
		echo "#   --- ${f##*/}"
		tail -n 60 "$f" | sed 's/^/#   /'
	done
}

# Python's library, as far as gdb needs it: its encodings package, under
# a PYTHONHOME of its own (the version is libpython's, which vm-run
# brought with gdb).
if [ -d encodings ] && [ -z "$PYTHONHOME" ]; then
	lib=$(ls /lib/*/libpython3.*.so.1.0 /usr/lib/*/libpython3.*.so.1.0 \
		2>/dev/null | head -n 1)
	ver=${lib##*/libpython}
	ver=${ver%.so.1.0}
	mkdir -p "$T/python/lib/python$ver"
	ln -s "$PWD/encodings" "$T/python/lib/python$ver/encodings"
	export PYTHONHOME="$T/python"
fi
export HOME="$T"
# gdb reaches the launcher over the loopback interface.
ip link set lo up 2>/dev/null

# launch ARGS...: "ringside run --gdb 0 --gdb-wait ARGS..." in the
# background ($rpid), and the port it took ($port, empty if none).
launch() {
	rm -f "$T/out" "$T/gdb"
	: >"$T/err"
	shown=
	$R run --gdb 0 --gdb-wait "$@" </dev/null >"$T/out" 2>"$T/err" &
	rpid=$!
	port=
	i=0
	while [ $i -lt 100 ] && [ -z "$port" ]; do
		port=$(sed -n 's/.*waiting on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
			"$T/err")
		[ -n "$port" ] && break
		kill -0 $rpid 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}

# The launcher's status, once it ended; after @1 seconds SIGTERM ends it.
finish() {
	i=0
	while [ $i -lt "$1" ] && kill -0 $rpid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	kill -0 $rpid 2>/dev/null && kill -TERM $rpid
	wait $rpid
	status=$?
}

# gdb ARGS...: a batch session against the launcher's port, into $T/gdb.
# Without its Python package (only the encodings are here), gdb's frame
# unwinding says so in the middle of its lines: print-stack none.
run_gdb() {
	timeout "$GDB_TIMEOUT" "$GDB" -batch -nx \
		-iex 'set python print-stack none' "$@" >"$T/gdb" 2>&1
}

# has NAME PATTERN...: each a line of gdb's output (grep -E).
has() {
	name=$1
	shift
	for pat in "$@"; do
		if ! grep -qE -- "$pat" "$T/gdb"; then
			not_ok "$name: no \"$pat\" from gdb"
			return 1
		fi
	done
	ok "$name"
}

# The line after the one that is MARK, in gdb's output.
after() {
	sed -n "/^$1\$/{n;p;q}" "$T/gdb"
}

if ! "$GDB" -batch -nx -ex 'echo gdb-starts\n' >"$T/gdb" 2>&1 ||
   ! grep -q '^gdb-starts$' "$T/gdb"; then
	not_ok "gdb starts ($GDB)"
else
	ok "gdb starts ($GDB)"
fi

# --- gdbme --------------------------------------------------------------

launch "$G/gdbme.elf"
if [ -z "$port" ]; then
	not_ok "gdbme: ringside run --gdb 0 --gdb-wait: no port on stderr"
else
	run_gdb "$G/gdbme.elf" -ex "target remote 127.0.0.1:$port" \
		-ex 'echo at-start\n' -ex 'p/x $pc' \
		-ex 'break gdbme_break' -ex continue \
		-ex 'print gdbme_count' -ex 'info registers eip' \
		-ex 'echo before-stepi\n' -ex 'x/2i $pc' -ex stepi \
		-ex 'echo after-stepi\n' -ex 'p/x $pc' \
		-ex 'watch gdbme_count' -ex continue \
		-ex delete -ex 'hbreak gdbme_done' -ex continue \
		-ex 'print sum' -ex 'info breakpoints' -ex continue
	finish 60

	entry=$(after at-start)
	case $entry in
	*"= 0x10000c") ok "gdbme: --gdb-wait holds the guest at its entry" ;;
	*) not_ok "gdbme: --gdb-wait: \$pc at the start is \"$entry\", not _start (0x10000c)" ;;
	esac
	has "gdbme: break gdbme_break, continue" \
		'^Breakpoint 1, (0x[0-9a-f]+ in )?gdbme_break \(n=1\)'
	has "gdbme: print a variable" '^\$[0-9]+ = 1$'
	has "gdbme: info registers eip" \
		'^eip +0x[0-9a-f]+ +0x[0-9a-f]+ <gdbme_break(\+[0-9]+)?>'
	# x/2i: "=> 0x10001a <gdbme_break>: ..." then "   0x10001e <...>: ..."
	next=$(sed -n '/^before-stepi$/{n;n;p;q}' "$T/gdb" |
		sed -n 's/^ *\(0x[0-9a-f]*\) .*/\1/p')
	now=$(after after-stepi | sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p')
	if [ -n "$next" ] && [ -n "$now" ] && [ $((now)) -eq $((next)) ]; then
		ok "gdbme: stepi goes to the next instruction ($now)"
	else
		not_ok "gdbme: stepi: \$pc \"$now\", the next instruction \"$next\""
	fi
	has "gdbme: watch a variable, continue to its write" \
		'^Hardware watchpoint 2: gdbme_count$' '^Old value = 1$' \
		'^New value = 2$'
	has "gdbme: hbreak, continue to it" \
		'^Hardware assisted breakpoint 3 at 0x[0-9a-f]+' \
		'^Breakpoint 3, (0x[0-9a-f]+ in )?gdbme_done \(sum=50\)' \
		'^\$[0-9]+ = 50$'
	has "gdbme: continue from a hardware breakpoint to the guest's exit" \
		'^\[Inferior 1 \([^)]*\) exited with code 01\]$'
	if grep -q 'Program received signal\|Program terminated' "$T/gdb"; then
		not_ok "gdbme: a stop gdb did not understand"
	else
		ok "gdbme: every stop was a breakpoint, step or watchpoint"
	fi
	if [ "$status" = 1 ] && grep -q '^gdbme: done$' "$T/out"; then
		ok "gdbme: the guest ended through its debug exit (status 1)"
	else
		not_ok "gdbme: the guest: status $status, expected 1 and \"gdbme: done\""
	fi
fi

# Two vCPUs, two threads: the boot processor steps alone (the other waits
# for its SIPI), and the guest still ends; with the module's local APICs
# and with the launcher's (--user-apic: the launcher injects interrupts,
# none while stepping, and its vCPU threads wait for SIPI themselves).
for apic in "" --user-apic; do
	launch --cpus 2 $apic "$G/gdbme.elf"
	if [ -z "$port" ]; then
		not_ok "gdbme, 2 vCPUs${apic:+ $apic}: no port"
	else
		run_gdb "$G/gdbme.elf" -ex "target remote 127.0.0.1:$port" \
			-ex 'info threads' -ex 'break gdbme_break' -ex continue \
			-ex 'echo before-stepi\n' -ex 'x/2i $pc' -ex stepi \
			-ex 'echo after-stepi\n' -ex 'p/x $pc' -ex delete -ex continue
		finish 60
		has "gdbme, 2 vCPUs${apic:+ $apic}: a thread each, break, continue" \
			'^  2 +Thread 2 \(vCPU 1, ' \
			'^Thread 1 hit Breakpoint 1, (0x[0-9a-f]+ in )?gdbme_break \(n=1\)'
		next=$(sed -n '/^before-stepi$/{n;n;p;q}' "$T/gdb" |
			sed -n 's/^ *\(0x[0-9a-f]*\) .*/\1/p')
		now=$(after after-stepi | sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p')
		if [ -n "$next" ] && [ -n "$now" ] && [ $((now)) -eq $((next)) ]; then
			ok "gdbme, 2 vCPUs${apic:+ $apic}: stepi"
		else
			not_ok "gdbme, 2 vCPUs${apic:+ $apic}: stepi: \$pc \"$now\", the next instruction \"$next\""
		fi
		has "gdbme, 2 vCPUs${apic:+ $apic}: continue to the guest's exit" \
			'^\[Inferior 1 \([^)]*\) exited with code 01\]$'
	fi
done

# Four debug registers: a fifth hardware breakpoint is refused when gdb
# inserts them (at continue); the guest stays where it is.
launch "$G/gdbme.elf"
if [ -z "$port" ]; then
	not_ok "gdbme: five hbreaks: no port"
else
	run_gdb "$G/gdbme.elf" -ex "target remote 127.0.0.1:$port" \
		-ex 'hbreak gdbme_break' -ex 'hbreak gdbme_done' \
		-ex 'hbreak gdbme_main' -ex 'hbreak *0x100016' \
		-ex 'hbreak *0x100018' -ex continue -ex 'echo pc\n' -ex 'p/x $pc' \
		-ex kill
	finish 30
	has "gdbme: a fifth hardware breakpoint is refused" \
		'^Could not insert hardware break' && {
		pc=$(after pc)
		case $pc in
		*"= 0x10000c") ok "gdbme: ... and the guest did not run" ;;
		*) not_ok "gdbme: after the refusal \$pc is \"$pc\"" ;;
		esac
	}
	if [ "$status" = 0 ]; then
		ok "gdbme: gdb's kill ends the run with status 0"
	else
		not_ok "gdbme: kill: status $status, expected 0"
	fi
fi

rm -f "$T/gdb"
shown=
$R run --gdb-wait "$G/gdbme.elf" </dev/null >"$T/out" 2>"$T/err"
status=$?
if [ "$status" = 2 ] && grep -q 'without --gdb' "$T/err"; then
	ok "--gdb-wait without --gdb is refused"
else
	not_ok "--gdb-wait without --gdb: status $status, expected 2"
fi

# --- Linux --------------------------------------------------------------

# start_kernel where a kernel without KASLR has it: this kernel's address
# less its offset, which is _text's from __START_KERNEL_map plus the
# bzImage's pref_address (boot protocol 2.10, at 0x258), where _text is
# linked.
start_kernel_addr() {
	awk '$3 == "_text" { t = $1 } $3 == "start_kernel" { s = $1 }
	     END { if (t && s) print t, s }' /proc/kallsyms | {
		read -r text sk || return 1
		pref=$(od -An -tx8 -j600 -N8 "$KERNEL" | tr -d ' ')
		[ -n "$pref" ] || return 1
		printf '0x%x\n' \
			$((0x$sk - 0x$text + 0xffffffff80000000 + 0x$pref))
	}
}

# A bzImage's version string: at kernel_version (0x20e) + 0x200.
bzimage_version() {
	off=$(od -An -tu2 -j526 -N2 "$1" | tr -d ' ')
	dd if="$1" bs=1 skip=$((off + 512)) count=256 2>/dev/null |
		tr '\0' '\n' | head -n 1
}

addr=
if [ -n "$KERNEL" ]; then
	case $(bzimage_version "$KERNEL") in
	"$(uname -r) "*"$(uname -v)") same=1 ;;
	*) same= ;;
	esac
	if [ -z "$same" ]; then
		skip=$((skip + 1))
		echo "ok - Linux: break on start_kernel # SKIP $KERNEL is not" \
		     "the kernel this VM runs ($(uname -r) $(uname -v))"
	elif ! addr=$(start_kernel_addr) || [ -z "$addr" ]; then
		not_ok "Linux: no start_kernel in /proc/kallsyms"
	fi
fi
if [ -n "$addr" ]; then
	launch --mem 512M --append "console=ttyS0 nokaslr" "$KERNEL"
	if [ -z "$port" ]; then
		not_ok "Linux: ringside run --gdb 0 --gdb-wait: no port"
	else
		run_gdb -ex "target remote 127.0.0.1:$port" -ex "hbreak *$addr" \
			-ex continue -ex 'echo pc\n' -ex 'p/x $pc' \
			-ex 'info registers cr0 efer' -ex kill
		finish 60
		pc=$(after pc)
		if has "Linux: hbreak *start_kernel ($addr), continue to it" \
			"^Breakpoint 1, $addr in \\?\\? \\(\\)"; then
			case $pc in
			*"= $addr") ok "Linux: \$pc is start_kernel's" ;;
			*) not_ok "Linux: \$pc is \"$pc\", not $addr" ;;
			esac
		fi
		if [ "$status" = 0 ]; then
			ok "Linux: gdb's kill ends the run with status 0"
		else
			not_ok "Linux: kill: status $status, expected 0"
		fi
	fi
fi

rm -rf "$T"
# kselftest's totals too, for scripts that add those up.
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
