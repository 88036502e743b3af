// SPDX-License-Identifier: GPL-2.0
/*
 * INIT to a running AP, through the in-kernel APIC (Intel SDM vol. 3A,
 * 11.4.7.2-11.4.7.3 and 9.1.1): a software-disabled APIC takes NMIs but
 * no fixed interrupts; an INIT stops the AP where it runs and puts it in
 * wait-for-SIPI (RS_MP_WAIT_SIPI, RS_RUN waits) with the APIC in its
 * reset state but for the APIC ID the guest wrote (IRR cleared, TPR 0,
 * SVR 0FFH, LVTs masked, DFR all ones) and the CPU at F000:FFF0; the
 * SIPI that follows starts it in real mode at the SIPI's page.
 */
#include <pthread.h>
#include <signal.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define AP_ID		7

static volatile uint64_t irqs, nmis, enabled, spins;

static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	xapic_write(APIC_EOI, 0);
}

static void nmi_handler(struct rs_ex_regs *regs)
{
	nmis++;
}

static void ap_code(void)
{
	/* software-disabled (SVR 0FFH after RESET), with an ID of its own */
	xapic_write(APIC_ID, AP_ID << 24);
	xapic_write(APIC_TPR, 0x20);
	xapic_write(APIC_LDR, 0x80U << 24);
	sti();
	while (!nmis)
		spins++;
	cli();
	xapic_write(APIC_SVR, 0x1ff);
	xapic_write(APIC_LVT0, 0x700);
	enabled = 1;
	for (;;)
		spins++;
}

static void spin_ms(uint64_t ms)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < ms * 3000000)
		asm volatile("pause");
}

static void bsp_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	while (!spins)
		asm volatile("pause");
	/* the AP's APIC is software-disabled: fixed no, NMI yes */
	xapic_ipi(0x40, AP_ID);
	spin_ms(20);
	xapic_ipi(ICR_NMI, AP_ID);
	while (!enabled)
		asm volatile("pause");
	GUEST_SYNC_ARGS(1, irqs, nmis, 0);
	/* enabled, IF clear: 41H waits in its IRR; then INIT */
	xapic_ipi(0x41, AP_ID);
	xapic_ipi(ICR_INIT | ICR_ASSERT | ICR_LEVEL, AP_ID);
	GUEST_SYNC(2);
	xapic_ipi(ICR_SIPI | 0x09, AP_ID);
	GUEST_DONE();
}

static void on_sigusr1(int sig)
{
}

static uint32_t reg(struct rs_lapic_state *s, uint32_t off)
{
	return *(uint32_t *)(s->regs + off);
}

TEST(init_running_ap)
{
	static const uint8_t code[] = {	/* mov ax, 1234h; out 99h, ax; hlt */
		0xb8, 0x34, 0x12, 0xe7, 0x99, 0xf4, 0xeb, 0xfd };
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct rs_runner r = { 0 };
	struct rs_vcpu *bsp, *ap;
	struct rs_lapic_state s;
	struct rs_sregs sregs;
	struct rs_regs regs;
	struct rs_vm *vm;
	struct ucall uc;
	uint32_t off;
	pthread_t t;
	int i;

	RS_REQUIRE_LAPIC();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	vm = rs_vm_create_lapic();
	bsp = rs_vcpu_add(vm, 0, bsp_code);
	ap = rs_vcpu_add(vm, 1, ap_code);
	rs_vm_install_handler(vm, 0x40, irq_handler);
	rs_vm_install_handler(vm, 0x41, irq_handler);
	rs_vm_install_handler(vm, NMI_VECTOR, nmi_handler);
	memcpy(rs_gpa2hva(vm, 0x9000), code, sizeof(code));

	rs_vcpu_ioctl(ap, RS_GET_LAPIC, &s);
	s.mp_state = RS_MP_RUNNABLE;
	rs_vcpu_ioctl(ap, RS_SET_LAPIC, &s);
	r.vcpu = ap;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(bsp, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("a software-disabled APIC took 40H");
	EXPECT_EQ(1, uc.args[2]) TH_LOG("NMIs taken");

	/* INIT: the AP waits for SIPI; a signal ends its RS_RUN */
	rs_vcpu_expect_sync(bsp, 2);
	usleep(200 * 1000);
	EXPECT_FALSE(r.done) TH_LOG("the AP's RS_RUN returned: %s",
				    rs_exit_reason_str(r.exit_reason));
	for (i = 0; i < 1000 && !r.done; i++) {
		pthread_kill(t, SIGUSR1);
		usleep(10 * 1000);
	}
	ASSERT_TRUE(r.done);
	pthread_join(t, NULL);
	EXPECT_EQ(EINTR, r.err);

	rs_vcpu_ioctl(ap, RS_GET_LAPIC, &s);
	EXPECT_EQ(RS_MP_WAIT_SIPI, s.mp_state);
	EXPECT_EQ(AP_ID << 24, reg(&s, APIC_ID)) TH_LOG("INIT keeps the ID");
	EXPECT_EQ(0U, reg(&s, APIC_TPR));
	EXPECT_EQ(0U, reg(&s, APIC_LDR));
	EXPECT_EQ(~0U, reg(&s, APIC_DFR));
	EXPECT_EQ(0xffU, reg(&s, APIC_SVR));
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		EXPECT_EQ(APIC_LVT_MASKED, reg(&s, off)) TH_LOG("LVT %#x", off);
	for (off = 0; off < 0x80; off += 0x10) {
		EXPECT_EQ(0U, reg(&s, APIC_IRR + off)) TH_LOG("IRR %#x", off);
		EXPECT_EQ(0U, reg(&s, APIC_ISR + off)) TH_LOG("ISR %#x", off);
	}
	rs_vcpu_sregs_get(ap, &sregs);
	rs_vcpu_regs_get(ap, &regs);
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xfff0U, regs.rip);
	EXPECT_EQ(0U, sregs.cr0 & X86_CR0_PE);

	/* SIPI: real mode at 0900:0000 */
	rs_vcpu_expect_done(bsp);
	rs_vcpu_run(ap);
	ASSERT_EQ(RS_EXIT_IO, ap->run->exit_reason)
		TH_LOG("%s", rs_exit_reason_str(ap->run->exit_reason));
	EXPECT_EQ(0x99, ap->run->io.port);
	EXPECT_EQ(0x1234, *(uint16_t *)rs_io_data(ap));
	rs_vcpu_sregs_get(ap, &sregs);
	EXPECT_EQ(0x0900, sregs.cs.selector);
	EXPECT_EQ(0x9000U, sregs.cs.base);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
