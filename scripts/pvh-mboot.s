/*
 * Multiboot-to-PVH shim, so Bochs can boot the *uncompressed* Debian kernel.
 *
 * Under Bochs the bzImage's XZ decompressor alone takes about 55 s of a
 * 80 s boot.  The Debian kernel also has a PVH entry point (the one QEMU
 * uses with -kernel vmlinux), which needs no decompression.  scripts/vm-run
 * builds a Multiboot "a.out kludge" image: this page, loaded at
 * KERNEL_PADDR - 4096, followed by the flat vmlinux (objcopy -O binary),
 * and boots it with syslinux's mboot.c32, the initramfs as the module.
 *
 * Here, in 32-bit protected mode without paging (what both Multiboot and
 * PVH specify), the Multiboot info is turned into a struct hvm_start_info
 * (xen/include/public/arch-x86/hvm/start_info.h, version 1, with the
 * memory map) and the kernel's PVH entry is called with %ebx pointing to it.
 * The RSDP is left 0: Linux then scans the BIOS area for it.
 *
 * Assembled by scripts/vm-run: as --32 --defsym BASE=... --defsym LOAD_END=...
 *		   --defsym BSS_END=... --defsym PVH_ENTRY=...
 */
	.code32
	.text

	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0x00010003	/* page-aligned modules, memory map, a.out kludge */

header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	(header - header + BASE)		/* header_addr */
	.long	BASE			/* load_addr */
	.long	LOAD_END		/* load_end_addr */
	.long	BSS_END			/* bss_end_addr: kernel's _end */
	.long	(entry - header + BASE)		/* entry_addr */

entry:	/* %ebx: struct multiboot_info */
	cld
	mov	$(start_info - header + BASE), %ebp

	xor	%eax, %eax		/* cmdline, if flags bit 2 */
	testl	$4, 0(%ebx)
	jz	1f
	mov	16(%ebx), %eax
1:	mov	%eax, 24(%ebp)

	xor	%ecx, %ecx		/* modules, if flags bit 3 */
	testl	$8, 0(%ebx)
	jz	3f
	mov	20(%ebx), %ecx
	cmp	$MAX_MODS, %ecx
	jbe	2f
	mov	$MAX_MODS, %ecx
2:	mov	24(%ebx), %esi
3:	mov	%ecx, 12(%ebp)
	mov	$(modlist - header + BASE), %edi
4:	test	%ecx, %ecx		/* {mod_start, mod_end, string, 0} -> */
	jz	5f			/* {u64 paddr, u64 size, u64 cmdline, u64 0} */
	mov	0(%esi), %eax
	mov	%eax, 0(%edi)
	mov	4(%esi), %eax
	sub	0(%esi), %eax
	mov	%eax, 8(%edi)
	add	$16, %esi
	add	$32, %edi
	dec	%ecx
	jmp	4b

5:	xor	%edx, %edx		/* memory map, if flags bit 6 */
	testl	$0x40, 0(%ebx)
	jz	7f
	mov	48(%ebx), %esi		/* mmap_addr */
	mov	44(%ebx), %ecx		/* mmap_length */
	add	%esi, %ecx
	mov	$(memmap - header + BASE), %edi
6:	cmp	%ecx, %esi		/* {u32 size, u64 addr, u64 len, u32 type} -> */
	jae	7f			/* {u64 addr, u64 size, u32 type, u32 0} */
	cmp	$MAX_MEMMAP, %edx
	jae	7f
	mov	4(%esi), %eax
	mov	%eax, 0(%edi)
	mov	8(%esi), %eax
	mov	%eax, 4(%edi)
	mov	12(%esi), %eax
	mov	%eax, 8(%edi)
	mov	16(%esi), %eax
	mov	%eax, 12(%edi)
	mov	20(%esi), %eax
	mov	%eax, 16(%edi)
	add	$24, %edi
	inc	%edx
	mov	0(%esi), %eax
	lea	4(%esi,%eax), %esi
	jmp	6b
7:	mov	%edx, 48(%ebp)

	mov	%ebp, %ebx
	mov	$PVH_ENTRY, %eax
	jmp	*%eax

	.balign	8
start_info:
	.long	0x336ec578		/* magic */
	.long	1			/* version */
	.long	0			/* flags */
	.long	0			/* nr_modules */
	.quad	(modlist - header + BASE)		/* modlist_paddr */
	.quad	0			/* cmdline_paddr */
	.quad	0			/* rsdp_paddr */
	.quad	(memmap - header + BASE)		/* memmap_paddr */
	.long	0			/* memmap_entries */
	.long	0

	.set	MAX_MODS, 4
	.set	MAX_MEMMAP, 100
modlist:
	.fill	MAX_MODS * 32, 1, 0
memmap:
	.fill	MAX_MEMMAP * 24, 1, 0
	.balign	4096, 0
