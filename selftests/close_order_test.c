// SPDX-License-Identifier: GPL-2.0
/*
 * fds can be closed in any order: a vCPU keeps running after its VM fd and
 * /dev/ringside are closed; a vCPU fd closed while another thread is in
 * RS_RUN leaves that RS_RUN running until it is interrupted; the run page
 * stays usable until unmapped.  Afterwards nothing is left: the module has
 * no users and the kernel log no warning.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static volatile uint64_t stop;

static void guest_code(void)
{
	GUEST_SYNC(1);
	while (!stop)
		asm volatile("pause");
	GUEST_DONE();
}

static void check_clean(struct __test_metadata *_metadata, int kmsg)
{
	const char *splat;
	size_t len;
	char *log;
	long ref;

	if (geteuid() == 0 && rs_module_count(&ref) == 1) {
		EXPECT_EQ(0, ref) TH_LOG("ringside still has %ld users", ref);
	}
	if (kmsg < 0)
		return;
	log = rs_kmsg_read(kmsg);
	splat = log ? rs_kmsg_find_splat(log, &len) : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
	free(log);
	close(kmsg);
}

TEST(vcpu_outlives_vm_and_dev)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int kmsg = rs_kmsg_open();

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 1);
	close(vm->fd);
	close(vm->dev_fd);
	vm->fd = vm->dev_fd = -1;
	*(uint64_t *)rs_gpa2hva(vm, (uint64_t)&stop) = 1;
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	check_clean(_metadata, kmsg);
}

TEST(vm_first_then_vcpus)
{
	struct rs_vm *vm;
	int kmsg = rs_kmsg_open();
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	for (i = 0; i < 4; i++)
		rs_vcpu_create_bare(vm, i);
	close(vm->fd);
	vm->fd = -1;
	for (i = 3; i >= 0; i--) {
		rs_vcpu_free(vm->vcpus[i]);
		vm->nr_vcpus--;
	}
	rs_vm_free(vm);
	check_clean(_metadata, kmsg);
}

TEST(run_page_outlives_fds)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int kmsg = rs_kmsg_open();
	struct rs_run *run;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	vcpu = rs_vcpu_create_bare(vm, 0);
	run = vcpu->run;
	close(vcpu->fd);
	close(vm->fd);
	close(vm->dev_fd);
	/* the mapping holds the page (and the vCPU) */
	run->immediate_exit = 1;
	EXPECT_EQ(1, run->immediate_exit);
	munmap(run, vm->run_size);
	vm->nr_vcpus = 0;
	free(vcpu);
	vm->fd = vm->dev_fd = -1;
	rs_vm_free(vm);
	check_clean(_metadata, kmsg);
}

static void on_sigusr1(int sig)
{
}

TEST(close_while_running)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct rs_runner r = { 0 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int kmsg = rs_kmsg_open();
	pthread_t t;
	int i, fd;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 1);

	r.vcpu = vcpu;
	fd = vcpu->fd;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	usleep(200 * 1000);
	/* close everything under the running vCPU */
	close(fd);
	close(vm->fd);
	close(vm->dev_fd);
	usleep(200 * 1000);
	EXPECT_FALSE(r.done) TH_LOG("RS_RUN returned when its fd was closed (%d, %s)",
				    r.ret, strerror(r.err));
	for (i = 0; i < 1000 && !r.done; i++) {
		pthread_kill(t, SIGUSR1);
		usleep(10 * 1000);
	}
	ASSERT_TRUE(r.done) TH_LOG("RS_RUN did not return on SIGUSR1");
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(RS_EXIT_INTR, vcpu->run->exit_reason);

	munmap(vcpu->run, vm->run_size);
	free(vcpu);
	vm->nr_vcpus = 0;
	vm->fd = vm->dev_fd = -1;
	rs_vm_free(vm);
	check_clean(_metadata, kmsg);
}

TEST_HARNESS_MAIN
