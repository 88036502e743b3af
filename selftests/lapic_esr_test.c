// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel APIC's error status (Intel SDM vol. 3A, 11.5.3): an IPI
 * with an illegal vector (0-15) sets "send illegal vector", an MSI with
 * one sets "receive illegal vector" in the target; an unmasked LVT error
 * entry then delivers its vector, a masked one nothing; ESR reads what
 * its last write latched, not what happened since; in x2APIC mode too.
 */
#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define ERR_VEC		0x4e
#define SEND_ILLEGAL	(1U << 5)
#define RECV_ILLEGAL	(1U << 6)

static volatile uint64_t errs, other;

static void send_self(uint8_t vector)
{
	if (rs_apic_x2)
		wrmsr(X2APIC_MSR(APIC_ICR), ICR_SELF | vector);
	else
		xapic_ipi(ICR_SELF | vector, 0);
}

static void err_handler(struct rs_ex_regs *regs)
{
	errs++;
	apic_write(APIC_EOI, 0);
}

static void other_handler(struct rs_ex_regs *regs)
{
	other++;
	apic_write(APIC_EOI, 0);
}

/* Latch ESR and return what it latched. */
static uint32_t esr(void)
{
	apic_write(APIC_ESR, 0);
	return apic_read(APIC_ESR);
}

static void errors(uint64_t stage)
{
	GUEST_ASSERT_EQ(esr(), 0);
	apic_write(APIC_LVTERR, ERR_VEC);
	sti();

	/* send: ESR keeps its last latch until the next write */
	send_self(5);
	asm volatile("nop");
	GUEST_ASSERT_EQ(errs, 1);
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), 0);
	GUEST_ASSERT_EQ(esr(), SEND_ILLEGAL);
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), SEND_ILLEGAL);
	GUEST_ASSERT_EQ(esr(), 0);

	/* receive: the host sends vector 7 */
	GUEST_SYNC(stage);
	asm volatile("nop");
	GUEST_ASSERT_EQ(errs, 2);
	GUEST_ASSERT_EQ(esr(), RECV_ILLEGAL);
	GUEST_ASSERT_EQ(other, 0);

	/* masked: latched all the same, nothing delivered */
	apic_write(APIC_LVTERR, APIC_LVT_MASKED | ERR_VEC);
	send_self(0);
	asm volatile("nop");
	GUEST_ASSERT_EQ(errs, 2);
	GUEST_ASSERT_EQ(esr(), SEND_ILLEGAL);
	GUEST_ASSERT_EQ(esr(), 0);
	/* a legal vector is no error */
	send_self(0x50);
	asm volatile("nop");
	GUEST_ASSERT_EQ(other, 1);
	GUEST_ASSERT_EQ(esr(), 0);
	cli();
	errs = 0;
	other = 0;
}

static void guest_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	errors(1);
	apic_x2_enable();
	errors(2);
	GUEST_DONE();
}

TEST(error_status)
{
	struct rs_msi m = { .address = APIC_GPA, .data = 7 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int stage;
	long r;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	rs_vm_install_handler(vm, ERR_VEC, err_handler);
	rs_vm_install_handler(vm, 0x50, other_handler);
	for (stage = 1; stage <= 2; stage++) {
		rs_vcpu_expect_sync(vcpu, stage);
		r = ioctl(vm->fd, RS_SIGNAL_MSI, &m);
		EXPECT_LE(0, r) TH_LOG("RS_SIGNAL_MSI of vector 7: %s",
				       strerror(errno));
		TH_LOG("an MSI of vector 7 was taken by %ld APIC(s)", r);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
