// SPDX-License-Identifier: GPL-2.0
/*
 * HLT with the in-kernel APIC waits in the kernel (no RS_EXIT_HLT): with
 * IF clear a fixed interrupt does not wake it (it waits in IRR) but an
 * NMI does (Intel SDM vol. 3A, 6.7 and 11.8.4); a signal or
 * immediate_exit ends RS_RUN with EINTR and leaves the vCPU halted
 * (RS_MP_HALTED in RS_GET_LAPIC) until an interrupt; RS_SET_LAPIC with
 * RS_MP_HALTED halts a vCPU from user space.  (vCPU ioctls wait for
 * RS_RUN: the state is read between runs.)
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

static volatile uint64_t irqs, nmis, last;

static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	last = regs->vector;
	xapic_write(APIC_EOI, 0);
}

static void nmi_handler(struct rs_ex_regs *regs)
{
	nmis++;
}

static void guest_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	/* IF clear: only the NMI ends this HLT */
	cli();
	hlt();
	GUEST_SYNC_ARGS(1, irqs, nmis, 0);
	sti();
	asm volatile("nop");
	cli();
	GUEST_SYNC_ARGS(2, irqs, last, 0);
	/* IF set: a signal ends RS_RUN, the vCPU stays halted */
	sti_hlt();
	cli();
	GUEST_SYNC_ARGS(3, irqs, last, 0);
	/* halted by user space at the next ucall, with IF set */
	sti();
	GUEST_SYNC(4);
	cli();
	GUEST_SYNC_ARGS(5, irqs, last, 0);
	GUEST_DONE();
}

static struct rs_vm *the_vm;

static long msi(uint32_t data)
{
	struct rs_msi m = { .address = APIC_GPA, .data = data };

	return ioctl(the_vm->fd, RS_SIGNAL_MSI, &m);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint32_t mp_state(struct rs_vcpu *vcpu)
{
	struct rs_lapic_state s;

	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	return s.mp_state;
}

static uint32_t irr_word(struct rs_vcpu *vcpu, uint8_t vector)
{
	struct rs_lapic_state s;

	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	return *(uint32_t *)(s.regs + APIC_IRR + (vector >> 5) * 0x10);
}

/* Give the vCPU time to reach its HLT; it must not return meanwhile. */
static bool wait_halted(struct rs_vcpu *vcpu, struct rs_runner *r)
{
	sleep_ms(500);
	return !r->done;
}

/* Wait up to 10 s for the runner's RS_RUN to return. */
static bool wait_done(struct rs_runner *r)
{
	int i;

	for (i = 0; i < 1000 && !r->done; i++)
		sleep_ms(10);
	return r->done;
}

static void on_sigusr1(int sig)
{
}

static void expect_stage(struct __test_metadata *_metadata,
			 struct rs_vcpu *vcpu, struct rs_runner *r,
			 pthread_t t, uint64_t stage, struct ucall *uc)
{
	ASSERT_TRUE(wait_done(r)) TH_LOG("stage %lu: RS_RUN never returned",
					 (unsigned long)stage);
	pthread_join(t, NULL);
	ASSERT_EQ(0, r->ret) TH_LOG("stage %lu: %s", (unsigned long)stage,
				    strerror(r->err));
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, uc))
		TH_LOG("stage %lu: %s", (unsigned long)stage,
		       rs_exit_reason_str(r->exit_reason));
	ASSERT_EQ(stage, uc->args[0]);
}

TEST(halt)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct rs_lapic_state s;
	struct rs_runner r = { 0 };
	struct rs_vcpu *vcpu;
	struct ucall uc;
	pthread_t t;
	int i;

	RS_REQUIRE_LAPIC();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	the_vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(the_vm, 0, guest_code);
	rs_vm_install_handler(the_vm, 0x40, irq_handler);
	rs_vm_install_handler(the_vm, 0x41, irq_handler);
	rs_vm_install_handler(the_vm, 0x42, irq_handler);
	rs_vm_install_handler(the_vm, NMI_VECTOR, nmi_handler);
	r.vcpu = vcpu;

	/* HLT with IF clear: a fixed interrupt waits, an NMI wakes */
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	ASSERT_TRUE(wait_halted(vcpu, &r))
		TH_LOG("not halted: RS_RUN returned %s",
		       rs_exit_reason_str(r.exit_reason));
	EXPECT_EQ(1, msi(0x40));
	sleep_ms(100);
	EXPECT_FALSE(r.done) TH_LOG("a fixed interrupt woke HLT with IF=0");
	EXPECT_EQ(1, msi(0x400));			/* NMI */
	expect_stage(_metadata, vcpu, &r, t, 1, &uc);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(1, uc.args[2]);
	EXPECT_EQ(1U, irr_word(vcpu, 0x40) & 1) TH_LOG("40H waits in IRR");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(0x40, uc.args[2]);

	/* a signal ends RS_RUN; the vCPU stays halted */
	r.done = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	ASSERT_TRUE(wait_halted(vcpu, &r));
	for (i = 0; i < 1000 && !r.done; i++) {
		pthread_kill(t, SIGUSR1);
		sleep_ms(10);
	}
	ASSERT_TRUE(r.done) TH_LOG("RS_RUN did not return on SIGUSR1");
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(RS_EXIT_INTR, r.exit_reason)
		TH_LOG("%s", rs_exit_reason_str(r.exit_reason));
	EXPECT_EQ(RS_MP_HALTED, mp_state(vcpu));
	vcpu->run->immediate_exit = 1;
	EXPECT_ERRNO(EINTR, __rs_vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	EXPECT_EQ(RS_MP_HALTED, mp_state(vcpu));
	r.done = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	EXPECT_TRUE(wait_halted(vcpu, &r)) TH_LOG("RS_RUN returned: %s",
						  rs_exit_reason_str(r.exit_reason));
	EXPECT_EQ(1, msi(0x41));
	expect_stage(_metadata, vcpu, &r, t, 3, &uc);
	EXPECT_EQ(2, uc.args[1]);
	EXPECT_EQ(0x41, uc.args[2]);

	/* RS_MP_HALTED from user space: RS_RUN waits for an interrupt */
	rs_vcpu_expect_sync(vcpu, 4);
	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	s.mp_state = RS_MP_HALTED;
	rs_vcpu_ioctl(vcpu, RS_SET_LAPIC, &s);
	r.done = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	EXPECT_TRUE(wait_halted(vcpu, &r)) TH_LOG("RS_RUN returned: %s",
						  rs_exit_reason_str(r.exit_reason));
	EXPECT_EQ(1, msi(0x42));
	expect_stage(_metadata, vcpu, &r, t, 5, &uc);
	EXPECT_EQ(3, uc.args[1]);
	EXPECT_EQ(0x42, uc.args[2]);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(the_vm);
}

TEST_HARNESS_MAIN
