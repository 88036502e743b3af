// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs of one VM run at the same time, each in its own thread:
 * each runs its own guest code to the end with its own registers, and they
 * share guest memory (a LOCK XADD counter adds up).  All RS_CAP_MAX_VCPUS
 * vCPUs of a VM can be created and run.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define NR_THREADS	4
#define ROUNDS		200

static uint64_t counter;

static void guest_code(uint64_t id)
{
	uint64_t i, one;

	for (i = 0; i < ROUNDS; i++) {
		one = 1;
		asm volatile("lock xaddq %0, %1" : "+r"(one), "+m"(counter));
		GUEST_SYNC_ARGS(i, id, 0, 0);
	}
	GUEST_DONE();
}

struct worker {
	struct rs_vcpu *vcpu;
	uint64_t syncs;
	int bad;
};

static void *run_vcpu(void *arg)
{
	struct worker *w = arg;
	struct ucall uc;

	for (;;) {
		uint64_t cmd = rs_vcpu_run_ucall(w->vcpu, &uc);

		if (cmd == UCALL_DONE)
			break;
		if (cmd != UCALL_SYNC || uc.args[0] != w->syncs ||
		    uc.args[1] != w->vcpu->id)
			w->bad++;
		w->syncs++;
	}
	return NULL;
}

TEST(concurrent_vcpus)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	struct rs_vm *vm;
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	for (i = 0; i < NR_THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].vcpu = rs_vcpu_add(vm, i * 7, guest_code);
		rs_vcpu_args_set(w[i].vcpu, 1, (uint64_t)(i * 7));
	}
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_vcpu, &w[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NR_THREADS; i++) {
		EXPECT_EQ(ROUNDS, w[i].syncs) TH_LOG("vCPU %d", i * 7);
		EXPECT_EQ(0, w[i].bad) TH_LOG("vCPU %d saw another's state", i * 7);
	}
	rs_sync_global_from_guest(vm, counter);
	EXPECT_EQ(NR_THREADS * ROUNDS, counter);
	rs_vm_free(vm);
}

static void guest_short(uint64_t id)
{
	GUEST_SYNC_ARGS(0, id, 0, 0);
	GUEST_DONE();
}

TEST(max_vcpus)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	long i, max;

	RS_REQUIRE_VM();
	max = rs_check_cap(RS_CAP_MAX_VCPUS);
	vm = rs_vm_create_default();
	for (i = 0; i < max; i++) {
		/* highest id first: ids need not come in order */
		vcpu = rs_vcpu_add(vm, max - 1 - i, guest_short);
		rs_vcpu_args_set(vcpu, 1, (uint64_t)(max - 1 - i));
	}
	EXPECT_ERRNO(EINVAL, __rs_create_vcpu(vm, max));
	for (i = 0; i < max; i++) {
		vcpu = vm->vcpus[i];
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(vcpu->id, uc.args[1]);
		rs_vcpu_expect_done(vcpu);
	}
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
