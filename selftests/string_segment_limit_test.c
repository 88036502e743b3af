// SPDX-License-Identifier: GPL-2.0
/*
 * Segment limits of the string operands that the CPU did not check before
 * the exit, in real mode (the limits come from the segment caches, as in
 * "unreal" mode): MOVS and CMPS whose source is MMIO and whose ES:DI lies
 * beyond ES's limit, OUTS whose DS:SI lies beyond DS's (the I/O intercept
 * comes before the memory access), INS into an expand-down ES at or below
 * its limit.  Each must raise #GP(0) in the guest, with SI, DI and the
 * memory beyond the limit untouched and IP on the instruction, as SDM
 * vol. 2 lists for these instructions ("If a memory operand effective
 * address is outside the CS, DS, ES, FS, or GS segment limit").
 *
 * The guest is a bare real-mode vCPU: the instruction at 0x100:0, then
 * HLT; the #GP handler (IVT vector 13) writes port 0x80 and halts.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define CODE		0x1000
#define HANDLER		0x3000
#define BUF		0x20000
#define STACK_TOP	0x8000
#define PORT		0x99

#define DATA_ATTR	(RS_SEG_P | RS_SEG_S | 0x3)	/* read/write */
#define DOWN_ATTR	(RS_SEG_P | RS_SEG_S | 0x7)	/* ...expand-down */

struct limit_case {
	const char *name;
	uint8_t insn;
	uint64_t ds_base;
	uint32_t ds_limit;
	uint16_t es_attr;
	uint32_t es_limit;
	uint16_t si, di;
	bool port_first;	/* INS: the port is read before the check */
};

static const struct limit_case cases[] = {
	{ "movsb", 0xa4, RS_MMIO_GPA, 0xffff, DATA_ATTR, 0x0f, 0, 0x10, false },
	{ "cmpsb", 0xa6, RS_MMIO_GPA, 0xffff, DATA_ATTR, 0x0f, 0, 0x10, false },
	{ "movsb", 0xa4, RS_MMIO_GPA, 0xffff, DATA_ATTR, 0x10, 0, 0x10, false },
	{ "outsb", 0x6e, BUF, 0x0f, DATA_ATTR, 0xffff, 0x10, 0, false },
	{ "insb", 0x6c, BUF, 0xffff, DOWN_ATTR, 0x0fff, 0, 0x0800, true },
};

/*
 * Runs @c and checks what follows the instruction (after the MMIO read of
 * MOVS/CMPS, answered with 0x5a, and the port read of INS): the #GP
 * handler's OUT, with nothing changed, or for a case within the limits
 * the HLT after it, with the byte moved.
 */
static void run_case(struct __test_metadata *_metadata,
		     const struct limit_case *c)
{
	struct rs_vcpu *vcpu;
	struct rs_sregs s;
	struct rs_regs r;
	struct rs_run *run;
	struct rs_vm *vm;
	uint8_t *mem;
	uint16_t *frame;
	char buf[256];
	bool limit_ok = c->es_attr == DATA_ATTR && c->di <= c->es_limit &&
			c->si <= c->ds_limit;

	vm = rs_vm_create_bare();
	mem = rs_vm_add_region(vm, 0, 0, 0, 1 << 20);
	vcpu = rs_vcpu_create_bare(vm, 0);
	run = vcpu->run;

	mem[CODE] = c->insn;
	mem[CODE + 1] = 0xf4;				/* hlt */
	mem[HANDLER] = 0xe6;				/* out %al, $0x80 */
	mem[HANDLER + 1] = 0x80;
	mem[HANDLER + 2] = 0xf4;
	*(uint16_t *)(mem + 13 * 4) = HANDLER;		/* IVT: 0:HANDLER */
	*(uint16_t *)(mem + 13 * 4 + 2) = 0;
	memset(mem + BUF, 0xee, 0x1000);

	rs_vcpu_sregs_get(vcpu, &s);
	rs_seg_set(&s.cs, CODE >> 4, RS_SEG_P | RS_SEG_S | 0xb, CODE, 0xffff);
	rs_seg_set(&s.ss, 0, DATA_ATTR, 0, 0xffff);
	rs_seg_set(&s.ds, c->ds_base < 0x100000 ? c->ds_base >> 4 : 0, DATA_ATTR,
		   c->ds_base, c->ds_limit);
	rs_seg_set(&s.es, BUF >> 4, c->es_attr, BUF, c->es_limit);
	s.idt.base = 0;
	s.idt.limit = 0x3ff;
	rs_vcpu_sregs_set(vcpu, &s);
	rs_vcpu_regs_get(vcpu, &r);
	r.rip = 0;
	r.rsi = c->si;
	r.rdi = c->di;
	r.rdx = PORT;
	r.rax = 0;
	r.rsp = STACK_TOP;
	r.rflags = 0x2;
	rs_vcpu_regs_set(vcpu, &r);

	rs_vcpu_run(vcpu);
	if (c->insn == 0xa4 || c->insn == 0xa6) {	/* the source's read */
		ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		EXPECT_FALSE(run->mmio.is_write);
		memset(run->mmio.data, 0x5a, sizeof(run->mmio.data));
		rs_vcpu_run(vcpu);
	}
	if (c->port_first) {
		ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		EXPECT_EQ(PORT, run->io.port);
		*(uint8_t *)rs_io_data(vcpu) = 0x77;
		rs_vcpu_run(vcpu);
	}
	if (limit_ok) {			/* the control: it just runs */
		EXPECT_EQ(RS_EXIT_HLT, run->exit_reason)
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		EXPECT_EQ(0x5a, mem[BUF + c->di]);
		rs_vm_free(vm);
		return;
	}
	ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
		TH_LOG("%s: %s", c->name, rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(0x80, run->io.port) TH_LOG("%s: #GP, not the port", c->name);

	rs_vcpu_regs_get(vcpu, &r);
	EXPECT_EQ(c->si, r.rsi);
	EXPECT_EQ(c->di, r.rdi);
	EXPECT_EQ(STACK_TOP - 6, r.rsp) TH_LOG("%s: no error code", c->name);
	frame = (uint16_t *)(mem + STACK_TOP - 6);
	EXPECT_EQ(0, frame[0]) TH_LOG("%s: IP on the instruction", c->name);
	EXPECT_EQ(CODE >> 4, frame[1]);
	EXPECT_EQ(0xee, mem[BUF + c->di]) TH_LOG("%s: nothing written", c->name);
	rs_vm_free(vm);
}

TEST(string_operands_beyond_segment_limits)
{
	unsigned int i;

	RS_REQUIRE_VM();
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(_metadata, &cases[i]);
}

TEST_HARNESS_MAIN
