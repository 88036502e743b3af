// SPDX-License-Identifier: GPL-2.0
/*
 * gdbme: a Multiboot test kernel with symbols, for gdb (tests/gdb.sh).
 * It calls gdbme_break() five times, storing the call's number in
 * gdbme_count before each (what a watchpoint watches), then gdbme_done(),
 * and ends through the debug-exit port: the launcher's status is 1 if the
 * sums came out right, 3 if not.  What it did goes to COM1.
 *
 * Built with the host's gcc -m32 -ffreestanding (no C library), linked
 * with hello.ld at 1 MiB; gdbme.S has the Multiboot header.
 */

#define COM1		0x3f8
#define UART_LSR	5
#define UART_LSR_THRE	0x20
#define DEBUG_EXIT_PORT	0xf4

volatile unsigned int gdbme_count;

static inline void outb(unsigned short port, unsigned char v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline unsigned char inb(unsigned short port)
{
	unsigned char v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

/* noipa: a call gdb can break on, and straight-line code to step. */
__attribute__((noipa)) unsigned int gdbme_break(unsigned int n)
{
	return 3 * n + 1;
}

__attribute__((noipa)) void gdbme_done(unsigned int sum)
{
	puts(sum == 50 ? "gdbme: done\n" : "gdbme: wrong sum\n");
}

void gdbme_main(void)
{
	unsigned int i, sum = 0;

	puts("gdbme: counting\n");
	for (i = 1; i <= 5; i++) {
		gdbme_count = i;
		sum += gdbme_break(i);
	}
	gdbme_done(sum);
	outb(DEBUG_EXIT_PORT, sum == 50 ? 0 : 1);
}
