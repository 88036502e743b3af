// SPDX-License-Identifier: GPL-2.0
/*
 * Arithmetic and logic on MMIO: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP in
 * both directions and with immediates (00-3B, 80/81/83), TEST (85, F6),
 * NOT, NEG (F7), INC, DEC (FE, FF), XCHG (87) and LOCK.  An instruction
 * that reads and writes memory makes two exits, the read (user space
 * answers it) and the write of the result; one that only reads makes one.
 *
 * The guest runs each instruction twice with the same register, flags and
 * memory value: on RAM, where the CPU itself computes, then on MMIO, where
 * ringside does.  Result register and RFLAGS must agree to the bit, the
 * undefined flags included, and the value written to MMIO must be what
 * the RAM copy holds.  On a read-only slot the read comes from the slot
 * and only the write exits.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MMIO		(RS_MMIO_GPA + 0x100)
#define RO_SLOT		1
#define RO_GPA		0x80000000ULL

#define CF		0x001ULL
#define FLAGS_IN	0x002ULL	/* bit 1, always set */
#define ALL_ARITH	0x8d5ULL	/* CF PF AF ZF SF OF */

struct alu_case {
	const char *insn;
	unsigned int size;
	bool writes;
	uint64_t mem, reg, flags;
};

/*
 * X(instruction, size, writes memory, memory value, register, RFLAGS in).
 * %[r] is RCX (so that CH is a legacy 8-bit register: no REX), %[m] RDI.
 */
#define ALU_CASES(X)							\
	X("addl %k[r], (%[m])", 4, true, 0x7fffffff, 1, FLAGS_IN)	\
	X("orb %b[r], (%[m])", 1, true, 0x80, 0x01, FLAGS_IN | ALL_ARITH) \
	X("adcq %[r], (%[m])", 8, true, ~0ULL, 0, FLAGS_IN | CF)	\
	X("sbbw %w[r], (%[m])", 2, true, 0x8000, 0, FLAGS_IN | CF)	\
	X("andl (%[m]), %k[r]", 4, false, 0xf0f0f0f0,			\
	  0xffffffff0f0ff0ffULL, FLAGS_IN)				\
	X("subq (%[m]), %[r]", 8, false, 1, 0, FLAGS_IN)		\
	X("xorb $0x5a, (%[m])", 1, true, 0x5a, 0, FLAGS_IN | CF)	\
	X("cmpl $-3, (%[m])", 4, false, 0xfffffffd, 0, FLAGS_IN)	\
	X("cmpq (%[m]), %[r]", 8, false, 5, 3, FLAGS_IN)		\
	X("cmpw %w[r], (%[m])", 2, false, 5, 3, FLAGS_IN)		\
	X("addq $0x7fffffff, (%[m])", 8, true, 0x7fffffff80000001ULL, 0, \
	  FLAGS_IN)							\
	X("subw $0x1234, (%[m])", 2, true, 0x1233, 0, FLAGS_IN)		\
	X("testl %k[r], (%[m])", 4, false, 0x80000000, 0x80000001,	\
	  FLAGS_IN | CF)						\
	X("testb $0x81, (%[m])", 1, false, 0x7e, 0, FLAGS_IN)		\
	X("notl (%[m])", 4, true, 0x12345678, 0, FLAGS_IN | ALL_ARITH)	\
	X("negq (%[m])", 8, true, 0x8000000000000000ULL, 0, FLAGS_IN)	\
	X("incb (%[m])", 1, true, 0x7f, 0, FLAGS_IN | CF)		\
	X("decw (%[m])", 2, true, 0, 0, FLAGS_IN)			\
	X("xchgl %k[r], (%[m])", 4, true, 0xaabbccdd,			\
	  0x1122334455667788ULL, FLAGS_IN)				\
	X("lock addl %k[r], (%[m])", 4, true, 0xffffffff, 1, FLAGS_IN)	\
	X("addb %%ch, (%[m])", 1, true, 0x80, 0x8000, FLAGS_IN)		\
	X("orb (%[m]), %%ch", 1, false, 0x0f, 0xa0f0, FLAGS_IN)		\
	X("adcl $-1, (%[m])", 4, true, 0, 0, FLAGS_IN | CF)		\
	X("sbbq (%[m]), %[r]", 8, false, 1, 1, FLAGS_IN | CF)

#define TABLE_ENTRY(insn, size, writes, mem, reg, flags) \
	{ insn, size, writes, mem, reg, flags },
static const struct alu_case cases[] = { ALU_CASES(TABLE_ENTRY) };

#define RUN(insn, addr, reg, fl)					\
	asm volatile("push %[f]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]"	\
		     : [f] "+r"(fl), [r] "+c"(reg) : [m] "D"(addr)	\
		     : "memory", "cc")

/*
 * The next case: on RAM, then (the host answers with the same value) at
 * @at; registers and flags must agree.  The host checks what was written.
 */
#define GUEST_CASE(insn, size, writes, mem, reg, flags) do {		\
	uint64_t ram = (mem), r1 = (reg), f1 = (flags);			\
	uint64_t r2 = (reg), f2 = (flags);				\
									\
	RUN(insn, &ram, r1, f1);					\
	GUEST_SYNC(i);							\
	RUN(insn, at, r2, f2);						\
	GUEST_ASSERT_EQ(f1, f2);					\
	GUEST_ASSERT_EQ(r1, r2);					\
	GUEST_SYNC_ARGS(0x100 + i, ram, 0, 0);				\
	i++;								\
} while (0);

static void guest_mmio(void)
{
	uint64_t at = MMIO;
	int i = 0;

	ALU_CASES(GUEST_CASE)
	GUEST_DONE();
}

/* A read-modify-write of a read-only slot: only the write exits. */
static void guest_rom(void)
{
	uint64_t ram = 0x7ffffff0, r1 = 0x10, f1 = FLAGS_IN;
	uint64_t r2 = 0x10, f2 = FLAGS_IN;

	RUN("addl %k[r], (%[m])", &ram, r1, f1);
	RUN("addl %k[r], (%[m])", RO_GPA + 8, r2, f2);
	GUEST_ASSERT_EQ(f1, f2);
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(RO_GPA + 8), 0x7ffffff0);
	GUEST_DONE();
}

/*
 * Runs guest_mmio: answers each case's reads with its value, and checks
 * that it made one read and, if it writes, one write of what the guest
 * computed on RAM.
 */
TEST(alu_on_mmio)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	struct ucall uc;
	int i = -1, reads = 0, writes = 0;
	uint64_t written = 0, mask;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_mmio);
	run = vcpu->run;
	for (;;) {
		rs_vcpu_run(vcpu);
		switch (rs_get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] < 0x100) {
				i = uc.args[0];
				reads = writes = 0;
				continue;
			}
			ASSERT_EQ(0x100 + i, uc.args[0]);
			mask = cases[i].size == 8 ? ~0ULL :
			       (1ULL << 8 * cases[i].size) - 1;
			EXPECT_EQ(1, reads) TH_LOG("%s", cases[i].insn);
			EXPECT_EQ(cases[i].writes, writes)
				TH_LOG("%s", cases[i].insn);
			if (cases[i].writes)
				EXPECT_EQ(uc.args[1] & mask, written)
					TH_LOG("%s wrote %#llx", cases[i].insn,
					       (unsigned long long)written);
			continue;
		case UCALL_DONE:
			EXPECT_EQ((int)ARRAY_SIZE(cases) - 1, i);
			rs_vm_free(vm);
			return;
		case UCALL_NONE:
			break;
		default:
			ASSERT_TRUE(false);
		}
		ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
			TH_LOG("case %d: %s", i,
			       rs_exit_describe(vcpu, buf, sizeof(buf)));
		ASSERT_LE(0, i);
		EXPECT_EQ(MMIO, run->mmio.phys_addr);
		EXPECT_EQ(cases[i].size, run->mmio.len) TH_LOG("%s", cases[i].insn);
		if (run->mmio.is_write) {
			EXPECT_EQ(1, reads) TH_LOG("%s: write before read",
						   cases[i].insn);
			writes++;
			written = 0;
			memcpy(&written, run->mmio.data, run->mmio.len);
		} else {
			reads++;
			memcpy(run->mmio.data, &cases[i].mem, sizeof(run->mmio.data));
		}
	}
}

TEST(alu_on_readonly_slot)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	uint64_t seen = 0;
	uint32_t *ro;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_rom);
	run = vcpu->run;
	ro = rs_vm_add_region(vm, RO_SLOT, RS_MEM_READONLY, RO_GPA, 4096);
	ro[2] = 0x7ffffff0;

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(RO_GPA + 8, run->mmio.phys_addr);
	EXPECT_EQ(4U, run->mmio.len);
	EXPECT_TRUE(run->mmio.is_write) TH_LOG("the read comes from the slot");
	memcpy(&seen, run->mmio.data, 4);
	EXPECT_EQ(0x80000000ULL, seen);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
