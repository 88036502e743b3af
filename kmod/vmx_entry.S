/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest entry for VMX (Intel SDM vol. 3C, 26 "VM Entries" and 27 "VM Exits").
 *
 * VM entry loads the guest's RSP, RIP and RFLAGS from the VMCS and a VM exit
 * loads the host's RSP and RIP from it (27.5.3); every other general
 * register is ours to switch.  HOST_RSP is written right before entry, so
 * that the exit lands on this very stack frame, at vmx_vmexit.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

/* The HOST_RSP field encoding (SDM vol. 3C, appendix B.4.4). */
#define VMCS_HOST_RSP	0x00006c14

/* Offsets in the gpr[] array, in ModRM order (see enum in rs.h). */
#define G_RAX	(0 * 8)
#define G_RCX	(1 * 8)
#define G_RDX	(2 * 8)
#define G_RBX	(3 * 8)
#define G_RBP	(5 * 8)
#define G_RSI	(6 * 8)
#define G_RDI	(7 * 8)
#define G_R8	(8 * 8)
#define G_R9	(9 * 8)
#define G_R10	(10 * 8)
#define G_R11	(11 * 8)
#define G_R12	(12 * 8)
#define G_R13	(13 * 8)
#define G_R14	(14 * 8)
#define G_R15	(15 * 8)

	.text

/*
 * bool vmx_vcpu_enter(u64 *gpr, bool launched)
 * Called with IRQs off and the vCPU's VMCS current on this CPU.
 */
SYM_FUNC_START(vmx_vcpu_enter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdi		/* gpr: at 0(%rsp) after the exit */

	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jna .Lvmfail

	/* CF = launched; nothing below changes CF before the jump. */
	bt $0, %esi

	mov G_RAX(%rdi), %rax
	mov G_RCX(%rdi), %rcx
	mov G_RDX(%rdi), %rdx
	mov G_RBX(%rdi), %rbx
	mov G_RBP(%rdi), %rbp
	mov G_RSI(%rdi), %rsi
	mov G_R8(%rdi), %r8
	mov G_R9(%rdi), %r9
	mov G_R10(%rdi), %r10
	mov G_R11(%rdi), %r11
	mov G_R12(%rdi), %r12
	mov G_R13(%rdi), %r13
	mov G_R14(%rdi), %r14
	mov G_R15(%rdi), %r15
	mov G_RDI(%rdi), %rdi

	/* MDS and friends: flush CPU buffers of host data (changes ZF only). */
	VM_CLEAR_CPU_BUFFERS

	jnc .Lvmlaunch

	/* A successful entry comes back at vmx_vmexit, not below. */
	UNWIND_HINT_SAVE
	vmresume
	jmp .Lvmfail
.Lvmlaunch:
	vmlaunch
	jmp .Lvmfail

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	/* RSP is HOST_RSP again: gpr is at 0(%rsp). */
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, G_RAX(%rdi)
	mov %rcx, G_RCX(%rdi)
	mov %rdx, G_RDX(%rdi)
	mov %rbx, G_RBX(%rdi)
	mov %rbp, G_RBP(%rdi)
	mov %rsi, G_RSI(%rdi)
	mov %r8, G_R8(%rdi)
	mov %r9, G_R9(%rdi)
	mov %r10, G_R10(%rdi)
	mov %r11, G_R11(%rdi)
	mov %r12, G_R12(%rdi)
	mov %r13, G_R13(%rdi)
	mov %r14, G_R14(%rdi)
	mov %r15, G_R15(%rdi)
	pop G_RDI(%rdi)

	/*
	 * The guest may have filled the RSB with its own return targets: fill
	 * it with harmless ones before the first unbalanced RET (as KVM does).
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	CLEAR_BRANCH_HISTORY_VMEXIT

	xor %eax, %eax
	jmp .Lout

.Lvmfail:
	mov $1, %eax

.Lout:
	add $8, %rsp		/* gpr */

	/* Leave no guest value in a register the caller may clobber. */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(vmx_vcpu_enter)

/*
 * void vmx_do_nmi(void)
 * An NMI that exits the guest is not delivered to the host (SDM vol. 3C,
 * 25.3 and 27.1); NMIs stay blocked until the next IRET.  Call the host's
 * NMI entry on an interrupt frame as the CPU would build it, with IRQs off;
 * its IRET unblocks NMIs.
 */
SYM_FUNC_START(vmx_do_nmi)
	push %rbp
	mov %rsp, %rbp
	and $-16, %rsp		/* the CPU aligns RSP for an interrupt frame */
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	call asm_exc_nmi_noist
	/* IRET already restored RSP; say so to objtool. */
	mov %rbp, %rsp
	pop %rbp
	RET
SYM_FUNC_END(vmx_do_nmi)
