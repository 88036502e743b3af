// SPDX-License-Identifier: GPL-2.0
/*
 * The rules of MOV to CR0/CR4 and WRMSR to EFER (kmod/cr.c; SDM vol. 2,
 * "MOV--Move to/from Control Registers", "WRMSR"; APM vol. 2, 3.1), the
 * same on both backends: from 64-bit mode, every write that a CPU refuses
 * raises #GP(0) and leaves the register as it was, and the legal writes
 * next to them take effect.
 *
 * Both backends intercept these writes and apply the core's rules: QEMU's
 * SVM, left to itself, lets a guest clear CR0.PG in 64-bit mode and set
 * CR0[63:32], which real CPUs refuse.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define X86_CR0_NW		(1ULL << 29)
#define X86_CR0_CD		(1ULL << 30)
#define X86_CR4_LA57		(1ULL << 12)
#define X86_CR4_SMXE		(1ULL << 14)

enum reg { CR0, CR4, EFER };

/* A write the CPU refuses with #GP(0). */
static const struct bad_write {
	const char *what;
	enum reg reg;
	uint64_t set, clear;
} bad[] = {
	{ "CR4.PAE cleared in long mode",	CR4,  0, X86_CR4_PAE },
	{ "CR4.LA57 changed in long mode",	CR4,  X86_CR4_LA57, 0 },
	{ "CR4.SMXE set",			CR4,  X86_CR4_SMXE, 0 },
	{ "CR4 reserved bit 15 set",		CR4,  1ULL << 15, 0 },
	{ "CR4 bit 63 set",			CR4,  1ULL << 63, 0 },
	{ "CR0.PG cleared in 64-bit mode",	CR0,  0, X86_CR0_PG },
	{ "CR0.PE cleared with PG set",		CR0,  0, X86_CR0_PE },
	{ "CR0.NW set without CD",		CR0,  X86_CR0_NW, X86_CR0_CD },
	{ "CR0 bit 32 set",			CR0,  1ULL << 32, 0 },
	{ "EFER.LME cleared with paging on",	EFER, 0, EFER_LME },
	{ "EFER reserved bit 1 set",		EFER, 1ULL << 1, 0 },
};

static uint64_t read_reg(enum reg reg)
{
	return reg == CR0 ? read_cr0() : reg == CR4 ? read_cr4() : rdmsr(MSR_EFER);
}

/* The vector the write raised (RS_NO_EXCEPTION if none) and its error code. */
static uint64_t write_reg(enum reg reg, uint64_t val, uint64_t *ec)
{
	if (reg == CR0)
		return RS_ASM_SAFE_EC("mov %%rax, %%cr0", ec, , "a"(val));
	if (reg == CR4)
		return RS_ASM_SAFE_EC("mov %%rax, %%cr4", ec, , "a"(val));
	return RS_ASM_SAFE_EC("wrmsr", ec, , "a"((uint32_t)val),
			      "d"((uint32_t)(val >> 32)), "c"(MSR_EFER));
}

static void guest_bad_writes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t before = read_reg(bad[i].reg), ec = 0xffff, vec;

		vec = write_reg(bad[i].reg, (before | bad[i].set) & ~bad[i].clear,
				&ec);
		GUEST_SYNC_ARGS(i, vec, ec, read_reg(bad[i].reg) ^ before);
	}
	GUEST_DONE();
}

TEST(illegal_writes_are_gp)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_bad_writes);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(GP_VECTOR, uc.args[1])
			TH_LOG("%s raised %s %lu", bad[i].what,
			       uc.args[1] == RS_NO_EXCEPTION ? "nothing," : "vector",
			       (unsigned long)uc.args[1]);
		EXPECT_EQ(0, uc.args[2]) TH_LOG("%s: error code", bad[i].what);
		EXPECT_EQ(0, uc.args[3])
			TH_LOG("%s changed bits %#lx", bad[i].what,
			       (unsigned long)uc.args[3]);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * Legal writes beside them: caching off and on again; TS set by MOV and by
 * LMSW, cleared by CLTS; an LMSW with PE clear, which cannot clear PE; PGE
 * off and on (a TLB flush); an EFER write with LMA clear, which leaves LMA
 * as paging made it (the CPU owns LMA; KVM and QEMU ignore the written bit).
 */
static void guest_good_writes(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4(), efer = rdmsr(MSR_EFER);
	uint64_t ec;

	GUEST_ASSERT_EQ(write_reg(CR0, cr0 | X86_CR0_CD, &ec), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(read_cr0(), cr0 | X86_CR0_CD);
	GUEST_ASSERT_EQ(write_reg(CR0, cr0, &ec), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(read_cr0(), cr0);

	GUEST_ASSERT_EQ(write_reg(CR0, cr0 | X86_CR0_TS, &ec), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(read_cr0(), cr0 | X86_CR0_TS);
	asm volatile("clts");
	GUEST_ASSERT_EQ(read_cr0(), cr0 & ~X86_CR0_TS);
	asm volatile("lmsw %0" : : "r"((uint16_t)((cr0 | X86_CR0_TS) & ~X86_CR0_PE)));
	GUEST_ASSERT_EQ(read_cr0(), cr0 | X86_CR0_TS);
	asm volatile("clts");
	GUEST_ASSERT_EQ(read_cr0(), cr0 & ~X86_CR0_TS);

	GUEST_ASSERT_EQ(write_reg(CR4, cr4 & ~X86_CR4_PGE, &ec), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(read_cr4(), cr4 & ~X86_CR4_PGE);
	GUEST_ASSERT_EQ(write_reg(CR4, cr4 | X86_CR4_PGE, &ec), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(read_cr4(), cr4 | X86_CR4_PGE);

	GUEST_ASSERT_EQ(write_reg(EFER, efer & ~EFER_LMA, &ec), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer);
	GUEST_DONE();
}

TEST(legal_writes_take_effect)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_good_writes);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/* Runs in 32-bit protected mode without paging: the same bytes there. */
void lme_hlt(void);
asm(".pushsection .text\n"
    "lme_hlt: hlt\n"
    "	jmp lme_hlt\n"
    ".popsection");

/*
 * EFER.LME set with CR0.PG and CR4.PAE clear: long mode enabled, not
 * active, a legal state (SDM vol. 3A, 9.8.5), which RS_SET_SREGS takes.
 * An exit from it must leave the host as it was.  QEMU 7.2 restored the
 * host's CR0 before its CR4 at #VMEXIT and refused it there, so the host
 * CPU ran on without paging and died (Documentation/testing.rst): the
 * test VM hung here instead of seeing the HLT.
 */
TEST(long_mode_enabled_paging_off)
{
	struct rs_vcpu *vcpu;
	struct rs_sregs s;
	struct rs_regs r;
	struct rs_vm *vm;
	char buf[256];
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_good_writes);
	rs_vcpu_sregs_get(vcpu, &s);
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	s.cr4 = 0;
	s.efer = EFER_LME;
	s.cs.attr = (s.cs.attr & ~RS_SEG_L) | RS_SEG_DB;
	rs_vcpu_sregs_set(vcpu, &s);
	rs_vcpu_regs_get(vcpu, &r);
	r.rip = (uint64_t)lme_hlt;
	r.rflags = 2;
	rs_vcpu_regs_set(vcpu, &r);

	/* Twice: the second entry starts from what the first exit left. */
	for (i = 0; i < 2; i++) {
		rs_vcpu_run(vcpu);
		ASSERT_EQ(RS_EXIT_HLT, vcpu->run->exit_reason)
			TH_LOG("run %d: %s", i, rs_exit_describe(vcpu, buf, sizeof(buf)));
	}
	rs_vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(X86_CR0_PE | X86_CR0_ET, s.cr0 & (X86_CR0_PE | X86_CR0_PG | X86_CR0_ET));
	EXPECT_EQ(EFER_LME, s.efer & (EFER_LME | EFER_LMA));
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
