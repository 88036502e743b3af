/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the devices of the PC the guest sees, one file each,
 * all on the VM's port I/O bus.
 */
#ifndef RINGSIDE_DEVICES_H
#define RINGSIDE_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iobus;
struct vm;

/*
 * uart.c: a 16550A on ISA line @irq; output to @out_fd, input from @in_fd
 * once started.
 */
#define COM1_BASE		0x3f8
#define COM1_IRQ		4

struct uart;
struct uart *uart_create(struct vm *vm, uint16_t base, unsigned int irq,
			 int in_fd, int out_fd);
/*
 * Read @in_fd on a thread.  A terminal is put in raw mode, every key going
 * to the guest but the escape: Ctrl-A x ends the run, Ctrl-A Ctrl-A sends
 * a Ctrl-A.
 */
int uart_start_input(struct uart *uart);
/*
 * Before uart_start_input(): the keys go to @sink(@dev, ...) instead of
 * the UART (Ctrl-A x still ends the run); virtio-console's input.
 */
void uart_set_input(struct uart *uart,
		    void (*sink)(void *dev, const uint8_t *buf, size_t len),
		    void *dev);
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

/*
 * reset.c: the 8042's reset, 0x64, and the reset control register 0xcf9,
 * which the PCI host bridge decodes (byte accesses inside CONFIG_ADDRESS)
 * and passes on.
 */
int reset_create(struct vm *vm);
void reset_control_write(struct vm *vm, uint8_t value);

/* pic.c: the 8259A pair and ELCR; state under vm->irq_lock. */
struct pic;
struct pic *pic_create(struct vm *vm);
void pic_destroy(struct pic *pic);
void pic_set_irq(struct pic *pic, unsigned int irq, int level);
/* The master's INT output. */
bool pic_output(struct pic *pic);
/* The INTA cycle: the vector to deliver. */
int pic_ack(struct pic *pic);

/* pit.c: the 8254 and port 0x61; channel 0 on IRQ 0. */
struct pit;
struct pit *pit_create(struct vm *vm);
void pit_destroy(struct pit *pit);

/* rtc.c: the MC146818 RTC and CMOS RAM at 0x70/0x71. */
struct rtc;
struct rtc *rtc_create(struct vm *vm);
void rtc_destroy(struct rtc *rtc);

/*
 * acpi.c: the ACPI tables at 0xf0000 (RSDP, XSDT, FADT, FACS, DSDT, MADT)
 * and the PM1a event block and PM timer they describe.
 */
int acpi_build_tables(struct vm *vm);
struct acpi_pm;
struct acpi_pm *acpi_pm_create(struct vm *vm);
void acpi_pm_destroy(struct acpi_pm *pm);

#endif /* RINGSIDE_DEVICES_H */
