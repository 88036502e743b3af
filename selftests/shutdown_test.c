// SPDX-License-Identifier: GPL-2.0
/*
 * A triple fault exits as RS_EXIT_SHUTDOWN: with an empty IDT, UD2's #UD
 * cannot be delivered, nor the #GP and #DF that follow.  The process and
 * other VMs are unaffected.
 *
 * Afterwards the vCPU is usable again once user space gives it a state.
 * On SVM the VMCB is undefined after a shutdown intercept, so ringside puts
 * the vCPU in its RESET state first (real mode at F000:FFF0), as KVM does.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_triple_fault(void)
{
	struct rs_desc_ptr null_idt = { .limit = 0, .base = 0 };

	GUEST_SYNC(1);
	lidt(&null_idt);
	asm volatile("ud2");
	GUEST_FAIL("survived a triple fault");
}

static void guest_fine(void)
{
	GUEST_DONE();
}

TEST(triple_fault_is_shutdown)
{
	struct rs_vcpu *vcpu, *other_vcpu;
	struct rs_vm *vm, *other;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_triple_fault);
	other = rs_vm_create_with_one_vcpu(&other_vcpu, guest_fine);

	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_SHUTDOWN);

	rs_vcpu_expect_done(other_vcpu);
	rs_vm_free(vm);
	rs_vm_free(other);
}

TEST(runs_again_after_shutdown)
{
	struct rs_regs regs, regs0;
	struct rs_sregs sregs, sregs0;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_triple_fault);
	rs_vcpu_regs_get(vcpu, &regs0);
	rs_vcpu_sregs_get(vcpu, &sregs0);
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_SHUTDOWN);

	if (vm->svm) {
		rs_vcpu_sregs_get(vcpu, &sregs);
		rs_vcpu_regs_get(vcpu, &regs);
		EXPECT_EQ(0xf000, sregs.cs.selector);
		EXPECT_EQ(0xffff0000, sregs.cs.base);
		EXPECT_EQ(0xfff0, regs.rip);
		EXPECT_EQ(0, sregs.cr0 & X86_CR0_PE) TH_LOG("not in real mode");
	}

	regs0.rip = (uint64_t)guest_fine;
	rs_vcpu_sregs_set(vcpu, &sregs0);
	rs_vcpu_regs_set(vcpu, &regs0);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
