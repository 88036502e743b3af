// SPDX-License-Identifier: GPL-2.0
/*
 * Exit routing: user space chooses which of the guest's events come to it
 * (RS_SET_EXIT_ROUTE, Documentation/exit-routing.rst).
 *
 * Every handler of an event that can be routed decodes it into a struct
 * rs_exit_ev and passes it to rs_exit_event() (rs.h): with nothing routed
 * that calls the event's default at once.  A routed event fills
 * run->routed and waits, in vcpu->routed_ev, for user space's answer,
 * which rs_route_complete() carries out at the next RS_RUN: the default
 * after all, a skip, the results of an emulation, or an injected event.
 *
 * The backend makes the routed events exit (rs_arch_ops.set_route): some
 * always do (CPUID, MSRs outside its bitmap, HLT, ports), others only
 * while routed (most exceptions, CR3, RDTSC, INVLPG, PAUSE).  What the
 * host needs for its own safety it keeps: #MC and NMIs are refused, and
 * the #DB and #AC intercepts stay whatever is routed.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/trapnr.h>

#include "rs.h"

#define RS_ROUTE_CRS		(BIT(0) | BIT(3) | BIT(4) | BIT(8))
#define RS_ROUTE_INSNS		GENMASK(7, 0)

static int rs_route_ranges_check(const struct rs_route_ranges *r, u32 max)
{
	u32 i;

	if (r->nr > RS_ROUTE_MAX_RANGES || r->pad)
		return -EINVAL;
	for (i = 0; i < RS_ROUTE_MAX_RANGES; i++) {
		if (i >= r->nr) {
			if (r->range[i].first || r->range[i].last)
				return -EINVAL;
		} else if (r->range[i].first > r->range[i].last ||
			   r->range[i].last > max) {
			return -EINVAL;
		}
	}
	return 0;
}

int rs_route_check(const struct rs_exit_route *rt)
{
	int r;

	if (rt->flags || rt->pad || memchr_inv(rt->reserved, 0, sizeof(rt->reserved)))
		return -EINVAL;
	if (rt->exceptions & (BIT(X86_TRAP_NMI) | BIT(X86_TRAP_MC)))
		return -EPERM;
	if ((rt->exceptions & ~RS_ROUTE_VECTORS) ||
	    ((rt->cr_read | rt->cr_write) & ~RS_ROUTE_CRS) ||
	    ((rt->dr_read | rt->dr_write) & ~GENMASK(7, 0)) ||
	    (rt->insns & ~RS_ROUTE_INSNS))
		return -EINVAL;
	/* VMX reads CR0 and CR4 from their read shadows, without an exit. */
	if (rt->cr_read & (BIT(0) | BIT(4)))
		return -EOPNOTSUPP;
	r = rs_route_ranges_check(&rt->msr_read, U32_MAX);
	if (!r)
		r = rs_route_ranges_check(&rt->msr_write, U32_MAX);
	if (!r)
		r = rs_route_ranges_check(&rt->cpuid, U32_MAX);
	if (!r)
		r = rs_route_ranges_check(&rt->ports, 0xffff);
	return r;
}

static bool rs_route_empty(const struct rs_exit_route *rt)
{
	return !(rt->exceptions | rt->cr_read | rt->cr_write | rt->dr_read |
		 rt->dr_write | rt->insns | rt->msr_read.nr | rt->msr_write.nr |
		 rt->cpuid.nr | rt->ports.nr);
}

/*
 * What must exit: the vCPU's route, the hooks' (hooks.c) and a debugger's
 * (debug.c); from the vCPU's own ioctls, outside the guest.  The
 * debugger's events go to their defaults unless routed: it adds to
 * route_hw, not to routing.
 */
void rs_route_apply(struct rs_vcpu *vcpu)
{
	struct rs_exit_route *hw = &vcpu->route_hw;

	*hw = vcpu->route;
	rs_hooks_route(hw);
	rs_debug_route(vcpu, hw);
	vcpu->routing = !rs_route_empty(&vcpu->route) || READ_ONCE(rs_hooks_nr);
	rs_ops->set_route(vcpu);
}

static void rs_route_set(struct rs_vcpu *vcpu, const struct rs_exit_route *rt)
{
	vcpu->route = *rt;
	rs_route_apply(vcpu);
}

long rs_vcpu_set_route(struct rs_vcpu *vcpu, const void __user *argp)
{
	struct rs_exit_route rt;
	int r;

	if (copy_from_user(&rt, argp, sizeof(rt)))
		return -EFAULT;
	r = rs_route_check(&rt);
	if (r)
		return r;
	/* The VM's route, if one waits, came first: this one replaces it. */
	clear_bit(RS_REQ_ROUTE, &vcpu->requests);
	rs_route_set(vcpu, &rt);
	return 0;
}

long rs_vcpu_get_route(struct rs_vcpu *vcpu, void __user *argp)
{
	rs_route_reload(vcpu);
	return copy_to_user(argp, &vcpu->route, sizeof(vcpu->route)) ? -EFAULT : 0;
}

/*
 * The VM's route goes to every vCPU, which takes it before its next entry
 * (RS_REQ_ROUTE calls an entry off), and to every vCPU created later.
 */
long rs_vm_set_route(struct rs_vm *vm, const void __user *argp)
{
	struct rs_exit_route *rt;
	unsigned int i;
	int r;

	rt = memdup_user(argp, sizeof(*rt));
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	r = rs_route_check(rt);
	if (r) {
		kfree(rt);
		return r;
	}
	mutex_lock(&vm->lock);
	kfree(vm->route);
	vm->route = rt;
	for (i = 0; i < vm->nr_vcpus; i++) {
		set_bit(RS_REQ_ROUTE, &vm->vcpus[i]->requests);
		rs_vcpu_poke(vm->vcpus[i]);
	}
	mutex_unlock(&vm->lock);
	return 0;
}

/*
 * Take the VM's route if it changed, and the hooks' if they did; from the
 * vCPU's own ioctls.
 */
void rs_route_reload(struct rs_vcpu *vcpu)
{
	struct rs_vm *vm = vcpu->vm;

	if (likely(!(READ_ONCE(vcpu->requests) &
		     (BIT(RS_REQ_ROUTE) | BIT(RS_REQ_HOOKS)))))
		return;
	clear_bit(RS_REQ_HOOKS, &vcpu->requests);
	if (test_and_clear_bit(RS_REQ_ROUTE, &vcpu->requests)) {
		mutex_lock(&vm->lock);
		if (vm->route)
			vcpu->route = *vm->route;
		mutex_unlock(&vm->lock);
	}
	rs_route_apply(vcpu);
}

static bool rs_in_ranges(const struct rs_route_ranges *r, u32 x)
{
	u32 i;

	for (i = 0; i < r->nr; i++)
		if (x >= r->range[i].first && x <= r->range[i].last)
			return true;
	return false;
}

/*
 * Must RDMSR (or WRMSR) of @msr exit, for the vCPU's route or a hook's?
 * For the backends' MSR permission maps.
 */
bool rs_route_msr(const struct rs_vcpu *vcpu, u32 msr, bool write)
{
	return rs_in_ranges(write ? &vcpu->route.msr_write :
				    &vcpu->route.msr_read, msr) ||
	       rs_hooks_msr(msr, write);
}

/* Does @rt name the event @ev?  Hypercalls are for hooks alone. */
bool rs_routes(const struct rs_exit_route *rt, const struct rs_exit_ev *ev)
{
	switch (ev->event) {
	case RS_ROUTED_EXCEPTION:
		return rt->exceptions & BIT(ev->index);
	case RS_ROUTED_CR_READ:
		return rt->cr_read & BIT(ev->index);
	case RS_ROUTED_CR_WRITE:
		return rt->cr_write & BIT(ev->index);
	case RS_ROUTED_DR_READ:
		return rt->dr_read & BIT(ev->index);
	case RS_ROUTED_DR_WRITE:
		return rt->dr_write & BIT(ev->index);
	case RS_ROUTED_MSR_READ:
		return rs_in_ranges(&rt->msr_read, ev->index);
	case RS_ROUTED_MSR_WRITE:
		return rs_in_ranges(&rt->msr_write, ev->index);
	case RS_ROUTED_CPUID:
		return rs_in_ranges(&rt->cpuid, ev->index);
	case RS_ROUTED_RDTSC ... RS_ROUTED_XSETBV:
		/* RS_ROUTE_RDTSC...RS_ROUTE_XSETBV, in the same order */
		return rt->insns & BIT(ev->event - RS_ROUTED_RDTSC);
	case RS_ROUTED_IO_IN:
	case RS_ROUTED_IO_OUT:
		return rs_in_ranges(&rt->ports, ev->index);
	}
	return false;
}

/*
 * rs_exit_event()'s slow half: a hook or the vCPU's route may want the
 * event.  A hook's answer is carried out at once; user space's at the
 * next RS_RUN.
 */
int rs_route_event(struct rs_vcpu *vcpu, const struct rs_exit_ev event)
{
	const struct rs_exit_ev *ev = &event;
	struct rs_run *run = vcpu->run;
	u8 len = 0;
	int r;

	if (READ_ONCE(rs_hooks_nr) && rs_hooks_handle(vcpu, ev, &r))
		return r;
	if (!rs_routes(&vcpu->route, ev))
		return ev->def(vcpu, ev);
	memset(&run->routed, 0, sizeof(run->routed));
	run->exit_reason = RS_EXIT_ROUTED;
	run->routed.event = ev->event;
	run->routed.flags = ev->has_error ? RS_ROUTED_HAS_ERROR_CODE : 0;
	run->routed.index = ev->index;
	run->routed.subindex = ev->subindex;
	run->routed.value = ev->value;
	run->routed.error_code = ev->error_code;
	rs_ops->get_exit_raw(vcpu, &run->routed.hw_code, run->routed.hw_info,
			     &len);
	vcpu->routed_ev = *ev;
	/* A skip moves RIP as far as the hardware said the instruction is. */
	if (ev->len && len)
		vcpu->routed_ev.len = len;
	run->routed.insn_len = vcpu->routed_ev.len;
	vcpu->pending = RS_PENDING_ROUTED;
	return RS_EXIT_USER;
}

/* RS_ROUTE_EMULATE: the results user space computed, where they go. */
static void rs_route_results(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev,
			     const u64 *res)
{
	u64 *gpr = vcpu->gpr;

	switch (ev->event) {
	case RS_ROUTED_CR_READ:
	case RS_ROUTED_DR_READ:
		gpr[ev->reg] = res[0];
		break;
	case RS_ROUTED_HYPERCALL:
		gpr[RS_RAX] = res[0];
		break;
	case RS_ROUTED_RDTSCP:
		gpr[RS_RCX] = (u32)res[1];
		fallthrough;
	case RS_ROUTED_MSR_READ:
	case RS_ROUTED_RDTSC:
		gpr[RS_RAX] = (u32)res[0];
		gpr[RS_RDX] = res[0] >> 32;
		break;
	case RS_ROUTED_CPUID:
		gpr[RS_RAX] = (u32)res[0];
		gpr[RS_RBX] = (u32)res[1];
		gpr[RS_RCX] = (u32)res[2];
		gpr[RS_RDX] = (u32)res[3];
		break;
	case RS_ROUTED_IO_IN:
		/* IN EAX zero-extends; IN AL and IN AX merge. */
		if (ev->subindex == 4)
			gpr[RS_RAX] = (u32)res[0];
		else if (ev->subindex == 2)
			gpr[RS_RAX] = (gpr[RS_RAX] & ~0xffffULL) | (u16)res[0];
		else
			gpr[RS_RAX] = (gpr[RS_RAX] & ~0xffULL) | (u8)res[0];
		break;
	}
}

/*
 * Carry out an answer to @ev (RS_ROUTE_*, the results of an emulation,
 * the event to inject): 0, RS_EXIT_USER as the default may return, or
 * -EINVAL for an answer that makes no sense.
 */
int rs_route_answer(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev,
		    u32 action, const u64 *results, const struct rs_event *inject)
{
	switch (action) {
	case RS_ROUTE_DEFAULT:
		return ev->def(vcpu, ev);
	case RS_ROUTE_EMULATE:
		rs_route_results(vcpu, ev, results);
		fallthrough;
	case RS_ROUTE_SKIP:
		if (ev->len)
			rs_skip_instruction(vcpu, ev->len);
		return 0;
	case RS_ROUTE_INJECT:
		return rs_inject_checked(vcpu, inject) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/*
 * At the next RS_RUN: carry out user space's answer to the routed event.
 * An answer that makes no sense fails RS_RUN with EINVAL, and the event
 * waits for a better one.
 */
int rs_route_complete(struct rs_vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	struct rs_event inj;
	u64 res[4];
	int r;

	memcpy(res, run->routed.results, sizeof(res));
	memcpy(&inj, &run->routed.inject, sizeof(inj));
	r = rs_route_answer(vcpu, &vcpu->routed_ev, READ_ONCE(run->routed.action),
			    res, &inj);
	/* It waits: the run page says so still. */
	if (r == -EINVAL) {
		vcpu->pending = RS_PENDING_ROUTED;
		run->exit_reason = RS_EXIT_ROUTED;
	}
	return r;
}
