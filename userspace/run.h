/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RINGSIDE_RUN_H
#define RINGSIDE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/ringside.h>

#include "gdbstub.h"
#include "virtio.h"

#define RUN_MAX_DISKS		8
#define RUN_MAX_NETS		4

struct run_options {
	uint64_t mem;			/* bytes of guest RAM */
	unsigned int cpus;
	const char *append;		/* kernel command line, or NULL */
	const char *initrd;		/* QEMU-style module list, or NULL */
	const char *kernel;
	bool kvm;			/* --kvm: KVM instead of ringside */
	bool user_apic;			/* --user-apic: local APICs here */
	unsigned int nr_disks;		/* --disk, virtio-blk */
	struct virtio_blk_options disks[RUN_MAX_DISKS];
	bool rng;			/* --rng: virtio-rng */
	unsigned int nr_nets;		/* --net, virtio-net */
	struct virtio_net_options nets[RUN_MAX_NETS];
	bool console;			/* --console: virtio-console */
	bool route;			/* --route: exit routing (route.c) */
	struct rs_exit_route exit_route;	/* what every --route adds up to */
	const char *route_log;		/* --route-log FILE, or NULL: stderr */
	bool gdb;			/* --gdb PORT: gdb_opts.port */
	struct gdbstub_options gdb_opts;	/* its layout is run.c's */
};

/* ringside run: boot @opts->kernel; returns the launcher's exit status. */
int run_guest(const struct run_options *opts);

#endif /* RINGSIDE_RUN_H */
