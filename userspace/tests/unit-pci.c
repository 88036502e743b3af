// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the PCI host bridge (pci.c) and the virtio devices
 * (virtio.c, virtio-rng.c, virtio-blk.c), driven the way a guest drives
 * them: config space through 0xcf8/0xcfc and ECAM, the BARs through
 * vm->mmio, the rings in the RAM of a VM that is only RAM (unit.h).
 *
 * The devices' I/O threads are real.  Without a VM fd there is no
 * RS_IOEVENTFD, so a notification is the MMIO handler's eventfd_write();
 * what the thread does is waited for with WAIT().  MSI-X messages and the
 * I/O APIC's go to capture().
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../irq.h"
#include "../lapic.h"
#include "../pci.h"
#include "../util.h"
#include "../virtio.h"
#include "../vm.h"
#include "unit.h"

/* --- What reached the local APICs --- */

struct msg {
	uint32_t dest;
	uint8_t vector;
};

#define MAX_MSGS		64
static struct msg msgs[MAX_MSGS];
static unsigned int nr_msgs;

/* irq_deliver_fn: irq_lock held, on the test's thread or an I/O thread. */
static void capture(struct vm *vm, uint32_t dest, bool logical,
		    uint8_t vector, bool level, unsigned int delivery)
{
	unsigned int n = __atomic_load_n(&nr_msgs, __ATOMIC_RELAXED);

	(void)vm;
	(void)logical;
	(void)level;
	(void)delivery;
	if (n < MAX_MSGS)
		msgs[n] = (struct msg){ .dest = dest, .vector = vector };
	__atomic_store_n(&nr_msgs, n + 1, __ATOMIC_RELEASE);
}

static unsigned int sent(void)
{
	return __atomic_load_n(&nr_msgs, __ATOMIC_ACQUIRE);
}

static struct msg last_msg(void)
{
	unsigned int n = sent();

	return n && n <= MAX_MSGS ? msgs[n - 1] : (struct msg){ 0 };
}

static void sleep_ms(unsigned int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Poll @cond for up to 5 s: a device's I/O thread is answering. */
#define WAIT(cond) ({							\
	bool ok_ = false;						\
	unsigned int i_;						\
									\
	for (i_ = 0; i_ < 5000 && !(ok_ = (cond)); i_++)		\
		sleep_ms(1);						\
	ok_;								\
})

/* --- A guest's accesses --- */

static uint32_t inl(struct vm *vm, uint16_t port)
{
	uint32_t v = 0;

	iobus_read(&vm->pio, port, 4, &v);
	return v;
}

static void outl(struct vm *vm, uint16_t port, uint32_t v)
{
	iobus_write(&vm->pio, port, 4, &v);
}

static uint64_t rd(struct vm *vm, uint64_t addr, unsigned int size)
{
	uint64_t v = 0;

	iobus_read(&vm->mmio, addr, size, &v);
	return v;
}

static void wr(struct vm *vm, uint64_t addr, unsigned int size, uint64_t v)
{
	iobus_write(&vm->mmio, addr, size, &v);
}

/* Configuration mechanism #1: bus 0, @slot, function @fn. */
static uint32_t cfg_readf(struct vm *vm, unsigned int slot, unsigned int fn,
			  unsigned int reg, unsigned int size)
{
	uint32_t v = 0;

	outl(vm, 0xcf8, 0x80000000U | slot << 11 | fn << 8 | (reg & 0xfc));
	iobus_read(&vm->pio, 0xcfc + (reg & 3), size, &v);
	return v;
}

static uint32_t cfg_read(struct vm *vm, unsigned int slot, unsigned int reg,
			 unsigned int size)
{
	return cfg_readf(vm, slot, 0, reg, size);
}

static void cfg_write(struct vm *vm, unsigned int slot, unsigned int reg,
		      unsigned int size, uint32_t v)
{
	outl(vm, 0xcf8, 0x80000000U | slot << 11 | (reg & 0xfc));
	iobus_write(&vm->pio, 0xcfc + (reg & 3), size, &v);
}

/* ECAM: bus 0 only, device 19:15, function 14:12. */
static uint32_t ecam_read(struct vm *vm, unsigned int slot, unsigned int fn,
			  unsigned int reg, unsigned int size)
{
	return rd(vm, PCI_ECAM_BASE + (slot << 15 | fn << 12 | reg), size);
}

static void ecam_write(struct vm *vm, unsigned int slot, unsigned int reg,
		       unsigned int size, uint32_t v)
{
	wr(vm, PCI_ECAM_BASE + (slot << 15 | reg), size, v);
}

/*
 * A VM with the bus, an I/O APIC and vm->deliver to capture().  The I/O
 * APIC comes first: the bus drives its pins 16-23 high (idle).
 */
static struct vm *pci_vm(void)
{
	struct vm *vm = ram_vm(4 * MiB);

	vm->deliver = capture;
	vm->ioapic = ioapic_create(vm);
	vm->pci = pci_create(vm);
	return vm;
}

static void pci_vm_free(struct vm *vm)
{
	pci_destroy(vm->pci);
	ioapic_destroy(vm->ioapic);
	free_vm(vm);
}

#define RTE_POLARITY_LOW	(1ULL << 13)
#define RTE_LEVEL		(1ULL << 15)

/* --- The host bridge and the config mechanisms --- */

void test_pci_host(void)
{
	struct vm *vm = pci_vm();
	unsigned int n;

	CHECK(vm->pci != NULL);
	if (!vm->pci) {
		free_vm(vm);
		return;
	}
	/* CONFIG_ADDRESS reads back, its reserved bits 30:24 and 1:0 as 0. */
	outl(vm, 0xcf8, 0x80000000);
	CHECK(inl(vm, 0xcf8) == 0x80000000);
	outl(vm, 0xcf8, 0xffffffff);
	CHECK(inl(vm, 0xcf8) == 0x80fffffc);
	/* Only a dword access is CONFIG_ADDRESS. */
	outw(vm, 0xcf8, 0x1234);
	CHECK(inl(vm, 0xcf8) == 0x80fffffc);

	/* 00:00.0: QEMU's PCIe host bridge, class 06/00/00, no INTx. */
	CHECK(cfg_read(vm, 0, PCI_VENDOR_ID, 4) == 0x00081b36);
	CHECK(cfg_read(vm, 0, PCI_VENDOR_ID, 2) == 0x1b36);
	CHECK(cfg_read(vm, 0, PCI_DEVICE_ID, 2) == 0x0008);
	CHECK(cfg_read(vm, 0, PCI_REVISION_ID, 4) >> 8 == 0x060000);
	CHECK(cfg_read(vm, 0, 0x0b, 1) == 0x06);
	CHECK(cfg_read(vm, 0, PCI_HEADER_TYPE, 1) == 0);
	CHECK(cfg_read(vm, 0, PCI_INTERRUPT_PIN, 1) == 0);
	CHECK(cfg_read(vm, 0, PCI_BAR0, 4) == 0);
	/* Nothing at 00:05.0, at 00:00.1, on bus 1: all ones. */
	CHECK(cfg_read(vm, 5, PCI_VENDOR_ID, 4) == 0xffffffff);
	CHECK(cfg_read(vm, 5, PCI_DEVICE_ID, 2) == 0xffff);
	CHECK(cfg_readf(vm, 0, 1, PCI_VENDOR_ID, 4) == 0xffffffff);
	CHECK(cfg_readf(vm, 0, 7, PCI_VENDOR_ID, 4) == 0xffffffff);
	outl(vm, 0xcf8, 0x80010000);
	CHECK(inl(vm, 0xcfc) == 0xffffffff);
	/* The enable bit clear: all ones, and writes go nowhere. */
	outl(vm, 0xcf8, 0x00000000);
	CHECK(inl(vm, 0xcfc) == 0xffffffff);
	CHECK(inb(vm, 0xcfd) == 0xff);
	outl(vm, 0xcf8, PCI_COMMAND);
	outl(vm, 0xcfc, PCI_COMMAND_MEMORY);
	CHECK(cfg_read(vm, 0, PCI_COMMAND, 2) == 0);

	/* ECAM: the same registers, and the extended space is there. */
	CHECK(ecam_read(vm, 0, 0, PCI_VENDOR_ID, 4) == 0x00081b36);
	CHECK(ecam_read(vm, 0, 0, PCI_DEVICE_ID, 2) == 0x0008);
	CHECK(ecam_read(vm, 0, 0, PCI_REVISION_ID, 4) >> 8 == 0x060000);
	CHECK(ecam_read(vm, 0, 0, 0x100, 4) == 0);
	CHECK(ecam_read(vm, 5, 0, PCI_VENDOR_ID, 4) == 0xffffffff);
	CHECK(ecam_read(vm, 0, 1, PCI_VENDOR_ID, 4) == 0xffffffff);
	CHECK(rd(vm, PCI_ECAM_BASE + (1 << 20), 4) == 0xffffffff);
	/* What one mechanism writes the other reads; read-only bits stay. */
	ecam_write(vm, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	CHECK(cfg_read(vm, 0, PCI_COMMAND, 2) ==
	      (PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	cfg_write(vm, 0, PCI_VENDOR_ID, 4, 0);
	CHECK(ecam_read(vm, 0, 0, PCI_VENDOR_ID, 4) == 0x00081b36);
	cfg_write(vm, 0, PCI_INTERRUPT_LINE, 1, 0x0b);
	CHECK(ecam_read(vm, 0, 0, PCI_INTERRUPT_LINE, 1) == 0x0b);
	CHECK(cfg_read(vm, 0, PCI_INTERRUPT_PIN, 1) == 0);

	/*
	 * The host bridge has no INTA#: its Interrupt Disable bit drives no
	 * line (its gsi is 0, IRQ 0: the PIT's, on pin 2).
	 */
	ioapic_rte(vm, 2, 0x30);		/* edge, unmasked */
	n = sent();
	cfg_write(vm, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_OFF);
	cfg_write(vm, 0, PCI_COMMAND, 2, 0);
	CHECK(sent() == n);

	/* 0xcf9, the reset control register: RST_CPU ends the run. */
	outl(vm, 0xcf8, 0x80000800);
	outb(vm, 0xcf9, 0x02);
	CHECK(!vm_stopping(vm));
	CHECK(inl(vm, 0xcf8) == 0x80000800);	/* not CONFIG_ADDRESS */
	outb(vm, 0xcf9, 0x06);
	CHECK(vm_stopping(vm) && vm->status == STATUS_POWEROFF);
	pci_vm_free(vm);
}

/* --- A virtio driver (Linux's virtio_pci_modern, 4.1 and 3.1.1) --- */

#define ACK			VIRTIO_STATUS_ACK
#define DRIVER			VIRTIO_STATUS_DRIVER
#define FEATURES_OK		VIRTIO_STATUS_FEATURES_OK
#define DRIVER_OK		VIRTIO_STATUS_DRIVER_OK
#define NEEDS_RESET		VIRTIO_STATUS_NEEDS_RESET
#define READY			(ACK | DRIVER | FEATURES_OK | DRIVER_OK)

#define F_VERSION_1		(1ULL << VIRTIO_F_VERSION_1)
#define F_EVENT_IDX		(1ULL << VIRTIO_F_EVENT_IDX)
#define F_INDIRECT		(1ULL << VIRTIO_F_INDIRECT_DESC)
#define NO_VECTOR		0xffff

#define MSIX_ENABLE		0x8000
#define MSIX_MASKALL		0x4000

/* The common configuration (4.1.4.3). */
#define DFSELECT		0x00
#define DF			0x04
#define GFSELECT		0x08
#define GF			0x0c
#define MSIX_CONFIG		0x10
#define NUM_QUEUES		0x12
#define STATUS			0x14
#define Q_SELECT		0x16
#define Q_SIZE			0x18
#define Q_VECTOR		0x1a
#define Q_ENABLE		0x1c
#define Q_NOTIFY_OFF		0x1e
#define Q_DESC			0x20
#define Q_AVAIL			0x28
#define Q_USED			0x30

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define VRING_AVAIL_F_NO_INTERRUPT 1

/* Queue 0's rings and the buffers, in low RAM. */
#define QSIZE			16
#define DESC_GPA		0x10000
#define AVAIL_GPA		0x11000
#define USED_GPA		0x12000
#define INDIRECT_GPA		0x18000
#define BUF_GPA			0x20000

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct drv {
	struct vm *vm;
	unsigned int slot;
	uint32_t bar0, bar1;
	/* Where the capabilities say the structures are. */
	uint64_t common, isr, device, notify;
	uint32_t notify_mult;
	unsigned int msix_cap, pci_cfg_cap;
	uint64_t msix_table, msix_pba;
	uint16_t notify_off;
	uint16_t avail_idx;
};

static void *gpa(struct drv *d, uint64_t addr)
{
	return d->vm->ram + addr;
}

static uint16_t *avail_ring(struct drv *d)
{
	return gpa(d, AVAIL_GPA);
}

static uint16_t *used_ring(struct drv *d)
{
	return gpa(d, USED_GPA);
}

static uint16_t used_idx(struct drv *d)
{
	return __atomic_load_n(&used_ring(d)[1], __ATOMIC_ACQUIRE);
}

/* Used element @i's id (0) or len (1). */
static uint32_t used_elem(struct drv *d, unsigned int i, unsigned int field)
{
	uint32_t *e = (uint32_t *)(used_ring(d) + 2) + 2 * (i % QSIZE);

	return __atomic_load_n(&e[field], __ATOMIC_RELAXED);
}

/* The device's avail_event, after the used ring (2.7.10). */
static uint16_t avail_event(struct drv *d)
{
	return __atomic_load_n(&used_ring(d)[2 + 4 * QSIZE], __ATOMIC_ACQUIRE);
}

/* A ring field the device may be reading meanwhile. */
static void set_ring(uint16_t *field, uint16_t v)
{
	__atomic_store_n(field, v, __ATOMIC_RELEASE);
}

static void set_desc(struct drv *d, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	struct desc *t = gpa(d, DESC_GPA);

	t[i] = (struct desc){ addr, len, flags, next };
}

/* Offer chain @head, then notify as Linux does (16 bits, the queue's index). */
static void kick(struct drv *d, uint16_t head)
{
	uint16_t *avail = avail_ring(d);

	avail[2 + d->avail_idx % QSIZE] = head;
	__atomic_store_n(&avail[1], ++d->avail_idx, __ATOMIC_RELEASE);
	wr(d->vm, d->notify + d->notify_mult * d->notify_off, 2, 0);
}

static uint64_t common_rd(struct drv *d, unsigned int off, unsigned int size)
{
	return rd(d->vm, d->common + off, size);
}

static void common_wr(struct drv *d, unsigned int off, unsigned int size,
		      uint64_t v)
{
	wr(d->vm, d->common + off, size, v);
}

static uint8_t dev_status(struct drv *d)
{
	return common_rd(d, STATUS, 1);
}

static void set_status(struct drv *d, uint8_t status)
{
	common_wr(d, STATUS, 1, status);
}

static uint64_t device_features(struct drv *d)
{
	uint64_t lo, hi;

	common_wr(d, DFSELECT, 4, 0);
	lo = common_rd(d, DF, 4);
	common_wr(d, DFSELECT, 4, 1);
	hi = common_rd(d, DF, 4);
	return lo | hi << 32;
}

/*
 * Find the structures as virtio_pci_modern_probe() does, then turn on
 * memory decoding and bus mastering (pci_enable_device, pci_set_master).
 */
static bool drv_probe(struct drv *d, struct vm *vm, unsigned int slot)
{
	unsigned int at, n = 0;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->slot = slot;
	d->bar0 = cfg_read(vm, slot, PCI_BAR0, 4) & ~0xfU;
	d->bar1 = cfg_read(vm, slot, PCI_BAR0 + 4, 4) & ~0xfU;
	for (at = cfg_read(vm, slot, PCI_CAPABILITY_LIST, 1); at && n < 48;
	     at = cfg_read(vm, slot, at + 1, 1), n++) {
		uint32_t off = cfg_read(vm, slot, at + 8, 4);
		uint64_t base = cfg_read(vm, slot, at + 4, 1) == 0 ? d->bar0 : 0;

		if (cfg_read(vm, slot, at, 1) == PCI_CAP_ID_MSIX) {
			uint32_t t = cfg_read(vm, slot, at + 4, 4);
			uint32_t p = cfg_read(vm, slot, at + 8, 4);

			d->msix_cap = at;
			/* BIR 1 in the low bits: BAR 1. */
			if ((t & 7) == 1 && (p & 7) == 1) {
				d->msix_table = d->bar1 + (t & ~7U);
				d->msix_pba = d->bar1 + (p & ~7U);
			}
			continue;
		}
		if (cfg_read(vm, slot, at, 1) != PCI_CAP_ID_VNDR)
			continue;
		switch (cfg_read(vm, slot, at + 3, 1)) {
		case 1:
			d->common = base + off;
			break;
		case 2:
			d->notify = base + off;
			d->notify_mult = cfg_read(vm, slot, at + 16, 4);
			break;
		case 3:
			d->isr = base + off;
			break;
		case 4:
			d->device = base + off;
			break;
		case 5:
			d->pci_cfg_cap = at;
			break;
		}
	}
	cfg_write(vm, slot, PCI_COMMAND, 2,
		  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return d->common && d->notify && d->isr && d->device &&
	       d->msix_table && d->pci_cfg_cap;
}

/* 3.1.1 up to FEATURES_OK, with @features; the status read back. */
static uint8_t negotiate(struct drv *d, uint64_t features)
{
	set_status(d, 0);
	set_status(d, ACK);
	set_status(d, ACK | DRIVER);
	(void)device_features(d);
	common_wr(d, GFSELECT, 4, 0);
	common_wr(d, GF, 4, (uint32_t)features);
	common_wr(d, GFSELECT, 4, 1);
	common_wr(d, GF, 4, features >> 32);
	set_status(d, ACK | DRIVER | FEATURES_OK);
	return dev_status(d);
}

/* Queue 0: QSIZE entries, zeroed rings, MSI-X vector @vector (4.1.5.1.3). */
static bool setup_queue(struct drv *d, uint16_t vector)
{
	memset(gpa(d, DESC_GPA), 0, USED_GPA + 0x1000 - DESC_GPA);
	d->avail_idx = 0;
	common_wr(d, Q_SELECT, 2, 0);
	common_wr(d, Q_SIZE, 2, QSIZE);
	common_wr(d, Q_VECTOR, 2, vector);
	common_wr(d, Q_DESC, 4, DESC_GPA);
	common_wr(d, Q_DESC + 4, 4, 0);
	common_wr(d, Q_AVAIL, 4, AVAIL_GPA);
	common_wr(d, Q_AVAIL + 4, 4, 0);
	common_wr(d, Q_USED, 4, USED_GPA);
	common_wr(d, Q_USED + 4, 4, 0);
	d->notify_off = common_rd(d, Q_NOTIFY_OFF, 2);
	common_wr(d, Q_ENABLE, 2, 1);
	return common_rd(d, Q_ENABLE, 2) == 1;
}

/* All of 3.1.1: reset to DRIVER_OK with queue 0 set up. */
static bool drv_start(struct drv *d, uint64_t features, uint16_t config_vector,
		      uint16_t queue_vector)
{
	if (negotiate(d, features) != (ACK | DRIVER | FEATURES_OK))
		return false;
	common_wr(d, MSIX_CONFIG, 2, config_vector);
	if (!setup_queue(d, queue_vector))
		return false;
	set_status(d, READY);
	return dev_status(d) == READY;
}

static void msix_ctrl(struct drv *d, uint16_t ctrl)
{
	cfg_write(d->vm, d->slot, d->msix_cap + 2, 2, ctrl);
}

static void msix_entry(struct drv *d, unsigned int v, uint32_t addr,
		       uint32_t data, uint32_t ctrl)
{
	wr(d->vm, d->msix_table + 16 * v, 4, addr);
	wr(d->vm, d->msix_table + 16 * v + 4, 4, 0);
	wr(d->vm, d->msix_table + 16 * v + 8, 4, data);
	wr(d->vm, d->msix_table + 16 * v + 12, 4, ctrl);
}

static void msix_mask(struct drv *d, unsigned int v, bool masked)
{
	wr(d->vm, d->msix_table + 16 * v + 12, 4, masked);
}

static uint64_t msix_pending(struct drv *d)
{
	return rd(d->vm, d->msix_pba, 8);
}

/* How many of @len bytes at @addr are @byte. */
static unsigned int count_bytes(struct drv *d, uint64_t addr, size_t len,
				uint8_t byte)
{
	const uint8_t *p = gpa(d, addr);
	unsigned int n = 0;

	while (len--)
		n += *p++ == byte;
	return n;
}

/* One 64-byte entropy request in descriptor @i; true once it is used. */
static bool rng_request(struct drv *d, unsigned int i)
{
	uint16_t want = d->avail_idx + 1;

	memset(gpa(d, BUF_GPA + 64 * i), 0xa5, 64);
	set_desc(d, i, BUF_GPA + 64 * i, 64, VRING_DESC_F_WRITE, 0);
	kick(d, i);
	return WAIT(used_idx(d) == want) &&
	       used_elem(d, want - 1, 0) == i &&
	       used_elem(d, want - 1, 1) == 64 &&
	       count_bytes(d, BUF_GPA + 64 * i, 64, 0xa5) < 16;
}

/* --- virtio-rng: enumeration, initialization, requests, interrupts --- */

void test_virtio_rng(void)
{
	struct vm *vm = pci_vm();
	struct virtio_dev *rng = virtio_rng_create(vm);
	struct drv drv, *d = &drv;
	unsigned int at, n, caps = 0, vndr = 0, types = 0, msix = 0;
	bool layout = true;
	uint32_t bar0, bar1, b;

	CHECK(rng != NULL);
	if (!rng) {
		pci_vm_free(vm);
		return;
	}

	/* 00:01.0: virtio 1.x IDs (4.1.2.1), revision 1, class "other". */
	CHECK(cfg_read(vm, 1, PCI_VENDOR_ID, 4) == 0x10441af4);
	CHECK(ecam_read(vm, 1, 0, PCI_VENDOR_ID, 4) == 0x10441af4);
	CHECK(cfg_read(vm, 1, PCI_REVISION_ID, 4) == (0x00ff00U << 8 | 1));
	CHECK(cfg_read(vm, 1, PCI_SUBSYSTEM_VENDOR_ID, 2) == 0x1af4);
	CHECK(cfg_read(vm, 1, PCI_SUBSYSTEM_ID, 2) >= 0x40);
	CHECK(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CHECK(cfg_read(vm, 1, PCI_INTERRUPT_PIN, 1) == 1);
	/* INTA# of slot 1: pin 16 + (1 + 3) % 8, as the _PRT has it. */
	CHECK(cfg_read(vm, 1, PCI_INTERRUPT_LINE, 1) == 20);
	CHECK(cfg_read(vm, 2, PCI_VENDOR_ID, 4) == 0xffffffff);

	/* The capabilities: MSI-X and the five virtio structures (4.1.4). */
	for (at = cfg_read(vm, 1, PCI_CAPABILITY_LIST, 1); at && caps < 48;
	     at = cfg_read(vm, 1, at + 1, 1), caps++) {
		unsigned int id = cfg_read(vm, 1, at, 1), type;
		uint32_t off = cfg_read(vm, 1, at + 8, 4);
		uint32_t len = cfg_read(vm, 1, at + 12, 4);

		layout &= at >= PCI_CAP_START && at % 4 == 0;
		if (id == PCI_CAP_ID_MSIX) {
			msix++;
			/* Two vectors; table at BAR 1 + 0, PBA at BAR 1 + 0x800. */
			layout &= cfg_read(vm, 1, at + 2, 2) == 1;
			layout &= cfg_read(vm, 1, at + 4, 4) == 0x001;
			layout &= cfg_read(vm, 1, at + 8, 4) == 0x801;
			continue;
		}
		if (id != PCI_CAP_ID_VNDR)
			continue;
		vndr++;
		type = cfg_read(vm, 1, at + 3, 1);
		if (type < 32)
			types |= 1U << type;
		layout &= cfg_read(vm, 1, at + 4, 1) == 0;	/* BAR 0 */
		switch (type) {
		case 1:
			layout &= cfg_read(vm, 1, at + 2, 1) >= 16 &&
				  off == 0 && len >= 0x38;
			break;
		case 2:
			layout &= cfg_read(vm, 1, at + 2, 1) >= 20 &&
				  off == 0x3000 && len >= 4 &&
				  cfg_read(vm, 1, at + 16, 4) == 4;
			break;
		case 3:
			layout &= off == 0x1000 && len >= 1;
			break;
		case 4:
			layout &= off == 0x2000;
			break;
		case 5:
			layout &= cfg_read(vm, 1, at + 2, 1) >= 20;
			break;
		}
	}
	CHECK(at == 0 && msix == 1 && vndr == 5 && types == 0x3e);
	CHECK(layout);

	/* BARs: 32-bit memory in the window, aligned to their sizes. */
	bar0 = cfg_read(vm, 1, PCI_BAR0, 4);
	bar1 = cfg_read(vm, 1, PCI_BAR0 + 4, 4);
	CHECK(bar0 >= PCI_MMIO_BASE && bar0 % 0x4000 == 0);
	CHECK(bar1 >= PCI_MMIO_BASE && bar1 % 0x1000 == 0 &&
	      (bar1 >= bar0 + 0x4000 || bar1 + 0x1000 <= bar0));
	/* Sizing (PCI 3.0, 6.2.5.1): all ones in, the size's mask out. */
	cfg_write(vm, 1, PCI_BAR0, 4, 0xffffffff);
	CHECK(cfg_read(vm, 1, PCI_BAR0, 4) == ~(0x4000U - 1));
	cfg_write(vm, 1, PCI_BAR0, 4, bar0);
	CHECK(cfg_read(vm, 1, PCI_BAR0, 4) == bar0);
	cfg_write(vm, 1, PCI_BAR0 + 4, 4, 0xffffffff);
	CHECK(cfg_read(vm, 1, PCI_BAR0 + 4, 4) == ~(0x1000U - 1));
	cfg_write(vm, 1, PCI_BAR0 + 4, 4, bar1);
	CHECK(cfg_read(vm, 1, PCI_BAR0 + 4, 4) == bar1);
	for (b = 2; b < PCI_BARS; b++)
		cfg_write(vm, 1, PCI_BAR0 + 4 * b, 4, 0xffffffff);
	cfg_write(vm, 1, 0x30, 4, 0xffffffff);		/* expansion ROM */
	CHECK(cfg_read(vm, 1, PCI_BAR0 + 8, 4) == 0 &&
	      cfg_read(vm, 1, PCI_BAR0 + 20, 4) == 0 &&
	      cfg_read(vm, 1, 0x30, 4) == 0);

	/* Memory decoding off: nothing answers at the BARs. */
	CHECK(cfg_read(vm, 1, PCI_COMMAND, 2) == 0);
	CHECK(rd(vm, bar0 + NUM_QUEUES, 2) == 0xffff);
	CHECK(rd(vm, bar0, 4) == 0xffffffff);
	CHECK(rd(vm, bar1 + 12, 4) == 0xffffffff);
	CHECK(drv_probe(d, vm, 1));
	CHECK(cfg_read(vm, 1, PCI_COMMAND, 2) ==
	      (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	CHECK(d->common == bar0 && d->isr == bar0 + 0x1000 &&
	      d->device == bar0 + 0x2000 && d->notify == bar0 + 0x3000 &&
	      d->notify_mult == 4);
	CHECK(d->msix_table == bar1 && d->msix_pba == bar1 + 0x800);
	/* On: the common configuration, as reset leaves it. */
	CHECK(rd(vm, bar0 + NUM_QUEUES, 2) == 1);
	CHECK(rd(vm, bar0 + Q_SIZE, 2) == 256);
	CHECK(rd(vm, bar0 + MSIX_CONFIG, 2) == NO_VECTOR);
	CHECK(rd(vm, bar0 + STATUS, 1) == 0);
	CHECK(rd(vm, d->msix_table + 12, 4) == 1);	/* entries masked */
	/* A BAR moved: decoded at its new address only. */
	cfg_write(vm, 1, PCI_BAR0, 4, bar0 + 0x100000);
	CHECK(rd(vm, bar0 + NUM_QUEUES, 2) == 0xffff &&
	      rd(vm, bar0 + 0x100000 + NUM_QUEUES, 2) == 1);
	cfg_write(vm, 1, PCI_BAR0, 4, bar0);
	CHECK(rd(vm, bar0 + NUM_QUEUES, 2) == 1);
	/* VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): BAR 0 through config space. */
	cfg_write(vm, 1, d->pci_cfg_cap + 8, 4, NUM_QUEUES);
	cfg_write(vm, 1, d->pci_cfg_cap + 12, 4, 2);
	CHECK(cfg_read(vm, 1, d->pci_cfg_cap + 16, 4) == 1);
	cfg_write(vm, 1, d->pci_cfg_cap + 8, 4, STATUS);
	cfg_write(vm, 1, d->pci_cfg_cap + 12, 4, 1);
	cfg_write(vm, 1, d->pci_cfg_cap + 16, 4, ACK);
	CHECK(dev_status(d) == ACK);

	/* Features: VERSION_1, INDIRECT_DESC, EVENT_IDX, nothing else. */
	CHECK(device_features(d) == (F_VERSION_1 | F_EVENT_IDX | F_INDIRECT));
	common_wr(d, DFSELECT, 4, 2);
	CHECK(common_rd(d, DF, 4) == 0);
	/* 3.1.1: reset, ACKNOWLEDGE, DRIVER. */
	set_status(d, 0);
	CHECK(dev_status(d) == 0);
	set_status(d, ACK);
	CHECK(dev_status(d) == ACK);
	set_status(d, ACK | DRIVER);
	CHECK(dev_status(d) == (ACK | DRIVER));
	/* FEATURES_OK does not stick: a feature not offered, no VERSION_1. */
	CHECK(negotiate(d, F_VERSION_1 | 1ULL << 1) == (ACK | DRIVER));
	CHECK(negotiate(d, F_VERSION_1 | 1ULL << 40) == (ACK | DRIVER));
	CHECK(negotiate(d, 0) == (ACK | DRIVER));
	CHECK(negotiate(d, F_INDIRECT) == (ACK | DRIVER));
	CHECK(negotiate(d, F_VERSION_1) == (ACK | DRIVER | FEATURES_OK));
	/* The driver's features read back; after FEATURES_OK they stay. */
	common_wr(d, GFSELECT, 4, 1);
	CHECK(common_rd(d, GF, 4) == 1);
	common_wr(d, GF, 4, 0);
	CHECK(common_rd(d, GF, 4) == 1);
	common_wr(d, GFSELECT, 4, 0);
	CHECK(common_rd(d, GF, 4) == 0);

	/*
	 * MSI-X as Linux sets it up: enabled and masked while the table is
	 * written; vector 0 (configuration) 0x44, 1 (queue 0) 0x45, to APIC 1.
	 */
	msix_ctrl(d, MSIX_ENABLE | MSIX_MASKALL);
	CHECK(cfg_read(vm, 1, d->msix_cap + 2, 2) ==
	      (MSIX_ENABLE | MSIX_MASKALL | 1));
	msix_entry(d, 0, 0xfee01000, 0x44, 0);
	msix_entry(d, 1, 0xfee01000, 0x45, 0);
	CHECK(rd(vm, d->msix_table + 16, 8) == 0xfee01000 &&
	      rd(vm, d->msix_table + 24, 4) == 0x45 &&
	      rd(vm, d->msix_table + 28, 4) == 0);
	msix_ctrl(d, MSIX_ENABLE);
	/* A vector the device has reads back; another is NO_VECTOR. */
	common_wr(d, MSIX_CONFIG, 2, 2);
	CHECK(common_rd(d, MSIX_CONFIG, 2) == NO_VECTOR);
	common_wr(d, MSIX_CONFIG, 2, 0);
	CHECK(common_rd(d, MSIX_CONFIG, 2) == 0);
	/* Queue 0; there is no queue 1. */
	common_wr(d, Q_SELECT, 2, 1);
	CHECK(common_rd(d, Q_SIZE, 2) == 0);
	CHECK(setup_queue(d, 1));
	CHECK(common_rd(d, Q_SIZE, 2) == QSIZE &&
	      common_rd(d, Q_VECTOR, 2) == 1 && d->notify_off == 0);
	CHECK(common_rd(d, Q_DESC, 8) == DESC_GPA &&
	      common_rd(d, Q_AVAIL, 8) == AVAIL_GPA &&
	      common_rd(d, Q_USED, 8) == USED_GPA);
	/* Enabled, its fields are fixed (4.1.4.3.2). */
	common_wr(d, Q_SIZE, 2, 8);
	common_wr(d, Q_DESC, 4, 0x40000);
	CHECK(common_rd(d, Q_SIZE, 2) == QSIZE &&
	      common_rd(d, Q_DESC, 8) == DESC_GPA);
	/* A request made before DRIVER_OK waits for it (3.1.1)... */
	n = sent();
	memset(gpa(d, BUF_GPA), 0xa5, 64);
	set_desc(d, 0, BUF_GPA, 64, VRING_DESC_F_WRITE, 0);
	kick(d, 0);
	sleep_ms(20);
	CHECK(used_idx(d) == 0 && sent() == n);
	set_status(d, READY);
	CHECK(dev_status(d) == READY);
	/* ... and is served then: 64 random bytes, and vector 0x45 once. */
	CHECK(WAIT(used_idx(d) == 1) && used_elem(d, 0, 0) == 0 &&
	      used_elem(d, 0, 1) == 64 &&
	      count_bytes(d, BUF_GPA, 64, 0xa5) < 16);
	CHECK(WAIT(sent() == n + 1));
	sleep_ms(20);
	CHECK(sent() == n + 1 && last_msg().vector == 0x45 &&
	      last_msg().dest == 1);
	/* With MSI-X the ISR and INTA# stay out of it. */
	CHECK(rd(vm, d->isr, 1) == 0);
	CHECK(!(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_INTX));

	/* Its entry masked: nothing sent, the pending bit set, until unmasked. */
	msix_mask(d, 1, true);
	CHECK(rng_request(d, 1));
	CHECK(WAIT(msix_pending(d) == 2));
	CHECK(sent() == n + 1);
	msix_mask(d, 1, false);
	CHECK(sent() == n + 2 && last_msg().vector == 0x45);
	CHECK(msix_pending(d) == 0);
	/* The function masked: the same. */
	msix_ctrl(d, MSIX_ENABLE | MSIX_MASKALL);
	CHECK(rng_request(d, 2));
	CHECK(WAIT(msix_pending(d) == 2));
	CHECK(sent() == n + 2);
	msix_ctrl(d, MSIX_ENABLE);
	CHECK(sent() == n + 3 && last_msg().vector == 0x45);
	CHECK(msix_pending(d) == 0);
	/*
	 * VRING_AVAIL_F_NO_INTERRUPT: none.  The device asks for notifications
	 * again (used flags 0) after it decided, so that is waited for too.
	 */
	set_ring(&avail_ring(d)[0], VRING_AVAIL_F_NO_INTERRUPT);
	CHECK(rng_request(d, 3));
	CHECK(WAIT(__atomic_load_n(&used_ring(d)[0], __ATOMIC_ACQUIRE) == 0));
	sleep_ms(20);
	CHECK(sent() == n + 3);
	set_ring(&avail_ring(d)[0], 0);

	/*
	 * EVENT_IDX (2.7.10): an interrupt only when the used index passes
	 * used_event; avail_event is written after the device decided.
	 */
	CHECK(drv_start(d, F_VERSION_1 | F_EVENT_IDX, 0, 1));
	n = sent();
	CHECK(rng_request(d, 0));			/* used_event 0 */
	CHECK(WAIT(sent() == n + 1));
	CHECK(rng_request(d, 1));			/* still 0: passed */
	CHECK(WAIT(avail_event(d) == 2));
	sleep_ms(20);
	CHECK(sent() == n + 1);
	set_ring(&avail_ring(d)[2 + QSIZE], 2);		/* used_event */
	CHECK(rng_request(d, 2));
	CHECK(WAIT(sent() == n + 2) && last_msg().vector == 0x45);

	/*
	 * Without MSI-X: the ISR and INTA#, level-triggered and active low
	 * on pin 20.  Reading the ISR clears both.
	 */
	msix_ctrl(d, 0);
	ioapic_rte(vm, 20, RTE_LEVEL | RTE_POLARITY_LOW | 0x51);
	CHECK(drv_start(d, F_VERSION_1, NO_VECTOR, NO_VECTOR));
	n = sent();
	CHECK(rng_request(d, 0));
	CHECK(WAIT(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_INTX));
	CHECK(sent() == n + 1 && last_msg().vector == 0x51);
	CHECK(rd(vm, d->isr, 1) == 1);			/* a queue interrupt */
	CHECK(!(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_INTX));
	CHECK(rd(vm, d->isr, 1) == 0);
	irq_eoi(vm, 0x51);				/* deasserted: no more */
	CHECK(sent() == n + 1);
	/* Interrupt Disable: the status bit but no line, until cleared. */
	cfg_write(vm, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
		  PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
	CHECK(rng_request(d, 1));
	CHECK(WAIT(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_INTX));
	CHECK(sent() == n + 1);
	cfg_write(vm, 1, PCI_COMMAND, 2,
		  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK(sent() == n + 2 && last_msg().vector == 0x51);
	CHECK(rd(vm, d->isr, 1) == 1);
	irq_eoi(vm, 0x51);
	CHECK(sent() == n + 2);
	/* A reset lowers INTA# too. */
	CHECK(rng_request(d, 2));
	CHECK(WAIT(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_INTX));
	set_status(d, 0);
	CHECK(!(cfg_read(vm, 1, PCI_STATUS, 2) & PCI_STATUS_INTX) &&
	      rd(vm, d->isr, 1) == 0);

	virtio_rng_destroy(rng);
	pci_vm_free(vm);
}

/* --- Malformed rings: DEVICE_NEEDS_RESET, not a crash (2.1.2) --- */

enum {
	BAD_PAST_RAM,		/* a buffer running past the end of RAM */
	BAD_IN_HOLE,		/* a buffer in the PCI hole */
	BAD_SELF_LOOP,		/* a descriptor whose next is itself */
	BAD_LOOP,		/* 0 -> 1 -> 0 */
	BAD_AVAIL_AHEAD,	/* avail idx more than the queue size ahead */
	BAD_HEAD,		/* a head outside the table */
	BAD_NEXT,		/* a next outside the table */
	BAD_ORDER,		/* a readable descriptor after a writable one */
	BAD_INDIRECT,		/* INDIRECT_DESC, not negotiated */
	NR_BAD,
};

static void offer_bad(struct drv *d, unsigned int what)
{
	uint64_t buf = BUF_GPA;
	unsigned int i;

	switch (what) {
	case BAD_PAST_RAM:
		set_desc(d, 0, d->vm->ram_size - 32, 64, VRING_DESC_F_WRITE, 0);
		break;
	case BAD_IN_HOLE:
		set_desc(d, 0, PCI_MMIO_BASE, 64, VRING_DESC_F_WRITE, 0);
		break;
	case BAD_SELF_LOOP:
		set_desc(d, 0, buf, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
		break;
	case BAD_LOOP:
		set_desc(d, 0, buf, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		set_desc(d, 1, buf, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
		break;
	case BAD_AVAIL_AHEAD:
		/* Every entry a good request, but QSIZE + 1 of them. */
		set_desc(d, 0, buf, 64, VRING_DESC_F_WRITE, 0);
		for (i = 0; i < QSIZE; i++)
			avail_ring(d)[2 + i] = 0;
		d->avail_idx = QSIZE;
		break;
	case BAD_HEAD:
		kick(d, QSIZE);
		return;
	case BAD_NEXT:
		set_desc(d, 0, buf, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
			 QSIZE);
		break;
	case BAD_ORDER:
		set_desc(d, 0, buf, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		set_desc(d, 1, buf + 64, 64, 0, 0);
		break;
	case BAD_INDIRECT:
		set_desc(d, 1, buf, 64, VRING_DESC_F_WRITE, 0);
		memcpy(gpa(d, INDIRECT_GPA), gpa(d, DESC_GPA + 16), 16);
		set_desc(d, 0, INDIRECT_GPA, 16, VRING_DESC_F_INDIRECT, 0);
		break;
	}
	kick(d, 0);
}

/*
 * Queue 0 with these rings after a fresh FEATURES_OK: 1 if it is enabled,
 * 0 if not and the device needs a reset, -1 otherwise.
 */
static int bad_queue(struct drv *d, uint16_t size, uint64_t desc,
		     uint64_t avail, uint64_t used)
{
	bool on;

	if (negotiate(d, F_VERSION_1) != (ACK | DRIVER | FEATURES_OK))
		return -1;
	common_wr(d, Q_SELECT, 2, 0);
	common_wr(d, Q_SIZE, 2, size);
	common_wr(d, Q_DESC, 8, desc);
	common_wr(d, Q_AVAIL, 8, avail);
	common_wr(d, Q_USED, 8, used);
	common_wr(d, Q_ENABLE, 2, 1);
	on = common_rd(d, Q_ENABLE, 2) == 1;
	if (on && !(dev_status(d) & NEEDS_RESET))
		return 1;
	return !on && (dev_status(d) & NEEDS_RESET) ? 0 : -1;
}

void test_virtio_malformed(void)
{
	struct vm *vm = pci_vm();
	struct virtio_dev *rng = virtio_rng_create(vm);
	struct drv drv, *d = &drv;
	unsigned int what, n, i;
	bool ok;

	CHECK(rng != NULL);
	if (!rng) {
		pci_vm_free(vm);
		return;
	}
	CHECK(drv_probe(d, vm, 1));
	/* The configuration vector: 0x44; the queue's: 0x45. */
	msix_ctrl(d, MSIX_ENABLE);
	msix_entry(d, 0, 0xfee00000, 0x44, 0);
	msix_entry(d, 1, 0xfee00000, 0x45, 0);

	for (what = 0; what < NR_BAD; what++) {
		CHECK(drv_start(d, F_VERSION_1, 0, 1));
		n = sent();
		offer_bad(d, what);
		ok = WAIT(dev_status(d) & NEEDS_RESET);
		if (!ok)
			fprintf(stderr, "malformed ring %u: no NEEDS_RESET\n",
				what);
		CHECK(ok);
		/* No used entry; the configuration interrupt, once. */
		CHECK(dev_status(d) == (READY | NEEDS_RESET));
		CHECK(used_idx(d) == 0);
		CHECK(sent() == n + 1 && last_msg().vector == 0x44);
		if (what == BAD_PAST_RAM) {
			/* It takes nothing more, whatever the driver writes. */
			set_desc(d, 1, BUF_GPA, 64, VRING_DESC_F_WRITE, 0);
			kick(d, 1);
			set_status(d, READY);
			sleep_ms(20);
			CHECK(used_idx(d) == 0 &&
			      dev_status(d) == (READY | NEEDS_RESET));
		}
		/* A reset clears it, and the device works again. */
		set_status(d, 0);
		CHECK(dev_status(d) == 0);
		CHECK(drv_start(d, F_VERSION_1, 0, 1));
		CHECK(rng_request(d, 0));
		CHECK(dev_status(d) == READY);
	}

	/* A full ring at once, exactly the queue size ahead, is fine. */
	CHECK(drv_start(d, F_VERSION_1, 0, 1));
	for (i = 0; i < QSIZE; i++) {
		memset(gpa(d, BUF_GPA + 64 * i), 0xa5, 64);
		set_desc(d, i, BUF_GPA + 64 * i, 64, VRING_DESC_F_WRITE, 0);
		avail_ring(d)[2 + i] = QSIZE - 1 - i;
	}
	d->avail_idx = QSIZE - 1;
	kick(d, 0);
	CHECK(WAIT(used_idx(d) == QSIZE));
	ok = dev_status(d) == READY;
	for (i = 0; i < QSIZE; i++)
		ok &= used_elem(d, i, 0) == QSIZE - 1 - i &&
		      used_elem(d, i, 1) == 64 &&
		      count_bytes(d, BUF_GPA + 64 * i, 64, 0xa5) < 16;
	CHECK(ok);
	/* And the index wraps round the ring. */
	CHECK(rng_request(d, 0) && used_idx(d) == QSIZE + 1);

	/* Rings outside RAM or misaligned, a bad size: the queue stays off. */
	CHECK(bad_queue(d, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA) == 1);
	CHECK(bad_queue(d, QSIZE, VM_HIGH_RAM_START, AVAIL_GPA, USED_GPA) == 0);
	/* DRIVER_OK does not clear it. */
	set_status(d, READY);
	CHECK(dev_status(d) == (READY | NEEDS_RESET));
	/* The used ring (6 + 8 * QSIZE bytes) 2 bytes past the end of RAM. */
	CHECK(bad_queue(d, QSIZE, DESC_GPA, AVAIL_GPA,
			vm->ram_size - 132) == 0);
	CHECK(bad_queue(d, QSIZE, DESC_GPA + 8, AVAIL_GPA, USED_GPA) == 0);
	CHECK(bad_queue(d, QSIZE, DESC_GPA, AVAIL_GPA + 1, USED_GPA) == 0);
	CHECK(bad_queue(d, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA + 2) == 0);
	CHECK(bad_queue(d, 12, DESC_GPA, AVAIL_GPA, USED_GPA) == 0);
	CHECK(bad_queue(d, 0, DESC_GPA, AVAIL_GPA, USED_GPA) == 0);
	CHECK(bad_queue(d, 512, DESC_GPA, AVAIL_GPA, USED_GPA) == 0);
	/* 2 bytes before it: good. */
	CHECK(bad_queue(d, QSIZE, DESC_GPA, AVAIL_GPA,
			vm->ram_size - 136) == 1);
	set_status(d, 0);
	CHECK(dev_status(d) == 0);

	virtio_rng_destroy(rng);
	pci_vm_free(vm);
}

/* --- virtio-blk on a temporary file --- */

#define VIRTIO_BLK_F_SEG_MAX	(1ULL << 2)
#define VIRTIO_BLK_F_RO		(1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE	(1ULL << 6)
#define VIRTIO_BLK_F_FLUSH	(1ULL << 9)

#define T_IN			0
#define T_OUT			1
#define T_FLUSH			4
#define T_GET_ID		8

#define HDR_GPA			0x20000
#define DATA_GPA		0x21000
#define STATUS_GPA		0x30000

#define DISK_SIZE		MiB

static uint8_t disk_byte(size_t i)
{
	return i * 7 + i / 512;
}

static uint8_t new_byte(size_t i)
{
	return 0xc3 ^ (i * 13);
}

/*
 * One request: the header, @len bytes at DATA_GPA (device-writable if
 * @in) in two descriptors if @split, the status byte; through an
 * indirect table if @indirect.  The status, or -1 if none came.
 */
static int blk_req(struct drv *d, uint32_t type, uint64_t sector,
		   uint32_t len, bool in, bool split, bool indirect,
		   uint32_t *used_len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} h = { type, 0, sector };
	struct desc chain[4];
	uint16_t dflags = in ? VRING_DESC_F_WRITE : 0, want = d->avail_idx + 1;
	unsigned int n = 0, i;

	memcpy(gpa(d, HDR_GPA), &h, sizeof(h));
	*(uint8_t *)gpa(d, STATUS_GPA) = 0xff;
	chain[n++] = (struct desc){ HDR_GPA, sizeof(h), 0, 0 };
	if (len && split) {
		chain[n++] = (struct desc){ DATA_GPA, 100, dflags, 0 };
		chain[n++] = (struct desc){ DATA_GPA + 100, len - 100, dflags, 0 };
	} else if (len) {
		chain[n++] = (struct desc){ DATA_GPA, len, dflags, 0 };
	}
	chain[n++] = (struct desc){ STATUS_GPA, 1, VRING_DESC_F_WRITE, 0 };
	for (i = 0; i + 1 < n; i++) {
		chain[i].flags |= VRING_DESC_F_NEXT;
		chain[i].next = i + 1;
	}
	if (indirect) {
		memcpy(gpa(d, INDIRECT_GPA), chain, n * sizeof(*chain));
		set_desc(d, 0, INDIRECT_GPA, n * sizeof(*chain),
			 VRING_DESC_F_INDIRECT, 0);
	} else {
		memcpy(gpa(d, DESC_GPA), chain, n * sizeof(*chain));
	}
	kick(d, 0);
	if (!WAIT(used_idx(d) == want))
		return -1;
	*used_len = used_elem(d, want - 1, 1);
	return *(volatile uint8_t *)gpa(d, STATUS_GPA);
}

/* Is the image's [off, off + len) what @byte says? */
static bool file_is(int fd, off_t off, size_t len, uint8_t (*byte)(size_t),
		    size_t from)
{
	uint8_t buf[1024];
	size_t i;

	if (len > sizeof(buf) || pread(fd, buf, len, off) != (ssize_t)len)
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] != byte(from + i))
			return false;
	return true;
}

static bool guest_is(struct drv *d, uint64_t addr, size_t len,
		     uint8_t (*byte)(size_t), size_t from)
{
	const uint8_t *p = gpa(d, addr);
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != byte(from + i))
			return false;
	return true;
}

static void test_blk_parse(void)
{
	struct virtio_blk_options o;
	int r;

	CHECK(virtio_blk_parse("f,ro,cache=none", &o) == 0 && o.path &&
	      !strcmp(o.path, "f") && o.readonly && o.direct);
	free(o.path);
	CHECK(virtio_blk_parse("disk.img", &o) == 0 &&
	      !strcmp(o.path, "disk.img") && !o.readonly && !o.direct);
	free(o.path);
	CHECK(virtio_blk_parse("f,cache=none,cache=writeback", &o) == 0 &&
	      !o.direct);
	free(o.path);
	CHECK(virtio_blk_parse("f,bogus", &o) < 0 && !o.path);
	CHECK(virtio_blk_parse("f,ro,", &o) == 0 && o.readonly);
	free(o.path);
	CHECK(virtio_blk_parse("", &o) < 0 && !o.path);
	/* No file before the options: an error, not a file named "ro". */
	r = virtio_blk_parse(",ro", &o);
	CHECK(r < 0 && !o.path);
	/* (o.path would point inside the parser's copy: not ours to free.) */
}

void test_virtio_blk(void)
{
	char path[] = "/tmp/ringside-unit-blk-XXXXXX";
	struct virtio_blk_options o = { 0 };
	struct virtio_dev *blk;
	struct drv drv, *d = &drv;
	uint8_t *image, id[20] = { 0 };
	const char *base;
	struct stat st;
	uint64_t feat;
	uint32_t used;
	struct vm *vm;
	size_t i;
	int fd;

	test_blk_parse();

	image = malloc(DISK_SIZE);
	for (i = 0; i < DISK_SIZE; i++)
		image[i] = disk_byte(i);
	fd = mkstemp(path);
	CHECK(fd >= 0 &&
	      pwrite(fd, image, DISK_SIZE, 0) == (ssize_t)DISK_SIZE);
	free(image);
	if (fd < 0)
		return;

	vm = pci_vm();
	o.path = path;
	blk = virtio_blk_create(vm, &o);
	CHECK(blk != NULL);
	if (!blk) {
		pci_vm_free(vm);
		close(fd);
		unlink(path);
		return;
	}
	/* A second writer of the image is refused (flock), a missing one too. */
	CHECK(virtio_blk_create(vm, &o) == NULL);
	o.path = "/nonexistent/ringside-unit";
	CHECK(virtio_blk_create(vm, &o) == NULL);
	o.path = path;
	/* 00:01.0, and nothing in slot 2 from the refused ones. */
	CHECK(cfg_read(vm, 1, PCI_VENDOR_ID, 4) == 0x10421af4);
	CHECK(cfg_read(vm, 1, PCI_REVISION_ID, 4) >> 8 == 0x010000);
	CHECK(cfg_read(vm, 2, PCI_VENDOR_ID, 4) == 0xffffffff);
	CHECK(drv_probe(d, vm, 1));
	feat = device_features(d);
	CHECK((feat & (VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
		       VIRTIO_BLK_F_FLUSH | F_VERSION_1)) ==
	      (VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
	       VIRTIO_BLK_F_FLUSH | F_VERSION_1));
	CHECK(!(feat & VIRTIO_BLK_F_RO));
	/* Its configuration (5.2.4): capacity, seg_max, blk_size; read-only. */
	CHECK(rd(vm, d->device, 8) == DISK_SIZE / 512);
	CHECK(rd(vm, d->device, 4) == DISK_SIZE / 512 &&
	      rd(vm, d->device + 4, 4) == 0);
	CHECK(rd(vm, d->device + 12, 4) == VIRTQ_MAX_SIZE - 2);
	CHECK(rd(vm, d->device + 20, 4) == 512);
	wr(vm, d->device, 4, 0);
	CHECK(rd(vm, d->device, 8) == DISK_SIZE / 512);
	CHECK(drv_start(d, F_VERSION_1 | F_INDIRECT | VIRTIO_BLK_F_SEG_MAX |
			VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH,
			NO_VECTOR, NO_VECTOR));

	/* Write sector 2: in the file, and nothing around it changed. */
	for (i = 0; i < 512; i++)
		((uint8_t *)gpa(d, DATA_GPA))[i] = new_byte(i);
	CHECK(blk_req(d, T_OUT, 2, 512, false, false, false, &used) == 0 &&
	      used == 1);
	CHECK(file_is(fd, 1024, 512, new_byte, 0));
	CHECK(file_is(fd, 512, 512, disk_byte, 512) &&
	      file_is(fd, 1536, 512, disk_byte, 1536));
	/* Read it back, into two descriptors. */
	memset(gpa(d, DATA_GPA), 0, 4096);
	CHECK(blk_req(d, T_IN, 2, 512, true, true, false, &used) == 0 &&
	      used == 513);
	CHECK(guest_is(d, DATA_GPA, 512, new_byte, 0));
	/* Sectors 1-2 through an indirect table (Linux's way with INDIRECT_DESC). */
	memset(gpa(d, DATA_GPA), 0, 4096);
	CHECK(blk_req(d, T_IN, 1, 1024, true, true, true, &used) == 0 &&
	      used == 1025);
	CHECK(guest_is(d, DATA_GPA, 512, disk_byte, 512) &&
	      guest_is(d, DATA_GPA + 512, 512, new_byte, 0));
	/* A write across two descriptors, at the last sector. */
	for (i = 0; i < 512; i++)
		((uint8_t *)gpa(d, DATA_GPA))[i] = new_byte(i + 7);
	CHECK(blk_req(d, T_OUT, DISK_SIZE / 512 - 1, 512, false, true, false,
		      &used) == 0);
	CHECK(file_is(fd, DISK_SIZE - 512, 512, new_byte, 7));

	/* Past the end: IOERR, nothing transferred, the file the same size. */
	memset(gpa(d, DATA_GPA), 0x77, 1024);
	CHECK(blk_req(d, T_IN, DISK_SIZE / 512, 512, true, false, false,
		      &used) == 1 && used == 1);
	CHECK(blk_req(d, T_IN, DISK_SIZE / 512 - 1, 1024, true, false, false,
		      &used) == 1);
	CHECK(count_bytes(d, DATA_GPA, 1024, 0x77) == 1024);
	CHECK(blk_req(d, T_OUT, DISK_SIZE / 512, 512, false, false, false,
		      &used) == 1);
	CHECK(blk_req(d, T_IN, UINT64_MAX, 512, true, false, false,
		      &used) == 1);
	CHECK(fstat(fd, &st) == 0 && st.st_size == (off_t)DISK_SIZE);
	/* Not whole sectors: IOERR. */
	CHECK(blk_req(d, T_OUT, 4, 100, false, false, false, &used) == 1);
	CHECK(file_is(fd, 4 * 512, 512, disk_byte, 4 * 512));
	/* Unknown types: UNSUPP; a flush: OK. */
	CHECK(blk_req(d, 7, 0, 0, false, false, false, &used) == 2 &&
	      used == 1);
	CHECK(blk_req(d, T_FLUSH, 0, 0, false, false, false, &used) == 0 &&
	      used == 1);
	/*
	 * GET_ID: the image's name in 20 bytes, NUL-padded, or cut short
	 * unterminated as this one's (ringside-unit-blk-XXXXXX: 24) is.
	 */
	memset(gpa(d, DATA_GPA), 0x77, 32);
	base = strrchr(path, '/') + 1;
	memcpy(id, base, MIN(strlen(base), sizeof(id)));
	CHECK(blk_req(d, T_GET_ID, 0, 32, true, false, false, &used) == 0 &&
	      used == 21);
	CHECK(strlen(base) > 20 && !memcmp(gpa(d, DATA_GPA), id, 20) &&
	      count_bytes(d, DATA_GPA + 20, 12, 0x77) == 12);
	/* No status byte: nothing to answer in, but the chain is used. */
	set_desc(d, 0, HDR_GPA, 16, 0, 0);
	kick(d, 0);
	CHECK(WAIT(used_idx(d) == d->avail_idx) &&
	      used_elem(d, d->avail_idx - 1, 1) == 0);
	CHECK(dev_status(d) == READY);
	CHECK(blk_req(d, T_IN, 2, 512, true, false, false, &used) == 0 &&
	      guest_is(d, DATA_GPA, 512, new_byte, 0));

	virtio_blk_destroy(blk);
	pci_vm_free(vm);

	/* Read-only: VIRTIO_BLK_F_RO, a write is IOERR and changes nothing. */
	vm = pci_vm();
	o.readonly = true;
	blk = virtio_blk_create(vm, &o);
	CHECK(blk != NULL);
	if (blk) {
		CHECK(drv_probe(d, vm, 1));
		CHECK(device_features(d) & VIRTIO_BLK_F_RO);
		CHECK(drv_start(d, F_VERSION_1 | VIRTIO_BLK_F_RO, NO_VECTOR,
				NO_VECTOR));
		memset(gpa(d, DATA_GPA), 0x55, 512);
		CHECK(blk_req(d, T_OUT, 3, 512, false, false, false,
			      &used) == 1);
		CHECK(file_is(fd, 3 * 512, 512, disk_byte, 3 * 512));
		CHECK(blk_req(d, T_IN, 2, 512, true, false, false,
			      &used) == 0 &&
		      guest_is(d, DATA_GPA, 512, new_byte, 0));
		virtio_blk_destroy(blk);
	}
	pci_vm_free(vm);
	close(fd);
	unlink(path);
}
