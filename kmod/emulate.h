/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the instruction emulator: what its files share (gva.c guest
 * memory, decode.c the decoder, alu.c the arithmetic, fpregs.c the vector
 * registers, emulate.c MMIO, string_io.c INS and OUTS).  The rest of
 * ringside calls it through rs.h: rs_exit_mmio(), rs_exit_string_io() and
 * their kin.
 */
#ifndef RS_EMULATE_H
#define RS_EMULATE_H

#include "rs.h"

/* What the walk and the decoder need of the segment and control state. */
struct rs_mode {
	struct rs_sregs s;
	bool long64;		/* 64-bit code segment */
	bool vm86;		/* virtual-8086 mode: no type checks */
	unsigned int opsize;	/* default operand size: 2 or 4 */
};

/* gva.c */
void rs_get_mode(struct rs_vcpu *vcpu, struct rs_mode *m);
int rs_access_linear(struct rs_vcpu *vcpu, const struct rs_mode *m,
		     u64 la, void *data, unsigned int len, bool write);
const struct rs_segment *rs_data_seg(const struct rs_mode *m, u8 seg);
u64 rs_seg_base(const struct rs_mode *m, u8 seg);
bool rs_seg_ok(const struct rs_mode *m, u8 seg, u64 ea,
	       unsigned int size, bool write);
int rs_seg_check(struct rs_vcpu *vcpu, const struct rs_mode *m,
		 u8 seg, u64 ea, unsigned int size, bool write);
int rs_linear_gpas(struct rs_vcpu *vcpu, const struct rs_mode *m,
		   u64 la, unsigned int len, bool write, bool stack,
		   u64 gpa[2], unsigned int *first);
int rs_linear_checked(struct rs_vcpu *vcpu, const struct rs_mode *m,
		      u64 la, void *data, unsigned int len, bool write,
		      bool stack);

/* decode.c */
int rs_fetch_insn(struct rs_vcpu *vcpu, const struct rs_mode *m, u64 rip,
		  u8 *p, unsigned int *avail);
int rs_decode(const struct rs_mode *m, const u8 *p, unsigned int avail,
	      struct rs_insn *in);
u64 rs_operand_la(struct rs_vcpu *vcpu, const struct rs_mode *m,
		  const struct rs_insn *in, const u8 *p, u64 next_rip,
		  s64 adj, bool *ss);

/* alu.c */
u64 rs_alu(enum rs_alu alu, unsigned int size, u64 dst, u64 src,
	   u64 *rflags);
u64 rs_shiftd(enum rs_alu alu, unsigned int size, u64 dst, u64 fill,
	      u64 src, u64 *rflags);
bool rs_mul_div(struct rs_vcpu *vcpu, enum rs_alu alu,
		unsigned int size, u64 src, u64 *rflags);
bool rs_cond(unsigned int cc, u64 f);

/* fpregs.c */
bool rs_x87_pending(void);
void rs_vec_get(const struct rs_insn *in, u8 *v);
void rs_vec_put(const struct rs_insn *in, const u8 *v);

/* emulate.c */
void rs_insn_done(struct rs_vcpu *vcpu, u64 rip, u64 rflags);

/*
 * An index register (RSI, RDI) or RCX of a string instruction moves by
 * @delta within the address size; a 32-bit one zero-extends, as any 32-bit
 * register write does.
 */
static inline void rs_string_move(u64 *reg, u64 mask, u64 delta)
{
	u64 v = (*reg + delta) & mask;

	*reg = mask == 0xffffffff ? v : (*reg & ~mask) | v;
}

#endif /* RS_EMULATE_H */
