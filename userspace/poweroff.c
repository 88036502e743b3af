// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: power off through an ACPI PM1a control register, as
 * simple test kernels do without parsing ACPI tables: a 16-bit write of
 * SLP_EN with SLP_TYP 0 (0x2000), which QEMU's DSDTs define as S5 (ACPI 6.4,
 * 4.8.3.2.1, PM1 Control Registers).  Two places are honoured:
 *   0x604   PM1a_CNT of QEMU's q35 (PM base 0x600 + 4), and of "pc" as
 *           SeaBIOS programs its PIIX4 PM base;
 *   0xb004  the PM1a_CNT of older QEMU and Bochs machines.
 * Any other sleep type is ignored: there is no suspend.  A read says
 * SCI_EN: the machine is in ACPI mode, as the FADT (acpi.c) has no SMI
 * command port to switch it.
 */
#include "devices.h"
#include "iobus.h"
#include "util.h"
#include "vm.h"

#define PM1_CNT_SLP_TYP_MASK	(7U << 10)
#define PM1_CNT_SLP_EN		(1U << 13)
#define SLP_TYP_S5		0		/* in QEMU's DSDT */
#define PM1_CNT_SCI_EN		(1U << 0)

static uint64_t pm1_cnt_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)size;
	return offset ? 0 : PM1_CNT_SCI_EN;
}

static void pm1_cnt_write(void *dev, uint64_t offset, unsigned int size,
			  uint64_t value)
{
	/* SLP_EN is bit 13: only a write covering both bytes can set it. */
	if (offset != 0 || size < 2)
		return;
	if ((value & PM1_CNT_SLP_EN) &&
	    (value & PM1_CNT_SLP_TYP_MASK) == SLP_TYP_S5 << 10)
		vm_request_stop(dev, STATUS_POWEROFF);
}

static const struct io_ops pm1_cnt_ops = {
	.read = pm1_cnt_read,
	.write = pm1_cnt_write,
};

int poweroff_create(struct vm *vm)
{
	if (iobus_register(&vm->pio, 0x604, 2, 0, "PM1a_CNT (q35)",
			   &pm1_cnt_ops, vm) < 0)
		return -1;
	return iobus_register(&vm->pio, 0xb004, 2, 0, "PM1a_CNT (bochs)",
			      &pm1_cnt_ops, vm);
}
