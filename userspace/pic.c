// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the two cascaded 8259A interrupt controllers of a PC
 * (Intel 8259A datasheet, "Programmable Interrupt Controller"; the ELCR
 * from the Intel PIIX/ICH datasheets, "Edge/Level Control Registers").
 *
 *   0x20/0x21   master: command (ICW1, OCW2, OCW3) / data (ICW2-4, OCW1)
 *   0xa0/0xa1   slave, on the master's IR2
 *   0x4d0/0x4d1 ELCR: a set bit makes that line level triggered
 *
 * The master's INT output goes to vCPU 0: directly while its local APIC is
 * off, through LINT0 in ExtINT mode otherwise (irq.c decides).  All state
 * is under vm->irq_lock.
 */
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "iobus.h"
#include "irq.h"
#include "util.h"
#include "vm.h"

#define ICW1_ICW4	0x01	/* ICW4 follows */
#define ICW1_SINGLE	0x02	/* no cascade: no ICW3 */
#define ICW1_LTIM	0x08	/* level triggered (all lines) */
#define ICW1_INIT	0x10	/* a command port write with this is ICW1 */
#define ICW4_AEOI	0x02	/* automatic EOI */
#define ICW4_SFNM	0x10	/* special fully nested mode */

#define OCW3_SEL	0x08	/* a command write with this (no ICW1) */
#define OCW3_RIS	0x01	/* read ISR (else IRR) ... */
#define OCW3_RR		0x02	/* ... if this is set */
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20	/* special mask mode value ... */
#define OCW3_ESMM	0x40	/* ... if this is set */

#define PIC_CASCADE_IRQ	2

struct pic;

struct pic_chip {
	struct pic *pic;
	uint8_t irr, isr, imr;
	uint8_t lines;		/* input levels, for edge detection */
	uint8_t elcr, elcr_mask;
	uint8_t vector_base;	/* ICW2 */
	uint8_t lowest;		/* the lowest priority line (rotation) */
	uint8_t init_step;	/* 0: ready; 2, 3, 4: ICW expected */
	bool icw4, single, ltim, aeoi, sfnm;
	bool rotate_aeoi, special_mask, read_isr, poll;
	bool slave;
};

struct pic {
	struct vm *vm;
	struct pic_chip chip[2];	/* master, slave */
};

/* Line @irq's priority: 0 is the highest, after rotation (OCW2). */
static unsigned int prio(const struct pic_chip *c, unsigned int irq)
{
	return (irq - c->lowest - 1) & 7;
}

/* The pending line of highest priority in @mask, or -1. */
static int highest(const struct pic_chip *c, uint8_t mask)
{
	unsigned int p;

	for (p = 0; p < 8; p++) {
		unsigned int irq = (c->lowest + 1 + p) & 7;

		if (mask & (1U << irq))
			return irq;
	}
	return -1;
}

/*
 * The line the chip would interrupt for: requested, not masked, and of
 * higher priority than every line in service (special mask mode ignores
 * those that are masked; in special fully nested mode the master lets the
 * slave interrupt again while the cascade line is in service).
 */
static int pic_chip_output(const struct pic_chip *c)
{
	uint8_t isr = c->isr;
	int irq, in_service;

	irq = highest(c, c->irr & ~c->imr);
	if (irq < 0)
		return -1;
	if (c->special_mask)
		isr &= ~c->imr;
	if (c->sfnm && !c->slave)
		isr &= ~(1U << PIC_CASCADE_IRQ);
	in_service = highest(c, isr);
	if (in_service >= 0 && prio(c, in_service) <= prio(c, irq))
		return -1;
	return irq;
}

/* An input changes level: edge lines latch a rising edge, level lines follow. */
static void pic_chip_set(struct pic_chip *c, unsigned int irq, int level)
{
	uint8_t bit = 1U << irq;
	bool is_level = c->ltim || (c->elcr & bit);

	if (level) {
		if (is_level || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		if (is_level)
			c->irr &= ~bit;
		c->lines &= ~bit;
	}
}

/* The slave's INT drives the master's IR2. */
static void pic_cascade(struct pic *p)
{
	pic_chip_set(&p->chip[0], PIC_CASCADE_IRQ,
		     pic_chip_output(&p->chip[1]) >= 0);
}

void pic_set_irq(struct pic *p, unsigned int irq, int level)
{
	if (irq < 8) {
		pic_chip_set(&p->chip[0], irq, level);
	} else if (irq < 16) {
		pic_chip_set(&p->chip[1], irq - 8, level);
		pic_cascade(p);
	}
}

bool pic_output(struct pic *p)
{
	return pic_chip_output(&p->chip[0]) >= 0;
}

/*
 * The INTA cycle on one chip: the line goes in service (unless AEOI), an
 * edge request is consumed.  Returns the line, or 7 for a spurious one
 * (the request went away), which sets nothing (datasheet: "Interrupt
 * Sequence").
 */
static int pic_chip_ack(struct pic_chip *c)
{
	int irq = pic_chip_output(c);

	if (irq < 0)
		return -7;
	if (!(c->ltim || (c->elcr & (1U << irq))))
		c->irr &= ~(1U << irq);
	if (c->aeoi) {
		if (c->rotate_aeoi)
			c->lowest = irq;
	} else {
		c->isr |= 1U << irq;
	}
	return irq;
}

int pic_ack(struct pic *p)
{
	int irq = pic_chip_ack(&p->chip[0]), vector;

	if (irq < 0)
		return p->chip[0].vector_base + 7;
	if (irq != PIC_CASCADE_IRQ)
		return p->chip[0].vector_base + irq;
	irq = pic_chip_ack(&p->chip[1]);
	vector = p->chip[1].vector_base + (irq < 0 ? 7 : irq);
	pic_cascade(p);
	return vector;
}

/* OCW2: the EOI and rotation commands, bits 7-5 (R, SL, EOI). */
static void pic_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned int level = val & 7;
	int irq;

	switch (val >> 5) {
	case 0:				/* clear rotate in AEOI mode */
	case 4:				/* set rotate in AEOI mode */
		c->rotate_aeoi = val >> 7;
		break;
	case 1:				/* non-specific EOI */
	case 5:				/* ... and rotate */
		irq = highest(c, c->isr);
		if (irq < 0)
			break;
		c->isr &= ~(1U << irq);
		if (val >> 7)
			c->lowest = irq;
		break;
	case 3:				/* specific EOI */
		c->isr &= ~(1U << level);
		break;
	case 7:				/* ... and rotate */
		c->isr &= ~(1U << level);
		c->lowest = level;
		break;
	case 6:				/* set priority */
		c->lowest = level;
		break;
	default:			/* 2: no operation */
		break;
	}
}

static void pic_command(struct pic_chip *c, uint8_t val)
{
	if (val & ICW1_INIT) {
		/* ICW1 resets the chip's state but for ELCR (datasheet). */
		uint8_t elcr = c->elcr, mask = c->elcr_mask, lines = c->lines;
		struct pic *p = c->pic;
		bool slave = c->slave;

		memset(c, 0, sizeof(*c));
		c->pic = p;
		c->elcr = elcr;
		c->elcr_mask = mask;
		c->lines = lines;
		c->slave = slave;
		c->icw4 = val & ICW1_ICW4;
		c->single = val & ICW1_SINGLE;
		c->ltim = val & ICW1_LTIM;
		c->lowest = 7;
		c->init_step = 2;
		return;
	}
	if (val & OCW3_SEL) {
		if (val & OCW3_RR)
			c->read_isr = val & OCW3_RIS;
		c->poll = val & OCW3_POLL;
		if (val & OCW3_ESMM)
			c->special_mask = val & OCW3_SMM;
		return;
	}
	pic_ocw2(c, val);
}

static void pic_data(struct pic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->init_step = c->single ? (c->icw4 ? 4 : 0) : 3;
		break;
	case 3:				/* cascade wiring: fixed on a PC */
		c->init_step = c->icw4 ? 4 : 0;
		break;
	case 4:
		c->aeoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_step = 0;
		break;
	default:
		c->imr = val;		/* OCW1 */
		break;
	}
}

/* OCW3 poll: the highest request is acknowledged, bit 7 says there was one. */
static uint8_t pic_poll(struct pic *p, struct pic_chip *c)
{
	int irq = pic_chip_output(c);

	c->poll = false;
	if (irq < 0)
		return 0;
	pic_chip_ack(c);
	if (c == &p->chip[1])
		pic_cascade(p);
	return 0x80 | irq;
}

static uint64_t pic_io_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pic_chip *c = dev;
	struct pic *p = c->pic;
	uint8_t val;

	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	if (c->poll)
		val = pic_poll(p, c);
	else if (offset == 1)
		val = c->imr;
	else
		val = c->read_isr ? c->isr : c->irr;
	irq_update(p->vm);
	pthread_mutex_unlock(&p->vm->irq_lock);
	return val;
}

static void pic_io_write(void *dev, uint64_t offset, unsigned int size,
			 uint64_t value)
{
	struct pic_chip *c = dev;
	struct pic *p = c->pic;

	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	if (offset == 0)
		pic_command(c, value);
	else
		pic_data(c, value);
	pic_cascade(p);
	irq_update(p->vm);
	pthread_mutex_unlock(&p->vm->irq_lock);
}

static const struct io_ops pic_ops = {
	.read = pic_io_read,
	.write = pic_io_write,
};

static uint64_t elcr_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pic *p = dev;
	uint8_t val;

	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	val = p->chip[offset].elcr;
	pthread_mutex_unlock(&p->vm->irq_lock);
	return val;
}

static void elcr_write(void *dev, uint64_t offset, unsigned int size,
		       uint64_t value)
{
	struct pic *p = dev;
	struct pic_chip *c = &p->chip[offset];

	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	c->elcr = value & c->elcr_mask;
	pthread_mutex_unlock(&p->vm->irq_lock);
}

static const struct io_ops elcr_ops = {
	.read = elcr_read,
	.write = elcr_write,
};

struct pic *pic_create(struct vm *vm)
{
	struct pic *p = calloc(1, sizeof(*p));

	if (!p) {
		pr_perror("8259A");
		return NULL;
	}
	p->vm = vm;
	p->chip[0].pic = p->chip[1].pic = p;
	p->chip[1].slave = true;
	/* IRQ 0, 1, 2, 8 and 13 are always edge triggered (PIIX4 ELCR). */
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	p->chip[0].lowest = p->chip[1].lowest = 7;
	if (iobus_register(&vm->pio, 0x20, 2, 1, "8259A master", &pic_ops,
			   &p->chip[0]) < 0 ||
	    iobus_register(&vm->pio, 0xa0, 2, 1, "8259A slave", &pic_ops,
			   &p->chip[1]) < 0 ||
	    iobus_register(&vm->pio, 0x4d0, 2, 1, "ELCR", &elcr_ops, p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void pic_destroy(struct pic *p)
{
	free(p);
}
