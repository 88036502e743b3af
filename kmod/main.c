// SPDX-License-Identifier: GPL-2.0
/*
 * ringside: module load and unload, /dev/ringside, and turning SVM/VMX on
 * every CPU on when the first VM is created and off after the last one, so
 * that ringside and KVM can take turns on one machine.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/reboot.h>
#include <linux/syscore_ops.h>
#include <linux/percpu.h>
#include <linux/err.h>

#include "rs.h"
#include "stats.h"

const struct rs_arch_ops *rs_ops;

DEFINE_STATIC_CALL_NULL(rs_op_vcpu_run, *rs_ops->vcpu_run);
DEFINE_STATIC_CALL_NULL(rs_op_get_rip_rflags, *rs_ops->get_rip_rflags);
DEFINE_STATIC_CALL_NULL(rs_op_set_rip_rflags, *rs_ops->set_rip_rflags);
DEFINE_STATIC_CALL_NULL(rs_op_interrupt_allowed, *rs_ops->interrupt_allowed);
DEFINE_STATIC_CALL_NULL(rs_op_get_cpl, *rs_ops->get_cpl);
DEFINE_STATIC_CALL_NULL(rs_op_skip_instruction, *rs_ops->skip_instruction);
bool rs_rebooting;

/*
 * rs_hw_users counts the VMs; it changes only with the CPU hotplug lock
 * read-held, so the hotplug callbacks, which run with it write-held, see a
 * stable value.
 */
static DEFINE_MUTEX(rs_hw_lock);
static unsigned int rs_hw_users;
DEFINE_PER_CPU(bool, rs_hw_on);
static atomic_t rs_hw_failed;
static enum cpuhp_state rs_cpuhp_state;

static void rs_hw_enable_cpu(void *unused)
{
	if (__this_cpu_read(rs_hw_on))
		return;
	if (rs_ops->hardware_enable()) {
		atomic_inc(&rs_hw_failed);
		return;
	}
	__this_cpu_write(rs_hw_on, true);
}

static void rs_hw_disable_cpu(void *unused)
{
	if (!__this_cpu_read(rs_hw_on))
		return;
	rs_ops->hardware_disable();
	__this_cpu_write(rs_hw_on, false);
}

int rs_hardware_get(void)
{
	int r = 0;

	mutex_lock(&rs_hw_lock);
	cpus_read_lock();
	if (rs_hw_users == 0) {
		atomic_set(&rs_hw_failed, 0);
		on_each_cpu(rs_hw_enable_cpu, NULL, 1);
		if (atomic_read(&rs_hw_failed)) {
			on_each_cpu(rs_hw_disable_cpu, NULL, 1);
			r = -EBUSY;
		}
	}
	if (!r)
		rs_hw_users++;
	cpus_read_unlock();
	mutex_unlock(&rs_hw_lock);
	return r;
}

void rs_hardware_put(void)
{
	mutex_lock(&rs_hw_lock);
	cpus_read_lock();
	if (!WARN_ON(!rs_hw_users) && --rs_hw_users == 0)
		on_each_cpu(rs_hw_disable_cpu, NULL, 1);
	cpus_read_unlock();
	mutex_unlock(&rs_hw_lock);
}

/* A CPU coming online joins the others while VMs exist. */
static int rs_cpu_online(unsigned int cpu)
{
	int r = 0;

	if (!rs_hw_users)
		return 0;
	local_irq_disable();
	atomic_set(&rs_hw_failed, 0);
	rs_hw_enable_cpu(NULL);
	if (atomic_read(&rs_hw_failed))
		r = -EBUSY;
	local_irq_enable();
	return r;
}

static int rs_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	rs_hw_disable_cpu(NULL);
	local_irq_enable();
	return 0;
}

/*
 * Reboot and kexec: leave SVM/VMX off, since the next kernel or the
 * firmware may not expect it (a CPU in VMX operation even blocks INIT).
 */
static int rs_reboot(struct notifier_block *nb, unsigned long code, void *p)
{
	/* vCPUs see this before their next entry and stop with EIO. */
	WRITE_ONCE(rs_rebooting, true);
	on_each_cpu(rs_hw_disable_cpu, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block rs_reboot_nb = {
	.notifier_call = rs_reboot,
	.priority = 0,
};

/*
 * Suspend runs with only the boot CPU online (the others went through the
 * hotplug callbacks); firmware resume leaves SVM/VMX off again.
 */
static int rs_suspend(void)
{
	rs_hw_disable_cpu(NULL);
	return 0;
}

static void rs_resume(void)
{
	if (rs_hw_users)
		WARN_ON(rs_cpu_online(smp_processor_id()));
}

static struct syscore_ops rs_syscore_ops = {
	.suspend = rs_suspend,
	.resume = rs_resume,
};

static long rs_check_capability(unsigned long cap)
{
	switch (cap) {
	case RS_CAP_SVM:
	case RS_CAP_VMX:
		return rs_ops->cap == cap;
	case RS_CAP_NESTED_PAGING:
	case RS_CAP_READONLY_MEM:
		return 1;
	case RS_CAP_NR_MEMSLOTS:
		return RS_NR_MEMSLOTS;
	case RS_CAP_MAX_VCPUS:
		return RS_MAX_VCPUS;
	case RS_CAP_RUN_SIZE:
		return PAGE_SIZE;
	case RS_CAP_HW_FEATURES:
		return rs_ops->hw_features;
	case RS_CAP_MAX_CPUID:
		return RS_MAX_CPUID;
	case RS_CAP_XSAVE_SIZE:
		return sizeof(struct rs_fpu);
	case RS_CAP_MITIGATIONS:
		return rs_mitigations;
	case RS_CAP_IOEVENTFD:
		return RS_MAX_IOEVENTFDS;
	case RS_CAP_LAPIC:
		return 1;
	case RS_CAP_IRQFD:
		return RS_MAX_IRQFDS;
	case RS_CAP_EXIT_ROUTE:
		return 1;
	case RS_CAP_GUEST_DEBUG:
		return rs_ops->guest_debug;
	}
	return 0;
}

static long rs_dev_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	switch (cmd) {
	case RS_GET_API_VERSION:
		return arg ? -EINVAL : RS_API_VERSION;
	case RS_CHECK_CAPABILITY:
		return arg > U32_MAX ? -EINVAL : rs_check_capability(arg);
	case RS_CREATE_VM:
		return arg ? -EINVAL : rs_create_vm();
	}
	return -ENOTTY;
}

static const struct file_operations rs_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = rs_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice rs_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ringside",
	.fops = &rs_dev_fops,
	.mode = 0600,
};

static const struct rs_arch_ops *rs_probe(void)
{
	const struct rs_arch_ops *ops;

	ops = svm_probe();
	if (PTR_ERR(ops) != -EOPNOTSUPP)
		return ops;
	ops = vmx_probe();
	if (PTR_ERR(ops) != -EOPNOTSUPP)
		return ops;
	pr_info("this CPU has neither VMX nor SVM\n");
	return ERR_PTR(-ENODEV);
}

static int __init rs_init(void)
{
	int r;

	rs_ops = rs_probe();
	if (IS_ERR(rs_ops))
		return PTR_ERR(rs_ops);
	static_call_update(rs_op_vcpu_run, rs_ops->vcpu_run);
	static_call_update(rs_op_get_rip_rflags, rs_ops->get_rip_rflags);
	static_call_update(rs_op_set_rip_rflags, rs_ops->set_rip_rflags);
	static_call_update(rs_op_interrupt_allowed, rs_ops->interrupt_allowed);
	static_call_update(rs_op_get_cpl, rs_ops->get_cpl);
	static_call_update(rs_op_skip_instruction, rs_ops->skip_instruction);
	/* A vCPU has counters for RS_MAX_EXIT_STATS exit names (stats.h). */
	r = rs_exit_table_init(rs_ops->exits);
	if (r)
		return r;

	r = rs_spec_init(rs_ops->cap == RS_CAP_VMX);
	if (r)
		return r;
	r = rs_ops->setup();
	if (r)
		goto err_spec;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "ringside:online",
				      rs_cpu_online, rs_cpu_offline);
	if (r < 0)
		goto err_unsetup;
	rs_cpuhp_state = r;

	register_reboot_notifier(&rs_reboot_nb);
	register_syscore_ops(&rs_syscore_ops);

	/* Before /dev/ringside: VMs report to it from their creation on. */
	r = rs_netlink_init();
	if (r)
		goto err_unregister;
	r = misc_register(&rs_dev);
	if (r)
		goto err_netlink;
	return 0;

err_netlink:
	rs_netlink_exit();
err_unregister:
	unregister_syscore_ops(&rs_syscore_ops);
	unregister_reboot_notifier(&rs_reboot_nb);
	cpuhp_remove_state_nocalls(rs_cpuhp_state);
err_unsetup:
	rs_ops->unsetup();
err_spec:
	rs_spec_cleanup();
	return r;
}

static void __exit rs_exit(void)
{
	misc_deregister(&rs_dev);
	rs_netlink_exit();
	rs_hooks_exit();
	unregister_syscore_ops(&rs_syscore_ops);
	unregister_reboot_notifier(&rs_reboot_nb);
	cpuhp_remove_state_nocalls(rs_cpuhp_state);
	rs_ops->unsetup();
	rs_spec_cleanup();
}

module_init(rs_init);
module_exit(rs_exit);

MODULE_DESCRIPTION("ringside: a hybrid hypervisor for AMD SVM and Intel VMX");
MODULE_LICENSE("GPL");
