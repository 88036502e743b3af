// SPDX-License-Identifier: GPL-2.0
/*
 * An exit hook that counts a guest's page faults by error code
 * (Documentation/exit-hooks.rst): it makes #PF exit on every vCPU, counts
 * each fault in the bucket of its error code's bits 4:0 (P, W/R, U/S,
 * RSVD, I/D: Intel SDM vol. 3A, "Interrupt 14--Page-Fault Exception"), and
 * lets it go on ("not mine"), to user space's routing or to the guest.
 *
 *   insmod rs_hook_pfcount.ko [vm=ID]     only the VM with netlink id ID
 *   cat /sys/module/rs_hook_pfcount/parameters/counts
 *   echo 0 > /sys/module/rs_hook_pfcount/parameters/counts   (resets)
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <asm/trapnr.h>

#include "ringside_hook.h"

#define PFCOUNT_BUCKETS	32

static atomic64_t pfcount[PFCOUNT_BUCKETS];

static unsigned int vm;
module_param(vm, uint, 0644);
MODULE_PARM_DESC(vm, "count only the VM with this id (0: every VM)");

static int pfcount_handle(const struct ringside_hook *hook,
			  struct ringside_hook_event *ev)
{
	unsigned int want = READ_ONCE(vm);

	if (!want || ev->vm_id == want)
		atomic64_inc(&pfcount[ev->error_code % PFCOUNT_BUCKETS]);
	return RINGSIDE_HOOK_NOT_MINE;
}

static struct ringside_hook pfcount_hook = {
	.name = "pfcount",
	.route.exceptions = BIT(X86_TRAP_PF),
	.handle = pfcount_handle,
};

/* The counts, one per error code, separated by spaces. */
static int counts_get(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	for (i = 0; i < PFCOUNT_BUCKETS; i++)
		n += sysfs_emit_at(buf, n, "%lld%c", atomic64_read(&pfcount[i]),
				   i == PFCOUNT_BUCKETS - 1 ? '\n' : ' ');
	return n;
}

/* Writing 0 starts the counts again. */
static int counts_set(const char *val, const struct kernel_param *kp)
{
	int i;

	if (!sysfs_streq(val, "0"))
		return -EINVAL;
	for (i = 0; i < PFCOUNT_BUCKETS; i++)
		atomic64_set(&pfcount[i], 0);
	return 0;
}

static const struct kernel_param_ops counts_ops = {
	.get = counts_get,
	.set = counts_set,
};
module_param_cb(counts, &counts_ops, NULL, 0644);
MODULE_PARM_DESC(counts, "page faults by error code bits 4:0");

/* ENODEV while ringside is not loaded: the module does not load either. */
static int __init pfcount_init(void)
{
	return ringside_hook_attach(&pfcount_hook);
}

/* Safe with ringside loaded, unloaded before, or unloading meanwhile. */
static void __exit pfcount_exit(void)
{
	ringside_hook_detach(&pfcount_hook);
}

module_init(pfcount_init);
module_exit(pfcount_exit);
MODULE_DESCRIPTION("ringside exit hook: count guest page faults by error code");
MODULE_LICENSE("GPL");
/* No link to ringside (ringside_hook_attach()); modprobe loads it first. */
MODULE_SOFTDEP("pre: ringside");
