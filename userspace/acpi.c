// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the ACPI tables a PC's firmware would leave (ACPI
 * 6.4 specification, chapter 5, "ACPI Software Programming Model") and
 * the fixed hardware they describe:
 *
 *   RSDP  at 0xf0000 (the BIOS area Linux scans), revision 2, pointing at
 *   XSDT  which lists
 *   FADT  the fixed hardware: SCI on IRQ 9, PM1a event block at 0x600,
 *         PM1a control at 0x604 (poweroff.c), a 32-bit PM timer at 0x608,
 *         no SMI command port (the machine is always in ACPI mode), the
 *         RTC's century at CMOS 0x32, "no 8042" and "no VGA" in
 *         IAPC_BOOT_ARCH, and RESET_REG = 0x06 to port 0xcf9 (reset.c);
 *         it points at
 *   FACS  (64 bytes, nothing in it) and
 *   DSDT  with \_S5 = {0, 0, 0, 0}: SLP_TYP 0 is S5, as in QEMU's
 *         tables, which poweroff.c acts on; and the PCI host bridge
 *         \_SB.PCI0 with its windows and interrupt routing (pci.c);
 *   MADT  a local APIC per vCPU (APIC ID = vCPU id), the I/O APIC at
 *         0xfec00000 with GSI 0-23, the ISA overrides IRQ 0 -> GSI 2 and
 *         IRQ 9 (SCI) level, active high, and LINT1 as NMI on every CPU;
 *         PCAT_COMPAT: the 8259A pair is there too;
 *   MCFG  the ECAM window of PCI bus 0 (PCI Firmware 3.2, 4.1.2);
 *   DMAR  with the module's local APICs, the interrupt-remapping unit
 *         (iommu.c) at 0xfed90000 (Intel VT-d specification, 8.1-8.3):
 *         interrupt remapping with x2APIC allowed, one remapping unit for
 *         all devices whose scope names the I/O APIC.
 *
 * Why ACPI and not an MP table: Linux powers off only through ACPI (a
 * kernel without it halts on "poweroff"), the PM timer is a clock whose
 * reads do not depend on how fast the guest runs (Linux checks the TSC and
 * the APIC timer against it), and the MADT says as much as the MP table
 * would about CPUs and interrupt routing.
 */
#include <stdlib.h>
#include <string.h>

#include "aml.h"
#include "devices.h"
#include "iobus.h"
#include "iommu.h"
#include "lapic.h"
#include "pci.h"
#include "timer.h"
#include "util.h"
#include "vm.h"

#define ACPI_TABLES_ADDR	0xf0000ULL	/* RSDP first, 16-byte aligned */
#define ACPI_TABLES_SIZE	0x10000ULL

#define PM_BASE			0x600
#define PM1_EVT_LEN		4
#define PM1_CNT_LEN		2
#define PM_TMR_ADDR		(PM_BASE + 8)
#define PM_TMR_LEN		4
#define PM_TMR_HZ		3579545ULL	/* ACPI 4.8.3.3 */
#define SCI_IRQ			9

#define FADT_WBINVD		(1U << 0)
#define FADT_PWR_BUTTON		(1U << 4)	/* no fixed power button */
#define FADT_SLP_BUTTON		(1U << 5)	/* no fixed sleep button */
#define FADT_TMR_VAL_EXT	(1U << 8)	/* 32-bit PM timer */
#define FADT_RESET_REG_SUP	(1U << 10)
#define IAPC_LEGACY_DEVICES	(1U << 0)
#define IAPC_VGA_NOT_PRESENT	(1U << 2)

#define OEM_ID			"RINGSD"
#define OEM_TABLE_ID		"RINGSIDE"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas {
	uint8_t space_id;		/* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* 1: byte */
	uint64_t address;
} __attribute__((packed));

/* FADT revision 3 (5.2.9), the fields through X_GPE1_BLK: 244 bytes. */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_blocks[8];	/* all zero: the 32-bit ones count */
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[31];
} __attribute__((packed));

/* MADT (5.2.12) and its entries. */
struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;			/* bit 0: PCAT_COMPAT */
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length;		/* 0, 8 */
	uint8_t processor_uid, apic_id;
	uint32_t flags;			/* bit 0: enabled */
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length;		/* 1, 12 */
	uint8_t id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_override {
	uint8_t type, length;		/* 2, 10 */
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;			/* polarity [1:0], trigger [3:2] */
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length;		/* 4, 6 */
	uint8_t processor_uid;		/* 0xff: all */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

/* DMAR (VT-d 8.1), its DRHD structure (8.3) and a device scope (8.3.1). */
struct acpi_dmar {
	struct acpi_header h;
	uint8_t host_address_width;	/* N - 1 */
	uint8_t flags;			/* bit 0: INTR_REMAP */
	uint8_t reserved[10];
} __attribute__((packed));

struct dmar_drhd {
	uint16_t type, length;		/* 0 */
	uint8_t flags;			/* bit 0: INCLUDE_PCI_ALL */
	uint8_t size;			/* register pages: 2^size */
	uint16_t segment;
	uint64_t address;
} __attribute__((packed));

struct dmar_scope_ioapic {
	uint8_t type, length;		/* 3: I/O APIC, 8 */
	uint16_t reserved;
	uint8_t enumeration_id;		/* its I/O APIC ID */
	uint8_t start_bus;
	uint8_t device, function;	/* the one path entry */
} __attribute__((packed));

/*
 * The I/O APIC's requester id in interrupt requests, 00:1f.0 as on an
 * ICH; nothing checks it (no source-id verification is done).
 */
#define DMAR_IOAPIC_DEVICE	0x1f

#define MPS_ACTIVE_HIGH		0x1
#define MPS_LEVEL		(0x3 << 2)

/* MCFG and its one allocation structure. */
struct acpi_mcfg {
	struct acpi_header h;
	uint8_t reserved[8];
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved2;
} __attribute__((packed));

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len,
		   uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "RSVM", 4);
	h->creator_revision = 1;
}

static void seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = checksum(h, h->length);
}

/* Tables are laid out one after another, each 64-byte aligned. */
struct acpi_builder {
	uint8_t *base;
	uint64_t gpa, used;
};

static void *alloc_table(struct acpi_builder *b, size_t len, uint64_t *gpa)
{
	uint64_t at = ALIGN_UP(b->used, 64ULL);

	b->used = at + len;
	*gpa = b->gpa + at;
	return b->base + at;
}

/* Name (_S5, Package (4) { 0, 0, 0, 0 }), then the PCI bus. */
static int build_dsdt(struct acpi_builder *b, uint64_t *dsdt_gpa)
{
	static const uint8_t package[] = { AML_PACKAGE_OP };
	struct acpi_header *dsdt;
	struct aml *aml;
	size_t pkg;

	aml = calloc(1, sizeof(*aml));
	if (!aml)
		return -1;
	aml_name(aml, "_S5_");
	pkg = aml_open(aml, package, sizeof(package));
	aml_byte(aml, 4);
	aml_bytes(aml, "\0\0\0\0", 4);
	aml_close(aml, pkg);
	pci_build_aml(aml);
	if (aml->overflow) {
		pr_err("ACPI: the DSDT does not fit in %d bytes", AML_MAX);
		free(aml);
		return -1;
	}
	dsdt = alloc_table(b, sizeof(*dsdt) + aml->len, dsdt_gpa);
	header(dsdt, "DSDT", sizeof(*dsdt) + aml->len, 2);
	memcpy(dsdt + 1, aml->buf, aml->len);
	seal(dsdt);
	free(aml);
	return 0;
}

static int build_fadt(struct acpi_builder *b, uint64_t *fadt_gpa)
{
	struct acpi_facs *facs;
	struct acpi_fadt *f;
	uint64_t dsdt_gpa, facs_gpa;

	facs = alloc_table(b, sizeof(*facs), &facs_gpa);
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;
	if (build_dsdt(b, &dsdt_gpa) < 0)
		return -1;

	f = alloc_table(b, sizeof(*f), fadt_gpa);
	header(&f->h, "FACP", sizeof(*f), 3);
	f->firmware_ctrl = facs_gpa;
	f->dsdt = dsdt_gpa;
	f->sci_int = SCI_IRQ;
	f->pm1a_evt_blk = PM_BASE;
	f->pm1a_cnt_blk = PM_BASE + PM1_EVT_LEN;
	f->pm_tmr_blk = PM_TMR_ADDR;
	f->pm1_evt_len = PM1_EVT_LEN;
	f->pm1_cnt_len = PM1_CNT_LEN;
	f->pm_tmr_len = PM_TMR_LEN;
	f->p_lvl2_lat = 101;		/* > 100: no C2 */
	f->p_lvl3_lat = 1001;		/* > 1000: no C3 */
	f->century = 0x32;
	f->iapc_boot_arch = IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT;
	f->flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
		   FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP;
	f->reset_reg = (struct acpi_gas){ .space_id = 1, .bit_width = 8,
					  .access_size = 1, .address = 0xcf9 };
	f->reset_value = 0x06;		/* RST_CPU | SYS_RST */
	seal(&f->h);
	return 0;
}

static void build_mcfg(struct acpi_builder *b, uint64_t *mcfg_gpa)
{
	struct acpi_mcfg *m = alloc_table(b, sizeof(*m), mcfg_gpa);

	header(&m->h, "MCFG", sizeof(*m), 1);
	m->base = PCI_ECAM_BASE;
	m->start_bus = m->end_bus = 0;
	seal(&m->h);
}

static void build_madt(struct acpi_builder *b, const struct vm *vm,
		       uint64_t *madt_gpa)
{
	unsigned int n = vm->nr_vcpus, i;
	size_t len = sizeof(struct acpi_madt) + n * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) +
		     2 * sizeof(struct madt_override) +
		     sizeof(struct madt_lapic_nmi);
	struct madt_override *ovr;
	struct madt_lapic_nmi *nmi;
	struct madt_ioapic *io;
	struct madt_lapic *cpu;
	struct acpi_madt *m;

	m = alloc_table(b, len, madt_gpa);
	header(&m->h, "APIC", len, 4);
	m->lapic_address = LAPIC_BASE;
	m->flags = 1;
	cpu = (struct madt_lapic *)(m + 1);
	for (i = 0; i < n; i++)
		cpu[i] = (struct madt_lapic){ .type = 0, .length = 8,
					      .processor_uid = i,
					      .apic_id = i, .flags = 1 };
	io = (struct madt_ioapic *)(cpu + n);
	*io = (struct madt_ioapic){ .type = 1, .length = 12,
				    .id = IOAPIC_ID(vm), .address = IOAPIC_BASE };
	ovr = (struct madt_override *)(io + 1);
	ovr[0] = (struct madt_override){ .type = 2, .length = 10,
					 .source = 0, .gsi = 2 };
	ovr[1] = (struct madt_override){ .type = 2, .length = 10,
					 .source = SCI_IRQ, .gsi = SCI_IRQ,
					 .flags = MPS_ACTIVE_HIGH | MPS_LEVEL };
	nmi = (struct madt_lapic_nmi *)(ovr + 2);
	*nmi = (struct madt_lapic_nmi){ .type = 4, .length = 6,
					.processor_uid = 0xff, .lint = 1 };
	seal(&m->h);
}

static void build_dmar(struct acpi_builder *b, const struct vm *vm,
		       uint64_t *dmar_gpa)
{
	size_t len = sizeof(struct acpi_dmar) + sizeof(struct dmar_drhd) +
		     sizeof(struct dmar_scope_ioapic);
	struct dmar_scope_ioapic *scope;
	struct dmar_drhd *drhd;
	struct acpi_dmar *d;

	d = alloc_table(b, len, dmar_gpa);
	header(&d->h, "DMAR", len, 1);
	d->host_address_width = 47;	/* as CAP.MGAW */
	d->flags = 1;
	drhd = (struct dmar_drhd *)(d + 1);
	*drhd = (struct dmar_drhd){ .type = 0, .length = sizeof(*drhd) +
				    sizeof(*scope), .flags = 1,
				    .address = IOMMU_BASE };
	scope = (struct dmar_scope_ioapic *)(drhd + 1);
	*scope = (struct dmar_scope_ioapic){ .type = 3, .length = sizeof(*scope),
					     .enumeration_id = IOAPIC_ID(vm),
					     .device = DMAR_IOAPIC_DEVICE };
	seal(&d->h);
}

int acpi_build_tables(struct vm *vm)
{
	struct acpi_builder b;
	struct acpi_header *xsdt;
	struct acpi_rsdp *rsdp;
	uint64_t rsdp_gpa, xsdt_gpa, fadt_gpa, madt_gpa, mcfg_gpa, dmar_gpa = 0;
	uint64_t *entries;
	unsigned int n = 3;

	b.base = vm_guest_ptr(vm, ACPI_TABLES_ADDR, ACPI_TABLES_SIZE);
	if (!b.base) {
		pr_err("ACPI: no RAM at %#llx for the tables",
		       (unsigned long long)ACPI_TABLES_ADDR);
		return -1;
	}
	memset(b.base, 0, ACPI_TABLES_SIZE);
	b.gpa = ACPI_TABLES_ADDR;
	b.used = 0;

	rsdp = alloc_table(&b, sizeof(*rsdp), &rsdp_gpa);
	if (build_fadt(&b, &fadt_gpa) < 0)
		return -1;
	build_madt(&b, vm, &madt_gpa);
	build_mcfg(&b, &mcfg_gpa);
	if (vm->iommu) {
		build_dmar(&b, vm, &dmar_gpa);
		n++;
	}
	xsdt = alloc_table(&b, sizeof(*xsdt) + n * sizeof(uint64_t), &xsdt_gpa);
	header(xsdt, "XSDT", sizeof(*xsdt) + n * sizeof(uint64_t), 1);
	entries = (uint64_t *)(xsdt + 1);
	entries[0] = fadt_gpa;
	entries[1] = madt_gpa;
	entries[2] = mcfg_gpa;
	if (vm->iommu)
		entries[3] = dmar_gpa;
	seal(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = checksum(rsdp, 20);
	rsdp->extended_checksum = checksum(rsdp, sizeof(*rsdp));
	return b.used <= ACPI_TABLES_SIZE ? 0 : -1;
}

/*
 * PM1a event block: status (write 1 to clear) and enable, 16 bits each
 * (4.8.3.1).  Nothing raises an event: status reads 0, enables are kept.
 */
struct acpi_pm {
	pthread_mutex_t lock;
	uint16_t pm1_en;
};

static uint64_t pm1_evt_read(void *dev, uint64_t offset, unsigned int size)
{
	struct acpi_pm *pm = dev;
	uint64_t val = 0;

	pthread_mutex_lock(&pm->lock);
	if (offset >= 2)
		val = pm->pm1_en >> (8 * (offset - 2));
	pthread_mutex_unlock(&pm->lock);
	return size == 1 ? val & 0xff : val & 0xffff;
}

static void pm1_evt_write(void *dev, uint64_t offset, unsigned int size,
			  uint64_t value)
{
	struct acpi_pm *pm = dev;

	pthread_mutex_lock(&pm->lock);
	if (offset == 2 && size >= 2)
		pm->pm1_en = value;
	else if (offset == 2)
		pm->pm1_en = (pm->pm1_en & 0xff00) | (value & 0xff);
	else if (offset == 3)
		pm->pm1_en = (pm->pm1_en & 0xff) | (value & 0xff) << 8;
	pthread_mutex_unlock(&pm->lock);
}

static const struct io_ops pm1_evt_ops = {
	.read = pm1_evt_read,
	.write = pm1_evt_write,
};

/* The PM timer: 3.579545 MHz on the host clock, 32 bits (TMR_VAL_EXT). */
static uint64_t pm_tmr_read(void *dev, uint64_t offset, unsigned int size)
{
	uint32_t ticks = (unsigned __int128)clock_ns() * PM_TMR_HZ /
			 1000000000ULL;

	(void)dev;
	(void)size;
	return ticks >> (8 * offset);
}

static const struct io_ops pm_tmr_ops = {
	.read = pm_tmr_read,
};

struct acpi_pm *acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm) {
		pr_perror("ACPI PM");
		return NULL;
	}
	pthread_mutex_init(&pm->lock, NULL);
	if (iobus_register(&vm->pio, PM_BASE, PM1_EVT_LEN, 0, "PM1a_EVT",
			   &pm1_evt_ops, pm) < 0 ||
	    iobus_register(&vm->pio, PM_TMR_ADDR, PM_TMR_LEN, 0, "PM_TMR",
			   &pm_tmr_ops, NULL) < 0) {
		acpi_pm_destroy(pm);
		return NULL;
	}
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}
