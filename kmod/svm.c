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
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/svm.h>
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

static u32 svm_max_asid;
static u64 svm_host_xcr0;
static bool svm_host_pkru;	/* the host uses protection keys */
static void *svm_iopm;		/* 12 KiB, every port intercepted */
static void *svm_msrpm;		/* 8 KiB, all but a few MSRs intercepted */

static struct rs_arch_ops svm_ops;

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

/* The MSR permission map: three 2 KiB ranges, two bits each (15.11). */
static void svm_msrpm_allow(u32 msr)
{
	static const u32 base[] = { 0, 0xc0000000, 0xc0010000 };
	int i;

	for (i = 0; i < ARRAY_SIZE(base); i++) {
		if (msr - base[i] < 0x2000) {
			u32 bit = i * 0x4000 + (msr - base[i]) * 2;

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
	svm_msrpm = (void *)__get_free_pages(GFP_KERNEL, get_order(2 * PAGE_SIZE));
	if (!svm_iopm || !svm_msrpm)
		goto err;
	memset(svm_iopm, 0xff, 3 * PAGE_SIZE);
	memset(svm_msrpm, 0xff, 2 * PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		svm_msrpm_allow(svm_passthrough_msrs[i]);

	svm_max_asid = cpuid_ebx(0x8000000a) - 1;
	svm_host_pkru = boot_cpu_has(X86_FEATURE_OSPKE);
	svm_host_xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	return 0;
err:
	svm_free_percpu();
	free_pages((unsigned long)svm_iopm, get_order(3 * PAGE_SIZE));
	free_pages((unsigned long)svm_msrpm, get_order(2 * PAGE_SIZE));
	return -ENOMEM;
}

static void svm_unsetup(void)
{
	svm_free_percpu();
	free_pages((unsigned long)svm_iopm, get_order(3 * PAGE_SIZE));
	free_pages((unsigned long)svm_msrpm, get_order(2 * PAGE_SIZE));
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

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_warn_ratelimited("SVM is in use by another hypervisor on CPU %d\n",
				    smp_processor_id());
		return -EBUSY;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_hsave)));
	svm_reset_asids();
	return 0;
}

static void svm_hardware_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

struct svm_vcpu {
	struct vmcb *vmcb;
	unsigned long vmcb_pa;
	u32 asid;
	int asid_cpu;
	u64 asid_gen;
	bool dr_owned;		/* guest DR0-3 are live, not intercepted */
};

static struct svm_vcpu *to_svm(struct rs_vcpu *vcpu)
{
	return vcpu->arch;
}

static void svm_set_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void svm_clr_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static int svm_vm_init(struct rs_vm *vm)
{
	return 0;
}

static void svm_vm_destroy(struct rs_vm *vm)
{
}

/* Segment attributes of the reset state (15.5.1, and APM vol. 2 14.1.3). */
#define SVM_ATTR_DATA	(RS_SEG_P | RS_SEG_S | 0x3)	/* read/write, accessed */
#define SVM_ATTR_CODE	(RS_SEG_P | RS_SEG_S | 0xb)	/* exec/read, accessed */
#define SVM_ATTR_LDT	(RS_SEG_P | 0x2)
#define SVM_ATTR_TSS	(RS_SEG_P | 0xb)		/* busy 32-bit TSS */

static void svm_init_seg(struct vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->attrib = attrib;
	seg->limit = 0xffff;
	seg->base = 0;
}

/* The state of a CPU after RESET (APM vol. 2, 14.1.3), with NPT on. */
static void svm_init_vmcb(struct rs_vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_control_area *c = &vmcb->control;
	struct vmcb_save_area *s = &vmcb->save;
	u32 i;

	static const u32 intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_HLT, INTERCEPT_INVD, INTERCEPT_INVLPGA,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN,
		INTERCEPT_VMRUN, INTERCEPT_VMMCALL, INTERCEPT_VMLOAD,
		INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI,
		INTERCEPT_SKINIT, INTERCEPT_RDTSCP, INTERCEPT_MONITOR,
		INTERCEPT_MWAIT, INTERCEPT_MWAIT_COND, INTERCEPT_XSETBV,
		INTERCEPT_RDPRU,
	};

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(vmcb, intercepts[i]);
	/* Checked by ringside: CR4.VMXE and bits the guest's CPUID lacks. */
	svm_set_intercept(vmcb, INTERCEPT_CR4_WRITE);
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

	svm_init_seg(&s->cs, SVM_ATTR_CODE);
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	svm_init_seg(&s->ds, SVM_ATTR_DATA);
	svm_init_seg(&s->es, SVM_ATTR_DATA);
	svm_init_seg(&s->ss, SVM_ATTR_DATA);
	svm_init_seg(&s->fs, SVM_ATTR_DATA);
	svm_init_seg(&s->gs, SVM_ATTR_DATA);
	svm_init_seg(&s->ldtr, SVM_ATTR_LDT);
	svm_init_seg(&s->tr, SVM_ATTR_TSS);
	svm_init_seg(&s->gdtr, 0);
	svm_init_seg(&s->idtr, 0);
	s->efer = EFER_SVME;		/* VMRUN requires it; the guest sees 0 */
	s->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
	s->dr6 = DR6_RESERVED;
	s->dr7 = 0x400;			/* DR7 reset value, bit 10 reads 1 */
	s->rflags = X86_EFLAGS_FIXED;
	s->rip = 0xfff0;
	s->g_pat = 0x0007040600070406ULL;	/* the PAT's reset value */
}

static int svm_vcpu_create(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *sv;
	struct page *page;

	sv = kzalloc(sizeof(*sv), GFP_KERNEL_ACCOUNT);
	if (!sv)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(sv);
		return -ENOMEM;
	}
	sv->vmcb = page_address(page);
	sv->vmcb_pa = page_to_phys(page);
	sv->asid_cpu = -1;
	vcpu->arch = sv;
	svm_init_vmcb(vcpu, sv->vmcb);
	return 0;
}

static void svm_vcpu_free(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *sv = to_svm(vcpu);

	free_page((unsigned long)sv->vmcb);
	kfree(sv);
}

/*
 * A fresh ASID has no stale translations on this CPU: one is taken when the
 * vCPU arrives from elsewhere or must forget its guest-physical mappings.
 * When the ASIDs run out, all of them are flushed at once (15.16).  This
 * needs no flush-by-ASID, which the CPU may not have.
 */
static void svm_pick_asid(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *sv = to_svm(vcpu);
	int cpu = smp_processor_id();
	bool flush = test_and_clear_bit(RS_REQ_TLB_FLUSH, &vcpu->requests);

	if (!flush && sv->asid_cpu == cpu &&
	    sv->asid_gen == __this_cpu_read(svm_asid_gen))
		return;
	if (__this_cpu_read(svm_next_asid) > svm_max_asid) {
		__this_cpu_inc(svm_asid_gen);
		__this_cpu_write(svm_next_asid, 1);
		sv->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	sv->asid = __this_cpu_read(svm_next_asid);
	__this_cpu_inc(svm_next_asid);
	sv->asid_gen = __this_cpu_read(svm_asid_gen);
	sv->asid_cpu = cpu;
	sv->vmcb->control.asid = sv->asid;
}

static bool svm_interrupt_allowed(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vmcb->save.rflags & X86_EFLAGS_IF) &&
	       !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) &&
	       !(vmcb->control.event_inj & SVM_EVTINJ_VALID);
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

/* DR6 and DR7 are in the VMCB; DR0-3 are the core's to switch (15.5.1). */
static void svm_save_guest_drs(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *sv = to_svm(vcpu);
	int i;

	rs_save_guest_dr0_3(vcpu);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	/* The next access exits again, so that idle DRs cost nothing. */
	for (i = 0; i < 4; i++) {
		svm_set_intercept(sv->vmcb, INTERCEPT_DR0_READ + i);
		svm_set_intercept(sv->vmcb, INTERCEPT_DR0_WRITE + i);
	}
	sv->dr_owned = false;
}

static int svm_handle_exit(struct rs_vcpu *vcpu);

static int svm_vcpu_run(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *sv = to_svm(vcpu);
	struct vmcb *vmcb = sv->vmcb;
	u64 rip = vmcb->save.rip, rflags = vmcb->save.rflags;
	u32 host_pkru = 0;
	bool drs;

	if (vcpu->run->request_interrupt_window && !vcpu->extint_pending &&
	    svm_interrupt_allowed(vcpu))
		return rs_exit_irq_window(vcpu);
	svm_inject_extint(vcpu);
	if (vcpu->run->request_interrupt_window)
		svm_request_window(vmcb);

	local_irq_disable();
	if (!rs_vcpu_enter_prepare(vcpu)) {
		local_irq_enable();
		return 0;
	}
	svm_pick_asid(vcpu);
	if (svm_host_pkru)
		host_pkru = rdpkru();
	vmcb->save.rax = vcpu->gpr[RS_RAX];
	vmcb->save.rsp = vcpu->gpr[RS_RSP];
	drs = sv->dr_owned || (vmcb->save.dr7 & 0xff);
	if (drs)
		rs_load_guest_dr0_3(vcpu);
	if (vcpu->xcr0 != svm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	/* WRPKRU is not intercepted: a guest that sets CR4.PKE owns PKRU. */
	if (svm_host_pkru && vcpu->pkru != host_pkru)
		wrpkru(vcpu->pkru);

	/*
	 * GIF stays clear around VMRUN, so host interrupts and NMIs wait; the
	 * host's RFLAGS.IF set at VMRUN lets them exit the guest (15.17).
	 */
	trace_ringside_entry(vcpu, vmcb->save.rip);
	asm volatile("clgi" ::: "memory");
	raw_local_irq_enable();
	vcpu->entry_tsc = rs_stats_tsc();	/* guest time (stats.h) */
	svm_vmrun(vcpu->gpr, sv->vmcb_pa,
		  page_to_phys(__this_cpu_read(svm_host_save)));
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

	/*
	 * A VMRUN that failed its consistency checks (15.5.1) did not enter
	 * the guest: what the VMCB holds then is not guest state, so the
	 * guest's stays as it was.
	 */
	if (vmcb->control.exit_code == (u32)SVM_EXIT_ERR) {
		vmcb->save.rip = rip;
		vmcb->save.rflags = rflags;
	} else {
		vcpu->gpr[RS_RAX] = vmcb->save.rax;
		vcpu->gpr[RS_RSP] = vmcb->save.rsp;
	}
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	rs_vcpu_exit_done(vcpu);
	local_irq_enable();

	return svm_handle_exit(vcpu);
}

static void svm_skip(struct rs_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if ((svm_ops.hw_features & RS_HW_NRIPS) && vmcb->control.next_rip)
		vmcb->save.rip = vmcb->control.next_rip;
	else
		vmcb->save.rip += len;
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/* The exit handlers, one per exit code (APM vol. 2, appendix C). */

static int svm_exit_nop(struct rs_vcpu *vcpu)
{
	return 0;	/* a host interrupt, NMI or SMI: the host took it */
}

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

static int svm_exit_cpuid(struct rs_vcpu *vcpu)
{
	rs_emulate_cpuid(vcpu);
	svm_skip(vcpu, 2);
	return 0;
}

static int svm_exit_hlt(struct rs_vcpu *vcpu)
{
	svm_skip(vcpu, 1);
	return rs_exit_hlt(vcpu);
}

/* EXITINFO1 describes the access, EXITINFO2 is the next RIP (15.10.2). */
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
					 (info & SVM_IOIO_ASIZE_MASK) >> 6,
					 vmcb->control.exit_info_2);
	vmcb->save.rip = vmcb->control.exit_info_2;
	return rs_exit_io(vcpu, port, size, in);
}

static int svm_exit_msr(struct rs_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->control.exit_info_1)
		rs_emulate_wrmsr(vcpu);
	else
		rs_emulate_rdmsr(vcpu);
	return 0;
}

/* Nested page fault: EXITINFO1 is a #PF error code, EXITINFO2 the GPA. */
#define SVM_NPF_WRITE		BIT_ULL(1)
#define SVM_NPF_FETCH		BIT_ULL(4)

static int svm_exit_npf(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 error = vmcb->control.exit_info_1;

	return rs_exit_npf(vcpu, vmcb->control.exit_info_2,
			   error & SVM_NPF_WRITE, error & SVM_NPF_FETCH);
}

static int svm_exit_shutdown(struct rs_vcpu *vcpu)
{
	return rs_exit_shutdown(vcpu);
}

/* VMMCALL is ringside's hypercall from CPL 0; elsewhere it is #UD. */
static int svm_exit_vmmcall(struct rs_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->save.cpl) {
		rs_inject_ud(vcpu);
		return 0;
	}
	svm_skip(vcpu, 3);
	return rs_exit_hypercall(vcpu);
}

/* SVM instructions, RDTSCP, MONITOR/MWAIT: a CPU without them. */
static int svm_exit_ud(struct rs_vcpu *vcpu)
{
	rs_inject_ud(vcpu);
	return 0;
}

static int svm_exit_xsetbv(struct rs_vcpu *vcpu)
{
	return rs_emulate_xsetbv(vcpu);
}

/* INVD would drop the host's dirty cache lines: do nothing instead. */
static int svm_exit_invd(struct rs_vcpu *vcpu)
{
	svm_skip(vcpu, 2);
	return 0;
}

/*
 * MOV to CR4 (15.9): decode assists name the register in EXITINFO1[3:0];
 * without them the core decodes the instruction.
 */
#define SVM_CR_VALID		BIT_ULL(63)

static int svm_exit_cr4_write(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 info = vmcb->control.exit_info_1;
	unsigned int len = 3;
	int reg;

	if (info & SVM_CR_VALID)
		reg = info & 15;
	else if (rs_decode_mov_to_cr(vcpu, &reg, &len))
		return rs_exit_emulation_failed(vcpu, 0, vmcb->save.rip);

	if (!rs_cr4_valid(vcpu, vcpu->gpr[reg])) {
		rs_inject_gp(vcpu);
		return 0;
	}
	vmcb->save.cr4 = vcpu->gpr[reg];
	/* The CPU would flush the TLB for paging changes: a new ASID does. */
	set_bit(RS_REQ_TLB_FLUSH, &vcpu->requests);
	svm_skip(vcpu, len);
	return 0;
}

/* The guest touches DR0-3: give them to it until the next exit. */
static int svm_exit_dr(struct rs_vcpu *vcpu)
{
	struct svm_vcpu *sv = to_svm(vcpu);
	int i;

	for (i = 0; i < 4; i++) {
		svm_clr_intercept(sv->vmcb, INTERCEPT_DR0_READ + i);
		svm_clr_intercept(sv->vmcb, INTERCEPT_DR0_WRITE + i);
	}
	sv->dr_owned = true;
	return 0;
}

static int (*const svm_exit_handlers[])(struct rs_vcpu *vcpu) = {
	[SVM_EXIT_WRITE_CR4] = svm_exit_cr4_write,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3] = svm_exit_dr,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3] = svm_exit_dr,
	[SVM_EXIT_INTR] = svm_exit_nop,
	[SVM_EXIT_NMI] = svm_exit_nop,
	[SVM_EXIT_SMI] = svm_exit_nop,
	[SVM_EXIT_VINTR] = svm_exit_vintr,
	[SVM_EXIT_CPUID] = svm_exit_cpuid,
	[SVM_EXIT_INVD] = svm_exit_invd,
	[SVM_EXIT_HLT] = svm_exit_hlt,
	[SVM_EXIT_INVLPGA] = svm_exit_ud,
	[SVM_EXIT_IOIO] = svm_exit_ioio,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_SHUTDOWN] = svm_exit_shutdown,
	[SVM_EXIT_VMRUN] = svm_exit_ud,
	[SVM_EXIT_VMMCALL] = svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD] = svm_exit_ud,
	[SVM_EXIT_VMSAVE] = svm_exit_ud,
	[SVM_EXIT_STGI] = svm_exit_ud,
	[SVM_EXIT_CLGI] = svm_exit_ud,
	[SVM_EXIT_SKINIT] = svm_exit_ud,
	[SVM_EXIT_RDTSCP] = svm_exit_ud,
	[SVM_EXIT_MONITOR] = svm_exit_ud,
	[SVM_EXIT_MWAIT] = svm_exit_ud,
	[SVM_EXIT_MWAIT_COND] = svm_exit_ud,
	[SVM_EXIT_XSETBV] = svm_exit_xsetbv,
	[SVM_EXIT_RDPRU] = svm_exit_ud,
	[SVM_EXIT_NPF] = svm_exit_npf,
};

/*
 * Exit statistics (stats.h): exits are counted under these names, the
 * exit codes grouped as their handlers are; a code not listed in
 * svm_exit_stats[] is OTHER.  Documentation/netlink.rst lists them.
 */
enum {
	SVM_STAT_OTHER, SVM_STAT_INVALID, SVM_STAT_CR4_WRITE, SVM_STAT_DR,
	SVM_STAT_INTR, SVM_STAT_NMI, SVM_STAT_SMI, SVM_STAT_VINTR,
	SVM_STAT_CPUID, SVM_STAT_INVD, SVM_STAT_HLT, SVM_STAT_IOIO,
	SVM_STAT_MSR, SVM_STAT_SHUTDOWN, SVM_STAT_VMMCALL, SVM_STAT_SVM_INSN,
	SVM_STAT_RDTSCP, SVM_STAT_MWAIT, SVM_STAT_XSETBV, SVM_STAT_RDPRU,
	SVM_STAT_NPF, SVM_NR_STATS
};

static const char *const svm_exit_names[SVM_NR_STATS] = {
	[SVM_STAT_OTHER] = "OTHER",
	[SVM_STAT_INVALID] = "INVALID",		/* VMRUN failed its checks */
	[SVM_STAT_CR4_WRITE] = "CR4_WRITE",
	[SVM_STAT_DR] = "DR",
	[SVM_STAT_INTR] = "INTR",
	[SVM_STAT_NMI] = "NMI",
	[SVM_STAT_SMI] = "SMI",
	[SVM_STAT_VINTR] = "VINTR",
	[SVM_STAT_CPUID] = "CPUID",
	[SVM_STAT_INVD] = "INVD",
	[SVM_STAT_HLT] = "HLT",
	[SVM_STAT_IOIO] = "IOIO",
	[SVM_STAT_MSR] = "MSR",
	[SVM_STAT_SHUTDOWN] = "SHUTDOWN",
	[SVM_STAT_VMMCALL] = "VMMCALL",
	[SVM_STAT_SVM_INSN] = "SVM_INSN",	/* VMRUN ... INVLPGA: #UD */
	[SVM_STAT_RDTSCP] = "RDTSCP",
	[SVM_STAT_MWAIT] = "MWAIT",		/* and MONITOR */
	[SVM_STAT_XSETBV] = "XSETBV",
	[SVM_STAT_RDPRU] = "RDPRU",
	[SVM_STAT_NPF] = "NPF",
};

static const u8 svm_exit_stats[] = {
	[SVM_EXIT_WRITE_CR4] = SVM_STAT_CR4_WRITE,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3] = SVM_STAT_DR,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3] = SVM_STAT_DR,
	[SVM_EXIT_INTR] = SVM_STAT_INTR,
	[SVM_EXIT_NMI] = SVM_STAT_NMI,
	[SVM_EXIT_SMI] = SVM_STAT_SMI,
	[SVM_EXIT_VINTR] = SVM_STAT_VINTR,
	[SVM_EXIT_CPUID] = SVM_STAT_CPUID,
	[SVM_EXIT_INVD] = SVM_STAT_INVD,
	[SVM_EXIT_HLT] = SVM_STAT_HLT,
	[SVM_EXIT_INVLPGA] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_IOIO] = SVM_STAT_IOIO,
	[SVM_EXIT_MSR] = SVM_STAT_MSR,
	[SVM_EXIT_SHUTDOWN] = SVM_STAT_SHUTDOWN,
	[SVM_EXIT_VMRUN] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_VMMCALL] = SVM_STAT_VMMCALL,
	[SVM_EXIT_VMLOAD] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_VMSAVE] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_STGI] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_CLGI] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_SKINIT] = SVM_STAT_SVM_INSN,
	[SVM_EXIT_RDTSCP] = SVM_STAT_RDTSCP,
	[SVM_EXIT_MONITOR] = SVM_STAT_MWAIT,
	[SVM_EXIT_MWAIT] = SVM_STAT_MWAIT,
	[SVM_EXIT_MWAIT_COND] = SVM_STAT_MWAIT,
	[SVM_EXIT_XSETBV] = SVM_STAT_XSETBV,
	[SVM_EXIT_RDPRU] = SVM_STAT_RDPRU,
	[SVM_EXIT_NPF] = SVM_STAT_NPF,
};

static u16 svm_exit_stat(u32 code)
{
	if (code == (u32)SVM_EXIT_ERR)
		return SVM_STAT_INVALID;
	return code < ARRAY_SIZE(svm_exit_stats) ? svm_exit_stats[code] :
						   SVM_STAT_OTHER;
}

/*
 * An event the exit interrupted on its way into the guest (an interrupt
 * or exception whose delivery hit a nested page fault) is delivered again
 * (15.7.2).  Software interrupts and INT3/INTO are not: their instruction
 * runs again.
 */
static void svm_reinject(struct rs_vcpu *vcpu, struct vmcb *vmcb)
{
	u32 info = vmcb->control.exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;
	u32 vector = info & SVM_EXITINTINFO_VEC_MASK;

	if (!(info & SVM_EXITINTINFO_VALID) || type == SVM_EXITINTINFO_TYPE_SOFT ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT && (vector == 3 || vector == 4)))
		return;
	vmcb->control.event_inj = info;
	vmcb->control.event_inj_err = vmcb->control.exit_int_info_err;
	/* The EXITINTINFO types of interrupts, NMIs and exceptions are RS_EVENT_*. */
	trace_ringside_inject(vcpu, type >> SVM_EVTINJ_TYPE_SHIFT, vector,
			      info & SVM_EXITINTINFO_VALID_ERR,
			      vmcb->control.exit_int_info_err, true);
}

static int svm_handle_exit(struct rs_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 code = vmcb->control.exit_code;

	/* Statistics, tracepoint and netlink event (stats.h). */
	rs_exit_observe(vcpu, svm_exit_stat(code), code, vmcb->save.rip,
			vmcb->control.exit_info_1, vmcb->control.exit_info_2);
	if (code == (u32)SVM_EXIT_ERR)
		return rs_exit_fail_entry(vcpu, SVM_EXIT_ERR, 0);

	vmcb->control.event_inj = 0;
	svm_reinject(vcpu, vmcb);

	if (code < ARRAY_SIZE(svm_exit_handlers) && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);
	return rs_exit_unhandled(vcpu, code);
}

static void svm_get_rip_rflags(struct rs_vcpu *vcpu, u64 *rip, u64 *rflags)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	*rip = vmcb->save.rip;
	*rflags = vmcb->save.rflags;
}

static void svm_set_rip_rflags(struct rs_vcpu *vcpu, u64 rip, u64 rflags)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->save.rip = rip;
	vmcb->save.rflags = rflags;
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

/* EFER bits a guest may have: SCE, LME, LMA, NXE, FFXSR (APM vol. 2 3.1.7). */
#define SVM_EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)

static int svm_set_sregs(struct rs_vcpu *vcpu, const struct rs_sregs *sr)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	if ((sr->efer & ~SVM_EFER_VALID) || sr->cr8 > 15)
		return -EINVAL;
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
	s->efer = sr->efer | EFER_SVME;
	/* The CPL is SS.DPL in protected mode, 0 in real mode (15.5.1). */
	s->cpl = (sr->cr0 & X86_CR0_PE) ? (sr->ss.attr >> 5) & 3 : 0;
	return 0;
}

static bool svm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

static int svm_get_msr(struct rs_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (index) {
	case MSR_EFER:
		*data = s->efer & ~EFER_SVME;
		break;
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
	case MSR_EFER:
		if (data & ~SVM_EFER_VALID)
			return -EINVAL;
		s->efer = data | EFER_SVME;
		break;
	case MSR_STAR:
		s->star = data;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!__is_canonical_address(data, 48))
			return -EINVAL;
		if (index == MSR_LSTAR)
			s->lstar = data;
		else if (index == MSR_CSTAR)
			s->cstar = data;
		else if (index == MSR_KERNEL_GS_BASE)
			s->kernel_gs_base = data;
		else if (index == MSR_FS_BASE)
			s->fs.base = data;
		else
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
		if (!svm_pat_valid(data))
			return -EINVAL;
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

static int svm_queue_event(struct rs_vcpu *vcpu, u32 type, u8 vector,
			   bool has_error, u32 error)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	if (c->event_inj & SVM_EVTINJ_VALID)
		return -EBUSY;
	c->event_inj = vector | SVM_EVTINJ_VALID |
		       (type == RS_EVENT_NMI ? SVM_EVTINJ_TYPE_NMI :
					       SVM_EVTINJ_TYPE_EXEPT) |
		       (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = error;
	trace_ringside_inject(vcpu, type, vector, has_error, error, false);
	return 0;
}

static int svm_get_cpl(struct rs_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.cpl;
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
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_run = svm_vcpu_run,
	.get_rip_rflags = svm_get_rip_rflags,
	.set_rip_rflags = svm_set_rip_rflags,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.queue_event = svm_queue_event,
	.get_cpl = svm_get_cpl,
	.interrupt_allowed = svm_interrupt_allowed,
	.skip_instruction = svm_skip,
	.exit_names = svm_exit_names,
	.nr_exit_names = ARRAY_SIZE(svm_exit_names),
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
