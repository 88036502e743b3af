// SPDX-License-Identifier: GPL-2.0
/*
 * Guest linear memory as the emulator sees it: the guest's mode, its
 * page-table walk (SDM vol. 3A, chapter 4 "Paging"), the segment checks
 * of data operands that the CPU did not make before the exit (vol. 3A,
 * chapter 5 "Protection"), and accesses at linear addresses, which fault
 * into the guest as the CPU's would.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "emulate.h"

#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)

/*
 * The access an emulated data operand makes, and on a fault the error
 * code of its #PF (SDM vol. 3A, 4.7); RS_PF_AC is ringside's own: RFLAGS.AC,
 * which lets a supervisor access user pages under SMAP.
 */
#define RS_PF_PRESENT	BIT(0)
#define RS_PF_WRITE	BIT(1)
#define RS_PF_USER	BIT(2)
#define RS_PF_AC	BIT(31)

void rs_get_mode(struct rs_vcpu *vcpu, struct rs_mode *m)
{
	u64 rip, rflags;

	rs_ops->get_sregs(vcpu, &m->s);
	m->vm86 = false;
	if ((m->s.cr0 & X86_CR0_PE) && !(m->s.efer & EFER_LMA)) {
		rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
		m->vm86 = rflags & X86_EFLAGS_VM;
	}
	m->long64 = (m->s.efer & EFER_LMA) && (m->s.cs.attr & RS_SEG_L);
	m->opsize = (m->long64 || (m->s.cs.attr & RS_SEG_DB)) &&
		    (m->s.cr0 & X86_CR0_PE) ? 4 : 2;
}

/*
 * A page walk's verdict on @pfec's access (SDM vol. 3A, 4.6), given the
 * R/W and U/S bits that every level of the walk allowed: 0, or -EFAULT
 * with RS_PF_PRESENT added to *pfec.
 */
static int rs_walk_allows(const struct rs_mode *m, u64 allowed, u32 *pfec)
{
	bool user = *pfec & RS_PF_USER, write = *pfec & RS_PF_WRITE;
	bool user_page = allowed & _PAGE_USER;

	if ((user && !user_page) ||
	    (write && !(allowed & _PAGE_RW) &&
	     (user || (m->s.cr0 & X86_CR0_WP))) ||
	    (!user && user_page && (m->s.cr4 & X86_CR4_SMAP) &&
	     !(*pfec & RS_PF_AC))) {
		*pfec |= RS_PF_PRESENT;
		return -EFAULT;
	}
	return 0;
}

/*
 * Linear to guest-physical, as the guest's paging mode says (SDM vol. 3A,
 * 4.3-4.5): none, 32-bit (with 4 MiB pages), PAE, or 4-level.  @pfec NULL:
 * the emulator's own reads (of the instruction the CPU just ran), which
 * check nothing; else the access, checked as the CPU would, and on
 * -EFAULT the #PF error code.  -EINVAL: a table is not in guest RAM.
 * Accessed and dirty bits are left alone.
 */
static int rs_gva_to_gpa(struct rs_vcpu *vcpu, const struct rs_mode *m,
			 u64 gva, u32 *pfec, u64 *gpa)
{
	const struct rs_sregs *s = &m->s;
	u64 table, pte, allowed = _PAGE_RW | _PAGE_USER;
	int levels, level;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}

	if (!(s->cr4 & X86_CR4_PAE)) {		/* 32-bit paging */
		u32 pte32;

		table = s->cr3 & 0xfffff000;
		for (level = 1; level >= 0; level--) {
			if (rs_read_guest(vcpu->vm, table +
					  ((gva >> (12 + 10 * level)) & 1023) * 4,
					  &pte32, 4))
				return -EINVAL;
			if (!(pte32 & PTE_P))
				return -EFAULT;
			allowed &= pte32;
			if (level && (pte32 & PTE_PS) &&
			    (s->cr4 & X86_CR4_PSE)) {
				*gpa = (pte32 & 0xffc00000) | (gva & 0x3fffff);
				goto check;
			}
			table = pte32 & 0xfffff000;
		}
		*gpa = table | (gva & 0xfff);
		goto check;
	}

	if (s->efer & EFER_LMA) {
		levels = 4;
		table = s->cr3 & PTE_ADDR;
	} else {				/* PAE: four PDPTEs at CR3 */
		levels = 3;
		table = s->cr3 & 0xffffffe0;
		gva &= 0xffffffffULL;
	}
	for (level = levels - 1; level >= 0; level--) {
		unsigned int shift = 12 + 9 * level;
		bool pdpte = level == 2 && levels == 3;
		unsigned int index = (gva >> shift) & (pdpte ? 3 : 511);

		if (rs_read_guest(vcpu->vm, table + index * 8, &pte, 8))
			return -EINVAL;
		if (!(pte & PTE_P))
			return -EFAULT;
		if (!pdpte)			/* PDPTEs have no R/W, U/S */
			allowed &= pte;
		if (level && level < 3 && (pte & PTE_PS) && !pdpte) {
			*gpa = (pte & PTE_ADDR & ~((1ULL << shift) - 1)) |
			       (gva & ((1ULL << shift) - 1));
			goto check;
		}
		table = pte & PTE_ADDR;
	}
	*gpa = table | (gva & 0xfff);
check:
	return pfec ? rs_walk_allows(m, allowed, pfec) : 0;
}

/* Read or write guest memory at a linear address, page by page. */
int rs_access_linear(struct rs_vcpu *vcpu, const struct rs_mode *m,
		     u64 la, void *data, unsigned int len, bool write)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		u64 gpa;
		int r;

		r = rs_gva_to_gpa(vcpu, m, la, NULL, &gpa);
		if (!r)
			r = write ? rs_write_guest(vcpu->vm, gpa, data, n) :
				    rs_read_guest(vcpu->vm, gpa, data, n);
		if (r)
			return r;
		la += n;
		data += n;
		len -= n;
	}
	return 0;
}

/* A data operand's segment: DS, or the one that the prefix @seg names. */
const struct rs_segment *rs_data_seg(const struct rs_mode *m, u8 seg)
{
	switch (seg) {
	case 0x26:
		return &m->s.es;
	case 0x2e:
		return &m->s.cs;
	case 0x36:
		return &m->s.ss;
	case 0x64:
		return &m->s.fs;
	case 0x65:
		return &m->s.gs;
	}
	return &m->s.ds;
}

/* Its base; in 64-bit mode only FS and GS have one (SDM vol. 3A, 3.2.4). */
u64 rs_seg_base(const struct rs_mode *m, u8 seg)
{
	if (m->long64 && seg != 0x64 && seg != 0x65)
		return 0;
	return rs_data_seg(m, seg)->base;
}

/*
 * The segment checks outside 64-bit mode of a data access of @size bytes
 * at offset @ea in the segment that @seg names, for an operand the CPU did
 * not check before the exit (SDM vol. 3A, 5.3 "Limit Checking" and 5.4
 * "Type Checking"; vol. 2, the instructions' protected-mode exceptions):
 * every byte within the limit (above it, up to 64 KiB or 4 GiB, for an
 * expand-down segment), and in protected mode (not virtual-8086 mode,
 * whose segments are real mode's) a usable segment that allows the
 * access.
 */
bool rs_seg_ok(const struct rs_mode *m, u8 seg, u64 ea,
	       unsigned int size, bool write)
{
	const struct rs_segment *s = rs_data_seg(m, seg);
	unsigned int type = RS_SEG_TYPE(s->attr);
	u64 last = ea + size - 1;
	bool ok;

	if (m->long64)
		return true;
	if ((type & 0xc) == 0x4)	/* expand-down data */
		ok = ea > s->limit &&
		     last <= ((s->attr & RS_SEG_DB) ? 0xffffffff : 0xffff);
	else
		ok = last <= s->limit;
	if (!(m->s.cr0 & X86_CR0_PE) || m->vm86)
		return ok;
	/* code: readable (bit 1) and never written; data: writable (bit 1) */
	return ok && (s->attr & RS_SEG_P) &&
	       ((type & 0x8) ? !write && (type & 0x2) : !write || (type & 0x2));
}

/*
 * rs_seg_ok(), and if not, #GP(0) (#SS(0) for SS) queued for the guest:
 * 0 if the access may go on, 1 if the fault is queued, -EINVAL if not.
 */
int rs_seg_check(struct rs_vcpu *vcpu, const struct rs_mode *m,
		 u8 seg, u64 ea, unsigned int size, bool write)
{
	if (rs_seg_ok(m, seg, ea, size, write))
		return 0;
	return rs_queue_event(vcpu, RS_EVENT_EXCEPTION,
			      seg == 0x36 ? X86_TRAP_SS : X86_TRAP_GP, true,
			      0) ? -EINVAL : 1;
}

/*
 * The guest-physical address of linear @la, the first byte of an access
 * within one page, part of an operand the CPU did not check before the exit (a string
 * instruction's other operand, the stack of PUSH or POP, ...): a fault it
 * would raise is queued for the guest (#GP, or #SS for the stack, for a
 * non-canonical address; #PF with its error code and CR2), and 1
 * returned.  -EINVAL: not emulated.
 */
static int rs_data_gpa(struct rs_vcpu *vcpu, const struct rs_mode *m, u64 la,
		       bool write, bool stack, u64 *gpa)
{
	unsigned int bits = (m->s.cr4 & X86_CR4_LA57) ? 57 : 48;
	u32 pfec = write ? RS_PF_WRITE : 0;
	u64 rip, rflags;
	int r;

	if (!m->long64)
		la = (u32)la;
	if (m->long64 && (u64)((s64)(la << (64 - bits)) >> (64 - bits)) != la)
		return rs_queue_event(vcpu, RS_EVENT_EXCEPTION,
				      stack ? X86_TRAP_SS : X86_TRAP_GP,
				      true, 0) ? -EINVAL : 1;

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (rs_call(get_cpl)(vcpu) == 3)
		pfec |= RS_PF_USER;
	if (rflags & X86_EFLAGS_AC)
		pfec |= RS_PF_AC;
	r = rs_gva_to_gpa(vcpu, m, la, &pfec, gpa);
	if (r != -EFAULT)
		return r;
	rs_ops->set_cr2(vcpu, la);
	return rs_queue_event(vcpu, RS_EVENT_EXCEPTION, X86_TRAP_PF, true,
			      pfec & ~RS_PF_AC) ? -EINVAL : 1;
}

/*
 * The guest-physical addresses of the one or two pages that @len bytes (a
 * page at most) at linear @la touch, the first @first of them in the
 * first page: both checked as a data access of the CPU's (rs_data_gpa(),
 * @stack for SS) before either is touched.  Returns as rs_data_gpa().
 */
int rs_linear_gpas(struct rs_vcpu *vcpu, const struct rs_mode *m,
		   u64 la, unsigned int len, bool write, bool stack,
		   u64 gpa[2], unsigned int *first)
{
	int r;

	*first = min_t(unsigned int, len, PAGE_SIZE - (la & ~PAGE_MASK));
	r = rs_data_gpa(vcpu, m, la, write, stack, &gpa[0]);
	if (!r && *first < len)
		r = rs_data_gpa(vcpu, m, la + *first, write, stack, &gpa[1]);
	return r;
}

/*
 * @len bytes (a page at most) at linear @la to or from @data, checked as
 * a data access of the CPU's (rs_data_gpa(), @stack for SS): 0, 1 if a
 * fault is queued for the guest instead (nothing moved), or -EINVAL.
 */
int rs_linear_checked(struct rs_vcpu *vcpu, const struct rs_mode *m,
		      u64 la, void *data, unsigned int len, bool write,
		      bool stack)
{
	unsigned int first, part[2], k;
	u64 gpa[2] = { 0 };
	int r;

	r = rs_linear_gpas(vcpu, m, la, len, write, stack, gpa, &first);
	if (r)
		return r;
	part[0] = first;
	part[1] = len - first;
	for (k = 0; k < 2 && part[k]; k++) {
		if (write ? rs_write_guest(vcpu->vm, gpa[k], data, part[k]) :
			    rs_read_guest(vcpu->vm, gpa[k], data, part[k]))
			return -EINVAL;
		data += part[k];
	}
	return 0;
}
