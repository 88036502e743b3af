// SPDX-License-Identifier: GPL-2.0
/*
 * RS_IRQFD: each signal of an eventfd that user space registered delivers
 * an MSI to the VM's in-kernel APICs (lapic.c), as KVM's irqfd does: a
 * device thread (virtio's, say) interrupts the guest with one write(2),
 * and no vCPU thread takes part.
 *
 * A registration waits on the eventfd's wait queue; the eventfd's wake-up
 * (under its queue's lock, interrupts off) takes the counter and delivers
 * the message, which rs_msi_deliver() does in any context.  Taking the
 * entry off the queue waits for a wake-up that runs: after that nothing
 * delivers.  The registration holds its own reference to the eventfd, as
 * RS_IOEVENTFD's do: closing the fd does not end it, deassigning or the
 * VM's end does.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rs.h"

struct rs_irqfd_entry {
	struct list_head node;		/* in vm->irqfds, under vm->lock */
	struct rs_vm *vm;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;		/* the eventfd's */
	poll_table pt;
	u64 address;
	u32 data;
};

/* The eventfd was written: take its count, send the message. */
static int rs_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			   int sync, void *key)
{
	struct rs_irqfd_entry *e = container_of(wait, struct rs_irqfd_entry,
						wait);
	u64 cnt;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(e->ctx, &cnt);
		rs_msi_deliver(e->vm, e->address, e->data);
	}
	return 0;
}

/* vfs_poll()'s callback: join the eventfd's wait queue. */
static void rs_irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			   poll_table *pt)
{
	struct rs_irqfd_entry *e = container_of(pt, struct rs_irqfd_entry, pt);

	e->wqh = wqh;
	add_wait_queue(wqh, &e->wait);
}

static void rs_irqfd_free(struct rs_irqfd_entry *e)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(e->ctx, &e->wait, &cnt);
	eventfd_ctx_put(e->ctx);
	kfree(e);
}

static long rs_irqfd_assign(struct rs_vm *vm, struct file *file,
			    const struct rs_irqfd *args)
{
	struct rs_irqfd_entry *e, *old;
	__poll_t events;
	long r;

	if (!rs_msi_valid(args->msi_address, args->msi_data) ||
	    (args->msi_data & BIT(15)))	/* level: nothing would lower it */
		return -EINVAL;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(e->ctx)) {
		r = PTR_ERR(e->ctx);
		goto err_free;
	}
	e->vm = vm;
	e->address = args->msi_address;
	e->data = args->msi_data;
	init_waitqueue_func_entry(&e->wait, rs_irqfd_wakeup);
	init_poll_funcptr(&e->pt, rs_irqfd_queue);

	mutex_lock(&vm->lock);
	r = -ENOSPC;
	if (vm->nr_irqfds >= RS_MAX_IRQFDS)
		goto err_unlock;
	r = -EEXIST;
	list_for_each_entry(old, &vm->irqfds, node)
		if (old->ctx == e->ctx)
			goto err_unlock;
	list_add_tail(&e->node, &vm->irqfds);
	vm->nr_irqfds++;
	/*
	 * A count from before the registration is delivered now, taken
	 * under the queue's lock as a wake-up takes it.
	 */
	events = vfs_poll(file, &e->pt);
	if (events & EPOLLIN) {
		u64 cnt;

		spin_lock_irq(&e->wqh->lock);
		eventfd_ctx_do_read(e->ctx, &cnt);
		spin_unlock_irq(&e->wqh->lock);
		if (cnt)
			rs_msi_deliver(vm, e->address, e->data);
	}
	mutex_unlock(&vm->lock);
	return 0;

err_unlock:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(e->ctx);
err_free:
	kfree(e);
	return r;
}

static long rs_irqfd_deassign(struct rs_vm *vm, struct file *file)
{
	struct rs_irqfd_entry *e;
	struct eventfd_ctx *ctx;
	long r = -ENOENT;

	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&vm->lock);
	list_for_each_entry(e, &vm->irqfds, node) {
		if (e->ctx != ctx)
			continue;
		list_del(&e->node);
		vm->nr_irqfds--;
		rs_irqfd_free(e);
		r = 0;
		break;
	}
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(ctx);
	return r;
}

long rs_vm_irqfd(struct rs_vm *vm, const void __user *argp)
{
	struct rs_irqfd args;
	struct fd f;
	long r;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~RS_IRQFD_DEASSIGN) || args.pad ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	if (!vm->lapic)
		return -ENXIO;
	f = fdget(args.fd);
	if (!f.file)
		return -EBADF;
	if (args.flags & RS_IRQFD_DEASSIGN)
		r = rs_irqfd_deassign(vm, f.file);
	else
		r = rs_irqfd_assign(vm, f.file, &args);
	fdput(f);
	return r;
}

/* The VM's end: no vCPU and no ioctl is left. */
void rs_irqfd_free_all(struct rs_vm *vm)
{
	struct rs_irqfd_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &vm->irqfds, node)
		rs_irqfd_free(e);
}
