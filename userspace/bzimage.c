// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the Linux/x86 boot protocol (Documentation/x86/boot.rst
 * of the kernel source, version 2.06 and later), entered through its 32-bit
 * entry point ("32-bit Boot Protocol"):
 *
 *  - the setup header sits at offset 0x1f1 of the image and ends at
 *    0x202 + the byte at 0x201; it is copied into a zeroed boot_params
 *    ("zero page", Documentation/x86/zero-page.rst) and filled in there;
 *  - the protected-mode kernel follows the (setup_sects + 1) 512-byte
 *    sectors of real-mode code and is loaded at 1 MiB (LOADED_HIGH), where
 *    code32_start points; a relocatable kernel moves itself from there;
 *  - the initrd goes as high as it can below initrd_addr_max and the end
 *    of RAM under the PCI hole, page aligned;
 *  - the memory map is the e820 table of the zero page;
 *  - the CPU starts in flat 32-bit protected mode without paging, with a
 *    GDT holding __BOOT_CS (0x10) and __BOOT_DS (0x18), interrupts off,
 *    ESI = boot_params, EBP = EDI = EBX = 0.
 *
 * Where things go in guest memory (all below 1 MiB is otherwise unused:
 * there is no BIOS):
 *
 *   0x01000  the boot GDT
 *   0x07000  boot_params
 *   0x20000  the command line
 *   0x9fc00  the EBDA's last KiB, reserved (the MP table lives there,
 *            see mptable.c)
 *   0xf0000  the BIOS area, reserved
 *   1 MiB    the kernel
 */
#include <asm/bootparam.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "pci.h"
#include "util.h"
#include "vm.h"

#define BZ_HDR_OFFSET		0x1f1
#define BZ_HDR_MAGIC		0x53726448	/* "HdrS" at 0x202 */
#define BZ_BOOT_FLAG		0xaa55		/* at 0x1fe */
#define BZ_MIN_VERSION		0x0206		/* cmdline_size is there */
#define BZ_LOADER_UNDEFINED	0xff		/* type_of_loader: "other" */

#define BZ_GDT_ADDR		0x1000ULL
#define BZ_PARAMS_ADDR		0x7000ULL
#define BZ_CMDLINE_ADDR		0x20000ULL
#define BZ_CMDLINE_MAX		0x10000ULL	/* up to the 64 KiB past it */
#define BZ_KERNEL_ADDR		0x100000ULL
/* heap_end_ptr is relative to the real-mode code, which we do not run. */
#define BZ_HEAP_END		0xfe00

#define LOWER_MEM_END		0x9fc00ULL
#define BIOS_AREA		0xf0000ULL
#define HIGH_MEM_START		0x100000ULL

#define E820_RAM		1
#define E820_RESERVED		2

/* GDT descriptors for a flat 4 GiB segment (SDM vol. 3A, 3.4.5). */
#define GDT_CODE32		0x00cf9b000000ffffULL	/* exec/read, accessed */
#define GDT_DATA32		0x00cf93000000ffffULL	/* read/write, accessed */

static const struct setup_header *bz_header(const void *image, size_t size)
{
	const uint8_t *p = image;

	if (size < BZ_HDR_OFFSET + sizeof(struct setup_header))
		return NULL;
	return (const struct setup_header *)(p + BZ_HDR_OFFSET);
}

bool bzimage_detect(const void *image, size_t size)
{
	const struct setup_header *h = bz_header(image, size);

	return h && h->header == BZ_HDR_MAGIC && h->boot_flag == BZ_BOOT_FLAG;
}

/* Only a bzImage this loader can start: new enough, loaded high. */
static int bz_check(const char *kernel, const struct setup_header *h,
		    size_t image_size, uint64_t *setup_size)
{
	unsigned int sects = h->setup_sects ? h->setup_sects : 4;

	if (h->version < BZ_MIN_VERSION) {
		pr_err("%s: boot protocol %u.%02u; ringside needs 2.06 or later",
		       kernel, h->version >> 8, h->version & 0xff);
		return -1;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		pr_err("%s: a zImage (loaded low); only bzImages boot", kernel);
		return -1;
	}
	*setup_size = (sects + 1) * 512ULL;
	if (*setup_size >= image_size) {
		pr_err("%s: the image ends inside its setup code", kernel);
		return -1;
	}
	return 0;
}

/* The e820 map, as multiboot.c gives it: no firmware, so few holes. */
static void bz_e820_add(struct boot_params *bp, uint64_t addr, uint64_t size,
			uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void bz_build_e820(struct vm *vm, struct boot_params *bp)
{
	bz_e820_add(bp, 0, LOWER_MEM_END, E820_RAM);
	bz_e820_add(bp, LOWER_MEM_END, 0xa0000 - LOWER_MEM_END, E820_RESERVED);
	bz_e820_add(bp, BIOS_AREA, HIGH_MEM_START - BIOS_AREA, E820_RESERVED);
	bz_e820_add(bp, HIGH_MEM_START, vm->low_size - HIGH_MEM_START, E820_RAM);
	/* Linux uses the MCFG's ECAM only where the e820 map reserves it. */
	bz_e820_add(bp, PCI_ECAM_BASE, PCI_ECAM_SIZE, E820_RESERVED);
	if (vm->high_size)
		bz_e820_add(bp, VM_HIGH_RAM_START, vm->high_size, E820_RAM);
}

static int bz_load_cmdline(struct vm *vm, const struct boot_args *args,
			   struct boot_params *bp)
{
	const char *cmdline = args->append ? args->append : "";
	size_t len = strlen(cmdline);
	uint64_t max = MIN((uint64_t)bp->hdr.cmdline_size, BZ_CMDLINE_MAX - 1);
	char *dst;

	if (len > max) {
		pr_err("%s: the command line is %zu bytes; the kernel takes "
		       "at most %llu", args->kernel, len,
		       (unsigned long long)max);
		return -1;
	}
	dst = vm_guest_ptr(vm, BZ_CMDLINE_ADDR, len + 1);
	if (!dst)
		return -1;
	memcpy(dst, cmdline, len + 1);
	bp->hdr.cmd_line_ptr = BZ_CMDLINE_ADDR;
	return 0;
}

/*
 * The initrd goes at the top of RAM below the PCI hole and below
 * initrd_addr_max (boot.rst: "the highest address that may be occupied by
 * the initial ramdisk"), page aligned, above the kernel's own memory.
 */
static int bz_load_initrd(struct vm *vm, const struct boot_args *args,
			  struct boot_params *bp, uint64_t kernel_end)
{
	uint64_t size, top, addr;
	void *dst;

	if (!args->initrd)
		return 0;
	if (file_size(args->initrd, &size) < 0)
		return -1;
	top = MIN(vm->low_size, (uint64_t)bp->hdr.initrd_addr_max + 1);
	if (size > top || ((top - size) & ~(PAGE_SIZE - 1)) < kernel_end) {
		pr_err("%s: the initrd (%llu KiB) does not fit between the "
		       "kernel and %#llx; try a larger --mem", args->initrd,
		       (unsigned long long)(size >> 10),
		       (unsigned long long)top);
		return -1;
	}
	addr = (top - size) & ~(PAGE_SIZE - 1);
	dst = vm_guest_ptr(vm, addr, size);
	if (!dst || read_file_into(args->initrd, dst, size) < 0)
		return -1;
	bp->hdr.ramdisk_image = addr;
	bp->hdr.ramdisk_size = size;
	return 0;
}

/*
 * The decompressed kernel needs init_size bytes from where it runs: its
 * load address, or for a relocatable kernel (2.10+) loaded below it, its
 * pref_address.  Nothing else may go there.
 */
static uint64_t bz_kernel_end(const struct setup_header *h, uint64_t len)
{
	uint64_t run_at = BZ_KERNEL_ADDR;

	if (h->version >= 0x020a && h->relocatable_kernel &&
	    h->pref_address > run_at)
		run_at = h->pref_address;
	return MAX(BZ_KERNEL_ADDR + len, run_at + h->init_size);
}

static int bz_load_kernel(struct vm *vm, const struct boot_args *args,
			  const struct setup_header *h, uint64_t setup_size,
			  uint64_t *kernel_end)
{
	uint64_t len = args->image_size - setup_size;
	uint8_t *dst;

	*kernel_end = bz_kernel_end(h, len);
	dst = vm_guest_ptr(vm, BZ_KERNEL_ADDR, *kernel_end - BZ_KERNEL_ADDR);
	if (!dst) {
		pr_err("%s: the kernel needs RAM up to %llu MiB; try a larger "
		       "--mem", args->kernel,
		       (unsigned long long)((*kernel_end + MiB - 1) >> 20));
		return -1;
	}
	memcpy(dst, (const uint8_t *)args->image + setup_size, len);
	return 0;
}

static void bz_write_gdt(struct vm *vm, struct rs_dtable *gdt)
{
	uint64_t *d = vm_guest_ptr(vm, BZ_GDT_ADDR, 4 * sizeof(*d));

	d[0] = 0;
	d[1] = 0;
	d[2] = GDT_CODE32;	/* 0x10: __BOOT_CS */
	d[3] = GDT_DATA32;	/* 0x18: __BOOT_DS */
	*gdt = (struct rs_dtable){ .base = BZ_GDT_ADDR,
				   .limit = 4 * sizeof(*d) - 1 };
}

int bzimage_load(struct vm *vm, const struct boot_args *args,
		 struct rs_regs *regs, struct rs_dtable *gdt)
{
	const struct setup_header *h = bz_header(args->image, args->image_size);
	const uint8_t *image = args->image;
	uint64_t setup_size, kernel_end;
	struct boot_params *bp;
	size_t hdr_len;

	if (!h || bz_check(args->kernel, h, args->image_size, &setup_size))
		return -1;
	if (vm->low_size < 16 * MiB) {
		pr_err("%s: Linux needs more RAM; try --mem 128M or more",
		       args->kernel);
		return -1;
	}
	bp = vm_guest_ptr(vm, BZ_PARAMS_ADDR, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	hdr_len = 0x202 + image[0x201] - BZ_HDR_OFFSET;
	memcpy(&bp->hdr, h, MIN(hdr_len, sizeof(bp->hdr)));

	bp->hdr.type_of_loader = BZ_LOADER_UNDEFINED;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.loadflags &= ~KEEP_SEGMENTS;
	bp->hdr.heap_end_ptr = BZ_HEAP_END;
	bp->hdr.code32_start = BZ_KERNEL_ADDR;
	bp->hdr.vid_mode = 0xffff;		/* "normal", no mode change */
	bz_build_e820(vm, bp);

	if (bz_load_kernel(vm, args, h, setup_size, &kernel_end) ||
	    bz_load_cmdline(vm, args, bp) ||
	    bz_load_initrd(vm, args, bp, kernel_end))
		return -1;
	bz_write_gdt(vm, gdt);

	memset(regs, 0, sizeof(*regs));
	regs->rip = BZ_KERNEL_ADDR;
	regs->rsi = BZ_PARAMS_ADDR;
	regs->rflags = 0x2;			/* IF clear */
	return 0;
}
