/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IDT entry stubs for guest code: one 16-byte stub per vector, so the
 * host finds vector v's at rs_idt_stubs + 16 * v.  Each pushes a dummy
 * error code where the CPU pushes none (SDM vol. 3A, 6.15, table 6-1:
 * 8, 10-14, 17, 21, 29 and 30 have one), then the vector, saves the
 * general registers as struct rs_ex_regs and calls rs_guest_exception().
 */
	.text
	.code64
	.altmacro

	.macro stub vec
	.balign 16
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	/* at most 2 + 5 + 5 bytes: a near JMP keeps each stub in its slot */
	.byte	0xe9
	.long	rs_idt_common - (. + 4)
	.endm

	.balign 16
	.globl	rs_idt_stubs
rs_idt_stubs:
	.set	vec, 0
	.rept	256
	stub	%vec
	.set	vec, vec + 1
	.endr

/*
 * The CPU aligned RSP to 16 before pushing its 5-word frame (SDM vol. 3A,
 * 6.14.2); with the error code, vector and 15 registers that is 22 words,
 * so RSP is 16-byte aligned again at the call.
 */
rs_idt_common:
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rdi
	pushq	%rsi
	pushq	%rbp
	pushq	%rbx
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	movq	%rsp, %rdi
	cld
	call	rs_guest_exception
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rbx
	popq	%rbp
	popq	%rsi
	popq	%rdi
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	addq	$16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
