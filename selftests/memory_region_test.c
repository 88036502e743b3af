// SPDX-License-Identifier: GPL-2.0
/*
 * RS_SET_MEMORY_REGION's checks: unknown flags, nonzero reserved, a slot
 * number >= RS_CAP_NR_MEMSLOTS, a guest address, size or user address not
 * page aligned, and a range that wraps are -EINVAL; a range overlapping
 * another slot is -EEXIST; size 0 deletes a slot, after which its range
 * (and number) can be used again, and all RS_CAP_NR_MEMSLOTS slots can be
 * used at once.  A guest sees memory added while it runs.
 *
 * Assumed (kmod/mmu.c does this; the uAPI is silent): setting a slot that
 * is in use is -EEXIST (delete it first), deleting an empty slot is
 * -EINVAL, and a user address the process cannot use is -EFAULT.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define PAGE	4096ULL
#define SZ	(16 * PAGE)

FIXTURE(vm) {
	struct rs_vm *vm;
	void *mem;
};

FIXTURE_SETUP(vm)
{
	RS_REQUIRE_VM();
	self->vm = rs_vm_create_bare();
	self->mem = mmap(NULL, 64 * SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(vm)
{
	rs_vm_free(self->vm);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, 64 * SZ);
}

static int set(struct rs_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
	       uint64_t size, void *hva)
{
	return __rs_set_memory_region(vm, slot, flags, gpa, size, hva);
}

TEST_F(vm, bad_arguments_are_einval)
{
	struct rs_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .size = SZ,
		.userspace_addr = 0,
	};
	char *m = self->mem;
	long slots;

	if (_metadata->skip)
		return;
	slots = rs_check_cap(RS_CAP_NR_MEMSLOTS);
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 2, 0, SZ, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 0x80000000, 0, SZ, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, slots, 0, 0, SZ, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0xffffffff, 0, 0, SZ, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 0, 0x800, SZ, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 0, 0, SZ + 1, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 0, 0, SZ, m + 8));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 0, -PAGE, 2 * PAGE, m));
	EXPECT_ERRNO(EINVAL, set(self->vm, 0, 0, 1ULL << 63, SZ, m));

	r.userspace_addr = (uint64_t)m;
	r.reserved[3] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vm->fd, RS_SET_MEMORY_REGION, &r));
	r.reserved[3] = 0;
	EXPECT_EQ(0, ioctl(self->vm->fd, RS_SET_MEMORY_REGION, &r))
		TH_LOG("the good region: %s", strerror(errno));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm->fd, RS_SET_MEMORY_REGION, (void *)8));
}

TEST_F(vm, overlap_is_eexist)
{
	char *m = self->mem;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, set(self->vm, 0, 0, 0x100000, SZ, m));
	/* inside, across each end, around, the same range */
	EXPECT_ERRNO(EEXIST, set(self->vm, 1, 0, 0x100000 + PAGE, PAGE, m + SZ));
	EXPECT_ERRNO(EEXIST, set(self->vm, 1, 0, 0x100000 - PAGE, 2 * PAGE, m + SZ));
	EXPECT_ERRNO(EEXIST, set(self->vm, 1, 0, 0x100000 + SZ - PAGE, 2 * PAGE, m + SZ));
	EXPECT_ERRNO(EEXIST, set(self->vm, 1, 0, 0, 4 * SZ + 0x100000, m + SZ));
	EXPECT_ERRNO(EEXIST, set(self->vm, 1, 0, 0x100000, SZ, m + SZ));
	EXPECT_ERRNO(EEXIST, set(self->vm, 1, RS_MEM_READONLY, 0x100000, SZ, m + SZ));
	/* touching is fine, and so is the same memory at two addresses */
	EXPECT_EQ(0, set(self->vm, 1, 0, 0x100000 + SZ, SZ, m + SZ));
	EXPECT_EQ(0, set(self->vm, 2, 0, 0x100000 - SZ, SZ, m));
}

TEST_F(vm, delete_and_reuse)
{
	char *m = self->mem;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, set(self->vm, 3, 0, 0x200000, SZ, m));
	/* assumption: a slot in use is not silently replaced */
	EXPECT_ERRNO(EEXIST, set(self->vm, 3, 0, 0x400000, SZ, m));
	EXPECT_EQ(0, set(self->vm, 3, 0, 0, 0, NULL)) TH_LOG("delete: %s",
							    strerror(errno));
	/* the range is free again, for another slot */
	EXPECT_EQ(0, set(self->vm, 4, 0, 0x200000, SZ, m + SZ));
	/* and the number for another range */
	EXPECT_EQ(0, set(self->vm, 3, RS_MEM_READONLY, 0x800000, SZ, m));
	/* assumption: deleting an empty slot is an error */
	EXPECT_ERRNO(EINVAL, set(self->vm, 7, 0, 0, 0, NULL));
}

TEST_F(vm, all_slots)
{
	char *m = self->mem;
	long slots, i;

	if (_metadata->skip)
		return;
	slots = rs_check_cap(RS_CAP_NR_MEMSLOTS);
	ASSERT_GE(64, slots);
	for (i = 0; i < slots; i++) {
		ASSERT_EQ(0, set(self->vm, i, i & 1 ? RS_MEM_READONLY : 0,
				 i * SZ, SZ, m + i * SZ))
			TH_LOG("slot %ld: %s", i, strerror(errno));
	}
	for (i = 0; i < slots; i++) {
		EXPECT_EQ(0, set(self->vm, i, 0, 0, 0, NULL));
	}
}

TEST_F(vm, bad_user_address_is_efault)
{
	if (_metadata->skip)
		return;
	/* a kernel address */
	EXPECT_ERRNO(EFAULT, set(self->vm, 0, 0, 0, SZ,
				 (void *)0xffff880000000000ULL));
}

static volatile uint64_t *added = (uint64_t *)0x90000000ULL;

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(added[0], 0x600dcafe);
	added[1] = 0xbeef;
	GUEST_DONE();
}

TEST(added_while_running)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint64_t *mem;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 1);
	mem = rs_vm_add_region(vm, 5, 0, (uint64_t)added, 2 * PAGE);
	mem[0] = 0x600dcafe;
	rs_vcpu_expect_done(vcpu);
	EXPECT_EQ(0xbeef, mem[1]);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
