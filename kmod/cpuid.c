// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest's CPUID answers: a table per vCPU, by default the host's
 * leaves with what ringside does not virtualize hidden, the hypervisor bit
 * set and leaf 0x40000000 carrying ringside's signature.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "rs.h"

#define RS_CPUID_SIGNATURE	"RingsideVMM\0"

/* Leaves whose answer depends on ECX: one entry per index. */
static bool cpuid_indexed(u32 fn)
{
	return fn == 4 || fn == 7 || fn == 0xb || fn == 0xd ||
	       fn == 0x8000001d;
}

static void cpuid_filter(struct rs_cpuid_entry *e)
{
	switch (e->function) {
	case 1:
		/*
		 * VMX, MONITOR/MWAIT, x2APIC, TSC deadline, the perfmon
		 * capabilities MSR (PDCM): not virtualized
		 */
		e->ecx &= ~(BIT(5) | BIT(3) | BIT(21) | BIT(24) | BIT(15));
		e->ecx |= BIT(31);		/* hypervisor present */
		/* EST, TM2: IA32_PERF_CTL and friends are not emulated */
		e->ecx &= ~(BIT(7) | BIT(8));
		/*
		 * No local APIC until ringside emulates one; no ACPI thermal
		 * monitor (IA32_THERM_*, #GP here) nor TM
		 */
		e->edx &= ~(BIT(9) | BIT(22) | BIT(29));
		break;
	case 6:					/* thermal and power */
	case 0xa:				/* no PMU: RDPMC is #GP */
	case 0x8000000a:			/* SVM features */
	case 0x80000022:			/* AMD PMU v2 */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	case 7:
		if (e->index == 0) {
			/* IA32_TSC_ADJUST: not emulated */
			e->ebx &= ~BIT(1);
			/* PKU, OSPKE, WAITPKG, RDPID */
			e->ecx &= ~(BIT(3) | BIT(4) | BIT(5) | BIT(22));
			/* IA32_ARCH_CAPABILITIES: not emulated */
			e->edx &= ~BIT(29);
		}
		break;
	case 0x80000008:
		/* VIRT_SSBD: no VIRT_SPEC_CTRL (SSBD is in SPEC_CTRL) */
		e->ebx &= ~BIT(25);
		break;
	case 0xd:
		if (e->index == 1)
			e->eax &= ~BIT(3);	/* XSAVES: no IA32_XSS */
		break;
	case 0x80000001:
		e->ecx &= ~BIT(2);		/* SVM */
		/* core, northbridge and L3 performance counters: no PMU */
		e->ecx &= ~(BIT(23) | BIT(24) | BIT(28));
		e->edx &= ~BIT(27);		/* RDTSCP: TSC_AUX is the host's */
		break;
	}
}

/*
 * With the APIC in the kernel (lapic.c): an APIC, x2APIC and the TSC
 * deadline timer, whatever the host has, and the vCPU's own APIC ID in
 * leaf 1 (EBX[31:24]) and leaf 0BH (EDX).
 */
static void cpuid_lapic(struct rs_vcpu *vcpu)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		struct rs_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == 1) {
			e->ecx |= BIT(21) | BIT(24);
			e->edx |= BIT(9);
			e->ebx = (e->ebx & 0x00ffffff) | vcpu->id << 24;
		} else if (e->function == 0xb) {
			e->edx = vcpu->id;
		}
	}
}

static int cpuid_add(struct rs_vcpu *vcpu, u32 fn, u32 index)
{
	struct rs_cpuid_entry *e;

	if (vcpu->cpuid_nent == RS_MAX_CPUID)
		return -E2BIG;
	e = &vcpu->cpuid[vcpu->cpuid_nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = index;
	if (cpuid_indexed(fn))
		e->flags = RS_CPUID_INDEXED;
	cpuid_count(fn, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	cpuid_filter(e);
	return 0;
}

/* A subleaf past the last one: leaf 0xb says so in ECX[15:8]. */
static bool cpuid_subleaf_empty(const struct rs_cpuid_entry *e)
{
	if (e->function == 0xb)
		return !(e->ecx & 0xff00);
	return !(e->eax | e->ebx | e->ecx | e->edx);
}

static int cpuid_add_range(struct rs_vcpu *vcpu, u32 base)
{
	u32 fn, max = cpuid_eax(base), i;
	int r;

	for (fn = base; fn <= max && fn - base < 64; fn++) {
		for (i = 0; i < 64; i++) {
			r = cpuid_add(vcpu, fn, i);
			if (r)
				return r;
			if (!cpuid_indexed(fn))
				break;
			if (i && cpuid_subleaf_empty(&vcpu->cpuid[vcpu->cpuid_nent - 1]))
				vcpu->cpuid_nent--;
		}
	}
	return 0;
}

int rs_cpuid_init(struct rs_vcpu *vcpu)
{
	struct rs_cpuid_entry *e;
	int r;

	vcpu->cpuid = kcalloc(RS_MAX_CPUID, sizeof(*vcpu->cpuid),
			      GFP_KERNEL_ACCOUNT);
	if (!vcpu->cpuid)
		return -ENOMEM;

	r = cpuid_add_range(vcpu, 0);
	if (!r)
		r = cpuid_add_range(vcpu, 0x80000000);
	if (r || vcpu->cpuid_nent == RS_MAX_CPUID)
		return r ? r : -E2BIG;
	if (vcpu->vm->lapic)
		cpuid_lapic(vcpu);

	e = &vcpu->cpuid[vcpu->cpuid_nent++];
	memset(e, 0, sizeof(*e));
	e->function = 0x40000000;
	e->eax = 0x40000000;			/* the highest hypervisor leaf */
	memcpy(&e->ebx, RS_CPUID_SIGNATURE, 4);
	memcpy(&e->ecx, RS_CPUID_SIGNATURE + 4, 4);
	memcpy(&e->edx, RS_CPUID_SIGNATURE + 8, 4);
	return 0;
}

static struct rs_cpuid_entry *cpuid_find(struct rs_vcpu *vcpu, u32 fn,
					 u32 index)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		struct rs_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == fn &&
		    (!(e->flags & RS_CPUID_INDEXED) || e->index == index))
			return e;
	}
	return NULL;
}

/* The processor signature, CPUID.1:EAX, which RESET and INIT leave in EDX. */
u32 rs_cpuid_signature(struct rs_vcpu *vcpu)
{
	struct rs_cpuid_entry *e = cpuid_find(vcpu, 1, 0);

	return e ? e->eax : 0;
}

/* CPUID (2 bytes): leaves the table does not hold read as zero, as AMD's do. */
static __always_inline int rs_cpuid_default(struct rs_vcpu *vcpu,
					    const struct rs_exit_ev *ev)
{
	struct rs_cpuid_entry *e;
	u64 *gpr = vcpu->gpr;

	e = cpuid_find(vcpu, gpr[RS_RAX], gpr[RS_RCX]);
	gpr[RS_RAX] = e ? e->eax : 0;
	gpr[RS_RBX] = e ? e->ebx : 0;
	gpr[RS_RCX] = e ? e->ecx : 0;
	gpr[RS_RDX] = e ? e->edx : 0;
	/* A disabled APIC is no APIC (SDM vol. 3A, 11.4.3). */
	if (e && e->function == 1 && vcpu->lapic &&
	    !(vcpu->msr_apic_base & MSR_IA32_APICBASE_ENABLE))
		gpr[RS_RDX] &= ~BIT(9);
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

int rs_exit_cpuid(struct rs_vcpu *vcpu)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_CPUID,
		.index = vcpu->gpr[RS_RAX],
		.subindex = vcpu->gpr[RS_RCX],
		.len = 2,
		.def = rs_cpuid_default,
	};

	return rs_exit_event(vcpu, ev);
}

long rs_set_cpuid(struct rs_vcpu *vcpu, struct rs_cpuid __user *argp)
{
	struct rs_cpuid_entry *entries;
	struct rs_cpuid c;
	u32 i;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	if (c.nent > RS_MAX_CPUID)
		return -E2BIG;

	entries = memdup_user(u64_to_user_ptr(c.entries),
			      array_size(c.nent, sizeof(*entries)));
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < c.nent; i++) {
		if ((entries[i].flags & ~RS_CPUID_INDEXED) ||
		    memchr_inv(entries[i].reserved, 0,
			       sizeof(entries[i].reserved))) {
			kfree(entries);
			return -EINVAL;
		}
	}
	memcpy(vcpu->cpuid, entries, array_size(c.nent, sizeof(*entries)));
	vcpu->cpuid_nent = c.nent;
	kfree(entries);
	return 0;
}

/* nent in: room in entries; out: how many there are (E2BIG if more). */
long rs_get_cpuid(struct rs_vcpu *vcpu, struct rs_cpuid __user *argp)
{
	struct rs_cpuid c;
	long r = 0;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	if (c.nent < vcpu->cpuid_nent)
		r = -E2BIG;
	else if (copy_to_user(u64_to_user_ptr(c.entries), vcpu->cpuid,
			      array_size(vcpu->cpuid_nent, sizeof(*vcpu->cpuid))))
		return -EFAULT;
	c.nent = vcpu->cpuid_nent;
	if (copy_to_user(argp, &c, sizeof(c)))
		return -EFAULT;
	return r;
}

/* Whether the guest's CPUID table lists feature @f (rs.h: RS_CPUID_*). */
bool rs_guest_has(struct rs_vcpu *vcpu, struct rs_cpuid_bit f)
{
	struct rs_cpuid_entry *e = cpuid_find(vcpu, f.leaf, 0);
	u32 regs[4];

	if (!e)
		return false;
	regs[CPUID_EAX] = e->eax;
	regs[CPUID_EBX] = e->ebx;
	regs[CPUID_ECX] = e->ecx;
	regs[CPUID_EDX] = e->edx;
	return regs[f.reg] & BIT(f.bit);
}
