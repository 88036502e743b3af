/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest entry for SVM (AMD64 APM vol. 2, 15.5 "VMRUN" and 15.5.2 "VMSAVE
 * and VMLOAD").
 *
 * VMRUN switches RAX, RSP, RIP, RFLAGS and the control and segment state;
 * the other general registers are ours to switch, and so is the state that
 * VMLOAD/VMSAVE move (FS, GS, TR, LDTR with their hidden parts,
 * KERNEL_GS_BASE, the SYSCALL and SYSENTER MSRs): the host's goes to a
 * per-CPU page before entry and comes back after, so nothing of the guest's
 * is left in the CPU once this returns.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>

/* Offsets in the gpr[] array, in ModRM order (see enum in rs.h). */
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
 * void svm_vmrun(u64 *gpr, unsigned long vmcb_pa, unsigned long host_pa,
 *		  u64 *spec_ctrl)
 * Called with GIF clear.  RAX and RSP of the guest live in the VMCB.
 *
 * What the host's speculation mitigations ask (spec.c) is done here, where
 * no RET or indirect branch can come between it and VMRUN, or between the
 * #VMEXIT and it, as in KVM's __svm_vcpu_run.
 */
SYM_FUNC_START(svm_vmrun)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rcx		/* spec_ctrl */
	push %rdi		/* gpr */
	push %rdx		/* host_pa */
	push %rsi		/* vmcb_pa */

	/*
	 * The guest's SPEC_CTRL where it differs from the host's; the host's
	 * GS base still reaches its per-CPU data until VMLOAD.
	 */
	ALTERNATIVE "jmp .Lguest_spec_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov (%rcx), %rax
	cmp PER_CPU_VAR(x86_spec_ctrl_current), %rax
	je .Lguest_spec_done
	mov $MSR_IA32_SPEC_CTRL, %ecx
	xor %edx, %edx
	wrmsr
	mov 8(%rsp), %rdx	/* host_pa */
.Lguest_spec_done:

	mov %rdx, %rax
	vmsave %rax
	mov %rsi, %rax
	vmload %rax

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

	/* MDS-like sampling (TSA): clear CPU buffers of host data (ZF only). */
	VM_CLEAR_CPU_BUFFERS

	vmrun %rax

	/* RAX is vmcb_pa again and RSP ours; the rest is the guest's. */
	push %rdi
	mov 3 * 8(%rsp), %rdi	/* gpr */
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

	pop %rax		/* vmcb_pa */
	vmsave %rax
	pop %rax		/* host_pa */
	vmload %rax
	pop %rdi		/* gpr */

	/* The guest may have filled the RSB with its own return targets. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* The host's SPEC_CTRL again, now that GS is the host's. */
	pop %rsi		/* spec_ctrl */
	ALTERNATIVE "jmp .Lhost_spec_done", "", X86_FEATURE_MSR_SPEC_CTRL
	mov PER_CPU_VAR(x86_spec_ctrl_current), %rax
	cmp (%rsi), %rax
	je .Lhost_spec_done
	mov $MSR_IA32_SPEC_CTRL, %ecx
	xor %edx, %edx
	wrmsr
.Lhost_spec_done:

	/*
	 * Retbleed and SRSO: untrain RET before the first one, and an IBPB
	 * where the host chose "IBPB on VMEXIT" (clobbers RAX, RCX, RDX).
	 */
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT

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
SYM_FUNC_END(svm_vmrun)
