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

/*
 * IA32_APIC_BASE (SDM vol. 3A, 10.4.4): the local APIC is user space's
 * (the launcher emulates it at 0xfee00000), but a guest reads this MSR
 * before it touches the APIC and Linux's boot needs it to say "enabled at
 * 0xfee00000, BSP on vCPU 0".  ringside keeps the guest's writes (BSP,
 * enable, the base) without acting on them: user space decides what a
 * disabled or moved APIC does.  x2APIC's EXTD (bit 10) is reserved, as
 * CPUID hides x2APIC.
 */
#define RS_APIC_BASE_BSP	BIT_ULL(8)
#define RS_APIC_BASE_ENABLE	BIT_ULL(11)
#define RS_APIC_BASE_DEFAULT	0xfee00000ULL
#define RS_APIC_BASE_VALID	(GENMASK_ULL(51, 12) | RS_APIC_BASE_ENABLE | \
				 RS_APIC_BASE_BSP)

u64 rs_apic_base_reset(u32 vcpu_id)
{
	return RS_APIC_BASE_DEFAULT | RS_APIC_BASE_ENABLE |
	       (vcpu_id == 0 ? RS_APIC_BASE_BSP : 0);
}

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
	case MSR_AMD64_NB_CFG:		/* Linux's amd_bus reads it on AMD */
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
	case MSR_IA32_UCODE_REV:
	case MSR_K7_HWCR:
		*data = 0;
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->msr_tsc_aux;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->msr_apic_base;
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
	case MSR_AMD64_NB_CFG:		/* no northbridge: writes are dropped */
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->msr_tsc_aux = data;
		return 0;
	case MSR_IA32_APICBASE:
		if (data & ~RS_APIC_BASE_VALID)
			return -EINVAL;
		vcpu->msr_apic_base = data;
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
