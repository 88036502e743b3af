// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory is the owner's mapping as it is now: after the owner drops
 * a page (MADV_DONTNEED), breaks copy-on-write after fork(), unmaps it or
 * maps something else there, the guest sees what the process sees, never
 * the old page.  Without the MMU notifier the nested page table would
 * still point at the old page.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define DATA_GPA	0x40000000ULL
#define DATA_SLOT	5

/* Reads the word at DATA_GPA, again and again, for the host to check. */
static void guest_code(void)
{
	volatile uint64_t *p = (volatile uint64_t *)DATA_GPA;

	for (;;)
		GUEST_SYNC_ARGS(1, *p, 0, 0);
}

static uint64_t guest_reads(struct __test_metadata *_metadata,
			    struct rs_vcpu *vcpu)
{
	struct ucall uc;

	EXPECT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	return uc.args[1];
}

FIXTURE(mem) {
	struct rs_vm *vm;
	struct rs_vcpu *vcpu;
	uint64_t *page;
};

FIXTURE_SETUP(mem)
{
	RS_REQUIRE_VM();
	self->page = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
	self->vm = rs_vm_create_with_one_vcpu(&self->vcpu, guest_code);
	ASSERT_EQ(0, __rs_set_memory_region(self->vm, DATA_SLOT, 0, DATA_GPA,
					    getpagesize(), self->page));
	*self->page = 0x1234;
	ASSERT_EQ(0x1234, guest_reads(_metadata, self->vcpu));
}

FIXTURE_TEARDOWN(mem)
{
	if (self->vm)
		rs_vm_free(self->vm);
	if (self->page)
		munmap(self->page, getpagesize());
}

TEST_F(mem, dontneed_drops_the_page)
{
	RS_REQUIRE_VM();	/* the harness runs the body after a setup SKIP */
	ASSERT_EQ(0, madvise(self->page, getpagesize(), MADV_DONTNEED));
	EXPECT_EQ(0, guest_reads(_metadata, self->vcpu));
	*self->page = 0x5678;
	EXPECT_EQ(0x5678, guest_reads(_metadata, self->vcpu));
}

TEST_F(mem, cow_after_fork_follows_the_owner)
{
	pid_t child;
	int status;

	RS_REQUIRE_VM();	/* the harness runs the body after a setup SKIP */
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(*self->page == 0x1234 ? 0 : 1);
	/* The owner's write gets a new page; the child keeps the old. */
	*self->page = 0x9abc;
	EXPECT_EQ(0x9abc, guest_reads(_metadata, self->vcpu));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(mem, unmapped_memory_is_efault_then_the_new_mapping)
{
	void *p;

	RS_REQUIRE_VM();	/* the harness runs the body after a setup SKIP */
	ASSERT_EQ(0, munmap(self->page, getpagesize()));
	EXPECT_EQ(-1, __rs_vcpu_run(self->vcpu));
	EXPECT_EQ(EFAULT, errno);

	p = mmap(self->page, getpagesize(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)self->page, p);
	*self->page = 0xdef0;
	EXPECT_EQ(0xdef0, guest_reads(_metadata, self->vcpu));
}

TEST_HARNESS_MAIN
