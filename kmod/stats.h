/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Observing exits: what a backend calls around each guest entry and exit,
 * and what the core adds up.  The counters live in the vCPU (struct
 * rs_vcpu_stats) and only its thread writes them, with plain stores: no
 * lock, no atomic, no cache line shared with another vCPU.
 *
 * A backend, per entry:
 *
 *	vcpu->entry_tsc = rs_stats_tsc();	just before VMRUN/VMRESUME
 *	vcpu->exit_tsc = rs_stats_tsc();	just after the exit
 *	rs_exit_observe(vcpu, stat, code, rip, info1, info2);
 *						before the exit's handler
 *
 * and the core, after rs_ops->vcpu_run() returns, rs_stats_account(): the
 * time from entry_tsc to exit_tsc is guest time, from exit_tsc to the next
 * entry (or to the end of RS_RUN) the time handling the exit, in the
 * kernel; user space's part is not in it.  Two RDTSC per exit, one more
 * per RS_RUN.
 */
#ifndef RINGSIDE_STATS_H
#define RINGSIDE_STATS_H

#include <linux/jump_label.h>
#include <asm/msr.h>

#include "rs.h"
#include "trace.h"

/* Module parameter "stats": counting on (default) or off. */
DECLARE_STATIC_KEY_TRUE(rs_stats_key);

/* The TSC for the statistics, or 0 while counting is off. */
static __always_inline u64 rs_stats_tsc(void)
{
	return static_branch_likely(&rs_stats_key) ? rdtsc() : 0;
}

/* The backend's name of the vCPU's last exit, for messages. */
static inline const char *rs_exit_name(const struct rs_vcpu *vcpu)
{
	if (vcpu->exit_stat < rs_ops->exits->nr_names)
		return rs_ops->exits->names[vcpu->exit_stat];
	return "?";
}

void __rs_exit_event(struct rs_vcpu *vcpu, u64 code, u64 rip, u64 info1,
		     u64 info2);

/*
 * Whether anyone will look at this exit's RIP and exit information: the
 * ringside_exit tracepoint is on, or the exit is the vCPU's next netlink
 * sample.  A backend that pays to read them (VMREAD) reads them only then
 * and passes 0 to rs_exit_observe() otherwise.
 */
static __always_inline bool rs_exit_wants_details(const struct rs_vcpu *vcpu)
{
	return trace_ringside_exit_enabled() || vcpu->ev_countdown == 1;
}

/*
 * An exit happened: @stat is its bucket (struct rs_exit_row), @code the
 * hardware's exit code, @info1 and @info2 what the hardware says about it
 * (SVM: EXITINFO1 and 2; VMX: the exit qualification and guest-physical
 * address).  Feeds the statistics, the ringside_exit tracepoint and the
 * netlink event stream: every exit counts down a random number of exits
 * (a few hundred while nobody listens) to the next sample (netlink.c).
 */
static __always_inline void rs_exit_observe(struct rs_vcpu *vcpu, u16 stat,
					    u64 code, u64 rip, u64 info1,
					    u64 info2)
{
	vcpu->exit_stat = stat;
	trace_ringside_exit(vcpu, rs_exit_name(vcpu), code, rip, info1, info2);
	if (unlikely(!--vcpu->ev_countdown))
		__rs_exit_event(vcpu, code, rip, info1, info2);
}

/*
 * @cycles more to @e's time, and one more in its bucket of histogram
 * @hist (RS_NL_REASON_HIST): fls64() is the bucket, one BSR.
 */
static __always_inline void rs_stats_add_time(struct rs_exit_stat *e,
					      u64 *hist, u64 cycles)
{
	unsigned int k = min_t(unsigned int, fls64(cycles),
			       RS_NL_HIST_BUCKETS - 1);

	WRITE_ONCE(e->cycles, e->cycles + cycles);
	WRITE_ONCE(hist[k], hist[k] + 1);
}

/* Handling an exit ended at @now: its time goes to its reason. */
static __always_inline void rs_stats_close(struct rs_vcpu *vcpu, u64 now)
{
	unsigned int i = vcpu->stats_open_stat % RS_MAX_EXIT_STATS;

	rs_stats_add_time(&vcpu->stats.exits[i], vcpu->stats.exit_hist[i],
			  now - vcpu->stats_open_tsc);
	vcpu->stats_open = false;
}

/*
 * After each rs_ops->vcpu_run() in the RS_RUN loop: if it entered the
 * guest, count the exit and its guest time.  The previous exit's handling
 * ended at this entry, which gives its time without another RDTSC; the
 * last one of an RS_RUN ends in rs_stats_flush().
 */
static __always_inline void rs_stats_account(struct rs_vcpu *vcpu)
{
	struct rs_vcpu_stats *st = &vcpu->stats;
	struct rs_exit_stat *e;

	if (!static_branch_likely(&rs_stats_key)) {
		vcpu->stats_open = false;
		return;
	}
	if (!vcpu->exit_tsc || !vcpu->entry_tsc)
		return;		/* no entry, or counting came on during it */
	if (vcpu->stats_open)
		rs_stats_close(vcpu, vcpu->entry_tsc);
	WRITE_ONCE(st->guest_cycles,
		   st->guest_cycles + vcpu->exit_tsc - vcpu->entry_tsc);
	e = &st->exits[vcpu->exit_stat % RS_MAX_EXIT_STATS];
	WRITE_ONCE(e->count, e->count + 1);
	vcpu->stats_open = true;
	vcpu->stats_open_stat = vcpu->exit_stat;
	vcpu->stats_open_tsc = vcpu->exit_tsc;
}

/*
 * RS_RUN returns with exit reason @reason: the last exit's handling ends
 * here, and user space's time begins.
 */
static inline void rs_stats_flush(struct rs_vcpu *vcpu, u32 reason)
{
	u64 now = rs_stats_tsc();
	struct rs_exit_stat *u;

	if (vcpu->stats_open && now)
		rs_stats_close(vcpu, now);
	vcpu->stats_open = false;
	vcpu->user_open = 0;
	if (!now || reason >= RS_NR_USER_EXITS)
		return;
	u = &vcpu->stats.user[reason];
	WRITE_ONCE(u->count, u->count + 1);
	vcpu->user_open = reason + 1;
	vcpu->user_open_tsc = now;
}

/* RS_RUN begins: user space's time since the last return ends. */
static inline void rs_stats_from_user(struct rs_vcpu *vcpu)
{
	unsigned int i = vcpu->user_open - 1;
	u64 now;

	if (!vcpu->user_open)
		return;
	now = rs_stats_tsc();
	if (now)
		rs_stats_add_time(&vcpu->stats.user[i], vcpu->stats.user_hist[i],
				  now - vcpu->user_open_tsc);
	vcpu->user_open = 0;
}

/* stats.c: the VMs netlink.c can see, and counting on or off. */
int rs_vm_register(struct rs_vm *vm);
void rs_vm_unregister(struct rs_vm *vm);
struct rs_vm *rs_vm_get_next(unsigned long *id);
bool rs_stats_enabled(void);
void rs_vcpu_stats_read(struct rs_vcpu *vcpu, struct rs_vcpu_stats *sum);

/* netlink.c */
extern unsigned int rs_event_rate;
int rs_netlink_init(void);
void rs_netlink_exit(void);

#endif /* RINGSIDE_STATS_H */
