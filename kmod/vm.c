// SPDX-License-Identifier: GPL-2.0
/*
 * A VM: its memory slots, its vCPUs and the VM fd.
 *
 * The VM fd and every vCPU fd hold a reference; the VM and its vCPUs go away
 * with the last one, whichever fd closes last and from whatever thread.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "rs.h"
#include "stats.h"

static void rs_vm_free(struct rs_vm *vm)
{
	unsigned int i;

	/* Netlink readers cannot find it any more (they hold references). */
	rs_vm_unregister(vm);
	/* No fd is left, so no fault; after this, no notifier either. */
	mmu_notifier_unregister(&vm->mn, vm->mm);
	/* Before the vCPUs: an irqfd's wake-up delivers to them. */
	rs_irqfd_free_all(vm);
	for (i = 0; i < vm->nr_vcpus; i++)
		rs_vcpu_free(vm->vcpus[i]);
	rs_ioeventfd_free_all(vm);
	rs_mmu_destroy(vm);
	mmdrop(vm->mm);
	free_cpumask_var(vm->kick_mask);
	kfree(vm->route);
	kfree(vm);
	rs_hardware_put();
}

void rs_vm_put(struct rs_vm *vm)
{
	if (refcount_dec_and_test(&vm->refs))
		rs_vm_free(vm);
}

/*
 * Make every vCPU drop its cached guest-physical translations before it
 * next runs, and wait for those in guest mode to leave it.  The IPI itself
 * does the work: it forces a VM exit, and the vCPU sees RS_REQ_TLB_FLUSH
 * before it enters again.  Called with mmu_lock held.
 */
static void rs_kick_ack(void *unused)
{
}

void rs_vm_flush_tlbs(struct rs_vm *vm)
{
	unsigned int i, me;

	lockdep_assert_held(&vm->mmu_lock);
	me = get_cpu();
	cpumask_clear(vm->kick_mask);
	for (i = 0; i < READ_ONCE(vm->nr_vcpus); i++) {
		struct rs_vcpu *vcpu = vm->vcpus[i];

		set_bit(RS_REQ_TLB_FLUSH, &vcpu->requests);
		/* Pairs with the barrier in rs_vcpu_enter_prepare(). */
		smp_mb__after_atomic();
		if (READ_ONCE(vcpu->mode) == RS_IN_GUEST &&
		    READ_ONCE(vcpu->cpu) != me)
			cpumask_set_cpu(READ_ONCE(vcpu->cpu), vm->kick_mask);
	}
	smp_call_function_many(vm->kick_mask, rs_kick_ack, NULL, true);
	put_cpu();
}

static long rs_vm_set_memory_region(struct rs_vm *vm, void __user *argp)
{
	struct rs_memory_region r;
	int ret;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (memchr_inv(r.reserved, 0, sizeof(r.reserved)) ||
	    (r.flags & ~RS_MEM_READONLY))
		return -EINVAL;
	if (r.slot >= RS_NR_MEMSLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(r.guest_phys_addr) || !PAGE_ALIGNED(r.size) ||
	    !PAGE_ALIGNED(r.userspace_addr))
		return -EINVAL;

	mutex_lock(&vm->lock);
	ret = rs_mmu_set_region(vm, &r);
	mutex_unlock(&vm->lock);
	return ret;
}

static long rs_vm_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	struct rs_vm *vm = file->private_data;

	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case RS_SET_MEMORY_REGION:
		return rs_vm_set_memory_region(vm, (void __user *)arg);
	case RS_CREATE_VCPU:
		return rs_create_vcpu(vm, arg);
	case RS_IOEVENTFD:
		return rs_vm_ioeventfd(vm, (const void __user *)arg);
	case RS_CREATE_LAPIC:
		return arg ? -EINVAL : rs_vm_create_lapic(vm);
	case RS_SIGNAL_MSI:
		return rs_vm_signal_msi(vm, (const void __user *)arg);
	case RS_SET_EXIT_ROUTE:
		return rs_vm_set_route(vm, (const void __user *)arg);
	case RS_IRQFD:
		return rs_vm_irqfd(vm, (const void __user *)arg);
	}
	return -ENOTTY;
}

static int rs_vm_release(struct inode *inode, struct file *file)
{
	rs_vm_put(file->private_data);
	return 0;
}

/* The VM's id in netlink messages and tracepoints (Documentation/netlink.rst). */
static void rs_vm_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct rs_vm *vm = file->private_data;

	seq_printf(m, "ringside_vm_id:\t%u\n", vm->id);
}

static const struct file_operations rs_vm_fops = {
	.owner = THIS_MODULE,
	.release = rs_vm_release,
	.show_fdinfo = rs_vm_show_fdinfo,
	.unlocked_ioctl = rs_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

long rs_create_vm(void)
{
	struct rs_vm *vm;
	int r;

	r = rs_hardware_get();
	if (r)
		return r;

	r = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto err_put;
	if (!zalloc_cpumask_var(&vm->kick_mask, GFP_KERNEL_ACCOUNT))
		goto err_free;
	refcount_set(&vm->refs, 1);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	INIT_LIST_HEAD(&vm->ioeventfds);
	INIT_LIST_HEAD(&vm->irqfds);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	/* One TSC for all vCPUs, so that SMP guests see it in step. */
	vm->tsc_base = rdtsc();
	vm->spec_id = rs_spec_new_vm();

	r = rs_mmu_init(vm);
	if (r)
		goto err_mm;
	r = mmu_notifier_register(&vm->mn, vm->mm);
	if (r)
		goto err_mmu;

	/* An id for netlink and tracepoints; rs_vm_free() undoes it too. */
	r = rs_vm_register(vm);
	if (!r)
		r = anon_inode_getfd("ringside-vm", &rs_vm_fops, vm,
				     O_RDWR | O_CLOEXEC);
	if (r < 0) {
		rs_vm_put(vm);
		return r;
	}
	return r;

err_mmu:
	rs_mmu_destroy(vm);
err_mm:
	mmdrop(vm->mm);
	free_cpumask_var(vm->kick_mask);
err_free:
	kfree(vm);
err_put:
	rs_hardware_put();
	return r;
}
