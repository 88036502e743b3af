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
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
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
 * bool vmx_vcpu_enter(u64 *gpr, bool launched, u64 *spec_ctrl)
 * Called with IRQs off and the vCPU's VMCS current on this CPU.
 *
 * What the host's speculation mitigations ask (spec.c) is done here, where
 * no RET or indirect branch can come between it and the entry, or between
 * the exit and it, as in KVM's __vmx_vcpu_run.
 */
SYM_FUNC_START(vmx_vcpu_enter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdx		/* spec_ctrl: at 8(%rsp) after the exit */
	push %rdi		/* gpr: at 0(%rsp) after the exit */

	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jna .Lvmfail

	/* The guest's SPEC_CTRL where it differs from the host's. */
	ALTERNATIVE "jmp .Lguest_spec_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov (%rdx), %rax
	cmp PER_CPU_VAR(x86_spec_ctrl_current), %rax
	je .Lguest_spec_done
	mov $MSR_IA32_SPEC_CTRL, %ecx
	xor %edx, %edx
	wrmsr
.Lguest_spec_done:

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

	/*
	 * MDS, TAA, MMIO stale data: clear CPU buffers of host data (changes
	 * ZF only).  Linux 6.1 asks for it with CLEAR_CPU_BUF, later ones
	 * with CLEAR_CPU_BUF_VM.
	 */
	ALTERNATIVE_2 "jmp .Lverw_done", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw x86_verw_sel(%rip)
.Lverw_done:

	jnc .Lvmlaunch

	/* A successful entry comes back at vmx_vmexit, not below. */
	UNWIND_HINT_SAVE
	vmresume
	jmp .Lvmfail_entry
.Lvmlaunch:
	vmlaunch
	jmp .Lvmfail_entry

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
	xor %ebx, %ebx		/* entered: return false */

	/*
	 * The host's SPEC_CTRL where the guest's differs, and always under
	 * legacy IBRS, which must be set again after a less privileged
	 * predictor mode ran (KVM's vmx_spec_ctrl_restore_host()).  A failed
	 * VMLAUNCH or VMRESUME comes here too, with the guest's loaded.
	 */
.Lhost_spec:
	ALTERNATIVE "jmp .Lhost_spec_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov 8(%rsp), %rsi	/* spec_ctrl */
	mov PER_CPU_VAR(x86_spec_ctrl_current), %rax
	ALTERNATIVE "", "jmp .Lhost_spec_write", X86_FEATURE_KERNEL_IBRS
	cmp (%rsi), %rax
	je .Lhost_spec_fence
.Lhost_spec_write:
	mov $MSR_IA32_SPEC_CTRL, %ecx
	mov %rax, %rdx
	shr $32, %rdx
	wrmsr
.Lhost_spec_fence:
	lfence
.Lhost_spec_done:

	CLEAR_BRANCH_HISTORY_VMEXIT
	mov %ebx, %eax
	jmp .Lout

	/* VMLAUNCH or VMRESUME failed: RSP is still ours. */
.Lvmfail_entry:
	mov $1, %ebx
	jmp .Lhost_spec

.Lvmfail:
	mov $1, %eax

.Lout:
	add $16, %rsp		/* gpr, spec_ctrl */

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
