// SPDX-License-Identifier: GPL-2.0
/*
 * MSR policy: which MSRs a guest may read and write, and what it sees.
 *
 * The backend keeps the MSRs its VMCB/VMCS holds (the SYSCALL and SYSENTER
 * MSRs, FS/GS bases, PAT, the TSC) after the core checked the value; EFER
 * follows the rules of cr.c; the core answers the few more a guest OS reads
 * at boot.  Anything else is #GP, as on a CPU without it.
 */
#include <asm/apicdef.h>
#include <asm/msr-index.h>

#include "rs.h"

/*
 * IA32_APIC_BASE (SDM vol. 3A, 11.4.4): with the APIC in the kernel
 * (RS_CREATE_LAPIC), lapic.c owns it.  Otherwise the local APIC is user
 * space's (the launcher emulates it at 0xfee00000), but a guest reads
 * this MSR before it touches the APIC and Linux's boot needs it to say
 * "enabled at 0xfee00000, BSP on vCPU 0".  ringside then keeps the
 * guest's writes (BSP, enable, the base) without acting on them: user
 * space decides what a disabled or moved APIC does.  x2APIC's EXTD (bit
 * 10) is reserved, as CPUID hides x2APIC.
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

/* IA32_PAT: eight memory types, none of them the reserved 2, 3 or 8-255. */
static bool rs_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

/*
 * The SPEC_CTRL bits the guest's CPUID offers (SDM vol. 4, table 2-2; AMD's
 * "Software Techniques for Managing Speculation"), of those the host's CPU
 * has: a value the hardware would refuse never reaches it (the entry path
 * writes it as is).  User space may set any the host has.
 */
static u64 rs_spec_ctrl_valid(struct rs_vcpu *vcpu, bool host_initiated)
{
	u64 bits = 0;

	if (host_initiated)
		return rs_spec_ctrl_bits;
	if (rs_guest_has(vcpu, RS_CPUID_SPEC_CTRL) ||
	    rs_guest_has(vcpu, RS_CPUID_AMD_IBRS))
		bits |= SPEC_CTRL_IBRS;
	if (rs_guest_has(vcpu, RS_CPUID_INTEL_STIBP) ||
	    rs_guest_has(vcpu, RS_CPUID_AMD_STIBP))
		bits |= SPEC_CTRL_STIBP;
	if (rs_guest_has(vcpu, RS_CPUID_INTEL_SSBD) ||
	    rs_guest_has(vcpu, RS_CPUID_AMD_SSBD))
		bits |= SPEC_CTRL_SSBD;
	return bits & rs_spec_ctrl_bits;
}

/* A guest with any SPEC_CTRL bit in its CPUID has the MSR. */
static bool rs_has_spec_ctrl(struct rs_vcpu *vcpu)
{
	return rs_guest_has(vcpu, RS_CPUID_SPEC_CTRL) ||
	       rs_guest_has(vcpu, RS_CPUID_AMD_IBRS) ||
	       rs_guest_has(vcpu, RS_CPUID_AMD_STIBP) ||
	       rs_guest_has(vcpu, RS_CPUID_AMD_SSBD) ||
	       rs_guest_has(vcpu, RS_CPUID_INTEL_SSBD);
}

/*
 * The write-only commands: PRED_CMD's IBPB and FLUSH_CMD's L1D flush, each
 * where both the guest's CPUID and the host's CPU have it.  They act on
 * this CPU only, where the guest runs; a guest that moves meanwhile gets
 * its IBPB from rs_spec_enter() only if another VM ran there.
 */
static int rs_set_cmd_msr(struct rs_vcpu *vcpu, u32 index, u64 data,
			  bool host_initiated)
{
	bool has;

	if (index == MSR_IA32_PRED_CMD) {
		has = rs_guest_has(vcpu, RS_CPUID_SPEC_CTRL) ||
		      rs_guest_has(vcpu, RS_CPUID_AMD_IBPB);
		if ((!has && !host_initiated) || (data & ~PRED_CMD_IBPB))
			return -EINVAL;
		if (data && boot_cpu_has(X86_FEATURE_IBPB))
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	}
	has = rs_guest_has(vcpu, RS_CPUID_FLUSH_L1D);
	if ((!has && !host_initiated) || (data & ~L1D_FLUSH))
		return -EINVAL;
	if (data && boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	return 0;
}

int rs_get_msr(struct rs_vcpu *vcpu, u32 index, u64 *data)
{
	struct rs_cr_state st;
	int r;

	if (index == MSR_EFER) {
		rs_ops->get_cr_state(vcpu, &st);
		*data = st.efer;
		return 0;
	}
	/* x2APIC's (EOI above all) first: no backend holds them. */
	if (index - APIC_BASE_MSR <= 0xff)
		return rs_lapic_rdmsr(vcpu, index, data);
	r = rs_ops->get_msr(vcpu, index, data);
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
	case MSR_IA32_TSC_DEADLINE:
		return rs_lapic_get_deadline(vcpu, data);
	case MSR_IA32_SPEC_CTRL:
		if (!rs_has_spec_ctrl(vcpu))
			return -EINVAL;
		*data = vcpu->spec_ctrl;
		return 0;
	}
	return -EINVAL;
}

/*
 * The values an MSR that the VMCB or VMCS holds can take, so that a
 * backend never hands the hardware one that it would refuse: canonical
 * addresses (SDM vol. 3C, 26.3.1.1 "Checks on Guest Control Registers,
 * Debug Registers, and MSRs"; WRMSR #GPs on them too), valid PAT types,
 * SFMASK's reserved upper half clear.  SYSENTER_ESP/EIP are made canonical
 * instead: AMD ignores their upper half, so no #GP (KVM does the same).
 * The core assumes 48-bit linear addresses: it offers no LA57.
 */
static int rs_check_msr(u32 index, u64 *data)
{
	switch (index) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		return __is_canonical_address(*data, 48) ? 0 : -EINVAL;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		*data = __canonical_address(*data, 48);
		return 0;
	case MSR_IA32_CR_PAT:
		return rs_pat_valid(*data) ? 0 : -EINVAL;
	case MSR_SYSCALL_MASK:
		return *data >> 32 ? -EINVAL : 0;
	}
	return 0;
}

/*
 * @host_initiated: user space sets it (RS_SET_MSRS), which may also set
 * what the guest can't.
 */
int rs_set_msr(struct rs_vcpu *vcpu, u32 index, u64 data, bool host_initiated)
{
	int r;

	if (index == MSR_EFER)
		return rs_set_efer(vcpu, data, host_initiated);
	if (index - APIC_BASE_MSR <= 0xff)
		return rs_lapic_wrmsr(vcpu, index, data);
	r = rs_check_msr(index, &data);
	if (r)
		return r;
	r = rs_ops->set_msr(vcpu, index, data);
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
		return host_initiated || !data ? 0 : -EINVAL;
	case MSR_AMD64_NB_CFG:		/* no northbridge: writes are dropped */
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->msr_tsc_aux = data;
		return 0;
	case MSR_IA32_APICBASE:
		if (vcpu->lapic)
			return rs_lapic_set_base(vcpu, data, host_initiated);
		if (data & ~RS_APIC_BASE_VALID)
			return -EINVAL;
		vcpu->msr_apic_base = data;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		return rs_lapic_set_deadline(vcpu, data);
	case MSR_IA32_SPEC_CTRL:
		if ((!host_initiated && !rs_has_spec_ctrl(vcpu)) ||
		    (data & ~rs_spec_ctrl_valid(vcpu, host_initiated)))
			return -EINVAL;
		vcpu->spec_ctrl = data;
		return 0;
	case MSR_IA32_PRED_CMD:
	case MSR_IA32_FLUSH_CMD:
		return rs_set_cmd_msr(vcpu, index, data, host_initiated);
	}
	return -EINVAL;
}

/*
 * RDMSR and WRMSR (2 bytes): ECX the index, EDX:EAX the value; #GP for an
 * MSR the guest's CPU does not have or a value it refuses.
 */
static __always_inline int rs_rdmsr_default(struct rs_vcpu *vcpu,
					    const struct rs_exit_ev *ev)
{
	u64 data;

	if (rs_get_msr(vcpu, ev->index, &data)) {
		rs_inject_gp(vcpu);
		return 0;
	}
	vcpu->gpr[RS_RAX] = (u32)data;
	vcpu->gpr[RS_RDX] = data >> 32;
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

static __always_inline int rs_wrmsr_default(struct rs_vcpu *vcpu,
					    const struct rs_exit_ev *ev)
{
	if (rs_set_msr(vcpu, ev->index, ev->value, false)) {
		rs_inject_gp(vcpu);
		return 0;
	}
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

int rs_exit_rdmsr(struct rs_vcpu *vcpu)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_MSR_READ,
		.index = vcpu->gpr[RS_RCX],
		.len = 2,
		.def = rs_rdmsr_default,
	};

	return rs_exit_event(vcpu, ev);
}

int rs_exit_wrmsr(struct rs_vcpu *vcpu)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_MSR_WRITE,
		.index = vcpu->gpr[RS_RCX],
		.value = (u32)vcpu->gpr[RS_RAX] | (vcpu->gpr[RS_RDX] << 32),
		.len = 2,
		.def = rs_wrmsr_default,
	};

	return rs_exit_event(vcpu, ev);
}
