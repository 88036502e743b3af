// SPDX-License-Identifier: GPL-2.0
/*
 * VMs come and go while the netlink family "ringside" dumps them: threads
 * create VMs with vCPUs and close them at once while others dump VMs and
 * per-vCPU statistics in a loop.  Dumps hold references, so a VM whose
 * last fd closes mid-dump is freed by the dump and nothing is used after
 * it is freed: every dump succeeds, and the kernel log stays clean.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define SECONDS		2

static volatile int stop;
static int vms_made, dumps_done;

static void *churn(void *arg)
{
	int dev = *(int *)arg, n = 0;

	while (!stop) {
		int vm = ioctl(dev, RS_CREATE_VM, 0);
		int vcpu;

		if (vm < 0)
			return (void *)(long)errno;
		vcpu = ioctl(vm, RS_CREATE_VCPU, n++ % 4);
		__atomic_add_fetch(&vms_made, 1, __ATOMIC_RELAXED);
		/* The vCPU fd outlives the VM fd half of the time. */
		if (n & 1)
			close(vm);
		if (vcpu >= 0)
			close(vcpu);
		if (!(n & 1))
			close(vm);
	}
	return NULL;
}

static void *dump(void *arg)
{
	static __thread struct rs_nl_vm list[256];
	struct rs_nl nl;
	long bad = 0;
	int n;

	if (rs_nl_open(&nl))
		return (void *)1L;
	while (!stop) {
		n = rs_nl_dump(&nl, RS_NL_CMD_GET_STATS, true, list, 256);
		bad += n < 0;
		n = rs_nl_dump(&nl, RS_NL_CMD_GET_VM, false, list, 256);
		bad += n < 0;
		__atomic_add_fetch(&dumps_done, 2, __ATOMIC_RELAXED);
	}
	rs_nl_close(&nl);
	return (void *)bad;
}

TEST(vms_go_away_during_dumps)
{
	pthread_t c[2], d[2];
	void *ret;
	const char *splat;
	size_t len = 0;
	char *log;
	int dev, kmsg, i;

	RS_REQUIRE_VM();
	RS_OPEN_DEV(dev);
	kmsg = rs_kmsg_open();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&c[i], NULL, churn, &dev));
		ASSERT_EQ(0, pthread_create(&d[i], NULL, dump, NULL));
	}
	sleep(SECONDS);
	stop = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(c[i], &ret);
		EXPECT_EQ(NULL, ret) TH_LOG("RS_CREATE_VM: %s", strerror((long)ret));
		pthread_join(d[i], &ret);
		EXPECT_EQ(NULL, ret) TH_LOG("dumps that failed");
	}
	TH_LOG("%d VMs created and freed, %d dumps", vms_made, dumps_done);
	EXPECT_LT(0, vms_made);
	EXPECT_LT(0, dumps_done);
	log = rs_kmsg_read(kmsg);
	splat = rs_kmsg_find_splat(log, &len);
	EXPECT_EQ(NULL, splat) TH_LOG("%.*s", (int)len, splat);
	free(log);
	close(kmsg);
	close(dev);
}

TEST_HARNESS_MAIN
