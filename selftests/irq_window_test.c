// SPDX-License-Identifier: GPL-2.0
/*
 * request_interrupt_window: while the guest runs with IF clear, RS_RUN
 * goes on (HLT or ucalls still exit as usual, with if_flag and
 * ready_for_interrupt 0); once the guest sets IF (and STI's shadow ends),
 * RS_RUN returns RS_EXIT_IRQ_WINDOW with if_flag and ready_for_interrupt
 * 1, and an external interrupt injected then reaches the guest's handler.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define VECTOR	0x40

static volatile uint64_t irqs, irq_vector;

static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	irq_vector = regs->vector;
}

static void guest_code(void)
{
	cli();
	GUEST_SYNC(1);
	hlt();			/* IF clear: a plain HLT exit */
	sti();
	asm volatile("nop");
	while (!irqs)
		asm volatile("pause");
	GUEST_SYNC_ARGS(2, irqs, irq_vector, 0);
	GUEST_DONE();
}

TEST(interrupt_window)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vm_install_handler(vm, VECTOR, irq_handler);
	run = vcpu->run;

	rs_vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0, run->if_flag);
	EXPECT_EQ(0, run->ready_for_interrupt);

	run->request_interrupt_window = 1;
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	EXPECT_EQ(0, run->if_flag);

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IRQ_WINDOW);
	EXPECT_EQ(1, run->if_flag);
	EXPECT_EQ(1, run->ready_for_interrupt);

	run->request_interrupt_window = 0;
	rs_vcpu_inject(vcpu, RS_EVENT_EXTINT, VECTOR, false, 0);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("interrupts taken");
	EXPECT_EQ(VECTOR, uc.args[2]);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
