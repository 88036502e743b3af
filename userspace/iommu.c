// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: interrupt remapping as an Intel VT-d remapping unit
 * does it (Intel VT-d specification rev. 3, chapters 5 "Interrupt
 * Remapping", 6.5 "Invalidation" and 10 "Register Descriptions").
 *
 * The guest points the unit at an interrupt-remapping table in its memory
 * (IRTA, then GCMD.SIRTP) and turns remapping on (GCMD.IRE); from then on
 * the I/O APIC's entries in remappable format name an entry of that table
 * by index, and the entry says where the interrupt goes: a 32-bit x2APIC
 * destination when the table is in x2APIC mode (IRTA.EIME).  That is what
 * lets Linux use x2APIC (Linux 6.1 turns x2APIC on without interrupt
 * remapping only under hypervisors it knows).
 *
 * Changes to the table reach the hardware through the invalidation queue
 * (GCMD.QIE, IQA, IQT): this unit caches nothing, so it only carries out
 * wait descriptors (their status write and interrupt).  DMA remapping is
 * not done: the launcher's devices do no DMA.  The root table pointer,
 * translation enable and the IOTLB and context-cache commands are
 * accepted and reported done, so that a guest's IOMMU driver, which sets
 * them up before it turns remapping on, finds the hardware it expects.
 * Faults of interrupt requests are recorded in the one fault recording
 * register and signalled with the fault event interrupt.
 *
 * Everything is under vm->irq_lock: the I/O APIC calls iommu_remap()
 * with it held, the registers take it.
 */
#include <stdlib.h>
#include <string.h>

#include "iobus.h"
#include "iommu.h"
#include "util.h"
#include "vm.h"

/* Registers (10.4) */
#define REG_VER			0x00
#define REG_CAP			0x08
#define REG_ECAP		0x10
#define REG_GCMD		0x18
#define REG_GSTS		0x1c
#define REG_RTADDR		0x20
#define REG_CCMD		0x28
#define REG_FSTS		0x34
#define REG_FECTL		0x38
#define REG_FEDATA		0x3c
#define REG_FEADDR		0x40
#define REG_FEUADDR		0x44
#define REG_PMEN		0x64
#define REG_IQH			0x80
#define REG_IQT			0x88
#define REG_IQA			0x90
#define REG_ICS			0x9c
#define REG_IECTL		0xa0
#define REG_IEDATA		0xa4
#define REG_IEADDR		0xa8
#define REG_IEUADDR		0xac
#define REG_IRTA		0xb8
#define REG_IVA			0x200	/* ECAP.IRO */
#define REG_IOTLB		0x208
#define REG_FRR			0x220	/* CAP.FRO: one fault recording register */
#define REG_SIZE		0x230

/*
 * Version 1.0.  CAP: 256 domains, 4-level 48-bit page tables (SAGAW bit 2,
 * MGAW 47), one fault recording register at 220H.  ECAP: coherent (this
 * unit reads guest memory directly), queued invalidation, interrupt
 * remapping, x2APIC mode (EIM), IOTLB registers at 200H.
 */
#define IOMMU_VER		0x10
#define IOMMU_CAP		(2ULL | 1ULL << (8 + 2) | 47ULL << 16 | \
				 (uint64_t)(REG_FRR / 16) << 24)
#define IOMMU_ECAP		(1ULL << 0 | 1ULL << 1 | 1ULL << 3 | 1ULL << 4 | \
				 (uint64_t)(REG_IVA / 16) << 8)

/* GCMD and GSTS: a command bit and its status bit are the same bit. */
#define GCMD_TE			(1U << 31)
#define GCMD_SRTP		(1U << 30)
#define GCMD_QIE		(1U << 26)
#define GCMD_IRE		(1U << 25)
#define GCMD_SIRTP		(1U << 24)
#define GCMD_CFI		(1U << 23)
#define GCMD_ENABLES		(GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI)

#define FSTS_PFO		(1U << 0)
#define FSTS_PPF		(1U << 1)
#define FSTS_IQE		(1U << 4)
#define FSTS_RW1C		(FSTS_PFO | FSTS_IQE | 1U << 5 | 1U << 6)
#define EVENT_IM		(1U << 31)	/* FECTL, IECTL: masked */
#define EVENT_IP		(1U << 30)	/* an interrupt waits for unmasking */
#define ICS_IWC			(1U << 0)
#define CMD_ACTIVE		(1ULL << 63)	/* CCMD.ICC, IOTLB.IVT */
#define FRR_F			(1ULL << 63)	/* in the high half */
#define IRTA_EIME		(1ULL << 11)

/* Invalidation descriptors (6.5.2): 128 bits, the type in bits 3:0 */
#define QI_TYPE(d)		(((d) & 0xf) | (((d) >> 5) & 0x70))
#define QI_WAIT			5
#define QI_WAIT_IF		(1ULL << 4)
#define QI_WAIT_SW		(1ULL << 5)
#define IQA_DW			(1ULL << 11)

/* Interrupt-remapping table entries (9.10), remapped format */
#define IRTE_P			(1ULL << 0)
#define IRTE_FPD		(1ULL << 1)
#define IRTE_DM			(1ULL << 2)
#define IRTE_TM			(1ULL << 4)
#define IRTE_DLM(lo)		(((lo) >> 5) & 7)
#define IRTE_IM			(1ULL << 15)	/* posted: not offered */
#define IRTE_VECTOR(lo)		(((lo) >> 16) & 0xff)
#define IRTE_LO_RSVD		(7ULL << 12 | 0xffULL << 24)
#define IRTE_LO_RSVD_XAPIC	(0xffULL << 32 | 0xffffULL << 48)
#define IRTE_HI_RSVD		(~0ULL << 20)

/* Fault reasons of interrupt requests (7.1.3) */
#define FR_INDEX		0x21	/* beyond the table */
#define FR_NOT_PRESENT		0x22
#define FR_TABLE		0x23	/* the table is not in memory */
#define FR_RESERVED		0x24	/* reserved bits in the entry */
#define FR_COMPAT		0x25	/* a compatibility-format request */

struct iommu {
	struct vm *vm;
	uint8_t regs[REG_SIZE];		/* as the guest reads them */
	/* The table GCMD.SIRTP latched from IRTA */
	uint64_t irt_base;
	uint32_t irt_entries;
	bool irt_x2apic;
};

static uint32_t get32(const struct iommu *m, unsigned int off)
{
	uint32_t v;

	memcpy(&v, m->regs + off, 4);
	return v;
}

static void set32(struct iommu *m, unsigned int off, uint32_t v)
{
	memcpy(m->regs + off, &v, 4);
}

static uint64_t get64(const struct iommu *m, unsigned int off)
{
	return get32(m, off) | (uint64_t)get32(m, off + 4) << 32;
}

static void set64(struct iommu *m, unsigned int off, uint64_t v)
{
	set32(m, off, v);
	set32(m, off + 4, v >> 32);
}

/*
 * An event interrupt (fault event, 7.4; invalidation event, 6.5.2.8):
 * the message in its data and address registers, an MSI of the unit
 * itself, never remapped.  Masked, it waits (IP) for the unmasking.
 */
static void send_event(struct iommu *m, unsigned int ctl)
{
	uint32_t data = get32(m, ctl + 4), addr = get32(m, ctl + 8);
	uint32_t dest = (addr >> 12 & 0xff) | (get32(m, ctl + 12) & ~0xffU);

	if (get32(m, ctl) & EVENT_IM) {
		set32(m, ctl, get32(m, ctl) | EVENT_IP);
		return;
	}
	set32(m, ctl, get32(m, ctl) & ~EVENT_IP);
	m->vm->deliver(m->vm, dest, addr & 4, data & 0xff, false, data >> 8 & 7);
}

/* A fault of interrupt request @index, for reason @reason (7.1.3). */
static void record_fault(struct iommu *m, uint32_t index, uint8_t reason)
{
	uint32_t fsts = get32(m, REG_FSTS);

	if (get64(m, REG_FRR + 8) & FRR_F) {
		set32(m, REG_FSTS, fsts | FSTS_PFO);
		return;
	}
	set64(m, REG_FRR, (uint64_t)index << 48);
	set64(m, REG_FRR + 8, FRR_F | (uint64_t)reason << 32);
	set32(m, REG_FSTS, fsts | FSTS_PPF);
	send_event(m, REG_FECTL);
}

bool iommu_compat_passes(const struct iommu *m)
{
	uint32_t gsts;

	if (!m)
		return true;
	gsts = get32(m, REG_GSTS);
	return !(gsts & GCMD_IRE) || (gsts & GCMD_CFI);
}

void iommu_remap(struct iommu *m, uint32_t index)
{
	uint64_t *e, lo, hi, rsvd = IRTE_LO_RSVD;
	uint32_t dest;

	if (!m || !(get32(m, REG_GSTS) & GCMD_IRE))
		return;			/* blocked (5.1.2) */
	if (index >= m->irt_entries) {
		record_fault(m, index, FR_INDEX);
		return;
	}
	e = vm_guest_ptr(m->vm, m->irt_base + index * 16ULL, 16);
	if (!e) {
		record_fault(m, index, FR_TABLE);
		return;
	}
	lo = __atomic_load_n(&e[0], __ATOMIC_ACQUIRE);
	hi = __atomic_load_n(&e[1], __ATOMIC_RELAXED);
	if (!(lo & IRTE_P)) {
		if (!(lo & IRTE_FPD))
			record_fault(m, index, FR_NOT_PRESENT);
		return;
	}
	if (!m->irt_x2apic)
		rsvd |= IRTE_LO_RSVD_XAPIC;
	if ((lo & (rsvd | IRTE_IM)) || (hi & IRTE_HI_RSVD)) {
		if (!(lo & IRTE_FPD))
			record_fault(m, index, FR_RESERVED);
		return;
	}
	dest = m->irt_x2apic ? lo >> 32 : (lo >> 40) & 0xff;
	m->vm->deliver(m->vm, dest, lo & IRTE_DM, IRTE_VECTOR(lo), lo & IRTE_TM,
		   IRTE_DLM(lo));
}

/*
 * The invalidation queue from IQH to IQT (6.5.2).  Nothing is cached, so
 * every descriptor is done at once; a wait descriptor writes its status
 * and raises the invalidation event if it asks.  An unknown type, or a
 * queue outside memory, stops the queue at that descriptor with IQE.
 */
static void run_queue(struct iommu *m)
{
	uint64_t iqa = get64(m, REG_IQA), head = get64(m, REG_IQH) >> 4;
	uint64_t tail = get64(m, REG_IQT) >> 4, size = 256ULL << (iqa & 7);

	if (!(get32(m, REG_GSTS) & GCMD_QIE) || (get32(m, REG_FSTS) & FSTS_IQE))
		return;
	while (head != tail) {
		uint64_t *d = vm_guest_ptr(m->vm, (iqa & ~0xfffULL) + head * 16, 16);
		uint32_t *status;

		if (!d || (iqa & IQA_DW) || tail >= size)
			goto error;
		switch (QI_TYPE(d[0])) {
		case 1:			/* context cache */
		case 2:			/* IOTLB */
		case 3:			/* device-TLB */
		case 4:			/* interrupt entry cache */
		case 6:			/* PASID-based IOTLB */
		case 7:			/* PASID cache */
			break;
		case QI_WAIT:
			if (d[0] & QI_WAIT_SW) {
				status = vm_guest_ptr(m->vm, d[1] & ~3ULL, 4);
				if (!status)
					goto error;
				__atomic_store_n(status, d[0] >> 32,
						 __ATOMIC_RELEASE);
			}
			if (d[0] & QI_WAIT_IF) {
				set32(m, REG_ICS, get32(m, REG_ICS) | ICS_IWC);
				send_event(m, REG_IECTL);
			}
			break;
		default:
			goto error;
		}
		head = (head + 1) % size;
		set64(m, REG_IQH, head << 4);
	}
	return;
error:
	set32(m, REG_FSTS, get32(m, REG_FSTS) | FSTS_IQE);
	send_event(m, REG_FECTL);
}

static void write_gcmd(struct iommu *m, uint32_t cmd)
{
	uint32_t sts = get32(m, REG_GSTS);

	if ((cmd ^ sts) & GCMD_QIE)
		set64(m, REG_IQH, 0);	/* enabling or disabling starts over */
	sts = (sts & ~GCMD_ENABLES) | (cmd & GCMD_ENABLES);
	if (cmd & GCMD_SRTP)
		sts |= GCMD_SRTP;	/* RTPS: latched, done */
	if (cmd & GCMD_SIRTP) {
		uint64_t irta = get64(m, REG_IRTA);

		m->irt_base = irta & ~0xfffULL;
		m->irt_entries = 2U << (irta & 0xf);
		m->irt_x2apic = irta & IRTA_EIME;
		sts |= GCMD_SIRTP;	/* IRTPS */
	}
	set32(m, REG_GSTS, sts);
	run_queue(m);
}

/*
 * A write of 32 bits at @off (4-aligned): what a register keeps, and what
 * it starts.  64-bit registers take their halves one at a time.
 */
static void write32(struct iommu *m, unsigned int off, uint32_t v)
{
	switch (off) {
	case REG_GCMD:
		write_gcmd(m, v);
		return;
	case REG_RTADDR:
	case REG_RTADDR + 4:
	case REG_IQA:
	case REG_IQA + 4:
	case REG_IRTA:
	case REG_IRTA + 4:
	case REG_IVA:
	case REG_IVA + 4:
	case REG_FEDATA:
	case REG_FEADDR:
	case REG_FEUADDR:
	case REG_IEDATA:
	case REG_IEADDR:
	case REG_IEUADDR:
	case REG_IQT + 4:
	case REG_CCMD:
	case REG_IOTLB:
		set32(m, off, v);
		return;
	case REG_IQT:
		set32(m, off, v & 0x7fff0);
		run_queue(m);
		return;
	case REG_CCMD + 4:		/* done at once: CAIG = CIRG (10.4.7) */
		set32(m, off, (v & ~(1U << 31) & ~(3U << 27)) |
			      ((v >> 29 & 3) << 27));
		return;
	case REG_IOTLB + 4:		/* done at once: IAIG = IIRG (10.4.8.1) */
		set32(m, off, (v & ~(1U << 31) & ~(3U << 25)) |
			      ((v >> 28 & 3) << 25));
		return;
	case REG_FSTS:
		set32(m, off, get32(m, off) & ~(v & FSTS_RW1C));
		/* A cleared IQE lets the queue go on. */
		run_queue(m);
		return;
	case REG_FECTL:
	case REG_IECTL:
		set32(m, off, (get32(m, off) & ~EVENT_IM) | (v & EVENT_IM));
		if (!(v & EVENT_IM) && (get32(m, off) & EVENT_IP))
			send_event(m, off);
		return;
	case REG_ICS:
		set32(m, off, get32(m, off) & ~(v & ICS_IWC));
		return;
	case REG_FRR + 12:		/* F: write 1 to clear */
		if (v & (FRR_F >> 32)) {
			set32(m, off, 0);
			set32(m, REG_FSTS, get32(m, REG_FSTS) & ~FSTS_PPF);
		}
		return;
	}
	/* read-only, reserved (PMEN: no protected memory regions) */
}

static uint64_t iommu_read(void *dev, uint64_t off, unsigned int size)
{
	struct iommu *m = dev;
	uint64_t v = 0;

	if (off + size > REG_SIZE)
		return 0;
	pthread_mutex_lock(&m->vm->irq_lock);
	memcpy(&v, m->regs + off, size);
	pthread_mutex_unlock(&m->vm->irq_lock);
	return v;
}

static void iommu_write(void *dev, uint64_t off, unsigned int size,
			uint64_t value)
{
	struct iommu *m = dev;

	/* Registers are written 32 or 64 bits wide, aligned (10.2). */
	if ((size != 4 && size != 8) || (off & (size - 1)) ||
	    off + size > REG_SIZE)
		return;
	pthread_mutex_lock(&m->vm->irq_lock);
	write32(m, off, value);
	if (size == 8)
		write32(m, off + 4, value >> 32);
	pthread_mutex_unlock(&m->vm->irq_lock);
}

static const struct io_ops iommu_ops = {
	.read = iommu_read,
	.write = iommu_write,
};

struct iommu *iommu_create(struct vm *vm)
{
	struct iommu *m = calloc(1, sizeof(*m));

	if (!m) {
		pr_perror("IOMMU");
		return NULL;
	}
	m->vm = vm;
	set32(m, REG_VER, IOMMU_VER);
	set64(m, REG_CAP, IOMMU_CAP);
	set64(m, REG_ECAP, IOMMU_ECAP);
	set32(m, REG_FECTL, EVENT_IM);
	set32(m, REG_IECTL, EVENT_IM);
	if (iobus_register(&vm->mmio, IOMMU_BASE, 0x1000, 8, "IOMMU",
			   &iommu_ops, m) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

void iommu_destroy(struct iommu *m)
{
	free(m);
}
