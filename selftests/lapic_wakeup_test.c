// SPDX-License-Identifier: GPL-2.0
/*
 * No wake-up is lost: vCPUs in threads of their own pass a token around
 * a ring by fixed IPIs, each halting (STI; HLT) in the kernel until the
 * token comes, thousands of times; every IPI must wake its target, or the
 * ring stops.  Two vCPUs in xAPIC mode (physical destinations), four in
 * x2APIC mode; and two that wait with IF set in a loop in guest mode
 * instead of halting, which only an exit forced by the sender's kick
 * lets see the interrupt.  Prints IPIs per second.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define MAX_NR		4
#define VEC		0x60

static volatile uint64_t got[MAX_NR], sent[MAX_NR];

static void irq_handler(struct rs_ex_regs *regs)
{
	got[apic_id()]++;
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		xapic_write(APIC_EOI, 0);
}

static void send(uint32_t dest)
{
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		wrmsr(X2APIC_MSR(APIC_ICR), (uint64_t)dest << 32 | VEC);
	else
		xapic_ipi(VEC, dest);
}

/* vCPU @me of @nr: take the token @rounds times, pass it on each time. */
static void guest_code(uint64_t me, uint64_t nr, uint64_t rounds,
		       uint64_t x2, uint64_t spin)
{
	uint64_t i;

	xapic_write(APIC_SVR, 0x1ff);
	if (x2)
		x2apic_enable();
	GUEST_SYNC(1);		/* all are set up before the first IPI */
	for (i = 1; i <= rounds; i++) {
		if ((me || i > 1) && spin) {
			sti();
			while (got[me] < i - !me)
				asm volatile("pause");
			cli();
		} else if (me || i > 1) {
			cli();
			while (got[me] < i - !me)
				sti_hlt();
			cli();
		}
		send((me + 1) % nr);
		sent[me]++;
	}
	if (!me) {		/* the last token comes back to vCPU 0 */
		while (got[0] < rounds)
			sti_hlt();
		cli();
	}
	GUEST_SYNC_ARGS(2, got[me], sent[me], 0);
	GUEST_DONE();
}

struct runner {
	struct rs_vcpu *vcpu;
	volatile int done;
	int err;
	struct ucall uc;	/* stage 2's */
};

/* To stage 2 and done; or stopped by a signal (err EINTR). */
static void *run_ring(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;
	int stage;

	for (stage = 2; stage <= 3; stage++) {
		if (__rs_vcpu_run(r->vcpu)) {
			r->err = errno;
			break;
		}
		if (rs_get_ucall(r->vcpu, stage == 2 ? &r->uc : &uc) !=
		    (stage == 2 ? UCALL_SYNC : UCALL_DONE)) {
			r->err = EPROTO;
			break;
		}
	}
	r->done = 1;
	return NULL;
}

static void on_sigusr1(int sig)
{
}

/* Stop the vCPUs left in RS_RUN and say where each one is. */
static void dump_stuck(struct __test_metadata *_metadata, struct runner *r,
		       pthread_t *t, unsigned int nr)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct rs_lapic_state st;
	struct rs_regs regs;
	unsigned int i, k;
	uint32_t w;

	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART */
	for (i = 0; i < nr; i++) {
		r[i].vcpu->run->immediate_exit = 1;
		for (k = 0; k < 500 && !r[i].done; k++) {
			pthread_kill(t[i], SIGUSR1);
			usleep(10000);
		}
		if (!r[i].done) {
			TH_LOG("vCPU %u: RS_RUN does not return", i);
			continue;
		}
		rs_vcpu_ioctl(r[i].vcpu, RS_GET_LAPIC, &st);
		rs_vcpu_regs_get(r[i].vcpu, &regs);
		w = (VEC >> 5) * 0x10;
		TH_LOG("vCPU %u: mp_state %u, IRR %#x ISR %#x (bit %u), PPR %#x",
		       i, st.mp_state, *(uint32_t *)(st.regs + APIC_IRR + w),
		       *(uint32_t *)(st.regs + APIC_ISR + w), VEC & 31,
		       *(uint32_t *)(st.regs + APIC_PPR));
		TH_LOG("vCPU %u: rip %#lx rflags %#lx", i,
		       (unsigned long)regs.rip, (unsigned long)regs.rflags);
	}
}


static void ring(struct __test_metadata *_metadata, unsigned int nr,
		 uint64_t rounds, bool x2, bool spin)
{
	struct runner r[MAX_NR] = { 0 };
	volatile uint64_t *g, *s;
	pthread_t t[MAX_NR];
	struct rs_lapic_state st;
	struct rs_vm *vm;
	uint64_t t0, ns;
	unsigned int i, k;

	vm = rs_vm_create_lapic();
	for (i = 0; i < nr; i++) {
		r[i].vcpu = rs_vcpu_add(vm, i, guest_code);
		rs_vcpu_args_set(r[i].vcpu, 5, (uint64_t)i, (uint64_t)nr,
				 rounds, (uint64_t)x2, (uint64_t)spin);
	}
	rs_vm_install_handler(vm, VEC, irq_handler);
	for (i = 0; i < nr; i++) {
		if (i) {
			rs_vcpu_ioctl(r[i].vcpu, RS_GET_LAPIC, &st);
			st.mp_state = RS_MP_RUNNABLE;
			rs_vcpu_ioctl(r[i].vcpu, RS_SET_LAPIC, &st);
		}
		rs_vcpu_expect_sync(r[i].vcpu, 1);
	}
	t0 = rs_now_ns();
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_ring, &r[i]));
	/* 20 s at most; then say where the ring stopped */
	g = rs_gpa2hva(vm, (uint64_t)got);
	s = rs_gpa2hva(vm, (uint64_t)sent);
	for (k = 0; k < 2000; k++) {
		for (i = 0; i < nr && r[i].done; i++)
			;
		if (i == nr)
			break;
		usleep(10000);
	}
	ns = rs_now_ns() - t0;
	for (i = 0, k = 0; i < nr; i++) {
		if (r[i].done)
			continue;
		TH_LOG("stopped: vCPU %u got %lu, sent %lu of %lu",
		       i, g[i], s[i], (unsigned long)rounds);
		k++;
	}
	if (k)
		dump_stuck(_metadata, r, t, nr);
	ASSERT_EQ(0, k) TH_LOG("after %.1f s", ns / 1e9);
	for (i = 0; i < nr; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, r[i].err) TH_LOG("vCPU %u: %s", i,
					      strerror(r[i].err));
		EXPECT_EQ(rounds, r[i].uc.args[1]) TH_LOG("vCPU %u got", i);
		EXPECT_EQ(rounds, r[i].uc.args[2]) TH_LOG("vCPU %u sent", i);
	}
	TH_LOG("%u vCPUs, %lu rounds: %.1f ms, %.0f IPIs a second", nr,
	       (unsigned long)rounds, ns / 1e6, nr * rounds * 1e9 / ns);
	rs_vm_free(vm);
}

/* Fewer rounds under Bochs, which runs guests a lot slower. */
static uint64_t rounds(void)
{
	return rs_check_cap(RS_CAP_VMX) == 1 ? 300 : 5000;
}

TEST(two_xapic)
{
	RS_REQUIRE_LAPIC();
	ring(_metadata, 2, rounds(), false, false);
}

TEST(four_x2apic)
{
	RS_REQUIRE_LAPIC();
	ring(_metadata, 4, rounds(), true, false);
}

TEST(two_spinning)
{
	RS_REQUIRE_LAPIC();
	ring(_metadata, 2, rounds(), false, true);
}

TEST(two_spinning_x2apic)
{
	RS_REQUIRE_LAPIC();
	ring(_metadata, 2, rounds(), true, true);
}

TEST_HARNESS_MAIN
