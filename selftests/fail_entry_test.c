// SPDX-License-Identifier: GPL-2.0
/*
 * State the CPU refuses to enter (here a 64-bit code segment with both L
 * and D set, SDM vol. 3A 5.2.1 / APM vol. 2 15.5.1) is either refused by
 * RS_SET_SREGS (-EINVAL) or makes RS_RUN exit with RS_EXIT_FAIL_ENTRY; the
 * guest never runs with it, its registers stay as they were (RIP where it
 * was, not some host address), and once fixed it runs normally.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	GUEST_DONE();
}

TEST(invalid_state_fails_entry)
{
	struct rs_sregs good, bad;
	struct rs_regs before, after;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	char buf[256];

	RS_REQUIRE_VIRT();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_sregs_get(vcpu, &good);
	rs_vcpu_regs_get(vcpu, &before);

	bad = good;
	bad.cs.attr |= RS_SEG_DB;
	if (ioctl(vcpu->fd, RS_SET_SREGS, &bad)) {
		EXPECT_EQ(EINVAL, errno);
		TH_LOG("RS_SET_SREGS refused CS with L and D: fine");
	} else {
		rs_vcpu_run(vcpu);
		EXPECT_EQ(RS_EXIT_FAIL_ENTRY, vcpu->run->exit_reason)
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		TH_LOG("hardware reason %#llx, qualification %#llx",
		       vcpu->run->fail_entry.hardware_reason,
		       vcpu->run->fail_entry.qualification);
		if (vm->svm) {
			/* VMEXIT_INVALID: the 64-bit exit code -1 */
			EXPECT_EQ(~0ULL, vcpu->run->fail_entry.hardware_reason);
		} else {
			/* bit 31: entry failure; 33: invalid guest state */
			EXPECT_EQ(0x80000021ULL,
				  vcpu->run->fail_entry.hardware_reason);
		}
		rs_vcpu_regs_get(vcpu, &after);
		EXPECT_EQ(before.rip, after.rip)
			TH_LOG("RIP %#llx after the failed entry, was %#llx",
			       after.rip, before.rip);
		EXPECT_EQ(before.rsp, after.rsp);
		EXPECT_EQ(before.rflags, after.rflags);
		rs_vcpu_regs_set(vcpu, &before);
	}

	rs_vcpu_sregs_set(vcpu, &good);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
