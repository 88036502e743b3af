// SPDX-License-Identifier: GPL-2.0
/*
 * Carrying out an instruction whose memory operand is MMIO, for both
 * backends: a nested page fault outside guest RAM, or a write to a
 * read-only slot, becomes MMIO exits to user space, one per access or per
 * part of a split one, and RIP, the registers and the flags move as the
 * CPU would move them (Documentation/design.rst has the table; SDM vol.
 * 2, APM vol. 3).  The decoder is in decode.c, the arithmetic in alu.c,
 * guest memory in gva.c, the vector registers in fpregs.c.  What it
 * cannot do is an emulation failure for user space, never a guess.
 */
#include <linux/kernel.h>
#include <linux/swab.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "emulate.h"

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

/*
 * Is an access of @len bytes at @gpa the kernel's: the in-kernel APIC's
 * page, or a write that signals an eventfd?  Then it is done, with a
 * read's bytes in @data.
 */
static bool rs_mmio_kernel(struct rs_vcpu *vcpu, u64 gpa, unsigned int len,
			   bool write, void *data)
{
	return (vcpu->lapic && rs_lapic_mmio(vcpu, gpa, len, write, data)) ||
	       (write && rs_ioeventfd_write(vcpu->vm, false, gpa, len, data));
}

/* Hand an access of @in->size bytes at @in->gpa to user space. */
static int rs_mmio_user(struct rs_vcpu *vcpu, const struct rs_insn *in,
			bool write, u64 data)
{
	struct rs_run *run = vcpu->run;

	if (write && rs_mmio_kernel(vcpu, in->gpa, in->size, true, &data))
		return 0;
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

		if ((in->write ? rs_write_guest(vcpu->vm, gpa, d, n) :
				 rs_read_guest(vcpu->vm, gpa, d, n)) &&
		    !rs_mmio_kernel(vcpu, gpa, n, in->write, d))
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
void rs_insn_done(struct rs_vcpu *vcpu, u64 rip, u64 rflags)
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
	u64 rip, rflags, src, v;

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
	/* 16 bytes and fixed registers: no register operand to read */
	if (in->alu == RS_ALU_CMPXCHG16B)
		return rs_cmpxchg16b(vcpu, in, rip, rflags);
	src = rs_src(vcpu, in);
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

	if (!in->split) {
		if (rs_mmio_kernel(vcpu, in->gpa, in->size, false, &mem))
			return rs_mmio_finish(vcpu, in, mem);
		return rs_mmio_user(vcpu, in, false, 0);
	}
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
			   struct rs_insn *in)
{
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
	u64 rip, rflags, v = 0, rsp = vcpu->gpr[RS_RSP];
	struct rs_mode m;
	struct rs_insn in;
	u8 bytes[15];
	unsigned int avail;
	int r;

	rs_get_mode(vcpu, &m);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (rs_fetch_insn(vcpu, &m, rip, bytes, &avail))
		return rs_exit_emulation_failed(vcpu, gpa, rip);
	if (rs_decode(&m, bytes, avail, &in))
		return rs_exit_undecoded(vcpu, gpa, rip, bytes, avail);
	in.gpa = gpa;
	in.rip = rip;
	in.next_rip = m.long64 ? rip + in.len : (u32)(rip + in.len);
	if (in.vec) {
		r = rs_mmio_vec_begin(vcpu, &m, &in, bytes, gpa);
		if (r)
			return r > 0 ? 0 : rs_exit_emulation_failed(vcpu, gpa, rip);
		if (in.write)
			rs_insn_done(vcpu, in.next_rip, rflags);
		return rs_mmio_vec(vcpu, &in);
	}
	if (in.string) {
		r = rs_string_begin(vcpu, &m, &in);
		if (r < 0)
			return rs_exit_emulation_failed(vcpu, gpa, rip);
		return r ? 0 : rs_mmio_string(vcpu, &in);
	}
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
 * PUSHF, for a guest that the debugger single-steps with its own TF
 * (svm.c): the image it pushes is the guest's RFLAGS, with VM and RF clear
 * (SDM vol. 2, "PUSHF/PUSHFD/PUSHFQ"), of the operand size that 66H and
 * the mode make (64-bit mode: 8, or 2 with 66H; REX.W changes nothing).
 * In virtual-8086 mode with IOPL below 3 it is #GP(0).  Returns as an
 * exit handler.
 */
int rs_emulate_pushf(struct rs_vcpu *vcpu)
{
	unsigned int avail, i, size;
	u64 rip, rflags, v;
	struct rs_insn in = {};
	struct rs_mode m;
	bool opsize = false;
	u8 p[15];
	int r;

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	rs_get_mode(vcpu, &m);
	if (rs_fetch_insn(vcpu, &m, rip, p, &avail))
		return rs_exit_emulation_failed(vcpu, 0, rip);
	for (i = 0; i < avail && p[i] != 0x9c; i++) {
		if (p[i] == 0x66)
			opsize = true;
		else if (!(m.long64 && (p[i] & 0xf0) == 0x40) &&
			 !memchr("\xf2\xf3\x2e\x36\x3e\x26\x64\x65\x67", p[i], 9))
			break;
	}
	if (i < avail && p[i] == 0xf0) {	/* LOCK */
		rs_inject_ud(vcpu);
		return 0;
	}
	if (i == avail || p[i] != 0x9c)
		return rs_exit_emulation_failed(vcpu, 0, rip);
	if ((rflags & X86_EFLAGS_VM) && (rflags & X86_EFLAGS_IOPL) != X86_EFLAGS_IOPL) {
		rs_inject_gp(vcpu);
		return 0;
	}
	if (m.long64)
		size = opsize ? 2 : 8;
	else
		size = opsize ? 6 - m.opsize : m.opsize;
	in.size = size;
	v = rflags & ~(X86_EFLAGS_VM | X86_EFLAGS_RF);
	r = rs_stack(vcpu, &in, true, &v);
	if (r)
		return r > 0 ? 0 : rs_exit_emulation_failed(vcpu, 0, rip);
	rs_skip_instruction(vcpu, i + 1);
	return 0;
}
