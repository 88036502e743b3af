// SPDX-License-Identifier: GPL-2.0
/*
 * The exit hook example samples/rs_hook_pfcount.ko
 * (Documentation/exit-hooks.rst): loaded, it makes every vCPU's #PF exit
 * and counts each by its error code, and the guest still takes its page
 * faults; with #PF routed to user space as well, the hook sees each fault
 * once, before user space does; unloaded while the VM lives, it counts no
 * more and the guest goes on.
 *
 * It binds to ringside at run time and holds no reference on it, so the
 * two unload in either order: ringside first once no VM is left (the
 * hook stays loaded and detached, a ringside loaded again does not see
 * it, and it unloads cleanly after); the hook first, under a running
 * vCPU; both at once.  Without ringside the hook does not load: ENODEV.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define HOOK		"rs_hook_pfcount"
#define HOOK_NAME	"pfcount"

#include "hook_fixture.h"
#define COUNTS		"/sys/module/" HOOK "/parameters/counts"
/* Above the 4 GiB the default VM maps: not present. */
#define UNMAPPED	0x180000000ULL
#define READS		5
#define WRITES		3

static void fault(bool write)
{
	uint64_t vec, ec = 0;

	if (write)
		vec = RS_ASM_SAFE_EC("movq %%rax, (%[a])", &ec, ,
				     [a] "r"(UNMAPPED), "a"(0));
	else
		vec = RS_ASM_SAFE_EC("movq (%[a]), %%rax", &ec, ,
				     [a] "r"(UNMAPPED));
	GUEST_ASSERT_EQ(vec, PF_VECTOR);
	/* not present, supervisor; W/R as the access */
	GUEST_ASSERT_EQ(ec, write ? 2 : 0);
}

static void faults(void)
{
	int i;

	for (i = 0; i < READS; i++)
		fault(false);
	for (i = 0; i < WRITES; i++)
		fault(true);
}

static void guest_code(void)
{
	faults();
	GUEST_SYNC(1);
	fault(false);		/* routed to user space too */
	GUEST_SYNC(2);
	faults();		/* the hook is gone */
	GUEST_DONE();
}

static void guest_faults(void)
{
	faults();
	GUEST_DONE();
}

/* The host sets stop in the guest's copy; the guest counts its rounds. */
static volatile uint64_t stop, rounds;

static void guest_faults_until_stopped(void)
{
	while (!stop) {
		fault(false);
		rounds++;
	}
	GUEST_SYNC(1);
	faults();
	GUEST_DONE();
}

/* The hook's 32 counts, by error code. */
static int read_counts(unsigned long long c[32])
{
	FILE *f = fopen(COUNTS, "r");
	int i, n = 0;

	if (!f)
		return -1;
	for (i = 0; i < 32; i++)
		n += fscanf(f, "%llu", &c[i]) == 1;
	fclose(f);
	return n == 32 ? 0 : -1;
}

/* A VM whose guest faults READS times reading and WRITES times writing. */
static void run_faults(struct __test_metadata *_metadata)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_faults);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}


TEST_F(hook, counts_page_faults_by_error_code)
{
	struct rs_exit_route rt = { .exceptions = 1u << PF_VECTOR };
	unsigned long long c[32];
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	long ref;
	int i;

	LOAD_HOOK();

	/* Bound at run time: the hook is no user of ringside, holds nothing. */
	EXPECT_FALSE(rs_module_used_by(HOOK))
		TH_LOG("/proc/modules: ringside is held by %s", HOOK);
	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref) TH_LOG("ringside's refcount %ld with the hook loaded", ref);

	ASSERT_EQ(0, rs_write_file(COUNTS, "0"));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	rs_vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(0, read_counts(c)) TH_LOG("%s unreadable", COUNTS);
	EXPECT_EQ(READS, c[0]);
	EXPECT_EQ(WRITES, c[2]);
	for (i = 0; i < 32; i++)
		if (i != 0 && i != 2)
			EXPECT_EQ(0, c[i]) TH_LOG("error code %d", i);

	/* User space routes #PF too: the hook counts it first, once. */
	ASSERT_EQ(0, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, &rt));
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_ROUTED);
	EXPECT_EQ(RS_ROUTED_EXCEPTION, vcpu->run->routed.event);
	EXPECT_EQ(PF_VECTOR, vcpu->run->routed.index);
	EXPECT_EQ(UNMAPPED, vcpu->run->routed.value);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS + 1, c[0]);
	vcpu->run->routed.action = RS_ROUTE_DEFAULT;
	rs_vcpu_expect_sync(vcpu, 2);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS + 1, c[0]) TH_LOG("counted again by the default");
	memset(&rt, 0, sizeof(rt));
	ASSERT_EQ(0, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, &rt));

	/* Unloaded under the live VM: the guest's faults go on as before. */
	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s: %s", HOOK, strerror(errno));
	self->loaded = false;
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	expect_no_splat(_metadata, self->kmsg);
}

/*
 * ringside first: with the hook loaded and no VM left, rmmod ringside
 * succeeds and detaches the hook; the hook module, loaded and detached,
 * then unloads cleanly without ringside; ringside loads again and runs a
 * guest.
 */
TEST_F(hook, ringside_unloads_first)
{
	unsigned long long c[32];
	long ref;

	LOAD_HOOK();

	ASSERT_EQ(0, rs_write_file(COUNTS, "0"));
	run_faults(_metadata);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS, c[0]);
	EXPECT_EQ(WRITES, c[2]);

	ASSERT_EQ(0, rs_module_unload())
		TH_LOG("rmmod ringside with %s loaded: %s", HOOK, strerror(errno));
	EXPECT_EQ(0, rs_module_count(&ref));
	EXPECT_TRUE(kmsg_has(_metadata, self->kmsg, "exit hook " HOOK_NAME " detached"))
		TH_LOG("ringside's unload did not say it detached the hook");
	/* Loaded, detached: its counts are still there. */
	ASSERT_TRUE(rs_sample_loaded(HOOK));
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS, c[0]);

	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s after ringside: %s", HOOK, strerror(errno));
	self->loaded = false;
	EXPECT_FALSE(rs_sample_loaded(HOOK));

	ASSERT_EQ(0, rs_module_load(rs_module_path()))
		TH_LOG("insmod ringside again: %s", strerror(errno));
	run_faults(_metadata);
	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref);
	expect_no_splat(_metadata, self->kmsg);
}

/*
 * ringside unloads and loads again under the loaded hook module: the new
 * ringside does not know the hook (it counts nothing), and the hook
 * unloads cleanly; loaded again, it attaches to the new ringside.
 */
TEST_F(hook, stays_detached_from_a_reloaded_ringside)
{
	unsigned long long c[32];
	int i;

	LOAD_HOOK();

	reload_ringside(_metadata);
	ASSERT_EQ(0, rs_write_file(COUNTS, "0"));
	run_faults(_metadata);
	ASSERT_EQ(0, read_counts(c));
	for (i = 0; i < 32; i++)
		EXPECT_EQ(0, c[i]) TH_LOG("counted error code %d, detached", i);

	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s: %s", HOOK, strerror(errno));
	self->loaded = false;
	EXPECT_FALSE(kmsg_has(_metadata, self->kmsg, "exit hook " HOOK_NAME " unregistered"))
		TH_LOG("the new ringside unregistered a hook it never had");

	LOAD_HOOK();
	run_faults(_metadata);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS, c[0]);
	EXPECT_EQ(WRITES, c[2]);
	expect_no_splat(_metadata, self->kmsg);
}

/*
 * The hook first, while a vCPU runs and faults in the kernel in a loop:
 * the hook module unloads under it, the guest goes on without exits for
 * its faults, and RS_RUN never returned meanwhile.  The hook held no
 * reference on ringside: its refcount is what the VM holds, and once the
 * VM is closed ringside unloads and loads again.
 */
TEST_F(hook, unloads_under_a_running_vcpu)
{
	struct rs_runner r = { 0 };
	unsigned long long c[32];
	volatile uint64_t *g_stop, *g_rounds;
	long ref_hooked, ref;
	struct rs_vcpu *vcpu;
	uint64_t before;
	struct ucall uc;
	struct rs_vm *vm;
	pthread_t t;
	int i;

	LOAD_HOOK();

	ASSERT_EQ(0, rs_write_file(COUNTS, "0"));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_faults_until_stopped);
	g_stop = rs_gpa2hva(vm, (uint64_t)&stop);
	g_rounds = rs_gpa2hva(vm, (uint64_t)&rounds);
	ASSERT_EQ(1, rs_module_count(&ref_hooked));

	r.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	/* The hook counts the running guest's faults. */
	for (i = 0; i < 2000; i++) {
		ASSERT_EQ(0, read_counts(c));
		if (c[0] >= 100 || r.done)
			break;
		usleep(10 * 1000);
	}
	ASSERT_FALSE(r.done) TH_LOG("RS_RUN returned: %s",
				    rs_exit_reason_str(r.exit_reason));
	ASSERT_LE(100, c[0]) TH_LOG("the hook counted %llu faults in 20 s", c[0]);

	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s under a running vCPU: %s", HOOK,
		       strerror(errno));
	self->loaded = false;
	EXPECT_FALSE(rs_sample_loaded(HOOK));
	/* The guest goes on faulting, without the hook. */
	before = *g_rounds;
	for (i = 0; i < 2000 && *g_rounds < before + 100; i++)
		usleep(10 * 1000);
	EXPECT_LE(before + 100, *g_rounds) TH_LOG("the guest stopped faulting");
	EXPECT_FALSE(r.done) TH_LOG("RS_RUN returned: %s",
				    rs_exit_reason_str(r.exit_reason));

	*g_stop = 1;
	for (i = 0; i < 2000 && !r.done; i++)
		usleep(10 * 1000);
	ASSERT_TRUE(r.done) TH_LOG("the guest did not stop");
	pthread_join(t, NULL);
	ASSERT_EQ(0, r.ret) TH_LOG("RS_RUN: %s", strerror(r.err));
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
	rs_vcpu_expect_done(vcpu);

	/* The VM holds ringside, the hook never did. */
	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(ref_hooked, ref)
		TH_LOG("ringside's refcount %ld with the hook, %ld without",
		       ref_hooked, ref);
	ASSERT_ERRNO(EWOULDBLOCK, rs_module_unload());
	rs_vm_free(vm);
	reload_ringside(_metadata);
	run_faults(_metadata);
	expect_no_splat(_metadata, self->kmsg);
}

/* rmmod of the hook, started with ringside's. */
struct unloader {
	pthread_barrier_t *go;
	int ret, err;
};

static void *unload_hook(void *arg)
{
	struct unloader *u = arg;

	pthread_barrier_wait(u->go);
	u->ret = rs_sample_unload(HOOK);
	u->err = errno;
	return NULL;
}

/*
 * Both at once, many times: whichever goes first, both unload.  The hook
 * module's exit may run while ringside's takes the hook out (it waits for
 * it), or call ringside's unregister while ringside's unload waits to
 * begin (rmmod ringside answers EWOULDBLOCK meanwhile, and is tried
 * again).  A debug kernel's KASAN sees ringside touch freed hook memory.
 */
TEST_F(hook, unloads_together_with_ringside)
{
	pthread_barrier_t go;
	struct unloader u;
	int i, tries, r;
	pthread_t t;
	long ref;

	ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 2));
	for (i = 0; i < 20; i++) {
		LOAD_HOOK();
		memset(&u, 0, sizeof(u));
		u.go = &go;
		ASSERT_EQ(0, pthread_create(&t, NULL, unload_hook, &u));
		pthread_barrier_wait(&go);
		for (tries = 0; tries < 1000; tries++) {
			r = rs_module_unload();
			if (!r || errno != EWOULDBLOCK)
				break;
			usleep(1000);
		}
		ASSERT_EQ(0, r) TH_LOG("cycle %d: rmmod ringside: %s", i,
				       strerror(errno));
		pthread_join(t, NULL);
		ASSERT_EQ(0, u.ret) TH_LOG("cycle %d: rmmod %s: %s", i, HOOK,
					   strerror(u.err));
		self->loaded = false;
		ASSERT_EQ(0, rs_module_count(&ref));
		ASSERT_FALSE(rs_sample_loaded(HOOK));
		ASSERT_EQ(0, rs_module_load(rs_module_path()))
			TH_LOG("cycle %d: insmod ringside: %s", i, strerror(errno));
	}
	pthread_barrier_destroy(&go);
	run_faults(_metadata);
	expect_no_splat(_metadata, self->kmsg);
}

/*
 * Without ringside the hook module does not load: its init fails with
 * ENODEV, and says why in the kernel log.  With ringside back, it does.
 */
TEST_F(hook, refuses_to_load_without_ringside)
{
	unsigned long long c[32];
	long ref;

	ASSERT_EQ(0, rs_module_unload()) TH_LOG("rmmod ringside: %s", strerror(errno));
	EXPECT_ERRNO(ENODEV, rs_sample_load(HOOK));
	EXPECT_FALSE(rs_sample_loaded(HOOK));
	EXPECT_TRUE(kmsg_has(_metadata, self->kmsg, HOOK ": ringside is not loaded"))
		TH_LOG("no word of why in the kernel log");

	ASSERT_EQ(0, rs_module_load(rs_module_path()))
		TH_LOG("insmod ringside: %s", strerror(errno));
	ASSERT_EQ(1, rs_module_count(&ref));
	LOAD_HOOK();
	ASSERT_EQ(0, rs_write_file(COUNTS, "0"));
	run_faults(_metadata);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS, c[0]);
	expect_no_splat(_metadata, self->kmsg);
}

TEST_HARNESS_MAIN
