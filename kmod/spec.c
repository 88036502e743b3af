// SPDX-License-Identifier: GPL-2.0
/*
 * Speculation: what the host's mitigations ask of guest entry and exit.
 *
 * ringside chooses nothing here.  It follows the host kernel, whose choices
 * arch/x86/kernel/cpu/bugs.c made at boot and left in synthetic CPU
 * features, and does what KVM 6.1 does where KVM does it:
 *
 *  - svm_entry.S and vmx_entry.S: the guest's SPEC_CTRL across the entry,
 *    the RSB filled after the exit before any RET, UNTRAIN_RET (Retbleed,
 *    SRSO) and IBPB on VMEXIT (SRSO) on SVM, the branch history cleared on
 *    VMX, VERW before the entry (MDS, TAA, TSA); on AMD's Zen 1, a
 *    division before VMRUN, so that the guest cannot sample the host's
 *    last quotient (svm_vcpu_run(), X86_BUG_DIV0).
 *  - rs_spec_enter() (rs.h): an IBPB when this CPU last ran another VM.
 *  - rs_vcpu_exit_done() (rs.h): the IBPB on the way back to user space
 *    (VMSCAPE).
 *  - rs_l1d_flush(): the L1D flush before VM entry (L1TF, VMX only).
 *
 * rs_mitigations says which are on, for RS_CAP_MITIGATIONS and `ringside
 * check`.
 */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/spec-ctrl.h>

#include "rs.h"

u32 rs_mitigations __ro_after_init;
/* SPEC_CTRL bits the host's CPU implements, which a guest may set. */
u64 rs_spec_ctrl_bits __ro_after_init;
/* The VM whose vCPU this CPU ran last (rs_vm.spec_id), for the IBPB. */
DEFINE_PER_CPU(u64, rs_last_vm);
/* RS_MITIGATE_L1D_FLUSH, as a jump label on the VMX entry path. */
DEFINE_STATIC_KEY_FALSE(rs_l1d_flush_key);

static atomic64_t rs_vm_gen = ATOMIC64_INIT(0);

/*
 * The 64 KiB that the software L1D flush reads: twice the L1D of the
 * CPUs that L1TF affects, as its replacement is not exactly LRU (Intel's
 * L1TF guidance, KVM's vmx_l1d_flush()).
 */
#define RS_L1D_FLUSH_ORDER	4
static void *rs_l1d_pages;

/* A number for the IBPB on VM switch: unlike a pointer, never reused. */
u64 rs_spec_new_vm(void)
{
	return atomic64_inc_return(&rs_vm_gen);
}

/*
 * Software L1D flush: touch each page first, so that no TLB miss
 * interrupts the fill, then read one byte per line; CPUID serializes in
 * between.
 */
static void rs_l1d_flush_sw(void)
{
	const unsigned long size = PAGE_SIZE << RS_L1D_FLUSH_ORDER;
	unsigned long i;

	for (i = 0; i < size; i += PAGE_SIZE)
		READ_ONCE(*(u8 *)(rs_l1d_pages + i));
	native_cpuid_eax(0);
	for (i = 0; i < size; i += L1_CACHE_BYTES)
		READ_ONCE(*(u8 *)(rs_l1d_pages + i));
	barrier_nospec();
}

/*
 * Called with IRQs off right before a VMX entry when RS_MITIGATE_L1D_FLUSH
 * is on.  Unless the host asked for a flush before every entry, only after
 * the host did something whose data an L1TF guest could read: user space
 * ran (a new RS_RUN), another task ran on this CPU, an interrupt came, or
 * ringside faulted in guest memory (l1d_flush_owed).
 */
void rs_l1d_flush(struct rs_vcpu *vcpu)
{
	unsigned long switches = current->nvcsw + current->nivcsw;

	if (!(rs_mitigations & RS_MITIGATE_L1D_ALWAYS)) {
		bool owed = vcpu->l1d_flush_owed || kvm_get_cpu_l1tf_flush_l1d() ||
			    switches != vcpu->l1d_switches;

		if (!owed)
			return;
	}
	vcpu->l1d_flush_owed = false;
	vcpu->l1d_switches = switches;
	kvm_clear_cpu_l1tf_flush_l1d();
	WRITE_ONCE(vcpu->stats.l1d_flushes, vcpu->stats.l1d_flushes + 1);

	if (static_cpu_has(X86_FEATURE_FLUSH_L1D))
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	else
		rs_l1d_flush_sw();
}

/* L1TF (Intel's): the host's l1tf= choice, unless the CPU says no need. */
static int rs_l1d_flush_init(void)
{
	u64 caps = 0;
	struct page *page;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) || l1tf_mitigation == L1TF_MITIGATION_OFF)
		return 0;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	if (caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		return 0;

	if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		page = alloc_pages(GFP_KERNEL, RS_L1D_FLUSH_ORDER);
		if (!page)
			return -ENOMEM;
		rs_l1d_pages = page_address(page);
		/* Different contents, so that nothing merges the pages. */
		for (caps = 0; caps < 1U << RS_L1D_FLUSH_ORDER; caps++)
			memset(rs_l1d_pages + caps * PAGE_SIZE, caps + 1, PAGE_SIZE);
	}
	rs_mitigations |= RS_MITIGATE_L1D_FLUSH;
	static_branch_enable(&rs_l1d_flush_key);
	if (l1tf_mitigation == L1TF_MITIGATION_FULL ||
	    l1tf_mitigation == L1TF_MITIGATION_FULL_FORCE)
		rs_mitigations |= RS_MITIGATE_L1D_ALWAYS;
	return 0;
}

/* What the host does, read once when the module loads. */
int rs_spec_init(bool vmx)
{
	if (boot_cpu_has(X86_FEATURE_RSB_VMEXIT) ||
	    (vmx && boot_cpu_has(X86_FEATURE_RSB_VMEXIT_LITE)))
		rs_mitigations |= RS_MITIGATE_RSB_FILL;
	if (!vmx && (boot_cpu_has(X86_FEATURE_UNRET) ||
		     boot_cpu_has(X86_FEATURE_SRSO) ||
		     boot_cpu_has(X86_FEATURE_SRSO_ALIAS) ||
		     boot_cpu_has(X86_FEATURE_ENTRY_IBPB)))
		rs_mitigations |= RS_MITIGATE_UNTRAIN_RET;
	if (!vmx && boot_cpu_has(X86_FEATURE_IBPB_ON_VMEXIT))
		rs_mitigations |= RS_MITIGATE_IBPB_EXIT;
	if (boot_cpu_has(X86_FEATURE_CLEAR_CPU_BUF_VM) ||
	    (vmx && boot_cpu_has(X86_FEATURE_CLEAR_CPU_BUF)))
		rs_mitigations |= RS_MITIGATE_VERW;
	if (vmx && boot_cpu_has(X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT))
		rs_mitigations |= RS_MITIGATE_BHB_CLEAR;
	if (boot_cpu_has(X86_FEATURE_USE_IBPB))
		rs_mitigations |= RS_MITIGATE_IBPB_VM;
	if (boot_cpu_has(X86_FEATURE_IBPB_EXIT_TO_USER))
		rs_mitigations |= RS_MITIGATE_IBPB_USER;
	if (!vmx && boot_cpu_has_bug(X86_BUG_DIV0))
		rs_mitigations |= RS_MITIGATE_DIV0;

	if (boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL)) {
		rs_mitigations |= RS_MITIGATE_SPEC_CTRL;
		if (boot_cpu_has(X86_FEATURE_IBRS))
			rs_spec_ctrl_bits |= SPEC_CTRL_IBRS;
		if (boot_cpu_has(X86_FEATURE_STIBP))
			rs_spec_ctrl_bits |= SPEC_CTRL_STIBP;
		if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD) ||
		    boot_cpu_has(X86_FEATURE_AMD_SSBD))
			rs_spec_ctrl_bits |= SPEC_CTRL_SSBD;
	}
	return vmx ? rs_l1d_flush_init() : 0;
}

void rs_spec_cleanup(void)
{
	static_branch_disable(&rs_l1d_flush_key);
	if (rs_l1d_pages)
		free_pages((unsigned long)rs_l1d_pages, RS_L1D_FLUSH_ORDER);
	rs_l1d_pages = NULL;
}
