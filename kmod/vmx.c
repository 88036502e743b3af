// SPDX-License-Identifier: GPL-2.0
/*
 * ringside's Intel VMX backend (Intel SDM vol. 3C, chapters 23-28 and
 * appendices A-C).
 *
 * One VMCS per vCPU.  The core runs a vCPU in whatever thread calls RS_RUN,
 * with preemption enabled between entries, so the VMCS follows the thread:
 * every use of it is bracketed by vmx_vmcs_enter() and vmx_vmcs_leave():
 * enter VMCLEARs it on the CPU where it was active (a VMCS is active on one
 * CPU at most), VMPTRLDs it here and keeps IRQs off until leave, so that
 * hardware_disable() cannot turn VMX off underneath.  There is one bracket
 * per guest entry and exit (vmx_vcpu_run()), and one per rs_arch_ops entry
 * point or exit handler that reads or writes the VMCS.  Each CPU lists the
 * VMCSs active on it, to clear them before VMXOFF.  See SDM vol. 3C, 24.11.1
 * "Software Use of Virtual-Machine Control Structures" and 23.7 "Enabling
 * and Entering VMX Operation".
 *
 * Section numbers are those of the SDM editions of 2016-2022, where chapter
 * 24 is "Virtual Machine Control Structures"; where a later edition moves a
 * section, its title (given where it is first cited) finds it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/io.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>
#include <asm/desc.h>
#include <asm/debugreg.h>
#include <asm/fsgsbase.h>
#include <asm/fpu/xcr.h>
#include <asm/cpu_entry_area.h>
#include <asm/pgtable_types.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

#include "rs.h"
#include "stats.h"
#include "trace.h"
#include "vmx.h"

#define VMX_CPUID_VMX		BIT(5)		/* CPUID.1:ECX.VMX */

#define VMX_EXIT_GETSEC		11		/* appendix C */

/* Exit qualification of I/O instructions (27.2.1, table 27-5). */
#define VMX_IO_SIZE		GENMASK(2, 0)	/* size - 1 */
#define VMX_IO_IN		BIT(3)
#define VMX_IO_STRING		BIT(4)
#define VMX_IO_REP		BIT(5)
#define VMX_IO_PORT_SHIFT	16

/* Exit qualification of control-register accesses (27.2.1, table 27-3). */
#define VMX_CR_NUM(q)		((q) & 15)
#define VMX_CR_TYPE(q)		(((q) >> 4) & 3)
#define VMX_CR_REG(q)		(((q) >> 8) & 15)
#define VMX_CR_MOV_TO		0
#define VMX_CR_MOV_FROM		1
#define VMX_CR_CLTS		2
#define VMX_CR_LMSW		3
#define VMX_CR_LMSW_DATA(q)	((q) >> 16)

/* Exit qualification of MOV DR (27.2.1, "Exit Qualification for MOV DR"). */
#define VMX_DR_NUM(q)		((q) & 7)
#define VMX_DR_FROM		BIT(4)		/* MOV from DR; else MOV to DR */
#define VMX_DR_REG(q)		(((q) >> 8) & 15)

/* The exit's interruption information says #MC (27.2.2, table 27-15). */
static bool vmx_is_machine_check(u32 intr_info)
{
	return (intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK |
			     INTR_INFO_VECTOR_MASK)) ==
	       (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | X86_TRAP_MC);
}

/* An IRET that unblocked NMIs faulted (27.2.3): block them again. */
#define VMX_QUAL_NMI_UNBLOCK	BIT(12)

#define VMX_INTR_SHADOW		(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)

/* The "load CET state" VM-entry control (24.8.1), newer than asm/vmx.h. */
#define VMX_ENTRY_LOAD_CET_STATE	BIT(20)

/*
 * CR0 bits the guest sees from the read shadow while the VMCS holds others
 * (24.6.6, 25.3): NE must stay set in VMX operation (23.8), and CD/NW stay
 * clear so that the guest's memory is cached as the host's is.
 */
#define VMX_CR0_SHADOWED	(X86_CR0_NE | X86_CR0_CD | X86_CR0_NW)
/* Unrestricted guests may clear PE and PG (26.3.1.1). */
#define VMX_CR0_UNRESTRICTED	(X86_CR0_PE | X86_CR0_PG)
/*
 * CR0 bits the guest may change without an exit: TS and MP, which no rule
 * of MOV to CR0 looks at.  Any other change exits, so that the core's rules
 * apply (cr.c), as KVM owns every CR0 bit but TS.
 */
#define VMX_CR0_GUEST_OWNED	(X86_CR0_TS | X86_CR0_MP)

/*
 * Exceptions that always exit (24.6.3): #MC is the host's
 * (rs_machine_check()); #DB and #AC exit so that their delivery cannot
 * loop without one (rs_exit_exception()).  Routing adds others.
 */
#define VMX_EXC_ALWAYS		(BIT(X86_TRAP_MC) | BIT(X86_TRAP_DB) | \
				 BIT(X86_TRAP_AC))

/* Segments in the order of their VMCS field encodings (appendix B). */
enum { VMX_ES, VMX_CS, VMX_SS, VMX_DS, VMX_FS, VMX_GS, VMX_LDTR, VMX_TR };

/* vmx_vcpu.step: how a debugger's single step stops at this entry. */
enum { VMX_STEP_NONE, VMX_STEP_TF, VMX_STEP_EVENT };

/* Controls and fixed bits found at probe time (appendix A). */
static struct {
	u32 revision;		/* VMCS revision identifier (A.1) */
	u32 pin, exec, exec2, exit, entry;
	u64 cr0_fixed0, cr4_fixed0;
	u64 cr0_mask, cr4_mask;	/* guest/host masks (24.6.6) */
	u32 preemption_timer;	/* VMX-preemption timer value, 0: none */
	u32 invept_type;	/* single-context if the CPU has it */
	bool invept_global;
	bool ins_outs_info;	/* INS/OUTS exits report the address size */
	u32 error_codes;	/* exceptions VM entry delivers with one */
	u32 route_exec;		/* VMX_ROUTE_EXEC controls the CPU can set */
	bool rdtscp;		/* the CPU has "enable RDTSCP" (24.6.2) */
	bool mtf;		/* ...and the monitor trap flag (24.6.2) */
} vmx_cfg;

static struct rs_arch_ops vmx_ops;

/*
 * The longest a guest runs without an exit, in microseconds (0: no limit),
 * through the VMX-preemption timer (25.5.1).  Host interrupts exit the
 * guest anyway; this only bounds the slice where they don't: Bochs 2.7
 * loads the guest's RFLAGS before it counts itself in VMX non-root
 * operation, so a guest entered with IF clear never exits for a host
 * interrupt there (external-interrupt exiting, 25.2), and the host freezes.
 */
static unsigned int vmx_timeslice_us = 10000;
module_param(vmx_timeslice_us, uint, 0444);
MODULE_PARM_DESC(vmx_timeslice_us,
		 "VMX: longest guest run without an exit, in us (0: unlimited)");

static void *vmx_io_bitmaps;	/* A and B, 8 KiB, every port exits */
static void *vmx_msr_bitmap;	/* 4 KiB, all but a few MSRs exit */
static u64 vmx_host_xcr0;
static u64 vmx_host_efer;
static bool vmx_host_pkru;	/* the host uses protection keys */
static bool vmx_host_debugctl;	/* the CPU has IA32_DEBUGCTL (Bochs has not) */
static DEFINE_IDA(vmx_vpids);

/* The SYSCALL MSRs, which no VM exit restores (27.5.1). */
struct vmx_syscall_msrs {
	u64 star, lstar, cstar, sfmask;
};

struct vmx_vcpu;

static DEFINE_PER_CPU(struct page *, vmx_vmxon_region);
static DEFINE_PER_CPU(bool, vmx_on);
static DEFINE_PER_CPU(struct vmx_vcpu *, vmx_current);
static DEFINE_PER_CPU(struct list_head, vmx_loaded);
static DEFINE_PER_CPU(struct vmx_syscall_msrs, vmx_host_syscall);

struct vmx_vcpu {
	struct rs_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	int cpu;			/* where the VMCS is active, -1: clear */
	bool launched;			/* VMRESUME rather than VMLAUNCH */
	bool flush;			/* INVEPT before the next entry */
	struct list_head loaded;	/* on vmx_loaded of cpu */
	u16 vpid;
	u32 exec;			/* primary processor-based controls */
	u64 eptp;

	/* The last exit (27.2), read before IRQs were enabled again. */
	u32 exit_reason;
	u64 exit_qual;
	u32 exit_intr_info;
	u32 idt_info, idt_err;
	u32 vm_error;			/* VM-instruction error (30.4) */

	/* The event the next entry delivers (24.8.3); 0: none. */
	u32 event_info, event_err;

	/* Guest state that the VMCS does not hold or that we keep a copy of. */
	u64 rsp;			/* GUEST_RSP as last written or read */
	u64 cr2, cr8;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 dr6, dr7;
	bool dr_owned;			/* guest DR0-3/DR6 live, no MOV-DR exits */
	/*
	 * A debugger's single step at this entry, where the CPU has no
	 * monitor trap flag (vmx_step_arm()), and the guest's own TF.
	 */
	u8 step;
	bool step_tf;
	/*
	 * The vCPU's own MSR bitmap while a routed MSR range covers one that
	 * vmx_msr_bitmap lets through (vmx_set_route()); else NULL.
	 */
	void *msr_bitmap;
	bool sce;			/* EFER.SCE: SYSCALL MSRs matter */
	s64 tsc_offset;

	/* Host state in the VMCS that may change from one entry to the next. */
	unsigned long host_cr3, host_cr4, host_fs_base;
};

static struct vmx_vcpu *to_vmx(struct rs_vcpu *vcpu)
{
	return (void *)vcpu->arch;
}

/* VMX instructions (30.3).  The VMCS in use is current: they cannot fail. */

static noinline void vmx_field_error(const char *insn, unsigned long field)
{
	pr_warn_ratelimited("%s of VMCS field %#lx failed\n", insn, field);
}

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value;
	bool fail;

	asm volatile("vmread %[field], %[value]\n\t" CC_SET(na)
		     : CC_OUT(na) (fail), [value] "=r" (value)
		     : [field] "r" (field));
	if (unlikely(fail)) {
		vmx_field_error("VMREAD", field);
		return 0;
	}
	return value;
}

static __always_inline void vmcs_write(unsigned long field,
				       unsigned long value)
{
	bool fail;

	asm volatile("vmwrite %[value], %[field]\n\t" CC_SET(na)
		     : CC_OUT(na) (fail)
		     : [field] "r" (field), [value] "rm" (value));
	if (unlikely(fail))
		vmx_field_error("VMWRITE", field);
}

/*
 * VMXON's faults (#UD, #GP: 30.3) are what vmx_hardware_enable() checked
 * before; VMfailInvalid remains, for a bad VMXON region.
 */
static int vmx_vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %[pa]\n\t" CC_SET(na)
		     : CC_OUT(na) (fail) : [pa] "m" (pa) : "memory");
	return fail ? -EIO : 0;
}

static void vmx_vmxoff(void)
{
	asm volatile("vmxoff" : : : "cc", "memory");
}

static void vmx_vmclear(u64 pa)
{
	asm volatile("vmclear %[pa]" : : [pa] "m" (pa) : "cc", "memory");
}

static void vmx_vmptrld(u64 pa)
{
	asm volatile("vmptrld %[pa]" : : [pa] "m" (pa) : "cc", "memory");
}

static void vmx_invept(u32 type, u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} desc = { eptp, 0 };

	asm volatile("invept %[desc], %q[type]"
		     : : [desc] "m" (desc), [type] "r" ((unsigned long)type)
		     : "cc", "memory");
}

/* Per-CPU state and module setup. */

static void vmx_free_percpu(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmx_vmxon_region, cpu))
			__free_page(per_cpu(vmx_vmxon_region, cpu));
		per_cpu(vmx_vmxon_region, cpu) = NULL;
	}
}

/*
 * MSRs the guest may read and write without an exit: those the VMCS
 * switches (24.4.1: FS/GS bases, SYSENTER), and KERNEL_GS_BASE, which
 * vmx_vcpu_run() switches itself because SWAPGS changes it without an exit.
 * STAR, LSTAR, CSTAR and SFMASK exit instead: vmx_vcpu_run() must load them
 * anyway (no VM exit restores them, 27.5.1), and intercepting writes spares
 * reading them back after each exit.
 */
static const u32 vmx_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/*
 * The MSR bitmap (24.6.9): read bitmaps for MSRs 0-1FFFH and
 * C0000000H-C0001FFFH in the first 2 KiB, write bitmaps in the second.
 * The bit of a read of @msr, one of those; its write's is VMX_MSR_WRITE on.
 */
#define VMX_MSR_WRITE		(2048 * 8)

static u32 vmx_msr_bit(u32 msr)
{
	return (msr & 0x1fff) + (msr >= 0xc0000000 ? 1024 * 8 : 0);
}

static void vmx_msr_allow(u32 msr)
{
	unsigned long *bitmap = vmx_msr_bitmap;

	__clear_bit(vmx_msr_bit(msr), bitmap);
	__clear_bit(vmx_msr_bit(msr) + VMX_MSR_WRITE, bitmap);
}

static int vmx_setup(void)
{
	int cpu, i;
	u64 msr;

	for_each_possible_cpu(cpu) {
		struct page *page;

		INIT_LIST_HEAD(&per_cpu(vmx_loaded, cpu));
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto err;
		/* The VMXON region starts with the VMCS revision (23.7). */
		*(u32 *)page_address(page) = vmx_cfg.revision;
		per_cpu(vmx_vmxon_region, cpu) = page;
	}
	vmx_io_bitmaps = (void *)__get_free_pages(GFP_KERNEL, 1);
	vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	if (!vmx_io_bitmaps || !vmx_msr_bitmap)
		goto err;
	memset(vmx_io_bitmaps, 0xff, 2 * PAGE_SIZE);
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(vmx_passthrough_msrs); i++)
		vmx_msr_allow(vmx_passthrough_msrs[i]);

	rdmsrl(MSR_EFER, vmx_host_efer);
	vmx_host_debugctl = !rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &msr);
	vmx_host_pkru = boot_cpu_has(X86_FEATURE_OSPKE);
	vmx_host_xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ?
			xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	return 0;
err:
	vmx_free_percpu();
	free_pages((unsigned long)vmx_io_bitmaps, 1);
	free_page((unsigned long)vmx_msr_bitmap);
	return -ENOMEM;
}

static void vmx_unsetup(void)
{
	vmx_free_percpu();
	free_pages((unsigned long)vmx_io_bitmaps, 1);
	free_page((unsigned long)vmx_msr_bitmap);
}

/* VMCS loading: at most one CPU holds a VMCS active (24.11.1). */

/* On the CPU where vmx's VMCS is active, with IRQs off. */
static void vmx_clear_local(struct vmx_vcpu *vmx)
{
	lockdep_assert_irqs_disabled();
	vmx_vmclear(vmx->vmcs_pa);
	if (__this_cpu_read(vmx_current) == vmx)
		__this_cpu_write(vmx_current, NULL);
	list_del(&vmx->loaded);
	vmx->launched = false;		/* VMCLEAR made the launch state clear */
	/* The VMCS data is in memory before another CPU may load it. */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_clear_ipi(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	/* hardware_disable() may have cleared it meanwhile. */
	if (READ_ONCE(vmx->cpu) == smp_processor_id())
		vmx_clear_local(vmx);
}

/* With IRQs on: wherever vmx's VMCS is active, it is clear afterwards. */
static void vmx_clear(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_ipi, vmx, 1);
}

/*
 * The host state that differs between CPUs (24.5): the TSS, the GDT, the
 * per-CPU GS base and the entry stack SYSENTER uses.
 */
static void vmx_set_host_percpu(int cpu)
{
	u64 sysenter_esp;

	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_cpu_gdt_ro(cpu));
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_write(HOST_IA32_SYSENTER_ESP, sysenter_esp);
}

/*
 * Load vmx's VMCS on this CPU and make it current, with preemption and IRQs
 * off until vmx_vmcs_leave(); false (and nothing to undo) if VMX is off on
 * this CPU: only a reboot does that while VMs exist.
 */
static bool vmx_vmcs_enter(struct vmx_vcpu *vmx, unsigned long *flags)
{
	int cpu;

	preempt_disable();
	cpu = smp_processor_id();
	if (READ_ONCE(vmx->cpu) != cpu)
		vmx_clear(vmx);
	local_irq_save(*flags);
	if (unlikely(!__this_cpu_read(vmx_on))) {
		local_irq_restore(*flags);
		preempt_enable();
		return false;
	}
	if (vmx->cpu != cpu) {
		/* Pairs with the barrier in vmx_clear_local(). */
		smp_rmb();
		vmx_vmptrld(vmx->vmcs_pa);
		list_add(&vmx->loaded, this_cpu_ptr(&vmx_loaded));
		WRITE_ONCE(vmx->cpu, cpu);
		__this_cpu_write(vmx_current, vmx);
		vmx_set_host_percpu(cpu);
		/*
		 * This CPU may cache translations of the EPT from an earlier
		 * visit, or of a freed VM whose EPT root had the same address
		 * (28.3.1): drop them before entering.
		 */
		vmx->flush = true;
	} else if (__this_cpu_read(vmx_current) != vmx) {
		vmx_vmptrld(vmx->vmcs_pa);
		__this_cpu_write(vmx_current, vmx);
	}
	return true;
}

static void vmx_vmcs_leave(unsigned long flags)
{
	local_irq_restore(flags);
	preempt_enable();
}

static unsigned long vmx_read(struct vmx_vcpu *vmx, unsigned long field)
{
	unsigned long flags, value;

	if (!vmx_vmcs_enter(vmx, &flags))
		return 0;
	value = vmcs_read(field);
	vmx_vmcs_leave(flags);
	return value;
}

static void vmx_write(struct vmx_vcpu *vmx, unsigned long field,
		      unsigned long value)
{
	unsigned long flags;

	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	vmcs_write(field, value);
	vmx_vmcs_leave(flags);
}

/* Turning VMX on and off on this CPU, with IRQs off. */

static int vmx_hardware_enable(void)
{
	int cpu = smp_processor_id();
	struct vmx_syscall_msrs *host = this_cpu_ptr(&vmx_host_syscall);
	u64 feat_ctl, fixed0, fixed1;
	unsigned long cr0;

	lockdep_assert_irqs_disabled();
	/*
	 * CR4.VMXE already set means another hypervisor (KVM) owns VMX on this
	 * CPU: leave it alone.  KVM makes the same check.
	 */
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_warn_ratelimited("VMX is in use by another hypervisor on CPU %d\n",
				    cpu);
		return -EBUSY;
	}

	/* 23.7: VMXON needs IA32_FEATURE_CONTROL locked with VMX enabled. */
	rdmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	if (!(feat_ctl & FEAT_CTL_LOCKED)) {
		feat_ctl |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		wrmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	} else if (!(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_warn_ratelimited("VMX is disabled by the firmware on CPU %d\n",
				    cpu);
		return -EIO;
	}

	/* 23.8: CR0 and CR4 must hold the fixed bits in VMX operation. */
	cr0 = read_cr0();
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, fixed1);
	if ((cr0 & fixed0) != fixed0 || (cr0 & ~fixed1)) {
		pr_warn_ratelimited("CR0 %#lx is not allowed in VMX operation\n", cr0);
		return -EIO;
	}
	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, fixed1);
	if ((cr4_read_shadow() & fixed0) != fixed0 ||
	    (cr4_read_shadow() & ~fixed1)) {
		pr_warn_ratelimited("CR4 %#lx is not allowed in VMX operation\n",
				    cr4_read_shadow());
		goto err;
	}

	if (vmx_vmxon(page_to_phys(__this_cpu_read(vmx_vmxon_region)))) {
		pr_warn_ratelimited("VMXON failed on CPU %d\n", cpu);
		goto err;
	}
	__this_cpu_write(vmx_on, true);
	__this_cpu_write(vmx_current, NULL);

	/* Forget the EPT translations of an earlier user of VMX (28.3.3.1). */
	if (vmx_cfg.invept_global)
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);

	rdmsrl(MSR_STAR, host->star);
	rdmsrl(MSR_LSTAR, host->lstar);
	rdmsrl(MSR_CSTAR, host->cstar);
	rdmsrl(MSR_SYSCALL_MASK, host->sfmask);
	return 0;
err:
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	return -EIO;
}

/* 24.11.1: every VMCS active on this CPU is cleared before VMXOFF. */
static void vmx_hardware_disable(void)
{
	struct vmx_vcpu *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, this_cpu_ptr(&vmx_loaded), loaded)
		vmx_clear_local(vmx);
	__this_cpu_write(vmx_on, false);
	vmx_vmxoff();
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
}

/* Guest state: segments, control registers, EFER. */

/*
 * struct rs_segment packs the attributes as the VMCB does; the VMCS access
 * rights (24.4.1, table 24-2) have AVL, L, D/B and G four bits higher, and
 * an "unusable" bit where the VMCB has P clear.
 */
static u32 vmx_attr_to_ar(u16 attr)
{
	u32 ar = (attr & 0xff) | ((attr & 0xf00) << 4);

	if (!(attr & RS_SEG_P))
		return ar | VMX_AR_UNUSABLE_MASK;
	/* 26.3.1.2: a usable code or data segment is marked accessed. */
	if (attr & RS_SEG_S)
		ar |= VMX_AR_TYPE_ACCESSES_MASK;
	return ar;
}

static u16 vmx_ar_to_attr(u32 ar)
{
	u16 attr = (ar & 0xff) | ((ar >> 4) & 0xf00);

	if (ar & VMX_AR_UNUSABLE_MASK)
		attr &= ~RS_SEG_P;
	return attr;
}

static void vmx_write_seg(int seg, const struct rs_segment *s)
{
	vmcs_write(GUEST_ES_SELECTOR + 2 * seg, s->selector);
	vmcs_write(GUEST_ES_LIMIT + 2 * seg, s->limit);
	vmcs_write(GUEST_ES_BASE + 2 * seg, s->base);
	vmcs_write(GUEST_ES_AR_BYTES + 2 * seg, vmx_attr_to_ar(s->attr));
}

static void vmx_read_seg(int seg, struct rs_segment *s)
{
	s->selector = vmcs_read(GUEST_ES_SELECTOR + 2 * seg);
	s->limit = vmcs_read(GUEST_ES_LIMIT + 2 * seg);
	s->base = vmcs_read(GUEST_ES_BASE + 2 * seg);
	s->attr = vmx_ar_to_attr(vmcs_read(GUEST_ES_AR_BYTES + 2 * seg));
}

/* The CR0 and CR4 the guest sees: its own bits where the mask says so. */
static u64 vmx_get_cr0(void)
{
	return (vmcs_read(GUEST_CR0) & ~vmx_cfg.cr0_mask) |
	       (vmcs_read(CR0_READ_SHADOW) & vmx_cfg.cr0_mask);
}

static u64 vmx_get_cr4(void)
{
	return (vmcs_read(GUEST_CR4) & ~vmx_cfg.cr4_mask) |
	       (vmcs_read(CR4_READ_SHADOW) & vmx_cfg.cr4_mask);
}

static void vmx_set_cr0(u64 cr0)
{
	vmcs_write(CR0_READ_SHADOW, cr0);
	vmcs_write(GUEST_CR0, (cr0 & ~VMX_CR0_SHADOWED) |
		   (vmx_cfg.cr0_fixed0 & ~VMX_CR0_UNRESTRICTED));
}

static void vmx_set_cr4(u64 cr4)
{
	vmcs_write(CR4_READ_SHADOW, cr4);
	vmcs_write(GUEST_CR4, cr4 | vmx_cfg.cr4_fixed0);
}

/*
 * EFER and the "IA-32e mode guest" entry control, which must agree with
 * its LMA (26.3.1.1 "Checks on Guest Control Registers, Debug Registers,
 * and MSRs").
 */
static void vmx_set_efer(struct vmx_vcpu *vmx, u64 efer)
{
	u32 entry = vmcs_read(VM_ENTRY_CONTROLS) & ~VM_ENTRY_IA32E_MODE;

	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(GUEST_IA32_EFER, efer);
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	vmx->sce = efer & EFER_SCE;
}

/*
 * PAE paging without long mode: VM entry loads the PDPTEs from the VMCS
 * (26.3.2.4 "Loading Page-Directory-Pointer-Table Entries").
 */
static void vmx_write_pdptes(const u64 *pdpte)
{
	int i;

	for (i = 0; i < RS_NR_PDPTES; i++)
		vmcs_write(GUEST_PDPTR0 + 2 * i, pdpte[i]);
}

/* The VMCS of a new vCPU: controls, host state, the RESET state. */

static void vmx_load_sregs(struct vmx_vcpu *vmx, const struct rs_sregs *sr,
			   const u64 *pdptes);

static void vmx_init_vmcs(struct vmx_vcpu *vmx, u32 exec2)
{
	static const u64 no_pdptes[RS_NR_PDPTES];
	struct rs_sregs reset;
	struct desc_ptr idt;
	u64 msr;

	/* Controls (24.6-24.8) */
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx->exec);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, exec2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_cfg.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_cfg.entry);
	vmcs_write(EXCEPTION_BITMAP, VMX_EXC_ALWAYS);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(IO_BITMAP_A, __pa(vmx_io_bitmaps));
	vmcs_write(IO_BITMAP_B, __pa(vmx_io_bitmaps) + PAGE_SIZE);
	vmcs_write(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write(TSC_OFFSET, vmx->tsc_offset);
	vmcs_write(EPT_POINTER, vmx->eptp);
	/* Each entry starts the timer from this value again (25.5.1). */
	if (vmx_cfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_cfg.preemption_timer);
	if (exec2 & SECONDARY_EXEC_ENABLE_VPID)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(CR0_GUEST_HOST_MASK, vmx_cfg.cr0_mask);
	vmcs_write(CR4_GUEST_HOST_MASK, vmx_cfg.cr4_mask);

	/*
	 * Host state that is the same on every CPU and for every entry (24.5);
	 * vmx_set_host_percpu() and vmx_vcpu_run() write the rest.  The data
	 * segment, FS and GS selectors are null: the host's are restored after
	 * the exit, since the VMCS cannot hold user selectors (26.2.3).
	 */
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_RIP, (unsigned long)vmx_vmexit);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_EFER, vmx_host_efer);
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmcs_write(HOST_IA32_PAT, msr);

	/* The state after RESET (cr.c). */
	rs_reset_sregs(&reset);
	vmx_load_sregs(vmx, &reset, no_pdptes);
	vmcs_write(GUEST_IA32_PAT, RS_RESET_PAT);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_DR7, RS_RESET_DR7);
	vmcs_write(GUEST_RFLAGS, RS_RESET_RFLAGS);
	vmcs_write(GUEST_RIP, RS_RESET_RIP);
	vmcs_write(GUEST_RSP, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* 26.3.1.5 "Checks on Guest Non-Register State": no shadow VMCS. */
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
}

static int vmx_vcpu_create(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 exec2 = vmx_cfg.exec2;
	unsigned long flags;
	struct page *page;
	bool on;
	int vpid;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	/* Without a VPID, every entry and exit flushes the TLB (28.1). */
	if (exec2 & SECONDARY_EXEC_ENABLE_VPID) {
		vpid = ida_alloc_range(&vmx_vpids, 1, 0xffff, GFP_KERNEL);
		if (vpid < 0)
			exec2 &= ~SECONDARY_EXEC_ENABLE_VPID;
		else
			vmx->vpid = vpid;
	}
	vmx->vcpu = vcpu;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded);
	vmx->exec = vmx_cfg.exec;
	vmx->eptp = __pa(vcpu->vm->npt_root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	vmx->dr6 = RS_RESET_DR6;
	vmx->dr7 = RS_RESET_DR7;
	vmx->tsc_offset = -vcpu->vm->tsc_base;

	/*
	 * 24.2 "Format of the VMCS Region", 24.11.3 "Initializing a VMCS": the
	 * revision, then VMCLEAR before the first VMPTRLD; neither once a
	 * reboot turned VMX off.
	 */
	*(u32 *)vmx->vmcs = vmx_cfg.revision;
	local_irq_save(flags);
	on = __this_cpu_read(vmx_on);
	if (on)
		vmx_vmclear(vmx->vmcs_pa);
	local_irq_restore(flags);

	if (!on || !vmx_vmcs_enter(vmx, &flags)) {
		if (vmx->vpid)
			ida_free(&vmx_vpids, vmx->vpid);
		free_page((unsigned long)vmx->vmcs);
		return -EIO;
	}
	vmx_init_vmcs(vmx, exec2);
	vmx_vmcs_leave(flags);
	return 0;
}

static void vmx_vcpu_free(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_clear(vmx);
	if (vmx->vpid)
		ida_free(&vmx_vpids, vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	free_page((unsigned long)vmx->msr_bitmap);
}

/* Events and the interrupt window. */

static void vmx_set_exec(struct vmx_vcpu *vmx, u32 exec)
{
	if (exec != vmx->exec) {
		vmx->exec = exec;
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, exec);
	}
}

/* Clear processor-based controls, in a VMCS bracket of its own. */
static int vmx_clear_exec(struct vmx_vcpu *vmx, u32 exec)
{
	unsigned long flags;

	if (!vmx_vmcs_enter(vmx, &flags))
		return -EIO;
	vmx_set_exec(vmx, vmx->exec & ~exec);
	vmx_vmcs_leave(flags);
	return 0;
}

/*
 * A single step pending in the guest's pending debug exceptions (BS, 24.4.2),
 * which the next entry delivers: set or clear it.  The VMCS is current.
 */
static void vmx_pending_step(bool step)
{
	u64 dbg = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS);

	if (!!(dbg & DR_STEP) != step)
		vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, dbg ^ DR_STEP);
}

/* IF set, no STI or MOV SS shadow, no other event on its way in. */
static bool __vmx_irq_allowed(struct vmx_vcpu *vmx)
{
	return (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & VMX_INTR_SHADOW) &&
	       !(vmx->event_info & INTR_INFO_VALID_MASK);
}

static bool vmx_interrupt_allowed(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	bool allowed;

	if (!vmx_vmcs_enter(vmx, &flags))
		return false;
	allowed = __vmx_irq_allowed(vmx);
	vmx_vmcs_leave(flags);
	return allowed;
}

/* Blocking by NMI (24.4.2), or an NMI in the injection field. */
static bool vmx_nmi_blocked(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	bool blocked;

	if ((vmx->event_info & INTR_INFO_VALID_MASK) &&
	    (vmx->event_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return true;
	if (!vmx_vmcs_enter(vmx, &flags))
		return false;
	blocked = vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI;
	vmx_vmcs_leave(flags);
	return blocked;
}

/*
 * Virtual NMIs (24.6.1, 25.3): an injected NMI blocks NMIs from its
 * delivery to the guest's next IRET, as on hardware, and NMI-window
 * exiting (25.2) exits as soon as nothing blocks one: no NMI handler
 * running, no STI or MOV SS shadow (KVM also counts STI: 26.3.1.5 lets a
 * CPU refuse an NMI there), no other event being injected.
 */
static void vmx_inject_nmi(struct vmx_vcpu *vmx)
{
	struct rs_vcpu *vcpu = vmx->vcpu;

	if (likely(!vcpu->nmi_pending))
		return;
	if ((vmx->event_info & INTR_INFO_VALID_MASK) ||
	    (vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
	     (GUEST_INTR_STATE_NMI | VMX_INTR_SHADOW))) {
		vmx_set_exec(vmx, vmx->exec | CPU_BASED_NMI_WINDOW_EXITING);
		return;
	}
	vmx->event_info = X86_TRAP_NMI | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK;
	vcpu->nmi_pending = false;
	trace_ringside_inject(vcpu, RS_EVENT_NMI, X86_TRAP_NMI, false, 0, false);
}

/*
 * Interrupt-window exiting makes the CPU exit as soon as the guest could
 * take an interrupt (24.6.2, 25.2).
 */
static void vmx_inject_extint(struct vmx_vcpu *vmx)
{
	struct rs_vcpu *vcpu = vmx->vcpu;

	if (!vcpu->extint_pending)
		return;
	if (!__vmx_irq_allowed(vmx)) {
		vmx_set_exec(vmx, vmx->exec | CPU_BASED_INTR_WINDOW_EXITING);
		return;
	}
	vmx->event_info = vcpu->extint_vector | INTR_TYPE_EXT_INTR |
			INTR_INFO_VALID_MASK;
	vcpu->extint_pending = false;
	trace_ringside_inject(vcpu, RS_EVENT_EXTINT, vcpu->extint_vector,
			      false, 0, false);
}

/*
 * As svm_cancel_injection(): the entry was called off, or failed.  A
 * VMLAUNCH/VMRESUME that failed left its injection in the VMCS (only VM
 * exits clear its valid bit, 27.2): clear it too.
 */
static void vmx_cancel_injection(struct vmx_vcpu *vmx)
{
	u32 info = vmx->event_info;
	u32 type = (info & INTR_INFO_INTR_TYPE_MASK) >> RS_EVENT_INFO_TYPE_SHIFT;

	if (!(info & INTR_INFO_VALID_MASK))
		return;
	/* The interruption types of interrupts and NMIs are RS_EVENT_*. */
	if (!rs_unqueue_event(vmx->vcpu, type, info & INTR_INFO_VECTOR_MASK))
		return;
	vmx->event_info = 0;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
}

/*
 * Program the event injection of the next entry (24.8.3, 26.6).  VM entry
 * fails unless it delivers an error code exactly outside real mode with
 * the exceptions in vmx_cfg.error_codes (26.2.1.3): #CP without CET's
 * entry control, #VC and #SX, which user space may inject with one (AMD
 * CPUs push it), go without it, and an exception whose delivery began in
 * real mode gets one if user space has since left it.  It also fails on
 * an error code with bits 31:16 set, which AMD CPUs push and user space
 * may give: as KVM does, the guest gets the low 16 bits, all that Intel
 * CPUs deliver.
 */
static void vmx_write_event(struct vmx_vcpu *vmx)
{
	u32 info = vmx->event_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION &&
	    vector < 32 && (vmx_cfg.error_codes & BIT(vector)) &&
	    (vmcs_read(GUEST_CR0) & X86_CR0_PE)) {
		/* 0 for one whose delivery began in real mode: it had none. */
		if (!(info & INTR_INFO_DELIVER_CODE_MASK))
			vmx->event_err = 0;
		info |= INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, (u16)vmx->event_err);
	} else {
		info &= ~INTR_INFO_DELIVER_CODE_MASK;
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* The interruption information has the core's format (RS_EVENT_INFO_*). */
static int vmx_queue_event(struct rs_vcpu *vcpu, u32 info, u32 error)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (vmx->event_info & INTR_INFO_VALID_MASK)
		return -EBUSY;
	vmx->event_info = info;
	vmx->event_err = error;
	return 0;
}

/*
 * An event whose delivery the exit interrupted (an interrupt or exception
 * that hit an EPT violation) is delivered again (27.2.4, 31.7.1.1).
 * Software interrupts and exceptions are not: RIP still points at their
 * instruction, which runs again.
 */
static void vmx_reinject(struct rs_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 info = vmx->idt_info;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID_MASK) || type == INTR_TYPE_SOFT_INTR ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION)
		return;
	/*
	 * An interrupt goes back to pending, which is free (this entry took
	 * it from there), and comes in again once the guest can take one:
	 * user space may clear RFLAGS.IF before the next entry, which would
	 * fail with an interrupt to inject (26.3.1.4), and may queue another
	 * only after this one.
	 */
	if (type == INTR_TYPE_EXT_INTR &&
	    rs_unqueue_event(vcpu, RS_EVENT_EXTINT, info & INTR_INFO_VECTOR_MASK))
		return;
	vmx->event_info = info & (INTR_INFO_VECTOR_MASK | INTR_INFO_INTR_TYPE_MASK |
				INTR_INFO_DELIVER_CODE_MASK | INTR_INFO_VALID_MASK);
	vmx->event_err = vmx->idt_err;
	/* The interruption types of interrupts, NMIs and exceptions are RS_EVENT_*. */
	trace_ringside_inject(vcpu, type >> 8, info & INTR_INFO_VECTOR_MASK,
			      info & INTR_INFO_DELIVER_CODE_MASK, vmx->idt_err, true);
}

/* Entering the guest. */

/*
 * DR0-3 and DR6 are not switched by VM entry or exit; DR7 is, through the
 * debug controls (26.3.2.1, 27.3.1, 27.5.1).
 */
static void vmx_load_guest_drs(struct rs_vcpu *vcpu)
{
	rs_load_guest_dr0_3(vcpu);
	set_debugreg(to_vmx(vcpu)->dr6, 6);
}

static void vmx_save_guest_drs(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	rs_save_guest_dr0_3(vcpu);
	get_debugreg(vmx->dr6, 6);
	set_debugreg(DR6_RESERVED, 6);
	vmx->dr7 = vmcs_read(GUEST_DR7);
	/* The next access exits again, so that idle DRs cost nothing. */
	vmx_set_exec(vmx, vmx->exec | CPU_BASED_MOV_DR_EXITING);
	vmx->dr_owned = false;
}

/* What vmx_vcpu_run() puts back after the exit. */
struct vmx_host_state {
	unsigned long fs_base;
	u64 kernel_gs_base;
	unsigned long debugctl;
	u32 pkru;
	u16 fs_sel, gs_sel, ds_sel, es_sel, ldt_sel;
	bool drs, syscall;
};

static u16 vmx_sldt(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=g" (sel));
	return sel;
}

static void vmx_lldt(u16 sel)
{
	asm volatile("lldt %0" : : "rm" (sel));
}

static void vmx_switch_to_guest(struct vmx_vcpu *vmx, struct vmx_host_state *h)
{
	struct rs_vcpu *vcpu = vmx->vcpu;
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	/* 24.5: CR3 (the PCID), CR4 and FS base can change between entries. */
	if (unlikely(cr3 != vmx->host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	h->fs_base = x86_fsbase_read_cpu();
	if (unlikely(h->fs_base != vmx->host_fs_base)) {
		vmcs_write(HOST_FS_BASE, h->fs_base);
		vmx->host_fs_base = h->fs_base;
	}
	savesegment(fs, h->fs_sel);
	savesegment(gs, h->gs_sel);
	savesegment(ds, h->ds_sel);
	savesegment(es, h->es_sel);
	h->ldt_sel = vmx_sldt();

	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	/* Only SYSCALL and SYSRET use these, and only with EFER.SCE set. */
	h->syscall = vmx->sce;
	if (h->syscall) {
		wrmsrl(MSR_STAR, vmx->star);
		wrmsrl(MSR_LSTAR, vmx->lstar);
		wrmsrl(MSR_CSTAR, vmx->cstar);
		wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	}

	/* VM exits clear IA32_DEBUGCTL (27.5.1). */
	h->debugctl = vmx_host_debugctl ? get_debugctlmsr() : 0;
	h->drs = vmx->dr_owned || (vmx->dr7 & 0xff);
	if (h->drs)
		vmx_load_guest_drs(vcpu);
	/* CR2 is not switched either: the guest's page faults set it. */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	if (vcpu->xcr0 != vmx_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	/* WRPKRU does not exit: a guest that sets CR4.PKE owns PKRU. */
	if (vmx_host_pkru) {
		h->pkru = rdpkru();
		if (vcpu->pkru != h->pkru)
			wrpkru(vcpu->pkru);
	}
}

/*
 * A VM exit loaded the host state of the VMCS (27.5): null LDTR and data
 * segments, GDTR and IDTR limits of FFFFH, a TR limit of 67H, DR7 400H.
 * Put back what Linux expects before IRQs or preemption can see it.
 */
static void vmx_switch_to_host(struct vmx_vcpu *vmx, struct vmx_host_state *h)
{
	struct rs_vcpu *vcpu = vmx->vcpu;

	vmx->cr2 = native_read_cr2();
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (h->ldt_sel)
		vmx_lldt(h->ldt_sel);
	if (h->gs_sel)
		load_gs_index(h->gs_sel);
	if (h->fs_sel) {
		loadsegment(fs, h->fs_sel);
		x86_fsbase_write_cpu(h->fs_base);
	}
	if (h->ds_sel)
		loadsegment(ds, h->ds_sel);
	if (h->es_sel)
		loadsegment(es, h->es_sel);
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (h->syscall) {
		struct vmx_syscall_msrs *host = this_cpu_ptr(&vmx_host_syscall);

		wrmsrl(MSR_STAR, host->star);
		wrmsrl(MSR_LSTAR, host->lstar);
		wrmsrl(MSR_CSTAR, host->cstar);
		wrmsrl(MSR_SYSCALL_MASK, host->sfmask);
	}
	load_fixmap_gdt(smp_processor_id());
	invalidate_tss_limit();
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);

	if (vcpu->xcr0 != vmx_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vmx_host_xcr0);
	if (vmx_host_pkru) {
		vcpu->pkru = rdpkru();
		if (vcpu->pkru != h->pkru)
			wrpkru(h->pkru);
	}
	if (h->drs)
		vmx_save_guest_drs(vcpu);
}

/*
 * The exit's information (27.2 "Recording VM-Exit Information and Updating
 * VM-Entry Control Fields"), while the VMCS is current anyway.
 */
static void vmx_read_exit(struct vmx_vcpu *vmx)
{
	vmx->exit_reason = vmcs_read(VM_EXIT_REASON);
	vmx->exit_qual = vmcs_read(EXIT_QUALIFICATION);
	vmx->idt_info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	if (vmx->idt_info & VECTORING_INFO_DELIVER_CODE_MASK)
		vmx->idt_err = vmcs_read(IDT_VECTORING_ERROR_CODE);
	vmx->exit_intr_info = 0;
	if ((u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI)
		vmx->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
}

static struct rs_exit_table vmx_exit_table;

/*
 * Statistics, tracepoint and netlink event of this exit (stats.h), while
 * the VMCS is still current: RIP and the guest-physical address are read
 * only when someone looks at them.
 */
static void vmx_observe(struct rs_vcpu *vcpu, bool failed)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u16 reason = vmx->exit_reason;
	u64 code = failed ? vmx->vm_error : vmx->exit_reason, rip = 0, gpa = 0;
	u16 stat;

	if (failed || (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		stat = RS_STAT_INVALID;
	else
		stat = rs_exit_row(&vmx_exit_table, reason)->stat;
	if (rs_exit_wants_details(vcpu)) {
		rip = vmcs_read(GUEST_RIP);
		if (!failed && (reason == EXIT_REASON_EPT_VIOLATION ||
				reason == EXIT_REASON_EPT_MISCONFIG))
			gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	}
	rs_exit_observe(vcpu, stat, code, rip, failed ? 0 : vmx->exit_qual, gpa);
}

static int vmx_handle_exit(struct rs_vcpu *vcpu, bool failed);

/*
 * A debugger's single step on a CPU without the monitor trap flag, in the
 * VMCS bracket before the entry, as KVM steps on VMX: the guest runs with
 * RFLAGS.TF, and the #DB trap after one instruction exits.  An event that
 * the entry delivers clears TF for its handler: then an IPI to this CPU,
 * pending at the entry, exits the guest right after the delivery
 * (vmx_exit_intr()).  Every exception exits meanwhile
 * (vmx_ops.step_with_tf), to come in as such an event.  VM entry wants
 * BS pending where TF is set in an STI or MOV SS shadow (26.3.1.5), which
 * would be taken for the step before the instruction: the shadow goes
 * instead, as KVM does; with BLOCK_IRQ nothing can come in there anyway.
 * The guest sees the TF in what it pushes: PUSHF, SYSCALL's R11 and INT n
 * (documented), which only the monitor trap flag would hide.
 */
static void vmx_step_arm(struct vmx_vcpu *vmx)
{
	u64 rflags;
	u32 intr;

	if (vmx->event_info & INTR_INFO_VALID_MASK) {
		vmx->step = VMX_STEP_EVENT;
		smp_send_reschedule(smp_processor_id());
		return;
	}
	vmx->step = VMX_STEP_TF;
	rflags = vmcs_read(GUEST_RFLAGS);
	vmx->step_tf = rflags & X86_EFLAGS_TF;
	if (vmx->step_tf)
		return;
	vmcs_write(GUEST_RFLAGS, rflags | X86_EFLAGS_TF);
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & VMX_INTR_SHADOW)
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr & ~VMX_INTR_SHADOW);
}

/*
 * After the exit: the debugger's TF goes, and with it a single step the
 * CPU saved as pending (an instruction that exited before it ran).
 */
static void vmx_step_disarm(struct vmx_vcpu *vmx)
{
	if (vmx->step_tf)
		return;
	vmcs_write(GUEST_RFLAGS, vmcs_read(GUEST_RFLAGS) & ~X86_EFLAGS_TF);
	vmx_pending_step(false);
}

static int vmx_vcpu_run(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct rs_run *run = vcpu->run;
	struct vmx_host_state host;
	unsigned long flags;
	bool failed;

	if (!vmx_vmcs_enter(vmx, &flags))
		return -EIO;
	if (run->request_interrupt_window && !vcpu->extint_pending &&
	    __vmx_irq_allowed(vmx)) {
		vmx_vmcs_leave(flags);
		return rs_exit_irq_window(vcpu);
	}
	if (!rs_debug_blocks_irqs(vcpu)) {
		vmx_inject_nmi(vmx);
		/* CR8 and TPR writes exit: only IF can hold an interrupt back. */
		if (vcpu->lapic && !vcpu->extint_pending &&
		    rs_lapic_inject(vcpu, __vmx_irq_allowed(vmx)) == RS_LAPIC_WINDOW)
			vmx_set_exec(vmx, vmx->exec | CPU_BASED_INTR_WINDOW_EXITING);
		vmx_inject_extint(vmx);
	}
	if (run->request_interrupt_window)
		vmx_set_exec(vmx, vmx->exec | CPU_BASED_INTR_WINDOW_EXITING);

	if (!rs_vcpu_enter_prepare(vcpu)) {
		vmx_cancel_injection(vmx);
		vmx_vmcs_leave(flags);
		return 0;
	}
	/*
	 * INVEPT single-context drops the guest-physical and combined mappings
	 * of this EPT for every VPID (28.3.3.1), which is what a TLB flush
	 * request and a new CPU need.
	 */
	if (test_and_clear_bit(RS_REQ_TLB_FLUSH, &vcpu->requests) || vmx->flush) {
		vmx_invept(vmx_cfg.invept_type, vmx->eptp);
		vmx->flush = false;
	}
	if (vmx->event_info)
		vmx_write_event(vmx);
	if (unlikely(vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP) &&
	    !vmx_cfg.mtf)
		vmx_step_arm(vmx);
	if (vcpu->gpr[RS_RSP] != vmx->rsp) {
		vmx->rsp = vcpu->gpr[RS_RSP];
		vmcs_write(GUEST_RSP, vmx->rsp);
	}

	vmx_switch_to_guest(vmx, &host);
	if (trace_ringside_entry_enabled())
		trace_ringside_entry(vcpu, vmcs_read(GUEST_RIP));
	if (static_branch_unlikely(&rs_l1d_flush_key))
		rs_l1d_flush(vcpu);
	vcpu->entry_tsc = rs_stats_tsc();	/* guest time (stats.h) */
	failed = vmx_vcpu_enter(vcpu->gpr, vmx->launched, &vcpu->spec_ctrl);
	vcpu->exit_tsc = rs_stats_tsc();
	vmx_switch_to_host(vmx, &host);

	if (unlikely(failed)) {
		vmx->vm_error = vmcs_read(VM_INSTRUCTION_ERROR);
		vmx_cancel_injection(vmx);
	} else {
		vmx_read_exit(vmx);
		/*
		 * A VM entry that failed loading guest state delivered nothing
		 * (26.7): an interrupt or NMI goes back to pending, to be
		 * decided against the state user space sets next, or the stale
		 * injection would fail every entry from then on.
		 */
		if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
			vmx_cancel_injection(vmx);
		} else {
			vmx->launched = true;
			vmx->event_info = 0;
			vmx->rsp = vmcs_read(GUEST_RSP);
			vcpu->gpr[RS_RSP] = vmx->rsp;
		}
		/*
		 * An NMI or a machine check in the guest, or a machine check
		 * during VM entry (26.8 "Machine-Check Events During VM
		 * Entry"), is the host's.  NMIs stay blocked until the host's
		 * NMI handler IRETs.
		 */
		if (unlikely(vmx->exit_intr_info)) {
			if ((vmx->exit_intr_info & INTR_INFO_INTR_TYPE_MASK) ==
			    INTR_TYPE_NMI_INTR)
				vmx_do_nmi();
			else if (vmx_is_machine_check(vmx->exit_intr_info))
				rs_machine_check();
		} else if (unlikely((u16)vmx->exit_reason ==
				    EXIT_REASON_MCE_DURING_VMENTRY)) {
			rs_machine_check();
		}
	}
	if (unlikely(vmx->step == VMX_STEP_TF))
		vmx_step_disarm(vmx);
	vmx_observe(vcpu, failed);
	rs_vcpu_exit_done(vcpu);
	/* A host interrupt that exited the guest is taken here (24.7.1). */
	vmx_vmcs_leave(flags);

	return vmx_handle_exit(vcpu, failed);
}

static bool vmx_skip(struct rs_vcpu *vcpu, unsigned int len)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	u32 intr, exit_len;
	bool tf;

	if (!vmx_vmcs_enter(vmx, &flags))
		return false;
	/* 27.2.5: the length of the instruction that exited. */
	exit_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	if (exit_len && exit_len <= 15)
		len = exit_len;
	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + len);
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & VMX_INTR_SHADOW)
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr & ~VMX_INTR_SHADOW);
	/* The core raises the step: none of the CPU's may follow it. */
	tf = vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_TF;
	if (unlikely(tf))
		vmx_pending_step(false);
	vmx_vmcs_leave(flags);
	return tf;
}

static void vmx_set_dr6_step(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->dr6 = (vmx->dr6 & ~DR_TRAP_BITS) | DR6_RESERVED | DR_STEP;
}

/* Loaded into the CPU's CR2 before the next entry (vmx_vcpu_run()). */
static void vmx_set_cr2(struct rs_vcpu *vcpu, u64 cr2)
{
	to_vmx(vcpu)->cr2 = cr2;
}

static int vmx_get_cpl(struct rs_vcpu *vcpu)
{
	/* The CPL is SS.DPL in VMX non-root operation (24.4.1). */
	return VMX_AR_DPL(vmx_read(to_vmx(vcpu), GUEST_SS_AR_BYTES));
}

/*
 * The exit handlers of VMX's own exits, or decoders that call the core's
 * half (exits.c states what a handler returns and leaves behind).
 */

/* The CPU set "blocking by NMI" again after an IRET that faulted (27.2.3). */
#define VMX_INTR_INFO_NMI_UNBLOCK	BIT(12)

/*
 * NMIs and #MC: the host took both right after the exit (vmx_vcpu_run()).
 * Any other exception exits because the exception bitmap names it: #DB
 * and #AC always, the rest while routed (vmx_set_route()); each goes to
 * rs_exit_exception(), whose default delivers it to the guest.  The exit
 * reports the error code where the exception has one, and a #PF's linear
 * address in the exit qualification instead of CR2, which it leaves
 * alone (27.1 "Architectural State Before a VM Exit", 27.2.2
 * "Information for VM Exits Due to Vectored Events").  A #DB exit leaves
 * DR6 alone too and says in the exit qualification what DR6 would have
 * said (27.2.1, "Exit Qualification for Debug Exceptions"): the guest's
 * DR6 gets that here, and DR7.GD is cleared, as delivery of the #DB
 * would have done (SDM vol. 3A, 18.2.4), routed or not, as an AMD CPU
 * updates DR6 before its #DB intercept.  INT3 and INTO exit as software
 * exceptions before they ran, with their length (27.2.5); INT1 (ICEBP)
 * exits as a privileged software exception before it ran: it becomes a
 * #DB trap after it, as KVM does.
 */
static int vmx_exit_exception_nmi(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->exit_intr_info, type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = info & INTR_INFO_VECTOR_MASK, len = 0;
	bool has_error = info & INTR_INFO_DELIVER_CODE_MASK;
	u32 interrupted = 0, error = 0;
	unsigned long flags;
	u64 value = 0;

	if (type == INTR_TYPE_NMI_INTR || vmx_is_machine_check(info))
		return 0;

	if (!vmx_vmcs_enter(vmx, &flags))
		return -EIO;
	/* 27.2.3: bit 12 is undefined for a #DF and while vectoring. */
	if ((info & VMX_INTR_INFO_NMI_UNBLOCK) && vector != X86_TRAP_DF &&
	    !(vmx->idt_info & VECTORING_INFO_VALID_MASK))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   vmcs_read(GUEST_INTERRUPTIBILITY_INFO) | GUEST_INTR_STATE_NMI);
	if (has_error)
		error = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	if (type == INTR_TYPE_SOFT_EXCEPTION)
		len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	if (vector == X86_TRAP_PF)
		value = vmx->exit_qual;
	if (vector == X86_TRAP_DB) {
		u64 hit = vmx->exit_qual & (DR_TRAP_BITS | DR_STEP | RS_DR6_BD);
		u64 dbg = rs_debug_db(vcpu, hit, vmx->step == VMX_STEP_TF);

		/* The debugger's breakpoint: the guest's DR6 stays as it was. */
		if (unlikely(dbg)) {
			vmx_vmcs_leave(flags);
			return rs_debug_exit(vcpu, dbg);
		}
		vmx->dr6 = (vmx->dr6 & ~DR_TRAP_BITS) | DR6_RESERVED | hit;
		value = vmx->dr6;
		if (hit & RS_DR6_BD)
			vmcs_write(GUEST_DR7, vmcs_read(GUEST_DR7) & ~RS_DR7_GD);
		/*
		 * A step after STI traps in its shadow, where VM entry wants
		 * one pending with TF set (26.3.1.5), as KVM knows.
		 */
		if ((vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_TF) &&
		    (vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & VMX_INTR_SHADOW))
			vmx_pending_step(true);
	}
	vmx_vmcs_leave(flags);
	/* INT1 delivers its own #DB, not a single step after it. */
	if (type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmx_skip(vcpu, 1);

	/* The event whose delivery raised it is rs_exit_exception()'s to redo. */
	if (vmx->event_info & INTR_INFO_VALID_MASK) {
		interrupted = vmx->event_info;
		vmx->event_info = 0;
	}
	return rs_exit_exception(vcpu, vector, has_error, error, value, len,
				 interrupted);
}

/*
 * The monitor trap flag (25.5.2): the instruction that the debugger
 * single-steps ran, or the event that the entry delivered went in and its
 * handler's first instruction is next.  Never set without a debugger.
 */
static int vmx_exit_mtf(struct rs_vcpu *vcpu)
{
	return rs_debug_exit(vcpu, DR_STEP);
}

/*
 * A host interrupt: the host took it.  After an entry that delivered an
 * event to a debugger's single step, vmx_step_arm()'s IPI: the event is
 * in and the step is over, unless its delivery did not finish (IDT
 * vectoring information, vmx_reinject()).
 */
static int vmx_exit_intr(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (unlikely(vmx->step == VMX_STEP_EVENT) &&
	    !(vmx->idt_info & VECTORING_INFO_VALID_MASK))
		return rs_debug_exit(vcpu, DR_STEP);
	return 0;
}

static int vmx_exit_nmi_window(struct rs_vcpu *vcpu)
{
	/* vmx_inject_nmi() injects it at the next entry. */
	return vmx_clear_exec(to_vmx(vcpu), CPU_BASED_NMI_WINDOW_EXITING);
}

static int vmx_exit_irq_window(struct rs_vcpu *vcpu)
{
	if (vmx_clear_exec(to_vmx(vcpu), CPU_BASED_INTR_WINDOW_EXITING))
		return -EIO;
	if (!vcpu->extint_pending && vcpu->run->request_interrupt_window)
		return rs_exit_irq_window(vcpu);
	return 0;
}

/*
 * Control-register accesses (27.2.1 "Basic VM-Exit Information", "Exit
 * Qualification for Control-Register Accesses"), all carried out by the
 * core (cr.c), which routes them.  MOV to CR0 and CR4 and LMSW exit where
 * they change a bit the guest/host masks give the host (25.1.3); CLTS
 * would where CR0.TS were the host's, which it is not here
 * (VMX_CR0_GUEST_OWNED).  MOV to and from CR8 always exit: CR8 is the
 * guest's TPR, kept here or in the in-kernel APIC so that it never reaches
 * the host's (25.3 "Changes to Instruction Behavior in VMX Non-Root
 * Operation").  MOV to and from CR3 exit while routed (vmx_set_route())
 * or where the CPU insists on CR3-load and CR3-store exiting.  MOV from
 * CR0 and CR4 never exit: the read shadows answer them.
 */
static int vmx_exit_cr(struct rs_vcpu *vcpu)
{
	u64 q = to_vmx(vcpu)->exit_qual;
	int reg = VMX_CR_REG(q), cr = VMX_CR_NUM(q);

	switch (VMX_CR_TYPE(q)) {
	case VMX_CR_MOV_TO:
		return rs_emulate_mov_to_cr(vcpu, cr, reg, 3);
	case VMX_CR_MOV_FROM:
		return rs_exit_cr_read(vcpu, cr, reg, 3);
	case VMX_CR_CLTS:
		return rs_emulate_clts(vcpu, 2);
	default:		/* VMX_CR_LMSW, the last of the four */
		return rs_emulate_lmsw(vcpu, VMX_CR_LMSW_DATA(q), 3);
	}
}

/*
 * MOV to or from a debug register.  While the vCPU routes any, every one
 * exits and the core carries it out (rs_exit_dr(), vmx_get_dr()); else
 * DR0-3/DR6 go to the guest until the next exit, so that a guest that
 * uses them exits once per entry, not once per access.
 */
static int vmx_exit_dr(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;

	if (vcpu->route_hw.dr_read | vcpu->route_hw.dr_write)
		return rs_exit_dr(vcpu, VMX_DR_NUM(q), VMX_DR_REG(q),
				  !(q & VMX_DR_FROM), 3);
	if (vmx_clear_exec(vmx, CPU_BASED_MOV_DR_EXITING))
		return -EIO;
	vmx->dr_owned = true;
	return 0;	/* the instruction runs again, without an exit */
}

/*
 * INVLPG exits while routed (vmx_set_route()); the exit qualification is
 * its linear-address operand (27.2.1).
 */
static int vmx_exit_invlpg(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return rs_exit_invlpg(vcpu, vmx->exit_qual,
			      vmx_read(vmx, VM_EXIT_INSTRUCTION_LEN));
}

/*
 * INS/OUTS: the core moves the data; the address size and the segment
 * are in the VM-exit instruction information where the CPU reports them
 * (A.1 bit 54, 27.2.5, table 27-8), otherwise the core finds them.
 */
static int vmx_exit_string_io(struct rs_vcpu *vcpu)
{
	/* The segment register field's encoding, as prefix bytes. */
	static const u8 seg_prefix[8] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual, next_rip;
	unsigned int addr_bytes = 0;
	unsigned long flags;
	u8 seg = 0;

	if (!vmx_vmcs_enter(vmx, &flags))
		return -EIO;
	next_rip = vmcs_read(GUEST_RIP) + vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	if (vmx_cfg.ins_outs_info) {
		u32 info = vmcs_read(VMX_INSTRUCTION_INFO);

		addr_bytes = 2 << ((info >> 7) & 7);
		seg = seg_prefix[(info >> 15) & 7];
	}
	vmx_vmcs_leave(flags);
	return rs_exit_string_io(vcpu, q >> VMX_IO_PORT_SHIFT,
				 (q & VMX_IO_SIZE) + 1, q & VMX_IO_IN,
				 q & VMX_IO_REP, addr_bytes, seg, next_rip);
}

/* 27.2.1, table 27-5: port, size and direction; RAX holds the data. */
static int vmx_exit_io(struct rs_vcpu *vcpu)
{
	u64 q = to_vmx(vcpu)->exit_qual;

	if (q & VMX_IO_STRING)
		return vmx_exit_string_io(vcpu);
	return rs_exit_io(vcpu, q >> VMX_IO_PORT_SHIFT, (q & VMX_IO_SIZE) + 1,
			  q & VMX_IO_IN, 1);
}

/* 27.2.1, table 27-7: what the access was; the GPA is in the VMCS. */
static int vmx_exit_ept_violation(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual, gpa;
	unsigned long flags;

	if (!vmx_vmcs_enter(vmx, &flags))
		return -EIO;
	gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	/* 27.2.3: the faulting IRET runs again, with NMIs blocked again. */
	if ((q & VMX_QUAL_NMI_UNBLOCK) && !(vmx->idt_info & VECTORING_INFO_VALID_MASK))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   vmcs_read(GUEST_INTERRUPTIBILITY_INFO) | GUEST_INTR_STATE_NMI);
	vmx_vmcs_leave(flags);
	/*
	 * Bit 7 without bit 8: a paging-structure entry, not the operand.
	 * The IDT-vectoring information has the layout of RS_EVENT_INFO_*.
	 */
	return rs_exit_npf(vcpu, gpa, q & EPT_VIOLATION_ACC_WRITE,
			   q & EPT_VIOLATION_ACC_INSTR,
			   (q & EPT_VIOLATION_GVA_IS_VALID) &&
			   !(q & EPT_VIOLATION_GVA_TRANSLATED),
			   vmx->idt_info & (INTR_INFO_VECTOR_MASK |
					    INTR_INFO_INTR_TYPE_MASK |
					    INTR_INFO_DELIVER_CODE_MASK |
					    INTR_INFO_VALID_MASK));
}

/* A malformed EPT entry (28.2.3.1) is ringside's bug: tell user space. */
static int vmx_exit_ept_misconfig(struct rs_vcpu *vcpu)
{
	return rs_exit_unhandled(vcpu, to_vmx(vcpu)->exit_reason);
}

/*
 * The exits ringside causes or cannot prevent, by basic exit reason (SDM
 * vol. 3C, appendix C "VMX Basic Exit Reasons"): the handler and the name
 * they are counted under (Documentation/netlink.rst).  Where SVM has the
 * same exit, the name is SVM's (IOIO, NPF, SHUTDOWN, ...), so that tools
 * need not care.  One row per exit.
 *
 * VMX instructions exit even though the guest sees CR4.VMXE clear: the #UD
 * check looks at the real CR4, where it is set (30.3 "VMX Instructions").
 */
static struct rs_exit_row vmx_exits[] __ro_after_init = {
	[EXIT_REASON_EXCEPTION_NMI]	= { vmx_exit_exception_nmi, "EXCEPTION_NMI" },
	[EXIT_REASON_EXTERNAL_INTERRUPT] = { vmx_exit_intr,	"INTR" },
	[EXIT_REASON_TRIPLE_FAULT]	= { rs_exit_shutdown,	"SHUTDOWN" },
	[EXIT_REASON_INIT_SIGNAL]	= { rs_exit_nop,	"INIT" },
	[EXIT_REASON_INTERRUPT_WINDOW]	= { vmx_exit_irq_window, "IRQ_WINDOW" },
	[EXIT_REASON_NMI_WINDOW]	= { vmx_exit_nmi_window, "NMI_WINDOW" },
	[EXIT_REASON_CPUID]		= { rs_exit_cpuid,	"CPUID" },
	[VMX_EXIT_GETSEC]		= { rs_exit_ud,		"VMX_INSN" },
	[EXIT_REASON_HLT]		= { rs_exit_hlt,	"HLT" },
	[EXIT_REASON_INVD]		= { rs_exit_invd,	"INVD" },
	[EXIT_REASON_INVLPG]		= { vmx_exit_invlpg,	"INVLPG" },
	[EXIT_REASON_RDPMC]		= { rs_exit_gp,		"RDPMC" },
	[EXIT_REASON_RDTSC]		= { rs_exit_rdtsc,	"RDTSC" },
	[EXIT_REASON_VMCALL]		= { rs_exit_hypercall,	"VMCALL" },
	[EXIT_REASON_VMCLEAR ... EXIT_REASON_VMON] = { rs_exit_ud, "VMX_INSN" },
	[EXIT_REASON_CR_ACCESS]		= { vmx_exit_cr,	"CR" },
	[EXIT_REASON_DR_ACCESS]		= { vmx_exit_dr,	"DR" },
	[EXIT_REASON_IO_INSTRUCTION]	= { vmx_exit_io,	"IOIO" },
	[EXIT_REASON_MSR_READ]		= { rs_exit_rdmsr,	"MSR" },
	[EXIT_REASON_MSR_WRITE]		= { rs_exit_wrmsr,	"MSR" },
	[EXIT_REASON_MWAIT_INSTRUCTION]	= { rs_exit_ud,		"MWAIT" },
	[EXIT_REASON_MONITOR_INSTRUCTION] = { rs_exit_ud,	"MWAIT" },
	[EXIT_REASON_MONITOR_TRAP_FLAG]	= { vmx_exit_mtf,	"MTF" },
	[EXIT_REASON_PAUSE_INSTRUCTION]	= { rs_exit_pause,	"PAUSE" },
	[EXIT_REASON_EPT_VIOLATION]	= { vmx_exit_ept_violation, "NPF" },
	[EXIT_REASON_EPT_MISCONFIG]	= { vmx_exit_ept_misconfig, "EPT_MISCONFIG" },
	[EXIT_REASON_INVEPT]		= { rs_exit_ud,		"VMX_INSN" },
	[EXIT_REASON_RDTSCP]		= { rs_exit_rdtscp,	"RDTSCP" },
	[EXIT_REASON_PREEMPTION_TIMER]	= { rs_exit_nop,	"TIMESLICE" },
	[EXIT_REASON_INVVPID]		= { rs_exit_ud,		"VMX_INSN" },
	[EXIT_REASON_WBINVD]		= { rs_exit_wbinvd,	"WBINVD" },
	[EXIT_REASON_XSETBV]		= { rs_exit_xsetbv,	"XSETBV" },
	[EXIT_REASON_VMFUNC]		= { rs_exit_ud,		"VMX_INSN" },
};

static struct rs_exit_table vmx_exit_table __ro_after_init = {
	.rows = vmx_exits,
	.nr_rows = ARRAY_SIZE(vmx_exits),
};

static int vmx_handle_exit(struct rs_vcpu *vcpu, bool failed)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const struct rs_exit_row *row;

	/* 30.4 "VM Instruction Error Numbers": VMLAUNCH/VMRESUME failed. */
	if (failed)
		return rs_exit_fail_entry(vcpu, vmx->vm_error, 0);
	/*
	 * 26.7 "VM-Entry Failures During or After Loading Guest State":
	 * invalid guest state, MSR loading or a machine check.
	 */
	if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return rs_exit_fail_entry(vcpu, vmx->exit_reason, vmx->exit_qual);

	/* An event a triple fault interrupted has nowhere to go. */
	if ((u16)vmx->exit_reason != EXIT_REASON_TRIPLE_FAULT)
		vmx_reinject(vcpu, vmx);
	row = rs_exit_row(&vmx_exit_table, (u16)vmx->exit_reason);
	return rs_exit_dispatch(vcpu, row, vmx->exit_reason);
}

/* Guest state the core moves to and from user space. */

static void vmx_get_rip_rflags(struct rs_vcpu *vcpu, u64 *rip, u64 *rflags)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	*rip = 0;
	*rflags = X86_EFLAGS_FIXED;
	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	*rip = vmcs_read(GUEST_RIP);
	*rflags = vmcs_read(GUEST_RFLAGS);
	vmx_vmcs_leave(flags);
}

/*
 * The single step pending in the guest's state follows RFLAGS.TF: when
 * the core carried out the instruction (@done), it raises the step itself
 * (the CPU may have saved one for an instruction that did not complete,
 * as Bochs does); when TF changes under it, a step goes or comes with it,
 * and in an STI or MOV SS shadow VM entry insists on one exactly when TF
 * is set (26.3.1.5; the guest's IA32_DEBUGCTL.BTF is always 0 here).
 */
static void vmx_set_rip_rflags(struct rs_vcpu *vcpu, u64 rip, u64 rflags,
			       bool done)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	bool tf = rflags & X86_EFLAGS_TF;
	unsigned long flags;
	u32 intr, shadow;

	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	vmcs_write(GUEST_RIP, rip);
	/* 26.3.1.5: no blocking by STI with IF clear. */
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	shadow = done ? VMX_INTR_SHADOW : 0;
	if (!(rflags & X86_EFLAGS_IF))
		shadow |= GUEST_INTR_STATE_STI;
	if (intr & shadow) {
		intr &= ~shadow;
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, intr);
	}
	if (done ? tf : tf != !!(vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_TF))
		vmx_pending_step(!done && tf && (intr & VMX_INTR_SHADOW));
	vmcs_write(GUEST_RFLAGS, rflags);
	vmx_vmcs_leave(flags);
}

static void vmx_get_sregs(struct rs_vcpu *vcpu, struct rs_sregs *sr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	vmx_read_seg(VMX_CS, &sr->cs);
	vmx_read_seg(VMX_DS, &sr->ds);
	vmx_read_seg(VMX_ES, &sr->es);
	vmx_read_seg(VMX_FS, &sr->fs);
	vmx_read_seg(VMX_GS, &sr->gs);
	vmx_read_seg(VMX_SS, &sr->ss);
	vmx_read_seg(VMX_TR, &sr->tr);
	vmx_read_seg(VMX_LDTR, &sr->ldt);
	sr->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	sr->gdt.limit = vmcs_read(GUEST_GDTR_LIMIT);
	sr->idt.base = vmcs_read(GUEST_IDTR_BASE);
	sr->idt.limit = vmcs_read(GUEST_IDTR_LIMIT);
	sr->cr0 = vmx_get_cr0();
	sr->cr3 = vmcs_read(GUEST_CR3);
	sr->cr4 = vmx_get_cr4();
	sr->efer = vmcs_read(GUEST_IA32_EFER);
	vmx_vmcs_leave(flags);
	sr->cr2 = vmx->cr2;
	sr->cr8 = vmx->cr8;
}

/*
 * The segment, descriptor-table and control registers of @sr, EFER with
 * LMA as LME and paging make it, and the PDPTEs; the VMCS is current.
 */
static u64 vmx_sregs_efer(const struct rs_sregs *sr)
{
	u64 efer = sr->efer & ~EFER_LMA;

	if ((efer & EFER_LME) && (sr->cr0 & X86_CR0_PG))
		efer |= EFER_LMA;
	return efer;
}

static void vmx_load_sregs(struct vmx_vcpu *vmx, const struct rs_sregs *sr,
			   const u64 *pdptes)
{
	vmx_write_seg(VMX_CS, &sr->cs);
	vmx_write_seg(VMX_DS, &sr->ds);
	vmx_write_seg(VMX_ES, &sr->es);
	vmx_write_seg(VMX_FS, &sr->fs);
	vmx_write_seg(VMX_GS, &sr->gs);
	vmx_write_seg(VMX_SS, &sr->ss);
	vmx_write_seg(VMX_TR, &sr->tr);
	vmx_write_seg(VMX_LDTR, &sr->ldt);
	/* 26.3.1.3: the descriptor-table limits have 16 bits. */
	vmcs_write(GUEST_GDTR_BASE, sr->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, sr->gdt.limit & 0xffff);
	vmcs_write(GUEST_IDTR_BASE, sr->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, sr->idt.limit & 0xffff);
	vmx_set_cr0(sr->cr0);
	vmcs_write(GUEST_CR3, sr->cr3);
	vmx_set_cr4(sr->cr4);
	vmx_set_efer(vmx, vmx_sregs_efer(sr));
	vmx_write_pdptes(pdptes);
	vmx->cr2 = sr->cr2;
	vmx->cr8 = sr->cr8;
}

static int vmx_set_sregs(struct rs_vcpu *vcpu, const struct rs_sregs *sr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 pdpte[RS_NR_PDPTES] = { 0 };
	unsigned long flags;

	/* A PDPTE the guest could not load faults when it is used. */
	if (rs_pae_paging(sr->cr0, sr->cr4, vmx_sregs_efer(sr)) &&
	    rs_load_pdptes(vcpu, sr->cr3, pdpte))
		memset(pdpte, 0, sizeof(pdpte));

	if (!vmx_vmcs_enter(vmx, &flags))
		return -EIO;
	vmx_load_sregs(vmx, sr, pdpte);
	vmx_vmcs_leave(flags);
	return 0;
}

static void vmx_get_cr_state(struct rs_vcpu *vcpu, struct rs_cr_state *st)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	st->cr0 = vmx_get_cr0();
	st->cr3 = vmcs_read(GUEST_CR3);
	st->cr4 = vmx_get_cr4();
	st->efer = vmcs_read(GUEST_IA32_EFER);
	st->cs_l = vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK;
	vmx_vmcs_leave(flags);
}

static void vmx_set_cr_state(struct rs_vcpu *vcpu, const struct rs_cr_state *st,
			     const u64 *pdptes)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	vmx_set_cr0(st->cr0);
	vmcs_write(GUEST_CR3, st->cr3);
	vmx_set_cr4(st->cr4);
	vmx_set_efer(vmx, st->efer);
	if (pdptes)
		vmx_write_pdptes(pdptes);
	vmx_vmcs_leave(flags);
}

static int vmx_get_msr(struct rs_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long field;

	switch (index) {
	case MSR_STAR:
		*data = vmx->star;
		return 0;
	case MSR_LSTAR:
		*data = vmx->lstar;
		return 0;
	case MSR_CSTAR:
		*data = vmx->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*data = vmx->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*data = vmx->kernel_gs_base;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + vmx->tsc_offset;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	case MSR_FS_BASE:
		field = GUEST_FS_BASE;
		break;
	case MSR_GS_BASE:
		field = GUEST_GS_BASE;
		break;
	case MSR_IA32_SYSENTER_CS:
		field = GUEST_SYSENTER_CS;
		break;
	case MSR_IA32_SYSENTER_ESP:
		field = GUEST_SYSENTER_ESP;
		break;
	case MSR_IA32_SYSENTER_EIP:
		field = GUEST_SYSENTER_EIP;
		break;
	case MSR_IA32_CR_PAT:
		field = GUEST_IA32_PAT;
		break;
	default:
		return -ENOENT;
	}
	*data = vmx_read(vmx, field);
	return 0;
}

static int vmx_set_msr(struct rs_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long field;

	switch (index) {
	case MSR_STAR:
		vmx->star = data;
		return 0;
	case MSR_SYSCALL_MASK:
		vmx->sfmask = data;
		return 0;
	case MSR_IA32_TSC:
		vmx->tsc_offset = data - rdtsc();
		vmx_write(vmx, TSC_OFFSET, vmx->tsc_offset);
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		return data ? -EINVAL : 0;
	case MSR_IA32_SYSENTER_CS:
		vmx_write(vmx, GUEST_SYSENTER_CS, data);
		return 0;
	case MSR_IA32_CR_PAT:
		vmx_write(vmx, GUEST_IA32_PAT, data);
		return 0;
	case MSR_LSTAR:
		vmx->lstar = data;
		return 0;
	case MSR_CSTAR:
		vmx->cstar = data;
		return 0;
	case MSR_KERNEL_GS_BASE:
		vmx->kernel_gs_base = data;
		return 0;
	case MSR_FS_BASE:
		field = GUEST_FS_BASE;
		break;
	case MSR_GS_BASE:
		field = GUEST_GS_BASE;
		break;
	case MSR_IA32_SYSENTER_ESP:
		field = GUEST_SYSENTER_ESP;
		break;
	case MSR_IA32_SYSENTER_EIP:
		field = GUEST_SYSENTER_EIP;
		break;
	default:
		return -ENOENT;
	}
	vmx_write(vmx, field, data);
	return 0;
}

/* Exit routing (route.c): the intercepts a route needs, and its exits. */

/*
 * Processor-based controls that only routing sets (24.6.2): CR3-load and
 * CR3-store exiting, RDTSC (and with "enable RDTSCP", RDTSCP), INVLPG and
 * PAUSE exiting.
 */
#define VMX_ROUTE_EXEC	(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING | \
			 CPU_BASED_RDTSC_EXITING | CPU_BASED_INVLPG_EXITING | \
			 CPU_BASED_PAUSE_EXITING)

static u32 vmx_route_exec(const struct rs_exit_route *rt)
{
	u32 exec = 0;

	if (rt->cr_write & BIT(3))
		exec |= CPU_BASED_CR3_LOAD_EXITING;
	if (rt->cr_read & BIT(3))
		exec |= CPU_BASED_CR3_STORE_EXITING;
	if ((rt->insns & RS_ROUTE_RDTSC) ||
	    ((rt->insns & RS_ROUTE_RDTSCP) && vmx_cfg.rdtscp))
		exec |= CPU_BASED_RDTSC_EXITING;
	if (rt->insns & RS_ROUTE_INVLPG)
		exec |= CPU_BASED_INVLPG_EXITING;
	if (rt->insns & RS_ROUTE_PAUSE)
		exec |= CPU_BASED_PAUSE_EXITING;
	/* What the CPU cannot set stays clear, what it insists on set (A.3.2). */
	return (exec & vmx_cfg.route_exec) | (vmx_cfg.exec & VMX_ROUTE_EXEC);
}

/*
 * The accesses of MSRs that vmx_msr_bitmap lets through which the vCPU
 * routes: whether there are any, and with @bitmap set there.
 */
static bool vmx_msr_route(const struct rs_vcpu *vcpu, unsigned long *bitmap)
{
	bool any = false;
	int i, write;

	for (i = 0; i < ARRAY_SIZE(vmx_passthrough_msrs); i++) {
		u32 msr = vmx_passthrough_msrs[i];

		for (write = 0; write < 2; write++) {
			if (!rs_route_msr(vcpu, msr, write))
				continue;
			any = true;
			if (!bitmap)
				return true;
			__set_bit(vmx_msr_bit(msr) + (write ? VMX_MSR_WRITE : 0),
				  bitmap);
		}
	}
	return any;
}

/*
 * Make the events vcpu->route_hw names exit (the vCPU's route and the exit
 * hooks'), and stop what only an earlier one made exit; from the vCPU's
 * own ioctls, outside the guest.
 *
 * Exceptions: the exception bitmap (24.6.3); with PAGE_FAULT_ERROR_CODE_MASK
 * and _MATCH 0 (vmx_init_vmcs()) every #PF exits while bit 14 is set (25.2
 * "Other Causes of VM Exits").
 *
 * CR0 and CR4 writes keep the guest/host masks ringside always has, so a
 * routed write sees only those that exit anyway (25.1.3 "Instructions
 * That Cause VM Exits Conditionally"): a MOV to CR4 that changes any bit
 * of what the guest reads, a MOV to CR0 or an LMSW that changes a bit but
 * TS and MP (VMX_CR0_GUEST_OWNED); not CLTS, nor a write of the value the
 * guest reads already.  CR8 accesses always exit; CR3's here.
 *
 * DRs: while any is routed, MOV DR always exits (vmx_exit_dr() hands
 * nothing over) and the guest's DR0-3 and DR6 are live around an entry
 * where its DR7 enables a breakpoint, as vmx_switch_to_guest() does for
 * any entry; once none is, the lazy hand-over comes back by itself.
 *
 * RDTSCP exits only with "enable RDTSCP" and RDTSC exiting both set: with
 * the first clear it is #UD (25.3), which user space may route as such.
 * Where the CPU lacks the control, routing RDTSCP routes nothing: the
 * guest's RDTSCP stays a #UD.
 *
 * MSRs: those vmx_msr_bitmap lets through exit only with a bitmap of the
 * vCPU's own; should that page not come, every RDMSR and WRMSR exits
 * (24.6.2, "use MSR bitmaps" clear), which the core handles as well.
 */
/* The debugger's single step is the monitor trap flag's, where the CPU has it. */
static void vmx_set_guest_debug(struct rs_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	u32 exec = vmx->exec & ~CPU_BASED_MONITOR_TRAP_FLAG;

	/* vmx_step_arm() sets it at each entry while the debugger steps. */
	vmx->step = VMX_STEP_NONE;
	if ((vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP) && vmx_cfg.mtf)
		exec |= CPU_BASED_MONITOR_TRAP_FLAG;
	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	vmx_set_exec(vmx, exec);
	vmx_vmcs_leave(flags);
}

static void vmx_set_route(struct rs_vcpu *vcpu)
{
	const struct rs_exit_route *rt = &vcpu->route_hw;
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	bool own = vmx_msr_route(vcpu, NULL);
	void *bitmap = vmx_msr_bitmap;
	unsigned long flags;
	u32 exec, exec2;

	if (own) {
		if (!vmx->msr_bitmap)
			vmx->msr_bitmap = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
		bitmap = vmx->msr_bitmap;
		if (bitmap) {
			memcpy(bitmap, vmx_msr_bitmap, PAGE_SIZE);
			vmx_msr_route(vcpu, bitmap);
		}
	}

	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	vmcs_write(EXCEPTION_BITMAP, VMX_EXC_ALWAYS | rt->exceptions);
	exec = (vmx->exec & ~(VMX_ROUTE_EXEC | CPU_BASED_USE_MSR_BITMAPS)) |
	       vmx_route_exec(rt);
	if (bitmap) {
		vmcs_write(MSR_BITMAP, __pa(bitmap));
		exec |= CPU_BASED_USE_MSR_BITMAPS;
	}
	/* Take DR0-3/DR6 back if the guest was to have them at the entry. */
	if (rt->dr_read | rt->dr_write) {
		exec |= CPU_BASED_MOV_DR_EXITING;
		vmx->dr_owned = false;
	}
	vmx_set_exec(vmx, exec);
	if (vmx_cfg.rdtscp) {
		exec2 = vmcs_read(SECONDARY_VM_EXEC_CONTROL) &
			~SECONDARY_EXEC_ENABLE_RDTSCP;
		if ((rt->insns & RS_ROUTE_RDTSCP) &&
		    (exec & CPU_BASED_RDTSC_EXITING))
			exec2 |= SECONDARY_EXEC_ENABLE_RDTSCP;
		vmcs_write(SECONDARY_VM_EXEC_CONTROL, exec2);
	}
	vmx_vmcs_leave(flags);

	/* The VMCS no longer points at it. */
	if (!own && vmx->msr_bitmap) {
		free_page((unsigned long)vmx->msr_bitmap);
		vmx->msr_bitmap = NULL;
	}
}

/*
 * Exits whose VM-exit instruction length is defined, among those that
 * reach rs_exit_event() (27.2.5 "Information for VM Exits Due to
 * Instruction Execution"): the instructions', and those of INT3, INTO
 * (software exceptions) and INT1 (a privileged software exception).
 */
static bool vmx_exit_has_len(u16 reason, u32 intr_info)
{
	u32 type = intr_info & INTR_INFO_INTR_TYPE_MASK;

	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		return type == INTR_TYPE_PRIV_SW_EXCEPTION ||
		       type == INTR_TYPE_SOFT_EXCEPTION;
	case EXIT_REASON_CPUID:
	case EXIT_REASON_HLT:
	case EXIT_REASON_INVD:
	case EXIT_REASON_INVLPG:
	case EXIT_REASON_RDPMC:
	case EXIT_REASON_RDTSC:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_CR_ACCESS:
	case EXIT_REASON_DR_ACCESS:
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_PAUSE_INSTRUCTION:
	case EXIT_REASON_RDTSCP:
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_XSETBV:
		return true;
	}
	return false;
}

/*
 * The exit being handled as the VMCS reports it (27.2): the exit reason;
 * the exit qualification; the interruption information of an exception,
 * else the VM-exit instruction information (27.2.5, undefined for exits
 * that have none); the instruction's length where defined, else 0.
 */
static void vmx_get_exit_raw(struct rs_vcpu *vcpu, u64 *code, u64 info[2],
			     u8 *len)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u16 reason = vmx->exit_reason;
	unsigned long flags;

	*code = vmx->exit_reason;
	info[0] = vmx->exit_qual;
	info[1] = vmx->exit_intr_info;
	*len = 0;
	if (!vmx_vmcs_enter(vmx, &flags))
		return;
	if (reason != EXIT_REASON_EXCEPTION_NMI)
		info[1] = vmcs_read(VMX_INSTRUCTION_INFO);
	if (vmx_exit_has_len(reason, vmx->exit_intr_info))
		*len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vmx_vmcs_leave(flags);
}

/*
 * Outside vmx_vcpu_run() the guest's DR0-3 are in vcpu->dr[] and its DR6
 * in vmx->dr6 even where it owns them (dr_owned: they are loaded at the
 * next entry and saved after its exit); DR7 is in the VMCS, which loads
 * and saves it (the debug controls, 26.3.2.1, 27.3.1).
 */
static u64 vmx_get_dr(struct rs_vcpu *vcpu, int dr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (dr) {
	case 0 ... 3:
		return vcpu->dr[dr];
	case 6:
		return vmx->dr6;
	case 7:
		return vmx_read(vmx, GUEST_DR7);
	}
	return 0;
}

static void vmx_set_dr(struct rs_vcpu *vcpu, int dr, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (dr) {
	case 0 ... 3:
		vcpu->dr[dr] = val;
		break;
	case 6:
		vmx->dr6 = val;
		break;
	case 7:
		/* vmx->dr7 decides whether the next entry loads DR0-3. */
		vmx->dr7 = val;
		vmx_write(vmx, GUEST_DR7, vmx->dr7);
		break;
	}
}

/* The TPR where user space has the APIC: only MOV CR8 reaches it. */
static void vmx_set_cr8(struct rs_vcpu *vcpu, u64 val)
{
	to_vmx(vcpu)->cr8 = val;
}

/*
 * EPT entries (28.2.2): tables R/W/X; leaves write-back (memory type 6 in
 * bits 5:3) with "ignore PAT", so that guest RAM is cached as the host
 * caches the same pages, whatever the guest's PAT says (28.2.6.2).
 */
static struct rs_arch_ops vmx_ops = {
	.name = "vmx",
	.cap = RS_CAP_VMX,
	.setup = vmx_setup,
	.unsetup = vmx_unsetup,
	.hardware_enable = vmx_hardware_enable,
	.hardware_disable = vmx_hardware_disable,
	.npt_table = VMX_EPT_RWX_MASK,
	.npt_leaf_ro = VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
		       (VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT) | VMX_EPT_IPAT_BIT,
	.npt_leaf_w = VMX_EPT_WRITABLE_MASK,
	.npt_present = VMX_EPT_RWX_MASK,
	.vcpu_size = sizeof(struct vmx_vcpu),
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_run = vmx_vcpu_run,
	.get_rip_rflags = vmx_get_rip_rflags,
	.set_rip_rflags = vmx_set_rip_rflags,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_cr_state = vmx_get_cr_state,
	.set_cr_state = vmx_set_cr_state,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.queue_event = vmx_queue_event,
	.set_cr2 = vmx_set_cr2,
	.set_dr6_step = vmx_set_dr6_step,
	.get_cpl = vmx_get_cpl,
	.interrupt_allowed = vmx_interrupt_allowed,
	.nmi_blocked = vmx_nmi_blocked,
	.skip_instruction = vmx_skip,
	.set_route = vmx_set_route,
	.get_exit_raw = vmx_get_exit_raw,
	.get_dr = vmx_get_dr,
	.set_dr = vmx_set_dr,
	.set_cr8 = vmx_set_cr8,
	.guest_debug = RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_HW_BP |
		       RS_GUEST_DEBUG_BLOCK_IRQ,
	.set_guest_debug = vmx_set_guest_debug,
	.exits = &vmx_exit_table,
};

/*
 * A control value from its capability MSR (A.3-A.5): bits whose allowed
 * 0-setting is 1 are set, bits whose allowed 1-setting is 0 are clear.
 * Fails if a required bit cannot be set.
 */
static int vmx_adjust(u32 msr, u32 want, u32 need, u32 *out, const char *what)
{
	u64 cap;

	rdmsrl(msr, cap);
	*out = (want | (u32)cap) & (u32)(cap >> 32);
	if ((*out & need) != need) {
		pr_info("VMX without the %s controls %#x is not supported\n",
			what, need & ~*out);
		return -ENODEV;
	}
	return 0;
}

/*
 * The VMX-preemption timer counts down at the TSC rate divided by
 * 2^IA32_VMX_MISC[4:0] (25.5.1, A.6).
 */
static void vmx_probe_timeslice(bool true_ctls)
{
	u64 misc, ticks;
	u32 pin;

	vmx_cfg.pin &= ~PIN_BASED_VMX_PREEMPTION_TIMER;
	if (!vmx_timeslice_us || !tsc_khz ||
	    vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				   MSR_IA32_VMX_PINBASED_CTLS,
		       PIN_BASED_VMX_PREEMPTION_TIMER, 0, &pin, "pin-based") ||
	    !(pin & PIN_BASED_VMX_PREEMPTION_TIMER))
		return;
	rdmsrl(MSR_IA32_VMX_MISC, misc);
	ticks = ((u64)vmx_timeslice_us * tsc_khz / 1000) >>
		vmx_misc_preemption_timer_rate(misc);
	vmx_cfg.preemption_timer = clamp_val(ticks, 1, U32_MAX);
	vmx_cfg.pin |= PIN_BASED_VMX_PREEMPTION_TIMER;
}

/* Interrupt- and NMI-window exiting (24.6.2), set only while one waits. */
#define VMX_WINDOWS	(CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING)

static int vmx_probe_controls(bool true_ctls)
{
	const u32 pin = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			PIN_BASED_VIRTUAL_NMIS;
	const u32 exec = CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_HLT_EXITING |
			 CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
			 CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
			 CPU_BASED_MOV_DR_EXITING | CPU_BASED_USE_IO_BITMAPS |
			 CPU_BASED_RDPMC_EXITING |
			 CPU_BASED_USE_MSR_BITMAPS |
			 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	const u32 exec2 = SECONDARY_EXEC_ENABLE_EPT |
			  SECONDARY_EXEC_UNRESTRICTED_GUEST |
			  SECONDARY_EXEC_WBINVD_EXITING;
	const u32 exit = VM_EXIT_SAVE_DEBUG_CONTROLS | VM_EXIT_HOST_ADDR_SPACE_SIZE |
			 VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_EFER |
			 VM_EXIT_LOAD_IA32_EFER;
	const u32 entry = VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_PAT |
			  VM_ENTRY_LOAD_IA32_EFER;
	u32 want2 = exec2 | SECONDARY_EXEC_ENABLE_VPID;
	u32 window, allowed;
	u64 cap;

	/* Without INVPCID enabled it is #UD (25.3); the guest sees the host's CPUID. */
	if (boot_cpu_has(X86_FEATURE_INVPCID))
		want2 |= SECONDARY_EXEC_ENABLE_INVPCID;
	if (vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				   MSR_IA32_VMX_PINBASED_CTLS,
		       pin, pin, &vmx_cfg.pin, "pin-based") ||
	    vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				   MSR_IA32_VMX_PROCBASED_CTLS,
		       exec, exec, &vmx_cfg.exec, "processor-based") ||
	    vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2, want2, exec2,
		       &vmx_cfg.exec2, "secondary") ||
	    vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				   MSR_IA32_VMX_EXIT_CTLS,
		       exit, exit, &vmx_cfg.exit, "VM-exit") ||
	    vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				   MSR_IA32_VMX_ENTRY_CTLS,
		       entry, entry, &vmx_cfg.entry, "VM-entry") ||
	    vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				   MSR_IA32_VMX_PROCBASED_CTLS,
		       VMX_WINDOWS, VMX_WINDOWS, &window, "window exiting"))
		return -ENODEV;
	/* #CP has an error code where VM entry can load CET state (A.5). */
	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
	       cap);
	vmx_cfg.error_codes = BIT(X86_TRAP_DF) | GENMASK(X86_TRAP_PF, X86_TRAP_TS) |
			      BIT(X86_TRAP_AC);
	if (cap >> 32 & VMX_ENTRY_LOAD_CET_STATE)
		vmx_cfg.error_codes |= BIT(X86_TRAP_CP);
	/*
	 * Exit routing's controls, set while a route asks (vmx_set_route()):
	 * which the CPU allows; those it insists on stay in vmx_cfg.exec.
	 */
	vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			       MSR_IA32_VMX_PROCBASED_CTLS,
		   VMX_ROUTE_EXEC, 0, &allowed, "routing");
	vmx_cfg.route_exec = allowed & VMX_ROUTE_EXEC;
	vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2, SECONDARY_EXEC_ENABLE_RDTSCP, 0,
		   &allowed, "secondary");
	vmx_cfg.rdtscp = allowed & SECONDARY_EXEC_ENABLE_RDTSCP;
	/* A debugger's single step (vmx_set_guest_debug()). */
	vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			       MSR_IA32_VMX_PROCBASED_CTLS,
		   CPU_BASED_MONITOR_TRAP_FLAG, 0, &allowed, "monitor trap flag");
	vmx_cfg.mtf = allowed & CPU_BASED_MONITOR_TRAP_FLAG;
	/* These are set and cleared on demand. */
	vmx_cfg.exec &= ~VMX_WINDOWS;
	vmx_cfg.entry &= ~VM_ENTRY_IA32E_MODE;
	vmx_probe_timeslice(true_ctls);
	return 0;
}

const struct rs_arch_ops *vmx_probe(void)
{
	u64 feat_ctl, basic, ept_cap, fixed;
	int r;

	if (!(cpuid_ecx(1) & VMX_CPUID_VMX))
		return ERR_PTR(-EOPNOTSUPP);

	/* SDM 23.7: a locked IA32_FEATURE_CONTROL without VMX is final. */
	rdmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	if ((feat_ctl & FEAT_CTL_LOCKED) &&
	    !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_info("VMX is disabled by the firmware (IA32_FEATURE_CONTROL)\n");
		return ERR_PTR(-ENODEV);
	}

	/* A.1: the VMCS revision, its size and its memory type. */
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	if (vmx_basic_vmcs_size(basic) > PAGE_SIZE ||
	    ((basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT) !=
	    VMX_BASIC_MEM_TYPE_WB) {
		pr_info("VMX with this VMCS format (%#llx) is not supported\n", basic);
		return ERR_PTR(-ENODEV);
	}
	vmx_cfg.revision = vmx_basic_vmcs_revision_id(basic);
	vmx_cfg.ins_outs_info = basic & VMX_BASIC_INOUT;

	r = vmx_probe_controls(basic & VMX_BASIC_TRUE_CTLS);
	if (r)
		return ERR_PTR(r);

	/* A.10: a 4-level, write-back EPT and INVEPT. */
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept_cap);
	if (!(ept_cap & VMX_EPT_PAGE_WALK_4_BIT) || !(ept_cap & VMX_EPTP_WB_BIT) ||
	    !(ept_cap & VMX_EPT_INVEPT_BIT) ||
	    !(ept_cap & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_info("VMX without a 4-level write-back EPT and INVEPT is not supported\n");
		return ERR_PTR(-ENODEV);
	}
	vmx_cfg.invept_global = ept_cap & VMX_EPT_EXTENT_GLOBAL_BIT;
	vmx_cfg.invept_type = (ept_cap & VMX_EPT_EXTENT_CONTEXT_BIT) ?
			      VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;

	/* A.7, A.8: CR0 and CR4 bits fixed to 1 are the host's in the guest. */
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, fixed);
	vmx_cfg.cr0_fixed0 = fixed;
	vmx_cfg.cr0_mask = ~(unsigned long)VMX_CR0_GUEST_OWNED;
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, fixed);
	vmx_cfg.cr4_fixed0 = fixed;
	/*
	 * Every CR4 bit is the host's: a MOV to CR4 that changes any exits, so
	 * that bits the guest's CPUID lacks (VMXE among them) get #GP.
	 */
	vmx_cfg.cr4_mask = ~0UL;

	vmx_ops.hw_features = RS_HW_UNRESTRICTED;
	if (vmx_cfg.mtf)
		vmx_ops.hw_features |= RS_HW_MTF;
	else
		vmx_ops.step_with_tf = true;
	if (vmx_cfg.exec2 & SECONDARY_EXEC_ENABLE_VPID)
		vmx_ops.hw_features |= RS_HW_VPID;
	if (basic & VMX_BASIC_TRUE_CTLS)
		vmx_ops.hw_features |= RS_HW_TRUE_CTLS;
	return &vmx_ops;
}
