// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM backend: /dev/kvm -> KVM_CREATE_VM -> one slot and its vCPUs,
 * set up as the ringside ones are.  No KVM_CREATE_IRQCHIP and no PIT: then
 * HLT exits to user space (KVM_EXIT_HLT) and no port is handled in the
 * kernel, as on ringside, but BENCH_EVENT_PORT's ioeventfd.
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
#include <linux/kvm.h>

#include "bench.h"

struct bench_vm {
	int dev, vm, efd, nr_vcpus;
	int vcpu[BENCH_MAX_VCPUS];
	struct kvm_run *run[BENCH_MAX_VCPUS];
	/* The reset state, CS moved to 0; each has its own APIC base. */
	struct kvm_sregs sregs0[BENCH_MAX_VCPUS];
	long run_size;
	uint8_t *mem;
	const char *module;
};

/* /dev/kvm appears when kvm-amd or kvm-intel is loaded: try both, once. */
static int kvm_open_dev(void)
{
	static int tried;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && !tried) {
		tried = 1;
		if (system("modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null") == 0)
			fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		else
			errno = ENOENT;
	}
	return fd;
}

static void kvm_close(struct bench_vm *v)
{
	int i;

	/* The vCPUs hold the VM; KVM turns SVM/VMX off with its last VM. */
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

/*
 * KVM's guest CPUID starts empty: the APIC, x2APIC and the TSC-deadline
 * timer, which its APIC checks before it takes their MSRs.
 */
static int kvm_set_apic_cpuid(int vcpu)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[2];
	} cpuid = {
		.c.nent = 2,
		.e[0] = { .function = 0, .eax = 1 },
		.e[1] = { .function = 1, .ecx = 1U << 21 | 1U << 24,
			  .edx = 1U << 9 },
	};

	return ioctl(vcpu, KVM_SET_CPUID2, &cpuid);
}

static int kvm_open(struct bench_vm **out, uint8_t **mem, int apic, int vcpus,
		    char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0, .memory_size = BENCH_MEM_SIZE,
	};
	struct bench_vm *v = calloc(1, sizeof(*v));
	const char *what;
	int e, i;

	if (!v)
		return -ENOMEM;
	v->vm = v->efd = -1;
	what = "open /dev/kvm";
	v->dev = kvm_open_dev();
	if (v->dev < 0)
		goto fail;
	v->module = access("/sys/module/kvm_amd", F_OK) == 0 ? "kvm_amd" :
		    access("/sys/module/kvm_intel", F_OK) == 0 ? "kvm_intel" : "kvm";
	what = "KVM_GET_API_VERSION";
	if (ioctl(v->dev, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		errno = EINVAL;
		goto fail;
	}
	what = "KVM_CREATE_VM";
	v->vm = ioctl(v->dev, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		goto fail;
	/*
	 * Real mode on VMX without unrestricted guest needs a TSS page;
	 * where it is unneeded (SVM, unrestricted guest) this is harmless.
	 */
	if (ioctl(v->dev, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	what = "mmap guest memory";
	v->mem = mmap(NULL, BENCH_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		goto fail;
	r.userspace_addr = (uintptr_t)v->mem;
	what = "KVM_SET_USER_MEMORY_REGION";
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r))
		goto fail;
	what = "KVM_IOEVENTFD";
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->efd < 0)
		goto fail;
	{
		struct kvm_ioeventfd io = { .addr = BENCH_EVENT_PORT, .len = 1,
					    .fd = v->efd, .flags = KVM_IOEVENTFD_FLAG_PIO };

		if (ioctl(v->vm, KVM_IOEVENTFD, &io))
			goto fail;
	}
	if (apic) {
		/* KVM's local APIC in the kernel; PIC and I/O APIC not. */
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
					      .args[0] = 24 };

		what = "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)";
		if (ioctl(v->vm, KVM_ENABLE_CAP, &cap))
			goto fail;
	}
	what = "KVM_GET_VCPU_MMAP_SIZE";
	v->run_size = ioctl(v->dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v->run_size <= 0)
		goto fail;
	for (i = 0; i < vcpus; i++) {
		what = "KVM_CREATE_VCPU";
		v->vcpu[i] = ioctl(v->vm, KVM_CREATE_VCPU, i);
		if (v->vcpu[i] < 0)
			goto fail;
		v->nr_vcpus++;
		what = "KVM_SET_CPUID2";
		if (apic && kvm_set_apic_cpuid(v->vcpu[i]))
			goto fail;
		what = "mmap kvm_run";
		v->run[i] = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, v->vcpu[i], 0);
		if (v->run[i] == MAP_FAILED)
			goto fail;
		what = "KVM_GET_SREGS";
		if (ioctl(v->vcpu[i], KVM_GET_SREGS, &v->sregs0[i]))
			goto fail;
		v->sregs0[i].cs.selector = 0;
		v->sregs0[i].cs.base = 0;
	}
	*out = v;
	*mem = v->mem;
	return 0;
fail:
	e = errno ? errno : EINVAL;
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	kvm_close(v);
	return -e;
}

static int kvm_reset(struct bench_vm *v, int cpu, uint64_t rip, uint64_t rsi)
{
	struct kvm_regs regs = { .rip = rip, .rsi = rsi, .rflags = 2 };
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int fd = v->vcpu[cpu];

	if (ioctl(fd, KVM_SET_SREGS, &v->sregs0[cpu]) ||
	    ioctl(fd, KVM_SET_REGS, &regs))
		return -errno;
	/* With an in-kernel APIC, KVM's APs wait for INIT and SIPI. */
	if (cpu && ioctl(fd, KVM_SET_MP_STATE, &mp))
		return -errno;
	return 0;
}

static int kvm_run_once(struct bench_vm *v, int cpu, struct bench_exit *x)
{
	struct kvm_run *run = v->run[cpu];

	if (ioctl(v->vcpu[cpu], KVM_RUN, 0))
		return -errno;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		x->kind = BENCH_EXIT_IO;
		x->port = run->io.port;
		x->is_write = run->io.direction == KVM_EXIT_IO_OUT;
		x->count = run->io.count;
		break;
	case KVM_EXIT_MMIO:
		x->kind = BENCH_EXIT_MMIO;
		x->addr = run->mmio.phys_addr;
		x->is_write = run->mmio.is_write;
		break;
	case KVM_EXIT_HLT:
		x->kind = BENCH_EXIT_HLT;
		break;
	default:
		x->kind = BENCH_EXIT_OTHER;
		x->addr = run->exit_reason;
		break;
	}
	return 0;
}

static void kvm_set_immediate_exit(struct bench_vm *v, int cpu, int on)
{
	__atomic_store_n(&v->run[cpu]->immediate_exit, on, __ATOMIC_SEQ_CST);
}

static int kvm_get_rip_rsi(struct bench_vm *v, int cpu, uint64_t *rip,
			   uint64_t *rsi)
{
	struct kvm_regs regs;

	if (ioctl(v->vcpu[cpu], KVM_GET_REGS, &regs))
		return -errno;
	*rip = regs.rip;
	*rsi = regs.rsi;
	return 0;
}

static const char *kvm_describe(struct bench_vm *v)
{
	return v->module;
}

const struct bench_backend bench_kvm = {
	.name = "KVM",
	.open = kvm_open,
	.close = kvm_close,
	.reset = kvm_reset,
	.run = kvm_run_once,
	.set_immediate_exit = kvm_set_immediate_exit,
	.get_rip_rsi = kvm_get_rip_rsi,
	.describe = kvm_describe,
};
