// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: guest virtual addresses to guest-physical ones, by a
 * walk of the guest's page tables in guest RAM (gva.h).  Only what decides
 * where an address goes is looked at: present bits, page-size bits and the
 * address fields.  The module has its own walk (kmod/gva.c) for the
 * instructions it emulates; this one serves the debugger, which needs no
 * permission checks and sets no accessed bits.
 */
#include <string.h>

#include "gva.h"
#include "util.h"
#include "vm.h"

#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LMA	(1ULL << 10)

#define PTE_P		(1ULL << 0)
#define PTE_PS		(1ULL << 7)
/* Bits 51:12 of an entry of PAE or long-mode paging: the next table or page. */
#define PTE_ADDR	0x000ffffffffff000ULL

void gva_mmu_from_sregs(struct gva_mmu *mmu, const struct rs_sregs *sregs)
{
	mmu->cr0 = sregs->cr0;
	mmu->cr3 = sregs->cr3;
	mmu->cr4 = sregs->cr4;
	mmu->efer = sregs->efer;
}

/* SDM vol. 3A, 4.1.1 "Four Paging Modes" and its table of CR0, CR4, EFER. */
enum gva_mode gva_mode(const struct gva_mmu *mmu)
{
	if (!(mmu->cr0 & CR0_PG))
		return GVA_NO_PAGING;
	if (mmu->efer & EFER_LMA)
		return mmu->cr4 & CR4_LA57 ? GVA_LONG5 : GVA_LONG4;
	return mmu->cr4 & CR4_PAE ? GVA_PAE : GVA_32BIT;
}

/* A paging-structure entry of @size bytes at guest-physical @gpa. */
static int read_entry(struct vm *vm, uint64_t gpa, unsigned int size,
		      uint64_t *entry)
{
	const void *p = vm_guest_ptr(vm, gpa, size);
	uint32_t e32;

	if (!p)
		return -1;
	if (size == 4) {
		memcpy(&e32, p, 4);
		*entry = e32;
	} else {
		memcpy(entry, p, 8);
	}
	return 0;
}

/*
 * 32-bit paging (SDM vol. 3A, 4.3): a page directory of 1024 entries at
 * CR3, each a page table or, with CR4.PSE and PS, a 4 MiB page whose
 * physical address bits 39:32 are PDE bits 20:13 (PSE-36).
 */
static int walk_32bit(struct vm *vm, const struct gva_mmu *mmu, uint32_t gva,
		      uint64_t *gpa, uint64_t *page_size)
{
	uint64_t pde, pte;

	if (read_entry(vm, (mmu->cr3 & 0xfffff000) + (gva >> 22) * 4, 4,
		       &pde) < 0 || !(pde & PTE_P))
		return -1;
	if ((pde & PTE_PS) && (mmu->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xffc00000) | ((pde >> 13) & 0xff) << 32 |
		       (gva & 0x3fffff);
		*page_size = 4 * MiB;
		return 0;
	}
	if (read_entry(vm, (pde & 0xfffff000) + ((gva >> 12) & 0x3ff) * 4, 4,
		       &pte) < 0 || !(pte & PTE_P))
		return -1;
	*gpa = (pte & 0xfffff000) | (gva & 0xfff);
	*page_size = 4 * KiB;
	return 0;
}

/*
 * PAE and long-mode paging share their entries' format: 8 bytes, 512 to a
 * table, 9 bits of the address each.  @levels tables from @table, the
 * top one indexed from bit @top_shift; PS makes a page at the PDPT
 * (1 GiB, long mode only) and PD (2 MiB) levels.
 */
static int walk_8byte(struct vm *vm, uint64_t table, unsigned int levels,
		      bool pdpt_pages, uint64_t gva, uint64_t *gpa,
		      uint64_t *page_size)
{
	unsigned int shift = 12 + 9 * (levels - 1);
	uint64_t entry;

	for (;; shift -= 9) {
		uint64_t index = (gva >> shift) & 0x1ff;
		uint64_t size = 1ULL << shift;

		if (read_entry(vm, table + index * 8, 8, &entry) < 0 ||
		    !(entry & PTE_P))
			return -1;
		if (shift == 12 ||
		    ((entry & PTE_PS) && (shift == 21 ||
					  (shift == 30 && pdpt_pages)))) {
			*gpa = (entry & PTE_ADDR & ~(size - 1)) |
			       (gva & (size - 1));
			*page_size = size;
			return 0;
		}
		table = entry & PTE_ADDR;
	}
}

/*
 * PAE paging (SDM vol. 3A, 4.4): CR3 bits 31:5 point at 4 PDPTEs.  The CPU
 * loads them into registers when CR3 is written; the walk reads them from
 * memory, which is the same unless the guest changed them since without
 * reloading CR3.
 */
static int walk_pae(struct vm *vm, const struct gva_mmu *mmu, uint32_t gva,
		    uint64_t *gpa, uint64_t *page_size)
{
	uint64_t pdpte;

	if (read_entry(vm, (mmu->cr3 & 0xffffffe0) + (gva >> 30) * 8, 8,
		       &pdpte) < 0 || !(pdpte & PTE_P))
		return -1;
	return walk_8byte(vm, pdpte & PTE_ADDR, 2, false, gva, gpa, page_size);
}

/* Bits 63:N+1 all equal to bit N (SDM vol. 3A, 3.3.7.1). */
static bool canonical(uint64_t gva, unsigned int bits)
{
	int64_t s = (int64_t)(gva << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == gva;
}

int gva_translate(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		  uint64_t *gpa, uint64_t *page_size)
{
	enum gva_mode mode = gva_mode(mmu);

	/* Outside long mode linear addresses have 32 bits. */
	if (mode != GVA_LONG4 && mode != GVA_LONG5 && gva > UINT32_MAX)
		return -1;
	switch (mode) {
	case GVA_NO_PAGING:
		*gpa = gva;
		*page_size = 4 * KiB;
		return 0;
	case GVA_32BIT:
		return walk_32bit(vm, mmu, gva, gpa, page_size);
	case GVA_PAE:
		return walk_pae(vm, mmu, gva, gpa, page_size);
	case GVA_LONG4:
		if (!canonical(gva, 48))
			return -1;
		return walk_8byte(vm, mmu->cr3 & PTE_ADDR, 4, true, gva, gpa,
				  page_size);
	case GVA_LONG5:
		if (!canonical(gva, 57))
			return -1;
		return walk_8byte(vm, mmu->cr3 & PTE_ADDR, 5, true, gva, gpa,
				  page_size);
	}
	return -1;
}

/*
 * The host address of the part of [@gva, @gva + @len) that lies in @gva's
 * 4 KiB page (a large page is physically contiguous, but RAM may end in
 * it): how many bytes in *@chunk, or NULL.
 */
static void *gva_chunk(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		       size_t len, size_t *chunk)
{
	uint64_t gpa, page_size;

	*chunk = MIN(len, 4 * KiB - (gva & 0xfff));
	if (gva_translate(vm, mmu, gva, &gpa, &page_size) < 0)
		return NULL;
	return vm_guest_ptr(vm, gpa, *chunk);
}

size_t gva_read(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		void *buf, size_t len)
{
	size_t done = 0, chunk;
	void *p;

	while (done < len) {
		p = gva_chunk(vm, mmu, gva + done, len - done, &chunk);
		if (!p)
			break;
		memcpy((uint8_t *)buf + done, p, chunk);
		done += chunk;
	}
	return done;
}

int gva_write(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
	      const void *buf, size_t len)
{
	size_t done, chunk;
	void *p;

	/* Every page first: a write that cannot be done whole is not begun. */
	for (done = 0; done < len; done += chunk)
		if (!gva_chunk(vm, mmu, gva + done, len - done, &chunk))
			return -1;
	for (done = 0; done < len; done += chunk) {
		p = gva_chunk(vm, mmu, gva + done, len - done, &chunk);
		memcpy(p, (const uint8_t *)buf + done, chunk);
	}
	return 0;
}
