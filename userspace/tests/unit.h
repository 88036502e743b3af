/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host tests (tests/unit): what unit.c and unit-pci.c share.  unit.c has
 * main() and the counters; a failed CHECK says where on stderr.
 */
#ifndef RINGSIDE_TESTS_UNIT_H
#define RINGSIDE_TESTS_UNIT_H

#include <stdint.h>
#include <stdio.h>

#include "../iobus.h"
#include "../vm.h"

extern int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__,	\
			#cond);						\
	}								\
} while (0)

/*
 * A VM that is only RAM, laid out as vm_create() does; free_vm() frees
 * the RAM and the struct, not the devices.
 */
struct vm *ram_vm(uint64_t size);
void free_vm(struct vm *vm);

/* Port I/O as a vCPU does it, through vm->pio. */
static inline uint8_t inb(struct vm *vm, uint16_t port)
{
	uint8_t v;

	iobus_read(&vm->pio, port, 1, &v);
	return v;
}

static inline void outb(struct vm *vm, uint16_t port, uint8_t v)
{
	iobus_write(&vm->pio, port, 1, &v);
}

static inline void outw(struct vm *vm, uint16_t port, uint16_t v)
{
	uint8_t d[2] = { v, v >> 8 };

	iobus_write(&vm->pio, port, 2, d);
}

/* Write I/O APIC pin @pin's redirection entry (vm->ioapic). */
void ioapic_rte(struct vm *vm, unsigned int pin, uint64_t rte);

/* unit-pci.c: the PCI host bridge and the virtio devices. */
void test_pci_host(void);
void test_virtio_rng(void);
void test_virtio_malformed(void);
void test_virtio_blk(void);

/* unit-route.c: "run --route"'s parser. */
void test_route_parse(void);

/* unit-gdb.c: the gdb stub and the guest page-table walk. */
void test_gdb_framing(void);
void test_gdb_regs(void);
void test_gva_walk(void);
void test_gdb_session(void);

#endif /* RINGSIDE_TESTS_UNIT_H */
