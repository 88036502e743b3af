// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "ringside" (Documentation/netlink.rst): the
 * VMs, their exit statistics by reason, per VM or per vCPU, and the
 * "events" multicast group of sampled exits.
 *
 * Requests are checked against a policy per command, strictly: attributes
 * a command does not take, wrong types or lengths and a non-zero reserved
 * header field are refused with EINVAL before a handler runs.  A VM is
 * visible to root (CAP_SYS_ADMIN or CAP_NET_ADMIN in the initial user
 * namespace) and to its creator's euid; to anyone else it does not exist:
 * dumps leave it out and requests for it fail with ENOENT, as for an id
 * nobody has, so that VMs of other users cannot even be counted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <asm/tsc.h>

#include "rs.h"
#include "stats.h"

unsigned int rs_event_rate = 100;
module_param_named(event_rate, rs_event_rate, uint, 0644);
MODULE_PARM_DESC(event_rate, "Exits sampled per second and VM for the netlink group \"events\" (0: none; default 100)");

enum { RS_NL_GRP_EVENTS };

/*
 * Events carry guest RIPs of every VM: only CAP_NET_ADMIN may join, which
 * the kernel checks at subscription.  Kernels without that check get no
 * events (rs_netlink_init()).
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define RS_NL_EVENTS_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#define RS_NL_EVENTS_FLAGS	0
#endif

static const struct genl_multicast_group rs_nl_mcgrps[] = {
	[RS_NL_GRP_EVENTS] = {
		.name = RS_NL_MCGRP_EVENTS,
		.flags = RS_NL_EVENTS_FLAGS,
	},
};

/*
 * Both commands share one maxattr: genetlink sizes info->attrs by it, and
 * the handlers look at every request attribute.  What a command does not
 * list is NLA_UNSPEC, which strict validation refuses.
 */
#define RS_NL_REQ_MAXATTR	RS_NL_A_PER_VCPU

static const struct nla_policy rs_nl_get_vm_policy[RS_NL_REQ_MAXATTR + 1] = {
	[RS_NL_A_VM_ID] = { .type = NLA_U32 },
};

static const struct nla_policy rs_nl_get_stats_policy[RS_NL_REQ_MAXATTR + 1] = {
	[RS_NL_A_VM_ID] = { .type = NLA_U32 },
	[RS_NL_A_VCPU_ID] = { .type = NLA_U32 },
	[RS_NL_A_PER_VCPU] = { .type = NLA_FLAG },
};

static struct genl_family rs_nl_family;

static u64 rs_cycles_to_ns(u64 cycles)
{
	return tsc_khz ? mul_u64_u32_div(cycles, NSEC_PER_MSEC, tsc_khz) : 0;
}

/* Root, or the VM's creator; @skb is the request. */
static bool rs_nl_may_read(const struct sk_buff *skb, const struct rs_vm *vm)
{
	return uid_eq(current_euid(), vm->owner_uid) ||
	       netlink_capable(skb, CAP_SYS_ADMIN) ||
	       netlink_capable(skb, CAP_NET_ADMIN);
}

static int rs_nl_put_vm(struct sk_buff *skb, struct rs_vm *vm)
{
	u64 mem = 0;
	int i;

	spin_lock(&vm->mmu_lock);
	for (i = 0; i < RS_NR_MEMSLOTS; i++)
		mem += vm->slots[i].npages << PAGE_SHIFT;
	spin_unlock(&vm->mmu_lock);

	if (nla_put_u32(skb, RS_NL_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, RS_NL_A_VM_PID, pid_vnr(vm->owner_pid)) ||
	    nla_put_u32(skb, RS_NL_A_VM_UID,
			from_kuid_munged(current_user_ns(), vm->owner_uid)) ||
	    nla_put_string(skb, RS_NL_A_VM_COMM, vm->owner_comm) ||
	    nla_put_u32(skb, RS_NL_A_VM_VCPUS, READ_ONCE(vm->nr_vcpus)) ||
	    nla_put_u64_64bit(skb, RS_NL_A_VM_MEMORY, mem, RS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, RS_NL_A_VM_UPTIME_NS,
			      ktime_get_ns() - vm->created_ns, RS_NL_A_PAD) ||
	    nla_put_string(skb, RS_NL_A_BACKEND, rs_ops->name))
		return -EMSGSIZE;
	return 0;
}

static int rs_nl_put_time(struct sk_buff *skb, int ns_attr, int cycles_attr,
			  u64 cycles, int pad)
{
	if (nla_put_u64_64bit(skb, ns_attr, rs_cycles_to_ns(cycles), pad) ||
	    nla_put_u64_64bit(skb, cycles_attr, cycles, pad))
		return -EMSGSIZE;
	return 0;
}

/*
 * The largest message, with every reason seen and all its histogram's
 * buckets: the VM's attributes, then per reason its name, three u64 and
 * the histogram, with padding.
 */
#define RS_NL_REASON_MAX_SIZE	(nla_total_size(32) + 3 * nla_total_size_64bit(8) + \
				 nla_total_size(1) + \
				 nla_total_size(RS_NL_HIST_BUCKETS * sizeof(u64)))
#define RS_NL_MSG_MAX		(NLMSG_GOODSIZE + \
				 (RS_MAX_EXIT_STATS + RS_NR_USER_EXITS) * \
				 (nla_total_size(0) + RS_NL_REASON_MAX_SIZE))

/* The histogram's buckets from the first to the last that is not zero. */
static int rs_nl_put_hist(struct sk_buff *skb, const u64 *hist)
{
	int first = 0, last = RS_NL_HIST_BUCKETS - 1;

	while (first < last && !hist[first])
		first++;
	while (last > first && !hist[last])
		last--;
	if (nla_put_u8(skb, RS_NL_REASON_HIST_FIRST, first) ||
	    nla_put(skb, RS_NL_REASON_HIST, (last - first + 1) * sizeof(u64),
		    &hist[first]))
		return -EMSGSIZE;
	return 0;
}

static int rs_nl_put_reason(struct sk_buff *skb, int type, const char *name,
			    const struct rs_exit_stat *e, const u64 *hist)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, RS_NL_REASON_NAME, name) ||
	    nla_put_u64_64bit(skb, RS_NL_REASON_COUNT, e->count,
			      RS_NL_REASON_PAD) ||
	    rs_nl_put_time(skb, RS_NL_REASON_NS, RS_NL_REASON_CYCLES,
			   e->cycles, RS_NL_REASON_PAD) ||
	    rs_nl_put_hist(skb, hist)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* run->exit_reason's names, as Documentation/uapi.rst has them. */
static const char * const rs_user_exit_names[RS_NR_USER_EXITS] = {
	[RS_EXIT_NONE] = "NONE",	/* RS_RUN failed */
	[RS_EXIT_IO] = "IO",
	[RS_EXIT_MMIO] = "MMIO",
	[RS_EXIT_HLT] = "HLT",
	[RS_EXIT_SHUTDOWN] = "SHUTDOWN",
	[RS_EXIT_IRQ_WINDOW] = "IRQ_WINDOW",
	[RS_EXIT_HYPERCALL] = "HYPERCALL",
	[RS_EXIT_INTR] = "INTR",
	[RS_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[RS_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[RS_EXIT_EOI] = "EOI",
	[RS_EXIT_ROUTED] = "ROUTED",
};

/* Reasons never seen are left out: most guests see a handful. */
static int rs_nl_put_stats(struct sk_buff *skb, const struct rs_vcpu_stats *st)
{
	u64 exits = 0, handle = 0;
	struct nlattr *nest;
	unsigned int i;

	for (i = 0; i < RS_MAX_EXIT_STATS; i++) {
		exits += st->exits[i].count;
		handle += st->exits[i].cycles;
	}
	nest = nla_nest_start(skb, RS_NL_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, RS_NL_STATS_ENABLED, rs_stats_enabled()) ||
	    nla_put_u32(skb, RS_NL_STATS_TSC_KHZ, tsc_khz) ||
	    nla_put_u64_64bit(skb, RS_NL_STATS_EXITS, exits, RS_NL_STATS_PAD) ||
	    rs_nl_put_time(skb, RS_NL_STATS_GUEST_NS, RS_NL_STATS_GUEST_CYCLES,
			   st->guest_cycles, RS_NL_STATS_PAD) ||
	    rs_nl_put_time(skb, RS_NL_STATS_HANDLE_NS,
			   RS_NL_STATS_HANDLE_CYCLES, handle, RS_NL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, RS_NL_STATS_L1D_FLUSHES, st->l1d_flushes,
			      RS_NL_STATS_PAD))
		goto cancel;
	for (i = 0; i < rs_ops->exits->nr_names; i++) {
		if (st->exits[i].count &&
		    rs_nl_put_reason(skb, RS_NL_STATS_REASON,
				     rs_ops->exits->names[i], &st->exits[i],
				     st->exit_hist[i]))
			goto cancel;
	}
	for (i = 0; i < RS_NR_USER_EXITS; i++) {
		if (st->user[i].count &&
		    rs_nl_put_reason(skb, RS_NL_STATS_USER, rs_user_exit_names[i],
				     &st->user[i], st->user_hist[i]))
			goto cancel;
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * One message about @vm: its attributes and, for RS_NL_CMD_GET_STATS,
 * @vcpu's statistics, or the sums over its vCPUs if @vcpu is NULL.  Called
 * with vm->lock held, which keeps vm->vcpus[] as it is.
 */
static int rs_nl_fill(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		      u8 cmd, struct rs_vm *vm, struct rs_vcpu *vcpu)
{
	struct rs_vcpu_stats *st = NULL;
	unsigned int i;
	void *hdr;
	int r = -EMSGSIZE;

	lockdep_assert_held(&vm->lock);
	hdr = genlmsg_put(skb, portid, seq, &rs_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (rs_nl_put_vm(skb, vm))
		goto cancel;
	if (cmd != RS_NL_CMD_GET_STATS)
		goto done;

	if (vcpu && nla_put_u32(skb, RS_NL_A_VCPU_ID, vcpu->id))
		goto cancel;
	r = -ENOMEM;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		goto cancel;
	if (vcpu) {
		rs_vcpu_stats_read(vcpu, st);
	} else {
		for (i = 0; i < vm->nr_vcpus; i++)
			rs_vcpu_stats_read(vm->vcpus[i], st);
	}
	r = rs_nl_put_stats(skb, st);
	kfree(st);
	if (r)
		goto cancel;
done:
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return r;
}

static struct rs_vcpu *rs_nl_find_vcpu(struct rs_vm *vm, u32 id)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			return vm->vcpus[i];
	return NULL;
}

/* RS_NL_CMD_GET_VM and RS_NL_CMD_GET_STATS of one VM (or vCPU). */
static int rs_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct rs_vcpu *vcpu = NULL;
	struct sk_buff *msg;
	struct rs_vm *vm;
	unsigned long id;
	u32 want;
	int r;

	if (GENL_REQ_ATTR_CHECK(info, RS_NL_A_VM_ID))
		return -EINVAL;
	if (info->attrs[RS_NL_A_PER_VCPU]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RS_NL_A_PER_VCPU],
				    "only a dump takes this");
		return -EINVAL;
	}
	want = nla_get_u32(info->attrs[RS_NL_A_VM_ID]);
	id = want;
	vm = rs_vm_get_next(&id);
	if (!vm)
		return -ENOENT;
	r = -ENOENT;
	if (vm->id != want || !rs_nl_may_read(skb, vm))
		goto out_put;

	r = -ENOMEM;
	msg = genlmsg_new(RS_NL_MSG_MAX, GFP_KERNEL);
	if (!msg)
		goto out_put;
	mutex_lock(&vm->lock);
	r = 0;
	if (info->attrs[RS_NL_A_VCPU_ID]) {
		vcpu = rs_nl_find_vcpu(vm, nla_get_u32(info->attrs[RS_NL_A_VCPU_ID]));
		if (!vcpu) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[RS_NL_A_VCPU_ID],
					    "no such vCPU");
			r = -ENOENT;
		}
	}
	if (!r)
		r = rs_nl_fill(msg, info->snd_portid, info->snd_seq, 0, cmd, vm,
			       vcpu);
	mutex_unlock(&vm->lock);
	if (r) {
		nlmsg_free(msg);
		goto out_put;
	}
	rs_vm_put(vm);
	return genlmsg_reply(msg, info);

out_put:
	rs_vm_put(vm);
	return r;
}

/*
 * A dump lists the VMs that exist when it starts (cb->args[2], the time):
 * VMs created while it runs are left out, so that it ends however fast
 * other threads create VMs, and lists no more VMs than were there.
 */
static int rs_nl_dump_start(struct netlink_callback *cb)
{
	cb->args[2] = ktime_get_ns();
	/* Each skb of the dump holds at least one whole message. */
	cb->min_dump_alloc = RS_NL_MSG_MAX;
	return 0;
}

/*
 * Dumps resume where the last skb filled up: cb->args[0] is the next VM id
 * to look at, cb->args[1] the next message of that VM (0: the VM's own,
 * n: its n-th vCPU's, with RS_NL_A_PER_VCPU).
 */
static int rs_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	u8 cmd = info->op.cmd;
	bool per_vcpu = cmd == RS_NL_CMD_GET_STATS &&
			info->attrs[RS_NL_A_PER_VCPU];
	unsigned long id = cb->args[0];
	unsigned long part = cb->args[1];
	u32 only = 0;
	struct rs_vm *vm;
	int r = 0;

	if (info->attrs[RS_NL_A_VCPU_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, info->attrs[RS_NL_A_VCPU_ID],
				    "a dump takes no vCPU id");
		return -EINVAL;
	}
	if (info->attrs[RS_NL_A_VM_ID]) {
		only = nla_get_u32(info->attrs[RS_NL_A_VM_ID]);
		if (!only)
			return 0;
		id = max_t(unsigned long, id, only);
	}

	while ((vm = rs_vm_get_next(&id))) {
		if (only && vm->id != only) {
			rs_vm_put(vm);
			break;
		}
		if (vm->created_ns <= (u64)cb->args[2] &&
		    rs_nl_may_read(cb->skb, vm)) {
			mutex_lock(&vm->lock);
			for (; part <= (per_vcpu ? vm->nr_vcpus : 0); part++) {
				r = rs_nl_fill(skb, NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       cmd, vm,
					       part ? vm->vcpus[part - 1] : NULL);
				if (r)
					break;
			}
			mutex_unlock(&vm->lock);
		}
		rs_vm_put(vm);
		if (r)
			break;
		id++;
		part = 0;
	}
	cb->args[0] = id;
	cb->args[1] = part;
	/* A full skb ends this part of the dump; the next one goes on. */
	if (r == -EMSGSIZE && skb->len)
		return skb->len;
	return r ?: skb->len;
}

static const struct genl_ops rs_nl_ops[] = {
	{
		.cmd = RS_NL_CMD_GET_VM,
		.doit = rs_nl_get_doit,
		.start = rs_nl_dump_start,
		.dumpit = rs_nl_get_dumpit,
		.policy = rs_nl_get_vm_policy,
		.maxattr = RS_NL_REQ_MAXATTR,
	},
	{
		.cmd = RS_NL_CMD_GET_STATS,
		.doit = rs_nl_get_doit,
		.start = rs_nl_dump_start,
		.dumpit = rs_nl_get_dumpit,
		.policy = rs_nl_get_stats_policy,
		.maxattr = RS_NL_REQ_MAXATTR,
	},
};

static struct genl_family rs_nl_family = {
	.name = RS_NL_FAMILY_NAME,
	.version = RS_NL_FAMILY_VERSION,
	.module = THIS_MODULE,
	.ops = rs_nl_ops,
	.n_ops = ARRAY_SIZE(rs_nl_ops),
	/* Every command: strict policies, reserved header field zero. */
	.resv_start_op = RS_NL_CMD_GET_VM,
	.mcgrps = rs_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(rs_nl_mcgrps),
	/* vm->lock and references do the locking, not genl_mutex. */
	.parallel_ops = true,
};

static void rs_nl_send_event(struct rs_vcpu *vcpu, u64 code, u64 rip,
			     u64 info1, u64 info2)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOWAIT | __GFP_NOWARN);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &rs_nl_family, 0, RS_NL_CMD_EXIT_EVENT);
	if (!hdr)
		goto err;
	if (nla_put_u32(skb, RS_NL_A_VM_ID, vcpu->vm->id) ||
	    nla_put_u32(skb, RS_NL_A_VCPU_ID, vcpu->id) ||
	    nla_put_string(skb, RS_NL_A_EXIT_NAME, rs_exit_name(vcpu)) ||
	    nla_put_u64_64bit(skb, RS_NL_A_EXIT_CODE, code, RS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, RS_NL_A_EXIT_RIP, rip, RS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, RS_NL_A_EXIT_INFO1, info1, RS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, RS_NL_A_EXIT_INFO2, info2, RS_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, RS_NL_A_TIMESTAMP_NS, ktime_get_ns(),
			      RS_NL_A_PAD))
		goto err;
	genlmsg_end(skb, hdr);
	/* A listener whose buffer is full misses it: that is what it asked. */
	genlmsg_multicast(&rs_nl_family, skb, 0, RS_NL_GRP_EVENTS,
			  GFP_NOWAIT | __GFP_NOWARN);
	return;
err:
	nlmsg_free(skb);
}

/* While nobody listens, look for listeners once in this many exits. */
#define RS_EV_IDLE_EXITS	256
#define RS_EV_MAX_MEAN		BIT(24)

/*
 * The next sample of this vCPU: a countdown drawn uniformly from 1 to
 * 2 * mean - 1 exits, so that each exit is as likely to be picked as any
 * other (waiting for a time instead would pick the exit that ends the
 * longest guest run: the timer interrupt's).  The mean follows the vCPU's
 * exit rate so that the VM's vCPUs together sample about rs_event_rate
 * exits per second.
 */
static void rs_ev_rearm(struct rs_vcpu *vcpu, unsigned int rate)
{
	u64 now = ktime_get_ns(), want, est;
	u32 mean = vcpu->ev_mean;

	if (mean) {
		want = div_u64(NSEC_PER_SEC * (u64)READ_ONCE(vcpu->vm->nr_vcpus),
			       rate);
		est = div64_u64((u64)vcpu->ev_drawn * want,
				max_t(u64, now - vcpu->ev_last_ns, 1));
		mean = clamp_t(u64, (mean + est) / 2, 1, RS_EV_MAX_MEAN);
	} else {
		mean = 1;	/* a new listener: learn the rate */
	}
	vcpu->ev_mean = mean;
	vcpu->ev_last_ns = now;
	vcpu->ev_drawn = mean > 1 ? 1 + get_random_u32_below(2 * mean - 1) : 1;
	vcpu->ev_countdown = vcpu->ev_drawn;
}

/*
 * rs_exit_observe() calls this when the vCPU's countdown runs out.  The
 * vCPUs of a VM share ev_lock here only, to hold the VM to rs_event_rate
 * events in each second; one that finds it taken skips its sample.
 */
void __rs_exit_event(struct rs_vcpu *vcpu, u64 code, u64 rip, u64 info1,
		     u64 info2)
{
	unsigned int rate = READ_ONCE(rs_event_rate);
	struct rs_vm *vm = vcpu->vm;
	bool send = false;

	if (!RS_NL_EVENTS_FLAGS || !rate ||
	    !genl_has_listeners(&rs_nl_family, &init_net, RS_NL_GRP_EVENTS)) {
		vcpu->ev_countdown = RS_EV_IDLE_EXITS;
		vcpu->ev_mean = 0;
		return;
	}
	if (spin_trylock(&vm->ev_lock)) {
		if (time_after_eq(jiffies, vm->ev_window + HZ)) {
			vm->ev_window = jiffies;
			vm->ev_sent = 0;
		}
		if (vm->ev_sent < rate) {
			vm->ev_sent++;
			send = true;
		}
		spin_unlock(&vm->ev_lock);
	}
	if (send)
		rs_nl_send_event(vcpu, code, rip, info1, info2);
	rs_ev_rearm(vcpu, rate);
}

int rs_netlink_init(void)
{
	if (!RS_NL_EVENTS_FLAGS)
		pr_info("this kernel cannot restrict netlink groups to CAP_NET_ADMIN: no exit events\n");
	return genl_register_family(&rs_nl_family);
}

void rs_netlink_exit(void)
{
	genl_unregister_family(&rs_nl_family);
}
