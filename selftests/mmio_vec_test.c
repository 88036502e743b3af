// SPDX-License-Identifier: GPL-2.0
/*
 * SSE and AVX loads and stores on MMIO: MOVUPS, MOVUPD, MOVAPS, MOVAPD,
 * MOVSS, MOVSD, MOVD, MOVQ (its three encodings), MOVDQA, MOVDQU,
 * MOVNTPS, MOVNTDQ, MOVNTDQA, and the VEX forms of 128 and 256 bits,
 * with registers below and above XMM7.
 *
 * The guest runs each instruction twice from the same register pattern
 * (all 256 bits, where it has AVX) and the same memory: on RAM, where the
 * CPU itself moves the data, then on MMIO, where ringside does.  The whole
 * YMM register after a load must agree to the bit (a legacy SSE load
 * leaves bits 255:128 alone, a VEX one zeroes them), and what a store
 * wrote to MMIO must be what it wrote to RAM.  User space sees the access
 * in parts of at most 8 bytes, in ascending address order, as
 * Documentation/uapi.rst says.  An access that starts in RAM and ends in
 * MMIO moves its RAM part directly and exits for the rest.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MMIO		(RS_MMIO_GPA + 0x40)	/* 32-byte aligned */
#define X86_CR4_OSXSAVE	(1ULL << 18)

/* X(name, instruction on %[m], bytes accessed, store, AVX, register) */
#define VEC_CASES(X)							\
	X(movups_ld, "movups (%[m]), %%xmm1", 16, 0, 0, "1")		\
	X(movups_st, "movups %%xmm1, (%[m])", 16, 1, 0, "1")		\
	X(movupd_ld, "movupd (%[m]), %%xmm9", 16, 0, 0, "9")		\
	X(movaps_st, "movaps %%xmm9, (%[m])", 16, 1, 0, "9")		\
	X(movapd_ld, "movapd (%[m]), %%xmm1", 16, 0, 0, "1")		\
	X(movss_ld, "movss (%[m]), %%xmm1", 4, 0, 0, "1")		\
	X(movss_st, "movss %%xmm9, (%[m])", 4, 1, 0, "9")		\
	X(movsd_ld, "movsd (%[m]), %%xmm9", 8, 0, 0, "9")		\
	X(movsd_st, "movsd %%xmm1, (%[m])", 8, 1, 0, "1")		\
	X(movd_ld, "movd (%[m]), %%xmm1", 4, 0, 0, "1")		\
	X(movd_st, "movd %%xmm9, (%[m])", 4, 1, 0, "9")		\
	X(movq_ld, "movq (%[m]), %%xmm1", 8, 0, 0, "1")		\
	X(movq_st, "movq %%xmm1, (%[m])", 8, 1, 0, "1")		\
	/* 66 REX.W 0F 6E and 7E: MOVQ xmm1, [rdi] and back */		\
	X(movq_6e, ".byte 0x66, 0x48, 0x0f, 0x6e, 0x0f", 8, 0, 0, "1")	\
	X(movq_7e, ".byte 0x66, 0x48, 0x0f, 0x7e, 0x0f", 8, 1, 0, "1")	\
	X(movdqa_ld, "movdqa (%[m]), %%xmm1", 16, 0, 0, "1")		\
	X(movdqa_st, "movdqa %%xmm1, (%[m])", 16, 1, 0, "1")		\
	X(movdqu_ld, "movdqu (%[m]), %%xmm9", 16, 0, 0, "9")		\
	X(movdqu_st, "movdqu %%xmm9, (%[m])", 16, 1, 0, "9")		\
	X(movntps_st, "movntps %%xmm1, (%[m])", 16, 1, 0, "1")		\
	X(movntdq_st, "movntdq %%xmm9, (%[m])", 16, 1, 0, "9")		\
	X(movntdqa_ld, "movntdqa (%[m]), %%xmm1", 16, 0, 0, "1")	\
	X(vmovups_x_ld, "vmovups (%[m]), %%xmm1", 16, 0, 1, "1")	\
	X(vmovups_y_ld, "vmovups (%[m]), %%ymm1", 32, 0, 1, "1")	\
	X(vmovups_y_st, "vmovups %%ymm1, (%[m])", 32, 1, 1, "1")	\
	X(vmovdqu_y_ld, "vmovdqu (%[m]), %%ymm9", 32, 0, 1, "9")	\
	X(vmovdqu_y_st, "vmovdqu %%ymm9, (%[m])", 32, 1, 1, "9")	\
	X(vmovdqa_x_st, "vmovdqa %%xmm1, (%[m])", 16, 1, 1, "1")	\
	X(vmovapd_y_ld, "vmovapd (%[m]), %%ymm9", 32, 0, 1, "9")	\
	X(vmovd_ld, "vmovd (%[m]), %%xmm9", 4, 0, 1, "9")		\
	X(vmovq_ld, "vmovq (%[m]), %%xmm1", 8, 0, 1, "1")		\
	X(vmovq_st, "vmovq %%xmm9, (%[m])", 8, 1, 1, "9")		\
	X(vmovss_ld, "vmovss (%[m]), %%xmm1", 4, 0, 1, "1")		\
	X(vmovsd_st, "vmovsd %%xmm9, (%[m])", 8, 1, 1, "9")		\
	X(vmovntdq_y_st, "vmovntdq %%ymm1, (%[m])", 32, 1, 1, "1")

struct vec_case {
	const char *insn;
	unsigned int size;
	bool store, avx;
};

#define TABLE_ENTRY(name, insn, size, store, avx, reg) { insn, size, store, avx },
static const struct vec_case cases[] = { VEC_CASES(TABLE_ENTRY) };

static uint8_t pattern[32] __attribute__((aligned(32)));
static uint8_t init[32] __attribute__((aligned(32)));
static uint8_t ram[32] __attribute__((aligned(32)));
static uint8_t out[2][32] __attribute__((aligned(32)));
static volatile bool has_avx;
static bool try_avx;

/*
 * The register gets the pattern, the instruction runs on @m, and the
 * register goes to @o: all 256 bits with AVX, 128 without.
 */
#define CASE_FN(name, insn, size, store, avx, reg)			\
static void name(uint64_t m, uint8_t *o)				\
{									\
	if (has_avx)							\
		asm volatile("vmovdqu (%[p]), %%ymm" reg "\n\t"		\
			     insn "\n\t"					\
			     "vmovdqu %%ymm" reg ", (%[o])"		\
			     : : [m] "D"(m), [p] "r"(pattern), [o] "r"(o)	\
			     : "memory", "xmm" reg);			\
	else								\
		asm volatile("movdqu (%[p]), %%xmm" reg "\n\t"		\
			     insn "\n\t"					\
			     "movdqu %%xmm" reg ", (%[o])"		\
			     : : [m] "D"(m), [p] "r"(pattern), [o] "r"(o)	\
			     : "memory", "xmm" reg);			\
}
VEC_CASES(CASE_FN)

#define FN_ENTRY(name, insn, size, store, avx, reg) name,
static void (*const fns[])(uint64_t, uint8_t *) = { VEC_CASES(FN_ENTRY) };

/* AVX if the CPU has it: CR4.OSXSAVE and XCR0's x87, SSE and AVX bits. */
static void enable_avx(void)
{
	uint32_t a = 1, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (!try_avx || !(c & (1U << 26)) || !(c & (1U << 28)))	/* XSAVE, AVX */
		return;
	asm volatile("mov %%cr4, %%rax\n\t"
		     "or %0, %%rax\n\t"
		     "mov %%rax, %%cr4"
		     : : "r"(X86_CR4_OSXSAVE) : "rax");
	asm volatile("xsetbv" : : "c"(0), "a"(7), "d"(0));
	has_avx = true;
}

static void guest_vec(void)
{
	unsigned int i;
	uint32_t xcr0 = 0, hi;

	enable_avx();
	if (has_avx)
		asm volatile("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));
	GUEST_SYNC_ARGS(0x1000, has_avx, xcr0, 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].avx && !has_avx)
			continue;
		for (unsigned int k = 0; k < sizeof(ram); k++)
			ram[k] = init[k];
		fns[i]((uint64_t)ram, out[0]);
		GUEST_SYNC(i);			/* the host fills its MMIO */
		fns[i](MMIO, out[1]);
		GUEST_SYNC(0x100 + i);		/* the host compares */
	}
	GUEST_DONE();
}

TEST(vector_moves_on_mmio)
{
	uint8_t mmio[32], *g_ram, (*g_out)[32];
	unsigned int i = 0, at = 0, parts = 0, ran = 0, sse = 0, cmp;
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	struct ucall uc;
	bool avx = false;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_vec);
	run = vcpu->run;
	for (i = 0; i < 32; i++) {
		pattern[i] = 0xa0 + i;
		init[i] = 0x10 + i;
	}
	/*
	 * Not in the VMX test VM: there a guest that uses AVX makes the host
	 * kernel's XRSTORS of an FPU state fault ("Bad FPU state detected",
	 * with or without ringside's vector emulation; Documentation/
	 * testing.rst).
	 */
	try_avx = vm->svm;
	rs_sync_global_to_guest(vm, try_avx);
	rs_sync_global_to_guest(vm, pattern);
	rs_sync_global_to_guest(vm, init);
	g_ram = rs_gpa2hva(vm, (uint64_t)ram);
	g_out = rs_gpa2hva(vm, (uint64_t)out);

	for (;;) {
		switch (rs_vcpu_run_mmio(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] == 0x1000) {
				avx = uc.args[1];
				TH_LOG("AVX %s, XCR0 %#lx", avx ? "on" : "not there",
				       (unsigned long)uc.args[2]);
				continue;
			}
			if (uc.args[0] < 0x100) {
				i = uc.args[0];
				memcpy(mmio, init, sizeof(mmio));
				at = parts = 0;
				continue;
			}
			ASSERT_EQ(0x100 + i, uc.args[0]);
			ran++;
			EXPECT_EQ(cases[i].size, at) TH_LOG("%s: bytes through MMIO",
							     cases[i].insn);
			EXPECT_EQ((cases[i].size + 7) / 8, parts) TH_LOG("%s: parts",
									  cases[i].insn);
			cmp = avx ? 32 : 16;
			EXPECT_EQ(0, memcmp(g_out[0], g_out[1], cmp))
				TH_LOG("%s: the register differs", cases[i].insn);
			EXPECT_EQ(0, memcmp(g_ram, mmio, sizeof(mmio)))
				TH_LOG("%s: memory differs", cases[i].insn);
			continue;
		case UCALL_DONE:
			TH_LOG("%u cases, AVX %s", ran, avx ? "too" : "not there: SSE only");
			for (i = 0; i < ARRAY_SIZE(cases); i++)
				sse += !cases[i].avx;
			EXPECT_EQ(avx ? ARRAY_SIZE(cases) : sse, ran);
			rs_vm_free(vm);
			return;
		case UCALL_NONE:		/* MMIO */
			break;
		}
		/* the next part, right after the one before */
		ASSERT_EQ(MMIO + at, run->mmio.phys_addr)
			TH_LOG("%s", cases[i].insn);
		ASSERT_GE(8U, run->mmio.len);
		ASSERT_EQ(cases[i].store, run->mmio.is_write);
		ASSERT_GE(sizeof(mmio), at + run->mmio.len);
		if (run->mmio.is_write)
			memcpy(mmio + at, run->mmio.data, run->mmio.len);
		else
			memcpy(run->mmio.data, mmio + at, run->mmio.len);
		at += run->mmio.len;
		parts++;
	}
}

/*
 * A 16-byte access that starts 8 bytes before the end of a RAM page and
 * ends in the MMIO page after it: the RAM half moves directly, the MMIO
 * half exits, once.
 */
#define EDGE_SLOT	1
#define EDGE_GPA	(RS_MMIO_GPA + 0x10000)	/* RAM; the next page is not */
#define EDGE		(EDGE_GPA + 4096 - 8)

static void guest_edge(void)
{
	asm volatile("movdqu (%[p]), %%xmm3\n\t"
		     "movups %%xmm3, (%[m])\n\t"
		     "pxor %%xmm3, %%xmm3\n\t"
		     "movups (%[m]), %%xmm3\n\t"
		     "movdqu %%xmm3, (%[o])"
		     : : [m] "r"(EDGE), [p] "r"(pattern), [o] "r"(out[0])
		     : "memory", "xmm3");
	GUEST_DONE();
}

TEST(vector_access_across_ram_and_mmio)
{
	uint8_t *edge, want[16], back[16];
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	char buf[256];
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_edge);
	run = vcpu->run;
	edge = rs_vm_add_region(vm, EDGE_SLOT, 0, EDGE_GPA, 4096);
	for (i = 0; i < 16; i++) {
		pattern[i] = 0x50 + i;
		want[i] = 0x50 + i;
		back[i] = i < 8 ? 0x50 + i : 0xe0 + i;
	}
	rs_sync_global_to_guest(vm, pattern);

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_TRUE(run->mmio.is_write);
	EXPECT_EQ(EDGE_GPA + 4096, run->mmio.phys_addr);
	EXPECT_EQ(8U, run->mmio.len);
	EXPECT_EQ(0, memcmp(run->mmio.data, want + 8, 8));
	EXPECT_EQ(0, memcmp(edge + 4096 - 8, want, 8)) TH_LOG("the RAM half");

	rs_vcpu_run(vcpu);			/* the load: its MMIO half */
	ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_FALSE(run->mmio.is_write);
	EXPECT_EQ(EDGE_GPA + 4096, run->mmio.phys_addr);
	EXPECT_EQ(8U, run->mmio.len);
	memcpy(run->mmio.data, back + 8, 8);
	rs_vcpu_expect_done(vcpu);
	EXPECT_EQ(0, memcmp(rs_gpa2hva(vm, (uint64_t)out[0]), back, 16));
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
