// SPDX-License-Identifier: GPL-2.0
/*
 * ringside's Intel VMX backend (Intel SDM vol. 3C, chapters 24-28).
 *
 * Only the probe exists so far: running guests on VMX is issue 4.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/err.h>
#include <asm/processor.h>
#include <asm/msr.h>
#include <asm/vmx.h>

#include "rs.h"

#define VMX_CPUID_VMX		BIT(5)		/* CPUID.1:ECX.VMX */

static int vmx_setup(void)
{
	return 0;
}

static void vmx_unsetup(void)
{
}

static struct rs_arch_ops vmx_ops = {
	.name = "vmx",
	.cap = RS_CAP_VMX,
	.setup = vmx_setup,
	.unsetup = vmx_unsetup,
};

/* Allowed 1-settings are the high half of a capability MSR (SDM A.3). */
static u32 vmx_allowed1(u32 msr)
{
	u64 v;

	rdmsrl(msr, v);
	return v >> 32;
}

const struct rs_arch_ops *vmx_probe(void)
{
	u64 feat_ctl, basic;
	u32 sec;

	if (!(cpuid_ecx(1) & VMX_CPUID_VMX))
		return ERR_PTR(-EOPNOTSUPP);

	/* SDM 23.7: a locked IA32_FEATURE_CONTROL without VMX is final. */
	rdmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	if ((feat_ctl & FEAT_CTL_LOCKED) &&
	    !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_info("VMX is disabled by the firmware (IA32_FEATURE_CONTROL)\n");
		return ERR_PTR(-ENODEV);
	}

	sec = 0;
	if (vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS) &
	    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		sec = vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (!(sec & SECONDARY_EXEC_ENABLE_EPT) ||
	    !(sec & SECONDARY_EXEC_UNRESTRICTED_GUEST)) {
		pr_info("VMX without EPT and unrestricted guest is not supported\n");
		return ERR_PTR(-ENODEV);
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_ops.hw_features = RS_HW_UNRESTRICTED;
	if (sec & SECONDARY_EXEC_ENABLE_VPID)
		vmx_ops.hw_features |= RS_HW_VPID;
	if (basic & VMX_BASIC_TRUE_CTLS)
		vmx_ops.hw_features |= RS_HW_TRUE_CTLS;
	return &vmx_ops;
}
