// SPDX-License-Identifier: GPL-2.0
/*
 * VMs come and go while the netlink family "ringside" dumps them: threads
 * create VMs with vCPUs and close them at once while others dump VMs and
 * per-vCPU statistics in a loop.  Dumps hold references, so a VM whose
 * last fd closes mid-dump is freed by the dump and nothing is used after
 * it is freed: every dump succeeds, and the kernel log stays clean.
 *
 * A dump lists only the VMs there when it began, however fast new ones
 * come: here at most four (one per churning thread, one held by each
 * dumping thread), each with at most one vCPU, so at most eight messages.
 * A dump that chased new VMs would collect more and fail with EBADMSG.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define SECONDS		2
#define MAX_MESSAGES	8

static volatile int stop;
static int vms_made, dumps_done, dump_errno;

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
	static const uint8_t cmd[] = { RS_NL_CMD_GET_STATS, RS_NL_CMD_GET_VM };
	static __thread struct rs_nl_vm list[MAX_MESSAGES];
	struct rs_nl nl;
	long bad = 0;
	int n, i;

	if (rs_nl_open(&nl))
		return (void *)1L;
	while (!stop) {
		/* Per-vCPU statistics, then the VMs alone. */
		for (i = 0; i < 2; i++) {
			n = rs_nl_dump(&nl, cmd[i], !i, list, MAX_MESSAGES);
			if (n < 0 && !bad++)
				dump_errno = -n;
		}
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
		EXPECT_EQ(NULL, ret) TH_LOG("dumps that failed, the first with %s",
					   strerror(dump_errno));
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

/*
 * Deterministic: 400 VMs take more than one skb of a dump (32 KiB at most),
 * and a VM created once the first part has arrived gets the highest id,
 * which the rest of the dump has still to reach.  It must not be listed.
 */
#define OLD_VMS		400

struct late_vm {
	int dev, fd, count, bytes;
	uint32_t id;
	bool seen, bad;
};

static void create_late_vm(const struct nlmsghdr *nlh, void *arg)
{
	struct late_vm *l = arg;
	struct rs_nl_vm v;

	if (l->fd < 0) {
		l->fd = ioctl(l->dev, RS_CREATE_VM, 0);
		if (l->fd >= 0)
			l->id = rs_vm_fd_id(l->fd);
	}
	if (!rs_nl_parse_vm(nlh, &v))
		l->bad = true;
	l->seen |= v.id == l->id;
	l->count++;
	l->bytes += nlh->nlmsg_len;
}

TEST(vm_created_during_a_dump_is_left_out)
{
	struct late_vm l = { .fd = -1 };
	struct rs_nl_msg m;
	struct rs_nl nl;
	int vms[OLD_VMS];
	int i;

	RS_REQUIRE_VM();
	RS_OPEN_DEV(l.dev);
	ASSERT_EQ(0, rs_nl_open(&nl));
	for (i = 0; i < OLD_VMS; i++) {
		vms[i] = ioctl(l.dev, RS_CREATE_VM, 0);
		ASSERT_LE(0, vms[i]) TH_LOG("VM %d: %s", i, strerror(errno));
	}

	rs_nl_msg_init(&m, &nl, NLM_F_DUMP, RS_NL_CMD_GET_VM);
	EXPECT_EQ(0, rs_nl_transact(&nl, &m, create_late_vm, &l));
	ASSERT_LE(0, l.fd) TH_LOG("RS_CREATE_VM: %s", strerror(errno));
	EXPECT_FALSE(l.bad);
	EXPECT_LT(32768, l.bytes) TH_LOG("the dump fits one skb: no test");
	EXPECT_EQ(OLD_VMS, l.count);
	EXPECT_FALSE(l.seen) TH_LOG("VM %u, created during the dump, is in it",
				    l.id);

	/* The next dump has it. */
	l.count = 0;
	l.seen = false;
	EXPECT_EQ(0, rs_nl_transact(&nl, &m, create_late_vm, &l));
	EXPECT_EQ(OLD_VMS + 1, l.count);
	EXPECT_TRUE(l.seen);

	close(l.fd);
	for (i = 0; i < OLD_VMS; i++)
		close(vms[i]);
	rs_nl_close(&nl);
	close(l.dev);
}

TEST_HARNESS_MAIN
