// SPDX-License-Identifier: GPL-2.0
/*
 * ringside's AMD SVM backend (AMD64 APM vol. 2, chapter 15).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/user-return-notifier.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/svm.h>
#include <asm/trapnr.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/pgtable_types.h>
#include <asm/special_insns.h>

#include "rs.h"
#include "svm.h"
#include "stats.h"
#include "trace.h"

/* CPUID Fn8000_0001 ECX and Fn8000_000A EDX (APM vol. 2, 15.4 and E.4.9). */
#define SVM_CPUID_SVM			BIT(2)
#define SVM_FEAT_NP			BIT(0)
#define SVM_FEAT_NRIPS			BIT(3)
#define SVM_FEAT_VMCB_CLEAN		BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID		BIT(6)
#define SVM_FEAT_DECODE_ASSISTS		BIT(7)

/* VM_CR.SVMDIS: the firmware turned SVM off (APM vol. 2, 15.30.1). */
#define SVM_VM_CR_SVMDIS		BIT(4)

/*
 * Per CPU: the host state save area VMRUN writes to (15.30.4), a page for
 * the host's VMSAVE state (15.5.2), and the ASIDs handed out on this CPU.
 */
static DEFINE_PER_CPU(struct page *, svm_hsave);
static DEFINE_PER_CPU(struct page *, svm_host_save);
static DEFINE_PER_CPU(u64, svm_asid_gen);
static DEFINE_PER_CPU(u32, svm_next_asid);
/* A new ASID generation began: its TLB flush is owed until a VMRUN does it. */
static DEFINE_PER_CPU(bool, svm_flush_all);

static u32 svm_max_asid;
static u64 svm_host_xcr0;
static bool svm_host_pkru;	/* the host uses protection keys */
static bool svm_host_tsc_aux;	/* the CPU has TSC_AUX (RDTSCP or RDPID) */
static void *svm_iopm;		/* 12 KiB, every port intercepted */
static void *svm_msrpm;		/* 8 KiB, all but a few MSRs intercepted */
/* 8 KiB, every MSR intercepted: a route's when its own map is not there */
static void *svm_msrpm_all;

static struct rs_arch_ops svm_ops;

/*
 * TSC_AUX: RDPID reads it and cannot be intercepted (RDTSCP is, and is
 * #UD), so a guest would read the host's value (its CPU and node number).
 * The guest's is loaded at entry when it differs; the host's comes back
 * only when this CPU returns to user space, through a user-return
 * notifier, as KVM does: the kernel itself never reads TSC_AUX.
 */
struct svm_tsc_aux {
	struct user_return_notifier urn;
	bool registered;
	u64 host;		/* while registered: to restore */
	u64 curr;		/* in the MSR now */
};

static DEFINE_PER_CPU(struct svm_tsc_aux, svm_tsc_aux);

/* With IRQs off, or from the notifier, on the CPU of @urn. */
static void svm_tsc_aux_restore(struct user_return_notifier *urn)
{
	struct svm_tsc_aux *aux = container_of(urn, struct svm_tsc_aux, urn);
	unsigned long flags;

	local_irq_save(flags);
	if (aux->registered) {
		if (aux->curr != aux->host)
			wrmsrl(MSR_TSC_AUX, aux->host);
		aux->curr = aux->host;
		aux->registered = false;
		user_return_notifier_unregister(urn);
	}
	local_irq_restore(flags);
}

/* With IRQs off, before VMRUN. */
static void svm_load_tsc_aux(u64 val)
{
	struct svm_tsc_aux *aux = this_cpu_ptr(&svm_tsc_aux);

	if (aux->curr == val)
		return;
	if (!aux->registered) {
		aux->host = aux->curr;
		aux->urn.on_user_return = svm_tsc_aux_restore;
		user_return_notifier_register(&aux->urn);
		aux->registered = true;
	}
	wrmsrl(MSR_TSC_AUX, val);
	aux->curr = val;
}

static void svm_free_percpu(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_hsave, cpu))
			__free_page(per_cpu(svm_hsave, cpu));
		if (per_cpu(svm_host_save, cpu))
			__free_page(per_cpu(svm_host_save, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
		per_cpu(svm_host_save, cpu) = NULL;
	}
}

/* MSRs VMLOAD/VMSAVE switch: the guest may use them without an exit. */
static const u32 svm_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/*
 * The MSR permission map: three 2 KiB ranges of 0x2000 MSRs, two bits
 * each, read then write (15.11 "MSR Intercepts").
 */
static const u32 svm_msrpm_base[] = { 0, 0xc0000000, 0xc0010000 };
#define SVM_MSRPM_BITS		(ARRAY_SIZE(svm_msrpm_base) * 0x4000)
#define SVM_MSRPM_ORDER		get_order(2 * PAGE_SIZE)

static void svm_msrpm_allow(u32 msr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(svm_msrpm_base); i++) {
		if (msr - svm_msrpm_base[i] < 0x2000) {
			u32 bit = i * 0x4000 + (msr - svm_msrpm_base[i]) * 2;

			__clear_bit(bit, svm_msrpm);		/* read */
			__clear_bit(bit + 1, svm_msrpm);	/* write */
		}
	}
}

static int svm_setup(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		per_cpu(svm_hsave, cpu) = alloc_pages_node(cpu_to_node(cpu),
							   GFP_KERNEL | __GFP_ZERO, 0);
		per_cpu(svm_host_save, cpu) = alloc_pages_node(cpu_to_node(cpu),
							       GFP_KERNEL | __GFP_ZERO, 0);
		if (!per_cpu(svm_hsave, cpu) || !per_cpu(svm_host_save, cpu))
			goto err;
	}
	svm_iopm = (void *)__get_free_pages(GFP_KERNEL, get_order(3 * PAGE_SIZE));
	svm_msrpm = (void *)__get_free_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	svm_msrpm_all = (void *)__get_free_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm || !svm_msrpm_all)
		goto err;
	memset(svm_iopm, 0xff, 3 * PAGE_SIZE);
	memset(svm_msrpm, 0xff, 2 * PAGE_SIZE);
	memset(svm_msrpm_all, 0xff, 2 * PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		svm_msrpm_allow(svm_passthrough_msrs[i]);

	svm_max_asid = cpuid_ebx(0x8000000a) - 1;
	svm_host_pkru = boot_cpu_has(X86_FEATURE_OSPKE);
	svm_host_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			   boot_cpu_has(X86_FEATURE_RDPID);
	svm_host_xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	return 0;
err:
	svm_free_percpu();
	free_pages((unsigned long)svm_iopm, get_order(3 * PAGE_SIZE));
	free_pages((unsigned long)svm_msrpm, SVM_MSRPM_ORDER);
	free_pages((unsigned long)svm_msrpm_all, SVM_MSRPM_ORDER);
	return -ENOMEM;
}

static void svm_unsetup(void)
{
	svm_free_percpu();
	free_pages((unsigned long)svm_iopm, get_order(3 * PAGE_SIZE));
	free_pages((unsigned long)svm_msrpm, SVM_MSRPM_ORDER);
	free_pages((unsigned long)svm_msrpm_all, SVM_MSRPM_ORDER);
}

/* Make the first entry on this CPU start a new ASID generation. */
static void svm_reset_asids(void)
{
	__this_cpu_inc(svm_asid_gen);
	__this_cpu_write(svm_next_asid, svm_max_asid + 1);
}

/*
 * EFER.SVME already set means another hypervisor (KVM) owns SVM on this CPU:
 * leave it alone.  KVM makes the same check, so neither breaks the other.
 */
static int svm_hardware_enable(void)
{
	u64 efer;

	lockdep_assert_irqs_disabled();
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_warn_ratelimited("SVM is in use by another hypervisor on CPU %d\n",
				    smp_processor_id());
		return -EBUSY;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_hsave)));
	svm_reset_asids();
	if (svm_host_tsc_aux)
		rdmsrl(MSR_TSC_AUX, this_cpu_ptr(&svm_tsc_aux)->curr);
	return 0;
}

static void svm_hardware_disable(void)
{
	u64 efer;

	/* The notifier's code goes away with the module. */
	svm_tsc_aux_restore(&this_cpu_ptr(&svm_tsc_aux)->urn);
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

/* svm_vcpu.step: how a debugger's single step stops at this entry. */
enum { SVM_STEP_NONE, SVM_STEP_TF, SVM_STEP_EVENT };

struct svm_vcpu {
	struct vmcb *vmcb;
	unsigned long vmcb_pa;
	u32 asid;
	int asid_cpu;
	u64 asid_gen;
	bool dr_owned;		/* guest DR0-3 are live, not intercepted */
	bool vmcb_undefined;	/* by a SHUTDOWN: reset before the next entry */
	/*
	 * NMI blocking, which SVM leaves to the hypervisor (15.20, 15.21.2):
	 * from an injected NMI to the end of the guest's next IRET, whose
	 * intercept marks it (svm_exit_iret()).
	 */
	bool nmi_masked;
	bool awaiting_iret;	/* the IRET exited: unmasked once RIP moves */
	u64 iret_rip;
	bool nmi_step;		/* single-stepping that IRET (svm_inject_nmi()) */
	bool nmi_step_tf;	/* the guest's own TF and DR6 before it */
	u64 nmi_step_dr6;
	/*
	 * EVENTINJ holds a #BP or #OF that ringside put there (a routed
	 * INT3 answered by default, RS_INJECT_EVENT), with RIP past its
	 * instruction already: svm_reinject() must deliver it again.
	 */
	bool soft_exc_inj;
	/*
	 * A debugger's single step at this entry (svm_step_arm()): by TF,
	 * with the guest's own TF kept in step_tf, or after the event that
	 * EVENTINJ delivers; and the guest's DR6 before a #DB the debugger
	 * may take.
	 */
	u8 step;
	bool step_tf;
	u64 dbg_dr6;
	/* The save area before a VMRUN that user space's state may fail. */
	struct vmcb_save_area save_backup;
	/*
	 * The MSR permission map in the VMCB: svm_msrpm, or while the route
	 * names an MSR access svm_msrpm lets through, the vCPU's own copy
	 * that does not (svm_route_msrpm()).
	 */
	void *msrpm;
	void *msrpm_own;	/* allocated, or NULL */
};

static struct svm_vcpu *to_svm(struct rs_vcpu *vcpu)
{
	return (void *)vcpu->arch;
}

static void svm_set_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void svm_clr_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static void svm_intercept(struct vmcb *vmcb, u32 bit, bool on)
{
	if (on)
		svm_set_intercept(vmcb, bit);
	else
		svm_clr_intercept(vmcb, bit);
}

/*
 * A machine check is the host's to handle (rs_machine_check()); #DB and
 * #AC exit so that their delivery cannot loop without one
 * (rs_exit_exception()).  Other exceptions exit while routed.
 */
#define SVM_EXCP_ALWAYS		(BIT(X86_TRAP_MC) | BIT(X86_TRAP_DB) | \
				 BIT(X86_TRAP_AC))

/*
 * A new vCPU's VMCB: the intercepts, the permission maps, nested paging
 * (APM vol. 2, 15.25 "Nested Paging"), and the state after RESET (cr.c);
 * and the vCPU's exit routing, which outlives a VMCB (svm_reset_vmcb()).
 */
static void svm_load_sregs(struct vmcb *vmcb, const struct rs_sregs *sr);
static void svm_route_intercepts(struct rs_vcpu *vcpu);

static void svm_init_vmcb(struct rs_vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_control_area *c = &vmcb->control;
	struct vmcb_save_area *s = &vmcb->save;
	struct rs_sregs reset;
	u32 i;

	static const u32 intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_HLT, INTERCEPT_INVD, INTERCEPT_WBINVD,
		INTERCEPT_RDPMC, INTERCEPT_INVLPGA,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN,
		INTERCEPT_VMRUN, INTERCEPT_VMMCALL, INTERCEPT_VMLOAD,
		INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI,
		INTERCEPT_SKINIT, INTERCEPT_RDTSCP, INTERCEPT_MONITOR,
		INTERCEPT_MWAIT, INTERCEPT_MWAIT_COND, INTERCEPT_XSETBV,
		INTERCEPT_RDPRU, INTERCEPT_ICEBP,
	};

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(vmcb, intercepts[i]);
	/*
	 * The core applies the rules of CR0 and CR4 (cr.c): every write
	 * exits.  The selective CR0 intercept would spare CLTS, but a CPU
	 * that (as QEMU's) skips the #GP for CR0[63:32] before it would then
	 * let such a write through.
	 */
	svm_set_intercept(vmcb, INTERCEPT_CR0_WRITE);
	svm_set_intercept(vmcb, INTERCEPT_CR4_WRITE);
	c->intercepts[INTERCEPT_EXCEPTION] = SVM_EXCP_ALWAYS;
	for (i = 0; i < 4; i++) {
		svm_set_intercept(vmcb, INTERCEPT_DR0_READ + i);
		svm_set_intercept(vmcb, INTERCEPT_DR0_WRITE + i);
	}
	c->iopm_base_pa = __pa(svm_iopm);
	c->msrpm_base_pa = __pa(svm_msrpm);
	c->int_ctl = V_INTR_MASKING_MASK;	/* host IF masks host IRQs */
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = __pa(vcpu->vm->npt_root);
	c->tsc_offset = -vcpu->vm->tsc_base;

	rs_reset_sregs(&reset);
	svm_load_sregs(vmcb, &reset);
	s->dr6 = RS_RESET_DR6;
	s->dr7 = RS_RESET_DR7;
	s->rflags = RS_RESET_RFLAGS;
	s->rip = RS_RESET_RIP;
	s->g_pat = RS_RESET_PAT;
	svm_route_intercepts(vcpu);
}

static int svm_vcpu_create(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct page *page;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	svm->msrpm = svm_msrpm;
	svm_init_vmcb(vcpu, svm->vmcb);
	return 0;
}

static void svm_vcpu_free(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	free_page((unsigned long)svm->vmcb);
	free_pages((unsigned long)svm->msrpm_own, SVM_MSRPM_ORDER);
}

/*
 * A fresh ASID has no stale translations on this CPU: one is taken when the
 * vCPU arrives from elsewhere or must forget its guest-physical mappings.
 * When the ASIDs run out, all of them are flushed at once (15.16).  This
 * needs no flush-by-ASID, which the CPU may not have.
 */
static void svm_pick_asid(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int cpu = smp_processor_id();
	bool flush = test_and_clear_bit(RS_REQ_TLB_FLUSH, &vcpu->requests);

	if (!flush && svm->asid_cpu == cpu &&
	    svm->asid_gen == __this_cpu_read(svm_asid_gen))
		return;
	if (__this_cpu_read(svm_next_asid) > svm_max_asid) {
		__this_cpu_inc(svm_asid_gen);
		__this_cpu_write(svm_next_asid, 1);
		__this_cpu_write(svm_flush_all, true);
	}
	svm->asid = __this_cpu_read(svm_next_asid);
	__this_cpu_inc(svm_next_asid);
	svm->asid_gen = __this_cpu_read(svm_asid_gen);
	svm->asid_cpu = cpu;
	svm->vmcb->control.asid = svm->asid;
}

static bool svm_interrupt_allowed(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vmcb->save.rflags & X86_EFLAGS_IF) &&
	       !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) &&
	       !(vmcb->control.event_inj & SVM_EVTINJ_VALID);
}

/* Set when the NMI is injected, until the IRET that ends its handler. */
static bool svm_nmi_blocked(struct rs_vcpu *vcpu)
{
	return to_svm(vcpu)->nmi_masked;
}

/*
 * A virtual interrupt request makes the CPU exit (VINTR) as soon as the
 * guest could take an interrupt (15.21.4): the interrupt window.
 */
static void svm_request_window(struct vmcb *vmcb)
{
	vmcb->control.int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
				 (0xf << V_INTR_PRIO_SHIFT);
	svm_set_intercept(vmcb, INTERCEPT_VINTR);
}

/*
 * An interrupt of the in-kernel APIC that only the guest's TPR holds back
 * (lapic.c): V_TPR is CR8, which the guest writes without an exit, so
 * MOV to CR8 is intercepted until TPR lets the interrupt through (as KVM
 * does).  A virtual interrupt of the vector's priority would do it without
 * exits on hardware (15.21.4), but QEMU takes one whose priority equals
 * V_TPR: the guest would exit for ever.  An xAPIC or x2APIC write of TPR
 * exits anyway.
 */
static void svm_intercept_cr8(struct rs_vcpu *vcpu, bool on)
{
	/* ...and while CR8 writes are routed (svm_route_intercepts()). */
	svm_intercept(to_svm(vcpu)->vmcb, INTERCEPT_CR8_WRITE,
		      on || (vcpu->route_hw.cr_write & BIT(8)));
}

/*
 * The in-kernel APIC before an entry: its TPR is the guest's CR8
 * (V_TPR, 15.24), and its highest deliverable interrupt is queued or
 * waits for a window.
 */
static void svm_lapic_prepare(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	enum rs_lapic_wait r;

	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				rs_lapic_cr8(vcpu);
	if (vcpu->extint_pending)
		return;
	r = rs_lapic_inject(vcpu, svm_interrupt_allowed(vcpu));
	if (r == RS_LAPIC_WINDOW)
		svm_request_window(vmcb);
	svm_intercept_cr8(vcpu, r == RS_LAPIC_TPR);
}

/*
 * An NMI waits while NMIs are masked, behind another event, or in an STI or
 * MOV SS shadow.  When the IRET that ends the guest's NMI handler exited
 * and one waits, the guest single-steps that IRET (TF, and the #DB exit:
 * svm_exit_db()) so that the NMI comes right after it, as KVM does; an NMI
 * behind an event or a shadow waits for the next exit.
 */
static void svm_inject_nmi(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	if (likely(!vcpu->nmi_pending))
		return;
	if (!svm->nmi_masked && !(vmcb->control.event_inj & SVM_EVTINJ_VALID) &&
	    !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK)) {
		vmcb->control.event_inj = X86_TRAP_NMI | SVM_EVTINJ_TYPE_NMI |
					  SVM_EVTINJ_VALID;
		vcpu->nmi_pending = false;
		svm->nmi_masked = true;
		svm_set_intercept(vmcb, INTERCEPT_IRET);
		trace_ringside_inject(vcpu, RS_EVENT_NMI, X86_TRAP_NMI, false, 0,
				      false);
		return;
	}
	if (svm->awaiting_iret && !svm->nmi_step) {
		svm->nmi_step = true;
		svm->nmi_step_tf = vmcb->save.rflags & X86_EFLAGS_TF;
		svm->nmi_step_dr6 = vmcb->save.dr6;
		vmcb->save.rflags |= X86_EFLAGS_TF;
	}
}

static void svm_inject_extint(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (!vcpu->extint_pending)
		return;
	if (!svm_interrupt_allowed(vcpu)) {
		svm_request_window(vmcb);
		return;
	}
	vmcb->control.event_inj = vcpu->extint_vector | SVM_EVTINJ_TYPE_INTR |
				  SVM_EVTINJ_VALID;
	vcpu->extint_pending = false;
	trace_ringside_inject(vcpu, RS_EVENT_EXTINT, vcpu->extint_vector,
			      false, 0, false);
}

/*
 * The entry was called off (a signal, a reschedule) or VMRUN failed after
 * an interrupt or NMI was put in EVENTINJ: it goes back to pending, to be
 * decided again at the next entry against a state user space may change
 * meanwhile (RFLAGS.IF cleared, say), as KVM's cancel_injection does.
 * That holds for one whose delivery an exit interrupted too, unless one
 * of its kind already waits: then it stays in EVENTINJ and that one waits
 * on, so that neither is lost.  Exceptions stay where they are.
 */
static void svm_cancel_injection(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u32 inj = vmcb->control.event_inj;

	if (!(inj & SVM_EVTINJ_VALID))
		return;
	/* EVENTINJ's TYPE field holds the RS_EVENT_* numbers (15.20). */
	if (!rs_unqueue_event(vcpu, (inj & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT,
			      inj & SVM_EVTINJ_VEC_MASK))
		return;
	vmcb->control.event_inj = 0;
	if ((inj & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_NMI) {
		svm->nmi_masked = false;
		svm_clr_intercept(vmcb, INTERCEPT_IRET);
	}
}

/* The guest's next access to DR0-3 exits (svm_exit_dr()). */
static void svm_intercept_drs(struct svm_vcpu *svm)
{
	int i;

	for (i = 0; i < 4; i++) {
		svm_set_intercept(svm->vmcb, INTERCEPT_DR0_READ + i);
		svm_set_intercept(svm->vmcb, INTERCEPT_DR0_WRITE + i);
	}
	svm->dr_owned = false;
}

/*
 * DR6 and DR7 are in the VMCB; DR0-3 are the core's to switch (15.5.1):
 * after every exit that had them live, vcpu->dr[] holds them.
 */
static void svm_save_guest_drs(struct rs_vcpu *vcpu)
{
	rs_save_guest_dr0_3(vcpu);
	/* The next access exits again, so that idle DRs cost nothing. */
	svm_intercept_drs(to_svm(vcpu));
}

/* Does the route make MOV DR exit (svm_exit_dr())? */
static bool svm_dr_routed(struct rs_vcpu *vcpu)
{
	return vcpu->route_hw.dr_read | vcpu->route_hw.dr_write;
}

/*
 * The intercepts exit routing adds to svm_init_vmcb()'s (route.c), on a
 * new VMCB too: the exceptions, reads of CR3 and CR8, writes of CR3 (and
 * of CR8: svm_intercept_cr8()), every MOV DR, RDTSC, INVLPG and PAUSE;
 * the rest always exit.  The VMCB clean bits stay 0 (svm.c sets none), so
 * VMRUN reloads the intercept vectors and the permission map addresses
 * each time (15.15 "VMCB State Caching").
 */
static void svm_route_intercepts(struct rs_vcpu *vcpu)
{
	const struct rs_exit_route *rt = &vcpu->route_hw;
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	bool drs = svm_dr_routed(vcpu);
	int i;

	c->intercepts[INTERCEPT_EXCEPTION] = SVM_EXCP_ALWAYS | rt->exceptions;
	svm_intercept(svm->vmcb, INTERCEPT_CR3_READ, rt->cr_read & BIT(3));
	svm_intercept(svm->vmcb, INTERCEPT_CR8_READ, rt->cr_read & BIT(8));
	svm_intercept(svm->vmcb, INTERCEPT_CR3_WRITE, rt->cr_write & BIT(3));
	/* The in-kernel APIC's own need stays, for svm_lapic_prepare(). */
	svm_intercept_cr8(vcpu, vcpu->lapic &&
			  (c->intercepts[INTERCEPT_CR] & BIT(INTERCEPT_CR8_WRITE)));
	/*
	 * Routed MOV DRs all exit, DR0-3 never handed over (svm_exit_dr()),
	 * and are loaded at entry when DR7 enables one (svm_vcpu_run()).
	 * Outside the guest DR0-3 are in vcpu->dr[], owned or not.
	 */
	if (drs)
		svm_intercept_drs(svm);
	for (i = 4; i < 8; i++) {
		svm_intercept(svm->vmcb, INTERCEPT_DR0_READ + i, drs);
		svm_intercept(svm->vmcb, INTERCEPT_DR0_WRITE + i, drs);
	}
	svm_intercept(svm->vmcb, INTERCEPT_RDTSC, rt->insns & RS_ROUTE_RDTSC);
	/*
	 * PUSHF would push the TF of a debugger's step (svm_step_arm(),
	 * which sets svm->step at each entry while the debugger has the vCPU).
	 */
	svm_intercept(svm->vmcb, INTERCEPT_PUSHF,
		      vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP);
	svm->step = SVM_STEP_NONE;
	svm_intercept(svm->vmcb, INTERCEPT_INVLPG, rt->insns & RS_ROUTE_INVLPG);
	/*
	 * A pause filter count of 0 makes every PAUSE exit (15.14.4 "Pause
	 * Intercept Filtering"); a threshold of 0 never reloads the count.
	 */
	svm_intercept(svm->vmcb, INTERCEPT_PAUSE, rt->insns & RS_ROUTE_PAUSE);
	c->pause_filter_count = 0;
	c->pause_filter_thresh = 0;
	c->msrpm_base_pa = __pa(svm->msrpm);
}

/*
 * The accesses (bits of the MSR permission map) that the vCPU routes but
 * svm_msrpm lets through (svm_passthrough_msrs and any other
 * svm_msrpm_allow()): whether there are any, and with @map set there.
 */
static bool svm_msrpm_route(struct rs_vcpu *vcpu, unsigned long *map)
{
	unsigned long bit;
	bool any = false;

	for_each_clear_bit(bit, (unsigned long *)svm_msrpm, SVM_MSRPM_BITS) {
		u32 msr = svm_msrpm_base[bit / 0x4000] + bit % 0x4000 / 2;

		if (!rs_route_msr(vcpu, msr, bit & 1))
			continue;
		any = true;
		if (!map)
			break;
		__set_bit(bit, map);
	}
	return any;
}

/*
 * The MSR permission map the route needs: svm_msrpm, unless the route
 * names an access it lets through; then the vCPU's own copy that does
 * not.  set_route cannot fail: without memory for the copy, every MSR
 * access exits (svm_msrpm_all) and the core handles those too.
 */
static void svm_route_msrpm(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!svm_msrpm_route(vcpu, NULL)) {
		free_pages((unsigned long)svm->msrpm_own, SVM_MSRPM_ORDER);
		svm->msrpm_own = NULL;
		svm->msrpm = svm_msrpm;
		return;
	}
	if (!svm->msrpm_own)
		svm->msrpm_own = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT,
							  SVM_MSRPM_ORDER);
	if (!svm->msrpm_own) {
		svm->msrpm = svm_msrpm_all;
		return;
	}
	memcpy(svm->msrpm_own, svm_msrpm, 2 * PAGE_SIZE);
	svm_msrpm_route(vcpu, svm->msrpm_own);
	svm->msrpm = svm->msrpm_own;
}

/* rs_arch_ops.set_route: vcpu->route_hw changed. */
static void svm_set_route(struct rs_vcpu *vcpu)
{
	svm_route_msrpm(vcpu);
	svm_route_intercepts(vcpu);
}

static int svm_handle_exit(struct rs_vcpu *vcpu);
static void svm_reset_vmcb(struct rs_vcpu *vcpu);

/*
 * A #VMEXIT saves the guest's state, never the host's.  Debian's QEMU 7.2
 * can make a second #VMEXIT right after a first one, in host mode, when
 * another CPU's FPU state load rewrites this CPU's flags
 * (Documentation/testing.rst; the test bed's QEMU is fixed): the save
 * area then holds the host's state at the VMRUN, RAX the VMCB's own
 * address and CR3 the host's, and the guest's state is lost.  None of it
 * may reach the guest or user space, which would learn where the host
 * kernel lives.  A guest can match both values only on purpose, and then
 * only ends its own run.  The pseudo exit code marks it for
 * svm_handle_exit().
 */
#define SVM_EXIT_HOST_STATE	(SVM_EXIT_ERR - 1)

static bool svm_saved_host_state(struct vmcb *vmcb, unsigned long vmcb_pa)
{
	return unlikely(vmcb->save.rax == vmcb_pa) &&
	       vmcb->save.cr3 == __read_cr3();
}

/* Nothing in the save area is the guest's: start from RESET next time. */
static void svm_forget_save(struct svm_vcpu *svm)
{
	memset(&svm->vmcb->save, 0, sizeof(svm->vmcb->save));
	svm->vmcb_undefined = true;
}

/*
 * A debugger's single step (debug.c), with IRQs off before VMRUN.  SVM has
 * no monitor trap flag: the guest runs with RFLAGS.TF, and the #DB trap
 * after one instruction exits (svm_exit_exception()).  TF would not stop
 * an event that this entry delivers, which clears TF for its handler:
 * then an IPI to this CPU, pending at VMRUN, exits the guest at the first
 * instruction boundary after the delivery, before the handler's first
 * instruction (svm_exit_intr()), as KVM forces an immediate exit.  While
 * stepping, every exception exits (svm_ops.step_with_tf) and comes in
 * as such an event, so that the step stops at its handler, as VMX's
 * monitor trap flag does; and PUSHF exits, so that the core pushes the
 * guest's own RFLAGS (rs_emulate_pushf()).  What the guest still sees:
 * the TF in R11 of a SYSCALL that it steps, and in the frame of an INT n
 * that it steps, whose handler then runs to its IRET (documented).  The
 * guest's DR6 is kept, for a #DB that is the debugger's; a stale BS in it
 * is not taken for the step's.
 */
static void svm_step_arm(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	svm->dbg_dr6 = vmcb->save.dr6;
	svm->step = SVM_STEP_NONE;
	if (!(vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP) || svm->nmi_step)
		return;
	if (vmcb->control.event_inj & SVM_EVTINJ_VALID) {
		svm->step = SVM_STEP_EVENT;
		smp_send_reschedule(smp_processor_id());
		return;
	}
	svm->step = SVM_STEP_TF;
	svm->step_tf = vmcb->save.rflags & X86_EFLAGS_TF;
	vmcb->save.rflags |= X86_EFLAGS_TF;
	vmcb->save.dr6 &= ~DR_STEP;
}

static int svm_vcpu_run(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u32 host_pkru = 0;
	phys_addr_t host_save;
	bool drs;

	if (unlikely(svm->vmcb_undefined))
		svm_reset_vmcb(vcpu);
	/*
	 * A VMRUN that fails its consistency checks (15.5.1) leaves the save
	 * area undefined: QEMU writes the host's own state there.  State
	 * that user space set may fail them; keep the guest's to put back.
	 */
	if (unlikely(vcpu->state_from_user))
		svm->save_backup = vmcb->save;
	if (vcpu->run->request_interrupt_window && !vcpu->extint_pending &&
	    svm_interrupt_allowed(vcpu))
		return rs_exit_irq_window(vcpu);
	if (!rs_debug_blocks_irqs(vcpu)) {
		svm_inject_nmi(vcpu);
		if (vcpu->lapic)
			svm_lapic_prepare(vcpu);
		svm_inject_extint(vcpu);
	}
	if (vcpu->run->request_interrupt_window)
		svm_request_window(vmcb);

	local_irq_disable();
	/* A reboot turns SVM off (main.c): never VMRUN without it. */
	if (unlikely(!__this_cpu_read(rs_hw_on)) ||
	    !rs_vcpu_enter_prepare(vcpu)) {
		local_irq_enable();
		svm_cancel_injection(vcpu);
		return 0;
	}
	svm_pick_asid(vcpu);
	/*
	 * The flush of a new ASID generation stays owed until a VMRUN that
	 * passed its consistency checks carried it: one that failed (15.5.1
	 * "Basic Operation") entered nothing and need not have flushed.
	 */
	vmcb->control.tlb_ctl = __this_cpu_read(svm_flush_all) ?
				TLB_CONTROL_FLUSH_ALL_ASID : TLB_CONTROL_DO_NOTHING;
	if (svm_host_pkru)
		host_pkru = rdpkru();
	if (svm_host_tsc_aux)
		svm_load_tsc_aux(vcpu->msr_tsc_aux);
	vmcb->save.rax = vcpu->gpr[RS_RAX];
	vmcb->save.rsp = vcpu->gpr[RS_RSP];
	drs = svm->dr_owned || (vmcb->save.dr7 & 0xff);
	if (drs)
		rs_load_guest_dr0_3(vcpu);
	if (unlikely(vcpu->debug.flags))
		svm_step_arm(vcpu);
	if (vcpu->xcr0 != svm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	/* WRPKRU is not intercepted: a guest that sets CR4.PKE owns PKRU. */
	if (svm_host_pkru && vcpu->pkru != host_pkru)
		wrpkru(vcpu->pkru);
	/*
	 * Per-CPU data is read before RFLAGS.IF is set: GIF keeps interrupts
	 * out until STGI, but DEBUG_PREEMPT checks only IF and preempt_count.
	 */
	host_save = page_to_phys(__this_cpu_read(svm_host_save));

	/*
	 * GIF stays clear around VMRUN, so host interrupts and NMIs wait; the
	 * host's RFLAGS.IF set at VMRUN lets them exit the guest (15.17).
	 */
	trace_ringside_entry(vcpu, vmcb->save.rip);
	asm volatile("clgi" ::: "memory");
	raw_local_irq_enable();
	/* Zen 1 DIV0: no quotient of the host's for the guest to sample. */
	if (static_cpu_has_bug(X86_BUG_DIV0))
		amd_clear_divider();
	vcpu->entry_tsc = rs_stats_tsc();	/* guest time (stats.h) */
	svm_vmrun(vcpu->gpr, svm->vmcb_pa, host_save, &vcpu->spec_ctrl);
	vcpu->exit_tsc = rs_stats_tsc();
	raw_local_irq_disable();

	if (vcpu->xcr0 != svm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, svm_host_xcr0);
	if (svm_host_pkru) {
		vcpu->pkru = rdpkru();
		if (vcpu->pkru != host_pkru)
			wrpkru(host_pkru);
	}
	if (drs)
		svm_save_guest_drs(vcpu);
	asm volatile("stgi" ::: "memory");
	if (unlikely(vmcb->control.exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_MC))
		rs_machine_check();

	/*
	 * A VMRUN that failed its consistency checks (15.5.1) did not enter
	 * the guest: what the save area holds then is not guest state, so the
	 * guest's goes back where user space set it.  Otherwise ringside's
	 * own state failed (a bug): nothing of what is there may reach user
	 * space, and the next entry starts from RESET.
	 */
	if (vmcb->control.exit_code == (u32)SVM_EXIT_ERR) {
		if (vcpu->state_from_user)
			vmcb->save = svm->save_backup;
		else
			svm_forget_save(svm);
	} else if (unlikely(svm_saved_host_state(vmcb, svm->vmcb_pa))) {
		svm_forget_save(svm);
		vmcb->control.exit_code = SVM_EXIT_HOST_STATE;
	} else {
		vcpu->state_from_user = false;
		vcpu->gpr[RS_RAX] = vmcb->save.rax;
		vcpu->gpr[RS_RSP] = vmcb->save.rsp;
		__this_cpu_write(svm_flush_all, false);
	}
	rs_vcpu_exit_done(vcpu);
	local_irq_enable();

	/* The guest may have written CR8: the APIC's TPR (15.24). */
	if (vcpu->lapic)
		rs_lapic_set_cr8(vcpu, vmcb->control.int_ctl & V_TPR_MASK);
	/* The debugger's TF goes: RS_GET_REGS and the handlers see the guest's. */
	if (unlikely(svm->step == SVM_STEP_TF) && !svm->step_tf)
		vmcb->save.rflags &= ~X86_EFLAGS_TF;
	return svm_handle_exit(vcpu);
}

static bool svm_skip(struct rs_vcpu *vcpu, unsigned int len)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	if ((svm_ops.hw_features & RS_HW_NRIPS) && vmcb->control.next_rip)
		vmcb->save.rip = vmcb->control.next_rip;
	else
		vmcb->save.rip += len;
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	/* Not the TF of ringside's own step over an IRET. */
	return svm->nmi_step ? svm->nmi_step_tf :
	       vmcb->save.rflags & X86_EFLAGS_TF;
}

/*
 * The length of the instruction that exited, where the CPU saved the RIP
 * after it (NRIPS: 15.7.1 "State Saved on Exit"); else 0.
 */
static u8 svm_next_len(struct vmcb *vmcb)
{
	if (!(svm_ops.hw_features & RS_HW_NRIPS) || !vmcb->control.next_rip)
		return 0;
	return vmcb->control.next_rip - vmcb->save.rip;
}

static void svm_set_dr6_step(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->save.dr6 = (vmcb->save.dr6 & ~DR_TRAP_BITS) | DR6_RESERVED | DR_STEP;
}

/*
 * The exit handlers of SVM's own exits, or decoders that call the core's
 * half (exits.c states what a handler returns and leaves behind).
 */

static int svm_exit_vintr(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK |
				   V_INTR_PRIO_MASK);
	svm_clr_intercept(vmcb, INTERCEPT_VINTR);
	if (!vcpu->extint_pending && vcpu->run->request_interrupt_window)
		return rs_exit_irq_window(vcpu);
	return 0;
}

/*
 * EXITINFO1 describes the access, EXITINFO2 is the next RIP (15.10.2).
 * Its segment field is only there with decode assists: the core finds the
 * segment of OUTS itself.
 */
static int svm_exit_ioio(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 info = vmcb->control.exit_info_1;
	u16 port = info >> 16;
	u8 size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	bool in = info & SVM_IOIO_TYPE_MASK;

	if (info & SVM_IOIO_STR_MASK)
		return rs_exit_string_io(vcpu, port, size, in,
					 info & SVM_IOIO_REP_MASK,
					 (info & SVM_IOIO_ASIZE_MASK) >> 6, 0,
					 vmcb->control.exit_info_2);
	return rs_exit_io(vcpu, port, size, in,
			  vmcb->control.exit_info_2 - vmcb->save.rip);
}

/*
 * After a SHUTDOWN intercept the VMCB's guest state is undefined (APM
 * vol. 2, 15.9 "Instruction Intercepts"; KVM re-initialises it too).  User
 * space may still read what it holds (the launcher prints it), but the
 * vCPU is not entered with it: the next entry starts from the state after
 * RESET, keeping the TSC, unless RS_SET_SREGS gave it a whole new state.
 */
static int svm_exit_shutdown(struct rs_vcpu *vcpu)
{
	to_svm(vcpu)->vmcb_undefined = true;
	return rs_exit_shutdown(vcpu);
}

static void svm_reset_vmcb(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 tsc_offset = svm->vmcb->control.tsc_offset;

	clear_page(svm->vmcb);
	svm_init_vmcb(vcpu, svm->vmcb);
	svm->vmcb->control.tsc_offset = tsc_offset;
	svm->asid_cpu = -1;		/* the cleared VMCB has no ASID */
	svm->dr_owned = false;		/* DR accesses are intercepted again */
	svm->vmcb_undefined = false;
	/* RESET unblocks NMIs; the IRET intercept went with the VMCB. */
	svm->nmi_masked = false;
	svm->awaiting_iret = false;
	svm->nmi_step = false;
	svm->soft_exc_inj = false;
	vcpu->gpr[RS_RAX] = 0;
	vcpu->gpr[RS_RSP] = 0;
}

/* One exit code for both: EXITINFO1 is 1 for WRMSR, 0 for RDMSR (15.11). */
static int svm_exit_msr(struct rs_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->control.exit_info_1)
		return rs_exit_wrmsr(vcpu);
	return rs_exit_rdmsr(vcpu);
}

/*
 * Nested page fault: EXITINFO1 is a #PF error code, with bit 33 set for a
 * fault during the guest's page walk (15.25.6); EXITINFO2 is the GPA.
 */
#define SVM_NPF_WRITE		BIT_ULL(1)
#define SVM_NPF_FETCH		BIT_ULL(4)
#define SVM_NPF_WALK		BIT_ULL(33)

static int svm_exit_npf(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 error = vmcb->control.exit_info_1;

	/* EXITINTINFO has the layout of RS_EVENT_INFO_* (15.7.2). */
	return rs_exit_npf(vcpu, vmcb->control.exit_info_2,
			   error & SVM_NPF_WRITE, error & SVM_NPF_FETCH,
			   error & SVM_NPF_WALK,
			   vmcb->control.exit_int_info &
			   (SVM_EXITINTINFO_VEC_MASK | SVM_EXITINTINFO_TYPE_MASK |
			    SVM_EXITINTINFO_VALID_ERR | SVM_EXITINTINFO_VALID));
}

/*
 * MOV to or from CR or DR @num (0F @op: 20-23): decode assists name the
 * general register in EXITINFO1[3:0], with bit 63 set (APM vol. 2,
 * "Decode Assists", "MOV CRx/DRx Intercepts"); without them the core
 * decodes the instruction, which must still be that MOV (another vCPU
 * may have rewritten it since).  *@len: its length, or (decode assists)
 * a guess that svm_skip() does not use.
 */
#define SVM_CR_VALID		BIT_ULL(63)

static int svm_mov_operand(struct rs_vcpu *vcpu, u8 op, int num, int *reg,
			   unsigned int *len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 info = vmcb->control.exit_info_1;
	int decoded;

	if (info & SVM_CR_VALID) {
		*reg = info & 15;
		*len = svm_next_len(vmcb) ?: 3;
		return 0;
	}
	if (rs_decode_mov_crdr(vcpu, op, &decoded, reg, len) || decoded != num)
		return -EINVAL;
	return 0;
}

/*
 * MOV to CR0, CR3, CR4 or CR8, LMSW or CLTS (15.9 "Instruction
 * Intercepts"); CR0's exit is LMSW's and CLTS's too, without bit 63.  The
 * rules are the core's (cr.c); a TLB flush request gives the vCPU a new
 * ASID (svm_pick_asid()).
 */
static int svm_exit_cr_write(struct rs_vcpu *vcpu, int cr)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	enum rs_cr_write insn = RS_CR_WRITE_MOV;
	unsigned int len;
	int reg;

	if (!cr && !(vmcb->control.exit_info_1 & SVM_CR_VALID)) {
		if (rs_decode_cr_write(vcpu, &insn, &reg, &len))
			return rs_exit_emulation_failed(vcpu, 0, vmcb->save.rip);
	} else if (svm_mov_operand(vcpu, 0x22, cr, &reg, &len)) {
		return rs_exit_emulation_failed(vcpu, 0, vmcb->save.rip);
	}
	if (insn == RS_CR_WRITE_LMSW)
		return rs_emulate_lmsw(vcpu, vcpu->gpr[reg], len);
	if (insn == RS_CR_WRITE_CLTS)
		return rs_emulate_clts(vcpu, len);
	return rs_emulate_mov_to_cr(vcpu, cr, reg, len);
}

static int svm_exit_cr0_write(struct rs_vcpu *vcpu)
{
	return svm_exit_cr_write(vcpu, 0);
}

static int svm_exit_cr3_write(struct rs_vcpu *vcpu)
{
	return svm_exit_cr_write(vcpu, 3);
}

static int svm_exit_cr4_write(struct rs_vcpu *vcpu)
{
	return svm_exit_cr_write(vcpu, 4);
}

static int svm_exit_cr8_write(struct rs_vcpu *vcpu)
{
	return svm_exit_cr_write(vcpu, 8);
}

/*
 * MOV from CR3 or CR8, which exits only while routed.  CR0's read exit
 * would be SMSW's too, but CR0 reads are never routed (route.c).
 */
static int svm_exit_cr_read(struct rs_vcpu *vcpu, int cr)
{
	unsigned int len;
	int reg;

	if (svm_mov_operand(vcpu, 0x20, cr, &reg, &len))
		return rs_exit_emulation_failed(vcpu, 0,
						to_svm(vcpu)->vmcb->save.rip);
	return rs_exit_cr_read(vcpu, cr, reg, len);
}

static int svm_exit_cr3_read(struct rs_vcpu *vcpu)
{
	return svm_exit_cr_read(vcpu, 3);
}

static int svm_exit_cr8_read(struct rs_vcpu *vcpu)
{
	return svm_exit_cr_read(vcpu, 8);
}

/*
 * MOV to or from DR0-7.  While the route names any, every one exits and
 * the core carries it out (rs_exit_dr()); otherwise only DR0-3 exit, the
 * first time, and the guest gets them until the next exit.
 */
static int svm_exit_dr(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 code = svm->vmcb->control.exit_code;
	bool write = code >= SVM_EXIT_WRITE_DR0;
	int dr = code - (write ? SVM_EXIT_WRITE_DR0 : SVM_EXIT_READ_DR0);
	unsigned int len;
	int i, reg;

	if (svm_dr_routed(vcpu)) {
		if (svm_mov_operand(vcpu, write ? 0x23 : 0x21, dr, &reg, &len))
			return rs_exit_emulation_failed(vcpu, 0,
							svm->vmcb->save.rip);
		return rs_exit_dr(vcpu, dr, reg, write, len);
	}
	for (i = 0; i < 4; i++) {
		svm_clr_intercept(svm->vmcb, INTERCEPT_DR0_READ + i);
		svm_clr_intercept(svm->vmcb, INTERCEPT_DR0_WRITE + i);
	}
	svm->dr_owned = true;
	return 0;
}

/*
 * INVLPG, which exits only while routed: decode assists put the linear
 * address in EXITINFO1 (APM vol. 2, "Decode Assists", "INVLPG and INVLPGA
 * Intercepts"); without them, or without the length, the core decodes
 * the instruction.
 */
static int svm_exit_invlpg(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	unsigned int len = svm_next_len(vmcb);
	u64 la = vmcb->control.exit_info_1;

	if ((!(svm_ops.hw_features & RS_HW_DECODE_ASSISTS) || !len) &&
	    rs_decode_invlpg(vcpu, &la, &len))
		return rs_exit_emulation_failed(vcpu, 0, vmcb->save.rip);
	return rs_exit_invlpg(vcpu, la, len);
}

/*
 * The IRET that ends the guest's NMI handler, before it runs: NMIs are
 * unblocked at the first exit after it, where RIP has moved on
 * (svm_handle_exit()).
 */
static int svm_exit_iret(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm_clr_intercept(svm->vmcb, INTERCEPT_IRET);
	svm->awaiting_iret = true;
	svm->iret_rip = svm->vmcb->save.rip;
	return 0;
}

/*
 * An exception, before the guest got it (15.12 "Exception Intercepts"):
 * EXITINFO1 holds its error code, EXITINFO2 a #PF's address, which CR2
 * does not (yet).  #DB and #AC always exit, the others while routed; the
 * core hands it on (rs_exit_exception()).  The CPU wrote DR6 into the
 * VMCB before a #DB's intercept, as for a delivered #DB, but only
 * delivery clears DR7.GD (SDM vol. 3A, 18.2.4).  A #DB of
 * svm_inject_nmi()'s single step over an IRET is ringside's own unless
 * the guest stepped or hit a breakpoint as well.  INT3 and INTO (#BP and
 * #OF) are traps whose RIP is still theirs: one byte each (CC, CE).
 */
static int svm_exit_exception(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u8 vector = vmcb->control.exit_code - SVM_EXIT_EXCP_BASE;
	u32 interrupted = vmcb->control.event_inj;
	u64 value = 0;
	u8 len = 0;

	if (vector == X86_TRAP_DB) {
		u64 dbg = rs_debug_db(vcpu, vmcb->save.dr6,
				      svm->step == SVM_STEP_TF);

		if (unlikely(dbg)) {
			vmcb->save.dr6 = svm->dbg_dr6;
			return rs_debug_exit(vcpu, dbg);
		}
		if (svm->step == SVM_STEP_TF)
			vmcb->save.dr6 |= svm->dbg_dr6 & DR_STEP;
		if (svm->nmi_step) {
			svm->nmi_step = false;
			if (!svm->nmi_step_tf &&
			    !((vmcb->save.dr6 ^ svm->nmi_step_dr6) & DR_TRAP_BITS)) {
				vmcb->save.dr6 = svm->nmi_step_dr6;
				return 0;
			}
		}
		if (vmcb->save.dr6 & RS_DR6_BD)
			vmcb->save.dr7 &= ~RS_DR7_GD;
		value = vmcb->save.dr6;
	}
	if (vector == X86_TRAP_PF)
		value = vmcb->control.exit_info_2;
	if (vector == X86_TRAP_BP || vector == X86_TRAP_OF)
		len = svm_next_len(vmcb) ?: 1;
	/* The event whose delivery raised it is rs_exit_exception()'s to redo. */
	vmcb->control.event_inj = 0;
	if ((interrupted & SVM_EVTINJ_VALID) &&
	    (interrupted & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_NMI)
		svm->nmi_masked = false;
	return rs_exit_exception(vcpu, vector,
				 BIT(vector) & RS_EXC_ERROR_CODES,
				 vmcb->control.exit_info_1, value, len,
				 interrupted);
}

/*
 * A host interrupt: the host took it.  After an entry that delivered an
 * event to a debugger's single step, svm_step_arm()'s IPI: the event is
 * in, its handler's first instruction next, and the step is over; unless
 * the delivery did not finish (EXITINTINFO, svm_reinject()).
 */
static int svm_exit_intr(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (unlikely(svm->step == SVM_STEP_EVENT) &&
	    !(svm->vmcb->control.exit_int_info & SVM_EXITINTINFO_VALID))
		return rs_debug_exit(vcpu, DR_STEP);
	return 0;
}

/*
 * INT1 (ICEBP) exits before it runs: with only the #DB intercept, RIP
 * would be ambiguous where its #DB was vectored (Xen intercepts it for
 * that).  It becomes the #DB trap it raises, after the instruction.
 */
static int svm_exit_icebp(struct rs_vcpu *vcpu)
{
	svm_skip(vcpu, 1);		/* its #DB, not a single step after it */
	return rs_exit_exception(vcpu, X86_TRAP_DB, false, 0,
				 to_svm(vcpu)->vmcb->save.dr6, 0, 0);
}

/*
 * The exits ringside intercepts (svm_init_vmcb()), by exit code (APM vol. 2,
 * appendix C "SVM Intercept Exit Codes"): the handler and the name they
 * are counted under (Documentation/netlink.rst).  One row per exit.
 */
static struct rs_exit_row svm_exits[] __ro_after_init = {
	[SVM_EXIT_READ_CR3]	= { svm_exit_cr3_read,	"CR3_READ" },
	[SVM_EXIT_READ_CR8]	= { svm_exit_cr8_read,	"CR8_READ" },
	[SVM_EXIT_WRITE_CR0]	= { svm_exit_cr0_write,	"CR0_WRITE" },
	[SVM_EXIT_WRITE_CR3]	= { svm_exit_cr3_write,	"CR3_WRITE" },
	[SVM_EXIT_WRITE_CR4]	= { svm_exit_cr4_write,	"CR4_WRITE" },
	[SVM_EXIT_WRITE_CR8]	= { svm_exit_cr8_write,	"CR8_WRITE" },
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7] = { svm_exit_dr, "DR" },
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7] = { svm_exit_dr, "DR" },
	/* The vectors a route may name (route.c), in one bucket */
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DE] = { svm_exit_exception, "EXCEPTION" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_BP ...
	 SVM_EXIT_EXCP_BASE + X86_TRAP_DF] = { svm_exit_exception, "EXCEPTION" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_TS ...
	 SVM_EXIT_EXCP_BASE + X86_TRAP_PF] = { svm_exit_exception, "EXCEPTION" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MF] = { svm_exit_exception, "EXCEPTION" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_XF] = { svm_exit_exception, "EXCEPTION" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DB] = { svm_exit_exception, "DB" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_AC] = { svm_exit_exception, "AC" },
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MC] = { rs_exit_nop, "MC" },
	[SVM_EXIT_INTR]		= { svm_exit_intr,	"INTR" },
	[SVM_EXIT_PUSHF]	= { rs_emulate_pushf,	"PUSHF" },
	[SVM_EXIT_NMI]		= { rs_exit_nop,	"NMI" },
	[SVM_EXIT_SMI]		= { rs_exit_nop,	"SMI" },
	[SVM_EXIT_VINTR]	= { svm_exit_vintr,	"VINTR" },
	[SVM_EXIT_RDTSC]	= { rs_exit_rdtsc,	"RDTSC" },
	[SVM_EXIT_IRET]		= { svm_exit_iret,	"IRET" },
	[SVM_EXIT_ICEBP]	= { svm_exit_icebp,	"DB" },
	[SVM_EXIT_CPUID]	= { rs_exit_cpuid,	"CPUID" },
	[SVM_EXIT_RDPMC]	= { rs_exit_gp,		"RDPMC" },
	[SVM_EXIT_INVD]		= { rs_exit_invd,	"INVD" },
	[SVM_EXIT_PAUSE]	= { rs_exit_pause,	"PAUSE" },
	[SVM_EXIT_HLT]		= { rs_exit_hlt,	"HLT" },
	[SVM_EXIT_INVLPG]	= { svm_exit_invlpg,	"INVLPG" },
	[SVM_EXIT_INVLPGA]	= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_IOIO]		= { svm_exit_ioio,	"IOIO" },
	[SVM_EXIT_MSR]		= { svm_exit_msr,	"MSR" },
	[SVM_EXIT_SHUTDOWN]	= { svm_exit_shutdown,	"SHUTDOWN" },
	[SVM_EXIT_VMRUN]	= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_VMMCALL]	= { rs_exit_hypercall,	"VMMCALL" },
	[SVM_EXIT_VMLOAD]	= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_VMSAVE]	= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_STGI]		= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_CLGI]		= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_SKINIT]	= { rs_exit_ud,		"SVM_INSN" },
	[SVM_EXIT_RDTSCP]	= { rs_exit_rdtscp,	"RDTSCP" },
	[SVM_EXIT_MONITOR]	= { rs_exit_ud,		"MWAIT" },
	[SVM_EXIT_MWAIT]	= { rs_exit_ud,		"MWAIT" },
	[SVM_EXIT_MWAIT_COND]	= { rs_exit_ud,		"MWAIT" },
	[SVM_EXIT_XSETBV]	= { rs_exit_xsetbv,	"XSETBV" },
	[SVM_EXIT_RDPRU]	= { rs_exit_ud,		"RDPRU" },
	[SVM_EXIT_WBINVD]	= { rs_exit_wbinvd,	"WBINVD" },
	[SVM_EXIT_NPF]		= { svm_exit_npf,	"NPF" },
};

static struct rs_exit_table svm_exit_table __ro_after_init = {
	.rows = svm_exits,
	.nr_rows = ARRAY_SIZE(svm_exits),
};

/* A #BP or #OF, which INT3 and INTO raise as traps. */
static bool svm_is_soft_exc(u32 info)
{
	u32 vector = info & SVM_EXITINTINFO_VEC_MASK;

	return (info & SVM_EXITINTINFO_TYPE_MASK) == SVM_EXITINTINFO_TYPE_EXEPT &&
	       (vector == X86_TRAP_BP || vector == X86_TRAP_OF);
}

/*
 * An event the exit interrupted on its way into the guest (an interrupt
 * or exception whose delivery hit a nested page fault) is delivered again
 * (15.7.2).  Software interrupts and the guest's own INT3/INTO are not:
 * RIP is still on their instruction, which runs again.  A #BP or #OF that
 * ringside injected is, as KVM keeps its soft_int_old_rip for: RIP is
 * past the instruction already (rs_exit_exception()).
 */
static void svm_reinject(struct rs_vcpu *vcpu, struct vmcb *vmcb)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 info = vmcb->control.exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u32 vector = info & SVM_EXITINTINFO_VEC_MASK;
	bool ours = svm->soft_exc_inj;

	svm->soft_exc_inj = false;
	if (!(info & SVM_EXITINTINFO_VALID) || type == SVM_EXITINTINFO_TYPE_SOFT ||
	    (svm_is_soft_exc(info) && !ours))
		return;
	svm->soft_exc_inj = svm_is_soft_exc(info);
	/*
	 * An interrupt goes back to pending, which is free (this entry took
	 * it from there), to come in again once the guest can take one, as
	 * on VMX (vmx_reinject()): user space may clear RFLAGS.IF meanwhile.
	 */
	if (type == SVM_EXITINTINFO_TYPE_INTR &&
	    rs_unqueue_event(vcpu, RS_EVENT_EXTINT, vector))
		return;
	vmcb->control.event_inj = info;
	vmcb->control.event_inj_err = vmcb->control.exit_int_info_err;
	/* The EXITINTINFO types of interrupts, NMIs and exceptions are RS_EVENT_*. */
	trace_ringside_inject(vcpu, type >> SVM_EVTINJ_TYPE_SHIFT, vector,
			      info & SVM_EXITINTINFO_VALID_ERR,
			      vmcb->control.exit_int_info_err, true);
}

/*
 * The IRET ran.  A single step over it that ended otherwise than in its
 * #DB (the IRET faulted) is over too; the TF it set went with the RFLAGS
 * that the IRET or the fault's delivery replaced.
 */
static void svm_nmi_unmasked(struct svm_vcpu *svm, u32 code)
{
	svm->awaiting_iret = false;
	svm->nmi_masked = false;
	if (code != SVM_EXIT_EXCP_BASE + X86_TRAP_DB)
		svm->nmi_step = false;
}

static int svm_handle_exit(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 code = vmcb->control.exit_code;
	const struct rs_exit_row *row = rs_exit_row(&svm_exit_table, code);
	bool invalid = code == (u32)SVM_EXIT_ERR ||
		       code == (u32)SVM_EXIT_HOST_STATE;

	/* Statistics, tracepoint and netlink event (stats.h). */
	rs_exit_observe(vcpu, invalid ? RS_STAT_INVALID : row->stat, code,
			vmcb->save.rip, vmcb->control.exit_info_1,
			vmcb->control.exit_info_2);
	/* Nothing was delivered: an interrupt or NMI goes back to pending. */
	if (invalid)
		svm_cancel_injection(vcpu);
	if (code == (u32)SVM_EXIT_ERR)
		return rs_exit_fail_entry(vcpu, SVM_EXIT_ERR, 0);
	if (unlikely(code == (u32)SVM_EXIT_HOST_STATE))
		return rs_exit_lost_state(vcpu);

	vmcb->control.event_inj = 0;
	/* The guest's NMI handler returned (svm_exit_iret()). */
	if (unlikely(to_svm(vcpu)->awaiting_iret) &&
	    vmcb->save.rip != to_svm(vcpu)->iret_rip)
		svm_nmi_unmasked(to_svm(vcpu), code);
	/* An event a triple fault interrupted has nowhere to go. */
	if (code != SVM_EXIT_SHUTDOWN)
		svm_reinject(vcpu, vmcb);
	return rs_exit_dispatch(vcpu, row, code);
}

static void svm_get_rip_rflags(struct rs_vcpu *vcpu, u64 *rip, u64 *rflags)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	*rip = vmcb->save.rip;
	*rflags = vmcb->save.rflags;
}

static void svm_set_rip_rflags(struct rs_vcpu *vcpu, u64 rip, u64 rflags,
			       bool done)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->save.rip = rip;
	vmcb->save.rflags = rflags;
	if (done)
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

static void svm_seg_out(const struct vmcb_seg *in, struct rs_segment *out)
{
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->attr = in->attrib;
}

static void svm_seg_in(struct vmcb_seg *out, const struct rs_segment *in)
{
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->attrib = in->attr & 0xfff;
}

static void svm_get_sregs(struct rs_vcpu *vcpu, struct rs_sregs *sr)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	svm_seg_out(&s->cs, &sr->cs);
	svm_seg_out(&s->ds, &sr->ds);
	svm_seg_out(&s->es, &sr->es);
	svm_seg_out(&s->fs, &sr->fs);
	svm_seg_out(&s->gs, &sr->gs);
	svm_seg_out(&s->ss, &sr->ss);
	svm_seg_out(&s->tr, &sr->tr);
	svm_seg_out(&s->ldtr, &sr->ldt);
	sr->gdt.base = s->gdtr.base;
	sr->gdt.limit = s->gdtr.limit;
	sr->idt.base = s->idtr.base;
	sr->idt.limit = s->idtr.limit;
	sr->cr0 = s->cr0;
	sr->cr2 = s->cr2;
	sr->cr3 = s->cr3;
	sr->cr4 = s->cr4;
	sr->cr8 = to_svm(vcpu)->vmcb->control.int_ctl & V_TPR_MASK;
	sr->efer = s->efer & ~EFER_SVME;
}

/* The segment, descriptor-table and control registers of @sr. */
static void svm_load_sregs(struct vmcb *vmcb, const struct rs_sregs *sr)
{
	struct vmcb_save_area *s = &vmcb->save;

	svm_seg_in(&s->cs, &sr->cs);
	svm_seg_in(&s->ds, &sr->ds);
	svm_seg_in(&s->es, &sr->es);
	svm_seg_in(&s->fs, &sr->fs);
	svm_seg_in(&s->gs, &sr->gs);
	svm_seg_in(&s->ss, &sr->ss);
	svm_seg_in(&s->tr, &sr->tr);
	svm_seg_in(&s->ldtr, &sr->ldt);
	s->gdtr.base = sr->gdt.base;
	s->gdtr.limit = sr->gdt.limit;
	s->idtr.base = sr->idt.base;
	s->idtr.limit = sr->idt.limit;
	s->cr0 = sr->cr0;
	s->cr2 = sr->cr2;
	s->cr3 = sr->cr3;
	s->cr4 = sr->cr4;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) | sr->cr8;
	/* VMRUN requires EFER.SVME (15.5.1); the guest sees it clear. */
	s->efer = sr->efer | EFER_SVME;
	/* The CPL is SS.DPL in protected mode, 0 in real mode (15.5.1). */
	s->cpl = (sr->cr0 & X86_CR0_PE) ? (sr->ss.attr >> 5) & 3 : 0;
}

static int svm_set_sregs(struct rs_vcpu *vcpu, const struct rs_sregs *sr)
{
	to_svm(vcpu)->vmcb_undefined = false;
	svm_load_sregs(to_svm(vcpu)->vmcb, sr);
	return 0;
}

/* After an exit the VMCB holds the guest's CR0, CR3, CR4 and EFER. */
static void svm_get_cr_state(struct rs_vcpu *vcpu, struct rs_cr_state *st)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	st->cr0 = s->cr0;
	st->cr3 = s->cr3;
	st->cr4 = s->cr4;
	st->efer = s->efer & ~EFER_SVME;
	st->cs_l = s->cs.attrib & RS_SEG_L;
}

/* With nested paging the CPU reads PAE PDPTEs from guest memory itself. */
static void svm_set_cr_state(struct rs_vcpu *vcpu, const struct rs_cr_state *st,
			     const u64 *pdptes)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	s->cr0 = st->cr0;
	s->cr3 = st->cr3;
	s->cr4 = st->cr4;
	s->efer = st->efer | EFER_SVME;
}

static int svm_get_msr(struct rs_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (index) {
	case MSR_STAR:
		*data = s->star;
		break;
	case MSR_LSTAR:
		*data = s->lstar;
		break;
	case MSR_CSTAR:
		*data = s->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = s->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = s->kernel_gs_base;
		break;
	case MSR_FS_BASE:
		*data = s->fs.base;
		break;
	case MSR_GS_BASE:
		*data = s->gs.base;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = s->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = s->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = s->sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		*data = s->g_pat;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vmcb->control.tsc_offset;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int svm_set_msr(struct rs_vcpu *vcpu, u32 index, u64 data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (index) {
	case MSR_STAR:
		s->star = data;
		break;
	case MSR_LSTAR:
		s->lstar = data;
		break;
	case MSR_CSTAR:
		s->cstar = data;
		break;
	case MSR_KERNEL_GS_BASE:
		s->kernel_gs_base = data;
		break;
	case MSR_FS_BASE:
		s->fs.base = data;
		break;
	case MSR_GS_BASE:
		s->gs.base = data;
		break;
	case MSR_SYSCALL_MASK:
		s->sfmask = data;
		break;
	case MSR_IA32_SYSENTER_CS:
		s->sysenter_cs = data;
		break;
	case MSR_IA32_SYSENTER_ESP:
		s->sysenter_esp = data;
		break;
	case MSR_IA32_SYSENTER_EIP:
		s->sysenter_eip = data;
		break;
	case MSR_IA32_CR_PAT:
		s->g_pat = data;
		break;
	case MSR_IA32_TSC:
		vmcb->control.tsc_offset = data - rdtsc();
		break;
	case MSR_IA32_DEBUGCTLMSR:
		return data ? -EINVAL : 0;
	default:
		return -ENOENT;
	}
	return 0;
}

/* EVENTINJ has the core's format (RS_EVENT_INFO_*). */
static int svm_queue_event(struct rs_vcpu *vcpu, u32 info, u32 error)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	if (c->event_inj & SVM_EVTINJ_VALID)
		return -EBUSY;
	c->event_inj = info;
	c->event_inj_err = error;
	to_svm(vcpu)->soft_exc_inj = svm_is_soft_exc(info);
	return 0;
}

static void svm_set_cr2(struct rs_vcpu *vcpu, u64 cr2)
{
	to_svm(vcpu)->vmcb->save.cr2 = cr2;
}

static int svm_get_cpl(struct rs_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.cpl;
}

/* EXITCODE, EXITINFO1 and EXITINFO2 (15.6 "#VMEXIT"), for a routed exit */
static void svm_get_exit_raw(struct rs_vcpu *vcpu, u64 *code, u64 info[2],
			     u8 *len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	*code = (u64)vmcb->control.exit_code_hi << 32 | vmcb->control.exit_code;
	info[0] = vmcb->control.exit_info_1;
	info[1] = vmcb->control.exit_info_2;
	*len = svm_next_len(vmcb);
}

/*
 * Outside the guest its DR0-3 are in vcpu->dr[], whoever owns them
 * (svm_save_guest_drs()); DR6 and DR7 are in the VMCB (15.5.1).
 */
static u64 svm_get_dr(struct rs_vcpu *vcpu, int dr)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (dr) {
	case 0 ... 3:
		return vcpu->dr[dr];
	case 6:
		return vmcb->save.dr6;
	default:
		return vmcb->save.dr7;
	}
}

/* A MOV to DR the core carried out (cr.c), fixed bits as they must be. */
static void svm_set_dr(struct rs_vcpu *vcpu, int dr, u64 val)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (dr) {
	case 0 ... 3:
		vcpu->dr[dr] = val;
		break;
	case 6:
		vmcb->save.dr6 = val;
		break;
	default:
		vmcb->save.dr7 = val;
	}
}

/* With the APIC in user space, CR8 is V_TPR alone (15.24). */
static void svm_set_cr8(struct rs_vcpu *vcpu, u64 val)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | (val & V_TPR_MASK);
}

static struct rs_arch_ops svm_ops = {
	.name = "svm",
	.cap = RS_CAP_SVM,
	.setup = svm_setup,
	.unsetup = svm_unsetup,
	.hardware_enable = svm_hardware_enable,
	.hardware_disable = svm_hardware_disable,
	.npt_table = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER,
	.npt_leaf_ro = _PAGE_PRESENT | _PAGE_USER,
	.npt_leaf_w = _PAGE_RW,
	.npt_present = _PAGE_PRESENT,
	.vcpu_size = sizeof(struct svm_vcpu),
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_run = svm_vcpu_run,
	.get_rip_rflags = svm_get_rip_rflags,
	.set_rip_rflags = svm_set_rip_rflags,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_cr_state = svm_get_cr_state,
	.set_cr_state = svm_set_cr_state,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.queue_event = svm_queue_event,
	.set_cr2 = svm_set_cr2,
	.set_dr6_step = svm_set_dr6_step,
	.get_cpl = svm_get_cpl,
	.interrupt_allowed = svm_interrupt_allowed,
	.nmi_blocked = svm_nmi_blocked,
	.skip_instruction = svm_skip,
	.set_route = svm_set_route,
	.get_exit_raw = svm_get_exit_raw,
	.get_dr = svm_get_dr,
	.set_dr = svm_set_dr,
	.set_cr8 = svm_set_cr8,
	.guest_debug = RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_HW_BP |
		       RS_GUEST_DEBUG_BLOCK_IRQ,
	.step_with_tf = true,
	.exits = &svm_exit_table,
};

const struct rs_arch_ops *svm_probe(void)
{
	u32 feat;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < 0x8000000a ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_SVM))
		return ERR_PTR(-EOPNOTSUPP);

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVMDIS) {
		pr_info("SVM is disabled by the firmware (VM_CR.SVMDIS)\n");
		return ERR_PTR(-ENODEV);
	}

	feat = cpuid_edx(0x8000000a);
	if (!(feat & SVM_FEAT_NP)) {
		pr_info("SVM without nested paging is not supported\n");
		return ERR_PTR(-ENODEV);
	}

	svm_ops.hw_features = 0;
	if (feat & SVM_FEAT_NRIPS)
		svm_ops.hw_features |= RS_HW_NRIPS;
	if (feat & SVM_FEAT_VMCB_CLEAN)
		svm_ops.hw_features |= RS_HW_VMCB_CLEAN;
	if (feat & SVM_FEAT_DECODE_ASSISTS)
		svm_ops.hw_features |= RS_HW_DECODE_ASSISTS;
	if (feat & SVM_FEAT_FLUSH_BY_ASID)
		svm_ops.hw_features |= RS_HW_FLUSH_BY_ASID;
	return &svm_ops;
}
