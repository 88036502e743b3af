// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: an I/O APIC (Intel 82093AA datasheet) with 24 pins at
 * 0xfec00000, the ISA interrupts on pins 0-15 (IRQ 0 on pin 2, as the
 * MADT's interrupt source override says).
 *
 *   0x00  IOREGSEL: the register the window shows
 *   0x10  IOWIN: 0x00 ID, 0x01 version, 0x02 arbitration, 0x10 + 2n the
 *         low and 0x11 + 2n the high half of pin n's redirection entry
 *
 * An edge-triggered pin delivers on each rising edge (after polarity); a
 * level-triggered one delivers while asserted and Remote IRR is clear,
 * sets Remote IRR, and delivers again after the local APIC's EOI if still
 * asserted (the module's APIC tells it with RS_EXIT_EOI).  Its messages go
 * to the module's local APICs as MSIs or to the launcher's (irq.h).  All
 * state is under vm->irq_lock.
 */
#include <stdlib.h>

#include "iobus.h"
#include "iommu.h"
#include "irq.h"
#include "lapic.h"
#include "util.h"
#include "vm.h"

#define IOAPIC_VERSION		0x11
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WIN		0x10
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10

#define RTE_VECTOR		0xffULL
#define RTE_DELIVERY(r)		(((r) >> 8) & 7)
#define RTE_DEST_LOGICAL	(1ULL << 11)
#define RTE_POLARITY_LOW	(1ULL << 13)
#define RTE_REMOTE_IRR		(1ULL << 14)
#define RTE_LEVEL		(1ULL << 15)
#define RTE_MASKED		(1ULL << 16)
#define RTE_DEST(r)		((r) >> 56)
#define RTE_RO_BITS		((1ULL << 12) | RTE_REMOTE_IRR)
/*
 * An entry in remappable format (VT-d 5.1.5.1): bit 48 set, the interrupt
 * index in bits 63:49 and 11; the vector stays for the EOI's match.
 */
#define RTE_REMAPPABLE		(1ULL << 48)
#define RTE_IR_INDEX(r)		((uint32_t)((r) >> 49) | ((r) >> 11 & 1) << 15)

struct ioapic {
	struct vm *vm;
	uint32_t regsel;
	uint32_t id;
	uint64_t rte[IRQ_IOAPIC_PINS];
	uint32_t lines;		/* input levels as the devices drive them */
};

static bool pin_asserted(const struct ioapic *io, unsigned int pin)
{
	bool high = io->lines & (1U << pin);

	return (io->rte[pin] & RTE_POLARITY_LOW) ? !high : high;
}

static void ioapic_deliver(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];

	if (rte & RTE_MASKED)
		return;
	if (rte & RTE_LEVEL) {
		if (rte & RTE_REMOTE_IRR)
			return;
		io->rte[pin] |= RTE_REMOTE_IRR;
	}
	if (rte & RTE_REMAPPABLE)
		iommu_remap(io->vm->iommu, RTE_IR_INDEX(rte));
	else if (iommu_compat_passes(io->vm->iommu))
		io->vm->deliver(io->vm, RTE_DEST(rte), rte & RTE_DEST_LOGICAL,
			    rte & RTE_VECTOR, rte & RTE_LEVEL, RTE_DELIVERY(rte));
}

void ioapic_set_irq(struct ioapic *io, unsigned int pin, int level)
{
	bool was;

	if (pin >= IRQ_IOAPIC_PINS)
		return;
	was = pin_asserted(io, pin);
	if (level)
		io->lines |= 1U << pin;
	else
		io->lines &= ~(1U << pin);
	if (!pin_asserted(io, pin))
		return;
	if ((io->rte[pin] & RTE_LEVEL) || !was)
		ioapic_deliver(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int pin;

	for (pin = 0; pin < IRQ_IOAPIC_PINS; pin++) {
		uint64_t *rte = &io->rte[pin];

		if ((*rte & RTE_VECTOR) != vector || !(*rte & RTE_LEVEL))
			continue;
		*rte &= ~RTE_REMOTE_IRR;
		if (pin_asserted(io, pin))
			ioapic_deliver(io, pin);
	}
}

static uint32_t ioapic_read_reg(struct ioapic *io)
{
	unsigned int reg = io->regsel & 0xff, pin;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return io->id;
	case IOAPIC_REG_VER:
		return (IRQ_IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
	}
	if (reg < IOAPIC_REG_REDIR)
		return 0;
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (pin >= IRQ_IOAPIC_PINS)
		return 0;
	return reg & 1 ? io->rte[pin] >> 32 : (uint32_t)io->rte[pin];
}

static void ioapic_write_reg(struct ioapic *io, uint32_t val)
{
	unsigned int reg = io->regsel & 0xff, pin;
	uint64_t rte;

	if (reg == IOAPIC_REG_ID) {
		io->id = val & (0xfU << 24);
		return;
	}
	if (reg < IOAPIC_REG_REDIR)
		return;
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (pin >= IRQ_IOAPIC_PINS)
		return;
	rte = io->rte[pin];
	if (reg & 1)
		rte = (rte & 0xffffffffULL) | (uint64_t)val << 32;
	else
		rte = (rte & ~0xffffffffULL) | (rte & RTE_RO_BITS) |
		      (val & ~RTE_RO_BITS);
	if (!(rte & RTE_LEVEL))
		rte &= ~RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	/* An unmasked level line that is still asserted fires now. */
	if ((rte & RTE_LEVEL) && pin_asserted(io, pin))
		ioapic_deliver(io, pin);
}

static uint64_t ioapic_mmio_read(void *dev, uint64_t offset,
				 unsigned int size)
{
	struct ioapic *io = dev;
	uint32_t val = 0;

	(void)size;
	pthread_mutex_lock(&io->vm->irq_lock);
	if (offset == IOAPIC_REGSEL)
		val = io->regsel;
	else if (offset == IOAPIC_WIN)
		val = ioapic_read_reg(io);
	pthread_mutex_unlock(&io->vm->irq_lock);
	return val;
}

static void ioapic_mmio_write(void *dev, uint64_t offset, unsigned int size,
			      uint64_t value)
{
	struct ioapic *io = dev;

	(void)size;
	pthread_mutex_lock(&io->vm->irq_lock);
	if (offset == IOAPIC_REGSEL)
		io->regsel = value;
	else if (offset == IOAPIC_WIN)
		ioapic_write_reg(io, value);
	irq_update(io->vm);
	pthread_mutex_unlock(&io->vm->irq_lock);
}

static const struct io_ops ioapic_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

struct ioapic *ioapic_create(struct vm *vm)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	unsigned int pin;

	if (!io) {
		pr_perror("I/O APIC");
		return NULL;
	}
	io->vm = vm;
	io->id = IOAPIC_ID(vm) << 24;
	for (pin = 0; pin < IRQ_IOAPIC_PINS; pin++)
		io->rte[pin] = RTE_MASKED;	/* the reset state */
	/* 32-bit registers at 0x00 and 0x10; the page is the device's. */
	if (iobus_register(&vm->mmio, IOAPIC_BASE, 0x1000, 4, "I/O APIC",
			   &ioapic_ops, io) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

void ioapic_destroy(struct ioapic *io)
{
	free(io);
}
