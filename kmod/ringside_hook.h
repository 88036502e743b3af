/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit hooks: the interface ringside.ko offers other modules
 * (Documentation/exit-hooks.rst).
 *
 * A hook module attaches a struct ringside_hook naming the events it
 * wants (the same classes RS_SET_EXIT_ROUTE routes, plus hypercalls);
 * every vCPU of every VM then makes those events exit, and hands each one
 * to the hook's handler before user space's routing and before ringside's
 * own handler.  The handler answers RINGSIDE_HOOK_HANDLED with what to do
 * (ev->action as run->routed.action means it), or RINGSIDE_HOOK_NOT_MINE.
 *
 * The handler runs in the vCPU's thread, after the exit, with preemption
 * enabled but inside an RCU read-side section: it must not sleep.
 *
 * Binding at run time.  A hook module calls ringside_hook_attach() in its
 * init function and ringside_hook_detach() in its exit function, and not
 * the exported functions they wrap: the helpers look those up with
 * symbol_get() and put them back with symbol_put() around each call, so
 * the hook module does not link against ringside (modpost records no
 * dependency, /proc/modules shows no user) and holds no reference on it
 * between calls.  Either module can then be unloaded first, with VMs
 * running or not:
 *
 *  - the hook module first: ringside_hook_detach() takes the hook out and
 *    returns when no vCPU runs its handler any more (synchronize_rcu());
 *    the vCPUs stop making its events exit before their next entry.
 *  - ringside first: it can unload only when no VM exists (every VM and
 *    vCPU fd holds a reference on it), so no handler runs.  Its exit takes
 *    every hook still attached out and completes hook->detached, its last
 *    access to the hook.  The hook module stays loaded, detached, and
 *    its ringside_hook_detach() returns at once; a ringside loaded later
 *    does not know the hook (unload and load the hook module again to
 *    hook that one).
 *  - both at once: ringside_hook_detach() finds ringside unloading
 *    (symbol_get() fails from the moment its unload begins) and waits for
 *    hook->detached, so the hook, which lives in the hook module's memory,
 *    outlives ringside's last access to it.
 *
 * ringside_hook_attach() fails with ENODEV while ringside is not loaded
 * (or is still loading, or unloading): load ringside first, as modprobe
 * does for a module that declares MODULE_SOFTDEP("pre: ringside").
 */
#ifndef RINGSIDE_HOOK_H
#define RINGSIDE_HOOK_H

#include <linux/completion.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/printk.h>
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

	/* ringside's, while the hook is attached */
	struct list_head node;
	/*
	 * Completed by ringside as its last access to the hook, when it
	 * takes the hook out (ringside_hook_unregister(), or ringside's
	 * unload); initialised by ringside_hook_attach(), made undone by
	 * ringside when the hook goes in.
	 */
	struct completion detached;
	/* The helpers': attached by ringside_hook_attach(), not detached since. */
	bool attached;
};

/*
 * What the helpers below call, through symbol_get(), and nothing else
 * may: a hook module that called them directly would hold ringside loaded
 * while it is, and the helpers initialise what these rely on.
 *
 * ringside_hook_register(): 0, or an errno: EINVAL (a route
 * RS_SET_EXIT_ROUTE refuses, or no handler), EPERM and EOPNOTSUPP as
 * RS_SET_EXIT_ROUTE answers them, EEXIST (attached already).
 * ringside_hook_unregister(): takes the hook out if it is in, and returns
 * when no vCPU runs its handler; a hook that is not in (never was, or an
 * earlier ringside's unload took it out) it leaves alone.
 */
int ringside_hook_register(struct ringside_hook *hook);
void ringside_hook_unregister(struct ringside_hook *hook);

/*
 * Attach @hook, from the hook module's init function: 0, an errno of
 * ringside_hook_register(), or ENODEV if ringside is not loaded (nor
 * live: loading or unloading).  No reference on ringside is kept.
 */
static inline int ringside_hook_attach(struct ringside_hook *hook)
{
	int (*reg)(struct ringside_hook *hook);
	int r;

	/*
	 * The completion is initialised here, so that its lock's lockdep
	 * class is the hook module's, which outlives the lock's every use,
	 * and not ringside's, which ringside's unload frees while the hook
	 * module may still wait.  Not while the hook may be in: ringside
	 * starts the count again when it takes the hook in.
	 */
	if (!hook->attached)
		init_completion(&hook->detached);
	/* Fails unless ringside is live; holds it so while we call in. */
	reg = symbol_get(ringside_hook_register);
	if (!reg) {
		pr_err("%s: ringside is not loaded: exit hook %s not attached\n",
		       KBUILD_MODNAME, hook->name ?: "?");
		return -ENODEV;
	}
	r = reg(hook);
	symbol_put(ringside_hook_register);
	if (!r)
		hook->attached = true;
	return r;
}

/*
 * Detach @hook, from the hook module's exit function (or its init
 * function's error path): when it returns, ringside neither runs the
 * handler nor touches @hook any more, whether ringside is loaded, gone or
 * unloading meanwhile.  It may sleep.  A hook not attached (by
 * ringside_hook_attach(), since the last detach) is left alone.
 */
static inline void ringside_hook_detach(struct ringside_hook *hook)
{
	void (*unreg)(struct ringside_hook *hook);

	if (!hook->attached)
		return;
	hook->attached = false;
	unreg = symbol_get(ringside_hook_unregister);
	if (unreg) {
		/*
		 * ringside is live, and stays so until symbol_put(): it
		 * takes the hook out, or finds it out already (an earlier
		 * ringside's unload took it out).
		 */
		unreg(hook);
		symbol_put(ringside_hook_unregister);
		return;
	}
	/*
	 * ringside is unloading or gone.  The ringside that took the hook
	 * in was live then, and a module leaves that state only by
	 * unloading, whose exit function takes every hook out and completes
	 * hook->detached as its last access to it (or has done so already).
	 * wait_for_completion() takes the completion's lock to see it done,
	 * so complete_all() has released the lock by then: once it returns,
	 * the hook module may free the hook.  Waiting for one that is done
	 * returns at once.
	 */
	wait_for_completion(&hook->detached);
}

#endif /* RINGSIDE_HOOK_H */
