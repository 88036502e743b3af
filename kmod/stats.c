// SPDX-License-Identifier: GPL-2.0
/*
 * Exit statistics: counting on and off, and the list of VMs that netlink.c
 * reports.  The counting itself is inline in stats.h, in the exit path.
 *
 * Every VM is in rs_vms from rs_create_vm() until its last reference goes
 * (rs_vm_free()).  A reader takes a reference under the xarray's lock, so
 * a VM whose fds are closed meanwhile stays whole until the reader puts it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/xarray.h>

#include "rs.h"
#include "stats.h"

DEFINE_STATIC_KEY_TRUE(rs_stats_key);

/*
 * "stats": a static key rather than a flag, so that counting off leaves
 * only a jump in the exit path, which the exit benchmark can compare with.
 */
static int rs_stats_param_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int r;

	r = kstrtobool(val, &on);
	if (r)
		return r;
	if (on)
		static_branch_enable(&rs_stats_key);
	else
		static_branch_disable(&rs_stats_key);
	return 0;
}

static int rs_stats_param_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%c\n", rs_stats_enabled() ? 'Y' : 'N');
}

static const struct kernel_param_ops rs_stats_param_ops = {
	.set = rs_stats_param_set,
	.get = rs_stats_param_get,
};

module_param_cb(stats, &rs_stats_param_ops, NULL, 0644);
MODULE_PARM_DESC(stats, "Count exits by reason, with time in the guest and handling them (default Y)");

bool rs_stats_enabled(void)
{
	return static_key_enabled(&rs_stats_key);
}

/* Ids count up and are not reused soon, so that a tool's rates stay right. */
static DEFINE_XARRAY_ALLOC1(rs_vms);
static u32 rs_vms_next;

/* Called by rs_create_vm() once the VM is whole; rs_vm_free() undoes it. */
int rs_vm_register(struct rs_vm *vm)
{
	int r;

	vm->owner_uid = current_euid();
	vm->owner_pid = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(vm->owner_comm, current);
	vm->created_ns = ktime_get_ns();
	spin_lock_init(&vm->ev_lock);
	vm->ev_window = jiffies - HZ;

	/* vm->id is set under the xarray's lock, before readers can see it. */
	r = xa_alloc_cyclic(&rs_vms, &vm->id, vm, xa_limit_31b, &rs_vms_next,
			    GFP_KERNEL_ACCOUNT);
	if (r < 0) {
		vm->id = 0;
		return r;
	}
	return 0;
}

/* The last reference is gone: readers can no longer find the VM. */
void rs_vm_unregister(struct rs_vm *vm)
{
	if (vm->id)
		xa_erase(&rs_vms, vm->id);
	put_pid(vm->owner_pid);
}

/*
 * The VM with the lowest id >= *id that is still alive, with a reference
 * the caller drops with rs_vm_put(); *id becomes its id.  NULL if none.
 */
struct rs_vm *rs_vm_get_next(unsigned long *id)
{
	struct rs_vm *vm;

	xa_lock(&rs_vms);
	for (;;) {
		vm = xa_find(&rs_vms, id, U32_MAX, XA_PRESENT);
		if (!vm || refcount_inc_not_zero(&vm->refs))
			break;
		(*id)++;	/* going away: rs_vm_free() is about to erase it */
	}
	xa_unlock(&rs_vms);
	return vm;
}

/* Add one vCPU's counters to *sum; it may be running meanwhile. */
static void rs_exit_stat_read(const struct rs_exit_stat *e, const u64 *hist,
			      struct rs_exit_stat *sum, u64 *sum_hist)
{
	int k;

	sum->count += READ_ONCE(e->count);
	sum->cycles += READ_ONCE(e->cycles);
	for (k = 0; k < RS_NL_HIST_BUCKETS; k++)
		sum_hist[k] += READ_ONCE(hist[k]);
}

void rs_vcpu_stats_read(struct rs_vcpu *vcpu, struct rs_vcpu_stats *sum)
{
	const struct rs_vcpu_stats *st = &vcpu->stats;
	int i;

	sum->guest_cycles += READ_ONCE(st->guest_cycles);
	sum->l1d_flushes += READ_ONCE(st->l1d_flushes);
	for (i = 0; i < RS_MAX_EXIT_STATS; i++)
		rs_exit_stat_read(&st->exits[i], st->exit_hist[i],
				  &sum->exits[i], sum->exit_hist[i]);
	for (i = 0; i < RS_NR_USER_EXITS; i++)
		rs_exit_stat_read(&st->user[i], st->user_hist[i],
				  &sum->user[i], sum->user_hist[i]);
}
