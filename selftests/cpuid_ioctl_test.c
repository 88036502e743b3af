// SPDX-License-Identifier: GPL-2.0
/*
 * RS_GET_CPUID and RS_SET_CPUID refuse what they must: nonzero flags or
 * reserved (-EINVAL, also in an entry for SET, or an entry flag other than
 * RS_CPUID_INDEXED), more than RS_CAP_MAX_CPUID entries for SET (-E2BIG),
 * a bad entries pointer (-EFAULT).  GET with too little room fails with
 * -E2BIG and says in nent how many entries there are; with enough room it
 * returns them and the count.  A refused SET leaves the table as it was.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

FIXTURE(vcpu) {
	struct rs_vm *vm;
	struct rs_vcpu *vcpu;
	struct rs_cpuid_entry *table;
	uint32_t nent;
};

FIXTURE_SETUP(vcpu)
{
	RS_REQUIRE_VM();
	self->vm = rs_vm_create_bare();
	self->vcpu = rs_vcpu_create_bare(self->vm, 0);
	self->table = rs_vcpu_get_cpuid(self->vcpu, &self->nent);
}

FIXTURE_TEARDOWN(vcpu)
{
	free(self->table);
	rs_vm_free(self->vm);
}

static int get(struct rs_vcpu *vcpu, struct rs_cpuid *c)
{
	return ioctl(vcpu->fd, RS_GET_CPUID, c);
}

static int set(struct rs_vcpu *vcpu, struct rs_cpuid *c)
{
	return ioctl(vcpu->fd, RS_SET_CPUID, c);
}

TEST_F(vcpu, get_too_small_is_e2big)
{
	struct rs_cpuid_entry e[1];
	struct rs_cpuid c = { .nent = 1, .entries = (uint64_t)e };

	if (_metadata->skip)
		return;
	ASSERT_LT(1, self->nent);
	EXPECT_ERRNO(E2BIG, get(self->vcpu, &c));
	EXPECT_EQ(self->nent, c.nent) TH_LOG("nent after -E2BIG");
	c.nent = 0;
	EXPECT_ERRNO(E2BIG, get(self->vcpu, &c));
	EXPECT_EQ(self->nent, c.nent);
}

TEST_F(vcpu, get_exact_room)
{
	struct rs_cpuid_entry *e = calloc(self->nent, sizeof(*e));
	struct rs_cpuid c = { .nent = self->nent, .entries = (uint64_t)e };

	if (_metadata->skip)
		return;
	EXPECT_EQ(0, get(self->vcpu, &c)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(self->nent, c.nent);
	EXPECT_EQ(0, memcmp(e, self->table, self->nent * sizeof(*e)));
	free(e);
}

TEST_F(vcpu, bad_flags_and_reserved)
{
	struct rs_cpuid_entry e[256];
	struct rs_cpuid c = { .nent = 256, .entries = (uint64_t)e };

	if (_metadata->skip)
		return;
	c.flags = 1;
	EXPECT_ERRNO(EINVAL, get(self->vcpu, &c));
	EXPECT_ERRNO(EINVAL, set(self->vcpu, &c));
	c.flags = 0;
	c.reserved[1] = 1;
	c.nent = 256;
	EXPECT_ERRNO(EINVAL, get(self->vcpu, &c));
	c.nent = self->nent;
	memcpy(e, self->table, self->nent * sizeof(e[0]));
	EXPECT_ERRNO(EINVAL, set(self->vcpu, &c));
	c.reserved[1] = 0;

	e[0].flags = 2;
	EXPECT_ERRNO(EINVAL, set(self->vcpu, &c));
	e[0].flags = self->table[0].flags;
	e[self->nent - 1].reserved[2] = 1;
	EXPECT_ERRNO(EINVAL, set(self->vcpu, &c));
}

TEST_F(vcpu, set_too_many_is_e2big)
{
	struct rs_cpuid_entry *e;
	struct rs_cpuid c;
	uint32_t i;
	long max;

	if (_metadata->skip)
		return;
	max = rs_check_cap(RS_CAP_MAX_CPUID);
	e = calloc(max + 1, sizeof(*e));
	c = (struct rs_cpuid){ .nent = max + 1, .entries = (uint64_t)e };
	for (i = 0; i <= max; i++)
		e[i].function = i;
	EXPECT_ERRNO(E2BIG, set(self->vcpu, &c));
	c.nent = max;
	EXPECT_EQ(0, set(self->vcpu, &c)) TH_LOG("%ld entries: %s", max,
						 strerror(errno));
	free(e);
}

TEST_F(vcpu, bad_pointer_is_efault)
{
	struct rs_cpuid c = { .nent = 4, .entries = 8 };

	if (_metadata->skip)
		return;
	EXPECT_ERRNO(EFAULT, set(self->vcpu, &c));
	c.nent = 256;
	EXPECT_ERRNO(EFAULT, get(self->vcpu, &c));
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, RS_GET_CPUID, (void *)8));
}

TEST_F(vcpu, refused_set_keeps_table)
{
	struct rs_cpuid_entry e[2] = { { .function = 1, .flags = 4 },
				       { .function = 2 } };
	struct rs_cpuid c = { .nent = 2, .entries = (uint64_t)e };
	struct rs_cpuid_entry *now;
	uint32_t nent;

	if (_metadata->skip)
		return;
	EXPECT_ERRNO(EINVAL, set(self->vcpu, &c));
	now = rs_vcpu_get_cpuid(self->vcpu, &nent);
	EXPECT_EQ(self->nent, nent);
	EXPECT_EQ(0, memcmp(now, self->table, nent * sizeof(*now)));
	free(now);
}

TEST_F(vcpu, empty_table)
{
	struct rs_cpuid c = { .nent = 0, .entries = 0 };
	uint32_t nent;

	if (_metadata->skip)
		return;
	EXPECT_EQ(0, set(self->vcpu, &c)) TH_LOG("%s", strerror(errno));
	free(rs_vcpu_get_cpuid(self->vcpu, &nent));
	EXPECT_EQ(0, nent);
}

TEST_HARNESS_MAIN
