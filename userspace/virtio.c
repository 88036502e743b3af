// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the virtio PCI transport and split virtqueues
 * (virtio.h).  Sections are those of the Virtual I/O Device
 * Specification 1.2.
 *
 * The guest may change its rings under us at any time: every descriptor
 * is copied once before it is looked at, every index is checked against
 * the queue's size, and every buffer must lie in guest RAM.  A guest that
 * breaks the rules gets DEVICE_NEEDS_RESET (2.1.2), not a crash.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hv.h"
#include "util.h"
#include "virtio.h"
#include "vm.h"

/* BAR 0: the structures the capabilities point at (4.1.4). */
#define COMMON_OFF		0x0000
#define COMMON_LEN		0x38
#define ISR_OFF			0x1000
#define DEVICE_OFF		0x2000
#define NOTIFY_OFF		0x3000
#define NOTIFY_MULT		4	/* queue n notifies at NOTIFY_OFF + 4n */
#define BAR0_SIZE		0x4000
/* BAR 1: the MSI-X table and pending bits. */
#define MSIX_TABLE_OFF		0x0000
#define MSIX_PBA_OFF		0x0800
#define BAR1_SIZE		0x1000

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE(id)	(0x1040 + (id))

/* struct virtio_pci_cap's cfg_type (4.1.4). */
#define CAP_COMMON		1
#define CAP_NOTIFY		2
#define CAP_ISR			3
#define CAP_DEVICE		4
#define CAP_PCI_CFG		5

#define NO_VECTOR		0xffff
#define ISR_QUEUE		0x1
#define ISR_CONFIG		0x2

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY	1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit)
{
	return vdev->guest_features >> bit & 1;
}

/* --- Interrupts --- */

/* Queue or configuration interrupt: MSI-X if on, else INTA# and the ISR. */
static void virtio_interrupt(struct virtio_dev *vdev, uint16_t vector,
			     uint8_t isr)
{
	if (pci_msix_notify(&vdev->pci, vector))
		return;
	vdev->isr |= isr;
	pci_set_intx(&vdev->pci, true);
}

/* The guest broke the rules: it must reset the device (2.1.2). */
static void virtio_broken(struct virtio_dev *vdev, const char *why)
{
	if (!(vdev->status & VIRTIO_STATUS_NEEDS_RESET))
		pr_err("%s: %s; the device needs a reset", vdev->name, why);
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	virtio_interrupt(vdev, vdev->msix_config, ISR_CONFIG);
}

/* --- Split virtqueues (2.7) --- */

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* avail: flags, idx, ring[size], used_event.  used: flags, idx, ring, avail_event. */
#define AVAIL_IDX(vq)		(&(vq)->avail[1])
#define AVAIL_RING(vq, i)	(&(vq)->avail[2 + (i)])
#define USED_EVENT(vq)		(&(vq)->avail[2 + (vq)->size])
#define AVAIL_EVENT(vq)		(&(vq)->used[2 + 4 * (vq)->size])

static void chain_add(struct virtq_chain *c, void *p, uint32_t len, bool in)
{
	c->iov[c->n_out + c->n_in] = (struct iovec){ .iov_base = p,
						    .iov_len = len };
	if (in) {
		c->n_in++;
		c->in_len += len;
	} else {
		c->n_out++;
	}
}

static int walk_chain(struct virtio_dev *vdev, struct virtq *vq,
		      struct virtq_chain *c)
{
	const volatile struct vring_desc *table = vq->desc;
	unsigned int max = vq->size, idx = c->head, seen = 0;
	bool indirect = false;
	struct vring_desc d;
	void *buf;

	for (;;) {
		d.addr = table[idx].addr;
		d.len = table[idx].len;
		d.flags = table[idx].flags;
		d.next = table[idx].next;
		if (++seen > max)
			return virtio_broken(vdev, "a descriptor loop"), -1;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: not nested, not chained, whole entries. */
			if (indirect || (d.flags & VRING_DESC_F_NEXT) ||
			    !virtio_has_feature(vdev, VIRTIO_F_INDIRECT_DESC) ||
			    !d.len || d.len % sizeof(d) ||
			    d.len / sizeof(d) > VIRTQ_MAX_CHAIN)
				return virtio_broken(vdev, "a bad indirect descriptor"), -1;
			table = vm_guest_ptr(vdev->vm, d.addr, d.len);
			if (!table)
				return virtio_broken(vdev, "an indirect table outside RAM"), -1;
			indirect = true;
			max = d.len / sizeof(d);
			idx = seen = 0;
			continue;
		}
		if (c->n_out + c->n_in == VIRTQ_MAX_CHAIN)
			return virtio_broken(vdev, "a chain too long"), -1;
		if (!(d.flags & VRING_DESC_F_WRITE) && c->n_in)
			return virtio_broken(vdev, "a readable descriptor after a writable one"), -1;
		buf = d.len ? vm_guest_ptr(vdev->vm, d.addr, d.len) : NULL;
		if (d.len && !buf)
			return virtio_broken(vdev, "a buffer outside RAM"), -1;
		chain_add(c, buf, d.len, d.flags & VRING_DESC_F_WRITE);
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= max)
			return virtio_broken(vdev, "a next index out of the table"), -1;
	}
}

int virtq_pop(struct virtio_dev *vdev, struct virtq *vq,
	      struct virtq_chain *chain)
{
	uint16_t avail, head;

	if (!vq->enabled || (vdev->status & VIRTIO_STATUS_NEEDS_RESET))
		return 0;
	/* The ring entries and descriptors are read after the index. */
	avail = __atomic_load_n(AVAIL_IDX(vq), __ATOMIC_ACQUIRE);
	if (avail == vq->last_avail)
		return 0;
	if ((uint16_t)(avail - vq->last_avail) > vq->size) {
		virtio_broken(vdev, "the available index ran ahead of the ring");
		return 0;
	}
	head = load16(AVAIL_RING(vq, vq->last_avail % vq->size));
	vq->last_avail++;
	if (head >= vq->size) {
		virtio_broken(vdev, "a head index out of the ring");
		return 0;
	}
	chain->head = head;
	chain->n_out = chain->n_in = 0;
	chain->in_len = 0;
	return walk_chain(vdev, vq, chain) < 0 ? 0 : 1;
}

void virtq_push(struct virtio_dev *vdev, struct virtq *vq, uint16_t head,
		uint32_t written)
{
	uint32_t *elem = (uint32_t *)&vq->used[2] + 2 * (vq->used_idx % vq->size);

	(void)vdev;
	elem[0] = head;
	elem[1] = written;
	vq->used_idx++;
	/* The element before the index that publishes it (2.7.8). */
	__atomic_store_n(&vq->used[1], vq->used_idx, __ATOMIC_RELEASE);
}

void virtq_notify_guest(struct virtio_dev *vdev, struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;

	if (old == now)
		return;
	/* Our used index is visible before we read what the guest wants. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = now;
	if (virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX)) {
		uint16_t event = load16(USED_EVENT(vq));

		/* vring_need_event(): did we pass used_event? (2.7.10) */
		if ((uint16_t)(now - event - 1) >= (uint16_t)(now - old))
			return;
	} else if (load16(&vq->avail[0]) & VRING_AVAIL_F_NO_INTERRUPT) {
		return;
	}
	virtio_interrupt(vdev, vq->msix_vector, ISR_QUEUE);
}

/*
 * Ask for the guest's notifications again and look once more: a request
 * made before the guest saw our request for them would be missed (2.7.10).
 */
bool virtq_enable_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	if (virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX))
		__atomic_store_n(AVAIL_EVENT(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->used[0], 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(AVAIL_IDX(vq)) != vq->last_avail;
}

static void virtq_disable_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	if (!virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX))
		__atomic_store_n(&vq->used[0], VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
}

/*
 * Serve @vq until notifications are on again and nothing came meanwhile.
 * A device may leave buffers it has nothing for (a receive queue without
 * input): once a round takes none, it is not asked again until the next
 * notification.  vdev->lock held.
 */
static void virtq_serve(struct virtio_dev *vdev, struct virtq *vq)
{
	uint8_t ready = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET;
	uint16_t start;
	bool more;

	if ((vdev->status & ready) != VIRTIO_STATUS_DRIVER_OK || !vq->enabled)
		return;
	virtq_disable_notify(vdev, vq);
	do {
		start = vq->last_avail;
		vdev->ops->queue_notify(vdev, vq);
		virtq_notify_guest(vdev, vq);
		more = virtq_enable_notify(vdev, vq);
	} while (more && vq->last_avail != start &&
		 !(vdev->status & VIRTIO_STATUS_NEEDS_RESET));
}

size_t iov_copy(const struct iovec *iov, unsigned int n, size_t at,
		void *buf, size_t len, bool to_iov)
{
	unsigned int i;
	size_t done = 0;

	for (i = 0; i < n && done < len; i++) {
		uint8_t *p = iov[i].iov_base;
		size_t k;

		if (at >= iov[i].iov_len) {
			at -= iov[i].iov_len;
			continue;
		}
		k = MIN(iov[i].iov_len - at, len - done);
		if (to_iov)
			memcpy(p + at, (uint8_t *)buf + done, k);
		else
			memcpy((uint8_t *)buf + done, p + at, k);
		done += k;
		at = 0;
	}
	return done;
}

size_t iov_total(const struct iovec *iov, unsigned int n)
{
	size_t t = 0;

	while (n--)
		t += iov[n].iov_len;
	return t;
}

size_t virtq_chain_write(struct virtq_chain *c, size_t at, const void *src,
			 size_t len)
{
	return iov_copy(c->iov + c->n_out, c->n_in, at, (void *)src, len, true);
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t at, void *dst,
			size_t len)
{
	return iov_copy(c->iov, c->n_out, at, dst, len, false);
}

void virtio_serve(struct virtio_dev *vdev, struct virtq *vq)
{
	pthread_mutex_lock(&vdev->lock);
	virtq_serve(vdev, vq);
	pthread_mutex_unlock(&vdev->lock);
}

/* --- The common configuration (4.1.4.3), vdev->lock held --- */

static void virtio_reset(struct virtio_dev *vdev)
{
	unsigned int q;

	vdev->status = 0;
	vdev->guest_features = 0;
	vdev->dfselect = vdev->gfselect = 0;
	vdev->queue_select = 0;
	vdev->msix_config = NO_VECTOR;
	vdev->isr = 0;
	pci_set_intx(&vdev->pci, false);
	for (q = 0; q < vdev->nr_queues; q++) {
		struct virtq *vq = &vdev->vqs[q];

		vq->size = VIRTQ_MAX_SIZE;
		vq->enabled = false;
		vq->msix_vector = NO_VECTOR;
		vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
		vq->desc = NULL;
		vq->avail = vq->used = NULL;
		vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	}
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

static struct virtq *selected(struct virtio_dev *vdev)
{
	return vdev->queue_select < vdev->nr_queues ?
	       &vdev->vqs[vdev->queue_select] : NULL;
}

/* The rings must be aligned (2.7) and in RAM. */
static void *ring_ptr(struct virtio_dev *vdev, uint64_t gpa, uint64_t len,
		      unsigned int align)
{
	return gpa % align ? NULL : vm_guest_ptr(vdev->vm, gpa, len);
}

static void queue_enable(struct virtio_dev *vdev, struct virtq *vq)
{
	unsigned int n = vq->size;

	if (vq->enabled)
		return;
	vq->desc = ring_ptr(vdev, vq->desc_gpa, 16ULL * n, 16);
	vq->avail = ring_ptr(vdev, vq->avail_gpa, 6 + 2ULL * n, 2);
	vq->used = ring_ptr(vdev, vq->used_gpa, 6 + 8ULL * n, 4);
	if (!n || n & (n - 1) || n > VIRTQ_MAX_SIZE || !vq->desc ||
	    !vq->avail || !vq->used) {
		virtio_broken(vdev, "a queue enabled with bad rings");
		return;
	}
	vq->enabled = true;
}

/* FEATURES_OK only for features we offered, VERSION_1 among them (2.2). */
static uint8_t check_status(struct virtio_dev *vdev, uint8_t status)
{
	if ((status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(vdev->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((vdev->guest_features & ~vdev->host_features) ||
	     !virtio_has_feature(vdev, VIRTIO_F_VERSION_1)))
		status &= ~VIRTIO_STATUS_FEATURES_OK;
	return status | (vdev->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void set_status(struct virtio_dev *vdev, uint8_t status)
{
	uint8_t old = vdev->status;
	unsigned int q;

	if (!status) {
		virtio_reset(vdev);
		return;
	}
	vdev->status = check_status(vdev, status);
	/* Requests made before DRIVER_OK are served now. */
	if ((vdev->status & ~old) & VIRTIO_STATUS_DRIVER_OK)
		for (q = 0; q < vdev->nr_queues; q++)
			eventfd_write(vdev->vqs[q].efd, 1);
}

static uint16_t check_vector(struct virtio_dev *vdev, uint16_t v)
{
	return v < vdev->pci.msix_vectors ? v : NO_VECTOR;
}

static uint64_t common_read(struct virtio_dev *vdev, uint64_t off,
			    unsigned int size)
{
	struct virtq *vq = selected(vdev);
	uint8_t img[COMMON_LEN] = { 0 };
	uint64_t v = 0;
	unsigned int i;

	/* The structure as the guest would see it, then the bytes asked for. */
#define PUT(at, n, val)	do { uint64_t _v = (val); \
		for (i = 0; i < (n); i++) img[(at) + i] = _v >> (8 * i); } while (0)
	PUT(0x00, 4, vdev->dfselect);
	PUT(0x04, 4, vdev->dfselect < 2 ?
		     vdev->host_features >> (32 * vdev->dfselect) : 0);
	PUT(0x08, 4, vdev->gfselect);
	PUT(0x0c, 4, vdev->gfselect < 2 ?
		     vdev->guest_features >> (32 * vdev->gfselect) : 0);
	PUT(0x10, 2, vdev->msix_config);
	PUT(0x12, 2, vdev->nr_queues);
	PUT(0x14, 1, vdev->status);
	PUT(0x15, 1, 0);			/* config_generation */
	PUT(0x16, 2, vdev->queue_select);
	if (vq) {
		PUT(0x18, 2, vq->size);
		PUT(0x1a, 2, vq->msix_vector);
		PUT(0x1c, 2, vq->enabled);
		PUT(0x1e, 2, vq->index);	/* queue_notify_off */
		PUT(0x20, 8, vq->desc_gpa);
		PUT(0x28, 8, vq->avail_gpa);
		PUT(0x30, 8, vq->used_gpa);
	}
#undef PUT
	for (i = 0; i < size && off + i < COMMON_LEN; i++)
		v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

/* A 32-bit half or all of a 64-bit queue address. */
static void set_addr(uint64_t *addr, uint64_t off, unsigned int size,
		     uint64_t value)
{
	if (size == 8)
		*addr = value;
	else if (off % 8 == 0)
		*addr = (*addr & ~0xffffffffULL) | (uint32_t)value;
	else
		*addr = (*addr & 0xffffffffULL) | value << 32;
}

static void common_write(struct virtio_dev *vdev, uint64_t off,
			 unsigned int size, uint64_t value)
{
	struct virtq *vq = selected(vdev);

	switch (off) {
	case 0x00:
		vdev->dfselect = value;
		return;
	case 0x08:
		vdev->gfselect = value;
		return;
	case 0x0c:
		if (vdev->gfselect < 2 &&
		    !(vdev->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned int sh = 32 * vdev->gfselect;

			vdev->guest_features &= ~(0xffffffffULL << sh);
			vdev->guest_features |= (value & 0xffffffffULL) << sh;
		}
		return;
	case 0x10:
		vdev->msix_config = check_vector(vdev, value);
		return;
	case 0x14:
		set_status(vdev, value);
		return;
	case 0x16:
		vdev->queue_select = value;
		return;
	}
	/* The selected queue's fields, only while it is off (4.1.4.3.2). */
	if (!vq || vq->enabled)
		return;
	switch (off) {
	case 0x18:
		vq->size = value;
		break;
	case 0x1a:
		vq->msix_vector = check_vector(vdev, value);
		break;
	case 0x1c:
		if (value == 1)
			queue_enable(vdev, vq);
		break;
	case 0x20: case 0x24:
		set_addr(&vq->desc_gpa, off, size, value);
		break;
	case 0x28: case 0x2c:
		set_addr(&vq->avail_gpa, off, size, value);
		break;
	case 0x30: case 0x34:
		set_addr(&vq->used_gpa, off, size, value);
		break;
	}
}

/* --- BAR 0 --- */

static uint64_t bar0_read(void *dev, uint64_t off, unsigned int size)
{
	struct virtio_dev *vdev = dev;
	uint64_t v = 0;
	unsigned int i;

	if (off >= NOTIFY_OFF)
		return 0;
	pthread_mutex_lock(&vdev->lock);
	if (off < COMMON_OFF + COMMON_LEN) {
		v = common_read(vdev, off - COMMON_OFF, size);
	} else if (off == ISR_OFF) {
		/* Reading the ISR clears it and INTA# (4.1.4.5). */
		v = vdev->isr;
		vdev->isr = 0;
		pci_set_intx(&vdev->pci, false);
	} else if (off >= DEVICE_OFF) {
		for (i = 0; i < size; i++)
			if (off - DEVICE_OFF + i < vdev->config_len)
				v |= (uint64_t)vdev->config[off - DEVICE_OFF + i]
				     << (8 * i);
	}
	pthread_mutex_unlock(&vdev->lock);
	return v;
}

static void bar0_write(void *dev, uint64_t off, unsigned int size,
		       uint64_t value)
{
	struct virtio_dev *vdev = dev;
	uint64_t q;

	if (off >= NOTIFY_OFF) {
		/* Without RS_IOEVENTFD (or a write of another size). */
		q = (off - NOTIFY_OFF) / NOTIFY_MULT;
		if (q < vdev->nr_queues)
			eventfd_write(vdev->vqs[q].efd, 1);
		return;
	}
	if (off >= COMMON_OFF + COMMON_LEN)
		return;		/* the ISR and device config are read-only */
	pthread_mutex_lock(&vdev->lock);
	common_write(vdev, off - COMMON_OFF, size, value);
	pthread_mutex_unlock(&vdev->lock);
}

static const struct io_ops bar0_ops = {
	.read = bar0_read,
	.write = bar0_write,
};

static uint64_t bar1_read(void *dev, uint64_t off, unsigned int size)
{
	struct virtio_dev *vdev = dev;

	if (off >= MSIX_PBA_OFF)
		return pci_msix_read(&vdev->pci, off - MSIX_PBA_OFF, size, true);
	return pci_msix_read(&vdev->pci, off - MSIX_TABLE_OFF, size, false);
}

static void bar1_write(void *dev, uint64_t off, unsigned int size,
		       uint64_t value)
{
	struct virtio_dev *vdev = dev;

	if (off < MSIX_PBA_OFF)
		pci_msix_write(&vdev->pci, off - MSIX_TABLE_OFF, size, value);
}

static const struct io_ops bar1_ops = {
	.read = bar1_read,
	.write = bar1_write,
};

/* --- Config space: the capabilities and the PCI_CFG window --- */

static unsigned int add_cap(struct virtio_dev *vdev, uint8_t type,
			    uint32_t offset, uint32_t length, unsigned int len)
{
	unsigned int at = pci_add_cap(&vdev->pci, PCI_CAP_ID_VNDR, len);
	uint8_t *c = &vdev->pci.cfg[at];

	c[2] = len;
	c[3] = type;
	c[4] = 0;			/* BAR 0 */
	memcpy(c + 8, &offset, 4);
	memcpy(c + 12, &length, 4);
	return at;
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): the guest picks a BAR offset and a
 * length in the capability, and pci_cfg_data reads or writes them there.
 */
#define PCI_CFG_DATA		16

static bool cfg_window(struct pci_device *pdev, unsigned int reg,
		       unsigned int size, uint32_t *off, uint32_t *len)
{
	struct virtio_dev *vdev = pdev->priv;
	unsigned int at = vdev->pci_cfg_cap;
	const uint8_t *c = &pdev->cfg[at];

	if (reg != at + PCI_CFG_DATA || c[4] != 0)
		return false;
	memcpy(off, c + 8, 4);
	memcpy(len, c + 12, 4);
	return (*len == 1 || *len == 2 || *len == 4) && *len <= size &&
	       *off % *len == 0 && *off < BAR0_SIZE;
}

static bool virtio_cfg_read(struct pci_device *pdev, unsigned int reg,
			    unsigned int size, uint32_t *value)
{
	uint32_t off, len;

	if (!cfg_window(pdev, reg, size, &off, &len))
		return false;
	*value = bar0_read(pdev->priv, off, len);
	return true;
}

static void virtio_cfg_write(struct pci_device *pdev, unsigned int reg,
			     unsigned int size, uint32_t value)
{
	uint32_t off, len;

	if (cfg_window(pdev, reg, size, &off, &len))
		bar0_write(pdev->priv, off, len, value);
}

/*
 * Guest notifications go to the queues' eventfds in the kernel when BAR 0
 * is decoded (RS_IOEVENTFD with the 16-bit write Linux makes); the MMIO
 * handler covers anything else.  Called with config space writes.
 */
static int ioeventfd(struct virtio_dev *vdev, struct virtq *vq, uint64_t addr,
		     uint32_t flags)
{
	struct rs_ioeventfd io = { .addr = addr, .len = 2, .fd = vq->efd,
				   .flags = flags };

	return hv_ioctl(vdev->vm->fd, RS_IOEVENTFD, &io);
}

static void virtio_bars_changed(struct pci_device *pdev)
{
	struct virtio_dev *vdev = pdev->priv;
	uint32_t base = pci_bar_decoded(pdev, 0);
	unsigned int q;

	/* Only where the bus routes it to us: inside the memory window. */
	if (base < PCI_MMIO_BASE ||
	    base - PCI_MMIO_BASE > PCI_MMIO_SIZE - BAR0_SIZE)
		base = 0;
	for (q = 0; q < vdev->nr_queues; q++) {
		struct virtq *vq = &vdev->vqs[q];
		uint64_t addr = base ? base + NOTIFY_OFF + NOTIFY_MULT * q : 0;

		if (addr == vq->ioeventfd_addr)
			continue;
		if (vq->ioeventfd_addr)
			ioeventfd(vdev, vq, vq->ioeventfd_addr,
				  RS_IOEVENTFD_DEASSIGN);
		vq->ioeventfd_addr = 0;
		if (addr && ioeventfd(vdev, vq, addr, 0) == 0)
			vq->ioeventfd_addr = addr;
	}
}

static const struct pci_device_ops virtio_pci_ops = {
	.bars_changed = virtio_bars_changed,
	.cfg_read = virtio_cfg_read,
	.cfg_write = virtio_cfg_write,
};

/* --- The I/O thread --- */

static void *virtio_thread(void *arg)
{
	struct virtio_dev *vdev = arg;
	struct pollfd fds[1 + VIRTIO_MAX_QUEUES];
	unsigned int q, n = 1 + vdev->nr_queues;
	eventfd_t count;

	fds[0] = (struct pollfd){ .fd = vdev->stop_efd, .events = POLLIN };
	for (q = 0; q < vdev->nr_queues; q++)
		fds[1 + q] = (struct pollfd){ .fd = vdev->vqs[q].efd,
					      .events = POLLIN };
	for (;;) {
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_perror("%s: poll", vdev->name);
			break;
		}
		if (fds[0].revents)
			break;
		for (q = 0; q < vdev->nr_queues; q++) {
			if (!fds[1 + q].revents)
				continue;
			eventfd_read(vdev->vqs[q].efd, &count);
			virtio_serve(vdev, &vdev->vqs[q]);
		}
	}
	return NULL;
}

/* A device with a loop of its own (ops->thread) runs it instead. */
static void *virtio_device_thread(void *arg)
{
	struct virtio_dev *vdev = arg;

	vdev->ops->thread(vdev);
	return NULL;
}

/* --- Creation --- */

int virtio_init(struct virtio_dev *vdev, struct vm *vm, const char *name,
		unsigned int device_id, uint32_t class, unsigned int nr_queues,
		uint64_t features, const struct virtio_dev_ops *ops)
{
	struct pci_device *pdev = &vdev->pci;
	unsigned int q, at;

	memset(vdev, 0, sizeof(*vdev));
	vdev->vm = vm;
	vdev->name = name;
	vdev->ops = ops;
	vdev->nr_queues = nr_queues;
	vdev->host_features = features | 1ULL << VIRTIO_F_VERSION_1 |
			      1ULL << VIRTIO_F_INDIRECT_DESC |
			      1ULL << VIRTIO_F_EVENT_IDX;
	vdev->stop_efd = -1;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vdev->vqs[q].efd = -1;
	pthread_mutex_init(&vdev->lock, NULL);

	/* 4.1.2: device ID 0x1040 + type, revision 1, subsystem >= 0x40. */
	pci_device_init(pdev, vm, name, VIRTIO_PCI_VENDOR,
			VIRTIO_PCI_DEVICE(device_id), class, VIRTIO_PCI_VENDOR,
			0x1100);
	pdev->ops = &virtio_pci_ops;
	pdev->priv = vdev;
	pci_add_bar(pdev, 0, BAR0_SIZE, false, &bar0_ops, vdev);
	pci_add_bar(pdev, 1, BAR1_SIZE, false, &bar1_ops, vdev);
	/* A vector for configuration changes and one per queue. */
	pci_add_msix(pdev, nr_queues + 1, 1, MSIX_TABLE_OFF, MSIX_PBA_OFF);
	add_cap(vdev, CAP_COMMON, COMMON_OFF, COMMON_LEN, 16);
	at = add_cap(vdev, CAP_NOTIFY, NOTIFY_OFF, NOTIFY_MULT * nr_queues, 20);
	pdev->cfg[at + 16] = NOTIFY_MULT;	/* notify_off_multiplier */
	add_cap(vdev, CAP_ISR, ISR_OFF, 1, 16);
	add_cap(vdev, CAP_DEVICE, DEVICE_OFF, VIRTIO_CONFIG_MAX, 16);
	at = add_cap(vdev, CAP_PCI_CFG, 0, 0, 20);
	vdev->pci_cfg_cap = at;
	/* Its bar, offset, length and data are the guest's. */
	pdev->wmask[at + 4] = 0xff;
	memset(&pdev->wmask[at + 8], 0xff, 12);

	for (q = 0; q < nr_queues; q++) {
		vdev->vqs[q].index = q;
		vdev->vqs[q].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->vqs[q].efd < 0) {
			pr_perror("%s: eventfd", name);
			return -1;
		}
	}
	vdev->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (vdev->stop_efd < 0) {
		pr_perror("%s: eventfd", name);
		return -1;
	}
	virtio_reset(vdev);
	return 0;
}

int virtio_start(struct virtio_dev *vdev)
{
	sigset_t all, old;
	int err;

	if (pci_register(vdev->vm->pci, &vdev->pci) < 0)
		return -1;
	/* The I/O thread takes no signals: vm_run() waits for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&vdev->thread, NULL, vdev->ops->thread ?
			     virtio_device_thread : virtio_thread, vdev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		pr_perror("%s: cannot start its I/O thread", vdev->name);
		return -1;
	}
	vdev->thread_started = true;
	return 0;
}

void virtio_exit(struct virtio_dev *vdev)
{
	unsigned int q;

	if (vdev->thread_started) {
		eventfd_write(vdev->stop_efd, 1);
		pthread_join(vdev->thread, NULL);
	}
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		struct virtq *vq = &vdev->vqs[q];

		if (vq->ioeventfd_addr)
			ioeventfd(vdev, vq, vq->ioeventfd_addr,
				  RS_IOEVENTFD_DEASSIGN);
		if (vq->efd >= 0)
			close(vq->efd);
	}
	if (vdev->stop_efd >= 0)
		close(vdev->stop_efd);
	pthread_mutex_destroy(&vdev->lock);
}
