// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits as RS_EXIT_IO: OUT of 1, 2 and 4 bytes (immediate port
 * and DX port) shows the port, size, count 1 and the data; IN takes the
 * data user space leaves at data_offset, with the register semantics of
 * the instruction (IN AL/AX keep the rest of RAX, IN EAX zero-extends).
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define PORT_IMM	0x80
#define PORT_DX		0x3f8
#define RAX_BEFORE	0x1122334455667788ULL

static uint64_t in_keep(int size, uint16_t port)
{
	uint64_t rax = RAX_BEFORE;

	if (size == 1)
		asm volatile("inb %%dx, %%al" : "+a"(rax) : "d"(port));
	else if (size == 2)
		asm volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(port));
	else
		asm volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(port));
	return rax;
}

static void guest_code(void)
{
	outb(PORT_IMM, 0x12);
	outw(PORT_IMM, 0x3456);
	outl(PORT_IMM, 0x789abcde);
	outb(PORT_DX, 0xa1);
	outw(PORT_DX + 2, 0xb2c3);
	outl(PORT_DX + 4, 0xd4e5f607);

	GUEST_ASSERT_EQ(inb(PORT_IMM), 0x5a);
	GUEST_ASSERT_EQ(inw(PORT_IMM), 0x5a6b);
	GUEST_ASSERT_EQ(inl(PORT_IMM), 0x5a6b7c8d);
	GUEST_ASSERT_EQ(in_keep(1, PORT_DX), 0x11223344556677a5ULL);
	GUEST_ASSERT_EQ(in_keep(2, PORT_DX), 0x112233445566a5b6ULL);
	GUEST_ASSERT_EQ(in_keep(4, PORT_DX), 0x00000000a5b6c7d8ULL);
	GUEST_DONE();
}

static void expect_io(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
		      uint8_t dir, uint16_t port, uint8_t size)
{
	struct rs_run *run = vcpu->run;
	char buf[256];

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(dir, run->io.direction);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(1U, run->io.count);
	ASSERT_LE(sizeof(*run), run->io.data_offset)
		TH_LOG("data_offset %llu overlaps struct rs_run",
		       run->io.data_offset);
	ASSERT_GE((uint64_t)vcpu->vm->run_size,
		  run->io.data_offset + run->io.count * run->io.size);
}

static void expect_out(struct __test_metadata *_metadata,
		       struct rs_vcpu *vcpu, uint16_t port, uint8_t size,
		       uint32_t data)
{
	uint32_t seen = 0;

	expect_io(_metadata, vcpu, RS_IO_OUT, port, size);
	memcpy(&seen, rs_io_data(vcpu), size);
	EXPECT_EQ(data, seen) TH_LOG("OUT of %u bytes to %#x", size, port);
}

static void answer_in(struct __test_metadata *_metadata,
		      struct rs_vcpu *vcpu, uint16_t port, uint8_t size,
		      uint32_t data)
{
	expect_io(_metadata, vcpu, RS_IO_IN, port, size);
	/* Garbage past the access must not reach the guest. */
	memset(rs_io_data(vcpu), 0xee, 8);
	memcpy(rs_io_data(vcpu), &data, size);
}

TEST(port_io)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	expect_out(_metadata, vcpu, PORT_IMM, 1, 0x12);
	expect_out(_metadata, vcpu, PORT_IMM, 2, 0x3456);
	expect_out(_metadata, vcpu, PORT_IMM, 4, 0x789abcde);
	expect_out(_metadata, vcpu, PORT_DX, 1, 0xa1);
	expect_out(_metadata, vcpu, PORT_DX + 2, 2, 0xb2c3);
	expect_out(_metadata, vcpu, PORT_DX + 4, 4, 0xd4e5f607);

	answer_in(_metadata, vcpu, PORT_IMM, 1, 0x5a);
	answer_in(_metadata, vcpu, PORT_IMM, 2, 0x5a6b);
	answer_in(_metadata, vcpu, PORT_IMM, 4, 0x5a6b7c8d);
	answer_in(_metadata, vcpu, PORT_DX, 1, 0xa5);
	answer_in(_metadata, vcpu, PORT_DX, 2, 0xa5b6);
	answer_in(_metadata, vcpu, PORT_DX, 4, 0xa5b6c7d8);

	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
