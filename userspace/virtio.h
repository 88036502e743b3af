/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: virtio 1.x devices over PCI (Virtual I/O Device
 * Specification 1.2, 4.1 "Virtio Over PCI Bus" and 2.7 "Split
 * Virtqueues"), the transport the device files (virtio-blk.c, ...)
 * share.
 *
 * A device is a PCI function with two BARs: BAR 0 holds the common
 * configuration, the ISR, the device's own configuration and the queue
 * notification addresses, which capabilities in config space point at;
 * BAR 1 holds the MSI-X table.  Each queue has an eventfd that a guest
 * notification signals: in the kernel (RS_IOEVENTFD), without an exit,
 * where the hypervisor can; else the MMIO write does it here.  Each device
 * has an I/O thread that waits on those eventfds and serves the queues
 * off the vCPU threads, under the device's lock: a reset waits for the
 * request in progress.
 */
#ifndef RINGSIDE_VIRTIO_H
#define RINGSIDE_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "pci.h"

#define VIRTIO_MAX_QUEUES	8
#define VIRTQ_MAX_SIZE		256
#define VIRTQ_MAX_CHAIN		(2 * VIRTQ_MAX_SIZE)	/* with indirect */
#define VIRTIO_CONFIG_MAX	256

/* Device IDs (5 "Device Types") and the feature bits the transport owns. */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

/* Device status (2.1). */
#define VIRTIO_STATUS_ACK	0x01
#define VIRTIO_STATUS_DRIVER	0x02
#define VIRTIO_STATUS_DRIVER_OK	0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED	0x80

struct vring_desc;
struct virtio_dev;

struct virtq {
	unsigned int index;
	uint16_t size;			/* the guest's; max VIRTQ_MAX_SIZE */
	bool enabled;
	uint16_t msix_vector;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host pointers into guest RAM, valid while enabled. */
	struct vring_desc *desc;
	uint16_t *avail;		/* flags, idx, ring[size], used_event */
	uint16_t *used;			/* flags, idx, then the ring */
	uint16_t last_avail;		/* the next entry to take */
	uint16_t used_idx;		/* the next entry to fill */
	uint16_t signalled_used;	/* used_idx at the last interrupt */
	int efd;			/* guest notifications */
	uint64_t ioeventfd_addr;	/* 0: none in the kernel */
};

/*
 * One request: the descriptor chain @head as iovecs into guest RAM, its
 * @n_out device-readable ones first, then @n_in device-writable ones.
 */
struct virtq_chain {
	uint16_t head;
	unsigned int n_out, n_in;
	uint64_t in_len;		/* bytes the device may write */
	struct iovec iov[VIRTQ_MAX_CHAIN];
};

struct virtio_dev_ops {
	/*
	 * The guest notified @vq, or the device is ready (DRIVER_OK): take
	 * its requests with virtq_pop(), complete them with virtq_push().
	 * The I/O thread, vdev->lock held.
	 */
	void (*queue_notify)(struct virtio_dev *vdev, struct virtq *vq);
	/* The guest reset the device; vdev->lock held. */
	void (*reset)(struct virtio_dev *vdev);
	/*
	 * Optional: the device's own I/O loop, run on its I/O thread instead
	 * of the generic one, for a device that also waits on fds of its own
	 * (virtio-net's backend).  It polls each queue's efd, serving the
	 * queue with virtio_serve() or by itself, and returns once
	 * vdev->stop_efd is readable.
	 */
	void (*thread)(struct virtio_dev *vdev);
};

struct virtio_dev {
	struct pci_device pci;
	struct vm *vm;
	const char *name;
	const struct virtio_dev_ops *ops;
	void *priv;
	pthread_mutex_t lock;

	/* The common configuration (4.1.4.3), under lock. */
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint8_t status;
	uint16_t queue_select;
	uint16_t msix_config;
	uint8_t isr;
	unsigned int nr_queues;
	struct virtq vqs[VIRTIO_MAX_QUEUES];

	/* The device's configuration, read-only to the guest. */
	uint8_t config[VIRTIO_CONFIG_MAX];
	unsigned int config_len;
	unsigned int pci_cfg_cap;	/* VIRTIO_PCI_CAP_PCI_CFG's offset */

	pthread_t thread;
	bool thread_started;
	int stop_efd;
};

/*
 * Set up @vdev as virtio device @device_id with @nr_queues queues and
 * @features (VERSION_1, INDIRECT_DESC and EVENT_IDX are added), PCI class
 * @class; the caller fills vdev->config and then calls virtio_start().
 */
int virtio_init(struct virtio_dev *vdev, struct vm *vm, const char *name,
		unsigned int device_id, uint32_t class, unsigned int nr_queues,
		uint64_t features, const struct virtio_dev_ops *ops);
/* Put it on the PCI bus and start its I/O thread. */
int virtio_start(struct virtio_dev *vdev);
/* Stop the thread and undo virtio_init(); the vCPUs are stopped. */
void virtio_exit(struct virtio_dev *vdev);

bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit);

/*
 * The next request of @vq: 1 with @chain filled, 0 if there is none.  A
 * malformed one (a descriptor outside RAM, a loop, a readable descriptor
 * after a writable one) makes the device need a reset and returns 0.
 */
int virtq_pop(struct virtio_dev *vdev, struct virtq *vq,
	      struct virtq_chain *chain);
/* Hand request @head back with @written bytes written into it. */
void virtq_push(struct virtio_dev *vdev, struct virtq *vq, uint16_t head,
		uint32_t written);
/*
 * After a batch of pushes: interrupt the guest unless it said it need
 * not be (2.7.7, 2.7.10).
 */
void virtq_notify_guest(struct virtio_dev *vdev, struct virtq *vq);

/*
 * Ask the guest to notify @vq's next request (2.7.10); true if one came
 * meanwhile, to be taken now.  For a device that takes requests only when
 * it has something for them (virtio-net's receive queue).  vdev->lock held.
 */
bool virtq_enable_notify(struct virtio_dev *vdev, struct virtq *vq);
/*
 * What the generic I/O thread does when @vq's efd fires: take the lock and
 * call ops->queue_notify until the queue is empty with notifications on.
 */
void virtio_serve(struct virtio_dev *vdev, struct virtq *vq);

/*
 * Copy up to @len bytes between @buf and the @n iovecs @iov, from byte
 * @at of theirs: into them if @to_iov, else out.  Returns bytes copied.
 */
size_t iov_copy(const struct iovec *iov, unsigned int n, size_t at,
		void *buf, size_t len, bool to_iov);
/* The bytes @iov's @n iovecs hold. */
size_t iov_total(const struct iovec *iov, unsigned int n);

/* Copy @len bytes of @src into the writable part of @chain; bytes copied. */
size_t virtq_chain_write(struct virtq_chain *chain, size_t at,
			 const void *src, size_t len);
/* Copy @len bytes of the readable part of @chain at @at to @dst. */
size_t virtq_chain_read(const struct virtq_chain *chain, size_t at, void *dst,
			size_t len);

/* virtio-blk.c, virtio-rng.c: the devices `ringside run` can add. */
struct virtio_blk_options {
	char *path;
	bool readonly;
	bool direct;			/* cache=none: O_DIRECT */
};
/*
 * Parse "FILE[,ro][,cache=none|writeback]" into @opts, whose path is then
 * the caller's to free().  Returns 0, or -1 after saying why.
 */
int virtio_blk_parse(const char *arg, struct virtio_blk_options *opts);
struct virtio_dev *virtio_blk_create(struct vm *vm,
				     const struct virtio_blk_options *opts);
void virtio_blk_destroy(struct virtio_dev *vdev);

struct virtio_dev *virtio_rng_create(struct vm *vm);
void virtio_rng_destroy(struct virtio_dev *vdev);

/* virtio-net.c: --net user[,hostfwd=...] (libslirp) or --net tap=IFNAME. */
#define VIRTIO_NET_MAX_HOSTFWDS	16
enum virtio_net_backend { VIRTIO_NET_USER, VIRTIO_NET_TAP };
struct virtio_net_hostfwd {
	bool udp;
	uint32_t host_addr, guest_addr;	/* network order; 0: any / .15 */
	uint16_t host_port, guest_port;
};
struct virtio_net_options {
	enum virtio_net_backend backend;
	char ifname[16];		/* tap: IFNAMSIZ */
	unsigned int nr_hostfwds;
	struct virtio_net_hostfwd hostfwds[VIRTIO_NET_MAX_HOSTFWDS];
};
/* Parse --net's argument into @opts; 0, or -1 after saying why. */
int virtio_net_parse(const char *arg, struct virtio_net_options *opts);
/* Device @index (from 0) has MAC 52:54:00:12:34:56 + @index. */
struct virtio_dev *virtio_net_create(struct vm *vm,
				     const struct virtio_net_options *opts,
				     unsigned int index);
void virtio_net_destroy(struct virtio_dev *vdev);

/*
 * virtio-console.c: hvc0, its output to @out_fd; its input through
 * virtio_console_input() (uart.c's reader, uart_set_input()).
 */
struct virtio_dev *virtio_console_create(struct vm *vm, int out_fd);
void virtio_console_input(void *dev, const uint8_t *buf, size_t len);
void virtio_console_destroy(struct virtio_dev *vdev);

#endif /* RINGSIDE_VIRTIO_H */
