// SPDX-License-Identifier: GPL-2.0
/*
 * Exit hooks: handlers that other modules register for classes of exits
 * (ringside_hook.h, Documentation/exit-hooks.rst).
 *
 * The list is read under RCU by the vCPUs that an event of a hooked
 * class exits (rs_route_event() asks rs_hooks_handle() first), and
 * written under rs_hooks_lock.  A change tells every vCPU of every VM
 * (RS_REQ_HOOKS), which takes the union of the hooks' routes into its
 * intercepts before its next entry (rs_route_reload()).
 *
 * Hook modules call in through symbol_get() (ringside_hook_attach() and
 * _detach()), so they hold no reference on ringside between calls, and
 * ringside holds none on them: ringside's unload takes out every hook
 * still in (rs_hooks_exit()).  A hook's struct is the hook module's
 * memory; ringside's last access to it, whichever way it goes out, is
 * complete_all(&hook->detached), which a hook module whose exit races
 * with ringside's waits for (ringside_hook_detach()).
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>

#include "rs.h"
#include "stats.h"
#include "ringside_hook.h"

static LIST_HEAD(rs_hooks);
static DEFINE_MUTEX(rs_hooks_lock);
unsigned int rs_hooks_nr;

/* Every vCPU looks at the hooks again before its next entry. */
static void rs_hooks_changed(void)
{
	unsigned long id = 0;
	struct rs_vm *vm;
	unsigned int i, n;

	while ((vm = rs_vm_get_next(&id))) {
		/* Pairs with smp_store_release() in rs_create_vcpu(). */
		n = smp_load_acquire(&vm->nr_vcpus);
		for (i = 0; i < n; i++) {
			set_bit(RS_REQ_HOOKS, &vm->vcpus[i]->requests);
			rs_vcpu_poke(vm->vcpus[i]);
		}
		rs_vm_put(vm);
		id++;
	}
}

/*
 * Is @hook in?  Compares pointers only: a hook that is not in may hold
 * stale links (an earlier ringside's unload took it out).
 */
static bool rs_hook_is_in(const struct ringside_hook *hook)
{
	const struct ringside_hook *h;

	lockdep_assert_held(&rs_hooks_lock);
	list_for_each_entry(h, &rs_hooks, node)
		if (h == hook)
			return true;
	return false;
}

/*
 * @hook is out, and no vCPU runs its handler: say so, and let a waiting
 * ringside_hook_detach() go.  Nothing may touch @hook after this.
 */
static void rs_hook_out(struct ringside_hook *hook, const char *why)
{
	pr_info("ringside: exit hook %s %s\n", hook->name ?: "?", why);
	complete_all(&hook->detached);
}

int ringside_hook_register(struct ringside_hook *hook)
{
	int r;

	if (!hook->handle)
		return -EINVAL;
	r = rs_route_check(&hook->route);
	if (r)
		return r == -EPERM || r == -EOPNOTSUPP ? r : -EINVAL;
	mutex_lock(&rs_hooks_lock);
	if (rs_hook_is_in(hook)) {
		mutex_unlock(&rs_hooks_lock);
		return -EEXIST;
	}
	/*
	 * Not in, so nobody waits on it: start it again (a hook taken out
	 * before goes in again).  ringside_hook_attach() initialised it in
	 * the hook module: a lock initialised here would carry a lockdep
	 * class in ringside's memory, which is gone when the hook module
	 * waits on it after ringside's unload.
	 */
	reinit_completion(&hook->detached);
	list_add_tail_rcu(&hook->node, &rs_hooks);
	WRITE_ONCE(rs_hooks_nr, rs_hooks_nr + 1);
	mutex_unlock(&rs_hooks_lock);
	rs_hooks_changed();
	pr_info("ringside: exit hook %s registered\n", hook->name ?: "?");
	return 0;
}
EXPORT_SYMBOL_GPL(ringside_hook_register);

/* When it returns, no vCPU runs @hook->handle any more. */
void ringside_hook_unregister(struct ringside_hook *hook)
{
	mutex_lock(&rs_hooks_lock);
	if (!rs_hook_is_in(hook)) {
		mutex_unlock(&rs_hooks_lock);
		return;
	}
	list_del_rcu(&hook->node);
	WRITE_ONCE(rs_hooks_nr, rs_hooks_nr - 1);
	mutex_unlock(&rs_hooks_lock);
	synchronize_rcu();
	rs_hooks_changed();
	rs_hook_out(hook, "unregistered");
}
EXPORT_SYMBOL_GPL(ringside_hook_unregister);

/*
 * ringside unloads: take out every hook still in.  The hook modules stay
 * loaded, detached, and a ringside loaded later knows nothing of them.
 *
 * No VM exists: the module exit runs only once ringside's reference
 * count is zero, every VM and vCPU fd holds one (their fops' owner), and
 * the last close frees the VM before it drops that reference; netlink
 * readers, which hold VMs briefly, are gone with the family.  So no vCPU
 * runs a handler, or needs telling.  No hook module calls in either:
 * symbol_get() fails from the moment the unload begins, and one that
 * succeeded before holds ringside until its symbol_put().  A hook
 * module's exit may run meanwhile, waiting in ringside_hook_detach() for
 * rs_hook_out().
 */
void rs_hooks_exit(void)
{
	struct ringside_hook *hook;
	unsigned long id = 0;
	struct rs_vm *vm;

	vm = rs_vm_get_next(&id);
	if (WARN_ON_ONCE(vm))
		rs_vm_put(vm);
	for (;;) {
		mutex_lock(&rs_hooks_lock);
		hook = list_first_entry_or_null(&rs_hooks, struct ringside_hook,
						node);
		if (hook) {
			list_del_rcu(&hook->node);
			WRITE_ONCE(rs_hooks_nr, rs_hooks_nr - 1);
		}
		mutex_unlock(&rs_hooks_lock);
		if (!hook)
			break;
		/* No reader can be in the list; a grace period makes sure. */
		synchronize_rcu();
		rs_hook_out(hook, "detached: ringside unloads");
	}
}

/*
 * Add what the hooks need to exit to @hw, a vCPU's route_hw; MSRs go by
 * rs_hooks_msr().
 */
void rs_hooks_route(struct rs_exit_route *hw)
{
	const struct ringside_hook *h;

	mutex_lock(&rs_hooks_lock);
	list_for_each_entry(h, &rs_hooks, node) {
		hw->exceptions |= h->route.exceptions;
		hw->cr_read |= h->route.cr_read;
		hw->cr_write |= h->route.cr_write;
		hw->dr_read |= h->route.dr_read;
		hw->dr_write |= h->route.dr_write;
		hw->insns |= h->route.insns;
	}
	mutex_unlock(&rs_hooks_lock);
}

/* Does a hook want RDMSR (or WRMSR) of @msr to exit? */
bool rs_hooks_msr(u32 msr, bool write)
{
	const struct ringside_hook *h;
	struct rs_exit_ev ev = {
		.event = write ? RS_ROUTED_MSR_WRITE : RS_ROUTED_MSR_READ,
		.index = msr,
	};
	bool want = false;

	rcu_read_lock();
	list_for_each_entry_rcu(h, &rs_hooks, node)
		want |= rs_routes(&h->route, &ev);
	rcu_read_unlock();
	return want;
}

/*
 * Hand @ev to the first hook that takes it.  True if one did, with *r
 * what carrying out its answer returned; an answer that makes no sense
 * is the hook's bug: warned about once, and the default runs.
 */
bool rs_hooks_handle(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev, int *r)
{
	struct ringside_hook_event hev;
	const struct ringside_hook *h;
	bool handled = false;

	rcu_read_lock();
	list_for_each_entry_rcu(h, &rs_hooks, node) {
		if (!(ev->event == RS_ROUTED_HYPERCALL ? h->hypercalls :
		      rs_routes(&h->route, ev)))
			continue;
		memset(&hev, 0, sizeof(hev));
		hev.vm_id = vcpu->vm->id;
		hev.vcpu_id = vcpu->id;
		hev.event = ev->event;
		hev.index = ev->index;
		hev.subindex = ev->subindex;
		hev.error_code = ev->error_code;
		hev.has_error = ev->has_error;
		hev.insn_len = ev->len;
		hev.value = ev->value;
		if (ev->event == RS_ROUTED_HYPERCALL) {
			hev.args[0] = vcpu->gpr[RS_RBX];
			hev.args[1] = vcpu->gpr[RS_RCX];
			hev.args[2] = vcpu->gpr[RS_RDX];
			hev.args[3] = vcpu->gpr[RS_RSI];
		}
		if (h->handle(h, &hev) == RINGSIDE_HOOK_HANDLED) {
			handled = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!handled)
		return false;
	*r = rs_route_answer(vcpu, ev, hev.action, hev.results, &hev.inject);
	if (WARN_ONCE(*r == -EINVAL, "ringside: a hook's answer %u makes no sense",
		      hev.action))
		*r = ev->def(vcpu, ev);
	return true;
}
