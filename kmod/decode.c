// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's instruction decoder (SDM vol. 2, chapter 2 "Instruction
 * Format"): the instructions whose memory operand may be MMIO
 * (Documentation/design.rst has the table), where that operand is, and
 * the instructions that write a control register.  What it does not know
 * it does not guess at.
 */
#include <linux/kernel.h>
#include <asm/unaligned.h>

#include "emulate.h"

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

int rs_decode(const struct rs_mode *m, const u8 *p, unsigned int avail,
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
 * The linear address of the memory operand that the ModRM byte at
 * @p[in->modrm] names, for the instruction that ends at @next_rip (SDM
 * vol. 2, 2.1.5 and 2.2.1.6): base, index times scale and displacement
 * (and @adj) within the address size, RIP-relative in 64-bit mode, plus
 * the base of its segment (the override, else SS for a base of rBP or
 * rSP, else DS; only FS and GS have one in 64-bit mode); or the moffs
 * there of A0-A3.  *@ss: the segment is SS.
 */
u64 rs_operand_la(struct rs_vcpu *vcpu, const struct rs_mode *m,
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

/*
 * The instruction at @rip: up to 15 bytes, fewer where the next page is
 * not there; *@avail how many.
 */
int rs_fetch_insn(struct rs_vcpu *vcpu, const struct rs_mode *m, u64 rip,
		  u8 *p, unsigned int *avail)
{
	unsigned int n;
	u64 la;

	la = m->long64 ? rip : (u32)(m->s.cs.base + rip);
	n = min_t(unsigned int, 15, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
	if (rs_access_linear(vcpu, m, la, p, n, false))
		return -EFAULT;
	if (n < 15 && !rs_access_linear(vcpu, m, la + n, p + n, 15 - n, false))
		n = 15;
	*avail = n;
	return 0;
}

/* The legacy prefixes (SDM vol. 2, 2.1.1): how many lead @p. */
static unsigned int rs_legacy_prefixes(const u8 *p, unsigned int avail)
{
	static const u8 prefixes[] = {
		0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67,
	};
	unsigned int i = 0;

	while (i < avail && memchr(prefixes, p[i], sizeof(prefixes)))
		i++;
	return i;
}

/*
 * MOV from or to a control or debug register (0F @op /r: 20 from CRn,
 * 21 from DRn, 22 to CRn, 23 to DRn), which the CPU takes as register to
 * register whatever ModRM's mod says (AMD64 APM vol. 3, "MOV(CRn)" and
 * "MOV(DRn)"): *@num the CR or DR (ModRM.reg, plus 8 for REX.R, or for a
 * CR a LOCK prefix: AMD's CR8 outside 64-bit mode), *@reg the general
 * register (ModRM.rm, plus 8 for REX.B), *@len the instruction's length.
 */
int rs_decode_mov_crdr(struct rs_vcpu *vcpu, u8 op, int *num, int *reg,
		       unsigned int *len)
{
	unsigned int i, avail;
	struct rs_mode m;
	u8 p[15], rex = 0;
	bool lock;
	u64 rip, rflags;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (rs_fetch_insn(vcpu, &m, rip, p, &avail))
		return -EFAULT;
	i = rs_legacy_prefixes(p, avail);
	lock = memchr(p, 0xf0, i);
	if (i < avail && m.long64 && (p[i] & 0xf0) == 0x40)
		rex = p[i++];
	if (i + 3 > avail || p[i] != 0x0f || p[i + 1] != op)
		return -EINVAL;
	*num = ((p[i + 2] >> 3) & 7) | ((rex & 0x4) ? 8 : 0);
	if (lock && !(op & 1))
		*num |= 8;
	*reg = (p[i + 2] & 7) | ((rex & 0x1) ? 8 : 0);
	*len = i + 3;
	return 0;
}

/*
 * INVLPG m (0F 01 /7; SDM vol. 2, "INVLPG"): the linear address of its
 * memory operand, and its length.  A register operand is another
 * instruction (SWAPGS, RDTSCP), not decoded here.
 */
int rs_decode_invlpg(struct rs_vcpu *vcpu, u64 *la, unsigned int *len)
{
	unsigned int i, avail, j;
	struct rs_insn in;
	struct rs_mode m;
	bool addr16, a67 = false, ss = false;
	u64 rip, rflags, next_rip;
	u8 p[15];
	int n;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (rs_fetch_insn(vcpu, &m, rip, p, &avail))
		return -EFAULT;
	memset(&in, 0, sizeof(in));
	i = rs_legacy_prefixes(p, avail);
	for (j = 0; j < i; j++) {
		if (p[j] == 0x67)
			a67 = true;
		else if (p[j] != 0x66 && p[j] != 0xf0 && p[j] != 0xf2 &&
			 p[j] != 0xf3)
			in.seg = p[j];	/* the last segment override wins */
	}
	addr16 = !m.long64 && (m.opsize == 2) != a67;
	if (i < avail && m.long64 && (p[i] & 0xf0) == 0x40)
		in.rex = p[i++];
	if (i + 3 > avail || p[i] != 0x0f || p[i + 1] != 0x01 ||
	    ((p[i + 2] >> 3) & 7) != 7)
		return -EINVAL;
	in.modrm = i + 2;
	n = rs_modrm_len(p + in.modrm, avail - in.modrm, addr16);
	if (n < 0 || in.modrm + n > avail)
		return -EINVAL;
	in.addr_bytes = m.long64 ? (a67 ? 4 : 8) : addr16 ? 2 : 4;
	*len = in.modrm + n;
	next_rip = m.long64 ? rip + *len : (u32)(rip + *len);
	*la = rs_operand_la(vcpu, &m, &in, p, next_rip, 0, &ss);
	return 0;
}
