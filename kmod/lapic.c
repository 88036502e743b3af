// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of each vCPU, in the kernel (RS_CREATE_LAPIC): Intel SDM
 * vol. 3A, chapter 11 "Advanced Programmable Interrupt Controller (APIC)"
 * (chapter 10 in older editions; the sections cited are chapter 11's).
 *
 * What lives here: the registers (the xAPIC page at IA32_APIC_BASE and the
 * x2APIC MSRs), the priority rules (IRR, ISR, TPR, PPR, EOI), the timer
 * in its three modes on a host hrtimer, IPIs between the VM's vCPUs, INIT
 * and SIPI, the vCPU's halt, and the MSIs that user space's devices send.
 * The PIC, the I/O APIC and the devices stay in user space; a level-
 * triggered vector's EOI goes back there (RS_EXIT_EOI).
 *
 * Ownership: everything is the vCPU thread's, except what other threads
 * deliver: IRR and TMR bits (atomic bit operations) with the irr_pending
 * hint, an NMI, INIT or SIPI (request bits and fields the vCPU thread
 * takes in rs_lapic_service()), and errors to latch in ESR.  A deliverer
 * then kicks the vCPU: out of guest mode with an IPI, out of its halt
 * with a wake-up.  Nothing here holds a lock across guest entry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "rs.h"

/* Version 14H (an integrated xAPIC) with six LVT entries (11.4.8). */
#define RS_APIC_VERSION		(0x14 | (5 << 16))
#define RS_APIC_LVT_CMCI	0x2f0
#define RS_ICR_SHORTHAND	0xc0000U	/* bits 19:18 (figure 11-12) */

/* The timer counts at 1 GHz before the divider, as the launcher's did. */
#define RS_APIC_NS_PER_COUNT	1
/*
 * A periodic timer fires at most every min_timer_period_us (200 us, as
 * KVM's parameter of that name): a guest must not hold a host CPU in
 * hrtimer interrupts.  A slow host (an emulator) may need more.
 */
static unsigned int min_timer_period_us = 200;
module_param(min_timer_period_us, uint, 0444);
MODULE_PARM_DESC(min_timer_period_us,
		 "shortest period of a guest's periodic APIC timer (us)");

/* A periodic timer's period in ns: TMICT's, but not below the floor. */
static u64 rs_timer_period_ns(u64 ns)
{
	return max_t(u64, ns, 1000ULL * min_timer_period_us);
}

/* ESR (11.5.3): what this APIC can latch. */
#define RS_ESR_SEND_ILLEGAL	BIT(5)
#define RS_ESR_RECV_ILLEGAL	BIT(6)
#define RS_ESR_ILLEGAL_REG	BIT(7)

/* Writable bits of each register (11.4-11.6; figures 11-8, 11-12...). */
#define RS_LVT_TIMER_BITS	(0xff | APIC_LVT_MASKED | (3 << 17))
#define RS_LVT_DM_BITS		(0x7ff | APIC_LVT_MASKED)
#define RS_LVT_LINT_BITS	(0x7ff | BIT(13) | APIC_LVT_LEVEL_TRIGGER | \
				 APIC_LVT_MASKED)
#define RS_LVT_ERROR_BITS	(0xff | APIC_LVT_MASKED)
#define RS_ICR_BITS		0xccfffU
#define RS_SVR_BITS		0x3ffU
#define RS_TDCR_BITS		0xbU

struct rs_lapic {
	u8 regs[1024] __aligned(16);	/* as the xAPIC page lays them out */
	struct rs_vcpu *vcpu;
	struct rcuwait wait;		/* the vCPU thread, halted */
	u32 mp_state;			/* RS_MP_* */
	/*
	 * Two caches that spare the entry and EOI paths a scan of 256 bits
	 * (KVM keeps the same): IRR may hold a vector (false: it holds
	 * none), and ISR's count and highest vector (-1: none).
	 */
	bool irr_pending;
	u16 isr_count;
	s16 isr_top;
	bool halt_if;			/* RFLAGS.IF when it halted */
	s16 eoi_exit;			/* a level vector EOIed, for user space */
	u8 sipi_vector;			/* the SIPI's, with RS_REQ_SIPI */
	atomic_t sipi_latched;		/* a SIPI waits: the next is ignored */
	atomic_t nmi;			/* NMIs sent, for rs_lapic_service() */
	bool nmi_latched;		/* a second, behind vcpu->nmi_pending */
	atomic_t esr;			/* errors latched at the next ESR write */

	struct hrtimer timer;
	u32 divide;			/* TDCR's divisor */
	u64 period_ns;			/* TMICT counts: periodic mode's period */
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE, 0: disarmed */
};

static inline u32 rs_reg(struct rs_lapic *l, u32 off)
{
	return READ_ONCE(*(u32 *)(l->regs + off));
}

static inline void rs_reg_set(struct rs_lapic *l, u32 off, u32 v)
{
	WRITE_ONCE(*(u32 *)(l->regs + off), v);
}

/* IRR, ISR and TMR: 256 bits in eight 32-bit registers 16 bytes apart. */
static inline unsigned long *rs_vec_word(struct rs_lapic *l, u32 base, u8 v)
{
	return (unsigned long *)(l->regs + base + (v >> 5) * 16);
}

static inline bool rs_vec_test(struct rs_lapic *l, u32 base, u8 v)
{
	return test_bit(v & 31, rs_vec_word(l, base, v));
}

/* The highest vector set in IRR, ISR or TMR; -1 if none. */
static int rs_vec_highest(struct rs_lapic *l, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = rs_reg(l, base + i * 16);

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static inline bool rs_x2apic(struct rs_vcpu *vcpu)
{
	return vcpu->msr_apic_base & X2APIC_ENABLE;
}

static inline bool rs_hw_enabled(struct rs_vcpu *vcpu)
{
	return READ_ONCE(vcpu->msr_apic_base) & MSR_IA32_APICBASE_ENABLE;
}

static inline bool rs_sw_enabled(struct rs_lapic *l)
{
	return rs_reg(l, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/*
 * A vector into IRR, from any context: the hint after the bit, and both
 * before the kick that makes the vCPU look (rs_irr_highest()).
 */
static void rs_irr_set(struct rs_lapic *l, u8 vector, bool level)
{
	if (level)
		set_bit(vector & 31, rs_vec_word(l, APIC_TMR, vector));
	else
		clear_bit(vector & 31, rs_vec_word(l, APIC_TMR, vector));
	set_bit(vector & 31, rs_vec_word(l, APIC_IRR, vector));
	/* The bit before the hint: pairs with the smp_mb() in rs_irr_highest(). */
	smp_mb__after_atomic();
	WRITE_ONCE(l->irr_pending, true);
}

/*
 * The highest vector in IRR, -1 if none; the vCPU thread's.  Finding none
 * clears the hint and looks once more: a vector set before the clear is
 * found then, one set after it sets the hint again.
 */
static int rs_irr_highest(struct rs_lapic *l)
{
	int v;

	if (!READ_ONCE(l->irr_pending))
		return -1;
	v = rs_vec_highest(l, APIC_IRR);
	if (v >= 0)
		return v;
	WRITE_ONCE(l->irr_pending, false);
	/* The clear before the second look: pairs with rs_irr_set(). */
	smp_mb();
	v = rs_vec_highest(l, APIC_IRR);
	if (v >= 0)
		WRITE_ONCE(l->irr_pending, true);
	return v;
}

/* ISR changed other than by an injection or an EOI: count it again. */
static void rs_isr_recount(struct rs_lapic *l)
{
	int i;

	l->isr_count = 0;
	for (i = 0; i < 8; i++)
		l->isr_count += hweight32(rs_reg(l, APIC_ISR + i * 16));
	l->isr_top = rs_vec_highest(l, APIC_ISR);
}

/* PPR (11.8.3.1): TPR, or the class of the highest vector in service. */
static u32 rs_ppr(struct rs_lapic *l)
{
	u32 tpr = rs_reg(l, APIC_TASKPRI);
	u32 isr_class = l->isr_top < 0 ? 0 : l->isr_top & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/*
 * Make @vcpu look at its APIC again (requests and IRR): an IPI takes it
 * out of guest mode, where rs_vcpu_enter_prepare() would miss the request;
 * a halted vCPU wakes up.
 */
void rs_vcpu_kick(struct rs_vcpu *vcpu)
{
	set_bit(RS_REQ_EVENT, &vcpu->requests);
	rs_vcpu_poke(vcpu);
}

/*
 * Make @vcpu see the requests set for it before it enters the guest again,
 * with or without an APIC in the kernel.
 */
void rs_vcpu_poke(struct rs_vcpu *vcpu)
{
	int cpu, me;

	/* Pairs with the barrier in rs_vcpu_enter_prepare(). */
	smp_mb__after_atomic();
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == RS_IN_GUEST && cpu != me &&
	    (unsigned int)cpu < nr_cpu_ids)
		smp_send_reschedule(cpu);
	put_cpu();
	if (vcpu->lapic)
		rcuwait_wake_up(&vcpu->lapic->wait);
}

/* Latch @err for ESR, and raise the error LVT if it is not masked (11.5.3). */
static void rs_lapic_error(struct rs_lapic *l, u32 err)
{
	u32 lvt = rs_reg(l, APIC_LVTERR);

	atomic_or(err, &l->esr);
	if (!(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16)
		rs_irr_set(l, lvt, false);
}

/*
 * A fixed or lowest-priority interrupt arrives (11.5.5, 11.8.3): into IRR,
 * with its trigger mode in TMR.  An APIC that is disabled takes none; a
 * vector below 16 is illegal and only sets ESR.  Any context.
 */
static bool rs_lapic_accept(struct rs_lapic *l, u8 vector, bool level)
{
	if (!rs_hw_enabled(l->vcpu) || !rs_sw_enabled(l))
		return false;
	if (vector < 16)
		rs_lapic_error(l, RS_ESR_RECV_ILLEGAL);
	else
		rs_irr_set(l, vector, level);
	rs_vcpu_kick(l->vcpu);
	return true;
}

/* A message of delivery mode @dm (APIC_DM_*) for @l's vCPU. */
static bool rs_lapic_deliver(struct rs_lapic *l, u32 dm, u8 vector, bool level)
{
	switch (dm) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		return rs_lapic_accept(l, vector, level);
	case APIC_DM_NMI:
		if (!rs_hw_enabled(l->vcpu))
			return false;
		atomic_inc(&l->nmi);
		break;
	case APIC_DM_INIT:
		if (!rs_hw_enabled(l->vcpu))
			return false;
		set_bit(RS_REQ_INIT, &l->vcpu->requests);
		break;
	case APIC_DM_STARTUP:
		if (!rs_hw_enabled(l->vcpu))
			return false;
		/* The first SIPI starts the vCPU; one after it is ignored. */
		if (atomic_cmpxchg(&l->sipi_latched, 0, 1))
			return true;
		WRITE_ONCE(l->sipi_vector, vector);
		/* The vector before the request: rs_lapic_service() reads both. */
		smp_mb__before_atomic();
		set_bit(RS_REQ_SIPI, &l->vcpu->requests);
		break;
	default:			/* SMI, ExtINT: not delivered */
		return false;
	}
	rs_vcpu_kick(l->vcpu);
	return true;
}

/*
 * Does destination @dest (@x2: a 32-bit one, else 8 bits), in logical or
 * physical mode, name @l's APIC?  11.6.2.1-11.6.2.2 for xAPIC, 11.12.9-10
 * for x2APIC; all ones is everyone.
 */
static bool rs_lapic_match(struct rs_lapic *l, u32 dest, bool x2, bool logical)
{
	u32 id = rs_reg(l, APIC_ID), ldr = rs_reg(l, APIC_LDR);

	if (dest == (x2 ? ~0U : 0xffU))
		return true;
	if (rs_x2apic(l->vcpu)) {
		if (!logical)
			return dest == id;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	if (dest > 0xff)		/* beyond an xAPIC's 8-bit IDs */
		return false;
	if (!logical)
		return dest == id >> 24;
	if ((rs_reg(l, APIC_DFR) >> 28) == 0xf)		/* flat */
		return dest & (ldr >> 24);
	return (dest >> 4) == (ldr >> 28) && (dest & (ldr >> 24) & 0xf);
}

/*
 * Send a message to the APICs it names (shorthand @sh, APIC_DEST_*, or
 * @dest): a lowest-priority one to the first that takes it (the SDM
 * leaves the choice to the model, 11.6.2.4).  Returns how many took it.
 */
static int rs_lapic_send(struct rs_vm *vm, struct rs_lapic *src, u32 sh,
			 u32 dest, bool x2, bool logical, u32 dm, u8 vector,
			 bool level)
{
	/* Pairs with rs_create_vcpu(): the vCPUs counted are whole. */
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);
	int taken = 0;

	if (sh == APIC_DEST_SELF)
		return dm == APIC_DM_FIXED &&
		       rs_lapic_accept(src, vector, level);
	for (i = 0; i < n; i++) {
		struct rs_lapic *l = vm->vcpus[i]->lapic;

		if ((sh == APIC_DEST_ALLBUT && l == src) ||
		    (!sh && !rs_lapic_match(l, dest, x2, logical)))
			continue;
		if (rs_lapic_deliver(l, dm, vector, level)) {
			taken++;
			if (dm == APIC_DM_LOWEST)
				break;
		}
	}
	return taken;
}

/* A write of ICR sends an IPI (11.6.1). */
static void rs_lapic_ipi(struct rs_lapic *l, u32 icr, u32 dest)
{
	u32 dm = icr & APIC_DM_FIXED_MASK;
	u8 vector = icr & 0xff;

	/* INIT level de-assert: only synchronises arbitration IDs (11.6.1). */
	if (dm == APIC_DM_INIT && (icr & APIC_INT_LEVELTRIG) &&
	    !(icr & APIC_INT_ASSERT))
		return;
	if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST) && vector < 16) {
		rs_lapic_error(l, RS_ESR_SEND_ILLEGAL);
		return;
	}
	rs_lapic_send(l->vcpu->vm, l, icr & RS_ICR_SHORTHAND, dest,
		      rs_x2apic(l->vcpu), icr & APIC_DEST_LOGICAL, dm, vector,
		      false);
}

/* Timer (11.5.4) */

static u32 rs_timer_mode(struct rs_lapic *l)
{
	return rs_reg(l, APIC_LVTT) & (3 << 17);
}

static u64 rs_guest_tsc(struct rs_vcpu *vcpu)
{
	u64 tsc = 0;

	rs_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc);
	return tsc;
}

/* @cycles of the TSC as time, at least 1 ns. */
static ktime_t rs_tsc_to_ktime(u64 cycles)
{
	return ns_to_ktime(max_t(u64, mul_u64_u32_div(cycles, 1000000, tsc_khz),
				 1));
}

static enum hrtimer_restart rs_lapic_timer_fn(struct hrtimer *t)
{
	struct rs_lapic *l = container_of(t, struct rs_lapic, timer);
	u32 lvt = rs_reg(l, APIC_LVTT);
	bool again = false;

	if (rs_timer_mode(l) == APIC_LVT_TIMER_PERIODIC && l->period_ns) {
		hrtimer_forward_now(t, ns_to_ktime(rs_timer_period_ns(l->period_ns)));
		again = true;
	} else if (rs_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE) {
		u64 deadline = READ_ONCE(l->tsc_deadline), now;

		/*
		 * Never before the TSC reaches it (11.5.4.1): tsc_khz is the
		 * host's estimate, and the TSC may run faster.
		 */
		now = rs_guest_tsc(l->vcpu);
		if (deadline > now) {
			hrtimer_forward_now(t, rs_tsc_to_ktime(deadline - now));
			return HRTIMER_RESTART;
		}
		WRITE_ONCE(l->tsc_deadline, 0);
	}
	if (!(lvt & APIC_LVT_MASKED))
		rs_lapic_accept(l, lvt & 0xff, false);
	return again ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

/*
 * Count @counts from now; in periodic mode then TMICT counts again and
 * again (period_ns is kept in one-shot mode too: the guest may switch).
 */
static void rs_timer_count(struct rs_lapic *l, u64 counts)
{
	u64 ns = counts * l->divide * RS_APIC_NS_PER_COUNT;

	hrtimer_cancel(&l->timer);
	l->period_ns = (u64)rs_reg(l, APIC_TMICT) * l->divide *
		       RS_APIC_NS_PER_COUNT;
	if (!counts)
		return;
	if (rs_timer_mode(l) == APIC_LVT_TIMER_PERIODIC)
		ns = rs_timer_period_ns(ns);
	hrtimer_start(&l->timer, ktime_add_ns(ktime_get(), ns),
		      HRTIMER_MODE_ABS_HARD);
}

/* TMCCT: the counts left until the timer fires; 0 when it stopped. */
static u32 rs_timer_current(struct rs_lapic *l)
{
	s64 left;

	if (rs_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE ||
	    !rs_reg(l, APIC_TMICT) || !hrtimer_active(&l->timer))
		return 0;
	left = ktime_to_ns(hrtimer_get_remaining(&l->timer));
	if (left <= 0)
		return 0;
	return min_t(u64, div_u64(left, l->divide * RS_APIC_NS_PER_COUNT),
		     rs_reg(l, APIC_TMICT));
}

/* TDCR bits 3, 1, 0: 2^((value + 1) mod 8) (figure 11-10). */
static void rs_timer_divide(struct rs_lapic *l, u32 tdcr)
{
	u32 v = (tdcr & 3) | ((tdcr & 8) >> 1);

	l->divide = 1U << ((v + 1) & 7);
}

/* IA32_TSC_DEADLINE (11.5.4.1): a guest TSC value; 0 disarms. */
static void rs_timer_deadline(struct rs_lapic *l, u64 deadline)
{
	u64 now;

	hrtimer_cancel(&l->timer);
	l->tsc_deadline = deadline;
	if (!deadline)
		return;
	now = rs_guest_tsc(l->vcpu);
	if (deadline <= now) {
		rs_lapic_timer_fn(&l->timer);
		return;
	}
	hrtimer_start(&l->timer, ktime_add(ktime_get(),
					   rs_tsc_to_ktime(deadline - now)),
		      HRTIMER_MODE_ABS_HARD);
}

/* Registers */

/* The state at power-up and after INIT (11.4.7.1), keeping the ID. */
static void rs_lapic_reset(struct rs_lapic *l, bool keep_id)
{
	struct rs_vcpu *vcpu = l->vcpu;
	u32 id = rs_reg(l, APIC_ID);
	u32 off;

	hrtimer_cancel(&l->timer);
	l->period_ns = 0;
	l->tsc_deadline = 0;
	memset(l->regs, 0, sizeof(l->regs));
	rs_reg_set(l, APIC_ID, keep_id ? id : rs_x2apic(vcpu) ?
		   vcpu->id : vcpu->id << 24);
	if (rs_x2apic(vcpu))
		rs_reg_set(l, APIC_LDR, (vcpu->id >> 4) << 16 |
			   BIT(vcpu->id & 15));
	rs_reg_set(l, APIC_LVR, RS_APIC_VERSION);
	rs_reg_set(l, APIC_DFR, ~0U);
	rs_reg_set(l, APIC_SPIV, 0xff);
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		rs_reg_set(l, off, APIC_LVT_MASKED);
	rs_timer_divide(l, 0);
	atomic_set(&l->esr, 0);
	l->eoi_exit = -1;
	rs_isr_recount(l);
}

/* EOI (11.8.5): the highest vector in service is done. */
static void rs_lapic_eoi(struct rs_lapic *l)
{
	int v = l->isr_top;

	if (v < 0)
		return;
	__clear_bit(v & 31, rs_vec_word(l, APIC_ISR, v));
	l->isr_top = --l->isr_count ? rs_vec_highest(l, APIC_ISR) : -1;
	if (rs_vec_test(l, APIC_TMR, v))
		l->eoi_exit = v;
}

/* The bits a write keeps; 0: the register is read-only or absent. */
static u32 rs_lapic_writable(struct rs_lapic *l, u32 off)
{
	bool x2 = rs_x2apic(l->vcpu);

	switch (off) {
	case APIC_ID:
	case APIC_LDR:
	case APIC_ICR2:
		return x2 ? 0 : 0xff000000;
	case APIC_DFR:
		return x2 ? 0 : 0xf0000000;
	case APIC_TASKPRI:
		return 0xff;
	case APIC_SPIV:
		return RS_SVR_BITS;
	case APIC_ICR:
		return RS_ICR_BITS;
	case APIC_LVTT:
		return rs_guest_has(l->vcpu, RS_CPUID_TSC_DEADLINE) ?
		       RS_LVT_TIMER_BITS : RS_LVT_TIMER_BITS & ~BIT(18);
	case APIC_LVTTHMR:
	case APIC_LVTPC:
		return RS_LVT_DM_BITS;
	case APIC_LVT0:
	case APIC_LVT1:
		return RS_LVT_LINT_BITS;
	case APIC_LVTERR:
		return RS_LVT_ERROR_BITS;
	case APIC_TMICT:
		return ~0U;
	case APIC_TDCR:
		return RS_TDCR_BITS;
	case APIC_EOI:
	case APIC_ESR:
		return ~0U;		/* any value; x2APIC: only 0 */
	case APIC_SELF_IPI:
		return x2 ? 0xff : 0;
	}
	return 0;
}

/*
 * The read-only status bits of an LVT entry (figure 11-8): delivery
 * status, and LINT's remote IRR.  A write that carries them is no write
 * of reserved bits (Linux's disconnect_bsp_APIC() sets both in LVT0, and
 * KVM takes it): they are left as they are.
 */
static u32 rs_lvt_status_bits(u32 off)
{
	switch (off) {
	case APIC_LVT0:
	case APIC_LVT1:
		return APIC_SEND_PENDING | APIC_LVT_REMOTE_IRR;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVTERR:
		return APIC_SEND_PENDING;
	}
	return 0;
}

/*
 * Write register @off, whose writable bits @val stays within (the x2APIC
 * path checked; the xAPIC one masked).
 */
static void rs_lapic_write(struct rs_lapic *l, u32 off, u32 val)
{
	u32 old = rs_reg(l, off), off2;

	switch (off) {
	case APIC_EOI:
		rs_lapic_eoi(l);
		return;
	case APIC_DFR:
		val |= 0x0fffffff;
		break;
	case APIC_SPIV:
		/* Software disabled: every LVT entry masked (11.4.7.2). */
		if (!(val & APIC_SPIV_APIC_ENABLED))
			for (off2 = APIC_LVTT; off2 <= APIC_LVTERR; off2 += 0x10)
				rs_reg_set(l, off2, rs_reg(l, off2) |
					   APIC_LVT_MASKED);
		break;
	case APIC_ESR:
		val = atomic_xchg(&l->esr, 0);
		break;
	case APIC_ICR:
		rs_reg_set(l, APIC_ICR, val);
		rs_lapic_ipi(l, val, rs_x2apic(l->vcpu) ? rs_reg(l, APIC_ICR2) :
			     rs_reg(l, APIC_ICR2) >> 24);
		return;
	case APIC_SELF_IPI:
		rs_lapic_send(l->vcpu->vm, l, APIC_DEST_SELF, 0, true, false,
			      APIC_DM_FIXED, val, false);
		return;
	case APIC_LVTT:
		if (!rs_sw_enabled(l))
			val |= APIC_LVT_MASKED;
		/*
		 * Into or out of TSC-deadline mode the timer stops; between
		 * one-shot and periodic it counts on (KVM does the same).
		 */
		if (((val ^ old) & (3 << 17)) &&
		    ((val & (3 << 17)) == APIC_LVT_TIMER_TSCDEADLINE ||
		     (old & (3 << 17)) == APIC_LVT_TIMER_TSCDEADLINE)) {
			hrtimer_cancel(&l->timer);
			rs_reg_set(l, APIC_TMICT, 0);
			l->period_ns = 0;
			l->tsc_deadline = 0;
		}
		break;
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
		if (!rs_sw_enabled(l))
			val |= APIC_LVT_MASKED;
		break;
	case APIC_TMICT:
		if (rs_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE)
			return;
		rs_reg_set(l, APIC_TMICT, val);
		rs_timer_count(l, val);
		return;
	case APIC_TDCR: {
		u32 left = rs_timer_current(l);

		rs_reg_set(l, APIC_TDCR, val);
		rs_timer_divide(l, val);
		if (left)
			rs_timer_count(l, left);
		return;
	}
	}
	rs_reg_set(l, off, val);
}

/* Read register @off; false if it has no value to read. */
static bool rs_lapic_read(struct rs_lapic *l, u32 off, u32 *val)
{
	bool x2 = rs_x2apic(l->vcpu);

	if (off >= APIC_ISR && off < APIC_ISR + 0x180) {	/* ISR, TMR, IRR */
		*val = rs_reg(l, off);
		return !(off & 0xf);
	}
	switch (off) {
	case APIC_PROCPRI:
		*val = rs_ppr(l);
		return true;
	case APIC_TMCCT:
		*val = rs_timer_current(l);
		return true;
	case APIC_ARBPRI:
	case APIC_RRR:
	case APIC_DFR:
	case APIC_ICR2:
		*val = x2 ? 0 : rs_reg(l, off);
		return !x2;
	case APIC_EOI:
	case APIC_SELF_IPI:
	case RS_APIC_LVT_CMCI:
		*val = 0;
		return false;
	case APIC_ID:
	case APIC_LVR:
	case APIC_TASKPRI:
	case APIC_LDR:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_ICR:
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TDCR:
		*val = rs_reg(l, off);
		return true;
	}
	*val = 0;
	return false;
}

/*
 * The xAPIC page (11.4.1): while the APIC is enabled and not in x2APIC
 * mode, an access to it is the APIC's.  Registers are 32 bits wide on
 * 16-byte boundaries; a narrower read gets its bytes of one, a write
 * other than 32 bits wide and aligned is dropped, as KVM does.  Reserved
 * registers read 0 and ignore writes.  Returns false where the access is
 * not the APIC's.
 */
bool rs_lapic_mmio(struct rs_vcpu *vcpu, u64 gpa, unsigned int len,
		   bool write, void *data)
{
	struct rs_lapic *l = vcpu->lapic;
	u32 off = gpa & ~PAGE_MASK, val;

	if ((gpa & PAGE_MASK) != (vcpu->msr_apic_base & MSR_IA32_APICBASE_BASE) ||
	    !rs_hw_enabled(vcpu) || rs_x2apic(vcpu))
		return false;
	if (write) {
		/* Read-only and reserved registers keep nothing (11.4.1). */
		if (len == 4 && !(off & 0xf) && off < sizeof(l->regs) &&
		    rs_lapic_writable(l, off))
			rs_lapic_write(l, off, *(u32 *)data &
				       rs_lapic_writable(l, off));
		return true;
	}
	memset(data, 0, len);
	if ((off & 0xf) + len <= 4 && off < sizeof(l->regs)) {
		rs_lapic_read(l, off & ~0xfU, &val);
		val >>= (off & 3) * 8;
		memcpy(data, &val, len);
	}
	return true;
}

/* x2APIC registers as MSRs 800H-8FFH (11.12.1.2); -EINVAL is #GP. */
int rs_lapic_rdmsr(struct rs_vcpu *vcpu, u32 index, u64 *data)
{
	struct rs_lapic *l = vcpu->lapic;
	u32 off = (index - APIC_BASE_MSR) << 4, val, hi;

	if (!l || !rs_x2apic(vcpu) || index - APIC_BASE_MSR > 0xff ||
	    off >= sizeof(l->regs) || !rs_lapic_read(l, off, &val))
		return -EINVAL;
	hi = off == APIC_ICR ? rs_reg(l, APIC_ICR2) : 0;
	*data = (u64)hi << 32 | val;
	return 0;
}

int rs_lapic_wrmsr(struct rs_vcpu *vcpu, u32 index, u64 data)
{
	struct rs_lapic *l = vcpu->lapic;
	u32 off = (index - APIC_BASE_MSR) << 4, dest = 0, mask;

	if (!l || !rs_x2apic(vcpu) || index - APIC_BASE_MSR > 0xff ||
	    off >= sizeof(l->regs))
		return -EINVAL;
	/* Reserved bits set: #GP (11.12.1.3); EOI and ESR take only 0. */
	if ((off == APIC_EOI || off == APIC_ESR) && data)
		return -EINVAL;
	if (off == APIC_EOI) {		/* the hottest write, straight */
		rs_lapic_eoi(l);
		return 0;
	}
	if (off == APIC_ICR) {		/* one 64-bit register */
		dest = data >> 32;
		data = (u32)data;
	}
	data &= ~(u64)rs_lvt_status_bits(off);
	mask = rs_lapic_writable(l, off);
	if (!mask || (data & ~(u64)mask))
		return -EINVAL;
	if (off == APIC_ICR)
		rs_reg_set(l, APIC_ICR2, dest);
	rs_lapic_write(l, off, data);
	return 0;
}

/* IA32_TSC_DEADLINE: reads 0 and ignores writes outside its mode. */
int rs_lapic_get_deadline(struct rs_vcpu *vcpu, u64 *data)
{
	struct rs_lapic *l = vcpu->lapic;

	if (!l || !rs_guest_has(vcpu, RS_CPUID_TSC_DEADLINE))
		return -EINVAL;
	*data = rs_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE ?
		READ_ONCE(l->tsc_deadline) : 0;
	return 0;
}

int rs_lapic_set_deadline(struct rs_vcpu *vcpu, u64 data)
{
	struct rs_lapic *l = vcpu->lapic;

	if (!l || !rs_guest_has(vcpu, RS_CPUID_TSC_DEADLINE))
		return -EINVAL;
	if (rs_hw_enabled(vcpu) &&
	    rs_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE)
		rs_timer_deadline(l, data);
	return 0;
}

/*
 * IA32_APIC_BASE (11.4.4, 11.12.5): EN and EXTD move between disabled,
 * xAPIC and x2APIC; the guest may not go from x2APIC to xAPIC, or from
 * disabled to x2APIC, without the state between (figure 11-27).  A
 * disabled APIC forgets its state: it starts from power-up when enabled.
 */
int rs_lapic_set_base(struct rs_vcpu *vcpu, u64 data, bool host_initiated)
{
	struct rs_lapic *l = vcpu->lapic;
	u64 mode = MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE;
	u64 valid = GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 12) |
		    MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_BSP;
	u64 old = vcpu->msr_apic_base;

	if (rs_guest_has(vcpu, RS_CPUID_X2APIC))
		valid |= X2APIC_ENABLE;
	if ((data & ~valid) || (data & mode) == X2APIC_ENABLE)
		return -EINVAL;
	if (!host_initiated &&
	    (((old & mode) == mode && (data & mode) == MSR_IA32_APICBASE_ENABLE) ||
	     (!(old & mode) && (data & mode) == mode)))
		return -EINVAL;
	WRITE_ONCE(vcpu->msr_apic_base, data);
	if ((old & mode) == (data & mode))
		return 0;
	if (!(data & MSR_IA32_APICBASE_ENABLE) ||
	    !(old & MSR_IA32_APICBASE_ENABLE)) {
		rs_lapic_reset(l, false);
	} else if (data & X2APIC_ENABLE) {
		/* xAPIC to x2APIC: ID and LDR from the vCPU (11.12.5.1) */
		rs_reg_set(l, APIC_ID, vcpu->id);
		rs_reg_set(l, APIC_LDR, (vcpu->id >> 4) << 16 |
			   BIT(vcpu->id & 15));
	} else {			/* host: x2APIC to xAPIC */
		rs_reg_set(l, APIC_ID, vcpu->id << 24);
		rs_reg_set(l, APIC_LDR, 0);
	}
	return 0;
}

/* CR8 is TPR[7:4] (11.8.6). */
u8 rs_lapic_cr8(struct rs_vcpu *vcpu)
{
	return rs_reg(vcpu->lapic, APIC_TASKPRI) >> 4;
}

void rs_lapic_set_cr8(struct rs_vcpu *vcpu, u8 cr8)
{
	struct rs_lapic *l = vcpu->lapic;

	if (rs_reg(l, APIC_TASKPRI) >> 4 != cr8)
		rs_reg_set(l, APIC_TASKPRI, cr8 << 4);
}

/* The highest vector in IRR that PPR lets through (11.8.3.1); -1: none. */
static int rs_lapic_deliverable(struct rs_lapic *l)
{
	int v = rs_irr_highest(l);

	return v >= 0 && (v & 0xf0) > (rs_ppr(l) & 0xf0) ? v : -1;
}

/*
 * Before an entry, without an interrupt already on its way in: if the
 * guest can take one now (@allowed), the highest deliverable goes from
 * IRR to ISR (INTA) and is queued in vcpu->extint_vector.  Otherwise say
 * what the backend waits for: RS_LAPIC_WINDOW, the guest's IF, or
 * RS_LAPIC_TPR, a TPR that blocks it (only a backend that does not see
 * every TPR write must act on that).  PPR's two halves (11.8.3.1) are
 * looked at apart: one in service of the same class or above waits for
 * its EOI, which exits anyway.
 */
enum rs_lapic_wait rs_lapic_inject(struct rs_vcpu *vcpu, bool allowed)
{
	struct rs_lapic *l = vcpu->lapic;
	int v = rs_irr_highest(l);

	if (v < 0)
		return RS_LAPIC_NONE;
	if (l->isr_top >= 0 && (v & 0xf0) <= (l->isr_top & 0xf0))
		return RS_LAPIC_NONE;
	if ((v & 0xf0) <= (rs_reg(l, APIC_TASKPRI) & 0xf0))
		return RS_LAPIC_TPR;
	if (!allowed)
		return RS_LAPIC_WINDOW;
	clear_bit(v & 31, rs_vec_word(l, APIC_IRR, v));
	__set_bit(v & 31, rs_vec_word(l, APIC_ISR, v));
	l->isr_count++;
	l->isr_top = v;			/* of a class above the one in service */
	vcpu->extint_vector = v;
	vcpu->extint_pending = true;
	return RS_LAPIC_NONE;
}

/* HLT (exits.c): the vCPU waits in rs_lapic_service() for an interrupt. */
int rs_lapic_halt(struct rs_vcpu *vcpu)
{
	u64 rip, rflags;

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	vcpu->lapic->halt_if = rflags & X86_EFLAGS_IF;
	vcpu->lapic->mp_state = RS_MP_HALTED;
	return 0;
}

/* INIT (11.4.7.3, SDM vol. 3A 9.1.1): the INIT state, keeping the APIC ID. */
static void rs_lapic_do_init(struct rs_vcpu *vcpu)
{
	struct rs_lapic *l = vcpu->lapic;
	struct rs_sregs s;

	rs_reset_sregs(&s);
	rs_ops->set_sregs(vcpu, &s);
	rs_call(set_rip_rflags)(vcpu, RS_RESET_RIP, RS_RESET_RFLAGS, true);
	memset(vcpu->gpr, 0, sizeof(vcpu->gpr));
	vcpu->gpr[RS_RDX] = rs_cpuid_signature(vcpu);
	rs_debug_reset_drs(vcpu);
	vcpu->pending = RS_PENDING_NONE;
	vcpu->extint_pending = false;
	vcpu->nmi_pending = false;
	l->nmi_latched = false;
	atomic_set(&l->nmi, 0);
	rs_lapic_reset(l, true);
	l->mp_state = vcpu->msr_apic_base & MSR_IA32_APICBASE_BSP ?
		      RS_MP_RUNNABLE : RS_MP_WAIT_SIPI;
}

/* SIPI (SDM vol. 3A 9.4.4.1): real mode at VV00:0000. */
static void rs_lapic_do_sipi(struct rs_vcpu *vcpu, u8 vector)
{
	struct rs_sregs s;
	u64 rip, rflags;

	rs_ops->get_sregs(vcpu, &s);
	s.cs.selector = vector << 8;
	s.cs.base = (u64)vector << 12;
	rs_ops->set_sregs(vcpu, &s);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	rs_call(set_rip_rflags)(vcpu, 0, rflags, true);
	vcpu->lapic->mp_state = RS_MP_RUNNABLE;
}

/*
 * NMIs sent (SDM vol. 3A, 6.7.1): one is delivered, and while the guest
 * blocks NMIs, or one is on its way in, one more waits (the CPU latches
 * it); the rest are lost, as KVM counts them too.  One that waits for
 * SIPI takes none.
 */
static void rs_lapic_take_nmis(struct rs_vcpu *vcpu)
{
	struct rs_lapic *l = vcpu->lapic;
	unsigned int n = atomic_xchg(&l->nmi, 0), limit;

	if (l->mp_state == RS_MP_WAIT_SIPI) {
		l->nmi_latched = false;
		return;
	}
	n += vcpu->nmi_pending + l->nmi_latched;
	limit = rs_ops->nmi_blocked(vcpu) ? 1 : 2;
	n = min(n, limit);
	vcpu->nmi_pending = n > 0;
	l->nmi_latched = n > 1;
}

/* Whether a halted vCPU, or one waiting for SIPI, has work now. */
static bool rs_lapic_wakes(struct rs_vcpu *vcpu)
{
	struct rs_lapic *l = vcpu->lapic;
	unsigned long req = READ_ONCE(vcpu->requests);

	if (req & (BIT(RS_REQ_INIT) | BIT(RS_REQ_SIPI)))
		return true;
	if (l->mp_state != RS_MP_HALTED)
		return false;
	return atomic_read(&l->nmi) || vcpu->nmi_pending ||
	       (l->halt_if && (vcpu->extint_pending ||
			       rs_lapic_deliverable(l) >= 0));
}

/* What other threads asked: look at IRR again, INIT, SIPI. */
static void rs_lapic_requests(struct rs_vcpu *vcpu)
{
	struct rs_lapic *l = vcpu->lapic;

	clear_bit(RS_REQ_EVENT, &vcpu->requests);
	/* IRR and the requests are read after the clear. */
	smp_mb__after_atomic();
	if (test_and_clear_bit(RS_REQ_INIT, &vcpu->requests))
		rs_lapic_do_init(vcpu);
	if (test_and_clear_bit(RS_REQ_SIPI, &vcpu->requests)) {
		u8 vector = READ_ONCE(l->sipi_vector);

		atomic_set(&l->sipi_latched, 0);
		if (l->mp_state == RS_MP_WAIT_SIPI)
			rs_lapic_do_sipi(vcpu, vector);
	}
}

/*
 * At the top of each round of the RS_RUN loop: take what other threads
 * sent (NMI, INIT, SIPI), report a level-triggered EOI to user space, and
 * wait here while the vCPU halts or waits for SIPI.  Returns 0 to enter
 * the guest, RS_EXIT_USER, or -EINTR for a signal.
 */
int rs_lapic_service(struct rs_vcpu *vcpu)
{
	struct rs_lapic *l = vcpu->lapic;

	for (;;) {
		/*
		 * Without a request nothing need be cleared: a delivery after
		 * this look sets one, which calls the entry off.
		 */
		if (READ_ONCE(vcpu->requests) & RS_REQ_KICKS)
			rs_lapic_requests(vcpu);
		if (atomic_read(&l->nmi) || l->nmi_latched)
			rs_lapic_take_nmis(vcpu);
		if (unlikely(l->eoi_exit >= 0)) {
			vcpu->run->exit_reason = RS_EXIT_EOI;
			vcpu->run->eoi.vector = l->eoi_exit;
			l->eoi_exit = -1;
			return RS_EXIT_USER;
		}
		if (l->mp_state == RS_MP_HALTED && rs_lapic_wakes(vcpu))
			l->mp_state = RS_MP_RUNNABLE;
		if (l->mp_state == RS_MP_RUNNABLE)
			return 0;
		if (rcuwait_wait_event(&l->wait, rs_lapic_wakes(vcpu) ||
				       READ_ONCE(rs_rebooting),
				       TASK_INTERRUPTIBLE)) {
			vcpu->run->exit_reason = RS_EXIT_INTR;
			return -EINTR;
		}
		if (READ_ONCE(rs_rebooting))
			return -EIO;
	}
}

/* State to and from user space (RS_GET_LAPIC, RS_SET_LAPIC) */

long rs_get_lapic(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_lapic *l = vcpu->lapic;
	struct rs_lapic_state *s;
	long r = 0;

	if (!l)
		return -ENXIO;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	memcpy(s->regs, l->regs, sizeof(s->regs));
	*(u32 *)(s->regs + APIC_PROCPRI) = rs_ppr(l);
	*(u32 *)(s->regs + APIC_TMCCT) = rs_timer_current(l);
	s->mp_state = l->mp_state;
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

/* Registers whose reserved bits a state from user space may not set. */
static const u16 rs_lapic_masked[] = {
	APIC_TASKPRI, APIC_SPIV, APIC_ICR, APIC_LVTT, APIC_LVTTHMR,
	APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR, APIC_TDCR,
};

long rs_set_lapic(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_lapic *l = vcpu->lapic;
	struct rs_lapic_state *s;
	unsigned int i;
	u32 left;
	long r = -EINVAL;

	if (!l)
		return -ENXIO;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s->flags || memchr_inv(s->reserved, 0, sizeof(s->reserved)) ||
	    s->mp_state > RS_MP_WAIT_SIPI)
		goto out;
	hrtimer_cancel(&l->timer);
	l->period_ns = 0;
	memcpy(l->regs, s->regs, sizeof(l->regs));
	/* What the APIC computes or fixes, it computes or fixes again. */
	for (i = 0; i < ARRAY_SIZE(rs_lapic_masked); i++)
		rs_reg_set(l, rs_lapic_masked[i], rs_reg(l, rs_lapic_masked[i]) &
			   rs_lapic_writable(l, rs_lapic_masked[i]));
	rs_reg_set(l, APIC_LVR, RS_APIC_VERSION);
	rs_reg_set(l, APIC_ARBPRI, 0);
	rs_reg_set(l, APIC_PROCPRI, 0);
	rs_reg_set(l, APIC_EOI, 0);
	rs_reg_set(l, APIC_RRR, 0);
	rs_reg_set(l, APIC_TMCCT, 0);
	if (rs_x2apic(vcpu)) {
		rs_reg_set(l, APIC_ID, vcpu->id);
		rs_reg_set(l, APIC_LDR, (vcpu->id >> 4) << 16 |
			   BIT(vcpu->id & 15));
		rs_reg_set(l, APIC_DFR, ~0U);
	} else {
		rs_reg_set(l, APIC_ID, rs_reg(l, APIC_ID) & 0xff000000);
		rs_reg_set(l, APIC_LDR, rs_reg(l, APIC_LDR) & 0xff000000);
		rs_reg_set(l, APIC_DFR, rs_reg(l, APIC_DFR) | 0x0fffffff);
		rs_reg_set(l, APIC_ICR2, rs_reg(l, APIC_ICR2) & 0xff000000);
	}
	/* Vectors 0-15 are illegal: never in IRR, ISR or TMR. */
	for (i = APIC_ISR; i <= APIC_IRR; i += APIC_TMR - APIC_ISR)
		rs_reg_set(l, i, rs_reg(l, i) & ~0xffffU);
	rs_isr_recount(l);
	WRITE_ONCE(l->irr_pending, true);
	rs_timer_divide(l, rs_reg(l, APIC_TDCR));
	left = *(u32 *)(s->regs + APIC_TMCCT);
	if (rs_timer_mode(l) != APIC_LVT_TIMER_TSCDEADLINE && left)
		rs_timer_count(l, left);
	l->mp_state = s->mp_state;
	l->halt_if = true;
	l->eoi_exit = -1;
	r = 0;
out:
	kfree(s);
	return r;
}

/* VM and vCPU lifetime, and RS_SIGNAL_MSI */

int rs_vm_create_lapic(struct rs_vm *vm)
{
	int r = 0;

	mutex_lock(&vm->lock);
	if (vm->lapic)
		r = -EEXIST;
	else if (vm->nr_vcpus)
		r = -EBUSY;
	else
		vm->lapic = true;
	mutex_unlock(&vm->lock);
	return r;
}

int rs_lapic_create(struct rs_vcpu *vcpu)
{
	struct rs_lapic *l;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->vcpu = vcpu;
	rcuwait_init(&l->wait);
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	l->timer.function = rs_lapic_timer_fn;
	vcpu->lapic = l;
	rs_lapic_reset(l, false);
	l->mp_state = vcpu->msr_apic_base & MSR_IA32_APICBASE_BSP ?
		      RS_MP_RUNNABLE : RS_MP_WAIT_SIPI;
	return 0;
}

void rs_lapic_free(struct rs_vcpu *vcpu)
{
	if (!vcpu->lapic)
		return;
	hrtimer_cancel(&vcpu->lapic->timer);
	kfree(vcpu->lapic);
}

/* Bits of an MSI's address and data (SDM vol. 3A, 11.11.1-11.11.2). */
#define RS_MSI_ADDR_BASE	0xfee00000ULL
#define RS_MSI_ADDR_LOGICAL	BIT(2)
/* Bits 31:8 of an x2APIC destination, as KVM's KVM_CAP_X2APIC_API has them */
#define RS_MSI_ADDR_X2APIC	GENMASK_ULL(63, 40)
#define RS_MSI_DATA_BITS	(0xff | APIC_DM_FIXED_MASK | APIC_INT_ASSERT | \
				 APIC_INT_LEVELTRIG)

/* An MSI that a device could send: fixed, lowest priority, NMI or INIT. */
bool rs_msi_valid(u64 address, u32 data)
{
	u32 dm = data & APIC_DM_FIXED_MASK;

	return (address & ~(RS_MSI_ADDR_X2APIC | 0xfffffULL)) ==
	       RS_MSI_ADDR_BASE &&
	       !(data & ~RS_MSI_DATA_BITS) &&
	       (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST ||
		dm == APIC_DM_NMI || dm == APIC_DM_INIT);
}

/*
 * Deliver a valid MSI (rs_msi_valid()) to the APICs it names; returns how
 * many took it.  Any context: RS_SIGNAL_MSI, an irqfd's wake-up.
 */
int rs_msi_deliver(struct rs_vm *vm, u64 address, u32 data)
{
	u32 dest = ((address >> 12) & 0xff) | (address >> 32 & ~0xffU);

	/* A level-triggered de-assert message carries nothing (11.11.2). */
	if ((data & APIC_INT_LEVELTRIG) && !(data & APIC_INT_ASSERT))
		return 0;
	return rs_lapic_send(vm, NULL, 0, dest, address & RS_MSI_ADDR_X2APIC,
			     address & RS_MSI_ADDR_LOGICAL,
			     data & APIC_DM_FIXED_MASK, data,
			     data & APIC_INT_LEVELTRIG);
}

long rs_vm_signal_msi(struct rs_vm *vm, const void __user *argp)
{
	struct rs_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!vm->lapic)
		return -ENXIO;
	if (msi.flags || memchr_inv(msi.reserved, 0, sizeof(msi.reserved)) ||
	    !rs_msi_valid(msi.address, msi.data))
		return -EINVAL;
	return rs_msi_deliver(vm, msi.address, msi.data);
}
