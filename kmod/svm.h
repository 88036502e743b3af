/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RINGSIDE_SVM_H
#define RINGSIDE_SVM_H

#include <linux/types.h>

/* svm_entry.S: one VMRUN, with the guest's general registers in gpr[]. */
void svm_vmrun(u64 *gpr, unsigned long vmcb_pa, unsigned long host_pa,
	       u64 *spec_ctrl);

#endif /* RINGSIDE_SVM_H */
