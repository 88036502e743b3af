/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark's guest: 16-bit real-mode loops, one per exit kind,
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

/*
 * The local APIC's kinds, on the hypervisor's in-kernel APIC in x2APIC
 * mode (its MSRs work in real mode).  Each blob starts with a jump over
 * the handler of BENCH_APIC_VECTOR, which sits at BENCH_CODE_GPA + 2 and
 * EOIs; the prologue points the IVT's entry 40H at it, sets EXTD in
 * IA32_APIC_BASE and software-enables the APIC.  They end with an OUT to
 * BENCH_END_PORT instead of HLT, which an in-kernel APIC keeps.
 */
	/* x2APIC mode (EXTD in IA32_APIC_BASE), software-enabled. */
	.macro	apic_enable
	movl	$0x1b, %ecx			/* IA32_APIC_BASE |= EXTD */
	rdmsr
	orl	$0x400, %eax
	wrmsr
	movl	$0x80f, %ecx			/* SVR: enabled */
	movl	$0x1ff, %eax
	xorl	%edx, %edx
	wrmsr
	.endm

	.macro	apic_prologue
	jmp	3f
	pushl	%eax				/* BENCH_CODE_GPA + 2 */
	pushl	%ecx
	pushl	%edx
	movl	$0x80b, %ecx			/* EOI */
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	popl	%edx
	popl	%ecx
	popl	%eax
	iret
3:	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x8000, %sp
	movw	$0x1002, 0x100			/* IVT[40H]: 0000:1002 */
	movw	$0, 0x102
	apic_enable
	.endm

	.macro	apic_epilogue
	cli
2:	outb	%al, $0x82			/* BENCH_END_PORT */
	jmp	2b
	.endm

/* EOI by WRMSR 80BH, nothing in service: the EOI write's exit alone. */
	.globl bench_guest_eoi, bench_guest_eoi_end
bench_guest_eoi:
	apic_prologue
	xorl	%eax, %eax
	xorl	%edx, %edx
	movl	$0x80b, %ecx
1:	wrmsr
	decl	%esi
	jnz	1b
	apic_epilogue
bench_guest_eoi_end:

/*
 * A self-IPI (SELF IPI register, 83FH) taken and EOIed: per iteration
 * the IPI's WRMSR, the injection, the handler's EOI.
 */
	.globl bench_guest_selfipi, bench_guest_selfipi_end
bench_guest_selfipi:
	apic_prologue
	sti
1:	movl	$0x83f, %ecx
	movl	$0x40, %eax			/* BENCH_APIC_VECTOR */
	xorl	%edx, %edx
	wrmsr
	decl	%esi
	jnz	1b
	apic_epilogue
bench_guest_selfipi_end:

/*
 * The timer in TSC-deadline mode armed for now: per iteration the
 * IA32_TSC_DEADLINE write, the timer's expiry and injection, the EOI.
 */
	.globl bench_guest_timer, bench_guest_timer_end
bench_guest_timer:
	apic_prologue
	movl	$0x832, %ecx			/* LVT timer: TSC deadline, 40H */
	movl	$0x40040, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$0x6e0, %ecx			/* IA32_TSC_DEADLINE */
	sti
1:	rdtsc
	wrmsr
	decl	%esi
	jnz	1b
	apic_epilogue
bench_guest_timer_end:

/*
 * An IPI round trip between two vCPUs, each halted while the other works.
 * vCPU 0 sends 41H to vCPU 1 (x2APIC ICR, physical destination 1) and
 * halts; vCPU 1's handler answers with 40H to vCPU 0 and EOIs; vCPU 0's
 * handler EOIs and it goes round again.  Per iteration: two ICR writes,
 * two wake-ups of a halted vCPU, two injections, two EOIs, two HLTs.
 *
 * vCPU 1 starts at bench_guest_ipi_ap (the host sets its registers, as
 * vCPU 0's) and says it is ready in the blob's own byte ipi_ready, which
 * each copy of the blob clears; vCPU 0 waits for it and then tells the
 * host to start its clock with an OUT to BENCH_START_PORT, so that the
 * start of vCPU 1's thread is not measured.  At the end vCPU 0 sends 42H, whose
 * handler on vCPU 1 EOIs and leaves with an OUT to BENCH_END_PORT, as
 * vCPU 0 then does: both APICs are idle for the next loop.
 */
#define IPI_AT(label)	(0x1000 + (label) - bench_guest_ipi)	/* BENCH_CODE_GPA */

	.globl bench_guest_ipi, bench_guest_ipi_ap, bench_guest_ipi_end
bench_guest_ipi:
	apic_prologue
	jmp	7f
ipi_ready:
	.byte	0
bench_guest_ipi_ap:
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7000, %sp
	apic_enable
	movb	$1, IPI_AT(ipi_ready)
	sti
4:	hlt
	jmp	4b
ipi_pong:					/* vCPU 1, 41H: answer, EOI */
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	movl	$0x830, %ecx			/* ICR: 40H to APIC 0 */
	movl	$0x40, %eax			/* BENCH_APIC_VECTOR */
	xorl	%edx, %edx
	wrmsr
	movl	$0x80b, %ecx			/* EOI */
	xorl	%eax, %eax
	wrmsr
	popl	%edx
	popl	%ecx
	popl	%eax
	iret
ipi_stop:					/* vCPU 1, 42H: EOI and leave */
	movl	$0x80b, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	cli
5:	outb	%al, $0x82			/* BENCH_END_PORT */
	jmp	5b
7:	movw	$IPI_AT(ipi_pong), 0x104	/* IVT[41H] */
	movw	$0, 0x106
	movw	$IPI_AT(ipi_stop), 0x108	/* IVT[42H] */
	movw	$0, 0x10a
6:	pause
	cmpb	$0, IPI_AT(ipi_ready)
	je	6b
	outb	%al, $0x83			/* BENCH_START_PORT: clock on */
	movl	$0x830, %ecx			/* ICR: 41H to APIC 1 */
	movl	$1, %edx
1:	movl	$0x41, %eax
	wrmsr
	sti					/* HLT is in STI's shadow: */
	hlt					/* the answer cannot slip by */
	cli
	decl	%esi
	jnz	1b
	movl	$0x42, %eax			/* vCPU 1: stop */
	wrmsr
	apic_epilogue
bench_guest_ipi_end:

	.section .note.GNU-stack, "", @progbits
