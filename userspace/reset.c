// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the two ways a PC's software resets it, which end the
 * run as a power off does (there is no firmware to reboot into):
 *
 *   0xcf9  the reset control register (PIIX4/ICH datasheets, "Reset
 *          Control Register"), whose byte accesses pci.c passes here: a
 *          write with RST_CPU (bit 2) set resets;
 *          the ACPI FADT's RESET_REG points here, so Linux's "reboot"
 *          writes 0x06 to it;
 *   0x64   the keyboard controller's command port: command 0xfe pulses
 *          the reset line (Linux's reboot=k).  Its status reads 0, input
 *          and output buffers empty, so that a driver waiting to write
 *          does not spin.  There is no keyboard controller behind it: the
 *          FADT says so, and Linux does not probe for one.
 */
#include "devices.h"
#include "iobus.h"
#include "util.h"
#include "vm.h"

#define RST_CPU			0x04
#define KBC_PULSE_RESET		0xfe

static void guest_reset(struct vm *vm)
{
	if (!vm_stopping(vm))
		pr_err("the guest reset the machine: ending the run");
	vm_request_stop(vm, STATUS_POWEROFF);
}

void reset_control_write(struct vm *vm, uint8_t value)
{
	if (value & RST_CPU)
		guest_reset(vm);
}

static uint64_t kbc_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return 0;
}

static void kbc_write(void *dev, uint64_t offset, unsigned int size,
		      uint64_t value)
{
	(void)offset;
	(void)size;
	if (value == KBC_PULSE_RESET)
		guest_reset(dev);
}

static const struct io_ops kbc_ops = {
	.read = kbc_read,
	.write = kbc_write,
};

int reset_create(struct vm *vm)
{
	return iobus_register(&vm->pio, 0x64, 1, 1, "8042 command", &kbc_ops,
			      vm);
}
