// SPDX-License-Identifier: GPL-2.0
/*
 * A triple fault exits as RS_EXIT_SHUTDOWN: with an empty IDT, UD2's #UD
 * cannot be delivered, nor the #GP and #DF that follow.  The process and
 * other VMs are unaffected.
 *
 * Afterwards user space can read the state the triple fault left (the
 * launcher prints it), and the vCPU runs again once user space gives it a
 * state.  (On SVM the VMCB is undefined after a shutdown intercept: an
 * entry without a new RS_SET_SREGS starts from the RESET state.)
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
	struct rs_regs regs0;
	struct rs_sregs sregs, sregs0;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_triple_fault);
	rs_vcpu_regs_get(vcpu, &regs0);
	rs_vcpu_sregs_get(vcpu, &sregs0);
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_SHUTDOWN);

	/* The state the triple fault left: 64-bit code, an empty IDT. */
	rs_vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(sregs0.cs.selector, sregs.cs.selector);
	EXPECT_TRUE(sregs.cr0 & X86_CR0_PG);
	EXPECT_EQ(0, sregs.idt.limit);

	regs0.rip = (uint64_t)guest_fine;
	rs_vcpu_sregs_set(vcpu, &sregs0);
	rs_vcpu_regs_set(vcpu, &regs0);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
