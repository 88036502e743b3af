// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a virtio console (virtio 1.2, 5.3 "Console Device"),
 * Linux's /dev/hvc0, beside the UART.
 *
 * One port, no multiport: queue 0 carries input to the guest, queue 1
 * its output, which goes to the launcher's stdout as the UART's does.
 * With --console the terminal's keys go here instead of to the UART
 * (uart.c still reads them and keeps Ctrl-A x): they wait in a small
 * buffer until the guest has posted buffers to receive them; what does
 * not fit in it is dropped, as a full line discipline drops.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "virtio.h"

#define CLASS_COMMUNICATION	0x078000	/* as QEMU's virtio-serial */
#define RX_QUEUE		0
#define TX_QUEUE		1
#define INPUT_BUFFER		4096

struct virtio_console {
	struct virtio_dev vdev;
	int out_fd;
	/* Input not yet taken by the guest, under vdev.lock. */
	uint8_t in[INPUT_BUFFER];
	size_t in_len;
	struct virtq_chain chain;	/* under vdev.lock */
};

/* Give the guest what input it has room for.  vdev.lock held. */
static void console_deliver(struct virtio_console *con)
{
	struct virtio_dev *vdev = &con->vdev;
	struct virtq *vq = &vdev->vqs[RX_QUEUE];
	size_t n;

	while (con->in_len && virtq_pop(vdev, vq, &con->chain)) {
		n = virtq_chain_write(&con->chain, 0, con->in, con->in_len);
		memmove(con->in, con->in + n, con->in_len - n);
		con->in_len -= n;
		virtq_push(vdev, vq, con->chain.head, n);
	}
	virtq_notify_guest(vdev, vq);
}

/* Output: each request's readable bytes, in order, to out_fd. */
static void console_output(struct virtio_console *con, struct virtq *vq)
{
	struct virtio_dev *vdev = &con->vdev;
	unsigned int i;

	while (virtq_pop(vdev, vq, &con->chain)) {
		for (i = 0; i < con->chain.n_out; i++)
			write_all(con->out_fd, con->chain.iov[i].iov_base,
				  con->chain.iov[i].iov_len);
		virtq_push(vdev, vq, con->chain.head, 0);
	}
}

static void console_queue_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	struct virtio_console *con = vdev->priv;

	if (vq->index == TX_QUEUE)
		console_output(con, vq);
	else
		console_deliver(con);
}

/* The guest reset the device: input it had not taken is gone with it. */
static void console_reset(struct virtio_dev *vdev)
{
	struct virtio_console *con = vdev->priv;

	if (con)
		con->in_len = 0;
}

static const struct virtio_dev_ops console_ops = {
	.queue_notify = console_queue_notify,
	.reset = console_reset,
};

void virtio_console_input(void *dev, const uint8_t *buf, size_t len)
{
	struct virtio_console *con = dev;
	size_t n;

	pthread_mutex_lock(&con->vdev.lock);
	n = MIN(len, sizeof(con->in) - con->in_len);
	memcpy(con->in + con->in_len, buf, n);
	con->in_len += n;
	if (con->vdev.status & VIRTIO_STATUS_DRIVER_OK)
		console_deliver(con);
	pthread_mutex_unlock(&con->vdev.lock);
}

struct virtio_dev *virtio_console_create(struct vm *vm, int out_fd)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con) {
		pr_perror("virtio-console");
		return NULL;
	}
	if (virtio_init(&con->vdev, vm, "virtio-console", VIRTIO_ID_CONSOLE,
			CLASS_COMMUNICATION, 2, 0, &console_ops) < 0) {
		virtio_console_destroy(&con->vdev);
		return NULL;
	}
	con->vdev.priv = con;
	con->out_fd = out_fd;
	/* 5.3.4: cols, rows, max_nr_ports, emerg_wr; none offered. */
	con->vdev.config_len = 12;
	if (virtio_start(&con->vdev) < 0) {
		virtio_console_destroy(&con->vdev);
		return NULL;
	}
	return &con->vdev;
}

void virtio_console_destroy(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	virtio_exit(vdev);
	free(vdev);
}
