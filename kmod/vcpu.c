// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU: its fd, the run page user space maps, the register ioctls and the
 * RS_RUN loop.  A vCPU runs in the thread that calls RS_RUN, under the host
 * scheduler: preemptible between guest entries, free to migrate, and back
 * in user space on a signal.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/hw_breakpoint.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "rs.h"
#include "stats.h"
#include "trace.h"

/*
 * Called with IRQs off just before entry.  Once mode says RS_IN_GUEST, a
 * TLB flush request either is seen by the backend before entry or IPIs
 * this CPU, which forces an exit right after it.
 */
bool rs_vcpu_enter_prepare(struct rs_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	/*
	 * The guest's FPU state is the task's while RS_RUN runs
	 * (fpu_swap_kvm_fpstate()); if the thread was preempted between two
	 * entries, the scheduler saved it and left another task's registers
	 * behind (TIF_NEED_FPU_LOAD).  Load it back, as KVM does in
	 * vcpu_enter_guest(), or the guest runs with those.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	WRITE_ONCE(vcpu->cpu, smp_processor_id());
	WRITE_ONCE(vcpu->mode, RS_IN_GUEST);
	/* Pairs with the barrier in rs_vm_flush_tlbs(). */
	smp_mb();
	if (need_resched() || signal_pending(current) ||
	    (READ_ONCE(vcpu->requests) & RS_REQ_KICKS) ||
	    READ_ONCE(rs_rebooting)) {
		WRITE_ONCE(vcpu->mode, RS_OUTSIDE_GUEST);
		return false;
	}
	rs_spec_enter(vcpu);
	return true;
}

/*
 * Neither VMRUN nor VM entry switches DR0-3 (AMD APM vol. 2, 15.5.1; Intel
 * SDM vol. 3C, 26.3.2.1).  The backends call these, with IRQs off, around
 * an entry where the guest uses them; afterwards the host's come back
 * from its hw_breakpoint state.
 */
void rs_load_guest_dr0_3(struct rs_vcpu *vcpu)
{
	/* No host breakpoint may fire on a guest address meanwhile. */
	set_debugreg(0, 7);
	set_debugreg(vcpu->dr[0], 0);
	set_debugreg(vcpu->dr[1], 1);
	set_debugreg(vcpu->dr[2], 2);
	set_debugreg(vcpu->dr[3], 3);
}

void rs_save_guest_dr0_3(struct rs_vcpu *vcpu)
{
	get_debugreg(vcpu->dr[0], 0);
	get_debugreg(vcpu->dr[1], 1);
	get_debugreg(vcpu->dr[2], 2);
	get_debugreg(vcpu->dr[3], 3);
}

static long rs_vcpu_run(struct rs_vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	u64 rip, rflags;
	int r;

	rs_stats_from_user(vcpu);
	run->exit_reason = RS_EXIT_NONE;
	/*
	 * The guest's FPU state is the task's from here on, also for what
	 * user space's answer completes (an SSE load from MMIO).
	 */
	r = fpu_swap_kvm_fpstate(&vcpu->fpu, true);
	if (r)
		return r;
	r = rs_complete_user_exit(vcpu);
	if (!r && READ_ONCE(run->immediate_exit)) {
		run->exit_reason = RS_EXIT_INTR;
		r = -EINTR;
	}
	/* User space ran on this CPU: its data may be in the L1D (spec.c). */
	vcpu->l1d_flush_owed = true;
	while (!r) {
		if (signal_pending(current)) {
			run->exit_reason = RS_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (READ_ONCE(rs_rebooting)) {
			r = -EIO;
			break;
		}
		/*
		 * A step the core finished (debug.c), before a halt waits;
		 * the VM's new exit routing, or the hooks' (route.c).
		 */
		if (unlikely(READ_ONCE(vcpu->requests) &
			     (BIT(RS_REQ_STEP) | BIT(RS_REQ_ROUTE) |
			      BIT(RS_REQ_HOOKS)))) {
			if (test_bit(RS_REQ_STEP, &vcpu->requests)) {
				r = rs_debug_exit(vcpu, DR_STEP);
				break;
			}
			rs_route_reload(vcpu);
		}
		/* The APIC's work, or its halt: r ends the run. */
		if (vcpu->lapic) {
			r = rs_lapic_service(vcpu);
			if (r)
				break;
		}
		/* Exit statistics: the backend stamps exit_tsc if it entered. */
		vcpu->exit_tsc = 0;
		r = rs_call(vcpu_run)(vcpu);
		rs_stats_account(vcpu);
		if (!r)
			cond_resched();
	}
	/* The kernel's own value: user space may write the page meanwhile. */
	rs_stats_flush(vcpu, r < 0 && r != -EINTR ? RS_EXIT_NONE :
			     READ_ONCE(run->exit_reason));
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	run->if_flag = !!(rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt = !vcpu->extint_pending &&
				   rs_call(interrupt_allowed)(vcpu);
	return r < 0 ? r : 0;
}

/* struct rs_regs lists the registers in their traditional order. */
static const u8 rs_regs_order[RS_NR_GPRS] = {
	RS_RAX, RS_RBX, RS_RCX, RS_RDX, RS_RSI, RS_RDI, RS_RSP, RS_RBP,
	RS_R8, RS_R9, RS_R10, RS_R11, RS_R12, RS_R13, RS_R14, RS_R15,
};

static long rs_get_regs(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_regs regs = {};
	u64 *out = &regs.rax;
	int i;

	for (i = 0; i < RS_NR_GPRS; i++)
		out[i] = vcpu->gpr[rs_regs_order[i]];
	rs_call(get_rip_rflags)(vcpu, &regs.rip, &regs.rflags);
	return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
}

/* RFLAGS bits that are reserved: 1 must be set, 3, 5, 15 and 22-63 clear. */
#define RS_RFLAGS_RESERVED	(GENMASK_ULL(63, 22) | BIT(15) | BIT(5) | BIT(3))

static long rs_set_regs(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_regs regs;
	u64 *in = &regs.rax;
	int i;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	if (regs.flags || memchr_inv(regs.reserved, 0, sizeof(regs.reserved)) ||
	    (regs.rflags & RS_RFLAGS_RESERVED) || !(regs.rflags & BIT(1)))
		return -EINVAL;
	for (i = 0; i < RS_NR_GPRS; i++)
		vcpu->gpr[rs_regs_order[i]] = in[i];
	rs_call(set_rip_rflags)(vcpu, regs.rip, regs.rflags, false);
	return 0;
}

static long rs_get_sregs(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_sregs sregs = {};

	rs_ops->get_sregs(vcpu, &sregs);
	if (vcpu->lapic)
		sregs.cr8 = rs_lapic_cr8(vcpu);
	return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long rs_set_sregs(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	if (sregs.flags || memchr_inv(sregs.reserved, 0, sizeof(sregs.reserved)) ||
	    sregs.gdt.pad || sregs.idt.pad || !rs_sregs_valid(vcpu, &sregs))
		return -EINVAL;
	if (vcpu->lapic)
		rs_lapic_set_cr8(vcpu, sregs.cr8);
	return rs_ops->set_sregs(vcpu, &sregs);
}

/* Returns how many entries were done: it stops at the first failure. */
static long rs_msrs_ioctl(struct rs_vcpu *vcpu, void __user *argp, bool set)
{
	struct rs_msr_entry *e;
	struct rs_msrs m;
	u32 i;
	long r;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.flags || memchr_inv(m.reserved, 0, sizeof(m.reserved)))
		return -EINVAL;
	if (m.nmsrs > RS_MAX_MSRS)
		return -E2BIG;

	e = memdup_user(u64_to_user_ptr(m.entries),
			array_size(m.nmsrs, sizeof(*e)));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < m.nmsrs; i++) {
		if (e[i].reserved)
			break;
		if (set ? rs_set_msr(vcpu, e[i].index, e[i].data, true) :
			  rs_get_msr(vcpu, e[i].index, &e[i].data))
			break;
	}
	r = i;
	if (!set && copy_to_user(u64_to_user_ptr(m.entries), e,
				 array_size(m.nmsrs, sizeof(*e))))
		r = -EFAULT;
	kfree(e);
	return r;
}

/* The uABI XSAVE format up to 4 KiB: everything but the AMX tiles. */
static u64 rs_fpu_features(struct rs_vcpu *vcpu)
{
	return vcpu->fpu.xfeatures & ~XFEATURE_MASK_XTILE;
}

static long rs_get_fpu(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_fpu *fpu;
	long r = 0;

	fpu = kzalloc(sizeof(*fpu), GFP_KERNEL_ACCOUNT);
	if (!fpu)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, fpu->xsave,
				       sizeof(fpu->xsave), rs_fpu_features(vcpu),
				       vcpu->pkru);
	if (copy_to_user(argp, fpu, sizeof(*fpu)))
		r = -EFAULT;
	kfree(fpu);
	return r;
}

static long rs_set_fpu(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_fpu *fpu;
	long r;

	fpu = memdup_user(argp, sizeof(*fpu));
	if (IS_ERR(fpu))
		return PTR_ERR(fpu);
	r = -EINVAL;
	if (!fpu->flags && !memchr_inv(fpu->reserved, 0, sizeof(fpu->reserved)))
		r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, fpu->xsave,
						   rs_fpu_features(vcpu), &vcpu->pkru);
	kfree(fpu);
	return r;
}

/* An NMI or exception (@type RS_EVENT_*) for the next entry; -EBUSY if one waits. */
int rs_queue_event(struct rs_vcpu *vcpu, u32 type, u8 vector, bool has_error,
		   u32 error)
{
	u32 info = vector | type << RS_EVENT_INFO_TYPE_SHIFT | RS_EVENT_INFO_VALID |
		   (has_error ? RS_EVENT_INFO_HAS_ERROR : 0);
	int r = rs_ops->queue_event(vcpu, info, error);

	if (!r)
		trace_ringside_inject(vcpu, type, vector, has_error, error, false);
	return r;
}

/*
 * An external interrupt or NMI (@type RS_EVENT_*) that the backend took
 * from the pending ones for an entry that delivered nothing goes back to
 * pending, unless another one of its kind waits there.  Returns whether
 * it did (the backend then forgets it).
 */
bool rs_unqueue_event(struct rs_vcpu *vcpu, u32 type, u8 vector)
{
	if (type == RS_EVENT_EXTINT && !vcpu->extint_pending) {
		vcpu->extint_vector = vector;
		vcpu->extint_pending = true;
		return true;
	}
	if (type == RS_EVENT_NMI && !vcpu->nmi_pending) {
		vcpu->nmi_pending = true;
		return true;
	}
	return false;
}

/*
 * An event user space injects (RS_INJECT_EVENT, or a routed exit's answer
 * RS_ROUTE_INJECT), checked as the hardware would take it.
 */
int rs_inject_checked(struct rs_vcpu *vcpu, const struct rs_event *ev)
{
	bool has_error;

	if ((ev->flags & ~RS_EVENT_HAS_ERROR_CODE) ||
	    memchr_inv(ev->reserved, 0, sizeof(ev->reserved)))
		return -EINVAL;
	has_error = ev->flags & RS_EVENT_HAS_ERROR_CODE;

	switch (ev->type) {
	case RS_EVENT_EXTINT:
		if (ev->vector > 255 || has_error)
			return -EINVAL;
		if (vcpu->extint_pending)
			return -EBUSY;
		vcpu->extint_vector = ev->vector;
		vcpu->extint_pending = true;
		return 0;
	case RS_EVENT_NMI:
		if (ev->vector != 2 || has_error)
			return -EINVAL;
		/* Like the CPU, which latches one NMI while it blocks NMIs. */
		if (vcpu->nmi_pending)
			return -EBUSY;
		vcpu->nmi_pending = true;
		return 0;
	case RS_EVENT_EXCEPTION:
		if (ev->vector >= 32 || ev->vector == 2 ||
		    has_error != !!(RS_EXC_ERROR_CODES & BIT(ev->vector)))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return rs_queue_event(vcpu, ev->type, ev->vector, has_error,
			      ev->error_code);
}

static long rs_inject_event(struct rs_vcpu *vcpu, void __user *argp)
{
	struct rs_event ev;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	return rs_inject_checked(vcpu, &ev);
}

static long rs_vcpu_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct rs_vcpu *vcpu = file->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->lock))
		return -EINTR;

	switch (cmd) {
	case RS_RUN:
		r = arg ? -EINVAL : rs_vcpu_run(vcpu);
		break;
	case RS_SET_EXIT_ROUTE:
		r = rs_vcpu_set_route(vcpu, argp);
		break;
	case RS_GET_EXIT_ROUTE:
		r = rs_vcpu_get_route(vcpu, argp);
		break;
	case RS_SET_GUEST_DEBUG:
		r = rs_vcpu_set_guest_debug(vcpu, argp);
		break;
	case RS_GET_REGS:
		r = rs_get_regs(vcpu, argp);
		break;
	case RS_SET_REGS:
		r = rs_set_regs(vcpu, argp);
		break;
	case RS_GET_SREGS:
		r = rs_get_sregs(vcpu, argp);
		break;
	case RS_SET_SREGS:
		r = rs_set_sregs(vcpu, argp);
		break;
	case RS_GET_MSRS:
		r = rs_msrs_ioctl(vcpu, argp, false);
		break;
	case RS_SET_MSRS:
		r = rs_msrs_ioctl(vcpu, argp, true);
		break;
	case RS_GET_FPU:
		r = rs_get_fpu(vcpu, argp);
		break;
	case RS_SET_FPU:
		r = rs_set_fpu(vcpu, argp);
		break;
	case RS_SET_CPUID:
		r = rs_set_cpuid(vcpu, argp);
		break;
	case RS_GET_CPUID:
		r = rs_get_cpuid(vcpu, argp);
		break;
	case RS_INJECT_EVENT:
		r = rs_inject_event(vcpu, argp);
		break;
	case RS_GET_LAPIC:
		r = rs_get_lapic(vcpu, argp);
		break;
	case RS_SET_LAPIC:
		r = rs_set_lapic(vcpu, argp);
		break;
	default:
		r = -ENOTTY;
	}
	/* Until an entry took it, state from user space is unchecked. */
	if (cmd == RS_SET_REGS || cmd == RS_SET_SREGS || cmd == RS_SET_MSRS ||
	    cmd == RS_INJECT_EVENT)
		vcpu->state_from_user = true;
	mutex_unlock(&vcpu->lock);
	return r;
}

static vm_fault_t rs_vcpu_fault(struct vm_fault *vmf)
{
	struct rs_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(vcpu->run);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct rs_vcpu_vm_ops = {
	.fault = rs_vcpu_fault,
};

static int rs_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start > PAGE_SIZE)
		return -EINVAL;
	vma->vm_ops = &rs_vcpu_vm_ops;
	return 0;
}

static int rs_vcpu_release(struct inode *inode, struct file *file)
{
	struct rs_vcpu *vcpu = file->private_data;

	rs_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations rs_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = rs_vcpu_release,
	.unlocked_ioctl = rs_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = rs_vcpu_mmap,
	.llseek = noop_llseek,
};

/* Only rs_vm_free() calls this, when no fd refers to the VM any more. */
void rs_vcpu_free(struct rs_vcpu *vcpu)
{
	rs_lapic_free(vcpu);
	rs_ops->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->fpu);
	kfree(vcpu->cpuid);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

/* A new vCPU, or ERR_PTR() of why there is none. */
static struct rs_vcpu *rs_vcpu_alloc(struct rs_vm *vm, u32 id)
{
	struct rs_vcpu *vcpu;
	int r = -ENOMEM;

	vcpu = kzalloc(struct_size(vcpu, arch, rs_ops->vcpu_size),
		       GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return ERR_PTR(-ENOMEM);
	vcpu->vm = vm;
	vcpu->vm_spec_id = vm->spec_id;
	vcpu->id = id;
	vcpu->cpu = -1;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->msr_apic_base = rs_apic_base_reset(id);
	vcpu->ev_countdown = 1;		/* the first exit looks for listeners */
	mutex_init(&vcpu->lock);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto err_free;
	if (!fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto err_run;
	r = rs_cpuid_init(vcpu);
	if (r)
		goto err_fpu;
	if (vm->lapic) {
		r = rs_lapic_create(vcpu);
		if (r)
			goto err_cpuid;
	}
	r = rs_ops->vcpu_create(vcpu);
	if (r)
		goto err_lapic;
	/* The VM's exit routing and the hooks', taken before the first entry. */
	if (vm->route)
		set_bit(RS_REQ_ROUTE, &vcpu->requests);
	set_bit(RS_REQ_HOOKS, &vcpu->requests);
	return vcpu;

err_lapic:
	rs_lapic_free(vcpu);
err_cpuid:
	kfree(vcpu->cpuid);
err_fpu:
	fpu_free_guest_fpstate(&vcpu->fpu);
err_run:
	free_page((unsigned long)vcpu->run);
err_free:
	kfree(vcpu);
	return ERR_PTR(r);
}

int rs_create_vcpu(struct rs_vm *vm, unsigned long id)
{
	struct rs_vcpu *vcpu;
	struct file *file;
	unsigned int i;
	int r, fd;

	if (id >= RS_MAX_VCPUS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			goto out;
	vcpu = rs_vcpu_alloc(vm, id);
	if (IS_ERR(vcpu)) {
		r = PTR_ERR(vcpu);
		goto out;
	}
	/*
	 * The fd and its file exist before the vCPU is published: once in
	 * vm->vcpus, other threads (TLB flushes, IPIs, MSIs) may touch it
	 * at any time, so it never leaves again.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_free;
	}
	refcount_inc(&vm->refs);
	file = anon_inode_getfile("ringside-vcpu", &rs_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		refcount_dec(&vm->refs);
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto err_free;
	}

	/* Visible to TLB flushes before it can run. */
	spin_lock(&vm->mmu_lock);
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* Pairs with smp_load_acquire() in lapic.c: a whole vCPU. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	spin_unlock(&vm->mmu_lock);
	fd_install(fd, file);
	r = fd;
	goto out;

err_free:
	rs_vcpu_free(vcpu);
out:
	mutex_unlock(&vm->lock);
	return r;
}
