/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside core: what the core and the SVM/VMX backends share.
 *
 * The core (main.c, vm.c, vcpu.c, mmu.c) validates user input and owns the
 * objects; a backend enters the guest and turns each exit into an
 * arch-neutral reason.  Nothing above struct rs_arch_ops knows a VMCB offset
 * or a VMCS field.
 */
#ifndef RINGSIDE_RS_H
#define RINGSIDE_RS_H

#include <linux/types.h>
#include <linux/ringside.h>

#define RS_NR_MEMSLOTS		32
#define RS_MAX_VCPUS		64
#define RS_MAX_CPUID		256
#define RS_MAX_MSRS		256

/* One backend: AMD SVM (svm.c) or Intel VMX (vmx.c). */
struct rs_arch_ops {
	const char *name;
	u32 cap;		/* RS_CAP_SVM or RS_CAP_VMX */
	u64 hw_features;	/* RS_HW_* found at probe time */

	/* Module load and unload: per-CPU memory the backend needs. */
	int (*setup)(void);
	void (*unsetup)(void);

	/*
	 * Turn virtualization on or off on this CPU, with IRQs off.  Enable
	 * fails with -EBUSY where another hypervisor already has it on.
	 */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);
};

/*
 * Each backend's probe checks the CPU and the firmware settings and returns
 * its table, or an ERR_PTR: -EOPNOTSUPP means "not this vendor" and the
 * other backend is tried; any other error was explained in one dmesg line.
 */
const struct rs_arch_ops *svm_probe(void);
const struct rs_arch_ops *vmx_probe(void);

extern const struct rs_arch_ops *rs_ops;

int rs_hardware_get(void);
void rs_hardware_put(void);

#endif /* RINGSIDE_RS_H */
