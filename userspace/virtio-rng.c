// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a virtio entropy device (virtio 1.2, 5.4), fed by
 * the host's getrandom(): each request's writable buffers are filled.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "util.h"
#include "virtio.h"

#define CLASS_OTHER		0x00ff00	/* as QEMU's virtio-rng */

struct virtio_rng {
	struct virtio_dev vdev;
	struct virtq_chain chain;	/* the I/O thread's */
};

/* Fill the writable buffers; what getrandom() gave is what is reported. */
static uint32_t rng_fill(struct virtq_chain *c)
{
	uint32_t done = 0;
	unsigned int i;

	for (i = c->n_out; i < c->n_out + c->n_in; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t left = c->iov[i].iov_len;

		while (left) {
			ssize_t r = getrandom(p, left, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return done;
			p += r;
			left -= r;
			done += r;
		}
	}
	return done;
}

static void rng_queue_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	struct virtio_rng *rng = vdev->priv;

	while (virtq_pop(vdev, vq, &rng->chain))
		virtq_push(vdev, vq, rng->chain.head, rng_fill(&rng->chain));
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_queue_notify,
};

struct virtio_dev *virtio_rng_create(struct vm *vm)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng) {
		pr_perror("virtio-rng");
		return NULL;
	}
	if (virtio_init(&rng->vdev, vm, "virtio-rng", VIRTIO_ID_RNG,
			CLASS_OTHER, 1, 0, &rng_ops) < 0) {
		virtio_rng_destroy(&rng->vdev);
		return NULL;
	}
	rng->vdev.priv = rng;
	if (virtio_start(&rng->vdev) < 0) {
		virtio_rng_destroy(&rng->vdev);
		return NULL;
	}
	return &rng->vdev;
}

void virtio_rng_destroy(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	virtio_exit(vdev);
	free(vdev);
}
