// SPDX-License-Identifier: GPL-2.0
/*
 * Control register accesses routed to user space (RS_SET_EXIT_ROUTE's
 * cr_read and cr_write): MOV to CR0, CR3, CR4 and CR8 and MOV from CR3
 * and CR8 come as RS_EXIT_ROUTED before they take effect, with the CR
 * number, the value written, the instruction's length and the backend's
 * raw exit (SVM: exit code 0x00 + n for a read, 0x10 + n for a write,
 * APM vol. 2, 15.9 "Instruction Intercepts"; VMX: basic exit reason 28
 * with the CR, the access type and the register in the qualification,
 * SDM vol. 3C, 28.2.1, table 28-3).
 *
 * Writes: DEFAULT commits the value as if not routed, SKIP and EMULATE
 * leave the CR as it was and go on after the MOV, INJECT #GP gives the
 * guest a #GP on the MOV and leaves the CR alone.  Reads: EMULATE puts
 * results[0] in the register, DEFAULT the CR's value, SKIP leaves the
 * register as it was.
 *
 * VMX makes a MOV to CR0 or CR4 exit only when it changes a bit the host
 * owns (SDM vol. 3C, 26.1.3; kmod/vmx.c owns all of CR4 and all of CR0 but
 * TS and MP): the writes here flip CR0.AM and CR4.TSD, which exit on both
 * backends.  A flip of CR0.TS exits on SVM only; there the test checks
 * what a routed exit says if one comes.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define X86_CR3_PWT	(1ULL << 3)
#define X86_CR4_TSD	(1ULL << 2)
#define SENTINEL	0x5a5a5a5a5a5a5a5aULL
#define CR3_RESULT	0x1234000ULL
#define CR8_RESULT	0xcULL
#define CR8_START	7

#define SVM_EXIT_READ_CR0	0x00
#define SVM_EXIT_WRITE_CR0	0x10
#define VMX_EXIT_CR_ACCESS	28

/* Through RAX: MOV to or from CR0/3/4 is 3 bytes, CR8 takes a REX prefix. */
static uint64_t write_cr(uint64_t cr, uint64_t v)
{
	switch (cr) {
	case 0:
		return RS_ASM_SAFE("mov %2, %%cr0", "a"(v));
	case 3:
		return RS_ASM_SAFE("mov %2, %%cr3", "a"(v));
	case 4:
		return RS_ASM_SAFE("mov %2, %%cr4", "a"(v));
	case 8:
		return RS_ASM_SAFE("mov %2, %%cr8", "a"(v));
	}
	GUEST_FAIL("no such CR");
	return 0;
}

static uint64_t read_cr(uint64_t cr)
{
	switch (cr) {
	case 0:
		return read_cr0();
	case 3:
		return read_cr3();
	case 4:
		return read_cr4();
	case 8:
		return read_cr8();
	}
	GUEST_FAIL("no such CR");
	return 0;
}

/* MOV from CR3 or CR8 to RAX, which holds @*v before. */
static uint64_t read_cr_safe(uint64_t cr, uint64_t *v)
{
	uint64_t ec, r = *v, vec;

	if (cr == 3)
		vec = RS_ASM_SAFE_EC("mov %%cr3, %2", &ec, COMMA_OUT("+a"(r)));
	else
		vec = RS_ASM_SAFE_EC("mov %%cr8, %2", &ec, COMMA_OUT("+a"(r)));
	*v = r;
	return vec;
}

static unsigned int insn_len(uint32_t cr)
{
	return cr == 8 ? 4 : 3;
}

/* The raw exit of a routed access of CR@cr through RAX. */
static void check_hw(struct __test_metadata *_metadata, struct rs_vm *vm,
		     struct rs_vcpu *vcpu, uint32_t cr, bool write)
{
	struct rs_run *run = vcpu->run;

	if (vm->svm) {
		EXPECT_EQ((write ? SVM_EXIT_WRITE_CR0 : SVM_EXIT_READ_CR0) + cr,
			  run->routed.hw_code) TH_LOG("SVM exit code");
		return;
	}
	EXPECT_EQ(VMX_EXIT_CR_ACCESS, run->routed.hw_code) TH_LOG("VMX exit reason");
	/* CR number in 3:0, access type in 5:4 (0 MOV to, 1 MOV from), RAX (0) in 11:8 */
	EXPECT_EQ(cr | (write ? 0 : 1) << 4, run->routed.hw_info[0] & 0xfff)
		TH_LOG("VMX exit qualification %#llx", run->routed.hw_info[0]);
}

/*
 * Writes of CR@cr: @new, then @old four times.  The host answers DEFAULT
 * (the CR is @new), SKIP, EMULATE, INJECT #GP (it stays @new) and DEFAULT
 * (it is @old again).
 */
#define NR_WRITES	5

static const uint32_t write_answers[NR_WRITES] = {
	RS_ROUTE_DEFAULT, RS_ROUTE_SKIP, RS_ROUTE_EMULATE, RS_ROUTE_INJECT,
	RS_ROUTE_DEFAULT,
};

static void write_guest(uint64_t cr, uint64_t old, uint64_t new)
{
	uint64_t vec;
	unsigned int i;

	for (i = 0; i < NR_WRITES; i++) {
		vec = write_cr(cr, i ? old : new);
		GUEST_SYNC_ARGS(i, vec, read_cr(cr), 0);
	}
	GUEST_DONE();
}

static uint64_t sregs_cr(struct rs_vcpu *vcpu, uint32_t cr)
{
	struct rs_sregs s;

	rs_vcpu_sregs_get(vcpu, &s);
	return cr == 0 ? s.cr0 : cr == 3 ? s.cr3 : cr == 4 ? s.cr4 : s.cr8;
}

static void route_writes(struct __test_metadata *_metadata, uint32_t cr, uint64_t flip)
{
	struct rs_exit_route rt = { .cr_write = 1U << cr };
	uint64_t old, new, want;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, write_guest);
	old = sregs_cr(vcpu, cr);
	new = cr == 8 ? 5 : old ^ flip;
	rs_vcpu_args_set(vcpu, 3, (uint64_t)cr, old, new);
	rs_vcpu_set_route(vcpu, &rt);

	for (i = 0; i < NR_WRITES; i++) {
		rs_vcpu_expect_routed(vcpu, RS_ROUTED_CR_WRITE, cr);
		EXPECT_EQ(i ? old : new, vcpu->run->routed.value)
			TH_LOG("write %u of CR%u: the value written", i, cr);
		EXPECT_EQ(insn_len(cr), vcpu->run->routed.insn_len)
			TH_LOG("MOV to CR%u: length", cr);
		EXPECT_EQ(0, vcpu->run->routed.flags);
		check_hw(_metadata, vm, vcpu, cr, true);
		EXPECT_EQ(i ? new : old, sregs_cr(vcpu, cr))
			TH_LOG("write %u of CR%u: routed, not carried out yet", i, cr);
		if (write_answers[i] == RS_ROUTE_INJECT)
			rs_route_answer_inject(vcpu, GP_VECTOR, true, 0);
		else
			rs_route_answer(vcpu, write_answers[i], 0);

		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(write_answers[i] == RS_ROUTE_INJECT ? GP_VECTOR : RS_NO_EXCEPTION,
			  uc.args[1]) TH_LOG("write %u of CR%u: the vector the MOV raised", i, cr);
		want = i == NR_WRITES - 1 ? old : new;
		EXPECT_EQ(want, uc.args[2])
			TH_LOG("write %u of CR%u: the guest reads it back", i, cr);
		EXPECT_EQ(want, sregs_cr(vcpu, cr)) TH_LOG("write %u of CR%u: RS_GET_SREGS", i, cr);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(cr0_write)
{
	route_writes(_metadata, 0, X86_CR0_AM);
}

TEST(cr3_write)
{
	route_writes(_metadata, 3, X86_CR3_PWT);
}

TEST(cr4_write)
{
	route_writes(_metadata, 4, X86_CR4_TSD);
}

TEST(cr8_write)
{
	route_writes(_metadata, 8, 0);
}

/*
 * CR0.TS: the guest's own on VMX (no exit), intercepted on SVM.  Either
 * way the write takes effect; a routed exit, if one comes, says what the
 * guest writes.
 */
static void ts_guest(uint64_t cr0)
{
	write_cr(0, cr0 | X86_CR0_TS);
	GUEST_SYNC_ARGS(1, read_cr0(), 0, 0);
	write_cr(0, cr0 & ~X86_CR0_TS);
	GUEST_SYNC_ARGS(2, read_cr0(), 0, 0);
	GUEST_DONE();
}

TEST(cr0_ts_write)
{
	struct rs_exit_route rt = { .cr_write = 1U << 0 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint64_t cr0, want;
	unsigned int i, routed = 0;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, ts_guest);
	cr0 = sregs_cr(vcpu, 0) & ~X86_CR0_TS;
	rs_vcpu_args_set(vcpu, 1, cr0);
	rs_vcpu_set_route(vcpu, &rt);
	for (i = 1; i <= 2; i++) {
		want = i == 1 ? cr0 | X86_CR0_TS : cr0;
		rs_vcpu_run(vcpu);
		if (vcpu->run->exit_reason == RS_EXIT_ROUTED) {
			routed++;
			EXPECT_EQ(RS_ROUTED_CR_WRITE, vcpu->run->routed.event);
			EXPECT_EQ(0, vcpu->run->routed.index);
			EXPECT_EQ(want, vcpu->run->routed.value) TH_LOG("the value written");
			rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
			rs_vcpu_run(vcpu);
		}
		ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(want, uc.args[1]) TH_LOG("CR0 as the guest reads it");
	}
	if (vm->svm) {
		EXPECT_EQ(2, routed) TH_LOG("SVM intercepts every MOV to CR0");
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * Reads of CR@cr into RAX holding SENTINEL: the host answers EMULATE
 * (results[0]), DEFAULT (the CR), SKIP (RAX unchanged), INJECT #GP (a #GP,
 * RAX unchanged).
 */
#define NR_READS	4

static const uint32_t read_answers[NR_READS] = {
	RS_ROUTE_EMULATE, RS_ROUTE_DEFAULT, RS_ROUTE_SKIP, RS_ROUTE_INJECT,
};

static void read_guest(uint64_t cr)
{
	uint64_t v, vec;
	unsigned int i;

	for (i = 0; i < NR_READS; i++) {
		v = SENTINEL;
		vec = read_cr_safe(cr, &v);
		GUEST_SYNC_ARGS(i, vec, v, 0);
	}
	GUEST_DONE();
}

static void route_reads(struct __test_metadata *_metadata, uint32_t cr)
{
	struct rs_exit_route rt = { .cr_read = 1U << cr };
	uint64_t result = cr == 3 ? CR3_RESULT : CR8_RESULT, real, want;
	struct rs_vcpu *vcpu;
	struct rs_sregs s;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, read_guest);
	/* A TPR that is neither 0 nor what EMULATE returns. */
	rs_vcpu_sregs_get(vcpu, &s);
	s.cr8 = CR8_START;
	rs_vcpu_sregs_set(vcpu, &s);
	real = sregs_cr(vcpu, cr);
	rs_vcpu_args_set(vcpu, 1, (uint64_t)cr);
	rs_vcpu_set_route(vcpu, &rt);

	for (i = 0; i < NR_READS; i++) {
		rs_vcpu_expect_routed(vcpu, RS_ROUTED_CR_READ, cr);
		EXPECT_EQ(insn_len(cr), vcpu->run->routed.insn_len)
			TH_LOG("MOV from CR%u: length", cr);
		check_hw(_metadata, vm, vcpu, cr, false);
		if (read_answers[i] == RS_ROUTE_INJECT)
			rs_route_answer_inject(vcpu, GP_VECTOR, true, 0);
		else
			rs_route_answer(vcpu, read_answers[i], result);

		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(read_answers[i] == RS_ROUTE_INJECT ? GP_VECTOR : RS_NO_EXCEPTION,
			  uc.args[1]) TH_LOG("read %u of CR%u: the vector the MOV raised", i, cr);
		want = read_answers[i] == RS_ROUTE_EMULATE ? result :
		       read_answers[i] == RS_ROUTE_DEFAULT ? real : SENTINEL;
		EXPECT_EQ(want, uc.args[2]) TH_LOG("read %u of CR%u: RAX", i, cr);
	}
	EXPECT_EQ(real, sregs_cr(vcpu, cr)) TH_LOG("CR%u after the reads", cr);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(cr3_read)
{
	route_reads(_metadata, 3);
}

TEST(cr8_read)
{
	route_reads(_metadata, 8);
}

/* Both ways at once: a TPR written and read back through user space. */
static void cr8_guest(void)
{
	uint64_t v = SENTINEL;

	write_cr(8, 5);
	read_cr_safe(8, &v);
	GUEST_SYNC_ARGS(1, v, 0, 0);
	write_cr(8, 9);
	v = SENTINEL;
	read_cr_safe(8, &v);
	GUEST_SYNC_ARGS(2, v, 0, 0);
	GUEST_DONE();
}

TEST(cr8_write_then_read)
{
	struct rs_exit_route rt = { .cr_read = 1U << 8, .cr_write = 1U << 8 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, cr8_guest);
	rs_vcpu_set_route(vcpu, &rt);

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_CR_WRITE, 8);
	EXPECT_EQ(5, vcpu->run->routed.value);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	rs_vcpu_expect_routed(vcpu, RS_ROUTED_CR_READ, 8);
	EXPECT_EQ(5, sregs_cr(vcpu, 8)) TH_LOG("DEFAULT wrote the TPR");
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(5, uc.args[1]) TH_LOG("the TPR read back");

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_CR_WRITE, 8);
	EXPECT_EQ(9, vcpu->run->routed.value);
	rs_route_answer(vcpu, RS_ROUTE_SKIP, 0);
	rs_vcpu_expect_routed(vcpu, RS_ROUTED_CR_READ, 8);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(5, uc.args[1]) TH_LOG("SKIP left the TPR");
	EXPECT_EQ(5, sregs_cr(vcpu, 8));
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
