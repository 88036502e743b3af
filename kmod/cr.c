// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 rules for the control registers, EFER and XCR0, and the state of
 * a processor after RESET: once, for both backends, as KVM keeps them in
 * x86.c (kvm_set_cr0/cr3/cr4, set_efer, __kvm_set_xcr).  A backend decodes
 * the exit; these check the new value against the guest's mode, load the
 * PDPTEs where PAE paging needs them, and commit through
 * rs_ops->set_cr_state().  A rule that fails is -EINVAL: #GP(0) for the
 * guest, which the caller injects, or an errno for user space.
 *
 * Intel SDM vol. 2, "MOV--Move to/from Control Registers", "XSETBV";
 * vol. 3A, 2.5 "Control Registers", 4.4.1 "PDPTE Registers", 9.1.1
 * "Processor State After Reset".  AMD APM vol. 2, 3.1 "System-Control
 * Registers", 14.1.3 "Processor Initialization State".
 */
#include <linux/kernel.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "rs.h"

/* CR0 bits that exist; writes to the others are ignored (KVM does too). */
#define RS_CR0_KNOWN	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
/* Changes that make PAE paging load the PDPTEs again (SDM vol. 3A, 4.4.1). */
#define RS_CR0_PDPTE_BITS	(X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)
#define RS_CR4_PDPTE_BITS	(X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE | \
				 X86_CR4_SMEP)
/* CR0 bits only the FPU looks at: changing them flushes no TLB. */
#define RS_CR0_FPU_BITS		(X86_CR0_MP | X86_CR0_EM | X86_CR0_TS)
/* With CR4.PCIDE, bit 63 of a MOV to CR3 only says "do not flush". */
#define RS_CR3_NOFLUSH		BIT_ULL(63)
#define RS_CR3_PCID		GENMASK_ULL(11, 0)

/* Bits above the host's physical address width are reserved everywhere. */
static u64 rs_phys_rsvd(void)
{
	return GENMASK_ULL(63, boot_cpu_data.x86_phys_bits);
}

static bool rs_long_mode(const struct rs_cr_state *st)
{
	return st->efer & EFER_LMA;
}

/* 64-bit mode: long mode and a code segment with L set. */
static bool rs_64bit_mode(const struct rs_cr_state *st)
{
	return rs_long_mode(st) && st->cs_l;
}

bool rs_pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/*
 * The four PDPTEs at @cr3 as a MOV to CR3 under PAE paging loads them: a
 * present entry with a reserved bit set is #GP (SDM vol. 3A, 4.4.1).
 */
int rs_load_pdptes(struct rs_vcpu *vcpu, u64 cr3, u64 *pdpte)
{
	u64 rsvd = rs_phys_rsvd() | GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	int i;

	if (rs_read_guest(vcpu->vm, cr3 & GENMASK_ULL(31, 5), pdpte,
			  RS_NR_PDPTES * sizeof(*pdpte)))
		return -EINVAL;
	for (i = 0; i < RS_NR_PDPTES; i++)
		if ((pdpte[i] & _PAGE_PRESENT) && (pdpte[i] & rsvd))
			return -EINVAL;
	return 0;
}

/*
 * CR4 bits that exist only with a CPU feature: the guest's CPUID must say
 * so, and the host's CPU must have it, or VM entry would refuse the bit.
 * VMXE, SMXE and PKE are never the guest's (no nested virtualization, no
 * SMX, and CPUID hides PKU).
 */
static const struct {
	u64 cr4;
	struct rs_cpuid_bit guest;
	u16 host;
} rs_cr4_features[] = {
	{ X86_CR4_UMIP,		RS_CPUID_UMIP,		X86_FEATURE_UMIP },
	{ X86_CR4_LA57,		RS_CPUID_LA57,		X86_FEATURE_LA57 },
	{ X86_CR4_FSGSBASE,	RS_CPUID_FSGSBASE,	X86_FEATURE_FSGSBASE },
	{ X86_CR4_PCIDE,	RS_CPUID_PCID,		X86_FEATURE_PCID },
	{ X86_CR4_OSXSAVE,	RS_CPUID_XSAVE,		X86_FEATURE_XSAVE },
	{ X86_CR4_SMEP,		RS_CPUID_SMEP,		X86_FEATURE_SMEP },
	{ X86_CR4_SMAP,		RS_CPUID_SMAP,		X86_FEATURE_SMAP },
};

bool rs_cr4_valid(struct rs_vcpu *vcpu, u64 cr4)
{
	u64 ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	int i;

	for (i = 0; i < ARRAY_SIZE(rs_cr4_features); i++)
		if (boot_cpu_has(rs_cr4_features[i].host) &&
		    rs_guest_has(vcpu, rs_cr4_features[i].guest))
			ok |= rs_cr4_features[i].cr4;
	return !(cr4 & ~ok);
}

/* The #GP conditions of MOV to CR0 that need no other state. */
static bool rs_cr0_valid(u64 cr0)
{
	return !(cr0 >> 32) &&
	       !((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)) &&
	       !((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE));
}

/* Commit @st, loading the PDPTEs if PAE paging needs them anew. */
static int rs_commit_cr(struct rs_vcpu *vcpu, const struct rs_cr_state *st,
			bool reload_pdptes)
{
	u64 pdpte[RS_NR_PDPTES];

	reload_pdptes &= rs_pae_paging(st->cr0, st->cr4, st->efer);
	if (reload_pdptes && rs_load_pdptes(vcpu, st->cr3, pdpte))
		return -EINVAL;
	rs_ops->set_cr_state(vcpu, st, reload_pdptes ? pdpte : NULL);
	return 0;
}

/*
 * MOV to CR0.  Setting PG with EFER.LME enters long mode (CR4.PAE set,
 * from a code segment without L); clearing PG leaves it, which 64-bit code
 * and CR4.PCIDE forbid.
 */
static int rs_set_cr0(struct rs_vcpu *vcpu, struct rs_cr_state *st, u64 cr0)
{
	u64 old = st->cr0;

	if (!rs_cr0_valid(cr0))
		return -EINVAL;
	cr0 = (cr0 | X86_CR0_ET) & RS_CR0_KNOWN;
	if (!(old & X86_CR0_PG) && (cr0 & X86_CR0_PG) &&
	    (st->efer & EFER_LME)) {
		if (!(st->cr4 & X86_CR4_PAE) || st->cs_l)
			return -EINVAL;
		st->efer |= EFER_LMA;
	}
	if (!(cr0 & X86_CR0_PG)) {
		if (rs_64bit_mode(st) || (st->cr4 & X86_CR4_PCIDE))
			return -EINVAL;
		st->efer &= ~EFER_LMA;
	}
	st->cr0 = cr0;
	return rs_commit_cr(vcpu, st, (old ^ cr0) & RS_CR0_PDPTE_BITS);
}

/* MOV to CR3: no bit past the physical address width; PAE reloads PDPTEs. */
static int rs_set_cr3(struct rs_vcpu *vcpu, struct rs_cr_state *st, u64 cr3)
{
	if (st->cr4 & X86_CR4_PCIDE)
		cr3 &= ~RS_CR3_NOFLUSH;
	if (cr3 & rs_phys_rsvd())
		return -EINVAL;
	st->cr3 = cr3;
	return rs_commit_cr(vcpu, st, true);
}

/*
 * MOV to CR4: bits the guest and host have; long mode keeps PAE and LA57
 * as they are; PCIDE comes on only in long mode with PCID 0 in CR3.
 */
static int rs_set_cr4(struct rs_vcpu *vcpu, struct rs_cr_state *st, u64 cr4)
{
	u64 old = st->cr4;

	if (!rs_cr4_valid(vcpu, cr4))
		return -EINVAL;
	if (rs_long_mode(st) &&
	    (!(cr4 & X86_CR4_PAE) || ((cr4 ^ old) & X86_CR4_LA57)))
		return -EINVAL;
	if ((cr4 & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    ((st->cr3 & RS_CR3_PCID) || !rs_long_mode(st)))
		return -EINVAL;
	st->cr4 = cr4;
	return rs_commit_cr(vcpu, st, (old ^ cr4) & RS_CR4_PDPTE_BITS);
}

/*
 * EFER bits this CPU and the guest's CPUID allow (SDM vol. 3A, 2.2.1
 * "Extended Feature Enable Register"; APM vol. 2, 3.1.7): no SVME, since
 * there is no nested virtualization.
 */
static bool rs_efer_host_valid(u64 efer)
{
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;

	if (boot_cpu_has(X86_FEATURE_FXSR_OPT))
		ok |= EFER_FFXSR;
	return !(efer & ~ok);
}

static bool rs_efer_guest_valid(struct rs_vcpu *vcpu, u64 efer)
{
	if ((efer & EFER_FFXSR) && !rs_guest_has(vcpu, RS_CPUID_FFXSR))
		return false;
	if ((efer & (EFER_LME | EFER_LMA)) && !rs_guest_has(vcpu, RS_CPUID_LM))
		return false;
	return !((efer & EFER_NX) && !rs_guest_has(vcpu, RS_CPUID_NX));
}

/*
 * WRMSR to EFER, from the guest or (@host_initiated) from user space,
 * which may set what the guest's CPUID hides.  LMA is the CPU's: it stays
 * as paging and LME made it.  The guest cannot change LME with paging on.
 */
int rs_set_efer(struct rs_vcpu *vcpu, u64 efer, bool host_initiated)
{
	struct rs_cr_state st;

	if (!rs_efer_host_valid(efer))
		return -EINVAL;
	if (!host_initiated && !rs_efer_guest_valid(vcpu, efer))
		return -EINVAL;
	rs_ops->get_cr_state(vcpu, &st);
	if (!host_initiated && (st.cr0 & X86_CR0_PG) &&
	    ((efer ^ st.efer) & EFER_LME))
		return -EINVAL;
	st.efer = (efer & ~EFER_LMA) | (st.efer & EFER_LMA);
	rs_ops->set_cr_state(vcpu, &st, NULL);
	return 0;
}

/*
 * MOV to CR0, CR3, CR4 or CR8 from general register @reg, an instruction @len
 * bytes long, as a backend decoded it.  Outside 64-bit mode the operand
 * has 32 bits.  The CPU would flush the TLB for a change of paging (SDM
 * vol. 3A, 4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure
 * Caches"); the instruction did not run, so a flush request does.
 */
static int rs_finish_cr_write(struct rs_vcpu *vcpu, int r, bool flush,
			      unsigned int len)
{
	if (r) {
		rs_inject_gp(vcpu);
		return 0;
	}
	if (flush)
		set_bit(RS_REQ_TLB_FLUSH, &vcpu->requests);
	rs_skip_instruction(vcpu, len);
	return 0;
}

/* A write of ev->value to CR ev->index, as ringside carries it out. */
static int rs_cr_write_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	struct rs_cr_state st;
	u64 val = ev->value, old_cr0;
	int cr = ev->index, r;

	rs_ops->get_cr_state(vcpu, &st);
	old_cr0 = st.cr0;
	switch (cr) {
	case 0:
		r = rs_set_cr0(vcpu, &st, val);
		break;
	case 3:
		r = rs_set_cr3(vcpu, &st, val);
		break;
	case 4:
		r = rs_set_cr4(vcpu, &st, val);
		break;
	case 8:			/* the APIC's TPR[7:4]; bits 63:4 reserved */
		r = val <= 15 ? 0 : -EINVAL;
		if (r)
			break;
		if (vcpu->lapic)
			rs_lapic_set_cr8(vcpu, val);
		else
			rs_ops->set_cr8(vcpu, val);
		break;
	default:
		r = -EINVAL;
	}
	return rs_finish_cr_write(vcpu, r, cr == 3 || cr == 4 ||
				  ((st.cr0 ^ old_cr0) & ~RS_CR0_FPU_BITS),
				  ev->len);
}

static int rs_exit_cr_write(struct rs_vcpu *vcpu, int cr, u64 val,
			    unsigned int len)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_CR_WRITE,
		.index = cr,
		.value = val,
		.len = len,
		.def = rs_cr_write_default,
	};

	return rs_exit_event(vcpu, ev);
}

int rs_emulate_mov_to_cr(struct rs_vcpu *vcpu, int cr, int reg,
			 unsigned int len)
{
	struct rs_cr_state st;
	u64 val = vcpu->gpr[reg];

	rs_ops->get_cr_state(vcpu, &st);
	if (!rs_64bit_mode(&st))
		val = (u32)val;
	return rs_exit_cr_write(vcpu, cr, val, len);
}

/* An instruction @len bytes long that writes some bits of CR0. */
static int rs_update_cr0(struct rs_vcpu *vcpu, u64 clear, u64 set,
			 unsigned int len)
{
	struct rs_cr_state st;

	rs_ops->get_cr_state(vcpu, &st);
	return rs_exit_cr_write(vcpu, 0, (st.cr0 & ~clear) | set, len);
}

/*
 * LMSW (SDM vol. 2, "LMSW"): loads CR0's PE, MP, EM and TS from @msw; it
 * can set PE but not clear it.
 */
int rs_emulate_lmsw(struct rs_vcpu *vcpu, u16 msw, unsigned int len)
{
	return rs_update_cr0(vcpu, RS_CR0_FPU_BITS, msw & 0xf, len);
}

/* CLTS (SDM vol. 2, "CLTS"): clears CR0.TS. */
int rs_emulate_clts(struct rs_vcpu *vcpu, unsigned int len)
{
	return rs_update_cr0(vcpu, X86_CR0_TS, 0, len);
}

/*
 * MOV from CR3 or CR8 to general register ev->reg, where the backend made
 * it exit: for routing, or (VMX) where the CPU insists on CR3-store and
 * CR8-store exiting.  Outside 64-bit mode the operand has 32 bits.
 */
static int rs_cr_read_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	struct rs_cr_state st;
	struct rs_sregs sr;
	u64 val;

	rs_ops->get_cr_state(vcpu, &st);
	switch (ev->index) {
	case 3:
		val = st.cr3;
		break;
	case 8:
		if (vcpu->lapic) {
			val = rs_lapic_cr8(vcpu);
		} else {
			rs_ops->get_sregs(vcpu, &sr);
			val = sr.cr8;
		}
		break;
	default:
		return rs_exit_unhandled(vcpu, ev->index);
	}
	vcpu->gpr[ev->reg] = rs_64bit_mode(&st) ? val : (u32)val;
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

int rs_exit_cr_read(struct rs_vcpu *vcpu, int cr, int reg, u8 len)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_CR_READ,
		.index = cr,
		.reg = reg,
		.len = len,
		.def = rs_cr_read_default,
	};

	return rs_exit_event(vcpu, ev);
}

/*
 * MOV to or from DR ev->index, where the backend keeps DR accesses exiting
 * for routing or for a debugger, whose breakpoints rs_debug_get_dr() keeps
 * apart from the guest's (debug.c) (SDM vol. 3A, 18.2 "Debug Registers"; vol. 2, "MOV--Move
 * to/from Debug Registers"): DR4 and DR5 are DR6 and DR7 unless CR4.DE
 * makes them #UD; DR7.GD turns the access into a #DB fault with DR6.BD;
 * DR6 and DR7 take no bit above 31.  The CPU checked the CPL before the
 * exit.
 */
static int rs_dr_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	bool write = ev->event == RS_ROUTED_DR_WRITE;
	struct rs_cr_state st;
	int dr = ev->index;
	u64 val;

	rs_ops->get_cr_state(vcpu, &st);
	if (dr == 4 || dr == 5) {
		if (st.cr4 & X86_CR4_DE) {
			rs_inject_ud(vcpu);
			return 0;
		}
		dr += 2;
	}
	val = rs_debug_get_dr(vcpu, 7);
	if (val & RS_DR7_GD) {
		rs_debug_set_dr(vcpu, 7, val & ~RS_DR7_GD);
		rs_debug_set_dr(vcpu, 6, (rs_debug_get_dr(vcpu, 6) & ~DR_TRAP_BITS) |
				RS_DR6_BD);
		return rs_queue_event(vcpu, RS_EVENT_EXCEPTION, X86_TRAP_DB,
				      false, 0);
	}
	if (!write) {
		val = rs_debug_get_dr(vcpu, dr);
		vcpu->gpr[ev->reg] = rs_64bit_mode(&st) ? val : (u32)val;
	} else {
		val = ev->value;
		if (dr >= 6 && (val >> 32)) {
			rs_inject_gp(vcpu);
			return 0;
		}
		if (dr == 6)
			val = (val & RS_DR6_VOLATILE) | DR6_RESERVED;
		else if (dr == 7)
			val = (val & RS_DR7_VOLATILE) | RS_RESET_DR7;
		rs_debug_set_dr(vcpu, dr, val);
	}
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

/* MOV to (@write) or from DR@dr, through general register @reg. */
int rs_exit_dr(struct rs_vcpu *vcpu, int dr, int reg, bool write, u8 len)
{
	struct rs_cr_state st;
	struct rs_exit_ev ev = {
		.event = write ? RS_ROUTED_DR_WRITE : RS_ROUTED_DR_READ,
		.index = dr,
		.reg = reg,
		.len = len,
		.def = rs_dr_default,
	};

	if (write) {
		rs_ops->get_cr_state(vcpu, &st);
		ev.value = rs_64bit_mode(&st) ? vcpu->gpr[reg] : (u32)vcpu->gpr[reg];
	}
	return rs_exit_event(vcpu, ev);
}

/*
 * XSETBV (SDM vol. 1, 13.3 "Enabling the XSAVE Feature Set and XSAVE-
 * Enabled Features"; vol. 2, "XSETBV"): only XCR0, at CPL 0, only user
 * features the guest's FPU state has room for (a subset of the host's
 * XCR0), x87 always, AVX only with SSE, AVX-512 only with AVX and its three
 * parts together, MPX's two parts together, AMX's two parts together.
 * The entry path loads XCR0 with a plain XSETBV, so nothing else may pass.
 */
static int rs_xsetbv_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	u64 xcr0 = ev->value;
	u64 mpx = XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR;

	if (rs_call(get_cpl)(vcpu) || ev->index ||
	    (xcr0 & ~vcpu->fpu.xfeatures) || !(xcr0 & XFEATURE_MASK_FP) ||
	    ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE)) ||
	    ((xcr0 & XFEATURE_MASK_AVX512) &&
	     ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	      !(xcr0 & XFEATURE_MASK_YMM))) ||
	    ((xcr0 & mpx) && (xcr0 & mpx) != mpx) ||
	    ((xcr0 & XFEATURE_MASK_XTILE) &&
	     (xcr0 & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)) {
		rs_inject_gp(vcpu);
		return 0;
	}
	vcpu->xcr0 = xcr0;
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

int rs_exit_xsetbv(struct rs_vcpu *vcpu)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_XSETBV,
		.index = vcpu->gpr[RS_RCX],
		.value = (u32)vcpu->gpr[RS_RAX] | (vcpu->gpr[RS_RDX] << 32),
		.len = 3,
		.def = rs_xsetbv_default,
	};

	return rs_exit_event(vcpu, ev);
}

/*
 * EFER bits RS_SET_SREGS takes: no SVME (no nested virtualization); AMD's
 * FFXSR even on Intel, where VM entry then refuses it (Documentation/uapi.rst).
 */
#define RS_SREGS_EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | \
				 EFER_FFXSR)
/* struct rs_segment's attr has 12 bits; GDTR and IDTR limits 16. */
#define RS_SEG_ATTR_VALID	0xfff

/*
 * State user space may give a vCPU (RS_SET_SREGS), as KVM's
 * kvm_is_valid_sregs() judges it: valid CR0 and CR4 bits and EFER bits;
 * with EFER.LME and CR0.PG, long mode (CR4.PAE, EFER.LMA, no CR3 bit past
 * the physical address width); otherwise no LMA and no 64-bit code
 * segment.  What remains inconsistent is the hardware's to refuse at the
 * next entry (RS_EXIT_FAIL_ENTRY).
 */
bool rs_sregs_valid(struct rs_vcpu *vcpu, const struct rs_sregs *s)
{
	const struct rs_segment *seg[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};
	int i;

	if ((s->efer & ~RS_SREGS_EFER_VALID) || s->cr8 > 15 ||
	    s->gdt.limit > 0xffff || s->idt.limit > 0xffff)
		return false;
	for (i = 0; i < ARRAY_SIZE(seg); i++)
		if (seg[i]->attr & ~RS_SEG_ATTR_VALID)
			return false;
	/*
	 * CR3's bits past the physical address width must be clear in every
	 * mode, for VMRUN (APM vol. 2, 15.5.1) as for VM entry (SDM vol. 3C,
	 * 26.3.1.1), not only where paging uses them.
	 */
	if (!rs_cr0_valid(s->cr0) || !rs_cr4_valid(vcpu, s->cr4) ||
	    (s->cr3 & rs_phys_rsvd()))
		return false;
	/* 64-bit code (CS.L) has no default operand size bit (CS.D). */
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG))
		return (s->cr4 & X86_CR4_PAE) && (s->efer & EFER_LMA) &&
		       !((s->cs.attr & RS_SEG_L) && (s->cs.attr & RS_SEG_DB));
	return !(s->efer & EFER_LMA) && !(s->cs.attr & RS_SEG_L);
}

/*
 * The segment and control registers after RESET (SDM vol. 3A, 9.1.1,
 * table 9-1; APM vol. 2, 14.1.3, table 14-1): real mode at F000:FFF0 with
 * a CS base of FFFF0000, 64 KiB segments, caching disabled.
 */
void rs_reset_sregs(struct rs_sregs *s)
{
	const struct rs_segment data = { .limit = 0xffff, .attr = RS_SEG_RESET_DATA };

	memset(s, 0, sizeof(*s));
	s->cs = data;
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->cs.attr = RS_SEG_RESET_CODE;
	s->ds = data;
	s->es = data;
	s->fs = data;
	s->gs = data;
	s->ss = data;
	s->ldt = data;
	s->ldt.attr = RS_SEG_RESET_LDT;
	s->tr = data;
	s->tr.attr = RS_SEG_RESET_TSS;
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
	s->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
}
