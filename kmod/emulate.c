// SPDX-License-Identifier: GPL-2.0
/*
 * The little instruction emulation an exit needs, for both backends:
 * walking the guest's page tables, fetching the instruction at RIP,
 * decoding and carrying out the instructions whose memory operand may be
 * MMIO, so that a nested page fault outside guest RAM becomes MMIO exits
 * (Documentation/design.rst has the table; SDM vol. 2, APM vol. 3), and
 * moving the data of string port I/O.  Anything else is reported to user
 * space as an emulation failure, never guessed at.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/swab.h>
#include <asm/unaligned.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/irqflags.h>
#include <asm/trapnr.h>
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
	bool vm86;		/* virtual-8086 mode: no type checks */
	unsigned int opsize;	/* default operand size: 2 or 4 */
};

static void rs_get_mode(struct rs_vcpu *vcpu, struct rs_mode *m)
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
 * The access an emulated data operand makes, and on a fault the error
 * code of its #PF (SDM vol. 3A, 4.7); RS_PF_AC is ringside's own: RFLAGS.AC,
 * which lets a supervisor access user pages under SMAP.
 */
#define RS_PF_PRESENT	BIT(0)
#define RS_PF_WRITE	BIT(1)
#define RS_PF_USER	BIT(2)
#define RS_PF_AC	BIT(31)

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
static int rs_access_linear(struct rs_vcpu *vcpu, const struct rs_mode *m,
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

/*
 * The opcodes with a memory operand that may be MMIO (SDM vol. 2, appendix
 * A): the MOV forms, MOVBE and MOVNTI, the ALU operations 00-3F and 80-83
 * (the register or an immediate with it), shifts and rotates, BT* with an
 * immediate, TEST, XCHG, XADD, CMPXCHG, SETcc and NOT/NEG/INC/DEC.  @op is
 * the byte after the prefixes (0F xx: 0x100 | xx, 0F 38 xx: 0x200 | xx),
 * @sub the ModRM reg field.  Returns false for what is not decoded; BT*
 * with a register offset is not, as its address depends on the offset.
 */
static bool rs_decode_op(const struct rs_mode *m, unsigned int op,
			 unsigned int sub, unsigned int opsize,
			 struct rs_insn *in, unsigned int *imm_bytes)
{
	unsigned int size = (op & 1) ? opsize : 1;

	in->size = size;
	in->dst_size = size;
	*imm_bytes = 0;
	if (op < 0x40 && (op & 7) < 4) {
		/* ALU r/m, reg (bit 1 clear) or reg, r/m (set) */
		in->alu = RS_ALU_ADD + (op >> 3);
		in->reg_dst = op & 2;
		in->mem_dst = !in->reg_dst && in->alu != RS_ALU_CMP;
		return true;
	}
	switch (op) {
	case 0x82:			/* 80's alias, outside 64-bit mode */
		if (m->long64)
			return false;
		fallthrough;
	case 0x80:
	case 0x81:
	case 0x83:
		in->size = op == 0x81 || op == 0x83 ? opsize : 1;
		in->dst_size = in->size;
		in->alu = RS_ALU_ADD + sub;
		in->mem_dst = in->alu != RS_ALU_CMP;
		in->has_imm = true;
		*imm_bytes = op == 0x81 ? min(in->size, 4U) : 1;
		return true;
	case 0x84:
	case 0x85:
		in->alu = RS_ALU_TEST;
		return true;
	case 0x86:
	case 0x87:
		in->alu = RS_ALU_XCHG;	/* the register gets the old value */
		in->mem_dst = true;
		return true;
	case 0x88:
	case 0x89:
		in->write = true;
		return true;
	case 0x8a:
	case 0x8b:
		return true;
	case 0xc6:
	case 0xc7:
		if (sub)
			return false;
		in->write = true;
		in->has_imm = true;
		*imm_bytes = min(size, 4U);
		return true;
	case 0xc0:			/* shifts and rotates by imm8 */
	case 0xc1:
	case 0xd0:			/* ...by 1 */
	case 0xd1:
	case 0xd2:			/* ...by CL */
	case 0xd3:
		in->alu = RS_ALU_ROL + sub;
		in->mem_dst = true;
		in->src_cl = op >= 0xd2;
		in->has_imm = op < 0xd2;
		in->imm = 1;
		*imm_bytes = op < 0xc2 ? 1 : 0;
		return true;
	case 0x69:			/* IMUL reg, r/m, imm */
	case 0x6b:
		in->size = opsize;
		in->dst_size = opsize;
		in->alu = RS_ALU_IMUL;
		in->reg_dst = true;
		in->has_imm = true;
		*imm_bytes = op == 0x6b ? 1 : min(opsize, 4U);
		return true;
	case 0xf6:
	case 0xf7:
		if (sub == 0) {
			in->alu = RS_ALU_TEST;
			in->has_imm = true;
			*imm_bytes = min(size, 4U);
		} else if (sub == 2 || sub == 3) {
			in->alu = sub == 2 ? RS_ALU_NOT : RS_ALU_NEG;
			in->mem_dst = true;
		} else {		/* MUL, IMUL, DIV, IDIV */
			in->alu = RS_ALU_MUL1 + sub - 4;
		}
		return true;
	case 0x8f:			/* POP r/m (/0; AMD's XOP otherwise) */
		if (sub)
			return false;
		fallthrough;
	case 0xff:			/* PUSH r/m (/6) */
		if (op == 0x8f || sub == 6) {
			/* 64 bits, or 16, in long mode */
			in->size = m->long64 && opsize != 2 ? 8 : opsize;
			in->alu = op == 0x8f ? RS_ALU_POP : RS_ALU_PUSH;
			return true;
		}
		fallthrough;
	case 0xfe:
		if (sub > 1)
			return false;	/* CALL, JMP */
		in->alu = sub ? RS_ALU_DEC : RS_ALU_INC;
		in->mem_dst = true;
		return true;
	case 0x140 ... 0x14f:		/* CMOVcc */
		in->size = opsize;
		in->dst_size = opsize;
		in->alu = RS_ALU_CMOV;
		in->imm = op & 0xf;
		return true;
	case 0x1a4:			/* SHLD, SHRD by imm8 or CL */
	case 0x1a5:
	case 0x1ac:
	case 0x1ad:
		in->size = opsize;
		in->dst_size = opsize;
		in->alu = op < 0x1ac ? RS_ALU_SHLD : RS_ALU_SHRD;
		in->mem_dst = true;
		in->src_cl = op & 1;
		in->has_imm = !in->src_cl;
		*imm_bytes = in->has_imm;
		return true;
	case 0x1af:			/* IMUL reg, r/m */
	case 0x1bc:			/* BSF, BSR (F3: TZCNT, LZCNT) */
	case 0x1bd:
		in->size = opsize;
		in->dst_size = opsize;
		in->alu = op == 0x1af ? RS_ALU_IMUL :
			  op == 0x1bc ? RS_ALU_BSF : RS_ALU_BSR;
		in->reg_dst = true;
		return true;
	case 0x1c7:			/* CMPXCHG8B; CMPXCHG16B with REX.W */
		if (sub != 1)
			return false;
		in->size = opsize == 8 ? 16 : 8;
		in->alu = opsize == 8 ? RS_ALU_CMPXCHG16B : RS_ALU_CMPXCHG8B;
		in->mem_dst = true;
		return true;
	case 0x190 ... 0x19f:		/* SETcc */
		in->alu = RS_ALU_SETCC;
		in->size = 1;
		in->imm = op & 0xf;
		in->write = true;
		return true;
	case 0x1b0:
	case 0x1b1:
		in->alu = RS_ALU_CMPXCHG;
		in->mem_dst = true;
		return true;
	case 0x1ba:			/* BT, BTS, BTR, BTC with imm8 */
		if (sub < 4)
			return false;
		in->size = opsize;
		in->dst_size = opsize;
		in->alu = RS_ALU_BT + sub - 4;
		in->mem_dst = sub > 4;
		in->has_imm = true;
		*imm_bytes = 1;
		return true;
	case 0x1a3:			/* BT, BTS, BTR, BTC r/m, reg */
	case 0x1ab:
	case 0x1b3:
	case 0x1bb:
		in->size = opsize;
		in->dst_size = opsize;
		in->alu = RS_ALU_BT + ((op >> 3) & 3);
		in->mem_dst = op != 0x1a3;
		in->bit_reg = true;
		return true;
	case 0x1c0:
	case 0x1c1:
		in->alu = RS_ALU_XADD;
		in->mem_dst = true;
		return true;
	case 0x1c3:			/* MOVNTI */
		in->write = true;
		return true;
	case 0x2f0:			/* MOVBE (0F 38 F0/F1) */
	case 0x2f1:
		in->size = opsize;
		in->dst_size = opsize;
		in->write = op & 1;
		in->bswap = true;
		return true;
	case 0x1b6:
	case 0x1b7:
	case 0x1be:
	case 0x1bf:
		in->size = (op & 1) ? 2 : 1;
		in->dst_size = opsize;
		in->sign = op >= 0x1be;
		return true;
	}
	return false;
}

/*
 * The SSE and AVX moves between an XMM or YMM register and memory (SDM
 * vol. 2: MOVUPS, MOVUPD, MOVSS, MOVSD, MOVAPS, MOVAPD, MOVNTPS, MOVNTPD,
 * MOVD, MOVQ, MOVDQA, MOVDQU, MOVNTDQ, MOVNTDQA, MOVLPS, MOVLPD, MOVHPS,
 * MOVHPD, and their VEX forms), and the MMX ones (MOVD, MOVQ, MOVNTQ:
 * 6E, 6F, 7E, 7F and E7 without a mandatory prefix).  @op is 0x1xx for
 * 0F xx, 0x2xx for 0F 38 xx; @pp the mandatory prefix as VEX encodes it
 * (0 none, 1 66, 2 F3, 3 F2), @l VEX.L, @w REX.W or VEX.W.  The CPU
 * raised #UD, #NM and the alignment #GP before the access, so none of
 * that is checked here.
 */
static bool rs_decode_vec_op(unsigned int op, unsigned int pp, bool l, bool w,
			     struct rs_insn *in)
{
	unsigned int wide = l ? 32 : 16;
	u8 mmx = pp ? 0 : RS_VEC_MMX;

	switch (op) {
	case 0x110:			/* MOVUPS/PD, MOVSS (F3), MOVSD (F2) */
	case 0x111:
		in->size = pp == 2 ? 4 : pp == 3 ? 8 : wide;
		break;
	case 0x112:			/* MOVLPS/PD; 16, 17: MOVHPS/PD */
	case 0x113:
	case 0x116:
	case 0x117:
		if (pp > 1 || l)
			return false;
		in->size = 8;
		in->vec |= RS_VEC_HALF | (op & 4 ? RS_VEC_HIGH : 0);
		break;
	case 0x128:			/* MOVAPS/PD */
	case 0x129:
	case 0x12b:			/* MOVNTPS/PD */
		if (pp > 1)
			return false;
		in->size = wide;
		break;
	case 0x17e:			/* F3: MOVQ xmm, m64 */
		if (pp == 2 && !l) {
			in->size = 8;
			break;
		}
		fallthrough;
	case 0x16e:			/* MOVD/MOVQ mm or (66) xmm, m and back */
		if (pp > 1 || l)
			return false;
		in->size = w ? 8 : 4;
		in->vec |= mmx;
		break;
	case 0x1d6:			/* 66: MOVQ m64, xmm */
		if (pp != 1 || l)
			return false;
		in->size = 8;
		break;
	case 0x16f:			/* MOVQ mm, 66: MOVDQA, F3: MOVDQU */
	case 0x17f:
		if (pp > 2)
			return false;
		in->size = pp ? wide : 8;
		in->vec |= mmx;
		break;
	case 0x1e7:			/* MOVNTQ, 66: MOVNTDQ */
		if (pp > 1)
			return false;
		in->size = pp ? wide : 8;
		in->vec |= mmx;
		break;
	case 0x22a:			/* 66: MOVNTDQA */
		if (pp != 1)
			return false;
		in->size = wide;
		break;
	default:
		return false;
	}
	in->write = op == 0x111 || op == 0x113 || op == 0x117 ||
		    op == 0x129 || op == 0x12b || op == 0x17f ||
		    op == 0x1d6 || op == 0x1e7 || (op == 0x17e && pp != 2);
	in->vec |= RS_VEC;
	return true;
}

/*
 * VEX (C5: two bytes, C4: three), which outside 64-bit mode is LDS or LES
 * unless the next byte's top bits are 11 (SDM vol. 2, 2.3.5).  Its R, X,
 * B and W go to in->rex as REX would have them.  No MMX instruction has a
 * VEX form (#UD).
 */
static bool rs_decode_vex(const struct rs_mode *m, const u8 *p,
			  unsigned int avail, unsigned int *i, unsigned int op,
			  struct rs_insn *in)
{
	unsigned int at = *i, map = 1;
	u8 b1, b2;

	if ((op != 0xc4 && op != 0xc5) || at + 2 >= avail ||
	    (!m->long64 && (p[at] & 0xc0) != 0xc0))
		return false;
	b1 = p[at++];
	b2 = b1;			/* C5: R vvvv L pp */
	if (op == 0xc4) {		/* C4: R X B mmmmm, W vvvv L pp */
		map = b1 & 0x1f;
		b2 = p[at++];
	}
	if ((map != 1 && map != 2) || at + 1 >= avail)
		return false;
	in->rex = 0;
	if (m->long64)
		in->rex = (~b1 >> 5 & 0x4) |
			  (op == 0xc4 ? (~b1 >> 5 & 0x3) | (b2 >> 4 & 0x8) : 0);
	if (!rs_decode_vec_op(map << 8 | p[at], b2 & 3, b2 & 4,
			      in->rex & 0x8, in) || (in->vec & RS_VEC_MMX))
		return false;
	/*
	 * VEX.vvvv names no register in these, and the CPU insists on 1111,
	 * but in VMOVLPS/PD and VMOVHPS/PD loads: the register that the
	 * other half comes from.  Outside 64-bit mode its top bit is ignored.
	 */
	if ((b2 & 0x78) != 0x78 && (!(in->vec & RS_VEC_HALF) || in->write))
		return false;
	in->vvvv = (~b2 >> 3) & (m->long64 ? 0xf : 0x7);
	in->vec |= RS_VEC_VEX;
	*i = at + 1;
	return true;
}

/* Legacy SSE: 0F xx (or 0F 38 xx) after a mandatory prefix or none. */
static bool rs_decode_sse(const u8 *p, unsigned int avail, unsigned int *i,
			  bool o66, struct rs_insn *in)
{
	unsigned int at = *i, op, pp;

	if (at + 1 >= avail)
		return false;
	op = p[at] == 0x38 ? 0x200 | p[at + 1] : 0x100 | p[at];
	/* F2 or F3 is the mandatory prefix over 66 (SDM vol. 2, 2.1.2) */
	pp = in->rep == 0xf3 ? 2 : in->rep == 0xf2 ? 3 : o66;
	if (!rs_decode_vec_op(op, pp, false, in->rex & 0x8, in))
		return false;
	in->rep = 0;
	*i = at + (op >= 0x200 ? 2 : 1);
	return true;
}

static int rs_decode(const struct rs_mode *m, const u8 *p, unsigned int avail,
		     struct rs_insn *in)
{
	unsigned int i = 0, opsize = m->opsize, op, imm_bytes = 0, sub;
	bool addr16, o66 = false, a67 = false;
	u8 rex = 0;
	int n;

	memset(in, 0, sizeof(*in));
	/*
	 * Legacy prefixes; a repeated one counts once, the last of a group
	 * wins (SDM vol. 2, 2.1.1).  LOCK changes nothing here: where it is
	 * not allowed, the CPU raised #UD before any access.
	 */
	for (; i < avail; i++) {
		if (p[i] == 0x66)
			o66 = true;
		else if (p[i] == 0x67)
			a67 = true;
		else if (p[i] == 0xf2 || p[i] == 0xf3)
			in->rep = p[i];
		else if (p[i] == 0x2e || p[i] == 0x36 || p[i] == 0x3e ||
			 p[i] == 0x26 || p[i] == 0x64 || p[i] == 0x65)
			in->seg = p[i];
		else if (p[i] != 0xf0)
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

	in->addr_bytes = m->long64 ? (a67 ? 4 : 8) : addr16 ? 2 : 4;
	in->rex = rex;
	op = p[i++];
	if (rs_decode_vex(m, p, avail, &i, op, in) ||
	    (op == 0x0f && rs_decode_sse(p, avail, &i, o66, in))) {
		if (i >= avail)
			return -EINVAL;
		in->reg = ((p[i] >> 3) & 7) | ((in->rex & 0x4) ? 8 : 0);
		goto modrm;
	}
	if (op >= 0xa4 && op <= 0xaf && op != 0xa8 && op != 0xa9) {
		/* MOVS, CMPS, STOS, LODS, SCAS (A8/A9 is TEST rAX, imm) */
		in->string = op & ~1;
		in->size = (op & 1) ? opsize : 1;
		in->addr_mask = m->long64 && !a67 ? ~0ULL :
				addr16 ? 0xffff : 0xffffffff;
		in->len = i;
		return 0;
	}
	if (op >= 0xa0 && op <= 0xa3) {
		/* AL/rAX to or from an address the size of an address */
		if (i + in->addr_bytes > avail)
			return -EINVAL;
		in->size = (op & 1) ? opsize : 1;
		in->dst_size = in->size;
		in->write = op >= 0xa2;
		in->reg = RS_RAX;
		in->moffs = true;
		in->modrm = i;
		in->len = i + in->addr_bytes;
		return 0;
	}
	if (op == 0x0f) {		/* 0F xx: 0x1xx, 0F 38 xx: 0x2xx */
		/* F2 and F3 make another instruction of most of these */
		if (i + 1 >= avail || in->rep)
			return -EINVAL;
		op = p[i] == 0x38 ? 0x200 | p[i + 1] : 0x100 | p[i];
		i += op >= 0x200 ? 2 : 1;
	}
	if (i >= avail)
		return -EINVAL;
	sub = (p[i] >> 3) & 7;
	if (!rs_decode_op(m, op, sub, opsize, in, &imm_bytes))
		return -EINVAL;
	in->reg = sub | ((rex & 0x4) ? 8 : 0);
	in->reg8_legacy = !rex;
modrm:
	in->modrm = i;
	n = rs_modrm_len(p + i, avail - i, addr16);
	if (n < 0)
		return n;
	i += n;

	if (imm_bytes) {
		if (i + imm_bytes > avail)
			return -EINVAL;
		memcpy(&in->imm, p + i, imm_bytes);
		/* sign-extended from its width; only in->size bytes count */
		in->imm = (u64)((s64)(in->imm << (64 - 8 * imm_bytes)) >>
				(64 - 8 * imm_bytes));
		i += imm_bytes;
	}
	if (i > avail)
		return -EINVAL;
	in->len = i;
	return 0;
}

/*
 * The register operand, @size bytes of it: AL-BL are bits 7:0 of RAX-RBX,
 * AH-BH (4-7 without REX) bits 15:8.
 */
static u64 rs_reg_read(struct rs_vcpu *vcpu, const struct rs_insn *in,
		       unsigned int size)
{
	if (size == 1 && in->reg8_legacy && in->reg >= 4)
		return (u8)(vcpu->gpr[in->reg - 4] >> 8);
	return vcpu->gpr[in->reg] & (size == 8 ? ~0ULL : BIT_ULL(8 * size) - 1);
}

/*
 * Write @size bytes of the register operand: 8- and 16-bit writes keep
 * the rest of the register, 32-bit ones zero-extend (SDM vol. 1, 3.4.1.1).
 */
static void rs_reg_write(struct rs_vcpu *vcpu, const struct rs_insn *in,
			 unsigned int size, u64 v)
{
	u64 *reg = &vcpu->gpr[in->reg];

	switch (size) {
	case 1:
		if (in->reg8_legacy && in->reg >= 4) {
			reg = &vcpu->gpr[in->reg - 4];
			*reg = (*reg & ~0xff00ULL) | (v & 0xff) << 8;
		} else {
			*reg = (*reg & ~0xffULL) | (v & 0xff);
		}
		break;
	case 2:
		*reg = (*reg & ~0xffffULL) | (v & 0xffff);
		break;
	case 4:
		*reg = (u32)v;
		break;
	default:
		*reg = v;
	}
}

#define RS_ARITH_FLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

/*
 * @body on the local variables dst, src and fl: the guest's arithmetic
 * flags go in through POPF, over the host's own IF, AC and the rest, which
 * stay as they are; the flags come out in fl.  What @body leaves alone
 * (CF for INC, all for NOT, all for a shift by 0) comes out as it went in.
 */
#define RS_FLAGS_ASM(body, ...)						\
	asm("push %[fl]\n\tpopf\n\t" body "\n\tpushf\n\tpop %[fl]"	\
	    : [dst] "+r"(dst), [fl] "+r"(fl) : __VA_ARGS__ : "cc")
/* @mn with the register modifier @r of the operand size (b, w, k, q). */
#define RS_BINARY(mn, r)						\
	RS_FLAGS_ASM(mn " %" #r "[src], %" #r "[dst]", [src] "r"(src))
#define RS_UNARY(mn, r)							\
	RS_FLAGS_ASM(mn " %" #r "[dst]")
#define RS_SHIFT(mn, r)							\
	RS_FLAGS_ASM(mn " %%cl, %" #r "[dst]", "c"(src))
/* SHLD, SHRD: dst, the register fill, the count in CL. */
#define RS_SHIFTD(mn, r)						\
	RS_FLAGS_ASM(mn " %%cl, %" #r "[fill], %" #r "[dst]",		\
		     "c"(src), [fill] "r"(fill))
/* MUL, IMUL, DIV, IDIV of rDX:rAX by src: the locals a and d. */
#define RS_RDX_RAX(mn, r)						\
	asm("push %[fl]\n\tpopf\n\t" mn " %" #r "[src]\n\t"		\
	    "pushf\n\tpop %[fl]"					\
	    : [fl] "+r"(fl), "+a"(a), "+d"(d) : [src] "r"(src) : "cc")

/*
 * @insn of the local size's operand size, for the assembler to take from
 * the registers; BT, BSF, IMUL reg, SHLD... have no 8-bit form.
 */
#define RS_SIZED_NO8(kind, insn) do {					\
	switch (size) {							\
	case 2:								\
		RS_##kind(#insn, w);					\
		break;							\
	case 4:								\
		RS_##kind(#insn, k);					\
		break;							\
	default:							\
		RS_##kind(#insn, q);					\
	}								\
} while (0)
#define RS_SIZED(kind, insn) do {					\
	if (size == 1)							\
		RS_##kind(#insn, b);					\
	else								\
		RS_SIZED_NO8(kind, insn);				\
} while (0)

/*
 * @alu on @dst and @src (the count of a shift, the bit of a BT) of @size
 * bytes, carried out by the host's own instruction, so that the result and
 * the flags are what hardware gives, undefined ones included.  The
 * guest's RFLAGS go in and come out with the flags the operation writes.
 */
static u64 rs_alu(enum rs_alu alu, unsigned int size, u64 dst, u64 src,
		  u64 *rflags)
{
	u64 fl = (native_save_fl() & ~RS_ARITH_FLAGS) |
		 (*rflags & RS_ARITH_FLAGS);

	switch (alu) {
	case RS_ALU_ADD:
		RS_SIZED(BINARY, add);
		break;
	case RS_ALU_OR:
		RS_SIZED(BINARY, or);
		break;
	case RS_ALU_ADC:
		RS_SIZED(BINARY, adc);
		break;
	case RS_ALU_SBB:
		RS_SIZED(BINARY, sbb);
		break;
	case RS_ALU_AND:
		RS_SIZED(BINARY, and);
		break;
	case RS_ALU_SUB:
		RS_SIZED(BINARY, sub);
		break;
	case RS_ALU_XOR:
		RS_SIZED(BINARY, xor);
		break;
	case RS_ALU_CMP:
		RS_SIZED(BINARY, cmp);
		break;
	case RS_ALU_TEST:
		RS_SIZED(BINARY, test);
		break;
	case RS_ALU_ROL:
		RS_SIZED(SHIFT, rol);
		break;
	case RS_ALU_ROR:
		RS_SIZED(SHIFT, ror);
		break;
	case RS_ALU_RCL:
		RS_SIZED(SHIFT, rcl);
		break;
	case RS_ALU_RCR:
		RS_SIZED(SHIFT, rcr);
		break;
	case RS_ALU_SHL:
	case RS_ALU_SAL:
		RS_SIZED(SHIFT, shl);
		break;
	case RS_ALU_SHR:
		RS_SIZED(SHIFT, shr);
		break;
	case RS_ALU_SAR:
		RS_SIZED(SHIFT, sar);
		break;
	case RS_ALU_BSF:
		RS_SIZED_NO8(BINARY, bsf);
		break;
	case RS_ALU_BSR:
		RS_SIZED_NO8(BINARY, bsr);
		break;
	case RS_ALU_IMUL:
		RS_SIZED_NO8(BINARY, imul);
		break;
	case RS_ALU_BT:
		RS_SIZED_NO8(BINARY, bt);
		break;
	case RS_ALU_BTS:
		RS_SIZED_NO8(BINARY, bts);
		break;
	case RS_ALU_BTR:
		RS_SIZED_NO8(BINARY, btr);
		break;
	case RS_ALU_BTC:
		RS_SIZED_NO8(BINARY, btc);
		break;
	case RS_ALU_NOT:
		RS_SIZED(UNARY, not);
		break;
	case RS_ALU_NEG:
		RS_SIZED(UNARY, neg);
		break;
	case RS_ALU_INC:
		RS_SIZED(UNARY, inc);
		break;
	case RS_ALU_DEC:
		RS_SIZED(UNARY, dec);
		break;
	default:
		WARN_ON_ONCE(1);
		return dst;
	}
	*rflags = (*rflags & ~RS_ARITH_FLAGS) | (fl & RS_ARITH_FLAGS);
	return dst;
}

/* SHLD, SHRD of @dst with @fill by @count (CL's), as rs_alu(). */
static u64 rs_shiftd(enum rs_alu alu, unsigned int size, u64 dst, u64 fill,
		     u64 src, u64 *rflags)
{
	u64 fl = (native_save_fl() & ~RS_ARITH_FLAGS) |
		 (*rflags & RS_ARITH_FLAGS);

	if (alu == RS_ALU_SHLD)
		RS_SIZED_NO8(SHIFTD, shld);
	else
		RS_SIZED_NO8(SHIFTD, shrd);
	*rflags = (*rflags & ~RS_ARITH_FLAGS) | (fl & RS_ARITH_FLAGS);
	return dst;
}

/*
 * Whether DIV or IDIV of rDX:rAX (AX for 8 bits) by @divisor raises #DE
 * (SDM vol. 2, "DIV", "IDIV"): a zero divisor, or a quotient that does not
 * fit the operand size.  Exact, as the host then executes the division.
 */
static bool rs_div_faults(bool sign, unsigned int size, u64 rax, u64 rdx,
			  u64 divisor)
{
	unsigned int bits = 8 * size;
	u64 mask = size == 8 ? ~0ULL : BIT_ULL(bits) - 1, top = BIT_ULL(bits - 1);
	u64 lo = rax & mask, hi = (size == 1 ? rax >> 8 : rdx) & mask;
	u64 d = divisor & mask, q;
	bool neg = false;

	if (!d)
		return true;
	if (sign) {			/* magnitudes, and the quotient's sign */
		neg = !(hi & top) != !(d & top);
		if (hi & top) {
			lo = -lo & mask;
			hi = (~hi + !lo) & mask;
		}
		if (d & top)
			d = -d & mask;
	}
	if (hi >= d)			/* a quotient of more than @bits bits */
		return true;
	if (!sign)
		return false;
	if (size == 8)
		asm("divq %[d]" : "=a"(q), "+d"(hi) : "a"(lo), [d] "r"(d));
	else
		q = (hi << bits | lo) / d;
	return q > (neg ? top : top - 1);
}

/*
 * MUL, IMUL (one operand), DIV or IDIV of rDX:rAX by @src, as rs_alu();
 * false for a division that raises #DE, which then changes nothing.
 */
static bool rs_mul_div(struct rs_vcpu *vcpu, enum rs_alu alu,
		       unsigned int size, u64 src, u64 *rflags)
{
	u64 fl = (native_save_fl() & ~RS_ARITH_FLAGS) |
		 (*rflags & RS_ARITH_FLAGS);
	u64 a = vcpu->gpr[RS_RAX], d = vcpu->gpr[RS_RDX];

	switch (alu) {
	case RS_ALU_MUL1:
		RS_SIZED(RDX_RAX, mul);
		break;
	case RS_ALU_IMUL1:
		RS_SIZED(RDX_RAX, imul);
		break;
	case RS_ALU_DIV:
		if (rs_div_faults(false, size, a, d, src))
			return false;
		RS_SIZED(RDX_RAX, div);
		break;
	default:
		if (rs_div_faults(true, size, a, d, src))
			return false;
		RS_SIZED(RDX_RAX, idiv);
	}
	vcpu->gpr[RS_RAX] = a;
	if (size > 1)			/* the 8-bit forms use AX alone */
		vcpu->gpr[RS_RDX] = d;
	*rflags = (*rflags & ~RS_ARITH_FLAGS) | (fl & RS_ARITH_FLAGS);
	return true;
}

/* A condition code of Jcc, SETcc, CMOVcc (SDM vol. 2, appendix B.1.4.7). */
static bool rs_cond(unsigned int cc, u64 f)
{
	bool lt = !(f & X86_EFLAGS_SF) != !(f & X86_EFLAGS_OF), r;

	switch (cc >> 1) {
	case 0:
		r = f & X86_EFLAGS_OF;
		break;
	case 1:
		r = f & X86_EFLAGS_CF;
		break;
	case 2:
		r = f & X86_EFLAGS_ZF;
		break;
	case 3:
		r = f & (X86_EFLAGS_CF | X86_EFLAGS_ZF);
		break;
	case 4:
		r = f & X86_EFLAGS_SF;
		break;
	case 5:
		r = f & X86_EFLAGS_PF;
		break;
	case 6:
		r = lt;
		break;
	default:
		r = lt || (f & X86_EFLAGS_ZF);
	}
	return r != (cc & 1);
}

static u64 rs_bswap(u64 v, unsigned int size)
{
	return size == 2 ? swab16(v) : size == 4 ? swab32(v) : swab64(v);
}

/* The source operand: an immediate, CL, or the register. */
static u64 rs_src(struct rs_vcpu *vcpu, const struct rs_insn *in)
{
	if (in->src_cl)
		return (u8)vcpu->gpr[RS_RCX];
	if (in->has_imm)
		return in->imm;
	return rs_reg_read(vcpu, in, in->size);
}

/* Hand an access of @in->size bytes at @in->gpa to user space. */
static int rs_mmio_user(struct rs_vcpu *vcpu, const struct rs_insn *in,
			bool write, u64 data)
{
	struct rs_run *run = vcpu->run;

	run->exit_reason = RS_EXIT_MMIO;
	run->mmio.phys_addr = in->gpa;
	run->mmio.len = in->size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write) {
		memcpy(run->mmio.data, &data, in->size);
	} else {
		vcpu->pending = RS_PENDING_MMIO_READ;
		vcpu->pending_insn = *in;
	}
	return RS_EXIT_USER;
}

/*
 * One part of a split access, up to 8 bytes at @gpa, for user space
 * (KVM's KVM_EXIT_MMIO splits wide accesses so too).  A store's part is
 * done once handed over; the next RS_RUN goes on from there.
 */
static int rs_mmio_part(struct rs_vcpu *vcpu, struct rs_insn *in, u64 gpa,
			unsigned int n)
{
	struct rs_run *run = vcpu->run;

	run->exit_reason = RS_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = n;
	run->mmio.is_write = in->write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	in->part = n;
	if (in->write) {
		memcpy(run->mmio.data, in->data + in->done, n);
		in->done += n;
		if (in->done == in->size)
			return RS_EXIT_USER;
	}
	vcpu->pending = in->write ? RS_PENDING_MMIO_WRITE : RS_PENDING_MMIO_READ;
	vcpu->pending_insn = *in;
	return RS_EXIT_USER;
}

/*
 * A split access (a vector one, CMPXCHG16B, one that crosses a page) of
 * in->size bytes at in->la, whose one or two pages are in in->page_gpa,
 * to or from in->data, from in->done on: in parts of up to 8 bytes, in
 * ascending address order, split where a page ends, each to or from RAM
 * at once, or to or from user space with an exit of its own.  Returns 0
 * once all moved, RS_EXIT_USER while a part is with user space.
 */
static int rs_mmio_parts(struct rs_vcpu *vcpu, struct rs_insn *in)
{
	while (in->done < in->size) {
		u64 la = in->la + in->done;
		unsigned int n = min3(8U, (unsigned int)(in->size - in->done),
				      (unsigned int)(PAGE_SIZE - (la & ~PAGE_MASK)));
		u64 gpa = in->page_gpa[(la ^ in->la) >> PAGE_SHIFT ? 1 : 0] +
			  (la & ~PAGE_MASK);
		u8 *d = in->data + in->done;

		if (in->write ? rs_write_guest(vcpu->vm, gpa, d, n) :
				rs_read_guest(vcpu->vm, gpa, d, n))
			return rs_mmio_part(vcpu, in, gpa, n);
		in->done += n;
	}
	return 0;
}

/* The bytes in in->data go to the memory operand of split @in. */
static int rs_mmio_store_data(struct rs_vcpu *vcpu, struct rs_insn *in)
{
	in->write = true;
	in->done = 0;
	return rs_mmio_parts(vcpu, in);
}

/* The result @v of @in goes to its memory operand: one access or parts. */
static int rs_mmio_store(struct rs_vcpu *vcpu, struct rs_insn *in, u64 v)
{
	if (!in->split)
		return rs_mmio_user(vcpu, in, true, v);
	memcpy(in->data, &v, sizeof(v));
	return rs_mmio_store_data(vcpu, in);
}

/*
 * An index register (RSI, RDI) or RCX of a string instruction moves by
 * @delta within the address size; a 32-bit one zero-extends, as any 32-bit
 * register write does.
 */
static void rs_string_move(u64 *reg, u64 mask, u64 delta)
{
	u64 v = (*reg + delta) & mask;

	*reg = mask == 0xffffffff ? v : (*reg & ~mask) | v;
}

/* A data operand's segment: DS, or the one that the prefix @seg names. */
static const struct rs_segment *rs_data_seg(const struct rs_mode *m, u8 seg)
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
static u64 rs_seg_base(const struct rs_mode *m, u8 seg)
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
static bool rs_seg_ok(const struct rs_mode *m, u8 seg, u64 ea,
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
static int rs_seg_check(struct rs_vcpu *vcpu, const struct rs_mode *m,
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
static int rs_linear_gpas(struct rs_vcpu *vcpu, const struct rs_mode *m,
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
 * A string element's source (@k 0: DS:rSI or the override) or its
 * destination (1: ES:rDI), checked as the CPU checks it: where it is
 * (in->str_la[@k]), and its one or two pages.  Returns as rs_data_gpa().
 */
static int rs_string_operand(struct rs_vcpu *vcpu, const struct rs_mode *m,
			     struct rs_insn *in, int k)
{
	u8 seg = k ? 0x26 : in->seg;
	u64 ea = vcpu->gpr[k ? RS_RDI : RS_RSI] & in->addr_mask;
	bool write = k && (in->string == 0xa4 || in->string == 0xaa);
	u64 *pages = in->str_pages[k];
	unsigned int first;
	int r;

	r = rs_seg_check(vcpu, m, seg, ea, in->size, write);
	if (r)
		return r;
	in->str_la[k] = rs_seg_base(m, seg) + ea;
	r = rs_linear_gpas(vcpu, m, in->str_la[k], in->size, write, seg == 0x36,
			   pages, &first);
	pages[0] &= PAGE_MASK;
	pages[1] &= PAGE_MASK;
	return r;
}

/*
 * @len bytes (a page at most) at linear @la to or from @data, checked as
 * a data access of the CPU's (rs_data_gpa(), @stack for SS): 0, 1 if a
 * fault is queued for the guest instead (nothing moved), or -EINVAL.
 */
static int rs_linear_checked(struct rs_vcpu *vcpu, const struct rs_mode *m,
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

/*
 * PUSH of the value @v read from MMIO, or POP (@push false) of *@v from
 * the stack (SDM vol. 2, "PUSH", "POP"): SS:rSP of the stack's address
 * size moves by the operand size.  Returns 0, 1 if a fault is queued for
 * the guest instead (nothing changed), or -EINVAL, also for a stack
 * outside guest RAM.
 */
static int rs_stack(struct rs_vcpu *vcpu, const struct rs_insn *in,
		    bool push, u64 *v)
{
	u64 mask, sp = vcpu->gpr[RS_RSP];
	struct rs_mode m;
	int r;

	rs_get_mode(vcpu, &m);
	mask = m.long64 ? ~0ULL : (m.s.ss.attr & RS_SEG_DB) ? 0xffffffff : 0xffff;
	if (push)
		sp -= in->size;
	r = rs_seg_check(vcpu, &m, 0x36, sp & mask, in->size, push);
	if (!r)
		r = rs_linear_checked(vcpu, &m, rs_seg_base(&m, 0x36) + (sp & mask),
				      v, in->size, push, true);
	if (r)
		return r;
	rs_string_move(&vcpu->gpr[RS_RSP], mask, push ? -(u64)in->size : in->size);
	return 0;
}

/*
 * The core carried out an instruction for the guest, or an iteration of a
 * REP string one: RIP goes to @rip (the next instruction, or the same for
 * the next iteration), the STI or MOV SS shadow it ran in is over, and a
 * guest that single-steps (@rflags.TF) gets the trap that the CPU raises
 * after each instruction and each iteration (SDM vol. 3A, 18.3.1.4).
 */
static void rs_insn_done(struct rs_vcpu *vcpu, u64 rip, u64 rflags)
{
	rs_call(set_rip_rflags)(vcpu, rip, rflags, true);
	if (unlikely(rflags & X86_EFLAGS_TF))
		rs_single_step(vcpu);
}

/*
 * @in faulted after its MMIO read, so nothing of it is done: RIP goes back
 * on it.  @r: 1 if the fault is queued for the guest, else an errno.
 */
static int rs_mmio_faulted(struct rs_vcpu *vcpu, const struct rs_insn *in,
			   u64 rflags, int r)
{
	rs_call(set_rip_rflags)(vcpu, in->rip, rflags, false);
	return r > 0 ? 0 : rs_exit_emulation_failed(vcpu, in->gpa, in->rip);
}

/*
 * CMPXCHG16B (SDM vol. 2, "CMPXCHG8B/CMPXCHG16B"): RDX:RAX against m128
 * in in->data; if equal, ZF is set and RCX:RBX written, else ZF is clear,
 * RDX:RAX gets m128, and m128 is written back, as the CPU does.
 */
static int rs_cmpxchg16b(struct rs_vcpu *vcpu, struct rs_insn *in, u64 rip,
			 u64 rflags)
{
	u64 *gpr = vcpu->gpr, m[2];

	memcpy(m, in->data, sizeof(m));
	rflags &= ~X86_EFLAGS_ZF;
	if (m[0] == gpr[RS_RAX] && m[1] == gpr[RS_RDX]) {
		rflags |= X86_EFLAGS_ZF;
		m[0] = gpr[RS_RBX];
		m[1] = gpr[RS_RCX];
	} else {
		gpr[RS_RAX] = m[0];
		gpr[RS_RDX] = m[1];
	}
	memcpy(in->data, m, sizeof(m));
	rs_insn_done(vcpu, rip, rflags);
	return rs_mmio_store_data(vcpu, in);
}

/*
 * The memory operand's value is @mem: carry out the rest of @in.  Returns
 * RS_EXIT_USER when its result goes to MMIO, 0 when it is done.
 */
static int rs_mmio_finish(struct rs_vcpu *vcpu, struct rs_insn *in,
			  u64 mem)
{
	struct rs_insn acc = { .reg = RS_RAX };
	u64 rip, rflags, src = rs_src(vcpu, in), v;

	if (in->alu == RS_ALU_MOV) {	/* a load */
		if (in->bswap)
			mem = rs_bswap(mem, in->size);
		else if (in->sign)
			mem = in->size == 1 ? (u64)(s64)(s8)mem :
					      (u64)(s64)(s16)mem;
		rs_reg_write(vcpu, in, in->dst_size, mem);
		return 0;
	}
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	switch (in->alu) {
	case RS_ALU_XCHG:
		v = src;
		rs_reg_write(vcpu, in, in->size, mem);
		break;
	case RS_ALU_XADD:
		v = rs_alu(RS_ALU_ADD, in->size, mem, src, &rflags);
		rs_reg_write(vcpu, in, in->size, mem);
		break;
	case RS_ALU_PUSH: {
		int r = rs_stack(vcpu, in, true, &mem);

		return r ? rs_mmio_faulted(vcpu, in, rflags, r) : 0;
	}
	case RS_ALU_CMPXCHG16B:
		return rs_cmpxchg16b(vcpu, in, rip, rflags);
	case RS_ALU_CMPXCHG8B:
		/* EDX:EAX against m64; ECX:EBX in if equal; ZF alone */
		v = (u32)vcpu->gpr[RS_RAX] | vcpu->gpr[RS_RDX] << 32;
		rflags &= ~X86_EFLAGS_ZF;
		if (v == mem) {
			rflags |= X86_EFLAGS_ZF;
			v = (u32)vcpu->gpr[RS_RBX] | vcpu->gpr[RS_RCX] << 32;
		} else {		/* and the read value is written back */
			vcpu->gpr[RS_RAX] = (u32)mem;
			vcpu->gpr[RS_RDX] = mem >> 32;
			v = mem;
		}
		break;
	case RS_ALU_CMOV:		/* a 32-bit one zero-extends, even if not */
		v = rs_cond(in->imm, rflags) ? mem : rs_reg_read(vcpu, in, in->size);
		rs_reg_write(vcpu, in, in->size, v);
		break;
	case RS_ALU_MUL1:
	case RS_ALU_IMUL1:
	case RS_ALU_DIV:
	case RS_ALU_IDIV:
		if (!rs_mul_div(vcpu, in->alu, in->size, mem, &rflags))
			return rs_mmio_faulted(vcpu, in, rflags,
					       rs_queue_event(vcpu, RS_EVENT_EXCEPTION,
							      X86_TRAP_DE, false, 0) ?
					       -EINVAL : 1);
		break;
	case RS_ALU_SHLD:
	case RS_ALU_SHRD:
		v = rs_shiftd(in->alu, in->size, mem, rs_reg_read(vcpu, in, in->size),
			      src, &rflags);
		break;
	case RS_ALU_CMPXCHG:
		/* A failed compare writes back what it read (SDM vol. 2). */
		rs_alu(RS_ALU_CMP, in->size, rs_reg_read(vcpu, &acc, in->size),
		       mem, &rflags);
		v = (rflags & X86_EFLAGS_ZF) ? src : mem;
		if (!(rflags & X86_EFLAGS_ZF))
			rs_reg_write(vcpu, &acc, in->size, mem);
		break;
	default:
		if (in->reg_dst) {	/* reg op= mem; CMP only compares */
			v = rs_alu(in->alu, in->size, src, mem, &rflags);
			if (in->alu != RS_ALU_CMP)
				rs_reg_write(vcpu, in, in->size, v);
		} else {		/* mem op= reg, imm or CL */
			v = rs_alu(in->alu, in->size, mem, src, &rflags);
		}
	}
	rs_insn_done(vcpu, rip, rflags);
	if (in->mem_dst)
		return rs_mmio_store(vcpu, in, v);
	return 0;
}

/*
 * The memory operand of @in is read: from user space (one access, or the
 * parts of a split one, each an exit), then the rest of it is carried out.
 */
static int rs_mmio_load(struct rs_vcpu *vcpu, struct rs_insn *in)
{
	u64 mem = 0;
	int r;

	if (!in->split)
		return rs_mmio_user(vcpu, in, false, 0);
	in->write = false;
	r = rs_mmio_parts(vcpu, in);
	if (r)
		return r;
	memcpy(&mem, in->data, min(in->size, 8U));
	return rs_mmio_finish(vcpu, in, mem);
}

/* The string operand @k (0: source, 1: destination) is the next access. */
static void rs_string_select(struct rs_insn *in, int k)
{
	in->la = in->str_la[k];
	in->page_gpa[0] = in->str_pages[k][0];
	in->page_gpa[1] = in->str_pages[k][1];
}

/*
 * One element of a string instruction (SDM vol. 2, "MOVS", "CMPS",
 * "STOS", "LODS", "SCAS"), from where @in->step says: the reads first,
 * each from RAM or, with an exit, from user space; then the operation,
 * the index registers, RCX and RIP, which stays on a REP that is not
 * done, so that the guest itself runs the elements that touch RAM; then
 * the write.  Returns RS_EXIT_USER while an access is with user space.
 */
static int rs_mmio_string(struct rs_vcpu *vcpu, struct rs_insn *in)
{
	u8 op = in->string;
	bool cmp = op == 0xa6 || op == 0xae, done = true;
	bool reads[2] = { op == 0xa4 || op == 0xa6 || op == 0xac, cmp };
	struct rs_insn acc = { .reg = RS_RAX };
	u64 rip, rflags, v = 0, delta;
	int r;

	for (; in->step < 2; in->step++) {
		/*
		 * The destination after the source is read, as the CPU goes:
		 * a fault on it comes after the source's read.
		 */
		if (in->step && op != 0xac) {
			struct rs_mode m;

			rs_get_mode(vcpu, &m);
			r = rs_string_operand(vcpu, &m, in, 1);
			if (r)
				return r > 0 ? 0 : rs_exit_emulation_failed(vcpu,
						in->gpa, in->next_rip - in->len);
		}
		if (!reads[in->step])
			continue;
		rs_string_select(in, in->step);
		in->write = false;
		r = rs_mmio_parts(vcpu, in);
		if (r)
			return r;
		in->val[in->step] = 0;
		memcpy(&in->val[in->step], in->data, in->size);
		in->done = 0;
	}

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (op == 0xa4)				/* MOVS */
		v = in->val[0];
	else if (op == 0xaa)			/* STOS */
		v = rs_reg_read(vcpu, &acc, in->size);
	else if (op == 0xac)			/* LODS */
		rs_reg_write(vcpu, &acc, in->size, in->val[0]);
	else if (op == 0xa6)			/* CMPS: [rSI] - [rDI] */
		rs_alu(RS_ALU_CMP, in->size, in->val[0], in->val[1], &rflags);
	else					/* SCAS: rAX - [rDI] */
		rs_alu(RS_ALU_CMP, in->size, rs_reg_read(vcpu, &acc, in->size),
		       in->val[1], &rflags);

	delta = (rflags & X86_EFLAGS_DF) ? -(u64)in->size : in->size;
	if (op != 0xaa && op != 0xae)
		rs_string_move(&vcpu->gpr[RS_RSI], in->addr_mask, delta);
	if (op != 0xac)
		rs_string_move(&vcpu->gpr[RS_RDI], in->addr_mask, delta);
	if (in->rep) {
		rs_string_move(&vcpu->gpr[RS_RCX], in->addr_mask, -1ULL);
		/* REPE/REPZ (F3) goes on while ZF is set, REPNE (F2) while not */
		done = !(vcpu->gpr[RS_RCX] & in->addr_mask) ||
		       (cmp && !(rflags & X86_EFLAGS_ZF) == (in->rep == 0xf3));
	}
	rs_insn_done(vcpu, done ? in->next_rip : rip, rflags);

	if (op != 0xa4 && op != 0xaa)
		return 0;
	rs_string_select(in, 1);
	memcpy(in->data, &v, sizeof(v));
	return rs_mmio_store_data(vcpu, in);
}

/*
 * The guest's x87, MMX, XMM and YMM registers are the CPU's while RS_RUN
 * runs (fpu_swap_kvm_fpstate()), unless a preemption saved them: then
 * they are loaded back first, with preemption and softirqs held off
 * until the access is done (fpregs_lock()), as KVM's kvm_fpu_get() does.
 * The YMM forms are only used for a VEX instruction, which
 * rs_mmio_vec_begin() takes only where the host has AVX.
 */
static void rs_fpregs_get(void)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

/* XMM register @reg's 16 bytes into @v. */
static void rs_xmm_get(unsigned int reg, u8 (*v)[16])
{
	switch (reg) {
	case 0:
		asm("movdqu %%xmm0, %0" : "=m"(*v));
		break;
	case 1:
		asm("movdqu %%xmm1, %0" : "=m"(*v));
		break;
	case 2:
		asm("movdqu %%xmm2, %0" : "=m"(*v));
		break;
	case 3:
		asm("movdqu %%xmm3, %0" : "=m"(*v));
		break;
	case 4:
		asm("movdqu %%xmm4, %0" : "=m"(*v));
		break;
	case 5:
		asm("movdqu %%xmm5, %0" : "=m"(*v));
		break;
	case 6:
		asm("movdqu %%xmm6, %0" : "=m"(*v));
		break;
	case 7:
		asm("movdqu %%xmm7, %0" : "=m"(*v));
		break;
	case 8:
		asm("movdqu %%xmm8, %0" : "=m"(*v));
		break;
	case 9:
		asm("movdqu %%xmm9, %0" : "=m"(*v));
		break;
	case 10:
		asm("movdqu %%xmm10, %0" : "=m"(*v));
		break;
	case 11:
		asm("movdqu %%xmm11, %0" : "=m"(*v));
		break;
	case 12:
		asm("movdqu %%xmm12, %0" : "=m"(*v));
		break;
	case 13:
		asm("movdqu %%xmm13, %0" : "=m"(*v));
		break;
	case 14:
		asm("movdqu %%xmm14, %0" : "=m"(*v));
		break;
	case 15:
		asm("movdqu %%xmm15, %0" : "=m"(*v));
		break;
	}
}

/* @v into XMM register @reg; bits 255:128 of the YMM register stay. */
static void rs_xmm_put(unsigned int reg, const u8 (*v)[16])
{
	switch (reg) {
	case 0:
		asm volatile("movdqu %0, %%xmm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("movdqu %0, %%xmm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("movdqu %0, %%xmm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("movdqu %0, %%xmm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("movdqu %0, %%xmm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("movdqu %0, %%xmm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("movdqu %0, %%xmm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("movdqu %0, %%xmm7" : : "m"(*v));
		break;
	case 8:
		asm volatile("movdqu %0, %%xmm8" : : "m"(*v));
		break;
	case 9:
		asm volatile("movdqu %0, %%xmm9" : : "m"(*v));
		break;
	case 10:
		asm volatile("movdqu %0, %%xmm10" : : "m"(*v));
		break;
	case 11:
		asm volatile("movdqu %0, %%xmm11" : : "m"(*v));
		break;
	case 12:
		asm volatile("movdqu %0, %%xmm12" : : "m"(*v));
		break;
	case 13:
		asm volatile("movdqu %0, %%xmm13" : : "m"(*v));
		break;
	case 14:
		asm volatile("movdqu %0, %%xmm14" : : "m"(*v));
		break;
	case 15:
		asm volatile("movdqu %0, %%xmm15" : : "m"(*v));
		break;
	}
}

/* YMM register @reg's 32 bytes into @v (AVX). */
static void rs_ymm_get(unsigned int reg, u8 (*v)[32])
{
	switch (reg) {
	case 0:
		asm("vmovdqu %%ymm0, %0" : "=m"(*v));
		break;
	case 1:
		asm("vmovdqu %%ymm1, %0" : "=m"(*v));
		break;
	case 2:
		asm("vmovdqu %%ymm2, %0" : "=m"(*v));
		break;
	case 3:
		asm("vmovdqu %%ymm3, %0" : "=m"(*v));
		break;
	case 4:
		asm("vmovdqu %%ymm4, %0" : "=m"(*v));
		break;
	case 5:
		asm("vmovdqu %%ymm5, %0" : "=m"(*v));
		break;
	case 6:
		asm("vmovdqu %%ymm6, %0" : "=m"(*v));
		break;
	case 7:
		asm("vmovdqu %%ymm7, %0" : "=m"(*v));
		break;
	case 8:
		asm("vmovdqu %%ymm8, %0" : "=m"(*v));
		break;
	case 9:
		asm("vmovdqu %%ymm9, %0" : "=m"(*v));
		break;
	case 10:
		asm("vmovdqu %%ymm10, %0" : "=m"(*v));
		break;
	case 11:
		asm("vmovdqu %%ymm11, %0" : "=m"(*v));
		break;
	case 12:
		asm("vmovdqu %%ymm12, %0" : "=m"(*v));
		break;
	case 13:
		asm("vmovdqu %%ymm13, %0" : "=m"(*v));
		break;
	case 14:
		asm("vmovdqu %%ymm14, %0" : "=m"(*v));
		break;
	case 15:
		asm("vmovdqu %%ymm15, %0" : "=m"(*v));
		break;
	}
}

/* @v into YMM register @reg (AVX). */
static void rs_ymm_put(unsigned int reg, const u8 (*v)[32])
{
	switch (reg) {
	case 0:
		asm volatile("vmovdqu %0, %%ymm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("vmovdqu %0, %%ymm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("vmovdqu %0, %%ymm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("vmovdqu %0, %%ymm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("vmovdqu %0, %%ymm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("vmovdqu %0, %%ymm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("vmovdqu %0, %%ymm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("vmovdqu %0, %%ymm7" : : "m"(*v));
		break;
	case 8:
		asm volatile("vmovdqu %0, %%ymm8" : : "m"(*v));
		break;
	case 9:
		asm volatile("vmovdqu %0, %%ymm9" : : "m"(*v));
		break;
	case 10:
		asm volatile("vmovdqu %0, %%ymm10" : : "m"(*v));
		break;
	case 11:
		asm volatile("vmovdqu %0, %%ymm11" : : "m"(*v));
		break;
	case 12:
		asm volatile("vmovdqu %0, %%ymm12" : : "m"(*v));
		break;
	case 13:
		asm volatile("vmovdqu %0, %%ymm13" : : "m"(*v));
		break;
	case 14:
		asm volatile("vmovdqu %0, %%ymm14" : : "m"(*v));
		break;
	case 15:
		asm volatile("vmovdqu %0, %%ymm15" : : "m"(*v));
		break;
	}
}

/*
 * MMX register @reg (REX.R names no other: SDM vol. 2, 2.2.1.2) into @v
 * with an MMX store, and @v into it with an MMX load, on the guest's own
 * registers: the CPU itself sets the x87 TOS to 0 and every tag valid,
 * as the guest's MOVD, MOVQ or MOVNTQ would (SDM vol. 1, 9.5.1), and the
 * load sets bits 79:64 to ones.  A MOVD load's @v is zero-extended.
 */
static void rs_mmx_get(unsigned int reg, u8 (*v)[8])
{
	switch (reg & 7) {
	case 0:
		asm volatile("movq %%mm0, %0" : "=m"(*v));
		break;
	case 1:
		asm volatile("movq %%mm1, %0" : "=m"(*v));
		break;
	case 2:
		asm volatile("movq %%mm2, %0" : "=m"(*v));
		break;
	case 3:
		asm volatile("movq %%mm3, %0" : "=m"(*v));
		break;
	case 4:
		asm volatile("movq %%mm4, %0" : "=m"(*v));
		break;
	case 5:
		asm volatile("movq %%mm5, %0" : "=m"(*v));
		break;
	case 6:
		asm volatile("movq %%mm6, %0" : "=m"(*v));
		break;
	case 7:
		asm volatile("movq %%mm7, %0" : "=m"(*v));
		break;
	}
}

static void rs_mmx_put(unsigned int reg, const u8 (*v)[8])
{
	switch (reg & 7) {
	case 0:
		asm volatile("movq %0, %%mm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("movq %0, %%mm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("movq %0, %%mm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("movq %0, %%mm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("movq %0, %%mm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("movq %0, %%mm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("movq %0, %%mm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("movq %0, %%mm7" : : "m"(*v));
		break;
	}
}

/*
 * An unmasked x87 exception pending (FSW.ES)?  The guest's MMX
 * instruction would have raised #MF before its access (SDM vol. 2, MOVQ),
 * and ringside's own would raise it in the host.
 */
static bool rs_x87_pending(void)
{
	u16 fsw;

	rs_fpregs_get();
	asm volatile("fnstsw %0" : "=m"(fsw));
	fpregs_unlock();
	return fsw & BIT(7);
}

/*
 * What a store writes, from its register into @v: a YMM register's 32
 * bytes, an XMM register's low 16 (MOVHPS and MOVHPD: from byte 8), or
 * an MMX register's 8.
 */
static void rs_vec_get(const struct rs_insn *in, u8 *v)
{
	u8 x[16];

	rs_fpregs_get();
	if (in->vec & RS_VEC_MMX) {
		rs_mmx_get(in->reg, (u8 (*)[8])v);
	} else if (in->size == 32) {
		rs_ymm_get(in->reg, (u8 (*)[32])v);
	} else {
		rs_xmm_get(in->reg, &x);
		memcpy(v, in->vec & RS_VEC_HIGH ? x + 8 : x, in->size);
	}
	fpregs_unlock();
}

/*
 * A load's @v into its register: an MMX register's 8 bytes, a YMM
 * register's 32, or an XMM register's 16 with bits 255:128 zeroed (VEX)
 * or left alone (legacy SSE).  MOVLPS, MOVLPD, MOVHPS and MOVHPD replace
 * bits 63:0 or 127:64 only: the other half is the register's own, or
 * with VEX that of the register VEX.vvvv names (SDM vol. 2, MOVLPS).
 */
static void rs_vec_put(const struct rs_insn *in, const u8 *v)
{
	unsigned int src = in->vec & RS_VEC_VEX ? in->vvvv : in->reg;
	u8 y[32] = { 0 };

	rs_fpregs_get();
	if (in->vec & RS_VEC_HALF) {
		rs_xmm_get(src, (u8 (*)[16])y);
		memcpy(in->vec & RS_VEC_HIGH ? y + 8 : y, v, 8);
	} else {
		memcpy(y, v, in->size == 32 ? 32 : 16);
	}
	if (in->vec & RS_VEC_MMX)
		rs_mmx_put(in->reg, (const u8 (*)[8])y);
	else if (in->size == 32 || (in->vec & RS_VEC_VEX))
		rs_ymm_put(in->reg, &y);
	else
		rs_xmm_put(in->reg, (const u8 (*)[16])y);
	fpregs_unlock();
}

/*
 * The linear address of the memory operand that the ModRM byte at
 * @p[in->modrm] names, for the instruction that ends at @next_rip (SDM
 * vol. 2, 2.1.5 and 2.2.1.6): base, index times scale and displacement
 * (and @adj) within the address size, RIP-relative in 64-bit mode, plus
 * the base of its segment (the override, else SS for a base of rBP or
 * rSP, else DS; only FS and GS have one in 64-bit mode); or the moffs
 * there of A0-A3.  *@ss: the segment is SS.
 */
static u64 rs_operand_la(struct rs_vcpu *vcpu, const struct rs_mode *m,
			 const struct rs_insn *in, const u8 *p, u64 next_rip,
			 s64 adj, bool *ss)
{
	static const s8 base16[8][2] = {
		{ RS_RBX, RS_RSI }, { RS_RBX, RS_RDI }, { RS_RBP, RS_RSI },
		{ RS_RBP, RS_RDI }, { RS_RSI, -1 }, { RS_RDI, -1 },
		{ RS_RBP, -1 }, { RS_RBX, -1 },
	};
	const u8 *q = p + in->modrm;
	u8 mod = q[0] >> 6, rm = q[0] & 7, seg = in->seg;
	u64 *gpr = vcpu->gpr, ea = 0;
	unsigned int at = 1;
	s64 disp = adj;

	if (in->moffs) {
		memcpy(&ea, q, in->addr_bytes);
	} else if (in->addr_bytes == 2) {
		if (mod == 0 && rm == 6) {
			ea = get_unaligned((u16 *)(q + 1));
		} else {
			ea = gpr[base16[rm][0]] +
			     (base16[rm][1] < 0 ? 0 : gpr[base16[rm][1]]);
			*ss = base16[rm][0] == RS_RBP;
			disp += mod == 1 ? (s8)q[1] :
				mod == 2 ? (s16)get_unaligned((u16 *)(q + 1)) : 0;
		}
		ea = (ea + disp) & 0xffff;
	} else {
		u8 b = rm;

		if (rm == 4) {			/* SIB */
			u8 index = (q[1] >> 3 & 7) | (in->rex & 0x2 ? 8 : 0);

			b = q[1] & 7;
			at = 2;
			if (index != 4)
				ea = gpr[index] << (q[1] >> 6);
		}
		if (mod == 0 && b == 5) {	/* disp32, no base */
			disp += get_unaligned((s32 *)(q + at));
			if (rm == 5 && m->long64)
				ea = next_rip;
		} else {
			ea += gpr[b | (in->rex & 0x1 ? 8 : 0)];
			*ss = !(in->rex & 0x1) && (b == 4 || b == 5);
			disp += mod == 1 ? (s8)q[at] :
				mod == 2 ? get_unaligned((s32 *)(q + at)) : 0;
		}
	}
	if (in->addr_bytes != 2) {
		ea += disp;
		if (in->addr_bytes == 4)
			ea = (u32)ea;
	}

	if (!seg && *ss)
		seg = 0x36;
	if (m->long64)
		return ea + rs_seg_base(m, seg);
	return (u32)(rs_seg_base(m, seg) + ea);
}

/*
 * A vector access, from in->done on (rs_mmio_parts()); after a load's
 * last part the register gets the bytes (a VEX load zeroes what is above
 * them), and RIP moves on.  A store moved RIP before its first part.
 */
static int rs_mmio_vec(struct rs_vcpu *vcpu, struct rs_insn *in)
{
	u64 rip, rflags;
	int r = rs_mmio_parts(vcpu, in);

	if (r || in->write)
		return r;
	memset(in->data + in->size, 0, sizeof(in->data) - in->size);
	rs_vec_put(in, in->data);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	rs_insn_done(vcpu, in->next_rip, rflags);
	return 0;
}

/*
 * The one or two pages of @in's memory operand at in->la, checked as the
 * CPU checks them (rs_linear_gpas(), @ss for SS), so that a fault on
 * either comes before anything moved; one must be the page of the nested
 * page fault at @gpa.  *@first: its bytes in the first page.  Returns as
 * rs_data_gpa().
 */
static int rs_operand_pages(struct rs_vcpu *vcpu, const struct rs_mode *m,
			    struct rs_insn *in, u64 gpa, bool write, bool ss,
			    unsigned int *first)
{
	int r;

	r = rs_linear_gpas(vcpu, m, in->la, in->size, write, ss,
			   in->page_gpa, first);
	if (r)
		return r;
	/* Another vCPU changed the page tables under the instruction? */
	if ((gpa ^ in->page_gpa[0]) & PAGE_MASK &&
	    (*first == in->size || (gpa ^ in->page_gpa[1]) & PAGE_MASK))
		return -EINVAL;
	return 0;
}

/*
 * Where a general-purpose instruction's memory operand is.  Mostly the
 * nested page fault's @gpa is where it starts: when the operand is one
 * byte, or lies in one page and the fault is not at a page's start (a
 * fault there may be the second part of one that began on the page
 * before).  Otherwise, and
 * for the bit string of BT* with a register offset, the operand is found
 * from the instruction and the guest's page tables, and one that crosses
 * a page or is wider than 8 bytes (CMPXCHG16B) moves in parts
 * (rs_mmio_parts()).  Returns as rs_data_gpa().
 */
static int rs_mmio_operand(struct rs_vcpu *vcpu, const struct rs_mode *m,
			   struct rs_insn *in, const u8 *p, u64 gpa)
{
	unsigned int off = gpa & ~PAGE_MASK, first;
	bool ss = false;
	s64 adj = 0;
	int r;

	in->gpa = gpa;
	if (in->size <= 8 && !in->bit_reg &&
	    (in->size == 1 || (off && off + in->size <= PAGE_SIZE)))
		return 0;
	if (in->bit_reg) {
		/*
		 * The signed offset picks the operand-sized word that holds
		 * the bit (SDM vol. 2, "BT": the bit string from the memory
		 * operand on); the ALU takes the offset within it.
		 */
		unsigned int bits = 8 * in->size;
		s64 bit = (s64)(rs_reg_read(vcpu, in, in->size) << (64 - bits)) >>
			  (64 - bits);

		adj = (bit >> ilog2(bits)) * in->size;
	}
	in->la = rs_operand_la(vcpu, m, in, p, in->next_rip, adj, &ss);
	if (in->size <= 8 && !in->bit_reg && !(in->la & ~PAGE_MASK) && !off)
		return 0;
	r = rs_operand_pages(vcpu, m, in, gpa, in->write || in->mem_dst, ss,
			     &first);
	if (r)
		return r;
	if (first == in->size && in->size <= 8) {
		in->gpa = in->page_gpa[0];
		return 0;
	}
	in->page_gpa[0] &= PAGE_MASK;
	in->page_gpa[1] &= PAGE_MASK;
	in->split = true;
	return 0;
}

/*
 * The start of a vector access: where its operand is (its pages checked
 * as the CPU checks them, so that a fault on either comes before anything
 * moved), which must be where the nested page fault at @gpa was, and for
 * a store the register's bytes.  Returns as rs_data_gpa().
 */
static int rs_mmio_vec_begin(struct rs_vcpu *vcpu, const struct rs_mode *m,
			     struct rs_insn *in, const u8 *p, u64 gpa)
{
	u64 avx = XFEATURE_MASK_SSE | XFEATURE_MASK_YMM;
	unsigned int first;
	bool ss = false;
	u8 v[32];
	int r;

	/*
	 * Only what the guest could run: the bytes may have changed since
	 * the exit (another vCPU), and ringside itself moves a VEX
	 * instruction's data with AVX instructions, and an MMX one's with
	 * MMX, which in the host would raise the #MF of a pending x87
	 * exception.  MMX needs no CR4.OSFXSR.  CR0.EM and CR0.TS gave the
	 * guest #UD and #NM before the access (SDM vol. 2, MOVQ, MOVUPS).
	 */
	if ((!(m->s.cr4 & X86_CR4_OSFXSR) && !(in->vec & RS_VEC_MMX)) ||
	    ((in->vec & RS_VEC_MMX) && rs_x87_pending()) ||
	    ((in->vec & RS_VEC_VEX) && (!boot_cpu_has(X86_FEATURE_AVX) ||
					!(m->s.cr4 & X86_CR4_OSXSAVE) ||
					(vcpu->xcr0 & avx) != avx)))
		return -EINVAL;
	in->next_rip = m->long64 ? in->rip + in->len : (u32)(in->rip + in->len);
	in->la = rs_operand_la(vcpu, m, in, p, in->next_rip, 0, &ss);
	r = rs_operand_pages(vcpu, m, in, gpa, in->write, ss, &first);
	if (r)
		return r;
	in->page_gpa[0] &= PAGE_MASK;
	in->page_gpa[1] &= PAGE_MASK;
	if (in->write) {
		rs_vec_get(in, v);
		memcpy(in->data, v, in->size);
	}
	return 0;
}

/*
 * Where the element's source is: DS:rSI (or the override).  Returns 0, 1
 * if a fault is queued for the guest instead, or -EINVAL.
 */
static int rs_string_begin(struct rs_vcpu *vcpu, const struct rs_mode *m,
			   struct rs_insn *in, u64 rip)
{
	in->next_rip = m->long64 ? rip + in->len : (u32)(rip + in->len);
	if (in->string == 0xaa || in->string == 0xae)
		return 0;			/* STOS, SCAS: ES:rDI only */
	return rs_string_operand(vcpu, m, in, 0);
}

/*
 * An instruction the emulator does not know: user space gets its bytes
 * too, in data[2] and data[3] (in memory order), and their number in
 * data[4], so that it can tell which it was.
 */
static int rs_exit_undecoded(struct rs_vcpu *vcpu, u64 gpa, u64 rip,
			     const u8 *bytes, unsigned int n)
{
	struct rs_run *run = vcpu->run;

	rs_exit_emulation_failed(vcpu, gpa, rip);
	memset(&run->internal.data[2], 0, 2 * sizeof(u64));
	memcpy(&run->internal.data[2], bytes, n);
	run->internal.data[4] = n;
	run->internal.ndata = 5;
	return RS_EXIT_USER;
}

/*
 * An access to guest-physical memory that no slot backs, or a write to a
 * read-only slot: decode the instruction and hand the access to user
 * space.  An operation that reads and writes memory makes two exits, a
 * read and then the write of its result; on a read-only slot it reads the
 * slot, and only the write exits.  RIP moves past the instruction now.
 */
int rs_exit_mmio(struct rs_vcpu *vcpu, u64 gpa, bool write)
{
	u64 rip, rflags, la, v = 0, rsp = vcpu->gpr[RS_RSP];
	struct rs_mode m;
	struct rs_insn in;
	u8 bytes[15];
	unsigned int avail;
	int r;

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
	if (rs_decode(&m, bytes, avail, &in))
		return rs_exit_undecoded(vcpu, gpa, rip, bytes, avail);
	in.gpa = gpa;
	in.rip = rip;
	if (in.vec) {
		r = rs_mmio_vec_begin(vcpu, &m, &in, bytes, gpa);
		if (r)
			return r > 0 ? 0 : rs_exit_emulation_failed(vcpu, gpa, rip);
		if (in.write)
			rs_insn_done(vcpu, in.next_rip, rflags);
		return rs_mmio_vec(vcpu, &in);
	}
	if (in.string) {
		r = rs_string_begin(vcpu, &m, &in, rip);
		if (r < 0)
			return rs_exit_emulation_failed(vcpu, gpa, rip);
		return r ? 0 : rs_mmio_string(vcpu, &in);
	}
	in.next_rip = m.long64 ? rip + in.len : (u32)(rip + in.len);
	if (in.alu == RS_ALU_POP) {	/* the stack's value goes to MMIO */
		r = rs_stack(vcpu, &in, false, &v);
		if (r)
			return r > 0 ? 0 : rs_exit_emulation_failed(vcpu, gpa, rip);
		in.write = true;
		in.alu = RS_ALU_MOV;
		in.has_imm = true;
		in.imm = v;
	}
	/* after POP's RSP moved: an operand based on RSP sees the new one */
	r = (write && !in.write && !in.mem_dst) || (!write && in.write) ?
	    -EINVAL : rs_mmio_operand(vcpu, &m, &in, bytes, gpa);
	if (r) {
		vcpu->gpr[RS_RSP] = rsp;	/* POP's undone */
		if (r > 0)
			return 0;
		return rs_exit_undecoded(vcpu, gpa, rip, bytes, avail);
	}

	rs_insn_done(vcpu, in.next_rip, rflags);
	if (in.alu == RS_ALU_SETCC)
		return rs_mmio_store(vcpu, &in, rs_cond(in.imm, rflags));
	if (in.write)
		return rs_mmio_store(vcpu, &in, in.bswap ?
				     rs_bswap(rs_src(vcpu, &in), in.size) :
				     rs_src(vcpu, &in));
	if (in.mem_dst && !in.split &&
	    !rs_read_guest(vcpu->vm, in.gpa, &v, in.size))
		return rs_mmio_finish(vcpu, &in, v);
	return rs_mmio_load(vcpu, &in);
}

/* User space took a store's part: on to the next. */
int rs_complete_mmio_write(struct rs_vcpu *vcpu)
{
	struct rs_insn in = vcpu->pending_insn;

	return rs_mmio_parts(vcpu, &in);
}

/* The value user space read for the instruction: carry it out. */
int rs_complete_mmio_read(struct rs_vcpu *vcpu)
{
	struct rs_insn in = vcpu->pending_insn;
	u64 v = 0;

	if (in.vec || in.split || in.string) {
		memcpy(in.data + in.done, vcpu->run->mmio.data, in.part);
		in.done += in.part;
		return in.vec ? rs_mmio_vec(vcpu, &in) :
		       in.string ? rs_mmio_string(vcpu, &in) :
		       rs_mmio_load(vcpu, &in);
	}
	memcpy(&v, vcpu->run->mmio.data, in.size);
	return rs_mmio_finish(vcpu, &in, v);
}

/*
 * The segment of OUTS's source, from the instruction between @rip and
 * @next_rip: the last segment override among its prefixes, else DS (SDM
 * vol. 2, "OUTS"); 0 if the instruction cannot be read.
 */
static u8 rs_string_io_seg(struct rs_vcpu *vcpu, const struct rs_mode *m,
			   u64 rip, u64 next_rip)
{
	unsigned int len = min_t(u64, next_rip - rip, 15), i;
	u8 p[15], seg = 0x3e;

	if (rs_access_linear(vcpu, m, m->long64 ? rip : (u32)(m->s.cs.base + rip),
			     p, len, false))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == 0x26 || p[i] == 0x2e || p[i] == 0x36 ||
		    p[i] == 0x3e || p[i] == 0x64 || p[i] == 0x65)
			seg = p[i];
		else if (p[i] != 0x66 && p[i] != 0x67 && p[i] != 0xf0 &&
			 p[i] != 0xf2 && p[i] != 0xf3)
			break;
	}
	return seg;
}

/*
 * INS and OUTS, with or without REP (SDM vol. 2, "INS", "OUTS"): as many
 * items as fit in the run page go to or come from user space at once.  A
 * REP that is not done yet leaves RIP on the instruction, which the guest
 * then executes again for the rest.
 */
int rs_exit_string_io(struct rs_vcpu *vcpu, u16 port, u8 size, bool in,
		      bool rep, unsigned int addr_bytes, u8 seg, u64 next_rip)
{
	struct rs_run *run = vcpu->run;
	unsigned int room = (PAGE_SIZE - RS_IO_DATA_OFFSET) / size;
	u64 rip, rflags, mask, count;
	int r;

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	/*
	 * Not every CPU reports the address size (then it is the default)
	 * or OUTS's segment (then the instruction's prefixes say).
	 */
	if (!addr_bytes || (!in && !seg)) {
		struct rs_mode m;

		rs_get_mode(vcpu, &m);
		if (!addr_bytes)
			addr_bytes = m.long64 ? 8 : m.opsize;
		if (!in && !seg)
			seg = rs_string_io_seg(vcpu, &m, rip, next_rip);
		if (!in && !seg)
			return rs_exit_emulation_failed(vcpu, 0, rip);
	}
	mask = addr_bytes == 8 ? ~0ULL : (1ULL << (addr_bytes * 8)) - 1;
	count = rep ? vcpu->gpr[RS_RCX] & mask : 1;
	if (!count) {
		rs_insn_done(vcpu, next_rip, rflags);
		return 0;
	}

	/* A guest that single-steps takes its trap after each item. */
	if (rflags & X86_EFLAGS_TF)
		room = 1;
	vcpu->pending_string.count = min_t(u64, count, room);
	vcpu->pending_string.size = size;
	vcpu->pending_string.rep = rep;
	vcpu->pending_string.seg = in ? 0x26 : seg;
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
	r = rs_string_io_step(vcpu, RS_RSI);
	if (r < 0)
		return rs_exit_emulation_failed(vcpu, 0, rip);
	/* A fault on the first item: the guest takes it, no port is written */
	if (!vcpu->pending_string.count)
		return 0;
	run->io.count = vcpu->pending_string.count;
	return RS_EXIT_USER;
}

/*
 * Move the items between the run page and guest memory at DS:RSI (OUTS)
 * or ES:rDI (INS), and advance the index register, RCX and RIP.  With DF
 * clear, the items that follow each other in one page (and before the
 * index wraps) move with one page walk and one copy: a run page holds up
 * to 4,000 items, which must not cost 4,000 walks.  With DF set the items
 * lie in memory in the reverse of their order in the run page, and move
 * one by one.
 *
 * The CPU checked none of these accesses: a fault it would raise on one
 * is queued for the guest (rs_linear_checked()), the items before it
 * count as done (pending_string.count says how many), RIP stays on the
 * instruction, and 1 is returned.  An INS's items from there on were read
 * from the port and are lost, as on the CPU; an OUTS writes the port with
 * the items before the fault only.
 */
int rs_string_io_step(struct rs_vcpu *vcpu, int index_reg)
{
	struct rs_pending_string *ps = &vcpu->pending_string;
	bool out = index_reg == RS_RSI;
	u8 seg = ps->seg;
	u64 rip, rflags, base, *idx = &vcpu->gpr[index_reg];
	unsigned int i, n, size = ps->size;
	void *data = rs_io_data(vcpu);
	struct rs_mode m;
	int r = 0;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	base = rs_seg_base(&m, seg);

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
		/* Up to the segment's limit, where the next item faults. */
		if (!rs_seg_ok(&m, seg, at, n * size, !out)) {
			n = 1;
			r = rs_seg_check(vcpu, &m, seg, at, size, !out);
		}
		if (!r)
			r = rs_linear_checked(vcpu, &m, la, data + i * size,
					      n * size, !out, false);
		if (r < 0)
			return r;
		if (r) {
			ps->count = i;
			break;
		}
		step = (rflags & X86_EFLAGS_DF) ? -(u64)size : (u64)n * size;
		*idx = (*idx & ~ps->mask) | ((*idx + step) & ps->mask);
	}
	if (ps->rep) {
		u64 *rcx = &vcpu->gpr[RS_RCX];

		*rcx = (*rcx & ~ps->mask) | (((*rcx & ps->mask) - ps->count) & ps->mask);
		if (!r && (*rcx & ps->mask)) {
			rs_insn_done(vcpu, rip, rflags);  /* the rest next time */
			return 0;
		}
	}
	if (!r)
		rs_insn_done(vcpu, ps->next_rip, rflags);
	return r;
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
