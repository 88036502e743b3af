/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC in the kernel (RS_CREATE_LAPIC), for guest code: its
 * registers in xAPIC mode (the MMIO page, Intel SDM vol. 3A, 11.4.1) and
 * in x2APIC mode (MSR 800H + offset / 16, 11.12.1.2); and the host's
 * helper that makes a VM with it.
 */
#ifndef SELFTEST_RS_APIC_H
#define SELFTEST_RS_APIC_H

#include <stdint.h>
#include <time.h>

#include "rs_util.h"
#include "rs_x86.h"

#define APIC_GPA		0xfee00000UL

/* Register offsets in the xAPIC page. */
#define APIC_ID			0x020
#define APIC_LVR		0x030
#define APIC_TPR		0x080
#define APIC_APR		0x090
#define APIC_PPR		0x0a0
#define APIC_EOI		0x0b0
#define APIC_LDR		0x0d0
#define APIC_DFR		0x0e0
#define APIC_SVR		0x0f0
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_CMCI		0x2f0
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVTTHMR		0x330
#define APIC_LVTPC		0x340
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_SELF_IPI		0x3f0

#define APIC_VERSION		0x00050014U
#define APIC_SVR_ENABLE		(1U << 8)
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_TIMER_PERIODIC	(1U << 17)
#define APIC_TIMER_DEADLINE	(2U << 17)
#define APIC_TDCR_DIV1		0xbU

/* ICR: delivery mode, destination mode, level, trigger, shorthand */
#define ICR_FIXED		0x000U
#define ICR_LOWEST		0x100U
#define ICR_NMI			0x400U
#define ICR_INIT		0x500U
#define ICR_SIPI		0x600U
#define ICR_LOGICAL		0x800U
#define ICR_ASSERT		0x4000U
#define ICR_LEVEL		0x8000U
#define ICR_SELF		0x40000U
#define ICR_ALL			0x80000U
#define ICR_ALL_BUT_SELF	0xc0000U

#define MSR_IA32_APICBASE	0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define APIC_BASE_BSP		(1ULL << 8)
#define APIC_BASE_EXTD		(1ULL << 10)
#define APIC_BASE_EN		(1ULL << 11)
#define X2APIC_MSR(off)		(0x800 + ((off) >> 4))

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

static inline uint32_t xapic_read(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_GPA + off);
}

static inline void xapic_write(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + off) = v;
}

/* xAPIC's ICR: the destination goes first, the low half sends. */
static inline void xapic_ipi(uint32_t icr, uint8_t dest)
{
	xapic_write(APIC_ICR2, (uint32_t)dest << 24);
	xapic_write(APIC_ICR, icr);
}

static inline void x2apic_enable(void)
{
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APIC_BASE_EXTD);
}

/*
 * The guest's APIC in either mode, for tests that run the same code in
 * both: set by apic_x2_enable(), read by the accessors below (an xAPIC
 * register's MMIO, or its x2APIC MSR).  One flag for the whole guest.
 */
extern volatile int rs_apic_x2;

static inline void apic_x2_enable(void)
{
	x2apic_enable();
	rs_apic_x2 = 1;
}

static inline uint32_t apic_read(uint32_t off)
{
	return rs_apic_x2 ? rdmsr(X2APIC_MSR(off)) : xapic_read(off);
}

static inline void apic_write(uint32_t off, uint32_t v)
{
	if (rs_apic_x2)
		wrmsr(X2APIC_MSR(off), v);
	else
		xapic_write(off, v);
}

/* A fixed self-IPI: x2APIC's SELF IPI register, or the ICR's shorthand. */
static inline void apic_self_ipi(uint8_t vector)
{
	if (rs_apic_x2)
		wrmsr(X2APIC_MSR(APIC_SELF_IPI), vector);
	else
		xapic_ipi(ICR_SELF | vector, 0);
}

/* The vCPU's APIC ID in either mode. */
static inline uint32_t apic_id(void)
{
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		return rdmsr(X2APIC_MSR(APIC_ID));
	return xapic_read(APIC_ID) >> 24;
}

/*
 * Guest code, after an IPI to several vCPUs: wait until @nr counters of
 * their deliveries, @counts, went up by @n in all since @before, or @spin
 * TSC cycles passed, and a hundredth of that longer for deliveries that
 * should not come; then CLI.  Returns what each counter went up by, a
 * hex digit per counter, the first in bits 3:0.
 */
static inline uint64_t apic_tally(volatile uint64_t *counts,
				  const uint64_t *before, int nr,
				  unsigned int n, uint64_t spin)
{
	uint64_t sum, start = rdtsc(), out = 0;
	int i;

	do {
		sum = 0;
		for (i = 0; i < nr; i++)
			sum += counts[i] - before[i];
	} while (sum < n && rdtsc() - start < spin);
	for (start = rdtsc(); rdtsc() - start < spin / 100;)
		asm volatile("pause");
	cli();
	for (i = 0; i < nr; i++)
		out |= (counts[i] - before[i]) << (4 * i);
	return out;
}

/* A default VM (rs_vm_create_default()) whose vCPUs get the APIC. */
static inline struct rs_vm *rs_vm_create_lapic(void)
{
	struct rs_vm *vm = rs_vm_create_default();

	RS_ASSERT(!ioctl(vm->fd, RS_CREATE_LAPIC, 0), "RS_CREATE_LAPIC: %s",
		  strerror(errno));
	return vm;
}

/* The host's CLOCK_MONOTONIC in ns: the clock of the APIC's hrtimers. */
static inline uint64_t rs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The host's TSC ticks per ms, over 50 ms: the guest's TSC runs at it. */
static inline uint64_t rs_tsc_per_ms(void)
{
	uint64_t t0 = __builtin_ia32_rdtsc(), n0 = rs_now_ns(), t1, n1;
	struct timespec ts = { .tv_nsec = 50000000 };

	nanosleep(&ts, NULL);
	t1 = __builtin_ia32_rdtsc();
	n1 = rs_now_ns();
	return (t1 - t0) * 1000000 / (n1 - n0);
}

#define RS_REQUIRE_LAPIC() do {						\
	RS_REQUIRE_VM();						\
	if (rs_check_cap(RS_CAP_LAPIC) != 1)				\
		SKIP(return, "the module has no RS_CAP_LAPIC");		\
} while (0)

#endif /* SELFTEST_RS_APIC_H */
