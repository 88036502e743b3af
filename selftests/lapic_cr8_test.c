// SPDX-License-Identifier: GPL-2.0
/*
 * CR8 as the in-kernel APIC's TPR (Intel SDM vol. 3A, 11.8.6) while an
 * interrupt waits for it: a vector whose class is not above CR8 stays in
 * IRR, and a MOV to CR8 that lowers it below the vector's class lets the
 * interrupt in before the next instruction (11.8.3.1), in xAPIC and in
 * x2APIC mode.
 */
#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

static volatile uint64_t order[4], nr;

static inline void write_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

static void irq_handler(struct rs_ex_regs *regs)
{
	if (nr < 4)
		order[nr] = regs->vector;
	nr++;
	apic_write(APIC_EOI, 0);
}

static void lower_cr8(uint64_t stage)
{
	uint64_t irr;

	nr = 0;
	write_cr8(7);
	apic_self_ipi(0x61);
	apic_self_ipi(0x81);
	sti();
	asm volatile("nop");
	cli();
	GUEST_ASSERT_EQ(nr, 1);
	GUEST_ASSERT_EQ(order[0], 0x81);
	irr = apic_read(APIC_IRR + 0x30);
	GUEST_ASSERT_EQ(irr, 1U << 1);
	GUEST_SYNC(stage);
	sti();
	write_cr8(5);
	asm volatile("nop");
	cli();
	/* 61H came at once */
	GUEST_ASSERT_EQ(nr, 2);
	GUEST_ASSERT_EQ(order[1], 0x61);
	write_cr8(0);
}

static void guest_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	lower_cr8(1);
	apic_x2_enable();
	lower_cr8(2);
	GUEST_DONE();
}

TEST(cr8_lowered_under_waiting_vector)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	rs_vm_install_handler(vm, 0x61, irq_handler);
	rs_vm_install_handler(vm, 0x81, irq_handler);
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_expect_sync(vcpu, 2);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
