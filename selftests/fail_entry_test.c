// SPDX-License-Identifier: GPL-2.0
/*
 * State the CPU refuses to enter (a 64-bit code segment with both L and D
 * set, CR0.PG without CR0.PE, a reserved CR4 bit: APM vol. 2 15.5.1, SDM
 * vol. 3C 26.3.1) is either refused by RS_SET_SREGS (-EINVAL) or makes
 * RS_RUN exit with RS_EXIT_FAIL_ENTRY (SVM: VMEXIT_INVALID, the 64-bit -1;
 * VMX: bit 31 and basic reason 33); the guest never runs with it, its
 * registers stay as they were (RIP where it was, not some host address),
 * and once the state is fixed it runs normally.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	GUEST_DONE();
}

static void try_bad_state(struct __test_metadata *_metadata,
			  const char *what, void (*spoil)(struct rs_sregs *))
{
	struct rs_sregs good, bad;
	struct rs_regs before, after;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	char buf[256];

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_sregs_get(vcpu, &good);
	rs_vcpu_regs_get(vcpu, &before);

	bad = good;
	spoil(&bad);
	if (ioctl(vcpu->fd, RS_SET_SREGS, &bad)) {
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", what);
		TH_LOG("%s: refused by RS_SET_SREGS", what);
	} else {
		rs_vcpu_run(vcpu);
		EXPECT_EQ(RS_EXIT_FAIL_ENTRY, vcpu->run->exit_reason)
			TH_LOG("%s: %s", what,
			       rs_exit_describe(vcpu, buf, sizeof(buf)));
		TH_LOG("%s: hardware reason %#llx, qualification %#llx", what,
		       vcpu->run->fail_entry.hardware_reason,
		       vcpu->run->fail_entry.qualification);
		if (vm->svm) {
			EXPECT_EQ(~0ULL, vcpu->run->fail_entry.hardware_reason)
				TH_LOG("%s: not VMEXIT_INVALID", what);
		} else {
			EXPECT_EQ(0x80000021ULL,
				  vcpu->run->fail_entry.hardware_reason)
				TH_LOG("%s: not an invalid guest state", what);
		}
		rs_vcpu_regs_get(vcpu, &after);
		EXPECT_EQ(before.rip, after.rip)
			TH_LOG("%s: RIP %#llx after the failed entry, was %#llx",
			       what, after.rip, before.rip);
		EXPECT_EQ(before.rsp, after.rsp) TH_LOG("%s: RSP", what);
		EXPECT_EQ(before.rflags, after.rflags) TH_LOG("%s: RFLAGS", what);
		rs_vcpu_regs_set(vcpu, &before);
	}

	rs_vcpu_sregs_set(vcpu, &good);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

static void spoil_cs(struct rs_sregs *s)
{
	s->cs.attr |= RS_SEG_DB;
}

static void spoil_cr0(struct rs_sregs *s)
{
	s->cr0 &= ~X86_CR0_PE;
}

static void spoil_cr4(struct rs_sregs *s)
{
	s->cr4 |= 1ULL << 63;
}

TEST(cs_l_and_d)
{
	RS_REQUIRE_VM();
	try_bad_state(_metadata, "CS with L and D", spoil_cs);
}

TEST(pg_without_pe)
{
	RS_REQUIRE_VM();
	try_bad_state(_metadata, "CR0.PG without CR0.PE", spoil_cr0);
}

TEST(cr4_reserved_bit)
{
	RS_REQUIRE_VM();
	try_bad_state(_metadata, "CR4 bit 63", spoil_cr4);
}

TEST_HARNESS_MAIN
