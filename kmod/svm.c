// SPDX-License-Identifier: GPL-2.0
/*
 * ringside's AMD SVM backend (AMD64 APM vol. 2, chapter 15).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <linux/io.h>

#include "rs.h"

/* CPUID Fn8000_0001 ECX and Fn8000_000A EDX (APM vol. 2, 15.4 and E.4.9). */
#define SVM_CPUID_SVM			BIT(2)
#define SVM_FEAT_NP			BIT(0)
#define SVM_FEAT_NRIPS			BIT(3)
#define SVM_FEAT_VMCB_CLEAN		BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID		BIT(6)
#define SVM_FEAT_DECODE_ASSISTS		BIT(7)

/* VM_CR.SVMDIS: the firmware turned SVM off (APM vol. 2, 15.30.1). */
#define SVM_VM_CR_SVMDIS		BIT(4)

/* The host state save area VMRUN writes to, one page per CPU (15.30.4). */
static DEFINE_PER_CPU(struct page *, svm_hsave);

static int svm_setup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);

		if (!page)
			goto err;
		per_cpu(svm_hsave, cpu) = page;
	}
	return 0;
err:
	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_hsave, cpu))
			__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
	}
	return -ENOMEM;
}

static void svm_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
	}
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
	return 0;
}

static void svm_hardware_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

static struct rs_arch_ops svm_ops = {
	.name = "svm",
	.cap = RS_CAP_SVM,
	.setup = svm_setup,
	.unsetup = svm_unsetup,
	.hardware_enable = svm_hardware_enable,
	.hardware_disable = svm_hardware_disable,
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
