// SPDX-License-Identifier: GPL-2.0
/*
 * A signal to the thread in RS_RUN, whose handler returns (no SA_RESTART),
 * makes RS_RUN return -1 with errno EINTR and exit_reason RS_EXIT_INTR
 * even though the guest never exits by itself; the next RS_RUN resumes
 * the guest where it was.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static volatile uint64_t go_on;		/* set by the host in guest memory */
static volatile uint64_t spins;

static void guest_code(void)
{
	GUEST_SYNC(1);
	while (!go_on)
		spins++;
	GUEST_SYNC_ARGS(2, spins, 0, 0);
	GUEST_DONE();
}

static void on_sigusr1(int sig)
{
}

TEST(signal_interrupts_run)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct rs_runner r = { 0 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	pthread_t t;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 1);

	r.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	/* Let it enter the guest, then keep signalling until it returns. */
	usleep(200 * 1000);
	for (i = 0; i < 1000 && !r.done; i++) {
		pthread_kill(t, SIGUSR1);
		usleep(10 * 1000);
	}
	ASSERT_TRUE(r.done) TH_LOG("RS_RUN did not return on SIGUSR1");
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err) TH_LOG("errno %s", strerrorname_np(r.err));
	EXPECT_EQ(RS_EXIT_INTR, r.exit_reason)
		TH_LOG("exit reason %s", rs_exit_reason_str(r.exit_reason));

	/* The guest resumes and sees the host's flag. */
	*(uint64_t *)rs_gpa2hva(vm, (uint64_t)&go_on) = 1;
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_LT(0, uc.args[1]) TH_LOG("the guest never spun");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
