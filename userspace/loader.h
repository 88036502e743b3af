/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: kernel loaders.  A loader puts the kernel and what it
 * boots with into guest RAM and says how the boot processor starts.
 */
#ifndef RINGSIDE_LOADER_H
#define RINGSIDE_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/ringside.h>

struct vm;

struct boot_args {
	const char *kernel;		/* its path, as the guest sees it */
	const void *image;		/* the kernel file's contents */
	size_t image_size;
	const char *append;		/* --append, or NULL */
	const char *initrd;		/* --initrd, or NULL */
};

/* multiboot.c: Multiboot 0.6.96 ("v1") kernels, as QEMU's -kernel loads them. */
bool multiboot_detect(const void *image, size_t size);

/*
 * Load the kernel and its modules, write the Multiboot information, and
 * fill @regs for the boot processor (to go with vcpu_enter_flat32()).
 * Returns 0, or -1 after saying why the image cannot be booted.
 */
int multiboot_load(struct vm *vm, const struct boot_args *args,
		   struct rs_regs *regs);

/* bzimage.c: Linux bzImages, boot protocol 2.06 or later, 32-bit entry. */
bool bzimage_detect(const void *image, size_t size);

/*
 * Load the kernel, its command line (@args->append) and its initrd (one
 * file, @args->initrd), write boot_params and a boot GDT, and fill @regs
 * and @gdt for the boot processor (to go with vcpu_enter_flat32()).
 * Returns 0, or -1 after saying why the image cannot be booted.
 */
int bzimage_load(struct vm *vm, const struct boot_args *args,
		 struct rs_regs *regs, struct rs_dtable *gdt);

#endif /* RINGSIDE_LOADER_H */
