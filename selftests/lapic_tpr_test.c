// SPDX-License-Identifier: GPL-2.0
/*
 * Task and processor priority in the in-kernel APIC (Intel SDM vol. 3A,
 * 11.8.3): CR8 is TPR[7:4] both ways (11.8.6), in xAPIC and x2APIC mode
 * and as user space sees TPR; PPR is TPR or the class of the highest
 * vector in service; a vector whose class is not above PPR waits in IRR
 * until TPR or an EOI lets it through, and then comes before the next
 * instruction, also a vector of TPR's own class; pending vectors come
 * highest first; a handler that sets IF is interrupted by a higher class
 * only.  (CR8 lowered under a waiting vector: lapic_cr8_test.)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

static volatile uint64_t order[16], nr, ppr_seen[16];
static volatile uint64_t nest;		/* 1: 61H's handler nests 65H, 71H */

static inline void write_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

static bool in_service(uint8_t v)
{
	return apic_read(APIC_ISR + (v >> 5) * 0x10) >> (v & 31) & 1;
}

static bool requested(uint8_t v)
{
	return apic_read(APIC_IRR + (v >> 5) * 0x10) >> (v & 31) & 1;
}

static void irq_handler(struct rs_ex_regs *regs)
{
	uint64_t n = nr;

	if (n < 16) {
		order[n] = regs->vector;
		ppr_seen[n] = apic_read(APIC_PPR);
	}
	nr = n + 1;
	if (nest && regs->vector == 0x61) {
		nest = 0;
		/* 61H in service: PPR is its class, or TPR if that is higher */
		GUEST_ASSERT(in_service(0x61));
		apic_write(APIC_TPR, 0x65);
		GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x65);
		apic_write(APIC_TPR, 0x50);
		GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x60);
		apic_write(APIC_TPR, 0);
		apic_self_ipi(0x65);
		apic_self_ipi(0x71);
		sti();
		asm volatile("nop; nop");
		cli();
		/* 71H came in and went; 65H, the same class, waits */
		GUEST_ASSERT_EQ(nr, n + 2);
		GUEST_ASSERT(requested(0x65));
		GUEST_ASSERT(!in_service(0x71));
	}
	apic_write(APIC_EOI, 0);
}

static void reset_order(void)
{
	int i;

	for (i = 0; i < 16; i++) {
		order[i] = 0;
		ppr_seen[i] = 0;
	}
	nr = 0;
}

static void take_pending(void)
{
	sti();
	asm volatile("nop");
	cli();
}

static void priorities(uint64_t stage)
{
	/* CR8 and TPR */
	write_cr8(5);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x50);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x50);
	apic_write(APIC_TPR, 0x7f);
	GUEST_ASSERT_EQ(read_cr8(), 7);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x7f);
	write_cr8(0xf);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0xf0);
	write_cr8(0);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0);

	/* user space sees CR8's TPR, and the guest user space's */
	write_cr8(0xa);
	GUEST_SYNC(stage);
	GUEST_ASSERT_EQ(read_cr8(), 3);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x30);
	write_cr8(0);

	/* TPR holds lower classes back until it is lowered */
	reset_order();
	apic_write(APIC_TPR, 0x90);
	apic_self_ipi(0x81);
	take_pending();
	GUEST_ASSERT_EQ(nr, 0);
	sti();
	apic_write(APIC_TPR, 0x70);
	asm volatile("nop");
	cli();
	GUEST_ASSERT_EQ(nr, 1);
	GUEST_ASSERT_EQ(order[0], 0x81);
	/* in service, 81H's class is above TPR 70H */
	GUEST_ASSERT_EQ(ppr_seen[0], 0x80);
	apic_write(APIC_TPR, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0);

	/* highest first */
	reset_order();
	apic_self_ipi(0x40);
	apic_self_ipi(0xa0);
	apic_self_ipi(0x55);
	apic_self_ipi(0x91);
	apic_self_ipi(0x9f);
	take_pending();
	GUEST_ASSERT_EQ(nr, 5);
	GUEST_ASSERT_EQ(order[0], 0xa0);
	GUEST_ASSERT_EQ(order[1], 0x9f);
	GUEST_ASSERT_EQ(order[2], 0x91);
	GUEST_ASSERT_EQ(order[3], 0x55);
	GUEST_ASSERT_EQ(order[4], 0x40);
	GUEST_ASSERT_EQ(ppr_seen[0], 0xa0);
	GUEST_ASSERT_EQ(ppr_seen[4], 0x40);

	/* nesting: 61H's handler takes 71H but not 65H, which follows */
	reset_order();
	nest = 1;
	apic_self_ipi(0x61);
	take_pending();
	GUEST_ASSERT_EQ(nr, 3);
	GUEST_ASSERT_EQ(order[0], 0x61);
	GUEST_ASSERT_EQ(order[1], 0x71);
	GUEST_ASSERT_EQ(order[2], 0x65);
	GUEST_ASSERT_EQ(ppr_seen[1], 0x70);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0);
}

static void guest_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	priorities(1);
	apic_x2_enable();
	priorities(2);
	GUEST_DONE();
}

static uint32_t tpr(struct rs_lapic_state *s)
{
	return *(uint32_t *)(s->regs + APIC_TPR);
}

TEST(tpr_ppr_cr8)
{
	struct rs_lapic_state s;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int stage, v;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	for (v = 0x40; v < 0xb0; v++)
		rs_vm_install_handler(vm, v, irq_handler);
	for (stage = 1; stage <= 2; stage++) {
		rs_vcpu_expect_sync(vcpu, stage);
		rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
		EXPECT_EQ(0xa0U, tpr(&s)) TH_LOG("TPR after CR8 := 0AH");
		*(uint32_t *)(s.regs + APIC_TPR) = 0x30;
		rs_vcpu_ioctl(vcpu, RS_SET_LAPIC, &s);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * A vector of TPR's own class waits too (11.8.3.1: only a class above
 * PPR is delivered), and comes once TPR drops below its class.
 */
static void guest_same_class(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x60);
	apic_self_ipi(0x61);
	apic_self_ipi(0x6f);
	GUEST_SYNC(1);
	take_pending();
	GUEST_ASSERT_EQ(nr, 0);
	GUEST_ASSERT(requested(0x61) && requested(0x6f));
	sti();
	apic_write(APIC_TPR, 0x5f);
	asm volatile("nop");
	cli();
	GUEST_ASSERT_EQ(nr, 2);
	GUEST_ASSERT_EQ(order[0], 0x6f);
	GUEST_ASSERT_EQ(order[1], 0x61);

	apic_write(APIC_TPR, 0x70);
	apic_self_ipi(0x7e);
	take_pending();
	GUEST_ASSERT_EQ(nr, 2);
	sti();
	apic_write(APIC_TPR, 0x6f);
	asm volatile("nop");
	cli();
	GUEST_ASSERT_EQ(nr, 3);
	GUEST_ASSERT_EQ(order[2], 0x7e);
	GUEST_DONE();
}

static volatile int watchdog_stop;
static pthread_t test_thread;

static void on_sigusr1(int sig)
{
}

/* After 10 s, end the test thread's RS_RUN with a signal (EINTR). */
static void *watchdog(void *arg)
{
	struct rs_vcpu *vcpu = arg;
	struct timespec ts = { .tv_nsec = 10000000 };
	int i;

	for (i = 0; i < 1000 && !watchdog_stop; i++)
		nanosleep(&ts, NULL);
	if (watchdog_stop)
		return NULL;
	fprintf(stderr, "# vCPU %u still in RS_RUN after 10 s: stopping it\n",
		vcpu->id);
	vcpu->run->immediate_exit = 1;
	while (!watchdog_stop) {
		pthread_kill(test_thread, SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

TEST(tpr_same_class)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct sigaction sa = { 0 };
	struct ucall uc;
	pthread_t t;
	int v;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_same_class);
	for (v = 0x40; v < 0xb0; v++)
		rs_vm_install_handler(vm, v, irq_handler);
	rs_vcpu_expect_sync(vcpu, 1);
	/* a vCPU that never comes back fails here, not by the harness */
	sa.sa_handler = on_sigusr1;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	test_thread = pthread_self();
	ASSERT_EQ(0, pthread_create(&t, NULL, watchdog, vcpu));
	ASSERT_EQ(UCALL_DONE, rs_vcpu_run_ucall(vcpu, &uc));
	watchdog_stop = 1;
	pthread_join(t, NULL);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
