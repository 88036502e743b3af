// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU follows the thread that runs it: between two RS_RUN calls the
 * thread moves to the other CPU, every time, and the guest goes on where it
 * was with its registers intact.  On VMX this moves the VMCS (VMCLEAR where
 * it was active, VMPTRLD on the new CPU); on SVM the vCPU takes a fresh
 * ASID there.  Needs two online CPUs.
 */
#include <sched.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MOVES 200

static void guest_code(void)
{
	uint64_t i, sum = 0;

	for (i = 0; i < MOVES; i++) {
		sum += i;
		/* i and sum live in registers across the exit. */
		GUEST_SYNC_ARGS(i, sum, ~sum, i * 3);
	}
	GUEST_DONE();
}

static int run_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

TEST(moves_between_cpus_every_exit)
{
	struct rs_vcpu *vcpu;
	uint64_t i, sum = 0;
	struct ucall uc;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	if (run_on(0) || run_on(1))
		SKIP(return, "needs CPUs 0 and 1 online");

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	for (i = 0; i < MOVES; i++) {
		ASSERT_EQ(0, run_on(i & 1));
		ASSERT_EQ((int)(i & 1), sched_getcpu());
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		sum += i;
		ASSERT_EQ(i, uc.args[0]);
		ASSERT_EQ(sum, uc.args[1]);
		ASSERT_EQ(~sum, uc.args[2]);
		ASSERT_EQ(i * 3, uc.args[3]);
	}
	ASSERT_EQ(0, run_on(0));
	rs_vcpu_expect_done(vcpu);
	/* Freed on CPU 0 after its last run there: nothing left behind. */
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
