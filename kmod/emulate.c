// SPDX-License-Identifier: GPL-2.0
/*
 * The little instruction emulation an exit needs, for both backends:
 * walking the guest's page tables, fetching the instruction at RIP,
 * decoding the MOV forms that access MMIO, so that a nested page fault
 * outside guest RAM becomes an MMIO exit (SDM vol. 2, "MOV" with a ModRM
 * operand or a moffs, "MOVZX", "MOVSX"; APM vol. 3), and moving the data
 * of string port I/O.  Anything else is reported to user space as an
 * emulation failure, never guessed at.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "rs.h"

#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)

/* What the walk and the decoder need of the segment and control state. */
struct rs_mode {
	struct rs_sregs s;
	bool long64;		/* 64-bit code segment */
	unsigned int opsize;	/* default operand size: 2 or 4 */
};

static void rs_get_mode(struct rs_vcpu *vcpu, struct rs_mode *m)
{
	rs_ops->get_sregs(vcpu, &m->s);
	m->long64 = (m->s.efer & EFER_LMA) && (m->s.cs.attr & RS_SEG_L);
	m->opsize = (m->long64 || (m->s.cs.attr & RS_SEG_DB)) &&
		    (m->s.cr0 & X86_CR0_PE) ? 4 : 2;
}

/*
 * Linear to guest-physical, as the guest's paging mode says (SDM vol. 3A,
 * 4.3-4.5): none, 32-bit (with 4 MiB pages), PAE, or 4-level.  Accessed
 * and dirty bits are left alone; the caller already saw the access fault.
 */
static int rs_gva_to_gpa(struct rs_vcpu *vcpu, const struct rs_mode *m,
			 u64 gva, u64 *gpa)
{
	const struct rs_sregs *s = &m->s;
	int levels, level;
	u64 table, pte;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}

	if (!(s->cr4 & X86_CR4_PAE)) {		/* 32-bit paging */
		u32 pte32;

		table = s->cr3 & 0xfffff000;
		if (rs_read_guest(vcpu->vm, table + ((gva >> 22) & 1023) * 4,
				  &pte32, 4) || !(pte32 & PTE_P))
			return -EFAULT;
		if ((pte32 & PTE_PS) && (s->cr4 & X86_CR4_PSE)) {
			*gpa = (pte32 & 0xffc00000) | (gva & 0x3fffff);
			return 0;
		}
		table = pte32 & 0xfffff000;
		if (rs_read_guest(vcpu->vm, table + ((gva >> 12) & 1023) * 4,
				  &pte32, 4) || !(pte32 & PTE_P))
			return -EFAULT;
		*gpa = (pte32 & 0xfffff000) | (gva & 0xfff);
		return 0;
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
		unsigned int index = (gva >> shift) & (level == 2 && levels == 3 ? 3 : 511);

		if (rs_read_guest(vcpu->vm, table + index * 8, &pte, 8) ||
		    !(pte & PTE_P))
			return -EFAULT;
		if (level && level < 3 && (pte & PTE_PS) &&
		    !(level == 2 && levels == 3)) {
			*gpa = (pte & PTE_ADDR & ~((1ULL << shift) - 1)) |
			       (gva & ((1ULL << shift) - 1));
			return 0;
		}
		table = pte & PTE_ADDR;
	}
	*gpa = table | (gva & 0xfff);
	return 0;
}

/* Read or write guest memory at a linear address, page by page. */
static int rs_access_linear(struct rs_vcpu *vcpu, const struct rs_mode *m,
			    u64 la, void *data, unsigned int len, bool write)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		u64 gpa;
		int r;

		r = rs_gva_to_gpa(vcpu, m, la, &gpa);
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

/* The decoded form of a MOV to or from memory. */
struct rs_insn {
	unsigned int len;
	unsigned int size;	/* bytes accessed */
	bool write;
	bool sign;		/* MOVSX */
	bool reg8_legacy;	/* an 8-bit register without REX: AH-BH */
	bool has_imm;		/* an immediate, not a register, is stored */
	int reg;		/* the register operand */
	unsigned int dst_size;	/* register size for loads */
	u64 imm;
};

/* Length of ModRM + SIB + displacement (SDM vol. 2, 2.1.5). */
static int rs_modrm_len(const u8 *p, unsigned int avail, bool addr16)
{
	u8 modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
	unsigned int len = 1;

	if (mod == 3)
		return -EINVAL;		/* a register, not memory */
	if (addr16) {
		if (mod == 1)
			return 2;
		if (mod == 2 || (mod == 0 && rm == 6))
			return 3;
		return 1;
	}
	if (rm == 4) {
		if (avail < 2)
			return -EINVAL;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			return len + 4;
	}
	if (mod == 1)
		return len + 1;
	if (mod == 2 || (mod == 0 && rm == 5))
		return len + 4;
	return len;
}

static int rs_decode_mov(const struct rs_mode *m, const u8 *p,
			 unsigned int avail, struct rs_insn *in)
{
	unsigned int i = 0, opsize = m->opsize;
	bool addr16, o66 = false, a67 = false;
	u8 rex = 0, op;
	int n;

	memset(in, 0, sizeof(*in));
	/* Legacy prefixes; a repeated one counts once (SDM vol. 2, 2.1.1). */
	for (; i < avail; i++) {
		if (p[i] == 0x66)
			o66 = true;
		else if (p[i] == 0x67)
			a67 = true;
		else if (p[i] != 0x2e && p[i] != 0x36 && p[i] != 0x3e &&
			 p[i] != 0x26 && p[i] != 0x64 && p[i] != 0x65)
			break;
	}
	if (o66)
		opsize = opsize == 2 ? 4 : 2;
	/* Outside 64-bit mode the default address size is the operand's. */
	addr16 = !m->long64 && (m->opsize == 2) != a67;
	if (i < avail && m->long64 && (p[i] & 0xf0) == 0x40)
		rex = p[i++];
	if (rex & 0x8)
		opsize = 8;
	if (i >= avail)
		return -EINVAL;

	op = p[i++];
	if (op == 0x0f) {
		if (i >= avail)
			return -EINVAL;
		op = p[i++];
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EINVAL;
		in->size = (op & 1) ? 2 : 1;
		in->sign = op >= 0xbe;
		in->dst_size = opsize;
	} else if (op == 0x88 || op == 0x89 || op == 0x8a || op == 0x8b) {
		in->size = (op & 1) ? opsize : 1;
		in->write = op <= 0x89;
		in->dst_size = in->size;
	} else if (op >= 0xa0 && op <= 0xa3) {
		/* AL/rAX to or from an address the size of an address */
		unsigned int asize = m->long64 ? (a67 ? 4 : 8) : addr16 ? 2 : 4;

		if (i + asize > avail)
			return -EINVAL;
		in->size = (op & 1) ? opsize : 1;
		in->write = op >= 0xa2;
		in->dst_size = in->size;
		in->reg = RS_RAX;
		in->len = i + asize;
		return 0;
	} else if (op == 0xc6 || op == 0xc7) {
		in->size = (op & 1) ? opsize : 1;
		in->write = true;
		in->has_imm = true;
	} else {
		return -EINVAL;
	}

	if (i >= avail)
		return -EINVAL;
	if (!in->has_imm) {
		in->reg = ((p[i] >> 3) & 7) | ((rex & 0x4) ? 8 : 0);
		in->reg8_legacy = in->size == 1 && !rex && in->dst_size == 1;
	} else if ((p[i] >> 3) & 7) {
		return -EINVAL;			/* C6/C7 other than /0 */
	}
	n = rs_modrm_len(p + i, avail - i, addr16);
	if (n < 0)
		return n;
	i += n;

	if (in->has_imm) {
		unsigned int isize = min(in->size, 4U);

		if (i + isize > avail)
			return -EINVAL;
		memcpy(&in->imm, p + i, isize);
		if (in->size == 8)		/* imm32, sign-extended */
			in->imm = (s64)(s32)in->imm;
		i += isize;
	}
	if (i > avail)
		return -EINVAL;
	in->len = i;
	return 0;
}

/* An 8-bit register: AL-BL are bits 7:0, AH-BH (4-7 without REX) 15:8. */
static u64 *rs_reg8(struct rs_vcpu *vcpu, const struct rs_insn *in,
		    unsigned int *shift)
{
	if (in->reg8_legacy && in->reg >= 4) {
		*shift = 8;
		return &vcpu->gpr[in->reg - 4];
	}
	*shift = 0;
	return &vcpu->gpr[in->reg];
}

/*
 * An access to guest-physical memory that no slot backs, or a write to a
 * read-only slot: decode the instruction and hand the access to user space.
 */
int rs_exit_mmio(struct rs_vcpu *vcpu, u64 gpa, bool write)
{
	struct rs_run *run = vcpu->run;
	struct rs_mode m;
	struct rs_insn in;
	u64 rip, rflags, la;
	u8 bytes[15];
	unsigned int avail, shift;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	la = m.long64 ? rip : (u32)(m.s.cs.base + rip);

	/* Fetch up to 15 bytes, fewer where the next page is not there. */
	avail = min_t(unsigned int, sizeof(bytes), PAGE_SIZE - (la & (PAGE_SIZE - 1)));
	if (rs_access_linear(vcpu, &m, la, bytes, avail, false))
		return rs_exit_emulation_failed(vcpu, gpa, rip);
	if (avail < sizeof(bytes) &&
	    !rs_access_linear(vcpu, &m, la + avail, bytes + avail,
			      sizeof(bytes) - avail, false))
		avail = sizeof(bytes);
	if (rs_decode_mov(&m, bytes, avail, &in) || in.write != write)
		return rs_exit_emulation_failed(vcpu, gpa, rip);

	run->exit_reason = RS_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = in.size;
	run->mmio.is_write = in.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (in.write) {
		u64 v = in.imm;

		if (!in.has_imm && in.size == 1)
			v = *rs_reg8(vcpu, &in, &shift) >> shift;
		else if (!in.has_imm)
			v = vcpu->gpr[in.reg];
		memcpy(run->mmio.data, &v, in.size);
	} else {
		vcpu->pending = RS_PENDING_MMIO_READ;
		vcpu->pending_insn.reg = in.reg;
		vcpu->pending_insn.size = in.size;
		vcpu->pending_insn.dst_size = in.dst_size;
		vcpu->pending_insn.sign = in.sign;
		vcpu->pending_insn.reg8_legacy = in.reg8_legacy;
	}
	rs_call(set_rip_rflags)(vcpu, m.long64 ? rip + in.len :
			       (u32)(rip + in.len), rflags);
	return RS_EXIT_USER;
}

/* The value user space read for the MMIO load lands in its register. */
void rs_complete_mmio_read(struct rs_vcpu *vcpu)
{
	const struct rs_pending_insn *p = &vcpu->pending_insn;
	struct rs_insn in = { .reg = p->reg, .reg8_legacy = p->reg8_legacy };
	u64 v = 0, *reg;
	unsigned int shift;

	memcpy(&v, vcpu->run->mmio.data, p->size);
	if (p->sign)
		v = p->size == 1 ? (u64)(s64)(s8)v : (u64)(s64)(s16)v;

	switch (p->dst_size) {
	case 1:
		reg = rs_reg8(vcpu, &in, &shift);
		*reg = (*reg & ~(0xffULL << shift)) | ((v & 0xff) << shift);
		break;
	case 2:
		reg = &vcpu->gpr[p->reg];
		*reg = (*reg & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:				/* a 32-bit result zero-extends */
		vcpu->gpr[p->reg] = (u32)v;
		break;
	default:
		vcpu->gpr[p->reg] = v;
	}
}

/*
 * INS and OUTS, with or without REP (SDM vol. 2, "INS", "OUTS"): as many
 * items as fit in the run page go to or come from user space at once.  A
 * REP that is not done yet leaves RIP on the instruction, which the guest
 * then executes again for the rest.
 */
int rs_exit_string_io(struct rs_vcpu *vcpu, u16 port, u8 size, bool in,
		      bool rep, unsigned int addr_bytes, u64 next_rip)
{
	struct rs_run *run = vcpu->run;
	unsigned int room = (PAGE_SIZE - RS_IO_DATA_OFFSET) / size;
	u64 rip, rflags, mask, count;

	/* Not every CPU reports the address size: then it is the default. */
	if (!addr_bytes) {
		struct rs_mode m;

		rs_get_mode(vcpu, &m);
		addr_bytes = m.long64 ? 8 : m.opsize;
	}
	mask = addr_bytes == 8 ? ~0ULL : (1ULL << (addr_bytes * 8)) - 1;
	count = rep ? vcpu->gpr[RS_RCX] & mask : 1;
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (!count) {
		rs_call(set_rip_rflags)(vcpu, next_rip, rflags);
		return 0;
	}

	vcpu->pending_string.count = min_t(u64, count, room);
	vcpu->pending_string.size = size;
	vcpu->pending_string.rep = rep;
	vcpu->pending_string.mask = mask;
	vcpu->pending_string.next_rip = next_rip;

	run->exit_reason = RS_EXIT_IO;
	run->io.direction = in ? RS_IO_IN : RS_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = vcpu->pending_string.count;
	run->io.data_offset = RS_IO_DATA_OFFSET;

	if (in) {
		vcpu->pending = RS_PENDING_PIO_STRING_IN;
		return RS_EXIT_USER;
	}
	if (rs_string_io_step(vcpu, RS_RSI))
		return rs_exit_emulation_failed(vcpu, 0, rip);
	return RS_EXIT_USER;
}

/*
 * Move the items between the run page and guest memory at DS:RSI (OUTS)
 * or ES:RDI (INS), and advance the index register, RCX and RIP.  With DF
 * clear, the items that follow each other in one page (and before the
 * index wraps) move with one page walk and one copy: a run page holds up
 * to 4,000 items, which must not cost 4,000 walks.  With DF set the items
 * lie in memory in the reverse of their order in the run page, and move
 * one by one.
 */
int rs_string_io_step(struct rs_vcpu *vcpu, int index_reg)
{
	struct rs_pending_string *ps = &vcpu->pending_string;
	bool out = index_reg == RS_RSI;
	u64 rip, rflags, base, *idx = &vcpu->gpr[index_reg];
	unsigned int i, n, size = ps->size;
	void *data = rs_io_data(vcpu);
	struct rs_mode m;
	int r;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	base = m.long64 ? 0 : out ? m.s.ds.base : m.s.es.base;

	for (i = 0; i < ps->count; i += n) {
		u64 at = *idx & ps->mask, la = base + at, step;

		if (!m.long64)
			la = (u32)la;
		n = 1;
		if (!(rflags & X86_EFLAGS_DF)) {
			/* Items after this one before the index wraps. */
			u64 wrap = (ps->mask - at) / size;

			n = min_t(unsigned int, ps->count - i,
				  (PAGE_SIZE - (la & ~PAGE_MASK)) / size);
			n = max(n, 1U);	/* one item across a page boundary */
			if (n - 1 > wrap)
				n = wrap + 1;
		}
		r = rs_access_linear(vcpu, &m, la, data + i * size, n * size,
				     !out);
		if (r)
			return r;
		step = (rflags & X86_EFLAGS_DF) ? -(u64)size : (u64)n * size;
		*idx = (*idx & ~ps->mask) | ((*idx + step) & ps->mask);
	}
	if (ps->rep) {
		u64 *rcx = &vcpu->gpr[RS_RCX];

		*rcx = (*rcx & ~ps->mask) | (((*rcx & ps->mask) - ps->count) & ps->mask);
		if (*rcx & ps->mask)
			return 0;		/* RIP stays: the rest next time */
	}
	rs_call(set_rip_rflags)(vcpu, ps->next_rip, rflags);
	return 0;
}

/*
 * The instruction that wrote a control register (SDM vol. 2): MOV to CRn
 * (0F 22 /r), LMSW from a register (0F 01 /6) or CLTS (0F 06); the source
 * register and the length.  LMSW from memory is not decoded.
 */
int rs_decode_cr_write(struct rs_vcpu *vcpu, enum rs_cr_write *insn, int *reg,
		       unsigned int *len)
{
	unsigned int i = 0;
	struct rs_mode m;
	u64 rip, rflags;
	u8 p[4], rex = 0;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (rs_access_linear(vcpu, &m, m.long64 ? rip : (u32)(m.s.cs.base + rip),
			     p, sizeof(p), false))
		return -EFAULT;
	if (m.long64 && (p[0] & 0xf0) == 0x40)
		rex = p[i++];
	if (p[i] != 0x0f)
		return -EINVAL;
	if (p[i + 1] == 0x06) {
		*insn = RS_CR_WRITE_CLTS;
		*reg = 0;
		*len = i + 2;
		return 0;
	}
	if ((p[i + 2] >> 6) != 3)
		return -EINVAL;
	if (p[i + 1] == 0x22)
		*insn = RS_CR_WRITE_MOV;
	else if (p[i + 1] == 0x01 && ((p[i + 2] >> 3) & 7) == 6)
		*insn = RS_CR_WRITE_LMSW;
	else
		return -EINVAL;
	*reg = (p[i + 2] & 7) | ((rex & 0x1) ? 8 : 0);
	*len = i + 3;
	return 0;
}
