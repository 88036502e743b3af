// SPDX-License-Identifier: GPL-2.0
/*
 * An exit hook that implements a made-up hypercall in the kernel
 * (Documentation/exit-hooks.rst): VMMCALL/VMCALL at CPL 0 with RAX
 * RS_HC_ADD returns RBX + RCX in RAX, and with RS_HC_WHOAMI the vCPU's id,
 * without a trip to user space.  Any other number is "not mine": it goes
 * to user space as RS_EXIT_HYPERCALL, as without the hook.
 */
#include <linux/module.h>

#include "ringside_hook.h"

#define RS_HC_ADD	0x5253a0d0ULL
#define RS_HC_WHOAMI	0x5253a0d1ULL

static int hypercall_handle(const struct ringside_hook *hook,
			    struct ringside_hook_event *ev)
{
	switch (ev->value) {
	case RS_HC_ADD:
		ev->results[0] = ev->args[0] + ev->args[1];
		break;
	case RS_HC_WHOAMI:
		ev->results[0] = ev->vcpu_id;
		break;
	default:
		return RINGSIDE_HOOK_NOT_MINE;
	}
	ev->action = RS_ROUTE_EMULATE;
	return RINGSIDE_HOOK_HANDLED;
}

static struct ringside_hook hypercall_hook = {
	.name = "hypercall",
	.hypercalls = true,
	.handle = hypercall_handle,
};

/* ENODEV while ringside is not loaded: the module does not load either. */
static int __init hypercall_init(void)
{
	return ringside_hook_attach(&hypercall_hook);
}

/* Safe with ringside loaded, unloaded before, or unloading meanwhile. */
static void __exit hypercall_exit(void)
{
	ringside_hook_detach(&hypercall_hook);
}

module_init(hypercall_init);
module_exit(hypercall_exit);
MODULE_DESCRIPTION("ringside exit hook: a made-up hypercall");
MODULE_LICENSE("GPL");
/* No link to ringside (ringside_hook_attach()); modprobe loads it first. */
MODULE_SOFTDEP("pre: ringside");
