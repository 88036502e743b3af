// SPDX-License-Identifier: GPL-2.0
/*
 * RS_GET_MSRS and RS_SET_MSRS refuse what they must: more than 256
 * entries (-E2BIG), nonzero flags or reserved (-EINVAL), a bad entries
 * pointer (-EFAULT); zero entries do nothing and return 0.
 *
 * Assumed: an entry with nonzero reserved is not done.  kmod/vcpu.c stops
 * there and returns the count before it; -EINVAL (the header's general
 * rule) is accepted too.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

FIXTURE(vcpu) {
	struct rs_vm *vm;
	struct rs_vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	RS_REQUIRE_VM();
	self->vm = rs_vm_create_bare();
	self->vcpu = rs_vcpu_create_bare(self->vm, 0);
}

FIXTURE_TEARDOWN(vcpu)
{
	rs_vm_free(self->vm);
}

static struct rs_msr_entry entries[257];

static void fill(unsigned int n)
{
	unsigned int i;

	memset(entries, 0, sizeof(entries));
	for (i = 0; i < n; i++)
		entries[i].index = MSR_IA32_SYSENTER_CS;
}

TEST_F(vcpu, too_many_is_e2big)
{
	struct rs_msrs m = { .nmsrs = 257, .entries = (uint64_t)entries };

	if (_metadata->skip)
		return;
	fill(257);
	EXPECT_ERRNO(E2BIG, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_ERRNO(E2BIG, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
	m.nmsrs = 0xffffffff;
	EXPECT_ERRNO(E2BIG, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	m.nmsrs = 256;
	EXPECT_EQ(256, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_EQ(256, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
}

TEST_F(vcpu, flags_and_reserved_are_einval)
{
	struct rs_msrs m = { .nmsrs = 1, .entries = (uint64_t)entries };

	if (_metadata->skip)
		return;
	fill(1);
	m.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
	m.flags = 0;
	m.reserved[0] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
	m.reserved[0] = 0;
	m.reserved[1] = 1ULL << 63;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
}

TEST_F(vcpu, entry_reserved_is_not_done)
{
	struct rs_msrs m = { .nmsrs = 3, .entries = (uint64_t)entries };
	long r;

	if (_metadata->skip)
		return;
	fill(3);
	entries[0].data = 0x10;
	entries[1].reserved = 1;
	entries[1].data = 0x20;
	entries[2].data = 0x30;
	r = ioctl(self->vcpu->fd, RS_SET_MSRS, &m);
	if (r < 0) {
		EXPECT_EQ(EINVAL, errno);
	} else {
		EXPECT_GE(1, r) TH_LOG("the entry with reserved set was done");
	}
	EXPECT_NE(0x20, rs_vcpu_get_msr(self->vcpu, MSR_IA32_SYSENTER_CS));
	EXPECT_NE(0x30, rs_vcpu_get_msr(self->vcpu, MSR_IA32_SYSENTER_CS));
}

TEST_F(vcpu, bad_pointer_is_efault)
{
	struct rs_msrs m = { .nmsrs = 2, .entries = 16 };

	if (_metadata->skip)
		return;
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, RS_GET_MSRS, (void *)16));
}

TEST_F(vcpu, zero_entries)
{
	struct rs_msrs m = { .nmsrs = 0, .entries = 0 };

	if (_metadata->skip)
		return;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, RS_GET_MSRS, &m));
	EXPECT_EQ(0, ioctl(self->vcpu->fd, RS_SET_MSRS, &m));
}

TEST_HARNESS_MAIN
