// SPDX-License-Identifier: GPL-2.0
/*
 * The exit hook example samples/rs_hook_hypercall.ko
 * (Documentation/exit-hooks.rst) answers two made-up hypercalls in the
 * kernel, without an exit to user space, on every vCPU; others still
 * reach user space as RS_EXIT_HYPERCALL; once it is unloaded, its own
 * come to user space too.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define HOOK		"rs_hook_hypercall"
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

FIXTURE(hook) {
	bool loaded;
};

FIXTURE_SETUP(hook)
{
	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	ASSERT_EQ(0, rs_sample_load(HOOK))
		TH_LOG("loading %s.ko: %s", HOOK, strerror(errno));
	self->loaded = true;
}

FIXTURE_TEARDOWN(hook)
{
	if (self->loaded)
		rs_sample_unload(HOOK);
}

TEST_F(hook, answers_its_hypercalls_in_the_kernel)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

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
}

TEST_HARNESS_MAIN
