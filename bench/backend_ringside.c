// SPDX-License-Identifier: GPL-2.0
/*
 * The ringside backend: /dev/ringside -> RS_CREATE_VM -> one slot and its
 * vCPUs, whose run pages are mmapped (uapi/linux/ringside.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/ringside.h>

#include "bench.h"

struct bench_vm {
	int dev, vm, efd, nr_vcpus;
	int vcpu[BENCH_MAX_VCPUS];
	struct rs_run *run[BENCH_MAX_VCPUS];
	struct rs_sregs sregs0[BENCH_MAX_VCPUS]; /* reset state, CS moved to 0 */
	long run_size;
	uint8_t *mem;
	const char *arch;
};

static void rs_close(struct bench_vm *v)
{
	int i;

	/* The vCPUs first: they hold the VM, and the last VM turns SVM/VMX off. */
	for (i = 0; i < v->nr_vcpus; i++) {
		if (v->run[i] && v->run[i] != MAP_FAILED)
			munmap(v->run[i], v->run_size);
		close(v->vcpu[i]);
	}
	if (v->vm >= 0)
		close(v->vm);
	if (v->dev >= 0)
		close(v->dev);
	if (v->efd >= 0)
		close(v->efd);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, BENCH_MEM_SIZE);
	free(v);
}

static int rs_open(struct bench_vm **out, uint8_t **mem, int apic, int vcpus,
		   char *err, size_t errlen)
{
	struct rs_memory_region r = { .slot = 0, .size = BENCH_MEM_SIZE };
	struct bench_vm *v = calloc(1, sizeof(*v));
	const char *what;
	int e, i;

	if (!v)
		return -ENOMEM;
	v->vm = v->efd = -1;
	what = "open /dev/ringside";
	v->dev = open("/dev/ringside", O_RDWR | O_CLOEXEC);
	if (v->dev < 0)
		goto fail;
	v->arch = ioctl(v->dev, RS_CHECK_CAPABILITY, RS_CAP_SVM) == 1 ? "SVM" :
		  ioctl(v->dev, RS_CHECK_CAPABILITY, RS_CAP_VMX) == 1 ? "VMX" : "?";
	what = "RS_CREATE_VM";
	v->vm = ioctl(v->dev, RS_CREATE_VM, 0);
	if (v->vm < 0)
		goto fail;
	what = "mmap guest memory";
	v->mem = mmap(NULL, BENCH_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		goto fail;
	r.userspace_addr = (uintptr_t)v->mem;
	what = "RS_SET_MEMORY_REGION";
	if (ioctl(v->vm, RS_SET_MEMORY_REGION, &r))
		goto fail;
	/* A module without RS_IOEVENTFD: the ioevent kind exits to user space. */
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->efd >= 0) {
		struct rs_ioeventfd io = { .addr = BENCH_EVENT_PORT, .len = 1,
					   .fd = v->efd, .flags = RS_IOEVENTFD_PIO };

		ioctl(v->vm, RS_IOEVENTFD, &io);
	}
	what = "RS_CREATE_LAPIC";
	if (apic && ioctl(v->vm, RS_CREATE_LAPIC, 0))
		goto fail;
	what = "RS_CHECK_CAPABILITY(RS_CAP_RUN_SIZE)";
	v->run_size = ioctl(v->dev, RS_CHECK_CAPABILITY, RS_CAP_RUN_SIZE);
	if (v->run_size <= 0)
		goto fail;
	for (i = 0; i < vcpus; i++) {
		what = "RS_CREATE_VCPU";
		v->vcpu[i] = ioctl(v->vm, RS_CREATE_VCPU, i);
		if (v->vcpu[i] < 0)
			goto fail;
		v->nr_vcpus++;
		what = "mmap run page";
		v->run[i] = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, v->vcpu[i], 0);
		if (v->run[i] == MAP_FAILED)
			goto fail;
		what = "RS_GET_SREGS";
		if (ioctl(v->vcpu[i], RS_GET_SREGS, &v->sregs0[i]))
			goto fail;
		/* The reset state is CS f000 base ffff0000: move CS to 0. */
		v->sregs0[i].cs.selector = 0;
		v->sregs0[i].cs.base = 0;
	}
	*out = v;
	*mem = v->mem;
	return 0;
fail:
	e = errno ? errno : EINVAL;
	if (v->arch)
		snprintf(err, errlen, "%s (%s backend): %s", what, v->arch, strerror(e));
	else
		snprintf(err, errlen, "%s: %s", what, strerror(e));
	rs_close(v);
	return -e;
}

static int rs_reset(struct bench_vm *v, int cpu, uint64_t rip, uint64_t rsi)
{
	struct rs_regs regs = { .rip = rip, .rsi = rsi, .rflags = 2 };
	struct rs_lapic_state s;
	int fd = v->vcpu[cpu];

	if (ioctl(fd, RS_SET_SREGS, &v->sregs0[cpu]) ||
	    ioctl(fd, RS_SET_REGS, &regs))
		return -errno;
	/* An AP with the in-kernel APIC waits for SIPI until told otherwise. */
	if (cpu && ioctl(fd, RS_GET_LAPIC, &s) == 0 &&
	    s.mp_state != RS_MP_RUNNABLE) {
		s.mp_state = RS_MP_RUNNABLE;
		if (ioctl(fd, RS_SET_LAPIC, &s))
			return -errno;
	}
	return 0;
}

static int rs_run(struct bench_vm *v, int cpu, struct bench_exit *x)
{
	struct rs_run *run = v->run[cpu];

	if (ioctl(v->vcpu[cpu], RS_RUN, 0))
		return -errno;
	switch (run->exit_reason) {
	case RS_EXIT_IO:
		x->kind = BENCH_EXIT_IO;
		x->port = run->io.port;
		x->is_write = run->io.direction == RS_IO_OUT;
		x->count = run->io.count;
		break;
	case RS_EXIT_MMIO:
		x->kind = BENCH_EXIT_MMIO;
		x->addr = run->mmio.phys_addr;
		x->is_write = run->mmio.is_write;
		break;
	case RS_EXIT_HLT:
		x->kind = BENCH_EXIT_HLT;
		break;
	default:
		x->kind = BENCH_EXIT_OTHER;
		x->addr = run->exit_reason;
		break;
	}
	return 0;
}

static void rs_set_immediate_exit(struct bench_vm *v, int cpu, int on)
{
	__atomic_store_n(&v->run[cpu]->immediate_exit, on, __ATOMIC_SEQ_CST);
}

static int rs_get_rip_rsi(struct bench_vm *v, int cpu, uint64_t *rip,
			  uint64_t *rsi)
{
	struct rs_regs regs;

	if (ioctl(v->vcpu[cpu], RS_GET_REGS, &regs))
		return -errno;
	*rip = regs.rip;
	*rsi = regs.rsi;
	return 0;
}

static const char *rs_describe(struct bench_vm *v)
{
	return v->arch;
}

const struct bench_backend bench_ringside = {
	.name = "ringside",
	.open = rs_open,
	.close = rs_close,
	.reset = rs_reset,
	.run = rs_run,
	.set_immediate_exit = rs_set_immediate_exit,
	.get_rip_rsi = rs_get_rip_rsi,
	.describe = rs_describe,
};
