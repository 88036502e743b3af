// SPDX-License-Identifier: GPL-2.0
/*
 * Killing a process at any point of a VM's life leaves nothing behind:
 * SIGKILL lands while vCPU threads run, while they are being created, or
 * before the first RS_RUN.  Afterwards the module has no users, the kernel
 * log no warning and kernel memory did not grow: on a debug kernel, whose
 * KASAN keeps freed objects in quarantine, kmemleak finds no object of
 * ringside's unreferenced instead, as vm_create_destroy_test checks.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define NR_VCPUS	3
#define ROUNDS		40

static void guest_code(void)
{
	for (;;)
		asm volatile("pause");
}

static void *vcpu_thread(void *arg)
{
	for (;;)
		__rs_vcpu_run(arg);
	return NULL;
}

/* The child: a VM whose vCPUs spin in the guest until it is killed. */
static void __attribute__((noreturn)) child(void)
{
	struct rs_vcpu *vcpu[NR_VCPUS];
	struct rs_vm *vm = rs_vm_create_default();
	pthread_t t;
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		vcpu[i] = rs_vcpu_add(vm, i, guest_code);
		pthread_create(&t, NULL, vcpu_thread, vcpu[i]);
	}
	for (;;)
		pause();
}

TEST(sigkill_at_any_point)
{
	struct rs_mem before, after;
	int kmsg = rs_kmsg_open();
	const char *splat;
	long ref = -1;
	char *log;
	size_t len;
	int i, status;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	if (rs_kmemleak_present())
		rs_kmemleak_clear();
	ASSERT_EQ(0, rs_mem_snapshot(&before));
	for (i = 0; i < ROUNDS; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid)
			child();
		/* From at once to well after the vCPUs run. */
		usleep((i % 10) * (i % 10) * 1000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status));
	}
	ASSERT_EQ(0, rs_mem_snapshot(&after));

	EXPECT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref) TH_LOG("ringside still has %ld users", ref);
	if (rs_kmemleak_present()) {
		log = rs_kmemleak_scan();
		ASSERT_NE(NULL, log) TH_LOG("kmemleak scan failed");
		splat = rs_kmemleak_mine(log, &len);
		EXPECT_EQ(NULL, splat) TH_LOG("kmemleak: %.*s", (int)len, splat);
		free(log);
	} else {
		EXPECT_LE(after.kernel_kb - before.kernel_kb, 512)
			TH_LOG("kernel memory grew by %ld KiB over %d killed VMs",
			       after.kernel_kb - before.kernel_kb, ROUNDS);
	}
	log = rs_kmsg_read(kmsg);
	splat = log ? rs_kmsg_find_splat(log, &len) : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
	free(log);
	close(kmsg);
}

TEST_HARNESS_MAIN
