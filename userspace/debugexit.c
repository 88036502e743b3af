// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: QEMU's isa-debug-exit, as tests use it with
 * "-device isa-debug-exit,iobase=0xf4,iosize=1": a guest write of V ends the
 * launcher with status (V << 1) | 1.  The status is always odd, so it never
 * reads as one of the launcher's own (even) statuses; V = 0, status 1, is
 * the tests' "success".
 */
#include "devices.h"
#include "iobus.h"
#include "vm.h"

static void debugexit_write(void *dev, uint64_t offset, unsigned int size,
			    uint64_t value)
{
	(void)offset;
	(void)size;
	vm_request_stop(dev, (int)(((value & 0xff) << 1) | 1));
}

static const struct io_ops debugexit_ops = {
	.write = debugexit_write,
};

int debugexit_create(struct vm *vm)
{
	return iobus_register(&vm->pio, DEBUG_EXIT_PORT, 1, 1, "isa-debug-exit",
			      &debugexit_ops, vm);
}
