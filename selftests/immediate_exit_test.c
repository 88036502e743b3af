// SPDX-License-Identifier: GPL-2.0
/*
 * run->immediate_exit set: RS_RUN returns -1 with errno EINTR and
 * exit_reason RS_EXIT_INTR without entering the guest; cleared, the guest
 * runs on from where it was.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_SYNC(2);
	GUEST_DONE();
}

TEST(immediate_exit)
{
	struct rs_regs before, after;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	for (i = 0; i < 2; i++) {
		rs_vcpu_regs_get(vcpu, &before);
		vcpu->run->immediate_exit = 1;
		vcpu->run->exit_reason = 0xffff;
		EXPECT_ERRNO(EINTR, __rs_vcpu_run(vcpu));
		EXPECT_EQ(RS_EXIT_INTR, vcpu->run->exit_reason);
		rs_vcpu_regs_get(vcpu, &after);
		EXPECT_EQ(before.rip, after.rip) TH_LOG("the guest ran");
		vcpu->run->immediate_exit = 0;
		rs_vcpu_expect_sync(vcpu, i + 1);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/* RS_RUN's argument must be 0; a refused RS_RUN does not run the guest. */
TEST(run_arg_nonzero)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_RUN, 1));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_RUN, ~0UL));
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
