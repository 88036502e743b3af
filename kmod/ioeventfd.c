// SPDX-License-Identifier: GPL-2.0
/*
 * RS_IOEVENTFD: a guest write to a port or an MMIO address that user space
 * registered signals an eventfd in the kernel, and the guest goes on
 * without an exit, as KVM's ioeventfd does (virtio queue notifications).
 *
 * The registrations are an RCU list: the exit path (rs_exit_io(), the
 * MMIO writes of emulate.c) reads it under rcu_read_lock(), the ioctl
 * changes it under vm->lock and waits for readers before it drops an
 * eventfd.  An empty list costs the exit path one load.
 */
#include <linux/eventfd.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>

#include "rs.h"

struct rs_ioeventfd_entry {
	struct list_head node;
	struct eventfd_ctx *ctx;
	u64 addr;
	u64 datamatch;
	unsigned int len;
	bool pio;
	bool match;			/* RS_IOEVENTFD_DATAMATCH */
};

#define RS_IOEVENTFD_FLAGS	(RS_IOEVENTFD_PIO | RS_IOEVENTFD_DATAMATCH | \
				 RS_IOEVENTFD_DEASSIGN)

/*
 * Two registrations that a write could both match: the same space and
 * overlapping bytes, unless both match data at the same address and
 * length and their values differ (KVM allows those too).
 */
static bool rs_ioeventfd_collide(const struct rs_ioeventfd_entry *a,
				 const struct rs_ioeventfd_entry *b)
{
	if (a->pio != b->pio || a->addr + a->len <= b->addr ||
	    b->addr + b->len <= a->addr)
		return false;
	return !(a->match && b->match && a->addr == b->addr &&
		 a->len == b->len && a->datamatch != b->datamatch);
}

static bool rs_ioeventfd_same(const struct rs_ioeventfd_entry *a,
			      const struct rs_ioeventfd_entry *b)
{
	return a->pio == b->pio && a->addr == b->addr && a->len == b->len &&
	       a->match == b->match &&
	       (!a->match || a->datamatch == b->datamatch) && a->ctx == b->ctx;
}

static long rs_ioeventfd_assign(struct rs_vm *vm,
				struct rs_ioeventfd_entry *new)
{
	struct rs_ioeventfd_entry *e;

	lockdep_assert_held(&vm->lock);
	if (vm->nr_ioeventfds >= RS_MAX_IOEVENTFDS)
		return -ENOSPC;
	list_for_each_entry(e, &vm->ioeventfds, node)
		if (rs_ioeventfd_collide(e, new))
			return -EEXIST;
	list_add_tail_rcu(&new->node, &vm->ioeventfds);
	WRITE_ONCE(vm->nr_ioeventfds, vm->nr_ioeventfds + 1);
	return 0;
}

static long rs_ioeventfd_deassign(struct rs_vm *vm,
				  const struct rs_ioeventfd_entry *key)
{
	struct rs_ioeventfd_entry *e;

	lockdep_assert_held(&vm->lock);
	list_for_each_entry(e, &vm->ioeventfds, node) {
		if (!rs_ioeventfd_same(e, key))
			continue;
		list_del_rcu(&e->node);
		WRITE_ONCE(vm->nr_ioeventfds, vm->nr_ioeventfds - 1);
		/* No vCPU may still signal it when its reference goes. */
		synchronize_rcu();
		eventfd_ctx_put(e->ctx);
		kfree(e);
		return 0;
	}
	return -ENOENT;
}

long rs_vm_ioeventfd(struct rs_vm *vm, const void __user *argp)
{
	struct rs_ioeventfd_entry *e;
	struct rs_ioeventfd args;
	long r;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~RS_IOEVENTFD_FLAGS) ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	if (args.len != 1 && args.len != 2 && args.len != 4 && args.len != 8)
		return -EINVAL;
	/* A port is 16 bits, OUT at most 4 bytes; an address cannot wrap. */
	if ((args.flags & RS_IOEVENTFD_PIO) ?
	    args.len > 4 || args.addr + args.len > 0x10000 :
	    args.addr > U64_MAX - args.len)
		return -EINVAL;
	if ((args.flags & RS_IOEVENTFD_DATAMATCH) && args.len < 8 &&
	    args.datamatch >> (8 * args.len))
		return -EINVAL;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->ctx = eventfd_ctx_fdget(args.fd);	/* -EBADF, or -EINVAL */
	if (IS_ERR(e->ctx)) {
		r = PTR_ERR(e->ctx);
		kfree(e);
		return r;
	}
	e->addr = args.addr;
	e->len = args.len;
	e->pio = args.flags & RS_IOEVENTFD_PIO;
	e->match = args.flags & RS_IOEVENTFD_DATAMATCH;
	e->datamatch = e->match ? args.datamatch : 0;

	mutex_lock(&vm->lock);
	if (args.flags & RS_IOEVENTFD_DEASSIGN)
		r = rs_ioeventfd_deassign(vm, e);
	else
		r = rs_ioeventfd_assign(vm, e);
	mutex_unlock(&vm->lock);
	if (r || (args.flags & RS_IOEVENTFD_DEASSIGN)) {
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
	return r;
}

/* The value of a write of @len bytes (1, 2, 4 or 8: a registration's). */
static u64 rs_ioeventfd_value(const void *data, unsigned int len)
{
	switch (len) {
	case 1:
		return *(const u8 *)data;
	case 2:
		return get_unaligned((const u16 *)data);
	case 4:
		return get_unaligned((const u32 *)data);
	}
	return get_unaligned((const u64 *)data);
}

/*
 * The guest wrote @len bytes of @data at @addr (a port if @pio): signal
 * the first registration that matches it.  Returns whether one did, and
 * so whether the write is done.
 */
bool __rs_ioeventfd_write(struct rs_vm *vm, bool pio, u64 addr,
			  unsigned int len, const void *data)
{
	struct rs_ioeventfd_entry *e;
	bool done = false;

	rcu_read_lock();
	list_for_each_entry_rcu(e, &vm->ioeventfds, node) {
		if (e->pio != pio || e->addr != addr || e->len != len ||
		    (e->match && e->datamatch != rs_ioeventfd_value(data, len)))
			continue;
		eventfd_signal(e->ctx, 1);
		done = true;
		break;
	}
	rcu_read_unlock();
	return done;
}

/* The VM is going: no vCPU runs any more. */
void rs_ioeventfd_free_all(struct rs_vm *vm)
{
	struct rs_ioeventfd_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &vm->ioeventfds, node) {
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
}
