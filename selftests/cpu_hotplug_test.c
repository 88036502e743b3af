// SPDX-License-Identifier: GPL-2.0
/*
 * A CPU that goes offline and comes back while a VM exists has SVM/VMX on
 * again: a vCPU pinned to it runs (without the hotplug callback, the entry
 * instruction would fault in the host).  Needs two CPUs and CPU hotplug.
 */
#include <sched.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

static int set_online(int online)
{
	FILE *f = fopen(CPU1_ONLINE, "w");
	int r;

	if (!f)
		return -1;
	r = fprintf(f, "%d\n", online) < 0;
	r |= fclose(f);
	return r ? -1 : 0;
}

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_DONE();
}

TEST(offline_online_cpu_runs_guests)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	cpu_set_t set;

	RS_REQUIRE_VM();
	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "CPU 1 cannot be taken offline here");

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	ASSERT_EQ(0, set_online(0));
	ASSERT_EQ(0, set_online(1));

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(1, sched_getcpu());
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);

	/* And a VM created after the CPU came back runs there too. */
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
