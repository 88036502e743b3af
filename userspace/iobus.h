/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: one small bus for port I/O and MMIO.
 *
 * Devices register address ranges with a read and a write callback before
 * the vCPUs start; the ranges never change afterwards, so dispatching takes
 * no lock (each device locks its own state).  An access nobody claims reads
 * as all ones and a write to it is dropped, as on a PC's ISA/PCI buses.
 */
#ifndef RINGSIDE_IOBUS_H
#define RINGSIDE_IOBUS_H

#include <stdint.h>

struct io_ops {
	/* @offset is relative to the range's base; @size is 1, 2, 4 or 8. */
	uint64_t (*read)(void *dev, uint64_t offset, unsigned int size);
	void (*write)(void *dev, uint64_t offset, unsigned int size,
		      uint64_t value);
};

struct io_range {
	uint64_t base;
	uint64_t len;
	/*
	 * The widest access the device decodes, or 0 for any.  Wider ones are
	 * split into pieces of this size at consecutive addresses, the way an
	 * ISA bus splits a 16-bit access to an 8-bit device.
	 */
	unsigned int max_size;
	const char *name;
	const struct io_ops *ops;
	void *dev;
};

#define IOBUS_MAX_RANGES	32

struct iobus {
	const char *name;		/* "port", "MMIO" */
	unsigned int nr;
	struct io_range ranges[IOBUS_MAX_RANGES];
};

void iobus_init(struct iobus *bus, const char *name);

/* Claim [base, base + len).  Returns 0, or -1 (overlap, full) with a message. */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   unsigned int max_size, const char *name,
		   const struct io_ops *ops, void *dev);

/* One access of @size bytes (1, 2, 4 or 8), little-endian in @data. */
void iobus_read(struct iobus *bus, uint64_t addr, unsigned int size,
		void *data);
void iobus_write(struct iobus *bus, uint64_t addr, unsigned int size,
		 const void *data);

#endif /* RINGSIDE_IOBUS_H */
