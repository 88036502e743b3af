// SPDX-License-Identifier: GPL-2.0
/*
 * IA32_APIC_BASE (0x1b) through RS_GET_MSRS/RS_SET_MSRS
 * (Documentation/uapi.rst): 0xfee00000, enabled (bit 11), with the BSP bit
 * (8) on vCPU 0 only; what is written is kept; reserved bits (x2APIC's
 * EXTD, bit 10, among them) are refused, so the entry is not done.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define APIC_BASE_MSR	0x1b
#define APIC_BSP	(1ULL << 8)
#define APIC_EXTD	(1ULL << 10)
#define APIC_ENABLE	(1ULL << 11)

FIXTURE(vm) {
	struct rs_vm *vm;
	struct rs_vcpu *bsp, *ap;
};

FIXTURE_SETUP(vm)
{
	RS_REQUIRE_VM();
	self->vm = rs_vm_create_bare();
	self->bsp = rs_vcpu_create_bare(self->vm, 0);
	self->ap = rs_vcpu_create_bare(self->vm, 1);
}

FIXTURE_TEARDOWN(vm)
{
	rs_vm_free(self->vm);
}

static long apic_base(int fd, unsigned long req, uint64_t *val)
{
	struct rs_msr_entry e = { .index = APIC_BASE_MSR, .data = *val };
	struct rs_msrs m = { .nmsrs = 1, .entries = (uint64_t)&e };
	long r = ioctl(fd, req, &m);

	*val = e.data;
	return r;
}

TEST_F(vm, reset_value_has_bsp_on_vcpu0_only)
{
	uint64_t v = 0;

	if (_metadata->skip)
		return;
	EXPECT_EQ(1, apic_base(self->bsp->fd, RS_GET_MSRS, &v));
	EXPECT_EQ(0xfee00000ULL | APIC_ENABLE | APIC_BSP, v);
	EXPECT_EQ(1, apic_base(self->ap->fd, RS_GET_MSRS, &v));
	EXPECT_EQ(0xfee00000ULL | APIC_ENABLE, v);
}

TEST_F(vm, writes_are_kept)
{
	uint64_t v = 0xfee00000ULL;		/* disabled */

	if (_metadata->skip)
		return;
	EXPECT_EQ(1, apic_base(self->ap->fd, RS_SET_MSRS, &v));
	v = 0;
	EXPECT_EQ(1, apic_base(self->ap->fd, RS_GET_MSRS, &v));
	EXPECT_EQ(0xfee00000ULL, v);
}

TEST_F(vm, reserved_bits_are_not_done)
{
	uint64_t v = 0xfee00000ULL | APIC_ENABLE | APIC_EXTD;

	if (_metadata->skip)
		return;
	EXPECT_EQ(0, apic_base(self->bsp->fd, RS_SET_MSRS, &v));
	v = 0xfee00000ULL | APIC_ENABLE | 0x1;
	EXPECT_EQ(0, apic_base(self->bsp->fd, RS_SET_MSRS, &v));
	v = 0;
	EXPECT_EQ(1, apic_base(self->bsp->fd, RS_GET_MSRS, &v));
	EXPECT_EQ(0xfee00000ULL | APIC_ENABLE | APIC_BSP, v);
}

TEST_HARNESS_MAIN
