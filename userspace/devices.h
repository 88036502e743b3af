/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the devices of the PC the guest sees, one file each,
 * all on the VM's port I/O bus.
 */
#ifndef RINGSIDE_DEVICES_H
#define RINGSIDE_DEVICES_H

#include <stdint.h>

struct iobus;
struct vm;

/* uart.c: a 16550A; output to @out_fd, input from @in_fd once started. */
#define COM1_BASE		0x3f8

struct uart;
struct uart *uart_create(struct iobus *pio, uint16_t base, int in_fd,
			 int out_fd);
/* Read @in_fd on a thread; a terminal is put in raw mode (Ctrl-C still works). */
int uart_start_input(struct uart *uart);
/* Stop reading, restore the terminal, free. */
void uart_destroy(struct uart *uart);

/* fwcfg.c: QEMU's fw_cfg, x86 I/O ports 0x510 (selector) and 0x511 (data). */
struct fwcfg;
struct fwcfg *fwcfg_create(struct iobus *pio, uint64_t ram_size,
			   unsigned int nr_cpus);
/* Add item @key with a copy of @data.  Returns 0, or -1. */
int fwcfg_add(struct fwcfg *fw, uint16_t key, const void *data, uint32_t len);
void fwcfg_destroy(struct fwcfg *fw);

/* debugexit.c: QEMU's isa-debug-exit at port 0xf4, 1 byte wide. */
#define DEBUG_EXIT_PORT		0xf4
int debugexit_create(struct vm *vm);

/* poweroff.c: the ACPI PM1a control registers simple kernels write S5 to. */
int poweroff_create(struct vm *vm);

#endif /* RINGSIDE_DEVICES_H */
