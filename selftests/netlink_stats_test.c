// SPDX-License-Identifier: GPL-2.0
/*
 * The exit statistics of the netlink family "ringside" count what the
 * guest caused: N CPUIDs are N more CPUID exits, N port writes N more IOIO
 * exits (plus the ucall that reports the phase's end, an OUT itself), N
 * RDMSRs N more MSR exits, N HLTs N more HLT exits, in the vCPU's figures
 * and in the VM's sums; two vCPUs are counted apart.  The VM's attributes
 * (pid, uid, vCPUs, memory, uptime) are right, and the module parameter
 * "stats" stops and restarts counting.
 *
 * The reason names are the backend's (Documentation/netlink.rst); a
 * backend that names no reasons is checked on its exit totals only.
 *
 * RS_RUN's returns to user space are counted by RS_EXIT_* reason, with
 * the time user space took before the next RS_RUN (user_exits).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define N		1000
#define PORT		0x80
#define MSR		MSR_IA32_CR_PAT

enum { PHASE_START, PHASE_CPUID, PHASE_OUT, PHASE_MSR, PHASE_HLT };

static void guest_code(uint64_t n)
{
	uint64_t i;

	GUEST_SYNC(PHASE_START);
	for (i = 0; i < n; i++)
		rs_cpuid(0, 0);
	GUEST_SYNC(PHASE_CPUID);
	for (i = 0; i < n; i++)
		outb(PORT, i);
	GUEST_SYNC(PHASE_OUT);
	for (i = 0; i < n; i++)
		rdmsr(MSR);
	GUEST_SYNC(PHASE_MSR);
	for (i = 0; i < n; i++)
		hlt();
	GUEST_SYNC(PHASE_HLT);
	GUEST_DONE();
}

static struct rs_nl_vm get_stats(struct __test_metadata *_metadata,
				 struct rs_nl *nl, uint32_t id, int vcpu)
{
	struct rs_nl_vm s;
	int r = rs_nl_get(nl, RS_NL_CMD_GET_STATS, id, vcpu, &s);

	RS_ASSERT(!r, "GET_STATS of VM %u vCPU %d: %s", id, vcpu, strerror(-r));
	RS_ASSERT(s.has_stats, "no RS_NL_A_STATS in the reply");
	return s;
}

/* Reason @name went up by exactly @n from @a to @b (if names exist). */
#define EXPECT_DELTA(a, b, name, n) do {				\
	if ((b).nr_reasons)						\
		EXPECT_EQ((uint64_t)(n),				\
			  rs_nl_count(&(b), name) - rs_nl_count(&(a), name)) \
			TH_LOG("%s exits", name);			\
} while (0)

/*
 * Run guest_code's phases, with @s[i] the statistics at the end of phase
 * i; with @slow_user, user space takes 1 ms over each of the first ten
 * OUTs.
 */
static void run_phases(struct __test_metadata *_metadata,
		       struct rs_vcpu *vcpu, struct rs_nl *nl, uint32_t id,
		       struct rs_nl_vm s[5], bool slow_user)
{
	struct timespec ms = { .tv_nsec = 1000000 };
	int i;

	rs_vcpu_expect_sync(vcpu, PHASE_START);
	s[0] = get_stats(_metadata, nl, id, 0);
	rs_vcpu_expect_sync(vcpu, PHASE_CPUID);
	s[1] = get_stats(_metadata, nl, id, 0);
	for (i = 0; i < N; i++) {
		rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
		ASSERT_EQ(PORT, vcpu->run->io.port);
		if (slow_user && i < 10)
			nanosleep(&ms, NULL);
	}
	rs_vcpu_expect_sync(vcpu, PHASE_OUT);
	s[2] = get_stats(_metadata, nl, id, 0);
	rs_vcpu_expect_sync(vcpu, PHASE_MSR);
	s[3] = get_stats(_metadata, nl, id, 0);
	for (i = 0; i < N; i++)
		rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	rs_vcpu_expect_sync(vcpu, PHASE_HLT);
	s[4] = get_stats(_metadata, nl, id, 0);
}

/*
 * @e's histogram (RS_NL_REASON_HIST) holds each of its exits once, in
 * the bucket of its time: the buckets' bounds bound the total time.  But
 * @open of them, whose time is not over yet: a return to user space is
 * counted when RS_RUN returns, its time at the next RS_RUN.
 */
static void expect_hist_open(struct __test_metadata *_metadata,
			     const struct rs_nl_reason *e, uint64_t open)
{
	uint64_t n = 0, lo = 0, hi = 0;
	bool unbounded = false;
	int k;

	for (k = 0; k < RS_NL_HIST_BUCKETS; k++) {
		n += e->hist[k];
		if (!k || !e->hist[k])
			continue;
		lo += e->hist[k] << (k - 1);
		if (k == RS_NL_HIST_BUCKETS - 1)
			unbounded = true;
		else
			hi += e->hist[k] * ((1ULL << k) - 1);
	}
	EXPECT_EQ(e->count, n + open) TH_LOG("%s: exits in the histogram",
					     e->name);
	EXPECT_LE(lo, e->cycles) TH_LOG("%s: time below the buckets", e->name);
	if (!unbounded)
		EXPECT_GE(hi, e->cycles) TH_LOG("%s: time above the buckets",
						e->name);
}

static void expect_hist(struct __test_metadata *_metadata,
			const struct rs_nl_reason *e)
{
	expect_hist_open(_metadata, e, 0);
}

TEST(counts_match_guest)
{
	struct rs_nl_vm s[5], vm_sum;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct rs_nl nl;
	uint32_t id;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_args_set(vcpu, 1, (uint64_t)N);
	id = rs_vm_id(vm);

	run_phases(_metadata, vcpu, &nl, id, s, false);
	ASSERT_TRUE(s[0].enabled) TH_LOG("counting is off (ringside.stats)");
	RS_REQUIRE_EXIT_STATS(s[4].exits, { rs_vm_free(vm); return; });

	/* Each phase ends with one ucall: an OUT, an IOIO exit. */
	EXPECT_DELTA(s[0], s[1], "CPUID", N);
	EXPECT_DELTA(s[0], s[1], "IOIO", 1);
	EXPECT_DELTA(s[1], s[2], "IOIO", N + 1);
	EXPECT_DELTA(s[1], s[2], "CPUID", 0);
	EXPECT_DELTA(s[2], s[3], "MSR", N);
	EXPECT_DELTA(s[2], s[3], "IOIO", 1);
	EXPECT_DELTA(s[3], s[4], "HLT", N);
	EXPECT_DELTA(s[3], s[4], "IOIO", 1);
	for (i = 0; i < 4; i++)
		EXPECT_LE(s[i].exits + N + 1, s[i + 1].exits)
			TH_LOG("all exits, phase %d", i + 1);
	if (!s[4].nr_reasons)
		TH_LOG("the %s backend names no exit reasons: totals only",
		       s[4].backend);

	/* Times: guest time grows; handling CPUIDs took some time. */
	EXPECT_LT(s[0].guest_ns, s[4].guest_ns);
	EXPECT_LT(s[0].handle_ns, s[4].handle_ns);
	EXPECT_LT(0U, s[4].tsc_khz);
	EXPECT_LT(s[4].guest_ns, s[4].uptime_ns);
	for (i = 0; i < (int)s[4].nr_reasons; i++) {
		EXPECT_LT(0U, s[4].reasons[i].count);
		EXPECT_LT(0U, s[4].reasons[i].cycles) TH_LOG("%s", s[4].reasons[i].name);
		expect_hist(_metadata, &s[4].reasons[i]);
	}

	/* One vCPU: the VM's sums are its figures. */
	vm_sum = get_stats(_metadata, &nl, id, -1);
	EXPECT_FALSE(vm_sum.has_vcpu);
	EXPECT_EQ(s[4].exits, vm_sum.exits);
	EXPECT_EQ(rs_nl_count(&s[4], "CPUID"), rs_nl_count(&vm_sum, "CPUID"));

	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

/* Returns of exit reason @name went up by exactly @n from @a to @b. */
static uint64_t user_count(const struct rs_nl_vm *s, const char *name)
{
	const struct rs_nl_reason *u = rs_nl_user(s, name);

	return u ? u->count : 0;
}

TEST(user_exits)
{
	const struct rs_nl_reason *io;
	struct rs_nl_vm s[5];
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct rs_nl nl;
	uint64_t slow;
	uint32_t id;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_args_set(vcpu, 1, (uint64_t)N);
	id = rs_vm_id(vm);

	/* User space takes at least 1 ms over each of 10 port writes. */
	run_phases(_metadata, vcpu, &nl, id, s, true);
	RS_REQUIRE_EXIT_STATS(s[4].exits, { rs_vm_free(vm); return; });

	/* Every ucall is an IO return too; CPUIDs and RDMSRs are none. */
	EXPECT_EQ(1, user_count(&s[1], "IO") - user_count(&s[0], "IO"));
	EXPECT_EQ(N + 1, user_count(&s[2], "IO") - user_count(&s[1], "IO"));
	EXPECT_EQ(1, user_count(&s[3], "IO") - user_count(&s[2], "IO"));
	EXPECT_EQ(N, user_count(&s[4], "HLT") - user_count(&s[3], "HLT"));
	EXPECT_EQ(0, user_count(&s[4], "MMIO"));
	EXPECT_EQ(0, user_count(&s[4], "INTR"));
	io = rs_nl_user(&s[4], "IO");
	ASSERT_NE(NULL, io);
	EXPECT_LE(10 * 1000000ULL, io->ns) TH_LOG("user space's time: %llu ns",
						    (unsigned long long)io->ns);
	EXPECT_LT(0U, io->cycles);
	/* The last IO return is this one, whose time is not over. */
	expect_hist_open(_metadata, io, 1);
	for (i = 0; i < (int)s[4].nr_user; i++)
		if (strcmp(s[4].user[i].name, "IO"))
			expect_hist(_metadata, &s[4].user[i]);
	/* The ten slow ones are in buckets that reach 1 ms. */
	slow = 0;
	for (i = 1; i < RS_NL_HIST_BUCKETS; i++)
		if ((1ULL << i) - 1 >= s[4].tsc_khz)
			slow += io->hist[i];
	EXPECT_LE(10U, slow) TH_LOG("returns of 1 ms or more");

	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

TEST(vm_attributes)
{
	struct rs_nl_vm v, list[64];
	const struct rs_nl_vm *found;
	struct rs_vcpu *vcpu;
	uint64_t mem = 0;
	struct rs_vm *vm;
	struct rs_nl nl;
	unsigned int i;
	uint32_t id;
	int n;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_add(vm, 1, guest_code);
	rs_vcpu_add(vm, 5, guest_code);
	id = rs_vm_id(vm);
	for (i = 0; i < vm->nr_regions; i++)
		mem += vm->regions[i].size;

	ASSERT_EQ(0, rs_nl_get(&nl, RS_NL_CMD_GET_VM, id, -1, &v));
	EXPECT_EQ(id, v.id);
	EXPECT_EQ((uint32_t)getpid(), v.pid);
	EXPECT_EQ(geteuid(), v.uid);
	EXPECT_EQ(3U, v.vcpus);
	EXPECT_EQ(mem, v.memory);
	EXPECT_LT(0U, v.uptime_ns);
	EXPECT_STREQ(vm->svm ? "svm" : "vmx", v.backend);
	EXPECT_EQ(0, strncmp(v.comm, "netlink_stats", 13)) TH_LOG("comm %s", v.comm);
	EXPECT_FALSE(v.has_stats) TH_LOG("GET_VM carries no statistics");

	/* The dump lists it too, and per vCPU with RS_NL_A_PER_VCPU. */
	n = rs_nl_dump(&nl, RS_NL_CMD_GET_VM, false, list, 64);
	ASSERT_LT(0, n);
	found = rs_nl_find(list, n, id);
	ASSERT_NE(NULL, found);
	EXPECT_EQ(v.pid, found->pid);
	n = rs_nl_dump(&nl, RS_NL_CMD_GET_STATS, true, list, 64);
	ASSERT_LT(0, n);
	for (i = 0; i < (unsigned int)n; i++)
		if (list[i].id == id && !list[i].has_vcpu)
			break;
	ASSERT_GT(n, (int)i + 3) TH_LOG("the VM and its 3 vCPUs");
	EXPECT_TRUE(list[i].has_stats);
	EXPECT_TRUE(list[i + 1].has_vcpu && list[i + 1].vcpu == 0);
	EXPECT_TRUE(list[i + 2].has_vcpu && list[i + 2].vcpu == 1);
	EXPECT_TRUE(list[i + 3].has_vcpu && list[i + 3].vcpu == 5);

	/* A vCPU id that is not there. */
	EXPECT_EQ(-ENOENT, rs_nl_get(&nl, RS_NL_CMD_GET_STATS, id, 2, &v));
	rs_vm_free(vm);

	/* Gone with its fds. */
	EXPECT_EQ(-ENOENT, rs_nl_get(&nl, RS_NL_CMD_GET_VM, id, -1, &v));
	rs_nl_close(&nl);
}

static void guest_cpuids(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		rs_cpuid(0, 0);
	GUEST_DONE();
}

struct runner {
	struct rs_vcpu *vcpu;
	pthread_t thread;
};

static void *run_to_done(void *arg)
{
	struct runner *r = arg;

	rs_vcpu_expect_done(r->vcpu);
	return NULL;
}

/* Two vCPUs run at once: each one's CPUIDs are its own, and add up. */
TEST(per_vcpu)
{
	static const uint64_t n[2] = { 700, 1300 };
	struct rs_nl_vm before[2], after[2], sum;
	struct runner r[2];
	struct rs_vm *vm;
	struct rs_nl nl;
	uint32_t id;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_default();
	for (i = 0; i < 2; i++) {
		r[i].vcpu = rs_vcpu_add(vm, i, guest_cpuids);
		rs_vcpu_args_set(r[i].vcpu, 1, n[i]);
	}
	id = rs_vm_id(vm);
	for (i = 0; i < 2; i++)
		before[i] = get_stats(_metadata, &nl, id, i);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&r[i].thread, NULL, run_to_done, &r[i]));
	for (i = 0; i < 2; i++)
		pthread_join(r[i].thread, NULL);
	RS_REQUIRE_EXIT_STATS(get_stats(_metadata, &nl, id, -1).exits,
			      { rs_vm_free(vm); return; });
	for (i = 0; i < 2; i++) {
		after[i] = get_stats(_metadata, &nl, id, i);
		EXPECT_TRUE(after[i].has_vcpu && after[i].vcpu == (uint32_t)i);
		EXPECT_DELTA(before[i], after[i], "CPUID", n[i]);
		EXPECT_LE(before[i].exits + n[i], after[i].exits);
	}
	sum = get_stats(_metadata, &nl, id, -1);
	EXPECT_EQ(after[0].exits + after[1].exits, sum.exits);
	EXPECT_EQ(after[0].guest_cycles + after[1].guest_cycles,
		  sum.guest_cycles);
	EXPECT_EQ(rs_nl_count(&after[0], "CPUID") + rs_nl_count(&after[1], "CPUID"),
		  rs_nl_count(&sum, "CPUID"));
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

static void guest_cpuid_phases(uint64_t n)
{
	uint64_t i, phase;

	for (phase = 0;; phase++) {
		for (i = 0; i < n; i++)
			rs_cpuid(0, 0);
		GUEST_SYNC(phase);
	}
}

/* ringside.stats=0 stops counting (and says so); =1 goes on. */
TEST(counting_off)
{
	struct rs_nl_vm a, b, c;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct rs_nl nl;
	char was[8];
	uint32_t id;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	ASSERT_EQ(0, rs_param_read("stats", was, sizeof(was)));
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_cpuid_phases);
	rs_vcpu_args_set(vcpu, 1, (uint64_t)N);
	id = rs_vm_id(vm);

	rs_vcpu_expect_sync(vcpu, 0);
	a = get_stats(_metadata, &nl, id, 0);
	RS_REQUIRE_EXIT_STATS(a.exits, { rs_vm_free(vm); return; });
	ASSERT_EQ(0, rs_param_write("stats", "0"));
	rs_vcpu_expect_sync(vcpu, 1);
	b = get_stats(_metadata, &nl, id, 0);
	ASSERT_EQ(0, rs_param_write("stats", "1"));
	rs_vcpu_expect_sync(vcpu, 2);
	c = get_stats(_metadata, &nl, id, 0);
	rs_param_write("stats", was);

	EXPECT_FALSE(b.enabled);
	EXPECT_TRUE(c.enabled);
	EXPECT_EQ(a.exits, b.exits) TH_LOG("exits counted while counting was off");
	EXPECT_EQ(a.guest_ns, b.guest_ns);
	EXPECT_DELTA(b, c, "CPUID", N);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

TEST_HARNESS_MAIN
