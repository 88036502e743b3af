// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel APIC's timer (Intel SDM vol. 3A, 11.5.4): one-shot,
 * periodic and TSC-deadline, each measured against the host's clock
 * (never early; how late is printed, not judged: the test VMs are
 * emulators); TMCCT counting down; a masked timer delivering nothing; the
 * 200 us floor of a periodic timer; TSC-deadline's immediate interrupt,
 * its MSR cleared when it fires and ignored outside its mode; a mode
 * change between one-shot and periodic counting on, into TSC-deadline
 * mode stopping the timer.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define VEC		0x50
#define MS		1000000U		/* counts at divide 1: 1 GHz */

static volatile uint64_t ticks;

static void timer_handler(struct rs_ex_regs *regs)
{
	ticks++;
	xapic_write(APIC_EOI, 0);
}

/* Halt until @n more ticks came. */
static void wait_ticks(uint64_t n)
{
	uint64_t until = ticks + n;

	while (ticks < until)
		sti_hlt();
	cli();
}

/* Take what a stopped timer left pending; the ticks so far. */
static uint64_t drain(void)
{
	sti();
	asm volatile("nop; nop");
	cli();
	return ticks;
}

enum {
	ONE_SHOT = 1, COUNT_DOWN, PERIODIC, FLOOR, MASKED, DEADLINE_NOW,
	DEADLINE_SOON, DEADLINE_OTHER_MODE, MODE_CHANGE,
};

static void guest_code(uint64_t tsc_per_ms)
{
	uint64_t t, base;
	uint32_t a, b;

	xapic_write(APIC_SVR, 0x1ff);
	xapic_write(APIC_TDCR, APIC_TDCR_DIV1);

	/* one-shot: 1 ms, once */
	GUEST_SYNC(0);
	xapic_write(APIC_LVTT, VEC);
	xapic_write(APIC_TMICT, MS);
	wait_ticks(1);
	GUEST_SYNC_ARGS(ONE_SHOT, ticks, xapic_read(APIC_TMCCT), 0);

	/* TMCCT counts down from TMICT; divide 16 takes 16 times as long */
	xapic_write(APIC_TDCR, 0x3);
	xapic_write(APIC_TMICT, 100 * MS);
	a = xapic_read(APIC_TMCCT);
	for (t = 0; t < 100000; t++)
		asm volatile("pause");
	b = xapic_read(APIC_TMCCT);
	xapic_write(APIC_TMICT, 0);
	GUEST_SYNC_ARGS(COUNT_DOWN, a, b, xapic_read(APIC_TMCCT));
	xapic_write(APIC_TDCR, APIC_TDCR_DIV1);

	/* periodic: 10 periods of 1 ms (at least 10 ticks by the end) */
	GUEST_SYNC(0);
	base = ticks;
	xapic_write(APIC_LVTT, APIC_TIMER_PERIODIC | VEC);
	xapic_write(APIC_TMICT, MS);
	wait_ticks(10);
	xapic_write(APIC_TMICT, 0);
	GUEST_SYNC_ARGS(PERIODIC, drain() - base, 0, 0);

	/* periodic every 10 ns: at most every 200 us */
	GUEST_SYNC(0);
	base = ticks;
	xapic_write(APIC_TMICT, 10);
	wait_ticks(10);
	xapic_write(APIC_TMICT, 0);
	GUEST_SYNC_ARGS(FLOOR, drain() - base, 0, 0);

	/* masked: the count runs out, nothing comes */
	base = drain();
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | VEC);
	xapic_write(APIC_TMICT, 10000);
	while (xapic_read(APIC_TMCCT))
		asm volatile("pause");
	GUEST_SYNC_ARGS(MASKED, drain() - base, 0, 0);

	/* TSC deadline in the past: the interrupt before the next insn */
	xapic_write(APIC_LVTT, APIC_TIMER_DEADLINE | VEC);
	base = ticks;
	sti();
	wrmsr(MSR_TSC_DEADLINE, rdtsc());
	asm volatile("nop");
	cli();
	GUEST_SYNC_ARGS(DEADLINE_NOW, ticks - base, rdmsr(MSR_TSC_DEADLINE), 0);

	/* 2 ms ahead: never before it */
	t = rdtsc() + 2 * tsc_per_ms;
	wrmsr(MSR_TSC_DEADLINE, t);
	a = rdmsr(MSR_TSC_DEADLINE) == t;
	wait_ticks(1);
	GUEST_SYNC_ARGS(DEADLINE_SOON, a, rdtsc() >= t, rdmsr(MSR_TSC_DEADLINE));

	/* outside TSC-deadline mode the MSR reads 0 and ignores writes */
	xapic_write(APIC_LVTT, VEC);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + tsc_per_ms);
	GUEST_SYNC_ARGS(DEADLINE_OTHER_MODE, rdmsr(MSR_TSC_DEADLINE),
			xapic_read(APIC_TMICT), 0);

	/* one-shot to periodic counts on; to TSC-deadline stops */
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | VEC);
	xapic_write(APIC_TMICT, 1000 * MS);
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_TIMER_PERIODIC | VEC);
	a = xapic_read(APIC_TMICT);
	b = xapic_read(APIC_TMCCT);
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_TIMER_DEADLINE | VEC);
	GUEST_SYNC_ARGS(MODE_CHANGE, a, b, xapic_read(APIC_TMICT) |
			xapic_read(APIC_TMCCT));
	GUEST_DONE();
}



/* Run to stage @stage; returns the ns it took and the ucall in *uc. */
static uint64_t timed(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
		      uint64_t stage, struct ucall *uc)
{
	uint64_t t0 = rs_now_ns();

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, uc));
	EXPECT_EQ(stage, uc->args[0]);
	return rs_now_ns() - t0;
}

TEST(timer)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint64_t ns, per_ms = rs_tsc_per_ms();

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	rs_vcpu_args_set(vcpu, 1, per_ms);
	rs_vm_install_handler(vm, VEC, timer_handler);

	rs_vcpu_expect_sync(vcpu, 0);
	ns = timed(_metadata, vcpu, ONE_SHOT, &uc);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]) TH_LOG("TMCCT after it fired");
	EXPECT_LE(1000000ULL, ns);
	TH_LOG("one-shot of 1 ms: %.3f ms", ns / 1e6);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(COUNT_DOWN, uc.args[0]);
	EXPECT_GE(100 * MS, uc.args[1]);
	EXPECT_LT(uc.args[2], uc.args[1]) TH_LOG("TMCCT %lu then %lu",
						 uc.args[1], uc.args[2]);
	EXPECT_LT(0, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]) TH_LOG("TMICT 0 stops it");

	rs_vcpu_expect_sync(vcpu, 0);
	ns = timed(_metadata, vcpu, PERIODIC, &uc);
	EXPECT_LE(10, uc.args[1]);
	EXPECT_LE(10000000ULL, ns);
	TH_LOG("10 periods of 1 ms: %.3f ms", ns / 1e6);

	rs_vcpu_expect_sync(vcpu, 0);
	ns = timed(_metadata, vcpu, FLOOR, &uc);
	EXPECT_LE(10, uc.args[1]);
	EXPECT_LE(2000000ULL, ns) TH_LOG("10 periods of 10 ns: %lu ns", ns);
	TH_LOG("10 periods of 10 ns (200 us at least): %.3f ms", ns / 1e6);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(MASKED, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("a masked timer delivered");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(DEADLINE_NOW, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]) TH_LOG("IA32_TSC_DEADLINE after it fired");

	ns = timed(_metadata, vcpu, DEADLINE_SOON, &uc);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("the MSR reads what was written");
	EXPECT_EQ(1, uc.args[2]) TH_LOG("it fired before its deadline");
	EXPECT_EQ(0, uc.args[3]);
	TH_LOG("TSC deadline 2 ms ahead: %.3f ms", ns / 1e6);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(DEADLINE_OTHER_MODE, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(MODE_CHANGE, uc.args[0]);
	EXPECT_EQ(1000 * MS, uc.args[1]) TH_LOG("TMICT kept");
	EXPECT_LT(0, uc.args[2]) TH_LOG("TMCCT counts on");
	EXPECT_EQ(0, uc.args[3]) TH_LOG("TSC-deadline mode stopped it");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
