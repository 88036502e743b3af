// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a virtio block device on a raw image (virtio 1.2,
 * 5.2 "Block Device").
 *
 * One request queue, served by the device's I/O thread (virtio.c) with
 * preadv/pwritev straight between the image and guest RAM: the guest's
 * buffers are the iovecs, nothing is copied.  An I/O thread rather than
 * io_uring: the launcher needs no liburing, a request in flight never
 * holds a vCPU, and one thread per disk keeps the disks apart; a guest
 * with one queue issues its requests one ring at a time anyway.
 *
 * cache=writeback (the default) goes through the host's page cache;
 * cache=none opens the image O_DIRECT, as QEMU does.  Either way the
 * guest sees a volatile write cache (VIRTIO_BLK_F_FLUSH) and a flush is
 * an fdatasync(): what the guest synced is on the host's disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "virtio.h"

#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define SECTOR_SIZE		512
#define BLK_ID_BYTES		20
#define CLASS_STORAGE_SCSI	0x010000	/* as QEMU's virtio-blk */

struct virtio_blk {
	struct virtio_dev vdev;
	struct virtio_blk_options opts;
	int fd;
	uint64_t sectors;
	char id[BLK_ID_BYTES];
	/* The I/O thread's. */
	struct virtq_chain chain;
	struct iovec data[VIRTQ_MAX_CHAIN];
};

struct blk_req_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* The iovecs of @src covering [skip, skip + len), into @dst. */
static unsigned int iov_slice(const struct iovec *src, unsigned int n,
			      size_t skip, size_t len, struct iovec *dst)
{
	unsigned int i, out = 0;

	for (i = 0; i < n && len; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[out].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[out].iov_len = MIN(l - skip, len);
		len -= dst[out++].iov_len;
		skip = 0;
	}
	return out;
}

/*
 * O_DIRECT wants aligned memory; Linux's block layer aligns its buffers
 * to 512 bytes, but another guest need not: bounce those.
 */
static ssize_t bounce_rw(struct virtio_blk *b, struct iovec *iov,
			 unsigned int n, off_t off, bool write)
{
	size_t len = iov_total(iov, n);
	ssize_t r;
	void *buf;

	if (posix_memalign(&buf, PAGE_SIZE, len ? len : 1))
		return -1;
	if (write)
		iov_copy(iov, n, 0, buf, len, false);
	r = write ? pwrite(b->fd, buf, len, off) : pread(b->fd, buf, len, off);
	if (!write && r == (ssize_t)len)
		iov_copy(iov, n, 0, buf, len, true);
	free(buf);
	return r;
}

/* All of @iov at @off, or false. */
static bool blk_rw(struct virtio_blk *b, struct iovec *iov, unsigned int n,
		   off_t off, bool write)
{
	size_t left = iov_total(iov, n);

	while (left) {
		ssize_t r = write ? pwritev(b->fd, iov, n, off) :
				    preadv(b->fd, iov, n, off);

		if (r < 0 && errno == EINVAL && b->opts.direct)
			return bounce_rw(b, iov, n, off, write) ==
			       (ssize_t)left;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		left -= r;
		off += r;
		/* A short transfer: go on after what was done. */
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return true;
}

/* Does [sector, + len bytes) fit the disk, in whole sectors? */
static bool in_disk(const struct virtio_blk *b, uint64_t sector, size_t len)
{
	return len % SECTOR_SIZE == 0 && sector <= b->sectors &&
	       len / SECTOR_SIZE <= b->sectors - sector;
}

/*
 * One request (5.2.6): the header, data, and a status byte, the last
 * writable byte.  Returns the bytes written into the request.
 */
static uint32_t blk_request(struct virtio_blk *b, struct virtq_chain *c)
{
	struct blk_req_header h;
	size_t out_len, data_len;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint32_t written = 0;
	unsigned int n;

	if (!c->in_len ||
	    virtq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h))
		return 0;
	out_len = iov_total(c->iov, c->n_out);
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->in_len - 1;
		n = iov_slice(c->iov + c->n_out, c->n_in, 0, data_len, b->data);
		if (!in_disk(b, h.sector, data_len) ||
		    !blk_rw(b, b->data, n, h.sector * SECTOR_SIZE, false))
			status = VIRTIO_BLK_S_IOERR;
		else
			written = data_len;
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = out_len - sizeof(h);
		n = iov_slice(c->iov, c->n_out, sizeof(h), data_len, b->data);
		if (b->opts.readonly || !in_disk(b, h.sector, data_len) ||
		    !blk_rw(b, b->data, n, h.sector * SECTOR_SIZE, true))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(b->fd) < 0)
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		written = virtq_chain_write(c, 0, b->id,
					    MIN(sizeof(b->id), c->in_len - 1));
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	virtq_chain_write(c, c->in_len - 1, &status, 1);
	return written + 1;
}

static void blk_queue_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	struct virtio_blk *b = vdev->priv;

	while (virtq_pop(vdev, vq, &b->chain))
		virtq_push(vdev, vq, b->chain.head, blk_request(b, &b->chain));
}

static const struct virtio_dev_ops blk_ops = {
	.queue_notify = blk_queue_notify,
};

int virtio_blk_parse(const char *arg, struct virtio_blk_options *o)
{
	char *copy = strdup(arg), *opt, *save = NULL;
	int r = 0;

	*o = (struct virtio_blk_options){ 0 };
	if (!copy)
		return -1;
	/* ",ro" has no file: strtok_r() would make "ro" one, inside copy. */
	o->path = copy[0] == ',' ? NULL : strtok_r(copy, ",", &save);
	while (o->path && (opt = strtok_r(NULL, ",", &save))) {
		if (!strcmp(opt, "ro")) {
			o->readonly = true;
		} else if (!strcmp(opt, "cache=none")) {
			o->direct = true;
		} else if (!strcmp(opt, "cache=writeback")) {
			o->direct = false;
		} else {
			pr_err("--disk %s: unknown option \"%s\" (ro, "
			       "cache=none, cache=writeback)", arg, opt);
			r = -1;
		}
	}
	if (!o->path) {
		pr_err("--disk %s: no file", arg);
		r = -1;
	}
	if (r < 0) {
		free(copy);
		o->path = NULL;
	}
	return r;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int blk_open(struct virtio_blk *b)
{
	const struct virtio_blk_options *o = &b->opts;
	struct stat st;

	b->fd = open(o->path, (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		     (o->direct ? O_DIRECT : 0));
	if (b->fd < 0) {
		if (errno == EINVAL && o->direct)
			pr_err("--disk %s: cache=none needs O_DIRECT, which "
			       "its file system does not offer", o->path);
		else
			pr_perror("--disk %s", o->path);
		return -1;
	}
	/* Two writers of one image would corrupt it: as QEMU, lock it. */
	if (flock(b->fd, (o->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		pr_perror("--disk %s: locked by another process", o->path);
		return -1;
	}
	if (fstat(b->fd, &st) < 0) {
		pr_perror("--disk %s", o->path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("--disk %s: not a regular file", o->path);
		return -1;
	}
	b->sectors = st.st_size / SECTOR_SIZE;
	return 0;
}

struct virtio_dev *virtio_blk_create(struct vm *vm,
				     const struct virtio_blk_options *opts)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint64_t features = 1ULL << VIRTIO_BLK_F_SEG_MAX |
			    1ULL << VIRTIO_BLK_F_BLK_SIZE |
			    1ULL << VIRTIO_BLK_F_FLUSH;
	const char *base;

	if (!b) {
		pr_perror("virtio-blk");
		return NULL;
	}
	b->opts = *opts;
	b->opts.path = strdup(opts->path);
	b->fd = -1;
	if (!b->opts.path) {
		free(b);
		return NULL;
	}
	if (opts->readonly)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	if (virtio_init(&b->vdev, vm, "virtio-blk", VIRTIO_ID_BLOCK,
			CLASS_STORAGE_SCSI, 1, features, &blk_ops) < 0 ||
	    blk_open(b) < 0) {
		virtio_blk_destroy(&b->vdev);
		return NULL;
	}
	b->vdev.priv = b;
	/* The serial: the image's name, not NUL-terminated if 20 bytes. */
	base = strrchr(opts->path, '/');
	base = base ? base + 1 : opts->path;
	memcpy(b->id, base, MIN(strlen(base), sizeof(b->id)));
	/* 5.2.4: capacity, seg_max, blk_size; the rest stays 0. */
	memcpy(&b->vdev.config[0], &b->sectors, 8);
	put32(&b->vdev.config[12], VIRTQ_MAX_SIZE - 2);
	put32(&b->vdev.config[20], SECTOR_SIZE);
	b->vdev.config_len = 60;
	if (virtio_start(&b->vdev) < 0) {
		virtio_blk_destroy(&b->vdev);
		return NULL;
	}
	return &b->vdev;
}

void virtio_blk_destroy(struct virtio_dev *vdev)
{
	struct virtio_blk *b = (struct virtio_blk *)vdev;

	if (!vdev)
		return;
	virtio_exit(vdev);
	if (b->fd >= 0)
		close(b->fd);
	free(b->opts.path);
	free(b);
}
