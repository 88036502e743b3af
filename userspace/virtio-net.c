// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a virtio network device (virtio 1.2, 5.1 "Network
 * Device") with two backends:
 *
 *   user      user-mode networking through libslirp, addressed as QEMU's
 *             -netdev user: network 10.0.2.0/24, the guest 10.0.2.15 by
 *             DHCP, the host 10.0.2.2 (its loopback), DNS 10.0.2.3; host
 *             ports forwarded into the guest with hostfwd=.
 *   tap       an existing tap interface (or one created for the run),
 *             with the virtio header passed unchanged between the tap and
 *             the rings (IFF_VNET_HDR), so checksum and segmentation
 *             offloads reach the host's stack.
 *
 * One receive queue (0) and one transmit queue (1), no control queue, no
 * multiqueue.  The device runs its own loop on its I/O thread
 * (virtio_dev_ops.thread) because it waits on the backend's fds as well as
 * on the queues: libslirp is not thread-safe, so every slirp call --
 * slirp_input() of the guest's frames included -- is made on that thread.
 *
 * Receive buffers: no VIRTIO_NET_F_MRG_RXBUF.  Without it a driver posts
 * buffers that hold a whole frame (5.1.6.3.1): Linux posts 1518 bytes and
 * the header when it takes no GUEST_TSO, and 64 KiB chains when it does, so
 * every frame fits one chain and the device stays simple.  A frame that
 * does not fit its chain is dropped.  The price is guest memory with TSO,
 * which a launcher for test guests can pay.
 *
 * Frames with nowhere to go.  tap: while the guest has posted no receive
 * buffer the tap is not read, so frames wait in the host kernel's queue
 * (txqueuelen) and are dropped there, as from any slow interface.  user:
 * slirp hands frames over as it makes them; they are kept, up to
 * NET_PENDING_MAX, until the guest posts buffers, and slirp's sockets are
 * not read meanwhile, so TCP's flow control holds the peers back; beyond
 * that they are dropped (TCP retransmits).  Before DRIVER_OK, or after a
 * reset, frames are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include <libslirp.h>

#include "util.h"
#include "virtio.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM	1
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4	7
#define VIRTIO_NET_F_GUEST_TSO6	8
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_STATUS	16

#define VIRTIO_NET_S_LINK_UP	1

#define RX_QUEUE		0
#define TX_QUEUE		1
#define CLASS_NETWORK_ETHERNET	0x020000

/* 5.1.6: struct virtio_net_hdr, num_buffers always there with VERSION_1. */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define NET_HDR_LEN		sizeof(struct virtio_net_hdr_v1)
#define NET_NUM_BUFFERS_OFF	10
/* Without HOST_TSO, a frame the guest sends: Ethernet, VLAN tag, 1500. */
#define NET_TX_MAX		(14 + 4 + 1500)
#define NET_PENDING_MAX		256
#define NET_RX_BATCH		64	/* frames per interrupt at most */
#define NET_MAX_GUEST_ERRORS	10

/* 52:54:00:12:34:56, QEMU's first MAC, + the device's index. */
static const uint8_t base_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* A slirp timer (SlirpCb.timer_new): on the I/O thread's list. */
struct net_timer {
	struct net_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms;		/* -1: not armed */
};

/* A frame from slirp waiting for a receive buffer. */
struct net_frame {
	struct net_frame *next;
	size_t len;
	uint8_t data[];
};

struct virtio_net {
	struct virtio_dev vdev;
	struct virtio_net_options opts;
	char name[32];
	int tap_fd;
	uint64_t tap_offloads;		/* guest features behind TUNSETOFFLOAD */
	bool tap_offloads_set;

	/* The I/O thread's, all of it below. */
	bool rx_wait;			/* no receive buffer: wait for one */
	struct virtq_chain chain;
	struct pollfd *pfds;
	unsigned int nr_pfds, max_pfds;

	Slirp *slirp;
	int notify_efd;			/* SlirpCb.notify */
	struct net_timer *timers;
	struct net_frame *pending, **pending_tail;
	unsigned int nr_pending;
	unsigned int guest_errors;
	uint8_t tx_buf[NET_TX_MAX];
};

static bool net_ready(const struct virtio_dev *vdev)
{
	uint8_t ready = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET;

	return (vdev->status & ready) == VIRTIO_STATUS_DRIVER_OK;
}

/*
 * The next receive buffer, into n->chain, or false.  Out of them, ask the
 * guest for a notification when it posts more (and look once more).
 * vdev->lock held.
 */
static bool rx_pop(struct virtio_net *n)
{
	struct virtio_dev *vdev = &n->vdev;
	struct virtq *rx = &vdev->vqs[RX_QUEUE];

	if (!net_ready(vdev) || !rx->enabled)
		return false;
	do {
		if (virtq_pop(vdev, rx, &n->chain))
			return true;
	} while (net_ready(vdev) && virtq_enable_notify(vdev, rx));
	return false;
}

/* Give back the buffer rx_pop() took: virtq_pop() only moved last_avail. */
static void rx_unpop(struct virtio_net *n)
{
	n->vdev.vqs[RX_QUEUE].last_avail--;
}

static int pfd_add(struct virtio_net *n, int fd, short events)
{
	if (n->nr_pfds == n->max_pfds) {
		unsigned int max = n->max_pfds ? 2 * n->max_pfds : 16;
		struct pollfd *p = realloc(n->pfds, max * sizeof(*p));

		if (!p)
			return -1;
		n->pfds = p;
		n->max_pfds = max;
	}
	n->pfds[n->nr_pfds] = (struct pollfd){ .fd = fd, .events = events };
	return n->nr_pfds++;
}

/* --- user: libslirp --- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void frame_free_all(struct virtio_net *n)
{
	while (n->pending) {
		struct net_frame *f = n->pending;

		n->pending = f->next;
		free(f);
	}
	n->pending_tail = &n->pending;
	n->nr_pending = 0;
}

/*
 * The pending frames into receive buffers, as many as the guest posted.
 * The I/O thread, outside slirp: slirp_input() runs under vdev->lock.
 */
static void slirp_flush(struct virtio_net *n)
{
	struct virtio_dev *vdev = &n->vdev;
	struct virtq *rx = &vdev->vqs[RX_QUEUE];
	struct virtio_net_hdr_v1 hdr = { .num_buffers = 1 };
	unsigned int batch = 0;

	if (!n->pending)
		return;
	pthread_mutex_lock(&vdev->lock);
	if (!net_ready(vdev)) {
		frame_free_all(n);
		goto out;
	}
	while (n->pending && rx_pop(n)) {
		struct net_frame *f = n->pending;

		n->pending = f->next;
		if (!n->pending)
			n->pending_tail = &n->pending;
		n->nr_pending--;
		if (n->chain.in_len < NET_HDR_LEN + f->len) {
			rx_unpop(n);
		} else {
			virtq_chain_write(&n->chain, 0, &hdr, sizeof(hdr));
			virtq_chain_write(&n->chain, NET_HDR_LEN, f->data, f->len);
			virtq_push(vdev, rx, n->chain.head, NET_HDR_LEN + f->len);
			if (++batch == NET_RX_BATCH) {
				virtq_notify_guest(vdev, rx);
				batch = 0;
			}
		}
		free(f);
	}
	if (net_ready(vdev))
		virtq_notify_guest(vdev, rx);
out:
	pthread_mutex_unlock(&vdev->lock);
}

/* SlirpCb.send_packet: keep the frame for slirp_flush(). */
static ssize_t slirp_send_packet(const void *buf, size_t len, void *opaque)
{
	struct virtio_net *n = opaque;
	struct net_frame *f;

	if (n->nr_pending == NET_PENDING_MAX)
		return len;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return len;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, buf, len);
	*n->pending_tail = f;
	n->pending_tail = &f->next;
	n->nr_pending++;
	return len;
}

static void slirp_guest_error(const char *msg, void *opaque)
{
	struct virtio_net *n = opaque;

	/* The guest chooses what it sends: do not let it flood stderr. */
	if (n->guest_errors < NET_MAX_GUEST_ERRORS)
		pr_err("%s: slirp: %s%s", n->name, msg,
		       ++n->guest_errors == NET_MAX_GUEST_ERRORS ?
		       " (no more of these)" : "");
}

static int64_t slirp_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct virtio_net *n = opaque;
	struct net_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = n->timers;
	n->timers = t;
	return t;
}

static void slirp_timer_free(void *timer, void *opaque)
{
	struct virtio_net *n = opaque;
	struct net_timer **p;

	for (p = &n->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

/* @expire_time is in ms of clock_get_ns()'s clock. */
static void slirp_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct net_timer *t = timer;

	(void)opaque;
	t->expire_ms = expire_time;
}

static void slirp_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void slirp_notify(void *opaque)
{
	struct virtio_net *n = opaque;

	eventfd_write(n->notify_efd, 1);
}

static const SlirpCb slirp_cb = {
	.send_packet = slirp_send_packet,
	.guest_error = slirp_guest_error,
	.clock_get_ns = slirp_clock_get_ns,
	.timer_new = slirp_timer_new,
	.timer_free = slirp_timer_free,
	.timer_mod = slirp_timer_mod,
	.register_poll_fd = slirp_poll_fd,
	.unregister_poll_fd = slirp_poll_fd,
	.notify = slirp_notify,
};

/* The poll() timeout the armed timers allow, in ms; -1: none armed. */
static int64_t timers_timeout(struct virtio_net *n)
{
	int64_t now = now_ns() / 1000000, min = -1;
	struct net_timer *t;

	for (t = n->timers; t; t = t->next) {
		if (t->expire_ms < 0)
			continue;
		if (min < 0 || t->expire_ms - now < min)
			min = MAX(t->expire_ms - now, 0);
	}
	return min;
}

/* Fire the expired timers; a callback may arm, add or free timers. */
static void timers_run(struct virtio_net *n)
{
	int64_t now = now_ns() / 1000000;
	struct net_timer *t;

again:
	for (t = n->timers; t; t = t->next) {
		if (t->expire_ms >= 0 && t->expire_ms <= now) {
			t->expire_ms = -1;
			t->cb(t->cb_opaque);
			goto again;
		}
	}
}

static int slirp_add_poll(int fd, int events, void *opaque)
{
	struct virtio_net *n = opaque;
	short ev = 0;

	/* Frames wait for the guest: leave the sockets' data where it is. */
	if ((events & SLIRP_POLL_IN) && !n->nr_pending)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	return pfd_add(n, fd, ev);
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct virtio_net *n = opaque;
	short rev;
	int ev = 0;

	if (idx < 0 || (unsigned int)idx >= n->nr_pfds)
		return 0;
	rev = n->pfds[idx].revents;
	if (rev & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (rev & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* The guest's frames into slirp, without their header.  vdev->lock held. */
static void slirp_tx_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	struct virtio_net *n = vdev->priv;

	while (virtq_pop(vdev, vq, &n->chain)) {
		size_t len = virtq_chain_read(&n->chain, NET_HDR_LEN,
					      n->tx_buf, sizeof(n->tx_buf));

		/* Past NET_TX_MAX: not a frame we offered to take (no TSO). */
		if (len == sizeof(n->tx_buf) &&
		    virtq_chain_read(&n->chain, NET_HDR_LEN + len, n->tx_buf, 1))
			len = 0;
		if (len)
			slirp_input(n->slirp, n->tx_buf, len);
		virtq_push(vdev, vq, n->chain.head, 0);
	}
}

static int slirp_open(struct virtio_net *n)
{
	const struct virtio_net_options *o = &n->opts;
	SlirpConfig cfg = {
		.version = 1,
		.in_enabled = true,
		.vnetwork.s_addr = htonl(0x0a000200),	/* 10.0.2.0 */
		.vnetmask.s_addr = htonl(0xffffff00),
		.vhost.s_addr = htonl(0x0a000202),	/* 10.0.2.2 */
		.vdhcp_start.s_addr = htonl(0x0a00020f),	/* 10.0.2.15 */
		.vnameserver.s_addr = htonl(0x0a000203),	/* 10.0.2.3 */
		.vhostname = "ringside",
	};
	unsigned int i;

	n->notify_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->notify_efd < 0) {
		pr_perror("%s: eventfd", n->name);
		return -1;
	}
	n->slirp = slirp_new(&cfg, &slirp_cb, n);
	if (!n->slirp) {
		pr_err("%s: slirp_new failed", n->name);
		return -1;
	}
	for (i = 0; i < o->nr_hostfwds; i++) {
		const struct virtio_net_hostfwd *f = &o->hostfwds[i];
		struct in_addr host = { .s_addr = f->host_addr };
		struct in_addr guest = { .s_addr = f->guest_addr };

		/* A guest address of 0 is slirp's first DHCP one, 10.0.2.15. */
		if (slirp_add_hostfwd(n->slirp, f->udp, host, f->host_port,
				      guest, f->guest_port) < 0) {
			pr_perror("--net: hostfwd=%s:%s:%u-:%u: cannot forward "
				  "the host's port", f->udp ? "udp" : "tcp",
				  inet_ntoa(host), f->host_port, f->guest_port);
			return -1;
		}
	}
	return 0;
}

/* --- tap --- */

/* What TUNSETOFFLOAD needs for the receive offloads the guest took. */
static unsigned int tap_offload_flags(uint64_t features)
{
	unsigned int flags = 0;

	if (features >> VIRTIO_NET_F_GUEST_CSUM & 1) {
		flags |= TUN_F_CSUM;
		if (features >> VIRTIO_NET_F_GUEST_TSO4 & 1)
			flags |= TUN_F_TSO4;
		if (features >> VIRTIO_NET_F_GUEST_TSO6 & 1)
			flags |= TUN_F_TSO6;
	}
	return flags;
}

/*
 * The tap may hand us only what the guest can take: checksums left to
 * do and TSO frames only if it negotiated them (5.1.6.4).  Applied at
 * DRIVER_OK (which kicks the queues' efds) and after a reset.
 * vdev->lock held.
 */
static void tap_sync_offloads(struct virtio_net *n)
{
	struct virtio_dev *vdev = &n->vdev;
	uint64_t features = net_ready(vdev) ? vdev->guest_features : 0;
	unsigned int flags = tap_offload_flags(features);

	if (n->tap_offloads_set && tap_offload_flags(n->tap_offloads) == flags)
		return;
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, flags) < 0)
		pr_perror("%s: TUNSETOFFLOAD %#x", n->name, flags);
	n->tap_offloads = features;
	n->tap_offloads_set = true;
}

/*
 * Frames from the tap straight into receive buffers, header and all,
 * until the tap has none or the guest has no buffer left.
 */
static void tap_receive(struct virtio_net *n)
{
	struct virtio_dev *vdev = &n->vdev;
	struct virtq *rx = &vdev->vqs[RX_QUEUE];
	const uint16_t one = 1;
	unsigned int batch = 0;

	pthread_mutex_lock(&vdev->lock);
	tap_sync_offloads(n);
	for (;;) {
		struct virtq_chain *c = &n->chain;
		ssize_t r;

		if (!rx_pop(n)) {
			n->rx_wait = true;
			break;
		}
		r = readv(n->tap_fd, c->iov + c->n_out, MIN(c->n_in, IOV_MAX));
		if (r < 0 && errno == EINTR) {
			rx_unpop(n);
			continue;
		}
		if (r < (ssize_t)NET_HDR_LEN) {
			/* EAGAIN: the tap is empty; EFAULT: it did not fit. */
			rx_unpop(n);
			if (r < 0 && errno == EFAULT)
				continue;
			break;
		}
		/* tun leaves num_buffers alone; no MRG_RXBUF: 1 (5.1.6.4.1). */
		virtq_chain_write(c, NET_NUM_BUFFERS_OFF, &one, sizeof(one));
		virtq_push(vdev, rx, c->head, r);
		if (++batch == NET_RX_BATCH) {
			virtq_notify_guest(vdev, rx);
			batch = 0;
		}
	}
	if (net_ready(vdev))
		virtq_notify_guest(vdev, rx);
	pthread_mutex_unlock(&vdev->lock);
}

/* The guest's frames, header and all, into the tap.  vdev->lock held. */
static void tap_tx_notify(struct virtio_dev *vdev, struct virtq *vq)
{
	struct virtio_net *n = vdev->priv;

	tap_sync_offloads(n);
	while (virtq_pop(vdev, vq, &n->chain)) {
		struct virtq_chain *c = &n->chain;

		/* A failed write is a frame lost on the wire. */
		while (writev(n->tap_fd, c->iov, MIN(c->n_out, IOV_MAX)) < 0 &&
		       errno == EINTR)
			;
		virtq_push(vdev, vq, c->head, 0);
	}
}

static int tap_open(struct virtio_net *n, uint64_t *features)
{
	const char *name = n->opts.ifname;
	unsigned int probe = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = NET_HDR_LEN;

	n->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->tap_fd < 0) {
		pr_perror("--net tap=%s: /dev/net/tun", name);
		return -1;
	}
	/* An existing tap by that name, or a new one for as long as we run. */
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(n->tap_fd, TUNSETIFF, &ifr) < 0) {
		pr_perror("--net tap=%s: TUNSETIFF (not a tap interface, or "
			  "not ours to open?)", name);
		return -1;
	}
	/* VERSION_1's header: num_buffers included (5.1.6). */
	if (ioctl(n->tap_fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		pr_perror("--net tap=%s: TUNSETVNETHDRSZ", name);
		return -1;
	}
	/* The offloads this tap can do, then none until the guest says. */
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, probe) == 0)
		*features |= 1ULL << VIRTIO_NET_F_CSUM |
			     1ULL << VIRTIO_NET_F_GUEST_CSUM |
			     1ULL << VIRTIO_NET_F_HOST_TSO4 |
			     1ULL << VIRTIO_NET_F_HOST_TSO6 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO6;
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, 0) < 0) {
		pr_perror("--net tap=%s: TUNSETOFFLOAD", name);
		return -1;
	}
	return 0;
}

/* --- The I/O thread --- */

/*
 * One loop for both backends: the stop eventfd, the queues' eventfds, and
 * the tap or slirp's sockets, eventfd and timers.
 */
static void net_thread(struct virtio_dev *vdev)
{
	struct virtio_net *n = vdev->priv;
	struct virtq *rx = &vdev->vqs[RX_QUEUE], *tx = &vdev->vqs[TX_QUEUE];
	eventfd_t count;

	for (;;) {
		int timeout = -1, tap_idx = -1, r;
		uint32_t slirp_timeout = UINT32_MAX;
		int64_t t;

		n->nr_pfds = 0;
		if (pfd_add(n, vdev->stop_efd, POLLIN) < 0 ||
		    pfd_add(n, rx->efd, POLLIN) < 0 ||
		    pfd_add(n, tx->efd, POLLIN) < 0)
			goto nomem;
		if (n->tap_fd >= 0 && !n->rx_wait) {
			tap_idx = pfd_add(n, n->tap_fd, POLLIN);
			if (tap_idx < 0)
				goto nomem;
		}
		if (n->slirp) {
			if (pfd_add(n, n->notify_efd, POLLIN) < 0)
				goto nomem;
			slirp_pollfds_fill(n->slirp, &slirp_timeout,
					   slirp_add_poll, n);
			if (slirp_timeout != UINT32_MAX)
				timeout = slirp_timeout;
			t = timers_timeout(n);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		r = poll(n->pfds, n->nr_pfds, timeout);
		if (r < 0 && errno != EINTR) {
			pr_perror("%s: poll", n->name);
			return;
		}
		if (r > 0 && n->pfds[0].revents)
			return;
		if (r > 0 && n->pfds[1].revents) {
			/* Receive buffers posted, or DRIVER_OK. */
			eventfd_read(rx->efd, &count);
			n->rx_wait = false;
		}
		if (r > 0 && n->pfds[2].revents) {
			eventfd_read(tx->efd, &count);
			virtio_serve(vdev, tx);
		}
		if (n->tap_fd >= 0 && !n->rx_wait && r > 0 &&
		    (n->pfds[1].revents ||
		     (tap_idx >= 0 && n->pfds[tap_idx].revents)))
			tap_receive(n);
		if (n->slirp) {
			eventfd_read(n->notify_efd, &count);
			slirp_pollfds_poll(n->slirp, r < 0, slirp_get_revents, n);
			timers_run(n);
			slirp_flush(n);
		}
	}
nomem:
	pr_err("%s: out of memory; the device stops", n->name);
}

static const struct virtio_dev_ops slirp_ops = {
	.queue_notify = slirp_tx_notify,
	.thread = net_thread,
};

static const struct virtio_dev_ops tap_ops = {
	.queue_notify = tap_tx_notify,
	.thread = net_thread,
};

/* --- Options and creation --- */

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_uint(s, 1, 65535, &v) < 0)
		return -1;
	*port = v;
	return 0;
}

static int parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (!*s) {
		*addr = 0;
		return 0;
	}
	if (!inet_aton(s, &a))
		return -1;
	*addr = a.s_addr;
	return 0;
}

/* QEMU's [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int parse_hostfwd(char *s, struct virtio_net_hostfwd *f)
{
	char *proto = s, *haddr, *hport, *gaddr, *gport;

	haddr = strchr(proto, ':');
	if (!haddr)
		return -1;
	*haddr++ = 0;
	hport = strchr(haddr, ':');
	if (!hport)
		return -1;
	*hport++ = 0;
	gaddr = strchr(hport, '-');
	if (!gaddr)
		return -1;
	*gaddr++ = 0;
	gport = strchr(gaddr, ':');
	if (!gport)
		return -1;
	*gport++ = 0;
	if (!strcmp(proto, "udp"))
		f->udp = true;
	else if (*proto && strcmp(proto, "tcp"))
		return -1;
	return parse_addr(haddr, &f->host_addr) < 0 ||
	       parse_port(hport, &f->host_port) < 0 ||
	       parse_addr(gaddr, &f->guest_addr) < 0 ||
	       parse_port(gport, &f->guest_port) < 0 ? -1 : 0;
}

int virtio_net_parse(const char *arg, struct virtio_net_options *o)
{
	char *copy = strdup(arg), *opt, *save = NULL;
	int r = -1;

	*o = (struct virtio_net_options){ 0 };
	if (!copy)
		return -1;
	opt = strtok_r(copy, ",", &save);
	if (opt && !strcmp(opt, "user")) {
		o->backend = VIRTIO_NET_USER;
	} else if (opt && !strncmp(opt, "tap=", 4) && opt[4] &&
		   strlen(opt + 4) < sizeof(o->ifname)) {
		o->backend = VIRTIO_NET_TAP;
		strcpy(o->ifname, opt + 4);
	} else {
		pr_err("--net %s: give user[,hostfwd=...] or tap=IFNAME", arg);
		goto out;
	}
	while ((opt = strtok_r(NULL, ",", &save))) {
		char *spec = opt + strlen("hostfwd=");

		if (o->backend != VIRTIO_NET_USER ||
		    strncmp(opt, "hostfwd=", strlen("hostfwd="))) {
			pr_err("--net %s: unknown option \"%s\"", arg, opt);
			goto out;
		}
		if (o->nr_hostfwds == VIRTIO_NET_MAX_HOSTFWDS) {
			pr_err("--net %s: at most %d hostfwd=", arg,
			       VIRTIO_NET_MAX_HOSTFWDS);
			goto out;
		}
		if (parse_hostfwd(spec, &o->hostfwds[o->nr_hostfwds]) < 0) {
			/* (parse_hostfwd() cut opt up: quote arg.) */
			pr_err("--net %s: hostfwd= takes [tcp|udp]:[HOSTADDR]:"
			       "HOSTPORT-[GUESTADDR]:GUESTPORT, like "
			       "tcp::2222-:22", arg);
			goto out;
		}
		o->nr_hostfwds++;
	}
	r = 0;
out:
	free(copy);
	return r;
}

struct virtio_dev *virtio_net_create(struct vm *vm,
				     const struct virtio_net_options *opts,
				     unsigned int index)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	uint64_t features = 1ULL << VIRTIO_NET_F_MAC |
			    1ULL << VIRTIO_NET_F_STATUS;
	bool tap = opts->backend == VIRTIO_NET_TAP;
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	if (!n) {
		pr_perror("virtio-net");
		return NULL;
	}
	n->opts = *opts;
	n->tap_fd = n->notify_efd = -1;
	n->pending_tail = &n->pending;
	snprintf(n->name, sizeof(n->name), "virtio-net%u", index);
	if (tap && tap_open(n, &features) < 0)
		goto fail;
	if (virtio_init(&n->vdev, vm, n->name, VIRTIO_ID_NET,
			CLASS_NETWORK_ETHERNET, 2, features,
			tap ? &tap_ops : &slirp_ops) < 0)
		goto fail;
	n->vdev.priv = n;
	if (!tap && slirp_open(n) < 0)
		goto fail;
	/* 5.1.4: mac, status; max_virtqueue_pairs is for MQ only. */
	memcpy(n->vdev.config, base_mac, sizeof(base_mac));
	n->vdev.config[5] += index;
	memcpy(&n->vdev.config[6], &status, sizeof(status));
	n->vdev.config_len = 8;
	if (virtio_start(&n->vdev) < 0)
		goto fail;
	return &n->vdev;
fail:
	virtio_net_destroy(&n->vdev);
	return NULL;
}

void virtio_net_destroy(struct virtio_dev *vdev)
{
	struct virtio_net *n = (struct virtio_net *)vdev;

	if (!vdev)
		return;
	/* The thread first: slirp is only ever used by one thread at once. */
	if (vdev->ops)
		virtio_exit(vdev);
	if (n->slirp)
		slirp_cleanup(n->slirp);
	while (n->timers)
		slirp_timer_free(n->timers, n);
	frame_free_all(n);
	if (n->notify_efd >= 0)
		close(n->notify_efd);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	free(n->pfds);
	free(n);
}
