// SPDX-License-Identifier: GPL-2.0
/*
 * HLT exits to user space as RS_EXIT_HLT with RIP past the HLT, and the
 * next RS_RUN resumes after it.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	GUEST_SYNC(0);
	hlt();
	GUEST_SYNC(1);
	hlt();
	hlt();
	GUEST_DONE();
}

TEST(hlt_exits_and_resumes)
{
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	uint8_t *insn;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 0);

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	rs_vcpu_regs_get(vcpu, &regs);
	insn = rs_gpa2hva(vm, regs.rip - 1);
	EXPECT_EQ(0xf4, *insn)
		TH_LOG("RIP %#llx after the HLT exit does not follow a HLT",
		       regs.rip);
	rs_vcpu_expect_sync(vcpu, 1);

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
