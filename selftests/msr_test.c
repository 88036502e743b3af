// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs through RS_SET_MSRS/RS_GET_MSRS: what the host sets, the host reads
 * back and the guest's RDMSR sees; what the guest writes with WRMSR, the
 * host reads.  Both ioctls return the number of entries done.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static const struct {
	uint32_t index;
	uint64_t host, guest;
} msrs[] = {
	{ MSR_IA32_SYSENTER_CS,  0x10,                  0x23 },
	{ MSR_IA32_SYSENTER_ESP, 0xffff880012345000ULL, 0x7000 },
	{ MSR_IA32_SYSENTER_EIP, 0xffffffff81000000ULL, 0x401000 },
	{ MSR_STAR,              0x0023001000000000ULL, 0x0033002000000000ULL },
	{ MSR_LSTAR,             0xffffffff81800000ULL, 0x402000 },
	{ MSR_CSTAR,             0xffffffff81900000ULL, 0x403000 },
	{ MSR_SYSCALL_MASK,      0x47700,               0x200 },
	{ MSR_KERNEL_GS_BASE,    0xffff888012340000ULL, 0x7fff00001000ULL },
	{ MSR_IA32_CR_PAT,       0x0007040600070406ULL, 0x0407050600070106ULL },
};

#define NR_MSRS (sizeof(msrs) / sizeof(msrs[0]))

static void guest_code(void)
{
	unsigned int i;

	for (i = 0; i < NR_MSRS; i++)
		GUEST_SYNC_ARGS(i, rdmsr(msrs[i].index), 0, 0);
	for (i = 0; i < NR_MSRS; i++)
		wrmsr(msrs[i].index, msrs[i].guest);
	GUEST_DONE();
}

TEST(host_and_guest_round_trip)
{
	struct rs_msr_entry e[NR_MSRS];
	struct rs_msrs m = { .nmsrs = NR_MSRS, .entries = (uint64_t)e };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	/* One at a time... */
	for (i = 0; i < NR_MSRS; i++) {
		rs_vcpu_set_msr(vcpu, msrs[i].index, msrs[i].host);
		EXPECT_EQ(msrs[i].host, rs_vcpu_get_msr(vcpu, msrs[i].index))
			TH_LOG("MSR %#x", msrs[i].index);
	}
	/* ...and all at once. */
	memset(e, 0, sizeof(e));
	for (i = 0; i < NR_MSRS; i++)
		e[i].index = msrs[i].index;
	EXPECT_EQ(NR_MSRS, ioctl(vcpu->fd, RS_GET_MSRS, &m));
	for (i = 0; i < NR_MSRS; i++) {
		EXPECT_EQ(msrs[i].host, e[i].data) TH_LOG("MSR %#x", e[i].index);
	}

	for (i = 0; i < NR_MSRS; i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(msrs[i].host, uc.args[1])
			TH_LOG("guest RDMSR %#x", msrs[i].index);
	}
	rs_vcpu_expect_done(vcpu);

	memset(e, 0, sizeof(e));
	for (i = 0; i < NR_MSRS; i++)
		e[i].index = msrs[i].index;
	EXPECT_EQ(NR_MSRS, ioctl(vcpu->fd, RS_GET_MSRS, &m));
	for (i = 0; i < NR_MSRS; i++) {
		EXPECT_EQ(msrs[i].guest, e[i].data)
			TH_LOG("after guest WRMSR %#x", e[i].index);
	}

	/* SET_MSRS of several at once. */
	for (i = 0; i < NR_MSRS; i++)
		e[i].data = msrs[i].host;
	EXPECT_EQ(NR_MSRS, ioctl(vcpu->fd, RS_SET_MSRS, &m));
	for (i = 0; i < NR_MSRS; i++) {
		EXPECT_EQ(msrs[i].host, rs_vcpu_get_msr(vcpu, msrs[i].index));
	}
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
