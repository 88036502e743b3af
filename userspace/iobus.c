// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: port I/O and MMIO dispatch to the devices.
 */
#include <string.h>

#include "iobus.h"
#include "util.h"

void iobus_init(struct iobus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   unsigned int max_size, const char *name,
		   const struct io_ops *ops, void *dev)
{
	struct io_range *r;
	unsigned int i;

	if (!len || base + len - 1 < base) {
		pr_err("%s: bad %s range %#llx+%#llx", name, bus->name,
		       (unsigned long long)base, (unsigned long long)len);
		return -1;
	}
	for (i = 0; i < bus->nr; i++) {
		r = &bus->ranges[i];
		if (base < r->base + r->len && r->base < base + len) {
			pr_err("%s: %s range %#llx+%#llx overlaps %s's",
			       name, bus->name, (unsigned long long)base,
			       (unsigned long long)len, r->name);
			return -1;
		}
	}
	if (bus->nr == IOBUS_MAX_RANGES) {
		pr_err("%s: the %s bus is full", name, bus->name);
		return -1;
	}
	bus->ranges[bus->nr++] = (struct io_range){
		.base = base, .len = len, .max_size = max_size,
		.name = name, .ops = ops, .dev = dev,
	};
	return 0;
}

static struct io_range *iobus_find(struct iobus *bus, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < bus->nr; i++) {
		struct io_range *r = &bus->ranges[i];

		if (addr - r->base < r->len)
			return &bus->ranges[i];
	}
	return NULL;
}

/*
 * How much of an access of @size bytes at @addr goes to @r in one call:
 * at most its max_size, and never past its end (halving keeps the piece a
 * power of two).  Unclaimed addresses go byte by byte, so that a range
 * starting inside a wide access still sees its part.
 */
static unsigned int piece_size(const struct io_range *r, uint64_t addr,
			       unsigned int size)
{
	if (!r)
		return 1;
	if (r->max_size && size > r->max_size)
		size = r->max_size;
	while (size > 1 && size > r->base + r->len - addr)
		size /= 2;
	return size;
}

/*
 * x86 is little-endian and so are the run page's data buffers: byte i of
 * an access is bits [8i, 8i + 8) of its value.
 */
static uint64_t load_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	while (size--)
		v = (v << 8) | p[size];
	return v;
}

static void store_le(uint8_t *p, unsigned int size, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < size; i++, v >>= 8)
		p[i] = v;
}

void iobus_read(struct iobus *bus, uint64_t addr, unsigned int size,
		void *data)
{
	uint8_t *p = data;
	unsigned int done, n;

	for (done = 0; done < size; done += n) {
		struct io_range *r = iobus_find(bus, addr + done);

		n = piece_size(r, addr + done, size - done);
		if (r && r->ops->read)
			store_le(p + done, n,
				 r->ops->read(r->dev, addr + done - r->base, n));
		else
			memset(p + done, 0xff, n);
	}
}

void iobus_write(struct iobus *bus, uint64_t addr, unsigned int size,
		 const void *data)
{
	const uint8_t *p = data;
	unsigned int done, n;

	for (done = 0; done < size; done += n) {
		struct io_range *r = iobus_find(bus, addr + done);

		n = piece_size(r, addr + done, size - done);
		if (r && r->ops->write)
			r->ops->write(r->dev, addr + done - r->base, n,
				      load_le(p + done, n));
	}
}
