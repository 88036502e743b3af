// SPDX-License-Identifier: GPL-2.0
/*
 * A slot with RS_MEM_READONLY: the guest reads the memory behind it (and
 * sees later host writes to it), while its writes exit as RS_EXIT_MMIO
 * with the address, length and data, and do not change the memory.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define RO_SLOT		1
#define RO_GPA		0x80000000ULL
#define RO_SIZE		(2 * 4096)

static void guest_code(void)
{
	volatile uint64_t *ro = (volatile uint64_t *)RO_GPA;

	GUEST_ASSERT_EQ(ro[0], 0x0706050403020100ULL);
	GUEST_ASSERT_EQ(ro[RO_SIZE / 8 - 1], 0xfffefdfcfbfaf9f8ULL);
	GUEST_SYNC(1);
	/* the host changed it meanwhile */
	GUEST_ASSERT_EQ(ro[1], 0xc0ffee);

	asm volatile("movl %k0, (%1)" :: "a"(0xdeadbeefULL), "r"(RO_GPA + 8) : "memory");
	asm volatile("movq %0, (%1)" :: "a"(0x1234567890abcdefULL), "r"(RO_GPA + 4096) : "memory");
	GUEST_ASSERT_EQ(ro[1], 0xc0ffee);
	GUEST_ASSERT_EQ(ro[512], 0x0706050403020100ULL);
	GUEST_DONE();
}

static void expect_write(struct __test_metadata *_metadata,
			 struct rs_vcpu *vcpu, uint64_t gpa, uint32_t len,
			 uint64_t data)
{
	struct rs_run *run = vcpu->run;
	uint64_t seen = 0;
	char buf[256];

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
		TH_LOG("write to the read-only slot: %s",
		       rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	memcpy(&seen, run->mmio.data, len);
	EXPECT_EQ(data, seen);
}

TEST(readonly_slot)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint8_t *ro;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(1, rs_check_cap(RS_CAP_READONLY_MEM));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	ro = rs_vm_add_region(vm, RO_SLOT, RS_MEM_READONLY, RO_GPA, RO_SIZE);
	for (i = 0; i < RO_SIZE; i++)
		ro[i] = i;

	rs_vcpu_expect_sync(vcpu, 1);
	((uint64_t *)ro)[1] = 0xc0ffee;
	expect_write(_metadata, vcpu, RO_GPA + 8, 4, 0xdeadbeef);
	expect_write(_metadata, vcpu, RO_GPA + 4096, 8, 0x1234567890abcdefULL);
	rs_vcpu_expect_done(vcpu);
	EXPECT_EQ(0xc0ffee, ((uint64_t *)ro)[1]);
	EXPECT_EQ(0x0706050403020100ULL, ((uint64_t *)ro)[512]);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
