/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RINGSIDE_VMX_H
#define RINGSIDE_VMX_H

#include <linux/types.h>

/*
 * vmx_entry.S: one VMLAUNCH (launched false) or VMRESUME with the guest's
 * general registers but RSP in gpr[].  False after a VM exit, true if the
 * instruction failed (VMfailInvalid or VMfailValid): the guest did not run.
 */
bool vmx_vcpu_enter(u64 *gpr, bool launched, u64 *spec_ctrl);

/* Where a VM exit resumes the host (HOST_RIP). */
void vmx_vmexit(void);

/* Run the host's NMI handler for an NMI that caused a VM exit. */
void vmx_do_nmi(void);

#endif /* RINGSIDE_VMX_H */
