/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: guest virtual addresses (gva.c).  A debugger names
 * guest memory by the addresses the guest's code uses: linear addresses,
 * which the vCPU's page tables map to guest-physical ones.  gva.c walks
 * those tables in user space, in guest RAM as the launcher maps it, the
 * way the CPU would for a supervisor read (Intel SDM vol. 3A, chapter 4
 * "Paging"; AMD APM vol. 2, 5.3 "Long-Mode Page Translation").
 */
#ifndef RINGSIDE_GVA_H
#define RINGSIDE_GVA_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ringside.h>

struct vm;

/* What chooses the paging mode and the tables: from struct rs_sregs. */
struct gva_mmu {
	uint64_t cr0, cr3, cr4, efer;
};

enum gva_mode {
	GVA_NO_PAGING,		/* CR0.PG clear: linear is physical, 32 bits */
	GVA_32BIT,		/* CR4.PAE clear: 2 levels, 4 MiB pages with PSE */
	GVA_PAE,		/* PDPT of 4, 2 MiB pages */
	GVA_LONG4,		/* EFER.LMA: 4 levels, 2 MiB and 1 GiB pages */
	GVA_LONG5,		/* ... and CR4.LA57: 5 levels */
};

void gva_mmu_from_sregs(struct gva_mmu *mmu, const struct rs_sregs *sregs);
enum gva_mode gva_mode(const struct gva_mmu *mmu);

/*
 * The guest-physical address @gva maps to, and the size of the page that
 * maps it (4 KiB, 2 or 4 MiB, 1 GiB; 4 KiB without paging).  -1 if it maps
 * to nothing: a not-present entry, a table outside RAM, a non-canonical
 * address, or one above 4 GiB outside long mode.  Accessed and dirty bits
 * are left as they are, and permissions are not checked: a debugger reads
 * and writes what the guest's kernel could.
 */
int gva_translate(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		  uint64_t *gpa, uint64_t *page_size);

/*
 * Read @len bytes at @gva into @buf, a page at a time: returns how many
 * were read before the first that is unmapped or not RAM (MMIO is not
 * touched: a read there would be a device's access).
 */
size_t gva_read(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		void *buf, size_t len);

/* Write @len bytes at @gva: all of them (0), or none if any is unmapped (-1). */
int gva_write(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
	      const void *buf, size_t len);

#endif /* RINGSIDE_GVA_H */
