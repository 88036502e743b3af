// SPDX-License-Identifier: GPL-2.0
/*
 * An MSR ringside does not implement: the guest's RDMSR and WRMSR of it
 * take #GP(0), and RS_GET_MSRS/RS_SET_MSRS stop at it, returning how many
 * entries before it were done (the ones after are not touched).
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define BOGUS	0xdeadbeef

static void guest_code(void)
{
	uint64_t val = 0x1234, ec = 0xffff, vec;
	uint32_t lo, hi;

	vec = RS_ASM_SAFE_EC("rdmsr", &ec, COMMA_OUT("=a"(lo), "=d"(hi)),
			     "c"(BOGUS));
	GUEST_ASSERT_EQ(vec, GP_VECTOR);
	GUEST_ASSERT_EQ(ec, 0);
	GUEST_ASSERT_EQ(wrmsr_safe(BOGUS, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(0xc0010000 + 0x4000, &val), GP_VECTOR);
	/* and a real one still works */
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_LSTAR, &val), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(val, 0xffffffff81800000ULL);
	GUEST_DONE();
}

TEST(unsupported_msr)
{
	struct rs_msr_entry e[3] = {
		{ .index = MSR_IA32_SYSENTER_CS, .data = 0x10 },
		{ .index = BOGUS, .data = 1 },
		{ .index = MSR_LSTAR, .data = 0xffffffff81800000ULL },
	};
	struct rs_msrs m = { .nmsrs = 3, .entries = (uint64_t)e };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	rs_vcpu_set_msr(vcpu, MSR_LSTAR, 0x1000);
	EXPECT_EQ(1, ioctl(vcpu->fd, RS_SET_MSRS, &m));
	EXPECT_EQ(0x10, rs_vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_CS));
	EXPECT_EQ(0x1000, rs_vcpu_get_msr(vcpu, MSR_LSTAR))
		TH_LOG("an entry after the failing one was done");

	e[2].data = 0x5555;
	EXPECT_EQ(1, ioctl(vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_EQ(0x10, e[0].data);
	EXPECT_EQ(0x5555, e[2].data);

	rs_vcpu_set_msr(vcpu, MSR_LSTAR, 0xffffffff81800000ULL);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
