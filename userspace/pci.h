/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: a PCI host bridge and the one bus behind it (PCI
 * Local Bus 3.0 and PCI Express 4.0 specifications).
 *
 * Configuration space is reached by mechanism #1 (CONFIG_ADDRESS at 0xcf8,
 * CONFIG_DATA at 0xcfc) and by ECAM at PCI_ECAM_BASE (bus 0 only), which
 * the ACPI MCFG describes; the DSDT's PCI0 has the bus's windows and its
 * interrupt routing (_PRT).  Devices are functions 0 of slots 1-31; slot
 * 0 is the host bridge.  Their BARs are given addresses in the windows
 * when they are added, as firmware would; the guest may move them.
 *
 * A device's interrupt is MSI-X when the guest enables it, else INTA#,
 * level-triggered and active low on I/O APIC pin 16 + (slot + 3) % 8
 * (the DSDT's _PRT says so).  Where an MSI-X message goes is decided when
 * it is sent: through interrupt remapping (iommu.h) or straight to the
 * local APICs (irq_send_msi()).
 */
#ifndef RINGSIDE_PCI_H
#define RINGSIDE_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iobus.h"

struct vm;

#define PCI_ECAM_BASE		0xe0000000ULL	/* bus 0: 1 MiB */
#define PCI_ECAM_SIZE		(1ULL << 20)
#define PCI_MMIO_BASE		0xc0000000ULL	/* BARs: below the ECAM */
#define PCI_MMIO_SIZE		0x20000000ULL
#define PCI_IO_BASE		0xc000		/* port BARs */
#define PCI_IO_SIZE		0x4000

#define PCI_SLOTS		32
#define PCI_CFG_SIZE		4096		/* with the extended space */
#define PCI_BARS		6
#define PCI_MSIX_MAX		64		/* vectors a device may have */

/* Offsets and bits of the type 0 header (PCI 3.0, 6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_INTX_OFF	0x0400
#define PCI_STATUS		0x06
#define  PCI_STATUS_INTX	0x0008
#define  PCI_STATUS_CAP_LIST	0x0010
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CAP_START		0x40

#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

struct pci_device;
struct pci_bus;

struct pci_bar {
	uint32_t size;			/* a power of two; 0: no BAR */
	bool io;			/* port I/O, else 32-bit memory */
	uint32_t addr;			/* what the guest programmed */
	const struct io_ops *ops;	/* offsets relative to the BAR */
	void *dev;
};

struct pci_device_ops {
	/*
	 * A BAR moved or decoding was turned on or off (config space
	 * writes, on a vCPU thread); pci_bar_decoded() says where it is.
	 */
	void (*bars_changed)(struct pci_device *pdev);
	/* A write the header does not handle, after it was stored. */
	void (*cfg_write)(struct pci_device *pdev, unsigned int offset,
			  unsigned int size, uint32_t value);
	/* A read the device answers itself, or false to read config space. */
	bool (*cfg_read)(struct pci_device *pdev, unsigned int offset,
			 unsigned int size, uint32_t *value);
};

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;	/* ctrl bit 0: masked */
};

struct pci_device {
	const char *name;
	struct vm *vm;
	struct pci_bus *bus;
	unsigned int slot;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the guest may write */
	uint8_t next_cap;		/* where pci_add_cap() puts the next */
	uint8_t *last_cap_next;		/* the last capability's next pointer */
	struct pci_bar bars[PCI_BARS];
	const struct pci_device_ops *ops;
	void *priv;

	/* Interrupts: under vm->irq_lock. */
	unsigned int gsi;		/* INTA#'s I/O APIC pin */
	bool intx;			/* INTA# asserted */
	unsigned int msix_vectors;	/* 0: no MSI-X */
	uint8_t msix_cap;
	struct pci_msix_entry msix[PCI_MSIX_MAX];
	uint64_t msix_pending;		/* PBA */
};

/* The host bridge, the config mechanisms and the windows. */
struct pci_bus *pci_create(struct vm *vm);
void pci_destroy(struct pci_bus *bus);

/*
 * Set up @pdev's header: IDs, class (base class, subclass, programming
 * interface in bits 23:0), INTA#.  Then add BARs and capabilities, and
 * pci_register() it.
 */
void pci_device_init(struct pci_device *pdev, struct vm *vm, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class,
		     uint16_t subsys_vendor, uint16_t subsys);
void pci_add_bar(struct pci_device *pdev, unsigned int bar, uint32_t size,
		 bool io, const struct io_ops *ops, void *dev);
/* A capability of @len bytes with @id; returns its offset. */
unsigned int pci_add_cap(struct pci_device *pdev, uint8_t id,
			 unsigned int len);
/*
 * An MSI-X capability with @vectors vectors (at most PCI_MSIX_MAX), its
 * table at @offset of BAR @bar and its pending-bit array at @pba_offset;
 * the device's BAR handler passes accesses there to pci_msix_read/write.
 */
void pci_add_msix(struct pci_device *pdev, unsigned int vectors,
		  unsigned int bar, uint32_t offset, uint32_t pba_offset);
uint64_t pci_msix_read(struct pci_device *pdev, uint64_t offset,
		       unsigned int size, bool pba);
void pci_msix_write(struct pci_device *pdev, uint64_t offset,
		    unsigned int size, uint64_t value);

/* Put @pdev in the first free slot, its BARs in the windows. */
int pci_register(struct pci_bus *bus, struct pci_device *pdev);

/* Where BAR @bar is decoded now, or 0 (not decoded). */
uint32_t pci_bar_decoded(struct pci_device *pdev, unsigned int bar);

/* Is MSI-X on (enabled, the function not masked)?  irq_lock held. */
bool pci_msix_enabled(const struct pci_device *pdev);
/*
 * With MSI-X on, send vector @vector (pending if masked; nothing for a
 * vector the device does not have, such as virtio's NO_VECTOR) and return
 * true; with it off, false: the device uses INTA# then.  Any thread.
 */
bool pci_msix_notify(struct pci_device *pdev, unsigned int vector);
/* Drive INTA# (1: asserted).  Any thread. */
void pci_set_intx(struct pci_device *pdev, bool asserted);

/* acpi.c: the MCFG's entry and the DSDT's PCI0 (aml.h). */
struct aml;
void pci_build_aml(struct aml *aml);

#endif /* RINGSIDE_PCI_H */
