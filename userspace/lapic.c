// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a local APIC per vCPU (Intel SDM vol. 3A, chapter 10,
 * "Advanced Programmable Interrupt Controller"), xAPIC mode, MMIO at
 * 0xfee00000 (the page is the calling vCPU's own APIC).
 *
 * What is there: ID, version (an integrated APIC, 6 LVT entries), TPR and
 * PPR, EOI (a level-triggered vector's EOI goes to the I/O APIC), LDR and
 * DFR (flat and cluster logical destinations), SVR, ISR/TMR/IRR, ESR (no
 * errors), ICR (fixed, lowest priority -- the lowest-numbered target --,
 * NMI, INIT and SIPI, with the shorthands), the LVT (the timer fires, the
 * others are kept), and the timer: one-shot or periodic, counting at
 * LAPIC_BUS_HZ divided by the divide configuration, on the host clock.
 * Not there: TSC-deadline mode and x2APIC (hidden in CPUID), moving the
 * base through IA32_APIC_BASE, thermal/performance/error interrupts.
 *
 * The state at start is what PC firmware leaves: software enabled
 * (SVR 0x1ff), LINT0 ExtINT and LINT1 NMI (the MP spec's "virtual wire"
 * mode), so that the 8259A reaches vCPU 0 through LINT0 until the guest
 * sets up the I/O APIC.  APs wait for INIT and SIPI.  All state is under
 * vm->irq_lock.
 */
#include <stdlib.h>
#include <string.h>

#include "iobus.h"
#include "irq.h"
#include "lapic.h"
#include "timer.h"
#include "util.h"
#include "vm.h"

/* The timer's input clock: 1 GHz, one count per ns before division. */
#define LAPIC_BUS_HZ		1000000000ULL

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
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVT_TIMER		0x320
#define APIC_LVT_LINT0		0x350
#define APIC_LVT_ERROR		0x370
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0

#define APIC_VERSION		0x14
#define APIC_NR_LVT		6
#define APIC_SVR_ENABLED	(1U << 8)
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_LVT_DELIVERY(v)	(((v) >> 8) & 7)
#define APIC_TIMER_PERIODIC	(1U << 17)
#define APIC_ICR_LOGICAL	(1U << 11)
#define APIC_ICR_LEVEL_ASSERT	(1U << 14)
#define APIC_ICR_SHORTHAND(v)	(((v) >> 18) & 3)

#define SH_NONE			0
#define SH_SELF			1
#define SH_ALL			2
#define SH_OTHERS		3

/* The LVT_LINT0 value firmware leaves: ExtINT; LINT1: NMI. */
#define LVT_EXTINT		(DM_EXTINT << 8)
#define LVT_NMI			(DM_NMI << 8)

struct lapic {
	struct vcpu *vcpu;
	uint32_t id, tpr, ldr, dfr, svr, esr, icr, icr2;
	uint32_t lvt[APIC_NR_LVT];	/* timer, thermal, perf, LINT0-1, error */
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t tmict, tdcr;

	struct vtimer timer;
	uint64_t timer_start;		/* ns, when counting from tmict began */
	uint64_t timer_next;		/* ns, the next expiry armed */

	bool nmi_pending;
	bool wait_sipi;			/* an AP before its SIPI */
	int sipi_vector;		/* -1: none yet */
};

static __thread struct vcpu *lapic_self;	/* the vCPU this thread runs */

static bool test_vec(const uint32_t *bits, unsigned int v)
{
	return bits[v / 32] & (1U << (v % 32));
}

static void set_vec(uint32_t *bits, unsigned int v)
{
	bits[v / 32] |= 1U << (v % 32);
}

static void clear_vec(uint32_t *bits, unsigned int v)
{
	bits[v / 32] &= ~(1U << (v % 32));
}

/* The highest vector set, or -1. */
static int highest_vec(const uint32_t *bits)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (bits[i])
			return i * 32 + 31 - __builtin_clz(bits[i]);
	return -1;
}

/* PPR: TPR, or the in-service class if higher (SDM 10.8.3.1). */
static uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = highest_vec(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & APIC_SVR_ENABLED;
}

bool lapic_pending(struct lapic *l)
{
	int irrv = highest_vec(l->irr);

	if (l->nmi_pending)
		return true;
	return irrv >= 0 && ((uint32_t)irrv & 0xf0) > (lapic_ppr(l) & 0xf0);
}

int lapic_ack(struct lapic *l)
{
	int irrv = highest_vec(l->irr);

	if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	clear_vec(l->irr, irrv);
	set_vec(l->isr, irrv);
	return irrv;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool nmi = l->nmi_pending;

	l->nmi_pending = false;
	return nmi;
}

bool lapic_accepts_extint(struct lapic *l)
{
	uint32_t lint0 = l->lvt[APIC_LVT_LINT0 / 16 - APIC_LVT_TIMER / 16];

	return !(lint0 & APIC_LVT_MASKED) &&
	       APIC_LVT_DELIVERY(lint0) == DM_EXTINT;
}

/* An interrupt arrives: IRR, and TMR for a level-triggered one. */
static void lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
	if (!sw_enabled(l) || vector < 16)
		return;
	set_vec(l->irr, vector);
	if (level)
		set_vec(l->tmr, vector);
	else
		clear_vec(l->tmr, vector);
}

/* SDM 10.6.2: physical IDs, or the logical flat and cluster models. */
static bool lapic_matches(const struct lapic *l, uint8_t dest, bool logical)
{
	uint8_t ldr = l->ldr >> 24;

	if (!logical)
		return dest == 0xff || dest == (l->id >> 24);
	if (dest == 0xff)
		return true;
	if ((l->dfr >> 28) == 0xf)
		return ldr & dest;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

/* INIT for an AP that waits; a running vCPU ignores it (not emulated). */
static void lapic_init(struct lapic *l)
{
	if (l->wait_sipi)
		l->sipi_vector = -1;
}

static void lapic_sipi(struct lapic *l, uint8_t vector)
{
	if (l->wait_sipi && l->sipi_vector < 0) {
		l->sipi_vector = vector;
		vcpu_wake(l->vcpu);
	}
}

static void lapic_deliver_one(struct lapic *l, uint8_t vector, bool level,
			      unsigned int delivery)
{
	switch (delivery) {
	case DM_FIXED:
	case DM_LOWEST:
		lapic_accept(l, vector, level);
		break;
	case DM_NMI:
		l->nmi_pending = true;
		break;
	case DM_INIT:
		lapic_init(l);
		break;
	case DM_SIPI:
		lapic_sipi(l, vector);
		break;
	default:
		break;		/* SMI, ExtINT: nothing sends them here */
	}
}

void lapic_deliver(struct vm *vm, uint32_t dest, bool logical, uint8_t vector,
		   bool level, unsigned int delivery)
{
	unsigned int i;

	/* These xAPICs have 8-bit IDs: an x2APIC destination names none. */
	if (dest > 0xff)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct lapic *l = vm->vcpus[i].lapic;

		if (!l || !lapic_matches(l, dest, logical))
			continue;
		lapic_deliver_one(l, vector, level, delivery);
		if (delivery == DM_LOWEST)
			break;
	}
}

static void lapic_eoi(struct lapic *l)
{
	int v = highest_vec(l->isr);

	if (v < 0)
		return;
	clear_vec(l->isr, v);
	if (test_vec(l->tmr, v) && l->vcpu->vm->ioapic)
		ioapic_eoi(l->vcpu->vm->ioapic, v);
}

/* ICR write (low half): send the IPI (SDM 10.6.1). */
static void lapic_send_ipi(struct lapic *l)
{
	struct vm *vm = l->vcpu->vm;
	unsigned int delivery = APIC_LVT_DELIVERY(l->icr), i;
	uint8_t vector = l->icr & 0xff;
	bool logical = l->icr & APIC_ICR_LOGICAL;

	/* INIT level de-assert only synchronizes arbitration IDs. */
	if (delivery == DM_INIT && !(l->icr & APIC_ICR_LEVEL_ASSERT))
		return;
	switch (APIC_ICR_SHORTHAND(l->icr)) {
	case SH_NONE:
		lapic_deliver(vm, l->icr2 >> 24, logical, vector, false,
			      delivery);
		break;
	case SH_SELF:
		lapic_deliver_one(l, vector, false, delivery);
		break;
	default:
		for (i = 0; i < vm->nr_vcpus; i++) {
			struct lapic *t = vm->vcpus[i].lapic;

			if (t && (t != l || APIC_ICR_SHORTHAND(l->icr) == SH_ALL))
				lapic_deliver_one(t, vector, false, delivery);
		}
		break;
	}
}

/* Timer: the divide configuration's bits 0, 1 and 3 (SDM 10.5.4). */
static uint64_t lapic_divide(const struct lapic *l)
{
	unsigned int v = (l->tdcr & 3) | ((l->tdcr & 8) >> 1);

	return v == 7 ? 1 : 2ULL << v;
}

static uint64_t lapic_ns_per_count(const struct lapic *l)
{
	return lapic_divide(l) * 1000000000ULL / LAPIC_BUS_HZ;
}

static bool timer_periodic(const struct lapic *l)
{
	return l->lvt[0] & APIC_TIMER_PERIODIC;
}

static uint32_t lapic_current_count(const struct lapic *l)
{
	uint64_t counted;

	if (!l->tmict)
		return 0;
	counted = (clock_ns() - l->timer_start) / lapic_ns_per_count(l);
	if (timer_periodic(l))
		return l->tmict - counted % l->tmict;
	return counted >= l->tmict ? 0 : l->tmict - counted;
}

static void lapic_timer_fire(void *arg, uint64_t gen)
{
	struct lapic *l = arg;
	struct vm *vm = l->vcpu->vm;
	uint64_t period, now;

	pthread_mutex_lock(&vm->irq_lock);
	if (gen != l->timer.gen)
		goto out;
	if (!(l->lvt[0] & APIC_LVT_MASKED))
		lapic_accept(l, l->lvt[0] & 0xff, false);
	if (timer_periodic(l) && l->tmict) {
		/* The next period after now: missed expiries merge. */
		period = (uint64_t)l->tmict * lapic_ns_per_count(l);
		now = clock_ns();
		l->timer_next += period;
		if (l->timer_next <= now)
			l->timer_next += (now - l->timer_next) / period * period +
					 period;
		vtimer_arm(&vm->timers, &l->timer, l->timer_next);
	}
	irq_update(vm);
out:
	pthread_mutex_unlock(&vm->irq_lock);
}

static void lapic_timer_start(struct lapic *l)
{
	struct timers *t = &l->vcpu->vm->timers;

	l->timer_start = clock_ns();
	if (!l->tmict) {
		vtimer_cancel(t, &l->timer);
		return;
	}
	l->timer_next = l->timer_start +
			(uint64_t)l->tmict * lapic_ns_per_count(l);
	vtimer_arm(t, &l->timer, l->timer_next);
}

static uint32_t lapic_read_reg(struct lapic *l, unsigned int reg)
{
	if (reg >= APIC_ISR && reg < APIC_ISR + 0x80)
		return l->isr[(reg - APIC_ISR) / 16];
	if (reg >= APIC_TMR && reg < APIC_TMR + 0x80)
		return l->tmr[(reg - APIC_TMR) / 16];
	if (reg >= APIC_IRR && reg < APIC_IRR + 0x80)
		return l->irr[(reg - APIC_IRR) / 16];
	if (reg >= APIC_LVT_TIMER && reg <= APIC_LVT_ERROR)
		return l->lvt[(reg - APIC_LVT_TIMER) / 16];
	switch (reg) {
	case APIC_ID:
		return l->id;
	case APIC_LVR:
		return (APIC_NR_LVT - 1) << 16 | APIC_VERSION;
	case APIC_TPR:
		return l->tpr;
	case APIC_PPR:
		return lapic_ppr(l);
	case APIC_LDR:
		return l->ldr;
	case APIC_DFR:
		return l->dfr;
	case APIC_SVR:
		return l->svr;
	case APIC_ESR:
		return l->esr;
	case APIC_ICR:
		return l->icr;		/* delivery status: always idle */
	case APIC_ICR2:
		return l->icr2;
	case APIC_TMICT:
		return l->tmict;
	case APIC_TMCCT:
		return lapic_current_count(l);
	case APIC_TDCR:
		return l->tdcr;
	}
	return 0;
}

static void lapic_write_lvt(struct lapic *l, unsigned int reg, uint32_t val)
{
	unsigned int i = (reg - APIC_LVT_TIMER) / 16;
	bool was_periodic = timer_periodic(l);

	if (!sw_enabled(l))
		val |= APIC_LVT_MASKED;
	l->lvt[i] = val;
	/* A change of timer mode restarts the count (as KVM's does). */
	if (i == 0 && was_periodic != timer_periodic(l))
		lapic_timer_start(l);
}

static void lapic_write_reg(struct lapic *l, unsigned int reg, uint32_t val)
{
	unsigned int i;

	if (reg >= APIC_LVT_TIMER && reg <= APIC_LVT_ERROR) {
		lapic_write_lvt(l, reg, val);
		return;
	}
	switch (reg) {
	case APIC_ID:
		l->id = val & 0xff000000;
		break;
	case APIC_TPR:
		l->tpr = val & 0xff;
		break;
	case APIC_EOI:
		lapic_eoi(l);
		break;
	case APIC_LDR:
		l->ldr = val & 0xff000000;
		break;
	case APIC_DFR:
		l->dfr = val | 0x0fffffff;
		break;
	case APIC_SVR:
		l->svr = val & 0x1ff;
		/* Software disable masks every LVT entry (SDM 10.4.7.2). */
		if (!sw_enabled(l))
			for (i = 0; i < APIC_NR_LVT; i++)
				l->lvt[i] |= APIC_LVT_MASKED;
		break;
	case APIC_ESR:
		l->esr = 0;
		break;
	case APIC_ICR:
		l->icr = val & ~(1U << 12);
		lapic_send_ipi(l);
		break;
	case APIC_ICR2:
		l->icr2 = val & 0xff000000;
		break;
	case APIC_TMICT:
		l->tmict = val;
		lapic_timer_start(l);
		break;
	case APIC_TDCR:
		l->tdcr = val & 0xb;
		break;
	}
}

static uint64_t lapic_mmio_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vm *vm = dev;
	struct vcpu *vcpu = lapic_self;
	uint32_t val = 0;

	if (!vcpu || !vcpu->lapic)
		return ~0ULL;
	pthread_mutex_lock(&vm->irq_lock);
	val = lapic_read_reg(vcpu->lapic, offset & ~0xfULL);
	pthread_mutex_unlock(&vm->irq_lock);
	/* Narrower reads see their part of the 32-bit register. */
	return size < 4 ? val >> (8 * (offset & 3)) : val;
}

static void lapic_mmio_write(void *dev, uint64_t offset, unsigned int size,
			     uint64_t value)
{
	struct vm *vm = dev;
	struct vcpu *vcpu = lapic_self;

	if (!vcpu || !vcpu->lapic || size != 4 || (offset & 0xf))
		return;			/* SDM 10.4.1: 32-bit aligned only */
	pthread_mutex_lock(&vm->irq_lock);
	lapic_write_reg(vcpu->lapic, offset, value);
	irq_update(vm);
	pthread_mutex_unlock(&vm->irq_lock);
}

static const struct io_ops lapic_ops = {
	.read = lapic_mmio_read,
	.write = lapic_mmio_write,
};

int lapic_register_mmio(struct vm *vm)
{
	return iobus_register(&vm->mmio, LAPIC_BASE, 0x1000, 4, "local APIC",
			      &lapic_ops, vm);
}

void lapic_set_self(struct vcpu *vcpu)
{
	lapic_self = vcpu;
}

struct lapic *lapic_create(struct vcpu *vcpu)
{
	struct lapic *l = calloc(1, sizeof(*l));
	unsigned int i;

	if (!l) {
		pr_perror("local APIC");
		return NULL;
	}
	l->vcpu = vcpu;
	l->id = vcpu->id << 24;
	l->dfr = 0xffffffff;
	l->svr = APIC_SVR_ENABLED | 0xff;
	for (i = 0; i < APIC_NR_LVT; i++)
		l->lvt[i] = APIC_LVT_MASKED;
	l->lvt[(APIC_LVT_LINT0 - APIC_LVT_TIMER) / 16] = LVT_EXTINT;
	l->lvt[(APIC_LVT_LINT0 + 0x10 - APIC_LVT_TIMER) / 16] = LVT_NMI;
	l->wait_sipi = vcpu->id != 0;
	l->sipi_vector = -1;
	vtimer_init(&l->timer, lapic_timer_fire, l);
	return l;
}

void lapic_destroy(struct lapic *l)
{
	free(l);
}

/*
 * An AP's thread: wait (vm->irq_lock not held) until a SIPI came;
 * returns its vector, or -1 when the run ends first.
 */
int lapic_wait_sipi(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct lapic *l = vcpu->lapic;
	int vector;

	for (;;) {
		pthread_mutex_lock(&vm->irq_lock);
		vector = l->sipi_vector;
		if (vector >= 0)
			l->wait_sipi = false;
		pthread_mutex_unlock(&vm->irq_lock);
		if (vector >= 0 || vm_stopping(vm))
			return vector;
		vcpu_wait(vcpu);
	}
}

uint64_t lapic_base_msr(const struct vcpu *vcpu)
{
	/* Base, global enable (bit 11), BSP (bit 8): SDM 10.4.4. */
	return LAPIC_BASE | (1ULL << 11) | (vcpu->id == 0 ? 1ULL << 8 : 0);
}
