// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the PCI host bridge, configuration space, BAR
 * decoding and the devices' interrupts (pci.h).
 *
 * Locking: config space, BARs and the decode state are under bus->lock,
 * written by config accesses and read by BAR accesses; interrupt state
 * (INTx levels, MSI-X tables) is under vm->irq_lock, which device threads
 * take to raise an interrupt.  bus->lock is never taken with irq_lock held.
 */
#include <stdlib.h>
#include <string.h>

#include "aml.h"
#include "devices.h"
#include "irq.h"
#include "pci.h"
#include "util.h"
#include "vm.h"

#define CONFIG_ADDRESS		0xcf8
#define CONFIG_ENABLE		(1U << 31)
#define RESET_CONTROL		0xcf9	/* PIIX/ICH: byte accesses only */

/* QEMU's PCIe host bridge ID (Red Hat, Inc.): a bridge without quirks. */
#define HOST_VENDOR		0x1b36
#define HOST_DEVICE		0x0008
#define CLASS_HOST_BRIDGE	0x060000

/* INTA#-INTD# of @slot, swizzled over I/O APIC pins 16-23 (the _PRT). */
#define PCI_GSI(slot, pin)	(16 + ((slot) + (pin) + 3) % 8)

#define MSIX_CTRL		2	/* message control, in the capability */
#define  MSIX_ENABLE		0x8000
#define  MSIX_MASKALL		0x4000
#define MSIX_ENTRY_MASKED	1

struct pci_bus {
	struct vm *vm;
	pthread_rwlock_t lock;
	uint32_t config_address;
	struct pci_device *slots[PCI_SLOTS];
	uint32_t next_mmio, next_io;	/* firmware's BAR allocator */
	struct pci_device host;
};

static uint16_t cfg_get16(const struct pci_device *pdev, unsigned int at)
{
	return pdev->cfg[at] | pdev->cfg[at + 1] << 8;
}

static uint32_t cfg_get32(const struct pci_device *pdev, unsigned int at)
{
	return cfg_get16(pdev, at) | (uint32_t)cfg_get16(pdev, at + 2) << 16;
}

static void put_le(uint8_t *p, unsigned int n, uint32_t v)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

static void cfg_set(struct pci_device *pdev, unsigned int at, unsigned int n,
		    uint32_t v)
{
	put_le(pdev->cfg + at, n, v);
}

void pci_device_init(struct pci_device *pdev, struct vm *vm, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class,
		     uint16_t subsys_vendor, uint16_t subsys)
{
	memset(pdev, 0, sizeof(*pdev));
	pdev->name = name;
	pdev->vm = vm;
	cfg_set(pdev, PCI_VENDOR_ID, 2, vendor);
	cfg_set(pdev, PCI_DEVICE_ID, 2, device);
	cfg_set(pdev, PCI_REVISION_ID, 4, class << 8 | 1);
	cfg_set(pdev, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	cfg_set(pdev, PCI_SUBSYSTEM_ID, 2, subsys);
	/* Decoding, bus mastering and INTx disable are the guest's to set. */
	put_le(pdev->wmask + PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
	pdev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	pdev->cfg[PCI_INTERRUPT_PIN] = 1;		/* INTA# */
	pdev->next_cap = PCI_CAP_START;
	pdev->last_cap_next = &pdev->cfg[PCI_CAPABILITY_LIST];
}

void pci_add_bar(struct pci_device *pdev, unsigned int bar, uint32_t size,
		 bool io, const struct io_ops *ops, void *dev)
{
	pdev->bars[bar] = (struct pci_bar){ .size = size, .io = io,
					    .ops = ops, .dev = dev };
	cfg_set(pdev, PCI_BAR0 + 4 * bar, 4, io ? 1 : 0);
	/* The address bits above the size are writable (PCI 3.0, 6.2.5.1). */
	put_le(pdev->wmask + PCI_BAR0 + 4 * bar, 4,
		~(size - 1) & (io ? 0xfffcU : ~0xfU));
}

unsigned int pci_add_cap(struct pci_device *pdev, uint8_t id, unsigned int len)
{
	unsigned int at = pdev->next_cap;

	pdev->cfg[at] = id;
	*pdev->last_cap_next = at;
	pdev->last_cap_next = &pdev->cfg[at + 1];
	pdev->next_cap = ALIGN_UP(at + len, 4U);
	cfg_set(pdev, PCI_STATUS, 2, cfg_get16(pdev, PCI_STATUS) |
		PCI_STATUS_CAP_LIST);
	return at;
}

/* PCI 3.0, 6.8.2, "MSI-X Capability and Table Structure". */
void pci_add_msix(struct pci_device *pdev, unsigned int vectors,
		  unsigned int bar, uint32_t offset, uint32_t pba_offset)
{
	unsigned int at = pci_add_cap(pdev, PCI_CAP_ID_MSIX, 12), i;

	pdev->msix_cap = at;
	pdev->msix_vectors = vectors;
	cfg_set(pdev, at + MSIX_CTRL, 2, vectors - 1);
	put_le(pdev->wmask + at + MSIX_CTRL, 2, MSIX_ENABLE | MSIX_MASKALL);
	cfg_set(pdev, at + 4, 4, offset | bar);
	cfg_set(pdev, at + 8, 4, pba_offset | bar);
	for (i = 0; i < vectors; i++)
		pdev->msix[i].ctrl = MSIX_ENTRY_MASKED;
}

/* --- Interrupts (vm->irq_lock) --- */

static uint16_t msix_ctrl(const struct pci_device *pdev)
{
	return cfg_get16(pdev, pdev->msix_cap + MSIX_CTRL);
}

bool pci_msix_enabled(const struct pci_device *pdev)
{
	return pdev->msix_vectors && (msix_ctrl(pdev) & MSIX_ENABLE);
}

static void msix_send(struct pci_device *pdev, unsigned int v)
{
	const struct pci_msix_entry *e = &pdev->msix[v];

	irq_send_msi_locked(pdev->vm,
			    (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data);
}

/* Send what is pending and no longer masked. */
static void msix_flush(struct pci_device *pdev)
{
	unsigned int v;

	if (!pci_msix_enabled(pdev) || (msix_ctrl(pdev) & MSIX_MASKALL))
		return;
	for (v = 0; v < pdev->msix_vectors; v++) {
		if (!(pdev->msix_pending >> v & 1) ||
		    (pdev->msix[v].ctrl & MSIX_ENTRY_MASKED))
			continue;
		pdev->msix_pending &= ~(1ULL << v);
		msix_send(pdev, v);
	}
}

bool pci_msix_notify(struct pci_device *pdev, unsigned int vector)
{
	struct vm *vm = pdev->vm;
	bool on;

	pthread_mutex_lock(&vm->irq_lock);
	on = pci_msix_enabled(pdev);
	if (on && vector < pdev->msix_vectors) {
		if ((msix_ctrl(pdev) & MSIX_MASKALL) ||
		    (pdev->msix[vector].ctrl & MSIX_ENTRY_MASKED))
			pdev->msix_pending |= 1ULL << vector;
		else
			msix_send(pdev, vector);
	}
	pthread_mutex_unlock(&vm->irq_lock);
	return on;
}

/* The table is an array of 16-byte entries of four dwords. */
uint64_t pci_msix_read(struct pci_device *pdev, uint64_t offset,
		       unsigned int size, bool pba)
{
	struct vm *vm = pdev->vm;
	uint64_t v = 0;
	unsigned int i;

	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; i < size; i += 4) {
		uint64_t at = offset + i;
		uint32_t d = 0;

		if (pba) {
			if (at < 8)
				d = pdev->msix_pending >> (8 * at);
		} else if (at / 16 < pdev->msix_vectors) {
			const uint32_t *e = &pdev->msix[at / 16].addr_lo;

			d = e[at % 16 / 4] >> (8 * (at % 4));
		}
		v |= (uint64_t)d << (8 * i);
	}
	pthread_mutex_unlock(&vm->irq_lock);
	return size < 8 ? v & ((1ULL << (8 * size)) - 1) : v;
}

/* Entries take dword and qword accesses (PCI 3.0, 6.8.2); others are dropped. */
void pci_msix_write(struct pci_device *pdev, uint64_t offset,
		    unsigned int size, uint64_t value)
{
	struct vm *vm = pdev->vm;
	unsigned int i;

	if ((size != 4 && size != 8) || offset % size)
		return;
	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; i < size; i += 4) {
		uint64_t at = offset + i;
		uint32_t *e;

		if (at / 16 >= pdev->msix_vectors)
			break;
		e = &pdev->msix[at / 16].addr_lo;
		e[at % 16 / 4] = value >> (8 * i);
		if (at % 16 == 12)
			e[3] &= MSIX_ENTRY_MASKED;
	}
	msix_flush(pdev);
	pthread_mutex_unlock(&vm->irq_lock);
}

/* INTA# lines are wired-OR, active low (PCI 3.0, 2.2.6). */
static void intx_update(struct pci_device *pdev)
{
	struct pci_bus *bus = pdev->bus;
	bool low = false;
	unsigned int s;

	/* No INTA# (the host bridge): no line; its gsi 0 is IRQ 0's. */
	if (!pdev->cfg[PCI_INTERRUPT_PIN])
		return;
	for (s = 0; s < PCI_SLOTS; s++) {
		struct pci_device *d = bus->slots[s];

		if (d && d->gsi == pdev->gsi && d->intx &&
		    !(cfg_get16(d, PCI_COMMAND) & PCI_COMMAND_INTX_OFF))
			low = true;
	}
	irq_set_line_locked(pdev->vm, pdev->gsi, !low);
}

void pci_set_intx(struct pci_device *pdev, bool asserted)
{
	struct vm *vm = pdev->vm;

	pthread_mutex_lock(&vm->irq_lock);
	if (pdev->intx != asserted) {
		pdev->intx = asserted;
		cfg_set(pdev, PCI_STATUS, 2, (cfg_get16(pdev, PCI_STATUS) &
			~PCI_STATUS_INTX) | (asserted ? PCI_STATUS_INTX : 0));
		intx_update(pdev);
	}
	pthread_mutex_unlock(&vm->irq_lock);
}

/* --- Configuration space (bus->lock held for writing) --- */

uint32_t pci_bar_decoded(struct pci_device *pdev, unsigned int bar)
{
	const struct pci_bar *b = &pdev->bars[bar];
	uint16_t cmd = cfg_get16(pdev, PCI_COMMAND);

	if (!b->size || !(cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return 0;
	return b->addr;
}

static uint32_t cfg_read(struct pci_device *pdev, unsigned int reg,
			 unsigned int size)
{
	uint32_t v = 0;
	unsigned int i;

	if (pdev->ops && pdev->ops->cfg_read &&
	    pdev->ops->cfg_read(pdev, reg, size, &v))
		return v;
	/* The status register's INTx bit changes under irq_lock. */
	pthread_mutex_lock(&pdev->vm->irq_lock);
	for (i = 0; i < size; i++)
		v |= (uint32_t)pdev->cfg[reg + i] << (8 * i);
	pthread_mutex_unlock(&pdev->vm->irq_lock);
	return v;
}

static bool overlaps(unsigned int reg, unsigned int size, unsigned int at,
		     unsigned int len)
{
	return reg < at + len && at < reg + size;
}

static void cfg_write(struct pci_device *pdev, unsigned int reg,
		      unsigned int size, uint32_t value)
{
	struct vm *vm = pdev->vm;
	bool bars_changed = false;
	unsigned int i, b;
	uint16_t old_cmd = cfg_get16(pdev, PCI_COMMAND);

	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; i < size; i++) {
		uint8_t m = pdev->wmask[reg + i], v = value >> (8 * i);

		pdev->cfg[reg + i] = (pdev->cfg[reg + i] & ~m) | (v & m);
	}
	for (b = 0; b < PCI_BARS; b++) {
		struct pci_bar *bar = &pdev->bars[b];
		uint32_t addr;

		if (!bar->size || !overlaps(reg, size, PCI_BAR0 + 4 * b, 4))
			continue;
		addr = cfg_get32(pdev, PCI_BAR0 + 4 * b) &
		       (bar->io ? ~3U : ~0xfU);
		bars_changed |= addr != bar->addr;
		bar->addr = addr;
	}
	if (overlaps(reg, size, PCI_COMMAND, 2)) {
		uint16_t cmd = cfg_get16(pdev, PCI_COMMAND);

		bars_changed |= (cmd ^ old_cmd) &
				(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
		if ((cmd ^ old_cmd) & PCI_COMMAND_INTX_OFF)
			intx_update(pdev);
	}
	if (pdev->msix_vectors &&
	    overlaps(reg, size, pdev->msix_cap + MSIX_CTRL, 2))
		msix_flush(pdev);
	pthread_mutex_unlock(&vm->irq_lock);

	if (bars_changed && pdev->ops && pdev->ops->bars_changed)
		pdev->ops->bars_changed(pdev);
	if (pdev->ops && pdev->ops->cfg_write)
		pdev->ops->cfg_write(pdev, reg, size, value);
}

/* Bus 0, function 0 only; what is not there reads as all ones. */
static struct pci_device *cfg_target(struct pci_bus *bus, unsigned int busnr,
				     unsigned int devfn)
{
	if (busnr != 0 || (devfn & 7))
		return NULL;
	return bus->slots[devfn >> 3];
}

static uint32_t cfg_access(struct pci_bus *bus, unsigned int busnr,
			   unsigned int devfn, unsigned int reg,
			   unsigned int size, bool write, uint32_t value)
{
	struct pci_device *pdev;
	uint32_t v = ~0U;

	pthread_rwlock_wrlock(&bus->lock);
	pdev = cfg_target(bus, busnr, devfn);
	if (pdev && reg + size <= PCI_CFG_SIZE) {
		if (write)
			cfg_write(pdev, reg, size, value);
		else
			v = cfg_read(pdev, reg, size);
	}
	pthread_rwlock_unlock(&bus->lock);
	return size == 4 ? v : v & ((1U << (8 * size)) - 1);
}

/*
 * Mechanism #1 (PCI 3.0, 3.2.2.3.2): a dword at 0xcf8 selects, 0xcfc-0xcff
 * carry the data.  Byte accesses to 0xcf9 are the reset control register.
 */
static uint64_t cf8_read(void *dev, uint64_t offset, unsigned int size)
{
	struct pci_bus *bus = dev;
	uint32_t addr = __atomic_load_n(&bus->config_address, __ATOMIC_RELAXED);

	if (offset < 4)
		return offset == 0 && size == 4 ? addr : 0;
	if (!(addr & CONFIG_ENABLE))
		return ~0ULL >> (64 - 8 * size);
	return cfg_access(bus, addr >> 16 & 0xff, addr >> 8 & 0xff,
			  (addr & 0xfc) + offset - 4, size, false, 0);
}

static void cf8_write(void *dev, uint64_t offset, unsigned int size,
		      uint64_t value)
{
	struct pci_bus *bus = dev;
	uint32_t addr = __atomic_load_n(&bus->config_address, __ATOMIC_RELAXED);

	if (offset == 0 && size == 4) {
		__atomic_store_n(&bus->config_address, value & 0x80fffffc,
				 __ATOMIC_RELAXED);
		return;
	}
	if (offset == RESET_CONTROL - CONFIG_ADDRESS && size == 1) {
		reset_control_write(bus->vm, value);
		return;
	}
	if (offset >= 4 && (addr & CONFIG_ENABLE))
		cfg_access(bus, addr >> 16 & 0xff, addr >> 8 & 0xff,
			   (addr & 0xfc) + offset - 4, size, true, value);
}

static const struct io_ops cf8_ops = {
	.read = cf8_read,
	.write = cf8_write,
};

/* ECAM (PCIe 4.0, 7.2.2): bus 27:20, device 19:15, function 14:12. */
static uint64_t ecam_read(void *dev, uint64_t offset, unsigned int size)
{
	return cfg_access(dev, offset >> 20, offset >> 12 & 0xff,
			  offset & 0xfff, size, false, 0);
}

static void ecam_write(void *dev, uint64_t offset, unsigned int size,
		       uint64_t value)
{
	cfg_access(dev, offset >> 20, offset >> 12 & 0xff, offset & 0xfff,
		   size, true, value);
}

static const struct io_ops ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
};

/* --- The windows: BAR accesses (bus->lock held for reading) --- */

static struct pci_bar *bar_at(struct pci_bus *bus, bool io, uint64_t addr,
			      uint64_t *offset)
{
	unsigned int s, b;

	for (s = 0; s < PCI_SLOTS; s++) {
		struct pci_device *pdev = bus->slots[s];

		for (b = 0; pdev && b < PCI_BARS; b++) {
			struct pci_bar *bar = &pdev->bars[b];
			uint32_t base = pci_bar_decoded(pdev, b);

			if (base && bar->io == io && addr - base < bar->size) {
				*offset = addr - base;
				return bar;
			}
		}
	}
	return NULL;
}

static uint64_t window_read(struct pci_bus *bus, bool io, uint64_t addr,
			    unsigned int size)
{
	struct pci_bar *bar;
	uint64_t offset, v = ~0ULL;

	pthread_rwlock_rdlock(&bus->lock);
	bar = bar_at(bus, io, addr, &offset);
	if (bar && offset + size <= bar->size && bar->ops->read)
		v = bar->ops->read(bar->dev, offset, size);
	pthread_rwlock_unlock(&bus->lock);
	return v;
}

static void window_write(struct pci_bus *bus, bool io, uint64_t addr,
			 unsigned int size, uint64_t value)
{
	struct pci_bar *bar;
	uint64_t offset;

	pthread_rwlock_rdlock(&bus->lock);
	bar = bar_at(bus, io, addr, &offset);
	if (bar && offset + size <= bar->size && bar->ops->write)
		bar->ops->write(bar->dev, offset, size, value);
	pthread_rwlock_unlock(&bus->lock);
}

static uint64_t mmio_read(void *dev, uint64_t offset, unsigned int size)
{
	return window_read(dev, false, PCI_MMIO_BASE + offset, size);
}

static void mmio_write(void *dev, uint64_t offset, unsigned int size,
		       uint64_t value)
{
	window_write(dev, false, PCI_MMIO_BASE + offset, size, value);
}

static uint64_t io_read(void *dev, uint64_t offset, unsigned int size)
{
	return window_read(dev, true, PCI_IO_BASE + offset, size);
}

static void io_write(void *dev, uint64_t offset, unsigned int size,
		     uint64_t value)
{
	window_write(dev, true, PCI_IO_BASE + offset, size, value);
}

static const struct io_ops mmio_window_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

static const struct io_ops io_window_ops = {
	.read = io_read,
	.write = io_write,
};

/* --- The bus --- */

static int alloc_bar(struct pci_bus *bus, struct pci_bar *bar)
{
	uint32_t *next = bar->io ? &bus->next_io : &bus->next_mmio;
	uint32_t end = bar->io ? PCI_IO_BASE + PCI_IO_SIZE :
				 PCI_MMIO_BASE + PCI_MMIO_SIZE;
	uint32_t at = ALIGN_UP(*next, bar->size);

	if (at < *next || at > end || bar->size > end - at)
		return -1;
	bar->addr = at;
	*next = at + bar->size;
	return 0;
}

int pci_register(struct pci_bus *bus, struct pci_device *pdev)
{
	unsigned int s, b;

	for (s = 1; s < PCI_SLOTS && bus->slots[s]; s++)
		;
	if (s == PCI_SLOTS) {
		pr_err("%s: no free PCI slot", pdev->name);
		return -1;
	}
	for (b = 0; b < PCI_BARS; b++) {
		struct pci_bar *bar = &pdev->bars[b];

		if (!bar->size)
			continue;
		if (alloc_bar(bus, bar) < 0) {
			pr_err("%s: no room for BAR %u (%u bytes)", pdev->name,
			       b, bar->size);
			return -1;
		}
		cfg_set(pdev, PCI_BAR0 + 4 * b, 4,
			bar->addr | (bar->io ? 1 : 0));
	}
	pdev->bus = bus;
	pdev->slot = s;
	pdev->gsi = PCI_GSI(s, 0);
	pdev->cfg[PCI_INTERRUPT_LINE] = pdev->gsi;
	pthread_rwlock_wrlock(&bus->lock);
	bus->slots[s] = pdev;
	pthread_rwlock_unlock(&bus->lock);
	/* Not asserted: high. */
	irq_set_line(pdev->vm, pdev->gsi, 1);
	return 0;
}

struct pci_bus *pci_create(struct vm *vm)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	unsigned int pin;

	if (!bus) {
		pr_perror("PCI");
		return NULL;
	}
	bus->vm = vm;
	pthread_rwlock_init(&bus->lock, NULL);
	bus->next_mmio = PCI_MMIO_BASE;
	bus->next_io = PCI_IO_BASE;
	pci_device_init(&bus->host, vm, "host bridge", HOST_VENDOR,
			HOST_DEVICE, CLASS_HOST_BRIDGE, HOST_VENDOR, 0x1100);
	bus->host.cfg[PCI_INTERRUPT_PIN] = 0;
	bus->host.bus = bus;
	bus->slots[0] = &bus->host;
	/* The PCI pins idle high. */
	for (pin = 16; pin < IRQ_IOAPIC_PINS; pin++)
		irq_set_line(vm, pin, 1);
	if (iobus_register(&vm->pio, CONFIG_ADDRESS, 8, 4, "PCI config",
			   &cf8_ops, bus) < 0 ||
	    iobus_register(&vm->pio, PCI_IO_BASE, PCI_IO_SIZE, 0,
			   "PCI I/O window", &io_window_ops, bus) < 0 ||
	    iobus_register(&vm->mmio, PCI_MMIO_BASE, PCI_MMIO_SIZE, 0,
			   "PCI memory window", &mmio_window_ops, bus) < 0 ||
	    iobus_register(&vm->mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE, 4,
			   "PCI ECAM", &ecam_ops, bus) < 0) {
		pci_destroy(bus);
		return NULL;
	}
	return bus;
}

void pci_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	pthread_rwlock_destroy(&bus->lock);
	free(bus);
}

/* --- ACPI --- */

static void word_range(struct aml *a, uint8_t type, uint8_t flags,
		       uint16_t min, uint16_t max)
{
	/* Word Address Space Descriptor (ACPI 6.4.3.5.3): MinFixed, MaxFixed. */
	const uint8_t d[] = { 0x88, 0x0d, 0x00, type, 0x0c, flags, 0, 0,
			      min, min >> 8, max, max >> 8, 0, 0,
			      (max - min + 1), (max - min + 1) >> 8 };

	aml_bytes(a, d, sizeof(d));
}

static void dword_memory(struct aml *a, uint32_t min, uint32_t len)
{
	/* DWord Address Space Descriptor (6.4.3.5.2): read/write, uncached. */
	uint32_t max = min + len - 1;
	const uint8_t d[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
			      min, min >> 8, min >> 16, min >> 24,
			      max, max >> 8, max >> 16, max >> 24, 0, 0, 0, 0,
			      len, len >> 8, len >> 16, len >> 24 };

	aml_bytes(a, d, sizeof(d));
}

/* Three word ranges, a dword one, the end tag. */
#define CRS_LEN			(3 * 16 + 26 + 2)

/*
 * Scope (\_SB) { Device (PCI0) { _HID PNP0A03, _UID 0, _CRS: bus 0, the
 * ports but 0xcf8-0xcff, the memory window; _PRT: INTA#-INTD# of each
 * slot to their I/O APIC pins (ACPI 6.2.13) } }.
 */
void pci_build_aml(struct aml *a)
{
	static const uint8_t scope[] = { AML_SCOPE_OP };
	static const uint8_t device[] = { AML_EXT_PREFIX, AML_DEVICE_OP };
	static const uint8_t buffer[] = { AML_BUFFER_OP };
	static const uint8_t package[] = { AML_PACKAGE_OP };
	static const uint8_t end_tag[] = { 0x79, 0x00 };
	size_t sb, dev, buf, prt, entry;
	unsigned int slot, pin;

	sb = aml_open(a, scope, sizeof(scope));
	aml_bytes(a, "\\_SB_", 5);
	dev = aml_open(a, device, sizeof(device));
	aml_bytes(a, "PCI0", 4);
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_UID");
	aml_int(a, 0);

	aml_name(a, "_CRS");
	buf = aml_open(a, buffer, sizeof(buffer));
	aml_int(a, CRS_LEN);
	word_range(a, 2, 0x00, 0, 0);			/* bus 0 */
	word_range(a, 1, 0x03, 0x0000, CONFIG_ADDRESS - 1);
	word_range(a, 1, 0x03, CONFIG_ADDRESS + 8, 0xffff);
	dword_memory(a, PCI_MMIO_BASE, PCI_MMIO_SIZE);
	aml_bytes(a, end_tag, sizeof(end_tag));
	aml_close(a, buf);

	aml_name(a, "_PRT");
	prt = aml_open(a, package, sizeof(package));
	aml_byte(a, (PCI_SLOTS - 1) * 4);
	for (slot = 1; slot < PCI_SLOTS; slot++) {
		for (pin = 0; pin < 4; pin++) {
			entry = aml_open(a, package, sizeof(package));
			aml_byte(a, 4);
			aml_int(a, slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);		/* no link device: a GSI */
			aml_int(a, PCI_GSI(slot, pin));
			aml_close(a, entry);
		}
	}
	aml_close(a, prt);
	aml_close(a, dev);
	aml_close(a, sb);
}
