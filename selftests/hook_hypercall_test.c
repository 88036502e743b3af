// SPDX-License-Identifier: GPL-2.0
/*
 * The exit hook example samples/rs_hook_hypercall.ko
 * (Documentation/exit-hooks.rst) answers two made-up hypercalls in the
 * kernel, without an exit to user space, on every vCPU; others still
 * reach user space as RS_EXIT_HYPERCALL; once it is unloaded, its own
 * come to user space too.
 *
 * It binds to ringside at run time and holds no reference on it, so the
 * two unload in either order: ringside first once no VM is left (the hook
 * module then unloads cleanly, and ringside loads again); the hook first,
 * under a vCPU that calls it in a loop.  Without ringside the hook does
 * not load: ENODEV.
 */
#include <pthread.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define HOOK		"rs_hook_hypercall"
#define HOOK_NAME	"hypercall"

#include "hook_fixture.h"
#define RS_HC_ADD	0x5253a0d0ULL
#define RS_HC_WHOAMI	0x5253a0d1ULL

static void guest_code(void)
{
	GUEST_ASSERT_EQ(rs_hypercall(RS_HC_ADD, 40, 2, 0, 0), 42);
	GUEST_ASSERT_EQ(rs_hypercall(RS_HC_ADD, -1ULL, 3, 0, 0), 2);
	GUEST_ASSERT_EQ(rs_hypercall(RS_HC_WHOAMI, 0, 0, 0, 0), 0);
	/* not the hook's: user space answers */
	GUEST_ASSERT_EQ(rs_hypercall(7, 1, 2, 3, 4), 99);
	GUEST_SYNC(1);
	/* the hook is gone: user space answers its number too */
	GUEST_ASSERT_EQ(rs_hypercall(RS_HC_ADD, 40, 2, 0, 0), 1);
	GUEST_DONE();
}

/* One RS_HC_ADD: answered 42 by the hook, or by user space. */
static void guest_adds(void)
{
	GUEST_SYNC(rs_hypercall(RS_HC_ADD, 40, 2, 0, 0));
	GUEST_DONE();
}

/* The guest counts the hypercalls the hook answered. */
static volatile uint64_t answered;

static void guest_adds_until_user_space_answers(void)
{
	while (rs_hypercall(RS_HC_ADD, 40, 2, 0, 0) == 42)
		answered++;
	GUEST_DONE();
}

/* A VM's RS_HC_ADD: 42 from the hook, else it reaches user space. */
static void run_adds(struct __test_metadata *_metadata, bool hooked)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_adds);
	if (!hooked) {
		rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HYPERCALL);
		EXPECT_EQ(RS_HC_ADD, vcpu->run->hypercall.nr);
		vcpu->run->hypercall.ret = 42;
	}
	rs_vcpu_expect_sync(vcpu, 42);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}


TEST_F(hook, answers_its_hypercalls_in_the_kernel)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	long ref;

	LOAD_HOOK();
	/* Bound at run time: the hook is no user of ringside, holds nothing. */
	EXPECT_FALSE(rs_module_used_by(HOOK))
		TH_LOG("/proc/modules: ringside is held by %s", HOOK);
	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref) TH_LOG("ringside's refcount %ld with the hook loaded", ref);

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	/* The first exit to user space is the hypercall the hook left. */
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HYPERCALL);
	EXPECT_EQ(7, vcpu->run->hypercall.nr);
	EXPECT_EQ(1, vcpu->run->hypercall.args[0]);
	vcpu->run->hypercall.ret = 99;
	rs_vcpu_expect_sync(vcpu, 1);

	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s: %s", HOOK, strerror(errno));
	self->loaded = false;
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HYPERCALL);
	EXPECT_EQ(RS_HC_ADD, vcpu->run->hypercall.nr);
	vcpu->run->hypercall.ret = 1;
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	kmsg_has(_metadata, self->kmsg, "");
}

/*
 * ringside first: with the hook loaded and no VM left, rmmod ringside
 * succeeds and detaches the hook; the hook module then unloads cleanly
 * without ringside; ringside loads again and runs a guest, whose
 * hypercall now reaches user space.
 */
TEST_F(hook, ringside_unloads_first)
{
	long ref;

	LOAD_HOOK();
	run_adds(_metadata, true);

	ASSERT_EQ(0, rs_module_unload())
		TH_LOG("rmmod ringside with %s loaded: %s", HOOK, strerror(errno));
	EXPECT_EQ(0, rs_module_count(&ref));
	EXPECT_TRUE(kmsg_has(_metadata, self->kmsg,
			     "exit hook " HOOK_NAME " detached"))
		TH_LOG("ringside's unload did not say it detached the hook");
	ASSERT_TRUE(rs_sample_loaded(HOOK));

	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s after ringside: %s", HOOK, strerror(errno));
	self->loaded = false;
	EXPECT_FALSE(rs_sample_loaded(HOOK));

	ASSERT_EQ(0, rs_module_load(rs_module_path()))
		TH_LOG("insmod ringside again: %s", strerror(errno));
	run_adds(_metadata, false);
	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref);
	kmsg_has(_metadata, self->kmsg, "");
}

/*
 * The hook first, while a vCPU calls it in a loop in the kernel: the hook
 * module unloads under it, and the next call reaches user space, RS_RUN's
 * first return.  The hook held no reference on ringside: its refcount is
 * what the VM holds, and once the VM is closed ringside unloads and loads
 * again.
 */
TEST_F(hook, unloads_under_a_running_vcpu)
{
	struct rs_runner r = { 0 };
	volatile uint64_t *g_answered;
	long ref_hooked, ref;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	pthread_t t;
	int i;

	LOAD_HOOK();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_adds_until_user_space_answers);
	g_answered = rs_gpa2hva(vm, (uint64_t)&answered);
	ASSERT_EQ(1, rs_module_count(&ref_hooked));

	r.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	for (i = 0; i < 2000 && *g_answered < 100 && !r.done; i++)
		usleep(10 * 1000);
	ASSERT_FALSE(r.done) TH_LOG("RS_RUN returned: %s",
				    rs_exit_reason_str(r.exit_reason));
	ASSERT_LE(100, *g_answered)
		TH_LOG("the hook answered %llu hypercalls in 20 s",
		       (unsigned long long)*g_answered);

	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s under a running vCPU: %s", HOOK,
		       strerror(errno));
	self->loaded = false;
	for (i = 0; i < 2000 && !r.done; i++)
		usleep(10 * 1000);
	ASSERT_TRUE(r.done) TH_LOG("no hypercall reached user space");
	pthread_join(t, NULL);
	ASSERT_EQ(0, r.ret) TH_LOG("RS_RUN: %s", strerror(r.err));
	ASSERT_EQ(RS_EXIT_HYPERCALL, r.exit_reason)
		TH_LOG("exit %s", rs_exit_reason_str(r.exit_reason));
	EXPECT_EQ(RS_HC_ADD, vcpu->run->hypercall.nr);
	vcpu->run->hypercall.ret = 1;
	rs_vcpu_expect_done(vcpu);

	/* The VM holds ringside, the hook never did. */
	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(ref_hooked, ref)
		TH_LOG("ringside's refcount %ld with the hook, %ld without",
		       ref_hooked, ref);
	ASSERT_ERRNO(EWOULDBLOCK, rs_module_unload());
	rs_vm_free(vm);
	ASSERT_EQ(0, rs_module_unload())
		TH_LOG("rmmod ringside: %s", strerror(errno));
	ASSERT_EQ(0, rs_module_load(rs_module_path()))
		TH_LOG("insmod ringside: %s", strerror(errno));
	run_adds(_metadata, false);
	kmsg_has(_metadata, self->kmsg, "");
}

/*
 * Without ringside the hook module does not load: its init fails with
 * ENODEV, and says why in the kernel log.  With ringside back, it does.
 */
TEST_F(hook, refuses_to_load_without_ringside)
{
	long ref;

	ASSERT_EQ(0, rs_module_unload()) TH_LOG("rmmod ringside: %s", strerror(errno));
	EXPECT_ERRNO(ENODEV, rs_sample_load(HOOK));
	EXPECT_FALSE(rs_sample_loaded(HOOK));
	EXPECT_TRUE(kmsg_has(_metadata, self->kmsg,
			     HOOK ": ringside is not loaded"))
		TH_LOG("no word of why in the kernel log");

	ASSERT_EQ(0, rs_module_load(rs_module_path()))
		TH_LOG("insmod ringside: %s", strerror(errno));
	ASSERT_EQ(1, rs_module_count(&ref));
	LOAD_HOOK();
	run_adds(_metadata, true);
	kmsg_has(_metadata, self->kmsg, "");
}

TEST_HARNESS_MAIN
