/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello: a Multiboot (0.6.96) test kernel for the ringside launcher.
 *
 * It says hello on COM1, then reports what the boot loader and the machine
 * told it: the multiboot command line, memory, memory map and modules, and
 * the RAM size and CPU count from QEMU's fw_cfg.  Then it writes 0 to
 * isa-debug-exit (port 0xf4, and 0x501 where QEMU puts it by default),
 * which ends QEMU, and ringside, with status (0 << 1) | 1 = 1.  Without
 * that device it powers off through the ACPI PM1a control port (0x604,
 * then 0xb004).  A failed check writes 1 instead: status 3.
 *
 * The same source builds two images: hello.elf is loaded from its ELF
 * program headers; hello.bin (-DAOUT_KLUDGE) is a flat binary whose
 * Multiboot header carries the load addresses (header flag bit 16).
 *
 * Everything is polled: no interrupts, no stack switch beyond our own, so
 * it relies only on the machine state of Multiboot spec 3.2.
 */

#define MB_HEADER_MAGIC		0x1BADB002	/* spec 3.1.1 */
#define MB_BOOT_MAGIC		0x2BADB002	/* spec 3.2, in EAX */
#define MB_HDR_MEMINFO		(1 << 1)
#define MB_HDR_AOUT_KLUDGE	(1 << 16)

#ifdef AOUT_KLUDGE
#define MB_HDR_FLAGS		(MB_HDR_MEMINFO | MB_HDR_AOUT_KLUDGE)
#else
#define MB_HDR_FLAGS		MB_HDR_MEMINFO
#endif

/* struct multiboot_info offsets and flags (spec 3.3). */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_BOOT_LOADER_NAME	64
#define MBI_F_MEM		(1 << 0)
#define MBI_F_CMDLINE		(1 << 2)
#define MBI_F_MODS		(1 << 3)
#define MBI_F_MMAP		(1 << 6)
#define MBI_F_BOOT_LOADER_NAME	(1 << 9)

/* 16550A UART registers (NS16550A datasheet, table 2). */
#define COM1			0x3f8
#define UART_LSR		5
#define UART_LSR_DR		0x01	/* data ready */
#define UART_LSR_THRE		0x20	/* transmitter holding register empty */

/* QEMU fw_cfg (docs/specs/fw_cfg.txt): x86 I/O ports and item keys. */
#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05

#define DEBUG_EXIT_PORT		0xf4	/* ringside's; QEMU's with iobase=0xf4 */
#define QEMU_DEBUG_EXIT_PORT	0x501	/* isa-debug-exit's default iobase */

	.code32

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_HDR_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HDR_FLAGS)
#ifdef AOUT_KLUDGE
	.long	mb_header		/* header_addr */
	.long	_load_start		/* load_addr */
	.long	_load_end		/* load_end_addr */
	.long	_bss_end		/* bss_end_addr */
	.long	_start			/* entry_addr */
#endif

	.text
	.globl	_start
_start:
	movl	$stack_top, %esp
	movl	%eax, %edi		/* keep the magic for the check below */
	movl	$s_hello, %esi
	call	puts

	cmpl	$MB_BOOT_MAGIC, %edi
	je	1f
	movl	$s_bad_magic, %esi
	call	puts
	jmp	fail
1:
	/* EBX: the multiboot information structure, kept in EBX throughout. */
	call	show_cmdline
	call	show_fw_cfg
	call	show_mem
	call	show_mmap
	call	show_mods
	call	show_loader
	call	do_actions

	movl	$s_bye, %esi
	call	puts
	movb	$0, %al
	jmp	exit

fail:
	movb	$1, %al
exit:
	/*
	 * isa-debug-exit: the launcher ends with status (AL << 1) | 1.  QEMU
	 * puts the device at 0x501 unless told iobase=0xf4: try both.
	 */
	outb	%al, $DEBUG_EXIT_PORT
	movw	$QEMU_DEBUG_EXIT_PORT, %dx
	outb	%al, %dx
	/* No such device: ACPI PM1a_CNT, SLP_EN with SLP_TYP 0 (S5 on QEMU). */
	movw	$0x2000, %ax
	movw	$0x604, %dx
	outw	%ax, %dx
	movw	$0xb004, %dx
	outw	%ax, %dx
halt:
	cli
	hlt
	jmp	halt

/*
 * Words on the command line pick how the run ends, so that one guest can
 * drive each of the launcher's exit paths:
 *   echo      copy COM1 input to its output until a '.' (or no UART)
 *   poweroff  power off through PM1a_CNT (launcher status 0)
 *   crash     an exception with an empty IDT: triple fault (status 4)
 *   halt      cli; hlt forever (the launcher idles until a signal)
 * Without them: isa-debug-exit 0 (status 1).
 */
do_actions:
	testl	$MBI_F_CMDLINE, MBI_FLAGS(%ebx)
	jz	9f
	movl	MBI_CMDLINE(%ebx), %esi
	movl	$s_echo, %edi
	call	has_word
	jnz	1f
	call	echo
1:	movl	$s_poweroff, %edi
	call	has_word
	jnz	2f
	movl	$s_powering_off, %esi
	call	puts
	movw	$0x2000, %ax
	movw	$0x604, %dx
	outw	%ax, %dx
	jmp	halt
2:	movl	$s_crash, %edi
	call	has_word
	jnz	3f
	movl	$s_crashing, %esi
	call	puts
	lidt	empty_idt
	ud2
3:	movl	$s_halt, %edi
	call	has_word
	jnz	9f
	movl	$s_halting, %esi
	call	puts
	jmp	halt
9:	ret

/* ZF set if the string at ESI has the word at EDI (space-separated). */
has_word:
	pushal
	movl	%esi, %ebx		/* start of the current word */
1:	movl	%ebx, %esi
	movl	%edi, %edx
2:	movb	(%edx), %al
	testb	%al, %al
	jz	4f			/* the word matched so far: at its end? */
	cmpb	(%esi), %al
	jne	5f
	incl	%esi
	incl	%edx
	jmp	2b
4:	movb	(%esi), %al
	testb	%al, %al
	jz	7f
	cmpb	$' ', %al
	je	7f
5:	/* skip to the next word */
	movb	(%ebx), %al
	testb	%al, %al
	jz	6f
	incl	%ebx
	cmpb	$' ', %al
	jne	5b
	jmp	1b
6:	orl	$1, %eax		/* not found: ZF clear */
	popal
	ret
7:	xorl	%eax, %eax		/* found: ZF set */
	popal
	ret

/* Echo COM1 input (LSR data ready, then RBR) until '.'. */
echo:
	pushl	%eax
	pushl	%edx
	movl	$s_echoing, %esi
	call	puts
1:	movw	$COM1 + UART_LSR, %dx
	inb	%dx, %al
	cmpb	$0xff, %al		/* nothing there */
	je	3f
	testb	$UART_LSR_DR, %al
	jz	1b
	movw	$COM1, %dx
	inb	%dx, %al
	cmpb	$'.', %al
	je	2f
	call	putc
	jmp	1b
2:	call	newline
3:	popl	%edx
	popl	%eax
	ret

/* Print "label" then the string at info[offset] if info.flags has the bit. */
show_cmdline:
	movl	$s_cmdline, %esi
	call	puts
	testl	$MBI_F_CMDLINE, MBI_FLAGS(%ebx)
	jz	1f
	movb	$'"', %al
	call	putc
	movl	MBI_CMDLINE(%ebx), %esi
	call	puts
	movb	$'"', %al
	call	putc
	jmp	2f
1:	movl	$s_none, %esi
	call	puts
2:	jmp	newline

show_loader:
	movl	$s_loader, %esi
	call	puts
	movl	$s_none, %esi
	testl	$MBI_F_BOOT_LOADER_NAME, MBI_FLAGS(%ebx)
	jz	1f
	movl	MBI_BOOT_LOADER_NAME(%ebx), %esi
1:	call	puts
	jmp	newline

show_mem:
	movl	$s_mem, %esi
	call	puts
	testl	$MBI_F_MEM, MBI_FLAGS(%ebx)
	jz	1f
	movl	MBI_MEM_LOWER(%ebx), %eax
	call	putdec
	movl	$s_kib_upper, %esi
	call	puts
	movl	MBI_MEM_UPPER(%ebx), %eax
	call	putdec
	movl	$s_kib, %esi
	call	puts
	jmp	newline
1:	movl	$s_none, %esi
	call	puts
	jmp	newline

/* Each entry: size (not counting itself), base_addr, length, type. */
show_mmap:
	testl	$MBI_F_MMAP, MBI_FLAGS(%ebx)
	jz	3f
	movl	MBI_MMAP_ADDR(%ebx), %ecx
	movl	MBI_MMAP_LENGTH(%ebx), %edx
	addl	%ecx, %edx		/* EDX: end of the map */
1:	cmpl	%edx, %ecx
	jae	2f
	movl	$s_mmap, %esi
	call	puts
	movl	8(%ecx), %eax		/* base_addr, high then low */
	call	puthex
	movl	4(%ecx), %eax
	call	puthex
	movb	$' ', %al
	call	putc
	movl	16(%ecx), %eax		/* length */
	call	puthex
	movl	12(%ecx), %eax
	call	puthex
	movl	$s_type, %esi
	call	puts
	movl	20(%ecx), %eax
	call	putdec
	call	newline
	movl	(%ecx), %eax
	leal	4(%ecx, %eax), %ecx
	jmp	1b
2:	ret
3:	movl	$s_mmap, %esi
	call	puts
	movl	$s_none, %esi
	call	puts
	jmp	newline

/* Each module: mod_start, mod_end, string, reserved. */
show_mods:
	movl	$s_mods, %esi
	call	puts
	xorl	%eax, %eax
	testl	$MBI_F_MODS, MBI_FLAGS(%ebx)
	jz	1f
	movl	MBI_MODS_COUNT(%ebx), %eax
1:	movl	%eax, %edx
	call	putdec
	call	newline
	testl	%edx, %edx
	jz	3f
	movl	MBI_MODS_ADDR(%ebx), %ecx
2:	movl	$s_module, %esi
	call	puts
	movb	$'"', %al
	call	putc
	movl	8(%ecx), %esi
	call	puts
	movl	$s_quote_comma, %esi
	call	puts
	movl	4(%ecx), %eax
	subl	0(%ecx), %eax
	call	putdec
	movl	$s_bytes_first, %esi
	call	puts
	movl	0(%ecx), %esi		/* the module's first line, up to 40 bytes */
	call	putline
	movb	$'"', %al
	call	putc
	call	newline
	addl	$16, %ecx
	decl	%edx
	jnz	2b
3:	ret

/*
 * fw_cfg: the selector is a 16-bit write to 0x510, then each item byte is
 * an 8-bit read of 0x511; numbers are little-endian (fw_cfg.txt).
 */
show_fw_cfg:
	movw	$FW_CFG_SIGNATURE, %ax
	call	fw_cfg_read32
	cmpl	$0x554d4551, %eax	/* "QEMU" */
	je	1f
	movl	$s_no_fw_cfg, %esi
	call	puts
	jmp	fail
1:	movl	$s_fw_cfg, %esi
	call	puts
	movw	$FW_CFG_RAM_SIZE, %ax
	call	fw_cfg_read32		/* low half of the 64-bit size */
	movl	%eax, %ecx
	call	fw_cfg_data32		/* high half */
	shll	$12, %eax
	shrl	$20, %ecx
	orl	%ecx, %eax
	call	putdec
	movl	$s_mib_cpus, %esi
	call	puts
	movw	$FW_CFG_NB_CPUS, %ax
	call	fw_cfg_read32
	andl	$0xffff, %eax		/* a 16-bit item: the rest reads 0 */
	call	putdec
	jmp	newline

/* Select item AX and read its first 32 bits into EAX. */
fw_cfg_read32:
	pushl	%edx
	movw	$FW_CFG_PORT_SEL, %dx
	outw	%ax, %dx
	popl	%edx
	/* fall through */
/* Read the next 32 bits of the selected item into EAX. */
fw_cfg_data32:
	pushl	%ecx
	pushl	%edx
	movw	$FW_CFG_PORT_DATA, %dx
	movl	$4, %ecx
1:	inb	%dx, %al
	rorl	$8, %eax
	loop	1b
	popl	%edx
	popl	%ecx
	ret

/* Print AL on COM1 once the transmitter holding register is empty. */
putc:
	pushl	%edx
	pushl	%eax
	movw	$COM1 + UART_LSR, %dx
1:	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	1b
	popl	%eax
	movw	$COM1, %dx
	outb	%al, %dx
	popl	%edx
	ret

newline:
	pushl	%eax
	movb	$'\n', %al
	call	putc
	popl	%eax
	ret

/* Print the NUL-terminated string at ESI. */
puts:
	pushl	%eax
	pushl	%esi
1:	lodsb
	testb	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	popl	%esi
	popl	%eax
	ret

/* Print the printable bytes at ESI up to a newline, NUL or 40 bytes. */
putline:
	pushl	%eax
	pushl	%ecx
	pushl	%esi
	movl	$40, %ecx
1:	lodsb
	cmpb	$' ', %al
	jb	2f
	cmpb	$'~', %al
	ja	2f
	call	putc
	loop	1b
2:	popl	%esi
	popl	%ecx
	popl	%eax
	ret

/* Print EAX in decimal. */
putdec:
	pushal
	movl	$10, %ecx
	xorl	%edi, %edi		/* digits pushed */
1:	xorl	%edx, %edx
	divl	%ecx
	pushl	%edx
	incl	%edi
	testl	%eax, %eax
	jnz	1b
2:	popl	%eax
	addb	$'0', %al
	call	putc
	decl	%edi
	jnz	2b
	popal
	ret

/* Print EAX as 8 hex digits. */
puthex:
	pushal
	movl	%eax, %edx
	movl	$8, %ecx
1:	roll	$4, %edx
	movl	%edx, %eax
	andl	$0xf, %eax
	movb	hexdigits(%eax), %al
	call	putc
	loop	1b
	popal
	ret

	.section .rodata
	.balign	8
empty_idt:	.word	0
		.long	0
hexdigits:	.ascii	"0123456789abcdef"
s_hello:	.asciz	"Hello from a ringside guest\n"
s_bad_magic:	.asciz	"hello: EAX does not hold the multiboot magic\n"
s_cmdline:	.asciz	"cmdline: "
s_none:		.asciz	"(none)"
s_fw_cfg:	.asciz	"fw_cfg: RAM "
s_mib_cpus:	.asciz	" MiB, CPUs "
s_no_fw_cfg:	.asciz	"fw_cfg: no QEMU signature\n"
s_mem:		.asciz	"mem: lower "
s_kib_upper:	.asciz	" KiB, upper "
s_kib:		.asciz	" KiB"
s_mmap:		.asciz	"mmap: "
s_type:		.asciz	" type "
s_mods:		.asciz	"modules: "
s_module:	.asciz	"module: "
s_quote_comma:	.asciz	"\", "
s_bytes_first:	.asciz	" bytes, \""
s_loader:	.asciz	"boot loader: "
s_bye:		.asciz	"bye\n"
s_echo:		.asciz	"echo"
s_echoing:	.asciz	"echo: type, '.' ends\n"
s_poweroff:	.asciz	"poweroff"
s_powering_off:	.asciz	"powering off\n"
s_crash:	.asciz	"crash"
s_crashing:	.asciz	"crashing: #UD with an empty IDT\n"
s_halt:		.asciz	"halt"
s_halting:	.asciz	"halting with interrupts off\n"

	.bss
	.balign	16
stack:	.skip	4096
stack_top:

	.section .note.GNU-stack, "", @progbits
