// SPDX-License-Identifier: GPL-2.0
/*
 * VMMCALL (SVM) or VMCALL (VMX) at CPL 0 exits as RS_EXIT_HYPERCALL with
 * the number from RAX and arguments from RBX, RCX, RDX, RSI; the value user
 * space leaves in run->hypercall.ret (preset to RS_HYPERCALL_UNKNOWN) is
 * the guest's RAX afterwards.  The
 * other vendor's instruction is #UD, as on the real CPU.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	uint64_t vec;

	GUEST_ASSERT_EQ(rs_hypercall(1, 2, 3, 4, 5), 0x100);
	GUEST_ASSERT_EQ(rs_hypercall(0xffffffffffffffffULL, 0x8000000000000000ULL,
				     0x1234, 0, 0xfedcba9876543210ULL),
			0xdeadbeefcafef00dULL);
	GUEST_ASSERT_EQ(rs_hypercall(0, 0, 0, 0, 0), 0);
	/* user space left ret alone */
	GUEST_ASSERT_EQ(rs_hypercall(7, 0, 0, 0, 0), RS_HYPERCALL_UNKNOWN);

	if (rs_guest_is_svm)
		vec = RS_ASM_SAFE("vmcall", "a"(0));
	else
		vec = RS_ASM_SAFE("vmmcall", "a"(0));
	GUEST_ASSERT_EQ(vec, UD_VECTOR);
	GUEST_DONE();
}

static void expect_hypercall(struct __test_metadata *_metadata,
			     struct rs_vcpu *vcpu, uint64_t nr,
			     const uint64_t args[4], uint64_t ret)
{
	struct rs_run *run = vcpu->run;
	char buf[256];
	int i;

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_HYPERCALL, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(nr, run->hypercall.nr);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(args[i], run->hypercall.args[i]) TH_LOG("args[%d]", i);
	}
	run->hypercall.ret = ret;
}

TEST(hypercall)
{
	static const uint64_t a1[4] = { 2, 3, 4, 5 };
	static const uint64_t a2[4] = { 0x8000000000000000ULL, 0x1234, 0,
					0xfedcba9876543210ULL };
	static const uint64_t a3[4] = { 0, 0, 0, 0 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	expect_hypercall(_metadata, vcpu, 1, a1, 0x100);
	expect_hypercall(_metadata, vcpu, 0xffffffffffffffffULL, a2,
			 0xdeadbeefcafef00dULL);
	expect_hypercall(_metadata, vcpu, 0, a3, 0);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HYPERCALL);
	EXPECT_EQ(7, vcpu->run->hypercall.nr);
	EXPECT_EQ(RS_HYPERCALL_UNKNOWN, vcpu->run->hypercall.ret)
		TH_LOG("ret is not preset");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
