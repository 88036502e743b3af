// SPDX-License-Identifier: GPL-2.0
/*
 * The arithmetic of emulated instructions, carried out by the host's own
 * instructions on the guest's operands and arithmetic flags, so that the
 * results and the flags are the hardware's to the bit, the flags that the
 * SDM leaves undefined included.
 */
#include <linux/kernel.h>
#include <asm/irqflags.h>
#include <asm/processor-flags.h>

#include "emulate.h"

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
u64 rs_alu(enum rs_alu alu, unsigned int size, u64 dst, u64 src,
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
u64 rs_shiftd(enum rs_alu alu, unsigned int size, u64 dst, u64 fill,
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
bool rs_mul_div(struct rs_vcpu *vcpu, enum rs_alu alu,
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
bool rs_cond(unsigned int cc, u64 f)
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
