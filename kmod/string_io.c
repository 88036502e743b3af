// SPDX-License-Identifier: GPL-2.0
/*
 * The data of INS and OUTS (SDM vol. 2, "INS", "OUTS"): items move between
 * guest memory and the run page, as many as fit per exit.
 */
#include <linux/kernel.h>
#include <asm/processor-flags.h>

#include "emulate.h"

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
