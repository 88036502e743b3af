// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the 8254 programmable interval timer of a PC (Intel
 * 82C54 datasheet) and the system control port B at 0x61 that gates its
 * channel 2 (PIIX4/ICH datasheets, "NMI Status and Control Register").
 *
 *   0x40-0x42  counters 0-2; 0x43 control word (and counter latch and
 *              read-back commands)
 *   0x61       bit 0 channel 2 gate, bit 1 speaker data enable, bit 4 the
 *              refresh toggle, bit 5 channel 2's OUT
 *
 * The counters run at 1.193182 MHz on the host's CLOCK_MONOTONIC: a count
 * is computed from the time since it was loaded, never stepped.  Channel
 * 0's OUT drives IRQ 0 through a host timer (timer.c); a tick the guest
 * could not take before the next one is merged with it, as on hardware,
 * where the 8259A latches one edge.  Channel 1 (DRAM refresh) counts but
 * drives nothing; channel 2 is what Linux calibrates against.  All state
 * is under vm->irq_lock.
 */
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "iobus.h"
#include "irq.h"
#include "timer.h"
#include "util.h"
#include "vm.h"

#define PIT_HZ			1193182ULL
#define PIT_PORT		0x40
#define PIT_CONTROL		3
#define PORT_B			0x61

#define PORTB_GATE2		0x01
#define PORTB_SPEAKER		0x02
#define PORTB_RW_MASK		0x0f	/* bits 2-3: NMI enables, kept */
#define PORTB_REFRESH		0x10
#define PORTB_OUT2		0x20
#define REFRESH_NS		15085	/* the refresh request period */

/* Control word (datasheet, "Control Word Format"). */
#define CW_SC(v)		(((v) >> 6) & 3)
#define CW_RW(v)		(((v) >> 4) & 3)
#define CW_MODE(v)		(((v) >> 1) & 7)
#define CW_BCD			0x01
#define CW_READBACK		3
#define RB_NO_COUNT		0x20
#define RB_NO_STATUS		0x10

#define RW_LATCH		0
#define RW_LSB			1
#define RW_MSB			2
#define RW_WORD			3

struct pit_channel {
	uint8_t mode, rw;
	bool bcd;
	uint32_t reload;	/* 1-65536 (a written 0 is 65536) */
	bool loaded;		/* a count was written since the mode */
	bool gate;
	uint64_t start;		/* when counting from reload began, ns */
	uint64_t held;		/* ticks already counted while the gate is low */
	bool write_msb;		/* RW_WORD: the MSB comes next */
	uint8_t lsb;
	bool read_msb;		/* RW_WORD: the MSB is read next */
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t status;
	bool latch_msb;
};

struct pit {
	struct vm *vm;
	struct pit_channel ch[3];
	uint8_t portb;
	struct vtimer irq0;
	uint64_t irq0_tick;	/* channel 0: the next tick to raise IRQ 0 at */
};

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return (unsigned __int128)ticks * 1000000000ULL / PIT_HZ;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (unsigned __int128)ns * PIT_HZ / 1000000000ULL;
}

/* Ticks counted since the reload value was loaded. */
static uint64_t pit_ticks(const struct pit_channel *c, uint64_t now)
{
	if (!c->loaded)
		return 0;
	if (!c->gate)
		return c->held;
	return c->held + ns_to_ticks(now - c->start);
}

static bool pit_periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

static uint16_t pit_count(const struct pit_channel *c, uint64_t now)
{
	uint64_t t = pit_ticks(c, now);

	if (!c->loaded)
		return 0;
	switch (c->mode) {
	case 2:
		return c->reload - t % c->reload;
	case 3:				/* counts down by two, twice a period */
		return (c->reload - (2 * t) % c->reload) & ~1U;
	default:			/* 0, 1, 4, 5: wrap past zero */
		return (c->reload - t) & 0xffff;
	}
}

static bool pit_out(const struct pit_channel *c, uint64_t now)
{
	uint64_t t = pit_ticks(c, now);

	if (!c->loaded)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
	case 1:
		return t >= c->reload;
	case 2:
		return t % c->reload != c->reload - 1;
	case 3:
		return t % c->reload < (c->reload + 1) / 2;
	default:			/* 4, 5: low for the tick at zero */
		return t != c->reload;
	}
}

/* Channel 0: when the next IRQ 0 edge is due, from irq0_tick on. */
static void pit_arm_irq0(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t now = clock_ns(), t = pit_ticks(c, now), tick;

	if (!c->loaded || !c->gate) {
		vtimer_cancel(&p->vm->timers, &p->irq0);
		return;
	}
	if (pit_periodic(c)) {
		/* The next multiple of the period: missed ticks merge. */
		tick = (t / c->reload + 1) * c->reload;
		if (tick < p->irq0_tick)
			tick = p->irq0_tick;
	} else {
		tick = c->reload;	/* one edge when the count reaches 0 */
		if (t >= tick) {
			vtimer_cancel(&p->vm->timers, &p->irq0);
			return;
		}
	}
	p->irq0_tick = tick;
	vtimer_arm(&p->vm->timers, &p->irq0,
		   c->start + ticks_to_ns(tick - c->held));
}

static void pit_irq0_fire(void *arg, uint64_t gen)
{
	struct pit *p = arg;

	pthread_mutex_lock(&p->vm->irq_lock);
	if (gen == p->irq0.gen) {
		irq_set_line_locked(p->vm, 0, 1);
		irq_set_line_locked(p->vm, 0, 0);
		if (pit_periodic(&p->ch[0])) {
			p->irq0_tick += p->ch[0].reload;
			pit_arm_irq0(p);
		}
	}
	pthread_mutex_unlock(&p->vm->irq_lock);
}

static void pit_load(struct pit *p, unsigned int n, uint32_t value)
{
	struct pit_channel *c = &p->ch[n];

	c->reload = value ? value : 0x10000;
	c->loaded = true;
	c->held = 0;
	c->start = clock_ns();
	if (n == 0) {
		p->irq0_tick = 0;
		pit_arm_irq0(p);
	}
}

static void pit_write_counter(struct pit *p, unsigned int n, uint8_t val)
{
	struct pit_channel *c = &p->ch[n];

	switch (c->rw) {
	case RW_LSB:
		pit_load(p, n, val);
		break;
	case RW_MSB:
		pit_load(p, n, (uint32_t)val << 8);
		break;
	default:
		if (!c->write_msb) {
			c->lsb = val;
			c->write_msb = true;
			/* Mode 0: writing the first byte stops the count. */
			if (c->mode == 0 && n == 0)
				vtimer_cancel(&p->vm->timers, &p->irq0);
		} else {
			c->write_msb = false;
			pit_load(p, n, c->lsb | (uint32_t)val << 8);
		}
		break;
	}
}

static uint8_t pit_read_counter(struct pit *p, unsigned int n)
{
	struct pit_channel *c = &p->ch[n];
	uint16_t count;
	uint8_t val;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		count = c->latch;
	} else {
		count = pit_count(c, clock_ns());
	}
	switch (c->rw) {
	case RW_LSB:
		c->count_latched = false;
		return count & 0xff;
	case RW_MSB:
		c->count_latched = false;
		return count >> 8;
	default:
		val = c->read_msb ? count >> 8 : count & 0xff;
		if (c->read_msb)
			c->count_latched = false;
		c->read_msb = !c->read_msb;
		return val;
	}
}

static void pit_latch(struct pit_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;		/* the first latch holds until read */
	c->latch = pit_count(c, now);
	c->count_latched = true;
	c->read_msb = false;
}

/* Read-back command: latch count and/or status of the selected counters. */
static void pit_readback(struct pit *p, uint8_t val, uint64_t now)
{
	unsigned int n;

	for (n = 0; n < 3; n++) {
		struct pit_channel *c = &p->ch[n];

		if (!(val & (2U << n)))
			continue;
		if (!(val & RB_NO_STATUS) && !c->status_latched) {
			c->status = (pit_out(c, now) ? 0x80 : 0) |
				    (c->loaded ? 0 : 0x40) | c->rw << 4 |
				    c->mode << 1 | c->bcd;
			c->status_latched = true;
		}
		if (!(val & RB_NO_COUNT))
			pit_latch(c, now);
	}
}

static void pit_control(struct pit *p, uint8_t val)
{
	unsigned int n = CW_SC(val);
	struct pit_channel *c = &p->ch[n];
	uint64_t now = clock_ns();

	if (n == CW_READBACK) {
		pit_readback(p, val, now);
		return;
	}
	if (CW_RW(val) == RW_LATCH) {
		pit_latch(c, now);
		return;
	}
	/* A new mode stops the counter until a count is written. */
	c->rw = CW_RW(val);
	c->mode = CW_MODE(val) > 5 ? CW_MODE(val) - 4 : CW_MODE(val);
	c->bcd = val & CW_BCD;
	c->loaded = false;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
	if (n == 0)
		vtimer_cancel(&p->vm->timers, &p->irq0);
}

static uint64_t pit_io_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pit *p = dev;
	uint8_t val = 0xff;

	(void)size;
	if (offset == PIT_CONTROL)
		return val;		/* the control word is write-only */
	pthread_mutex_lock(&p->vm->irq_lock);
	val = pit_read_counter(p, offset);
	pthread_mutex_unlock(&p->vm->irq_lock);
	return val;
}

static void pit_io_write(void *dev, uint64_t offset, unsigned int size,
			 uint64_t value)
{
	struct pit *p = dev;

	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	if (offset == PIT_CONTROL)
		pit_control(p, value);
	else
		pit_write_counter(p, offset, value);
	pthread_mutex_unlock(&p->vm->irq_lock);
}

static const struct io_ops pit_ops = {
	.read = pit_io_read,
	.write = pit_io_write,
};

/*
 * Port B's gate bit is channel 2's GATE input.  A rising edge restarts
 * modes 1, 2, 3 and 5 from the reload value; modes 0 and 4 only pause
 * while it is low.
 */
static void pit_set_gate2(struct pit *p, bool gate)
{
	struct pit_channel *c = &p->ch[2];
	uint64_t now = clock_ns();

	if (gate == c->gate)
		return;
	if (!gate) {
		c->held = pit_ticks(c, now);
	} else if (c->mode == 0 || c->mode == 4) {
		c->start = now;
	} else {
		c->held = 0;
		c->start = now;
	}
	c->gate = gate;
}

static uint64_t portb_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pit *p = dev;
	uint64_t now = clock_ns();
	uint8_t val;

	(void)offset;
	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	val = p->portb & PORTB_RW_MASK;
	if ((now / REFRESH_NS) & 1)
		val |= PORTB_REFRESH;
	if (pit_out(&p->ch[2], now))
		val |= PORTB_OUT2;
	pthread_mutex_unlock(&p->vm->irq_lock);
	return val;
}

static void portb_write(void *dev, uint64_t offset, unsigned int size,
			uint64_t value)
{
	struct pit *p = dev;

	(void)offset;
	(void)size;
	pthread_mutex_lock(&p->vm->irq_lock);
	p->portb = value & PORTB_RW_MASK;
	pit_set_gate2(p, value & PORTB_GATE2);
	pthread_mutex_unlock(&p->vm->irq_lock);
}

static const struct io_ops portb_ops = {
	.read = portb_read,
	.write = portb_write,
};

struct pit *pit_create(struct vm *vm)
{
	struct pit *p = calloc(1, sizeof(*p));

	if (!p) {
		pr_perror("8254");
		return NULL;
	}
	p->vm = vm;
	/* Channels 0 and 1 are gated on; channel 2 by port B. */
	p->ch[0].gate = p->ch[1].gate = true;
	vtimer_init(&p->irq0, pit_irq0_fire, p);
	if (iobus_register(&vm->pio, PIT_PORT, 4, 1, "8254", &pit_ops, p) < 0 ||
	    iobus_register(&vm->pio, PORT_B, 1, 1, "port B", &portb_ops,
			   p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void pit_destroy(struct pit *p)
{
	free(p);
}
