/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit hooks: the interface ringside.ko exports to other modules
 * (Documentation/exit-hooks.rst).
 *
 * A hook module registers a struct ringside_hook naming the events it
 * wants (the same classes RS_SET_EXIT_ROUTE routes, plus hypercalls);
 * every vCPU of every VM then makes those events exit, and hands each one
 * to the hook's handler before user space's routing and before ringside's
 * own handler.  The handler answers RINGSIDE_HOOK_HANDLED with what to do
 * (ev->action as run->routed.action means it), or RINGSIDE_HOOK_NOT_MINE.
 *
 * The handler runs in the vCPU's thread, after the exit, with preemption
 * enabled but inside an RCU read-side section: it must not sleep.  A hook
 * module calls ringside_hook_unregister() in its exit function; when that
 * returns, no vCPU is in the handler any more.  ringside holds no
 * reference to the hook module, and the hook module's use of these
 * symbols keeps ringside loaded (rmmod ringside answers EBUSY) until it
 * is gone: either can be unloaded first that the kernel lets go, with
 * VMs running or not.
 */
#ifndef RINGSIDE_HOOK_H
#define RINGSIDE_HOOK_H

#include <linux/list.h>
#include <linux/module.h>
#include <linux/types.h>
#include <linux/ringside.h>

#define RINGSIDE_HOOK_NOT_MINE	0
#define RINGSIDE_HOOK_HANDLED	1

/* An event, as the handler sees it and answers it. */
struct ringside_hook_event {
	/* in: whose, and what (the fields of run->routed) */
	u32 vm_id;			/* as netlink reports it */
	u32 vcpu_id;
	u32 event;			/* RS_ROUTED_* */
	u32 index;
	u32 subindex;
	u32 error_code;
	bool has_error;
	u8 insn_len;
	u64 value;
	/* RS_ROUTED_HYPERCALL: RBX, RCX, RDX, RSI; RAX is value */
	u64 args[4];
	/* out, with RINGSIDE_HOOK_HANDLED: RS_ROUTE_SKIP, EMULATE or INJECT */
	u32 action;
	u64 results[4];
	struct rs_event inject;
};

struct ringside_hook {
	const char *name;
	/*
	 * The events to hand to @handle: as RS_SET_EXIT_ROUTE takes them
	 * (flags and reserved zero), and VMMCALL/VMCALL at CPL 0 if
	 * @hypercalls.
	 */
	struct rs_exit_route route;
	bool hypercalls;
	int (*handle)(const struct ringside_hook *hook,
		      struct ringside_hook_event *ev);
	struct list_head node;		/* ringside's */
};

/* 0, or an errno: EINVAL (a route RS_SET_EXIT_ROUTE refuses), EEXIST. */
int ringside_hook_register(struct ringside_hook *hook);
void ringside_hook_unregister(struct ringside_hook *hook);

#endif /* RINGSIDE_HOOK_H */
