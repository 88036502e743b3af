/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the interrupt-remapping half of an Intel VT-d
 * remapping unit (Intel VT-d specification, chapters 5, 6.5 and 10), for
 * guests that want x2APIC: Linux uses x2APIC without a hypervisor it
 * knows only with interrupt remapping.  Documentation/launcher.rst says
 * what it does and what it leaves out.
 */
#ifndef RINGSIDE_IOMMU_H
#define RINGSIDE_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct vm;
struct iommu;

/* Its registers' page, where QEMU's intel-iommu has it. */
#define IOMMU_BASE		0xfed90000ULL

/* The page of registers at IOMMU_BASE; its messages go to vm->deliver. */
struct iommu *iommu_create(struct vm *vm);
void iommu_destroy(struct iommu *iommu);

/*
 * An interrupt request in remappable format with interrupt index @index
 * (an I/O APIC entry's, VT-d 5.1.5.1, or an MSI's, 5.1.2.2): deliver what
 * its interrupt-remapping table entry says, or drop it as the hardware
 * blocks it (remapping off, index out of the table, entry not present or
 * posted).  vm->irq_lock held.
 */
void iommu_remap(struct iommu *iommu, uint32_t index);

/*
 * Whether an interrupt request in compatibility format passes: always
 * without remapping, with it only while the guest allows them (GCMD.CFI).
 * vm->irq_lock held.
 */
bool iommu_compat_passes(const struct iommu *iommu);

#endif /* RINGSIDE_IOMMU_H */
