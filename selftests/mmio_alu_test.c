// SPDX-License-Identifier: GPL-2.0
/*
 * Arithmetic and logic on MMIO: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP in
 * both directions and with immediates (00-3B, 80/81/83), TEST (85, F6),
 * NOT, NEG (F7), INC, DEC (FE, FF), shifts and rotates by 1, imm8 and CL,
 * BT/BTS/BTR/BTC with imm8, XCHG, XADD, CMPXCHG and CMPXCHG8B (both
 * outcomes), SETcc, CMOVcc, BSF/BSR, IMUL (one, two and three operands),
 * MUL, DIV and IDIV (with the #DE of a zero divisor or a quotient too
 * large, which must be the guest's), SHLD/SHRD, PUSH and POP of memory,
 * MOVBE, MOVNTI, and LOCK.  An instruction that reads and writes memory
 * makes two exits, the read (user space answers it) and the write of the
 * result; one that only reads makes one, a store one.
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
#define ZF		0x040ULL
#define DX_IN		0x11111111ULL	/* RDX of every case: MUL, CMPXCHG8B */
#define BX_IN		0x22222222ULL	/* RBX: CMPXCHG8B's new low half */
#define FLAGS_IN	0x002ULL	/* bit 1, always set */
#define ALL_ARITH	0x8d5ULL	/* CF PF AF ZF SF OF */

struct alu_case {
	const char *insn;
	unsigned int size;
	bool reads, writes;
	uint64_t mem, reg, flags, acc;
};

/*
 * X(instruction, size, reads memory, writes memory, memory value,
 *   register, RFLAGS in, RAX).
 * %[r] is RCX (so that CH is a legacy 8-bit register: no REX, and CL is
 * the count of shifts), %[m] RDI, RAX the accumulator of CMPXCHG and MUL,
 * RDX (DX_IN) and RBX (BX_IN) the rest of CMPXCHG8B's.
 */
#define ALU_CASES(X)							\
	X("addl %k[r], (%[m])", 4, 1, 1, 0x7fffffff, 1, FLAGS_IN, 0)	\
	X("orb %b[r], (%[m])", 1, 1, 1, 0x80, 0x01, FLAGS_IN | ALL_ARITH, 0) \
	X("adcq %[r], (%[m])", 8, 1, 1, ~0ULL, 0, FLAGS_IN | CF, 0)	\
	X("sbbw %w[r], (%[m])", 2, 1, 1, 0x8000, 0, FLAGS_IN | CF, 0)	\
	X("andl (%[m]), %k[r]", 4, 1, 0, 0xf0f0f0f0,			\
	  0xffffffff0f0ff0ffULL, FLAGS_IN, 0)				\
	X("subq (%[m]), %[r]", 8, 1, 0, 1, 0, FLAGS_IN, 0)		\
	X("xorb $0x5a, (%[m])", 1, 1, 1, 0x5a, 0, FLAGS_IN | CF, 0)	\
	X("cmpl $-3, (%[m])", 4, 1, 0, 0xfffffffd, 0, FLAGS_IN, 0)	\
	X("cmpq (%[m]), %[r]", 8, 1, 0, 5, 3, FLAGS_IN, 0)		\
	X("cmpw %w[r], (%[m])", 2, 1, 0, 5, 3, FLAGS_IN, 0)		\
	X("addq $0x7fffffff, (%[m])", 8, 1, 1, 0x7fffffff80000001ULL, 0, \
	  FLAGS_IN, 0)							\
	X("subw $0x1234, (%[m])", 2, 1, 1, 0x1233, 0, FLAGS_IN, 0)	\
	X("testl %k[r], (%[m])", 4, 1, 0, 0x80000000, 0x80000001,	\
	  FLAGS_IN | CF, 0)						\
	X("testb $0x81, (%[m])", 1, 1, 0, 0x7e, 0, FLAGS_IN, 0)		\
	X("notl (%[m])", 4, 1, 1, 0x12345678, 0, FLAGS_IN | ALL_ARITH, 0) \
	X("negq (%[m])", 8, 1, 1, 0x8000000000000000ULL, 0, FLAGS_IN, 0) \
	X("incb (%[m])", 1, 1, 1, 0x7f, 0, FLAGS_IN | CF, 0)		\
	X("decw (%[m])", 2, 1, 1, 0, 0, FLAGS_IN, 0)			\
	X("xchgl %k[r], (%[m])", 4, 1, 1, 0xaabbccdd,			\
	  0x1122334455667788ULL, FLAGS_IN, 0)				\
	X("lock addl %k[r], (%[m])", 4, 1, 1, 0xffffffff, 1, FLAGS_IN, 0) \
	X("addb %%ch, (%[m])", 1, 1, 1, 0x80, 0x8000, FLAGS_IN, 0)	\
	X("orb (%[m]), %%ch", 1, 1, 0, 0x0f, 0xa0f0, FLAGS_IN, 0)	\
	X("adcl $-1, (%[m])", 4, 1, 1, 0, 0, FLAGS_IN | CF, 0)		\
	X("sbbq (%[m]), %[r]", 8, 1, 0, 1, 1, FLAGS_IN | CF, 0)		\
	X("shll $3, (%[m])", 4, 1, 1, 0x30000001, 0, FLAGS_IN, 0)	\
	X("shrb (%[m])", 1, 1, 1, 0x81, 0, FLAGS_IN, 0)			\
	X("sarw $15, (%[m])", 2, 1, 1, 0x8001, 0, FLAGS_IN, 0)		\
	X("rclq %%cl, (%[m])", 8, 1, 1, 0x8000000000000001ULL, 65,	\
	  FLAGS_IN | CF, 0)						\
	X("rcrb %%cl, (%[m])", 1, 1, 1, 0x01, 9, FLAGS_IN, 0)		\
	X("roll %%cl, (%[m])", 4, 1, 1, 0x80000000, 32,			\
	  FLAGS_IN | ALL_ARITH, 0)					\
	X("rorw $1, (%[m])", 2, 1, 1, 0x0001, 0, FLAGS_IN, 0)		\
	X("btl $31, (%[m])", 4, 1, 0, 0x80000000, 0, FLAGS_IN, 0)	\
	X("btsq $63, (%[m])", 8, 1, 1, 0, 0, FLAGS_IN | ALL_ARITH, 0)	\
	X("btrw $17, (%[m])", 2, 1, 1, 0xffff, 0, FLAGS_IN, 0)		\
	X("btcl $0, (%[m])", 4, 1, 1, 0x10, 0, FLAGS_IN, 0)		\
	X("xaddl %k[r], (%[m])", 4, 1, 1, 0xfffffff0, 0x20, FLAGS_IN, 0) \
	X("cmpxchgl %k[r], (%[m])", 4, 1, 1, 0x1234, 0x5678, FLAGS_IN,	\
	  0xffffffff00001234ULL)					\
	X("cmpxchgq %[r], (%[m])", 8, 1, 1, 0x1234, 0x5678, FLAGS_IN,	\
	  0x4321)							\
	X("lock cmpxchgb %b[r], (%[m])", 1, 1, 1, 0x80, 0x7f, FLAGS_IN, \
	  0x80)								\
	X("setb (%[m])", 1, 0, 1, 0xff, 0, FLAGS_IN | CF, 0)		\
	X("setg (%[m])", 1, 0, 1, 0xff, 0, FLAGS_IN | 0x800, 0)		\
	X("setnp (%[m])", 1, 0, 1, 0xff, 0, FLAGS_IN, 0)		\
	X("movbel (%[m]), %k[r]", 4, 1, 0, 0x11223344, ~0ULL, FLAGS_IN, 0) \
	X("movbeq %[r], (%[m])", 8, 0, 1, 0, 0x0102030405060708ULL,	\
	  FLAGS_IN, 0)							\
	X("movbew (%[m]), %w[r]", 2, 1, 0, 0xaabb, ~0ULL, FLAGS_IN, 0)	\
	X("movntil %k[r], (%[m])", 4, 0, 1, 0, 0xdeadbeefcafeULL, FLAGS_IN, 0) \
	X("cmovzl (%[m]), %k[r]", 4, 1, 0, 0x12345678, ~0ULL,		\
	  FLAGS_IN | ZF, 0)						\
	X("cmovzl (%[m]), %k[r]", 4, 1, 0, 0x12345678, ~0ULL, FLAGS_IN, 0) \
	X("cmovsq (%[m]), %[r]", 8, 1, 0, 0x8000000000000001ULL, 5,	\
	  FLAGS_IN | 0x80, 0)						\
	X("bsfl (%[m]), %k[r]", 4, 1, 0, 0x80, ~0ULL, FLAGS_IN, 0)	\
	X("bsrq (%[m]), %[r]", 8, 1, 0, 0x100000000000ULL, 0, FLAGS_IN, 0) \
	X("bsfw (%[m]), %w[r]", 2, 1, 0, 0x8000, ~0ULL, FLAGS_IN | ZF, 0) \
	X("imull (%[m]), %k[r]", 4, 1, 0, 0x10000, 0x10000, FLAGS_IN, 0) \
	X("imulw $300, (%[m]), %w[r]", 2, 1, 0, 0x7000, ~0ULL, FLAGS_IN, 0) \
	X("imulq $-7, (%[m]), %[r]", 8, 1, 0, 3, 0, FLAGS_IN, 0)	\
	X("mulb (%[m])", 1, 1, 0, 0x10, 0, FLAGS_IN, 0xffff1234)	\
	X("mulw (%[m])", 2, 1, 0, 0x1000, 0, FLAGS_IN, 0xffff1234)	\
	X("mull (%[m])", 4, 1, 0, 2, 0, FLAGS_IN, 0xffffffffffffffffULL) \
	X("imulq (%[m])", 8, 1, 0, 5, 0, FLAGS_IN, ~0ULL)		\
	X("shldl $4, %k[r], (%[m])", 4, 1, 1, 0x12345678, 0x9abcdef0,	\
	  FLAGS_IN, 0)							\
	X("shrdq %%cl, %[r], (%[m])", 8, 1, 1, 0x1122334455667788ULL,	\
	  0x0f0f0f0f0f0f0f0cULL, FLAGS_IN, 0)				\
	X("shldw %%cl, %w[r], (%[m])", 2, 1, 1, 0x8001, 0x0003,	\
	  FLAGS_IN, 0)							\
	X("divl (%[m])", 4, 1, 0, 0x20000000, 0, FLAGS_IN, 0x12345678)	\
	X("divb (%[m])", 1, 1, 0, 0x40, 0, FLAGS_IN, 0x1234)		\
	X("idivq (%[m])", 8, 1, 0, 0x8000000000000001ULL, 0, FLAGS_IN,	\
	  0x5555)							\
	X("idivw (%[m])", 2, 1, 0, 0xfff0, 0, FLAGS_IN, 0xffff8000)	\
	X("divl (%[m])", 4, 1, 0, 0, 0, FLAGS_IN, 1)			\
	X("divw (%[m])", 2, 1, 0, 0x1000, 0, FLAGS_IN, 0)		\
	X("idivb (%[m])", 1, 1, 0, 0xff, 0, FLAGS_IN, 0x8000)		\
	X("idivb (%[m])", 1, 1, 0, 0xff, 0, FLAGS_IN, 0xff80)		\
	X("idivb (%[m])", 1, 1, 0, 0x02, 0, FLAGS_IN, 0xff80)		\
	X("idivl (%[m])", 4, 1, 0, 0x80000000, 0, FLAGS_IN, 0)		\
	X("idivq (%[m])", 8, 1, 0, ~0ULL, 0, FLAGS_IN, 0)		\
	X("pushq (%[m]); popq %[r]", 8, 1, 0, 0x0102030405060708ULL, 0,	\
	  FLAGS_IN, 0)							\
	X("pushw (%[m]); popw %w[r]", 2, 1, 0, 0xbeef, ~0ULL, FLAGS_IN, 0) \
	X("pushq %[r]; popq (%[m])", 8, 0, 1, 0, 0x1112131415161718ULL,	\
	  FLAGS_IN, 0)							\
	X("pushw %w[r]; popw (%[m])", 2, 0, 1, 0, 0xabcd, FLAGS_IN, 0)	\
	X("cmpxchg8b (%[m])", 8, 1, 1, DX_IN << 32 | 0x1234, 0xcafe,	\
	  FLAGS_IN, 0x1234)						\
	X("lock cmpxchg8b (%[m])", 8, 1, 1, DX_IN << 32 | 0x1234, 0xcafe, \
	  FLAGS_IN | ZF, 0x4321)

#define TABLE_ENTRY(insn, size, reads, writes, mem, reg, flags, acc) \
	{ insn, size, reads, writes, mem, reg, flags, acc },
static const struct alu_case cases[] = { ALU_CASES(TABLE_ENTRY) };

/*
 * The instruction between POPF and PUSHF; a fault it raises (#DE) skips
 * it, with the vector in vec (RS_NO_EXCEPTION if none).
 */
#define RUN(insn, addr, reg, fl, acc, dx, bx, vec) do {			\
	register uint64_t __v asm("r10") = RS_NO_EXCEPTION;		\
	register uint64_t __e asm("r11") = 0;				\
									\
	asm volatile("push %[f]\n\tpopf\n\t"				\
		     "1: " insn "\n\t2:\n\t"				\
		     "pushf\n\tpop %[f]\n\t"				\
		     ".pushsection rs_ex_table, \"a\"\n\t"		\
		     ".quad 1b, 2b\n\t.popsection"				\
		     : [f] "+r"(fl), [r] "+c"(reg), "+a"(acc), "+d"(dx),	\
		       "+b"(bx), "+r"(__v), "+r"(__e)			\
		     : [m] "D"(addr) : "memory", "cc");			\
	(vec) = __v;							\
} while (0)

/*
 * The next case: on RAM, then (the host answers with the same value) at
 * @at; registers and flags must agree.  The host checks what was written.
 */
#define GUEST_CASE(insn, size, reads, writes, mem, reg, flags, acc) do { \
	uint64_t ram = (mem), r1 = (reg), f1 = (flags), a1 = (acc);	\
	uint64_t r2 = (reg), f2 = (flags), a2 = (acc);			\
	uint64_t d1 = DX_IN, d2 = DX_IN, b1 = BX_IN, b2 = BX_IN, v1, v2; \
									\
	RUN(insn, &ram, r1, f1, a1, d1, b1, v1);			\
	GUEST_SYNC(i);							\
	RUN(insn, at, r2, f2, a2, d2, b2, v2);				\
	GUEST_ASSERT_EQ(v1, v2);					\
	GUEST_ASSERT_EQ(f1, f2);					\
	GUEST_ASSERT_EQ(r1, r2);					\
	GUEST_ASSERT_EQ(a1, a2);					\
	GUEST_ASSERT_EQ(d1, d2);					\
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
	uint64_t ram = 0x7ffffff0, r1 = 0x10, f1 = FLAGS_IN, a1 = 0;
	uint64_t r2 = 0x10, f2 = FLAGS_IN, a2 = 0, d = 0, b = 0, v;

	RUN("addl %k[r], (%[m])", &ram, r1, f1, a1, d, b, v);
	RUN("addl %k[r], (%[m])", RO_GPA + 8, r2, f2, a2, d, b, v);
	GUEST_ASSERT_EQ(v, RS_NO_EXCEPTION);
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

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_mmio);
	run = vcpu->run;
	for (;;) {
		switch (rs_vcpu_run_mmio(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] < 0x100) {
				i = uc.args[0];
				reads = writes = 0;
				continue;
			}
			ASSERT_EQ(0x100 + i, uc.args[0]);
			mask = cases[i].size == 8 ? ~0ULL :
			       (1ULL << 8 * cases[i].size) - 1;
			EXPECT_EQ(cases[i].reads, reads)
				TH_LOG("%s", cases[i].insn);
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
		case UCALL_NONE:	/* MMIO */
			break;
		default:
			ASSERT_TRUE(false);
		}
		ASSERT_LE(0, i);
		EXPECT_EQ(MMIO, run->mmio.phys_addr);
		EXPECT_EQ(cases[i].size, run->mmio.len) TH_LOG("%s", cases[i].insn);
		if (run->mmio.is_write) {
			EXPECT_EQ(cases[i].reads, reads)
				TH_LOG("%s: write before read", cases[i].insn);
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

/* An x87 load (FLD m64: DD /0) is not emulated: user space gets its bytes. */
static void guest_fld(void)
{
	asm volatile("fldl (%0)" :: "D"(MMIO) : "memory");
	GUEST_DONE();
}

TEST(unknown_instruction_bytes)
{
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_run *run;
	struct rs_vm *vm;
	const uint8_t *code;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_fld);
	run = vcpu->run;
	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_INTERNAL_ERROR, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(RS_INTERNAL_EMULATION, run->internal.suberror);
	ASSERT_EQ(5U, run->internal.ndata);
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(MMIO, run->internal.data[0]);
	EXPECT_EQ(regs.rip, run->internal.data[1]) TH_LOG("RIP stays on it");
	EXPECT_EQ(15U, run->internal.data[4]);
	code = rs_gpa2hva(vm, regs.rip);
	EXPECT_EQ(0, memcmp(code, &run->internal.data[2], 15));
	EXPECT_EQ(0xdd, code[0]);
	EXPECT_EQ(0x07, code[1]);		/* ModRM: /0, [RDI] */
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
