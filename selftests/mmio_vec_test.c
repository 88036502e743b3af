// SPDX-License-Identifier: GPL-2.0
/*
 * SSE and AVX loads and stores on MMIO: MOVUPS, MOVUPD, MOVAPS, MOVAPD,
 * MOVSS, MOVSD, MOVD, MOVQ (its three encodings), MOVDQA, MOVDQU,
 * MOVNTPS, MOVNTDQ, MOVNTDQA, MOVLPS, MOVLPD, MOVHPS, MOVHPD, and the VEX
 * forms of 128 and 256 bits, with registers below and above XMM7; and
 * the MMX MOVD, MOVQ and MOVNTQ with MM0-MM7.
 *
 * The guest runs each instruction twice from the same register pattern
 * (all 256 bits, where it has AVX) and the same memory: on RAM, where the
 * CPU itself moves the data, then on MMIO, where ringside does.  The whole
 * YMM register after a load must agree to the bit (a legacy SSE load
 * leaves bits 255:128 alone, a VEX one zeroes them), and what a store
 * wrote to MMIO must be what it wrote to RAM.  A MOVLPS-like load keeps
 * the other half of the register; its VEX form takes it from the VEX.vvvv
 * register, which the case sets to all ones.  An MMX case compares an
 * FXSAVE image instead: the MMX registers (bits 79:64 too) and the x87
 * TOS and tags, which every MMX instruction sets to 0 and valid, from a
 * TOS of 7 and all tags empty.  User space sees the access in parts of
 * at most 8 bytes, in ascending address order, as Documentation/uapi.rst
 * says.  An access that starts in RAM and ends in
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
	X(movlps_ld, "movlps (%[m]), %%xmm1", 8, 0, 0, "1")		\
	X(movlps_st, "movlps %%xmm9, (%[m])", 8, 1, 0, "9")		\
	X(movlpd_ld, "movlpd (%[m]), %%xmm9", 8, 0, 0, "9")		\
	X(movlpd_st, "movlpd %%xmm1, (%[m])", 8, 1, 0, "1")		\
	X(movhps_ld, "movhps (%[m]), %%xmm9", 8, 0, 0, "9")		\
	X(movhps_st, "movhps %%xmm1, (%[m])", 8, 1, 0, "1")		\
	X(movhpd_ld, "movhpd (%[m]), %%xmm1", 8, 0, 0, "1")		\
	X(movhpd_st, "movhpd %%xmm9, (%[m])", 8, 1, 0, "9")		\
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
	X(vmovntdq_y_st, "vmovntdq %%ymm1, (%[m])", 32, 1, 1, "1")	\
	X(vmovlps_ld, "vpcmpeqd %%xmm10, %%xmm10, %%xmm10\n\t"		\
		      "vmovlps (%[m]), %%xmm10, %%xmm1", 8, 0, 1, "1")	\
	X(vmovhpd_ld, "vpcmpeqd %%xmm2, %%xmm2, %%xmm2\n\t"		\
		      "vmovhpd (%[m]), %%xmm2, %%xmm9", 8, 0, 1, "9")	\
	X(vmovhps_ld, "vmovhps (%[m]), %%xmm9, %%xmm9", 8, 0, 1, "9")	\
	X(vmovlpd_ld, "vmovlpd (%[m]), %%xmm1, %%xmm1", 8, 0, 1, "1")	\
	X(vmovlps_st, "vmovlps %%xmm9, (%[m])", 8, 1, 1, "9")		\
	X(vmovlpd_st, "vmovlpd %%xmm1, (%[m])", 8, 1, 1, "1")		\
	X(vmovhps_st, "vmovhps %%xmm1, (%[m])", 8, 1, 1, "1")		\
	X(vmovhpd_st, "vmovhpd %%xmm9, (%[m])", 8, 1, 1, "9")

/* X(name, instruction on %[m], bytes accessed, store, MMX register) */
#define MMX_CASES(X)							\
	X(mmx_movd_ld, "movd (%[m]), %%mm0", 4, 0, "0")			\
	X(mmx_movq_ld, "movq (%[m]), %%mm1", 8, 0, "1")			\
	/* REX.W 0F 6E: MOVQ mm2, [rdi] */				\
	X(mmx_movq_6e, ".byte 0x48, 0x0f, 0x6e, 0x17", 8, 0, "2")	\
	X(mmx_movd_ld3, "movd (%[m]), %%mm3", 4, 0, "3")		\
	X(mmx_movq_ld4, "movq (%[m]), %%mm4", 8, 0, "4")		\
	/* REX.R 0F 6F: MOVQ mm5, [rdi] (REX.R selects no other) */	\
	X(mmx_movq_rexr, ".byte 0x44, 0x0f, 0x6f, 0x2f", 8, 0, "5")	\
	X(mmx_movd_ld6, "movd (%[m]), %%mm6", 4, 0, "6")		\
	X(mmx_movq_ld7, "movq (%[m]), %%mm7", 8, 0, "7")		\
	X(mmx_movd_st, "movd %%mm0, (%[m])", 4, 1, "0")			\
	X(mmx_movq_st, "movq %%mm1, (%[m])", 8, 1, "1")			\
	/* REX.W 0F 7E: MOVQ [rdi], mm2 */				\
	X(mmx_movq_7e, ".byte 0x48, 0x0f, 0x7e, 0x17", 8, 1, "2")	\
	X(mmx_movntq, "movntq %%mm3, (%[m])", 8, 1, "3")		\
	X(mmx_movd_st4, "movd %%mm4, (%[m])", 4, 1, "4")		\
	/* REX.R 0F 7F: MOVQ [rdi], mm5 */				\
	X(mmx_movq_st_rexr, ".byte 0x44, 0x0f, 0x7f, 0x2f", 8, 1, "5")	\
	X(mmx_movq_st6, "movq %%mm6, (%[m])", 8, 1, "6")		\
	X(mmx_movntq7, "movntq %%mm7, (%[m])", 8, 1, "7")

struct vec_case {
	const char *insn;
	unsigned int size;
	bool store, avx, mmx;
};

#define TABLE_ENTRY(name, insn, size, store, avx, reg)			\
	{ insn, size, store, avx, false },
#define MMX_ENTRY(name, insn, size, store, reg)				\
	{ insn, size, store, false, true },
static const struct vec_case cases[] = {
	VEC_CASES(TABLE_ENTRY)
	MMX_CASES(MMX_ENTRY)
};

static uint8_t pattern[32] __attribute__((aligned(32)));
static uint8_t init[32] __attribute__((aligned(32)));
static uint8_t ram[32] __attribute__((aligned(32)));
static uint8_t out[2][512] __attribute__((aligned(64)));	/* or FXSAVE */
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
			     : "memory", "xmm" reg, "xmm2", "xmm10");	\
	else								\
		asm volatile("movdqu (%[p]), %%xmm" reg "\n\t"		\
			     insn "\n\t"					\
			     "movdqu %%xmm" reg ", (%[o])"		\
			     : : [m] "D"(m), [p] "r"(pattern), [o] "r"(o)	\
			     : "memory", "xmm" reg, "xmm2", "xmm10");	\
}
VEC_CASES(CASE_FN)

/*
 * The MMX register gets the pattern, the x87 state a TOS of 7 and every
 * tag empty (EMMS and FDECSTP, no MMX instruction after the pattern), the
 * instruction runs on @m, and FXSAVE keeps what it left.  EMMS empties
 * the x87 stack again for the compiler's code.
 */
#define MMX_FN(name, insn, size, store, reg)				\
static void name(uint64_t m, uint8_t *o)				\
{									\
	asm volatile("movq (%[p]), %%mm" reg "\n\t"			\
		     "emms\n\t"						\
		     "fdecstp\n\t"					\
		     insn "\n\t"					\
		     "fxsave (%[o])\n\t"				\
		     "emms"						\
		     : : [m] "D"(m), [p] "r"(pattern), [o] "r"(o)	\
		     : "memory", "mm" reg);				\
}
MMX_CASES(MMX_FN)

#define FN_ENTRY(name, insn, size, store, avx, reg) name,
#define MMX_FN_ENTRY(name, insn, size, store, reg) name,
static void (*const fns[])(uint64_t, uint8_t *) = {
	VEC_CASES(FN_ENTRY)
	MMX_CASES(MMX_FN_ENTRY)
};

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
	uint8_t mmio[32], *g_ram, (*g_out)[512];
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
			if (cases[i].mmx) {
				/* FXSAVE: FCW, FSW (TOS), FTW; ST0-7, as MM0-7 */
				EXPECT_EQ(0, g_out[0][3] & 0x38) TH_LOG("TOS");
				EXPECT_EQ(0xff, g_out[0][4]) TH_LOG("tags");
				EXPECT_EQ(0, memcmp(g_out[0], g_out[1], 5))
					TH_LOG("%s: FSW or FTW differs", cases[i].insn);
				EXPECT_EQ(0, memcmp(g_out[0] + 32, g_out[1] + 32, 128))
					TH_LOG("%s: the registers differ", cases[i].insn);
			} else {
				cmp = avx ? 32 : 16;
				EXPECT_EQ(0, memcmp(g_out[0], g_out[1], cmp))
					TH_LOG("%s: the register differs", cases[i].insn);
			}
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
