// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the guest page-table walk (gva.c), over synthetic page
 * tables in each paging mode.
 */
#include <string.h>

#include "../gva.h"
#include "../util.h"
#include "unit.h"

#define CR0_PE		(1ULL << 0)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define P		1ULL
#define PS		(1ULL << 7)

/* --- The page-table walk ------------------------------------------- */

static void put32(struct vm *vm, uint64_t gpa, uint32_t v)
{
	memcpy(vm->ram + gpa, &v, 4);
}

static void put64(struct vm *vm, uint64_t gpa, uint64_t v)
{
	memcpy(vm->ram + gpa, &v, 8);
}

/* The translation of @gva, ~0 if unmapped; its page size in *@size. */
static uint64_t xlate(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		      uint64_t *size)
{
	uint64_t gpa, page_size = 0;

	if (gva_translate(vm, mmu, gva, &gpa, &page_size) < 0)
		gpa = ~0ULL;
	if (size)
		*size = page_size;
	return gpa;
}

static void test_walk_no_paging(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE, .cr3 = 0x12345000 };
	uint64_t size;

	CHECK(gva_mode(&mmu) == GVA_NO_PAGING);
	CHECK(xlate(vm, &mmu, 0x1234, &size) == 0x1234 && size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0xffffffff, NULL) == 0xffffffff);
	CHECK(xlate(vm, &mmu, 0x100000000ULL, NULL) == ~0ULL);
	/* CR4.PAE and EFER.LME without CR0.PG change nothing. */
	mmu.cr4 = CR4_PAE;
	mmu.efer = EFER_LME;
	CHECK(gva_mode(&mmu) == GVA_NO_PAGING);
	CHECK(xlate(vm, &mmu, 0x5000, NULL) == 0x5000);
}

/* 32-bit paging: PD at 0x10000, a PT at 0x11000. */
static void test_walk_32bit(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x10000 };
	uint64_t size;

	put32(vm, 0x10000 + 1 * 4, 0x11000 | P);		/* 0x00400000 */
	put32(vm, 0x11000 + 5 * 4, 0x200000 | P | 0x60);	/* A, D bits */
	put32(vm, 0x11000 + 6 * 4, 0x201000);			/* not present */
	put32(vm, 0x10000 + 0x200 * 4, 0x00c00000 | PS | P);	/* 0x80000000 */
	/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
	put32(vm, 0x10000 + 0x201 * 4, 0x00400000 | 3 << 13 | PS | P);

	CHECK(gva_mode(&mmu) == GVA_32BIT);
	CHECK(xlate(vm, &mmu, 0x00405123, &size) == 0x200123 &&
	      size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0x00406000, NULL) == ~0ULL);
	CHECK(xlate(vm, &mmu, 0x00800000, NULL) == ~0ULL);	/* PDE 2 */
	CHECK(xlate(vm, &mmu, 0x100000000ULL, NULL) == ~0ULL);
	/* Without CR4.PSE, PS is ignored: a page table at 0xc00000. */
	CHECK(xlate(vm, &mmu, 0x80012345, NULL) == ~0ULL);
	mmu.cr4 = CR4_PSE;
	CHECK(xlate(vm, &mmu, 0x80012345, &size) == 0xc12345 &&
	      size == 4 * MiB);
	CHECK(xlate(vm, &mmu, 0x80400010, NULL) == 0x300400010ULL);
	/* CR3's low 12 bits are flags. */
	mmu.cr3 = 0x10018;
	CHECK(xlate(vm, &mmu, 0x00405123, NULL) == 0x200123);
}

/* PAE: PDPT at 0x20000, PDs at 0x21000 and 0x23000, a PT at 0x22000. */
static void test_walk_pae(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE,
			       .cr3 = 0x20000 };
	uint64_t size;

	put64(vm, 0x20000 + 0 * 8, 0x21000 | P);
	put64(vm, 0x20000 + 3 * 8, 0x23000 | P);
	put64(vm, 0x21000 + 0 * 8, 0x22000 | P);
	put64(vm, 0x21000 + 1 * 8, 0x400000 | PS | P | (1ULL << 63));	/* NX */
	put64(vm, 0x22000 + 3 * 8, 0x300000 | P);
	put64(vm, 0x23000 + 511 * 8, 0x1e00000 | PS | P);

	CHECK(gva_mode(&mmu) == GVA_PAE);
	CHECK(xlate(vm, &mmu, 0x3abc, &size) == 0x300abc && size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0x201234, &size) == 0x401234 && size == 2 * MiB);
	CHECK(xlate(vm, &mmu, 0xffe00005, NULL) == 0x1e00005);
	CHECK(xlate(vm, &mmu, 0x4000, NULL) == ~0ULL);		/* PTE 4 */
	CHECK(xlate(vm, &mmu, 0x40000000, NULL) == ~0ULL);	/* PDPTE 1 */
	CHECK(xlate(vm, &mmu, 0x100000000ULL, NULL) == ~0ULL);
	/* CR3 bits 31:5 point at the PDPT. */
	put64(vm, 0x20020, 0x21000 | P);
	mmu.cr3 = 0x20020;
	CHECK(xlate(vm, &mmu, 0x3abc, NULL) == 0x300abc);
}

/*
 * Long mode: PML4 at 0x30000; PDPT 0x31000, PD 0x32000, PT 0x33000 for
 * the bottom; PDPT 0x34000 and PD 0x35000 for -2 GiB; PDPT 0x36000 for
 * 0x0000800000000000, canonical with 5 levels only.  PML5 at 0x38000.
 */
static void test_walk_long(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE,
			       .efer = EFER_LME | EFER_LMA, .cr3 = 0x30000 };
	uint8_t buf[16];
	uint64_t size;

	put64(vm, 0x30000 + 0 * 8, 0x31000 | P);
	put64(vm, 0x30000 + 256 * 8, 0x36000 | P);
	put64(vm, 0x30000 + 511 * 8, 0x34000 | P);
	put64(vm, 0x31000 + 0 * 8, 0x32000 | P);
	put64(vm, 0x31000 + 1 * 8, 0x40000000 | PS | P);	/* 1 GiB */
	put64(vm, 0x32000 + 0 * 8, 0x33000 | P);
	put64(vm, 0x32000 + 1 * 8, 0x600000 | PS | P);	/* 2 MiB */
	put64(vm, 0x33000 + 1 * 8, 0x500000 | P);
	put64(vm, 0x33000 + 2 * 8, 0x501000);		/* not present */
	put64(vm, 0x34000 + 510 * 8, 0x35000 | P);
	put64(vm, 0x35000 + 0 * 8, 0x800000 | PS | P);
	put64(vm, 0x36000 + 0 * 8, 0x80000000 | PS | P);
	put64(vm, 0x38000 + 0 * 8, 0x30000 | P);

	CHECK(gva_mode(&mmu) == GVA_LONG4);
	CHECK(xlate(vm, &mmu, 0x1008, &size) == 0x500008 && size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0x200010, &size) == 0x600010 && size == 2 * MiB);
	CHECK(xlate(vm, &mmu, 0x40123456, &size) == 0x40123456 &&
	      size == GiB);
	CHECK(xlate(vm, &mmu, 0xffffffff80000042ULL, NULL) == 0x800042);
	CHECK(xlate(vm, &mmu, 0x2000, NULL) == ~0ULL);		/* PTE 2 */
	CHECK(xlate(vm, &mmu, 0x80000000, NULL) == ~0ULL);	/* PDPTE 2 */
	CHECK(xlate(vm, &mmu, 0x0000008000000000ULL, NULL) == ~0ULL);
	/* Not canonical with 48 bits. */
	CHECK(xlate(vm, &mmu, 0x0000800000000abcULL, NULL) == ~0ULL);
	CHECK(xlate(vm, &mmu, 0x8000000000001008ULL, NULL) == ~0ULL);

	/* Reads stop at the first byte not mapped; writes are all or none. */
	memcpy(vm->ram + 0x500008, "hello", 5);
	CHECK(gva_read(vm, &mmu, 0x1008, buf, 5) == 5 &&
	      !memcmp(buf, "hello", 5));
	CHECK(gva_read(vm, &mmu, 0x1ff8, buf, 16) == 8);
	CHECK(gva_read(vm, &mmu, 0x2000, buf, 16) == 0);
	memset(vm->ram + 0x500ff8, 0x11, 8);
	memset(buf, 0x22, sizeof(buf));
	CHECK(gva_write(vm, &mmu, 0x1ff8, buf, 16) < 0);
	CHECK(vm->ram[0x500ff8] == 0x11 && vm->ram[0x500fff] == 0x11);
	CHECK(gva_write(vm, &mmu, 0x1ffc, buf, 4) == 0);
	CHECK(vm->ram[0x500ffb] == 0x11 && vm->ram[0x500ffc] == 0x22);
	/* A page mapped past the end of RAM reads as not mapped. */
	CHECK(gva_read(vm, &mmu, 0x40000000, buf, 4) == 0);

	/* Five levels: PML5 entry 0 is the same PML4. */
	mmu.cr4 |= CR4_LA57;
	mmu.cr3 = 0x38000;
	CHECK(gva_mode(&mmu) == GVA_LONG5);
	CHECK(xlate(vm, &mmu, 0x1008, NULL) == 0x500008);
	CHECK(xlate(vm, &mmu, 0x0000800000000abcULL, &size) == 0x80000abc &&
	      size == GiB);
	CHECK(xlate(vm, &mmu, 0x0001000000000000ULL, NULL) == ~0ULL);
	/* Canonical with 57 bits only: bits 63:57 equal to bit 56. */
	CHECK(xlate(vm, &mmu, 0x0100000000000000ULL, NULL) == ~0ULL);
	CHECK(xlate(vm, &mmu, 0xffffffff80000042ULL, NULL) == ~0ULL);
}

void test_gva_walk(void)
{
	struct vm *vm = ram_vm(32 * MiB);

	test_walk_no_paging(vm);
	test_walk_32bit(vm);
	test_walk_pae(vm);
	test_walk_long(vm);
	free_vm(vm);
}
