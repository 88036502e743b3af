// SPDX-License-Identifier: GPL-2.0
/*
 * MSIs from user space into the in-kernel APIC, and the EOIs that come
 * back (Intel SDM vol. 3A, 11.8.4-11.8.5, 11.11): a level-triggered
 * vector sets its TMR bit and its EOI returns RS_EXIT_EOI with the vector,
 * by MMIO and by the x2APIC MSR; an edge-triggered vector's EOI stays in
 * the kernel; the highest vector in service is the one EOIed; an MSI
 * wakes a vCPU halted in the kernel, from another thread; an NMI message
 * reaches the NMI handler.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define LEVEL		0x61
#define EDGE		0x62
#define HIGH		0x91

static volatile uint64_t irqs, nmis, last_tmr;

static void eoi(void)
{
	apic_write(APIC_EOI, 0);
}

static void irq_handler(struct rs_ex_regs *regs)
{
	uint32_t v = regs->vector;

	irqs++;
	last_tmr = apic_read(APIC_TMR + (v >> 5) * 16) >> (v & 31) & 1;
	eoi();
}

/* LEVEL's handler lets HIGH in, which EOIs first: then LEVEL's EOI. */
static void nested_handler(struct rs_ex_regs *regs)
{
	irqs++;
	sti();
	GUEST_SYNC(10);			/* the host sends HIGH now */
	cli();
	eoi();
}

static void nmi_handler(struct rs_ex_regs *regs)
{
	nmis++;
}

static void guest_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	sti();
	GUEST_SYNC(1);			/* level MSI */
	GUEST_SYNC_ARGS(2, irqs, last_tmr, 0);
	GUEST_SYNC(3);			/* edge MSI */
	GUEST_SYNC_ARGS(4, irqs, last_tmr, 0);
	apic_x2_enable();
	GUEST_SYNC(5);			/* level MSI, x2APIC */
	GUEST_SYNC_ARGS(6, irqs, last_tmr, 0);
	GUEST_SYNC(7);			/* nested: level, then a higher edge */
	GUEST_SYNC_ARGS(8, irqs, 0, 0);
	/* halt; another thread's MSI wakes it */
	sti_hlt();
	GUEST_SYNC_ARGS(9, irqs, nmis, 0);
	GUEST_SYNC(11);			/* NMI MSI */
	GUEST_SYNC_ARGS(12, nmis, 0, 0);
	GUEST_DONE();
}

static struct rs_vm *the_vm;

static void send(uint32_t data)
{
	struct rs_msi m = { .address = APIC_GPA, .data = data };

	RS_ASSERT(ioctl(the_vm->fd, RS_SIGNAL_MSI, &m) == 1,
		  "RS_SIGNAL_MSI %#x: %s", data, strerror(errno));
}

static void *late_msi(void *arg)
{
	struct timespec ts = { .tv_nsec = 50000000 };

	nanosleep(&ts, NULL);
	send(EDGE);
	return NULL;
}

static void expect_eoi(struct __test_metadata *_metadata,
		       struct rs_vcpu *vcpu, uint8_t vector)
{
	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_EOI, vcpu->run->exit_reason)
		TH_LOG("%s", rs_exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(vector, vcpu->run->eoi.vector);
}

static void expect_args(struct __test_metadata *_metadata,
			struct rs_vcpu *vcpu, uint64_t stage, uint64_t a,
			uint64_t b)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(stage, uc.args[0]);
	EXPECT_EQ(a, uc.args[1]) TH_LOG("stage %lu", (unsigned long)stage);
	EXPECT_EQ(b, uc.args[2]) TH_LOG("stage %lu", (unsigned long)stage);
}

TEST(level_and_edge)
{
	struct rs_vcpu *vcpu;
	pthread_t t;

	RS_REQUIRE_LAPIC();
	the_vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(the_vm, 0, guest_code);
	rs_vm_install_handler(the_vm, LEVEL, irq_handler);
	rs_vm_install_handler(the_vm, EDGE, irq_handler);
	rs_vm_install_handler(the_vm, HIGH, irq_handler);
	rs_vm_install_handler(the_vm, NMI_VECTOR, nmi_handler);

	rs_vcpu_expect_sync(vcpu, 1);
	send(LEVEL | 0xc000);		/* level, asserted */
	expect_eoi(_metadata, vcpu, LEVEL);
	expect_args(_metadata, vcpu, 2, 1, 1);

	rs_vcpu_expect_sync(vcpu, 3);
	send(EDGE);
	expect_args(_metadata, vcpu, 4, 2, 0);	/* no EOI exit first */

	rs_vcpu_expect_sync(vcpu, 5);
	send(LEVEL | 0xc000);
	expect_eoi(_metadata, vcpu, LEVEL);
	expect_args(_metadata, vcpu, 6, 3, 1);

	rs_vcpu_expect_sync(vcpu, 7);
	rs_vm_install_handler(the_vm, LEVEL, nested_handler);
	send(LEVEL | 0xc000);
	rs_vcpu_expect_sync(vcpu, 10);
	send(HIGH);			/* edge: its EOI is no exit */
	expect_eoi(_metadata, vcpu, LEVEL);
	expect_args(_metadata, vcpu, 8, 5, 0);

	ASSERT_EQ(0, pthread_create(&t, NULL, late_msi, NULL));
	expect_args(_metadata, vcpu, 9, 6, 0);
	pthread_join(t, NULL);

	rs_vcpu_expect_sync(vcpu, 11);
	send(0x400);			/* NMI */
	expect_args(_metadata, vcpu, 12, 1, 0);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(the_vm);
}

TEST_HARNESS_MAIN
