// SPDX-License-Identifier: GPL-2.0
/*
 * The "events" group of the netlink family "ringside" streams sampled
 * exits of a running guest: each names the VM, the vCPU, the reason and
 * the guest RIP (here the CPUID the guest loops on), no more than the
 * module parameter event_rate per second and VM; event_rate=0 stops them.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define RATE		50

/* The CPUID instruction the guest loops on, for the events' RIP. */
extern const char rs_events_cpuid[];

/* Rounds of n CPUIDs, each ended by a ucall, until the host stops. */
static void __attribute__((noinline)) guest_code(uint64_t n)
{
	uint32_t a, b, c, d;
	uint64_t i;

	for (;;) {
		for (i = 0; i < n; i++) {
			a = 0;
			c = 0;
			asm volatile(".global rs_events_cpuid\n"
				     "rs_events_cpuid: cpuid"
				     : "+a"(a), "=b"(b), "+c"(c), "=d"(d) :: "memory");
		}
		GUEST_SYNC(0);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct run {
	struct rs_vcpu *vcpu;
	int rounds;
	volatile int stop, done;
};

/*
 * A bounded number of rounds, so that the test ends even where nothing
 * but a timer would wake the reader while the guest spins.
 */
static void *run_guest(void *arg)
{
	struct run *r = arg;
	int i;

	for (i = 0; i < r->rounds && !r->stop; i++)
		rs_vcpu_expect_sync(r->vcpu, 0);
	r->done = 1;
	return NULL;
}
FIXTURE(events) {
	char rate[16];
	bool restore;
};

FIXTURE_SETUP(events)
{
	self->restore = false;
	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	ASSERT_EQ(0, rs_param_read("event_rate", self->rate, sizeof(self->rate)));
	self->restore = true;
}

FIXTURE_TEARDOWN(events)
{
	if (self->restore)
		rs_param_write("event_rate", self->rate);
}

/*
 * Run a guest that loops on CPUID, @rounds rounds of 20000, while reading
 * events, for up to @max_secs seconds or until @want events came (0: no
 * such limit): how many came for this VM, how many of them were right,
 * and for how long.  One round runs before anyone listens, so that the
 * guest's first page faults are over.
 */
static void sample(struct __test_metadata *_metadata, int rounds,
		   double max_secs, int want, int *mine, int *cpuid,
		   double *secs)
{
	struct rs_nl_event ev;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct rs_nl nl;
	struct run r;
	pthread_t t;
	uint32_t id;
	double t0;
	int got;

	*mine = *cpuid = 0;
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_args_set(vcpu, 1, 20000);
	id = rs_vm_id(vm);
	rs_vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, rs_nl_open(&nl));
	ASSERT_EQ(0, rs_nl_subscribe(&nl));
	r.vcpu = vcpu;
	r.rounds = rounds;
	r.stop = 0;
	r.done = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_guest, &r));
	t0 = now_s();
	for (;;) {
		/* Once the guest is done, what is queued still counts. */
		int done = r.done;

		*secs = now_s() - t0;
		if (*secs >= max_secs || (want && *mine >= want))
			break;
		got = rs_nl_next_event(&nl, &ev, done ? 0 : 100);
		ASSERT_LE(0, got) TH_LOG("reading events: %s", strerror(-got));
		if (!got && done)
			break;
		if (!got || ev.vm != id)
			continue;
		(*mine)++;
		EXPECT_EQ(0U, ev.vcpu);
		EXPECT_NE(0U, ev.timestamp_ns);
		if (!strcmp(ev.name, "CPUID")) {
			(*cpuid)++;
			EXPECT_EQ((uint64_t)rs_events_cpuid, ev.rip);
			if (vm->svm)
				EXPECT_EQ(0x72U, ev.code);	/* SVM_EXIT_CPUID */
		}
	}
	r.stop = 1;
	pthread_join(t, NULL);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

TEST_F(events, sampled_and_rate_limited)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	int mine, cpuid;
	char rate[16];
	double secs;

	snprintf(rate, sizeof(rate), "%d", RATE);
	ASSERT_EQ(0, rs_param_write("event_rate", rate));
	sample(_metadata, 1000, 3, 2 * RATE, &mine, &cpuid, &secs);
	TH_LOG("%d events (%d CPUID) in %.2f s", mine, cpuid, secs);
	RS_REQUIRE_EXIT_STATS(mine, return);
	/* The vCPU learns its exit rate from a few quick samples first. */
	EXPECT_LE(10, mine);
	/* Nearly all exits are CPUIDs: so are the samples, if unbiased. */
	EXPECT_LE(mine * 8, cpuid * 10);
	/* At most RATE in each second (windows start anywhere: +1). */
	EXPECT_GE((secs + 1) * RATE, mine);
}

TEST_F(events, rate_zero_sends_none)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	int mine, cpuid;
	double secs;

	ASSERT_EQ(0, rs_param_write("event_rate", "0"));
	sample(_metadata, 5, 60, 0, &mine, &cpuid, &secs);
	EXPECT_EQ(0, mine);
}

TEST_HARNESS_MAIN
