// SPDX-License-Identifier: GPL-2.0
/*
 * Accesses to guest-physical addresses no slot backs exit as RS_EXIT_MMIO:
 * writes of 1, 2, 4 and 8 bytes show the address, length, is_write and the
 * data; reads take the data user space leaves in run->mmio.data, with the
 * register semantics of MOV (8/16-bit loads keep the rest of the register,
 * 32-bit loads zero-extend).  Covers legacy and REX (r8-r15) registers.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MMIO	RS_MMIO_GPA
#define FILL	0x1122334455667788ULL

static void guest_code(void)
{
	register uint64_t r9 asm("r9");
	uint64_t v;

	asm volatile("movb %b0, (%1)" :: "a"(0x5aULL), "r"(MMIO + 0x00) : "memory");
	asm volatile("movw %w0, (%1)" :: "b"(0x6b5aULL), "r"(MMIO + 0x02) : "memory");
	asm volatile("movl %k0, (%1)" :: "c"(0x8d7c6b5aULL), "r"(MMIO + 0x04) : "memory");
	asm volatile("movq %0, (%1)" :: "d"(0x0123456789abcdefULL), "r"(MMIO + 0x08) : "memory");
	r9 = 0xfedcba9876543210ULL;
	asm volatile("movq %0, (%1)" :: "r"(r9), "r"(MMIO + 0x10) : "memory");
	asm volatile("movl $0x13579bdf, (%0)" :: "r"(MMIO + 0x18) : "memory");
	GUEST_SYNC(1);

	v = FILL;
	asm volatile("movb (%1), %b0" : "+a"(v) : "r"(MMIO + 0x20) : "memory");
	GUEST_ASSERT_EQ(v, 0x11223344556677a1ULL);
	v = FILL;
	asm volatile("movw (%1), %w0" : "+b"(v) : "r"(MMIO + 0x22) : "memory");
	GUEST_ASSERT_EQ(v, 0x112233445566a2b2ULL);
	v = FILL;
	asm volatile("movl (%1), %k0" : "+c"(v) : "r"(MMIO + 0x24) : "memory");
	GUEST_ASSERT_EQ(v, 0x00000000a3b3c3d3ULL);
	v = FILL;
	asm volatile("movq (%1), %0" : "+d"(v) : "r"(MMIO + 0x28) : "memory");
	GUEST_ASSERT_EQ(v, 0xa4b4c4d4e4f40414ULL);
	r9 = FILL;
	asm volatile("movq (%1), %0" : "+r"(r9) : "r"(MMIO + 0x30) : "memory");
	GUEST_ASSERT_EQ(r9, 0xa5b5c5d5e5f50515ULL);
	GUEST_DONE();
}

static void expect_mmio(struct __test_metadata *_metadata,
			struct rs_vcpu *vcpu, uint64_t gpa, uint32_t len,
			bool write, uint64_t data)
{
	struct rs_run *run = vcpu->run;
	uint64_t seen = 0;
	char buf[256];

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
		TH_LOG("access to %#lx: %s", (unsigned long)gpa,
		       rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
	EXPECT_EQ(write, run->mmio.is_write);
	if (write) {
		memcpy(&seen, run->mmio.data, len);
		EXPECT_EQ(data, seen) TH_LOG("write of %u bytes at %#lx",
					     len, (unsigned long)gpa);
	} else {
		memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &data, len);
	}
}

TEST(mmio_round_trip)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	expect_mmio(_metadata, vcpu, MMIO + 0x00, 1, true, 0x5a);
	expect_mmio(_metadata, vcpu, MMIO + 0x02, 2, true, 0x6b5a);
	expect_mmio(_metadata, vcpu, MMIO + 0x04, 4, true, 0x8d7c6b5a);
	expect_mmio(_metadata, vcpu, MMIO + 0x08, 8, true, 0x0123456789abcdefULL);
	expect_mmio(_metadata, vcpu, MMIO + 0x10, 8, true, 0xfedcba9876543210ULL);
	expect_mmio(_metadata, vcpu, MMIO + 0x18, 4, true, 0x13579bdf);
	rs_vcpu_expect_sync(vcpu, 1);

	expect_mmio(_metadata, vcpu, MMIO + 0x20, 1, false, 0xa1);
	expect_mmio(_metadata, vcpu, MMIO + 0x22, 2, false, 0xa2b2);
	expect_mmio(_metadata, vcpu, MMIO + 0x24, 4, false, 0xa3b3c3d3);
	expect_mmio(_metadata, vcpu, MMIO + 0x28, 8, false, 0xa4b4c4d4e4f40414ULL);
	expect_mmio(_metadata, vcpu, MMIO + 0x30, 8, false, 0xa5b5c5d5e5f50515ULL);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
