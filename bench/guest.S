/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark's guest: five 16-bit real-mode loops, one per exit kind,
 * assembled into read-only data of the host program.  The host copies one
 * of them to guest-physical 0x1000 and runs it from CS:IP 0000:1000 with
 * the iteration count N in ESI (not ECX: CPUID overwrites it).  Each does
 * N exits of its kind and then HLT, followed by a two-byte JMP back to it:
 * when the host sees that last exit, RIP is end - 2 and ESI is 0, which it
 * checks.
 *
 * Only position-independent code: the loops jump backwards by relative
 * displacements, so they run wherever they are copied.
 */
	.section .rodata, "a"
	.code16

/* CPUID leaf 0: both hypervisors answer it in the kernel, no user exit. */
	.globl bench_guest_cpuid, bench_guest_cpuid_end
bench_guest_cpuid:
1:	xorl	%eax, %eax
	cpuid
	decl	%esi
	jnz	1b
2:	hlt
	jmp	2b
bench_guest_cpuid_end:

/* OUT to a port no hypervisor handles in the kernel: exits to user space. */
	.globl bench_guest_io, bench_guest_io_end
bench_guest_io:
	xorb	%al, %al
1:	outb	%al, $0x80			/* BENCH_IO_PORT */
	decl	%esi
	jnz	1b
2:	hlt
	jmp	2b
bench_guest_io_end:

/*
 * OUT to the port that an eventfd is registered for: the hypervisor
 * signals it in the kernel, and the whole loop is one RUN, as CPUID's.
 */
	.globl bench_guest_ioevent, bench_guest_ioevent_end
bench_guest_ioevent:
	xorb	%al, %al
1:	outb	%al, $0x81			/* BENCH_EVENT_PORT */
	decl	%esi
	jnz	1b
2:	hlt
	jmp	2b
bench_guest_ioevent_end:

/*
 * REP INSB of BENCH_STRING_BYTES from the same port into 0000:2000, all
 * in one page: one exit to user space per string on both hypervisors
 * (ringside's run page and KVM's emulator both take a page's worth), and
 * the hypervisor then copies the bytes into guest memory.
 */
	.globl bench_guest_ins, bench_guest_ins_end
bench_guest_ins:
	xorw	%ax, %ax
	movw	%ax, %es
1:	movw	$0x2000, %di			/* BENCH_STRING_GPA */
	movw	$1024, %cx			/* BENCH_STRING_BYTES */
	movw	$0x80, %dx			/* BENCH_IO_PORT */
	rep insb
	decl	%esi
	jnz	1b
2:	hlt
	jmp	2b
bench_guest_ins_end:

/*
 * A byte store to 0xffff:0x0010, linear 0x100000: the first byte past the
 * 1 MiB slot, an MMIO exit to user space.  A plain MOV r/m8, r8 (88 /r),
 * which every MMIO decoder knows.  No A20 gate in either hypervisor.
 */
	.globl bench_guest_mmio, bench_guest_mmio_end
bench_guest_mmio:
	movw	$0xffff, %ax
	movw	%ax, %ds
	movw	$0x10, %bx
	xorb	%al, %al
1:	movb	%al, (%bx)			/* BENCH_MMIO_GPA */
	decl	%esi
	jnz	1b
2:	hlt
	jmp	2b
bench_guest_mmio_end:

/*
 * HLT with interrupts off: without an in-kernel local APIC (ringside has
 * none, and KVM gets no KVM_CREATE_IRQCHIP) each one exits to user space.
 * N HLTs in the loop, then the final one: N + 1 HLT exits.
 */
	.globl bench_guest_hlt, bench_guest_hlt_end
bench_guest_hlt:
1:	hlt
	decl	%esi
	jnz	1b
2:	hlt
	jmp	2b
bench_guest_hlt_end:

	.section .note.GNU-stack, "", @progbits
