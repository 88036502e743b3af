// SPDX-License-Identifier: GPL-2.0
/*
 * MSR policy: which MSRs a guest may read and write, and what it sees.
 *
 * The backend keeps the MSRs its VMCB/VMCS holds (EFER, the SYSCALL and
 * SYSENTER MSRs, FS/GS bases, PAT, the TSC); the core answers the few more a
 * guest OS reads at boot.  Anything else is #GP, as on a CPU without it.
 */
#include <asm/msr-index.h>
#include <asm/fpu/xcr.h>

#include "rs.h"

int rs_get_msr(struct rs_vcpu *vcpu, u32 index, u64 *data)
{
	int r = rs_ops->get_msr(vcpu, index, data);

	if (r != -ENOENT)
		return r;

	switch (index) {
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->msr_misc_enable;
		return 0;
	case MSR_MTRRdefType:
		*data = vcpu->msr_mtrr_def_type;
		return 0;
	case MSR_MTRRcap:		/* no MTRRs: the guest uses PAT */
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
	case MSR_IA32_UCODE_REV:
	case MSR_K7_HWCR:
		*data = 0;
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->msr_tsc_aux;
		return 0;
	}
	return -EINVAL;
}

/* host: user space sets it, which may also set what the guest can't. */
int rs_set_msr(struct rs_vcpu *vcpu, u32 index, u64 data, bool host)
{
	int r = rs_ops->set_msr(vcpu, index, data);

	if (r != -ENOENT)
		return r;

	switch (index) {
	case MSR_IA32_MISC_ENABLE:
		vcpu->msr_misc_enable = data;
		return 0;
	case MSR_MTRRdefType:
		if (data & ~0xcffULL)
			return -EINVAL;
		vcpu->msr_mtrr_def_type = data;
		return 0;
	case MSR_IA32_MCG_STATUS:
	case MSR_IA32_UCODE_REV:
	case MSR_K7_HWCR:
		return host || !data ? 0 : -EINVAL;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->msr_tsc_aux = data;
		return 0;
	}
	return -EINVAL;
}

/* RDMSR and WRMSR exits: ECX the index, EDX:EAX the value; 2 bytes long. */
void rs_emulate_rdmsr(struct rs_vcpu *vcpu)
{
	u64 data;

	if (rs_get_msr(vcpu, vcpu->gpr[RS_RCX], &data)) {
		rs_inject_gp(vcpu);
		return;
	}
	vcpu->gpr[RS_RAX] = (u32)data;
	vcpu->gpr[RS_RDX] = data >> 32;
	rs_ops->skip_instruction(vcpu, 2);
}

void rs_emulate_wrmsr(struct rs_vcpu *vcpu)
{
	u64 data = (u32)vcpu->gpr[RS_RAX] | (vcpu->gpr[RS_RDX] << 32);

	if (rs_set_msr(vcpu, vcpu->gpr[RS_RCX], data, false)) {
		rs_inject_gp(vcpu);
		return;
	}
	rs_ops->skip_instruction(vcpu, 2);
}

/*
 * XSETBV (SDM vol. 2, XSETBV): only XCR0, only features the host's XCR0
 * has, x87 always on, AVX only with SSE, the AVX-512 parts all or none.
 */
int rs_emulate_xsetbv(struct rs_vcpu *vcpu)
{
	u64 xcr0 = (u32)vcpu->gpr[RS_RAX] | (vcpu->gpr[RS_RDX] << 32);
	u64 avx512 = XFEATURE_MASK_OPMASK | XFEATURE_MASK_ZMM_Hi256 |
		     XFEATURE_MASK_Hi16_ZMM;

	if (rs_ops->get_cpl(vcpu) || (u32)vcpu->gpr[RS_RCX] ||
	    (xcr0 & ~vcpu->fpu.xfeatures) || !(xcr0 & XFEATURE_MASK_FP) ||
	    ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE)) ||
	    ((xcr0 & avx512) && (xcr0 & avx512) != avx512) ||
	    ((xcr0 & avx512) && !(xcr0 & XFEATURE_MASK_YMM))) {
		rs_inject_gp(vcpu);
		return 0;
	}
	vcpu->xcr0 = xcr0;
	rs_ops->skip_instruction(vcpu, 3);
	return 0;
}
