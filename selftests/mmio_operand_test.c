// SPDX-License-Identifier: GPL-2.0
/*
 * Where an MMIO operand is, when the nested page fault's address alone
 * does not say: an operand that crosses from RAM into MMIO or from MMIO
 * into RAM (the CPU faults at the second page's start), the bit string of
 * BT, BTS, BTR and BTC with a register offset (the operand-sized word
 * that holds the bit, before or after the ModRM address), the 16 bytes of
 * CMPXCHG16B (both outcomes), MOV with a 64-bit moffs across a page, the
 * stack slot of PUSH and POP of MMIO that crosses two RAM pages, string
 * elements that cross a page, and the #PF of an operand's second page.
 *
 * User space here is a plain memory device: MMIO reads and writes go to
 * and from dev[].  The guest runs each instruction on a window of RAM,
 * where the CPU does all of it, and on the same bytes placed across a
 * RAM/MMIO boundary (both ways) or in MMIO, with the same registers and
 * flags: registers, RFLAGS and the window's bytes must agree.  Every
 * access that user space sees is at most 8 bytes within one page.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define DEV_SIZE	0x50000
#define REF_SLOT	1		/* 2 pages of RAM: the reference */
#define REF_GPA		(RS_MMIO_GPA + 0x30000)
#define A_SLOT		2		/* RAM, then MMIO */
#define A_RAM		(RS_MMIO_GPA + 0x10000)
#define B_SLOT		3		/* MMIO, then RAM */
#define B_RAM		(RS_MMIO_GPA + 0x21000)
#define REF2_SLOT	4		/* 2 pages of RAM: a second one */
#define REF2_GPA	(RS_MMIO_GPA + 0x50000)
#define WIN		32		/* bytes; the boundary at WIN / 2 */
#define REF_WIN		(REF_GPA + 0x100)
#define A_WIN		(A_RAM + 4096 - WIN / 2)
#define B_WIN		(B_RAM - WIN / 2)
#define BITS_WIN	(RS_MMIO_GPA + 0x40000)	/* MMIO only: 128 bytes */
#define FLAGS_IN	0x002ULL
#define DX_IN		0x2121ULL
#define BX_IN		0x3131ULL

static uint8_t dev[DEV_SIZE];

struct op_case {
	const char *insn;
	unsigned int at;		/* where in the window it points */
	uint64_t reg, acc;
};

/*
 * X(instruction on %[m], offset in the window, register, RAX).
 * %[r] is RCX, %[m] RDI; RDX and RBX as CMPXCHG16B wants them.
 */
#define CROSS_CASES(X)							\
	X("addl %k[r], (%[m])", 14, 0x01020304, 0)			\
	X("movq %[r], (%[m])", 13, 0x1122334455667788ULL, 0)		\
	X("movq (%[m]), %[r]", 11, 0, 0)				\
	X("movzwl (%[m]), %k[r]", 15, ~0ULL, 0)				\
	X("xchgq %[r], (%[m])", 9, 0xa5a5a5a5a5a5a5a5ULL, 0)		\
	/* fails and loads, then succeeds */				\
	X("lock cmpxchgl %k[r], (%[m]); lock cmpxchgl %k[r], (%[m])",	\
	  14, 0x77, 0)							\
	X("notw (%[m])", 15, 0, 0)					\
	X("btsl $20, (%[m])", 13, 0, 0)					\
	X("btrw %w[r], (%[m])", 17, -9, 0)				\
	X("btcq %[r], (%[m])", 20, -3, 0)				\
	X("subq $-5, (%[m])", 10, 0, 0)					\
	X("movbel (%[m]), %k[r]", 13, 0, 0)				\
	X("imulq (%[m]), %[r]", 10, 3, 0)				\
	X("pushq (%[m]); popq %[r]", 12, 0, 0)				\
	X("pushw %w[r]; popw (%[m])", 15, 0xbeef, 0)			\
	X("cmpxchg16b (%[m]); lock cmpxchg16b (%[m])", 0, 0x5151, 0)	\
	X("cmpxchg16b (%[m]); cmpxchg16b (%[m])", 16, 0x5151, 0)

/* X(instruction on %[m], register: the bit offset) on BITS_WIN + 64 */
#define BIT_CASES(X)							\
	X("btw %w[r], (%[m])", -100, 0)					\
	X("btsw %w[r], (%[m])", 300, 0)					\
	X("btl %k[r], (%[m])", -1, 0)					\
	X("btrl %k[r], (%[m])", 33, 0)					\
	X("btcl %k[r], (%[m])", -257, 0)				\
	X("btq %[r], (%[m])", 511, 0)					\
	X("btsq %[r], (%[m])", -512, 0)					\
	X("btrq %[r], (%[m])", 64, 0)					\
	X("btcq %[r], (%[m])", 0, 0)					\
	X("lock btsl %k[r], (%[m])", 5, 0)

#define CROSS_ENTRY(insn, at, reg, acc) { insn, at, reg, acc },
static const struct op_case cross_cases[] = { CROSS_CASES(CROSS_ENTRY) };
#define BIT_ENTRY(insn, reg, acc) { insn, 64, reg, acc },
static const struct op_case bit_cases[] = { BIT_CASES(BIT_ENTRY) };

#define RUN(insn, addr, reg, fl, acc, dx, bx)				\
	asm volatile("push %[f]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]" \
		     : [f] "+r"(fl), [r] "+c"(reg), "+a"(acc), "+d"(dx),	\
		       "+b"(bx) : [m] "D"(addr) : "memory", "cc")

static void fill(uint64_t win, unsigned int n, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		((volatile uint8_t *)win)[i] = seed * 37 + i * 11 + 1;
}

/* Which of the registers, the flags and the bytes differ from the RAM run */
static uint64_t differs(uint64_t win, unsigned int n, const uint64_t *want,
			const uint64_t *got)
{
	uint64_t mask = 0;
	unsigned int i;

	for (i = 0; i < 5; i++)
		if (want[i] != got[i])
			mask |= 1ULL << i;
	for (i = 0; i < n; i++)
		if (((volatile uint8_t *)REF_WIN)[i] != ((volatile uint8_t *)win)[i])
			mask |= 1ULL << 8;
	return mask;
}

/*
 * For each window of @wins: the case on REF_WIN, then on the window, from
 * the same bytes; GUEST_SYNC_ARGS reports for each which of the results
 * differ (0 if none).
 */
#define GUEST_CASE(insn, at, reg, acc, n, wins, nwins) do {		\
	uint64_t mask[2] = { 0, 0 };					\
	unsigned int w;							\
									\
	for (w = 0; w < (nwins); w++) {					\
		uint64_t want[5] = { (reg), FLAGS_IN, (acc), DX_IN, BX_IN }; \
		uint64_t got[5] = { (reg), FLAGS_IN, (acc), DX_IN, BX_IN }; \
									\
		fill(REF_WIN, (n), i);					\
		fill((wins)[w], (n), i);				\
		RUN(insn, REF_WIN + (at), want[0], want[1], want[2],	\
		    want[3], want[4]);					\
		RUN(insn, (wins)[w] + (at), got[0], got[1], got[2],	\
		    got[3], got[4]);					\
		mask[w] = differs((wins)[w], (n), want, got);		\
	}								\
	GUEST_SYNC_ARGS(i, mask[0], mask[1], 0);			\
	i++;								\
} while (0);

#define CROSS_CASE(insn, at, reg, acc)					\
	GUEST_CASE(insn, at, reg, acc, WIN, cross_wins, 2)
#define BIT_CASE(insn, reg, acc)					\
	GUEST_CASE(insn, 64, reg, acc, 128, bit_wins, 1)

static void guest_cross(void)
{
	static const uint64_t cross_wins[2] = { A_WIN, B_WIN };
	int i = 0;

	CROSS_CASES(CROSS_CASE)
	GUEST_DONE();
}

static void guest_bits(void)
{
	static const uint64_t bit_wins[1] = { BITS_WIN };
	int i = 0;

	BIT_CASES(BIT_CASE)
	GUEST_DONE();
}

/*
 * Serve the guest's MMIO from dev[] until its next ucall, and check that
 * each access is at most 8 bytes within a page.
 */
static uint64_t run_device(struct __test_metadata *_metadata,
			   struct rs_vcpu *vcpu, struct ucall *uc)
{
	struct rs_run *run = vcpu->run;
	uint64_t cmd, off;

	while ((cmd = rs_vcpu_run_mmio(vcpu, uc)) == UCALL_NONE) {
		off = run->mmio.phys_addr - RS_MMIO_GPA;
		EXPECT_GE(8U, run->mmio.len);
		EXPECT_GE(4096U, (off & 4095) + run->mmio.len)
			TH_LOG("%u bytes at %#llx", run->mmio.len,
			       (unsigned long long)run->mmio.phys_addr);
		if (off + run->mmio.len > DEV_SIZE || run->mmio.len > 8)
			break;
		if (run->mmio.is_write)
			memcpy(dev + off, run->mmio.data, run->mmio.len);
		else
			memcpy(run->mmio.data, dev + off, run->mmio.len);
	}
	return cmd;
}

/* A VM running @guest, with the RAM of all the windows above. */
static struct rs_vm *vm_with_windows(void *guest, struct rs_vcpu **vcpu)
{
	struct rs_vm *vm = rs_vm_create_with_one_vcpu(vcpu, guest);

	rs_vm_add_region(vm, REF_SLOT, 0, REF_GPA, 2 * 4096);
	rs_vm_add_region(vm, REF2_SLOT, 0, REF2_GPA, 2 * 4096);
	rs_vm_add_region(vm, A_SLOT, 0, A_RAM, 4096);
	rs_vm_add_region(vm, B_SLOT, 0, B_RAM, 4096);
	return vm;
}

static void run_cases(struct __test_metadata *_metadata, void *guest,
		      const struct op_case *cases, unsigned int n)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i = 0;

	vm = vm_with_windows(guest, &vcpu);
	while (run_device(_metadata, vcpu, &uc) == UCALL_SYNC) {
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(0, uc.args[1])
			TH_LOG("%s at %u: differs (registers RCX RFLAGS RAX RDX RBX, bit 8 memory): %#llx",
			       cases[i].insn, cases[i].at,
			       (unsigned long long)uc.args[1]);
		EXPECT_EQ(0, uc.args[2])
			TH_LOG("%s at %u, MMIO then RAM: differs: %#llx",
			       cases[i].insn, cases[i].at,
			       (unsigned long long)uc.args[2]);
		i++;
	}
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	EXPECT_EQ(n, i);
	rs_vm_free(vm);
}

TEST(operands_across_ram_and_mmio)
{
	RS_REQUIRE_VM();
	run_cases(_metadata, guest_cross, cross_cases, ARRAY_SIZE(cross_cases));
}

TEST(bit_strings_with_register_offsets)
{
	RS_REQUIRE_VM();
	run_cases(_metadata, guest_bits, bit_cases, ARRAY_SIZE(bit_cases));
}

/*
 * MOV with a 64-bit moffs (A1, A3) whose 4 bytes cross from RAM into
 * MMIO: the fault is at the MMIO page's start, 2 bytes into the operand.
 */
#define MOFFS		"0xc0010ffe"	/* A_WIN + 14 */
_Static_assert(A_WIN + 14 == 0xc0010ffe, "MOFFS");

static void guest_moffs(void)
{
	uint32_t v = 0xa1b2c3d4;

	asm volatile("movabs %%eax, " MOFFS : : "a"(v) : "memory");
	v = 0;
	asm volatile("movabs " MOFFS ", %%eax" : "+a"(v) : : "memory");
	GUEST_SYNC_ARGS(0, v, *(volatile uint16_t *)(A_WIN + 14), 0);
	GUEST_DONE();
}

TEST(moffs_across_ram_and_mmio)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint64_t off = A_WIN + WIN / 2 - RS_MMIO_GPA;

	RS_REQUIRE_VM();
	vm = vm_with_windows(guest_moffs, &vcpu);
	ASSERT_EQ(UCALL_SYNC, run_device(_metadata, vcpu, &uc));
	EXPECT_EQ(0xa1b2c3d4, uc.args[1]);
	EXPECT_EQ(0xc3d4, uc.args[2]) TH_LOG("the RAM half");
	EXPECT_EQ(0xb2, dev[off]);
	EXPECT_EQ(0xa1, dev[off + 1]) TH_LOG("the MMIO half");
	ASSERT_EQ(UCALL_DONE, run_device(_metadata, vcpu, &uc));
	rs_vm_free(vm);
}

/*
 * PUSH of MMIO, and POP to MMIO, with RSP 4 bytes into a page: the 8-byte
 * stack slot crosses two RAM pages.
 */
static void guest_stack_slot(void)
{
	uint64_t top = REF_GPA + 4096 + 4, out, save;

	*(volatile uint64_t *)BITS_WIN = 0x0123456789abcdefULL;
	asm volatile("mov %%rsp, %[save]\n\t"
		     "mov %[top], %%rsp\n\t"
		     "pushq (%[m])\n\t"
		     "popq 8(%[m])\n\t"
		     "mov %[save], %%rsp"
		     : [save] "=&r"(save) : [top] "r"(top), [m] "r"(BITS_WIN)
		     : "memory");
	out = *(volatile uint64_t *)(BITS_WIN + 8);
	GUEST_SYNC_ARGS(0, out, *(volatile uint64_t *)(top - 8), 0);
	GUEST_DONE();
}

TEST(stack_slot_across_pages)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = vm_with_windows(guest_stack_slot, &vcpu);
	ASSERT_EQ(UCALL_SYNC, run_device(_metadata, vcpu, &uc));
	EXPECT_EQ(0x0123456789abcdefULL, uc.args[1]) TH_LOG("POP to MMIO");
	EXPECT_EQ(0x0123456789abcdefULL, uc.args[2]) TH_LOG("the slot");
	ASSERT_EQ(UCALL_DONE, run_device(_metadata, vcpu, &uc));
	rs_vm_free(vm);
}

/*
 * An operand that starts in MMIO, at the last bytes of the 4 GiB identity
 * map, and ends in a page no guest page table maps: the guest gets the #PF
 * of the second page (CR2 its start; W for a store or read-modify-write,
 * not present), before anything moves, and a load's register stays.
 */
#define EDGE_4G		0xfffffffcULL

static void guest_second_page(void)
{
	uint64_t ec, v = 0x1111, vec;

	vec = RS_ASM_SAFE_EC("movq %[v], (%[a])", &ec, ,
			     [v] "r"(v), [a] "r"(EDGE_4G));
	GUEST_SYNC_ARGS(1, vec, ec, read_cr2());
	vec = RS_ASM_SAFE_EC("movq (%[a]), %[v]", &ec, COMMA_OUT([v] "+r"(v)),
			     [a] "r"(EDGE_4G));
	GUEST_ASSERT_EQ(v, 0x1111);
	GUEST_SYNC_ARGS(2, vec, ec, read_cr2());
	vec = RS_ASM_SAFE_EC("addl $1, 2(%[a])", &ec, , [a] "r"(EDGE_4G));
	GUEST_SYNC_ARGS(3, vec, ec, read_cr2());
	GUEST_DONE();
}

TEST(fault_on_the_second_page)
{
	static const uint64_t ec[] = { 0x2, 0x0, 0x2 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	char buf[256];
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_second_page);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc))
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		ASSERT_EQ(i + 1, uc.args[0]);
		EXPECT_EQ(14, uc.args[1]) TH_LOG("stage %d: #PF", i + 1);
		EXPECT_EQ(ec[i], uc.args[2]) TH_LOG("stage %d: error code", i + 1);
		EXPECT_EQ(EDGE_4G + 4, uc.args[3]) TH_LOG("stage %d: CR2", i + 1);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * String elements that cross a page: between two RAM pages (the other
 * operand MMIO), from RAM into MMIO, from MMIO into RAM, upwards and
 * downwards.  The reference runs with the source in REF_WIN's and the
 * destination in REF2_WIN's two RAM pages, at the same offsets.
 */
#define REF_W		(REF_GPA + 4096 - WIN / 2)	/* RAM, then RAM */
#define REF2_W		(REF2_GPA + 4096 - WIN / 2)

struct str_case {
	const char *insn;
	uint64_t src, dst;		/* windows */
	unsigned int src_at, dst_at;
	uint64_t rcx, rax;
};

#define STR_CASES(X)							\
	X("rep movsl", REF_W, 14, BITS_WIN, 0, 3, 0)			\
	X("rep movsl", BITS_WIN, 0, A_WIN, 14, 2, 0)			\
	X("lodsq", A_WIN, 12, REF2_W, 0, 0, 0)				\
	X("cmpsw", B_WIN, 15, REF2_W, 3, 0, 0)				\
	X("stosl", REF_W, 0, A_WIN, 14, 0, 0x89abcdef)			\
	X("std; rep movsw; cld", BITS_WIN, 20, REF2_W, 15, 3, 0)	\
	X("scasl", REF_W, 0, B_WIN, 13, 0, 0x1234)			\
	X("repe cmpsb", B_WIN, 14, A_WIN, 14, 4, 0)

#define STR_ENTRY(insn, src, sat, dst, dat, rcx, rax)			\
	{ insn, src, dst, sat, dat, rcx, rax },
static const struct str_case str_cases[] = { STR_CASES(STR_ENTRY) };

#define STR_RUN(insn, si, di, cx, ax, fl)				\
	asm volatile("push %[f]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]" \
		     : [f] "+r"(fl), "+S"(si), "+D"(di), "+c"(cx), "+a"(ax) \
		     : : "memory", "cc")

static void copy_out(uint8_t *to, uint64_t win)
{
	unsigned int i;

	for (i = 0; i < WIN; i++)
		to[i] = ((volatile uint8_t *)win)[i];
}

/* The reference, then the case; reports which results differ. */
#define STR_CASE(insn, src, sat, dst, dat, rcx, rax) do {		\
	uint64_t w[5], g[5], mask = 0;					\
	uint8_t ws[WIN], wd[WIN], gs[WIN], gd[WIN];			\
	unsigned int k;							\
									\
	fill(REF_W, WIN, i);						\
	fill(REF2_W, WIN, i + 100);					\
	w[0] = REF_W + (sat);						\
	w[1] = REF2_W + (dat);						\
	w[2] = (rcx);							\
	w[3] = (rax);							\
	w[4] = FLAGS_IN;						\
	STR_RUN(insn, w[0], w[1], w[2], w[3], w[4]);			\
	w[0] -= REF_W;							\
	w[1] -= REF2_W;							\
	copy_out(ws, REF_W);						\
	copy_out(wd, REF2_W);						\
									\
	fill((src), WIN, i);						\
	fill((dst), WIN, i + 100);					\
	g[0] = (src) + (sat);						\
	g[1] = (dst) + (dat);						\
	g[2] = (rcx);							\
	g[3] = (rax);							\
	g[4] = FLAGS_IN;						\
	STR_RUN(insn, g[0], g[1], g[2], g[3], g[4]);			\
	g[0] -= (src);							\
	g[1] -= (dst);							\
	copy_out(gs, (src));						\
	copy_out(gd, (dst));						\
	for (k = 0; k < 5; k++)						\
		if (w[k] != g[k])					\
			mask |= 1ULL << k;				\
	if (memcmp(ws, gs, WIN))					\
		mask |= 1ULL << 8;					\
	if (memcmp(wd, gd, WIN))					\
		mask |= 1ULL << 9;					\
	GUEST_SYNC_ARGS(i, mask, 0, 0);					\
	i++;								\
} while (0);

static void guest_strings(void)
{
	int i = 0;

	STR_CASES(STR_CASE)
	GUEST_DONE();
}

TEST(string_elements_across_pages)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i = 0;

	RS_REQUIRE_VM();
	vm = vm_with_windows(guest_strings, &vcpu);
	while (run_device(_metadata, vcpu, &uc) == UCALL_SYNC) {
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(0, uc.args[1])
			TH_LOG("%s: differs (RSI RDI RCX RAX RFLAGS, bit 8 source, 9 destination): %#llx",
			       str_cases[i].insn, (unsigned long long)uc.args[1]);
		i++;
	}
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	EXPECT_EQ(ARRAY_SIZE(str_cases), i);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
