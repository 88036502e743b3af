// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: ringside's ioctls carried out by KVM (run --kvm), to
 * run the same machine on both hypervisors and compare them.
 *
 * KVM is used as the launcher uses ringside: no in-kernel irqchip, PIT or
 * clock (KVM_CREATE_IRQCHIP is never called, the paravirtual CPUID leaves
 * 0x40000000 and up are dropped), external interrupts injected with
 * KVM_INTERRUPT when KVM says the guest is ready (Documentation/virt/kvm/
 * api.rst, "KVM_INTERRUPT", "request_interrupt_window").  The run page the
 * launcher sees is its own copy of struct rs_run, filled from KVM's
 * struct kvm_run after each KVM_RUN and written back before the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ringside.h>

#include "kvm.h"
#include "util.h"

#define KVM_RUN_COPY_DATA	4096	/* port data in our page: offset */
#define KVM_RUN_COPY_SIZE	8192	/* our page: rs_run, then data */
#define KVM_MAX_CPUID		256
#define KVM_MAX_VCPU_FDS	64

static int kvm_dev_fd = -1;

/* A vCPU fd's two run pages: KVM's and the launcher's copy. */
struct kvm_vcpu_pages {
	int fd;
	struct kvm_run *kr;
	size_t kr_size;
	struct rs_run *run;
	uint32_t last_exit;		/* RS_EXIT_* of the copy */
};

static struct kvm_vcpu_pages vcpu_pages[KVM_MAX_VCPU_FDS];
static unsigned int nr_vcpu_pages;

static struct kvm_vcpu_pages *pages_of(int fd)
{
	unsigned int i;

	for (i = 0; i < nr_vcpu_pages; i++)
		if (vcpu_pages[i].fd == fd)
			return &vcpu_pages[i];
	return NULL;
}

/* The calling vCPU thread's kvm_run, for kvm_kicked(). */
static __thread struct kvm_run *thread_kr;

void kvm_kicked(void)
{
	struct kvm_run *kr = thread_kr;

	if (kr)
		kr->immediate_exit = 1;
}

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		pr_perror("/dev/kvm (modprobe kvm-amd or kvm-intel?)");
		return -1;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		pr_err("/dev/kvm: not KVM API version %d", KVM_API_VERSION);
		close(fd);
		return -1;
	}
	kvm_dev_fd = fd;
	return fd;
}

static int kvm_cap(unsigned long which)
{
	int r;

	switch (which) {
	case RS_CAP_NR_MEMSLOTS:
		r = ioctl(kvm_dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
		return r > 0 ? MIN(r, 32) : 32;
	case RS_CAP_MAX_VCPUS:
		r = ioctl(kvm_dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
		return r > 0 ? MIN(r, KVM_MAX_VCPU_FDS) : 1;
	case RS_CAP_RUN_SIZE:
		return KVM_RUN_COPY_SIZE;
	}
	return 0;
}

static int kvm_create_vm(void)
{
	int fd = ioctl(kvm_dev_fd, KVM_CREATE_VM, 0);

	/* VMX without unrestricted guests wants a TSS page; harmless else. */
	if (fd >= 0)
		ioctl(fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	return fd;
}

static int kvm_set_region(int fd, const struct rs_memory_region *r)
{
	struct kvm_userspace_memory_region k = {
		.slot = r->slot,
		.flags = (r->flags & RS_MEM_READONLY) ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = r->guest_phys_addr,
		.memory_size = r->size,
		.userspace_addr = r->userspace_addr,
	};

	return ioctl(fd, KVM_SET_USER_MEMORY_REGION, &k);
}

void *kvm_map_run(int fd, size_t size)
{
	struct kvm_vcpu_pages *p;
	int kr_size = ioctl(kvm_dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (kr_size < 0 || size != KVM_RUN_COPY_SIZE ||
	    nr_vcpu_pages == KVM_MAX_VCPU_FDS) {
		errno = kr_size < 0 ? errno : EINVAL;
		return NULL;
	}
	p = &vcpu_pages[nr_vcpu_pages];
	p->kr = mmap(NULL, kr_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->kr == MAP_FAILED)
		return NULL;
	p->run = calloc(1, KVM_RUN_COPY_SIZE);
	if (!p->run) {
		munmap(p->kr, kr_size);
		return NULL;
	}
	p->fd = fd;
	p->kr_size = kr_size;
	nr_vcpu_pages++;
	return p->run;
}

void kvm_unmap_run(int fd)
{
	struct kvm_vcpu_pages *p = pages_of(fd);

	if (!p)
		return;
	munmap(p->kr, p->kr_size);
	free(p->run);
	*p = vcpu_pages[--nr_vcpu_pages];
}

/* Before KVM_RUN: what the launcher asked for and answered. */
static void run_to_kvm(struct kvm_vcpu_pages *p)
{
	struct kvm_run *kr = p->kr;
	struct rs_run *run = p->run;

	kr->request_interrupt_window = run->request_interrupt_window;
	kr->immediate_exit = __atomic_load_n(&run->immediate_exit,
					     __ATOMIC_SEQ_CST);
	if (p->last_exit == RS_EXIT_IO && kr->exit_reason == KVM_EXIT_IO &&
	    kr->io.direction == KVM_EXIT_IO_IN)
		memcpy((uint8_t *)kr + kr->io.data_offset,
		       (uint8_t *)run + KVM_RUN_COPY_DATA,
		       (size_t)kr->io.size * kr->io.count);
	if (p->last_exit == RS_EXIT_MMIO && kr->exit_reason == KVM_EXIT_MMIO &&
	    !kr->mmio.is_write)
		memcpy(kr->mmio.data, run->mmio.data, sizeof(kr->mmio.data));
	p->last_exit = RS_EXIT_NONE;
}

static void exit_from_kvm(struct kvm_vcpu_pages *p)
{
	struct kvm_run *kr = p->kr;
	struct rs_run *run = p->run;
	size_t bytes;

	switch (kr->exit_reason) {
	case KVM_EXIT_IO:
		bytes = (size_t)kr->io.size * kr->io.count;
		run->exit_reason = RS_EXIT_IO;
		run->io.direction = kr->io.direction == KVM_EXIT_IO_OUT ?
				    RS_IO_OUT : RS_IO_IN;
		run->io.size = kr->io.size;
		run->io.port = kr->io.port;
		run->io.count = kr->io.count;
		run->io.data_offset = KVM_RUN_COPY_DATA;
		if (bytes <= KVM_RUN_COPY_SIZE - KVM_RUN_COPY_DATA)
			memcpy((uint8_t *)run + KVM_RUN_COPY_DATA,
			       (uint8_t *)kr + kr->io.data_offset, bytes);
		break;
	case KVM_EXIT_MMIO:
		run->exit_reason = RS_EXIT_MMIO;
		run->mmio.phys_addr = kr->mmio.phys_addr;
		run->mmio.len = kr->mmio.len;
		run->mmio.is_write = kr->mmio.is_write;
		memcpy(run->mmio.data, kr->mmio.data, sizeof(run->mmio.data));
		break;
	case KVM_EXIT_HLT:
		run->exit_reason = RS_EXIT_HLT;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		run->exit_reason = RS_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_SHUTDOWN:
		run->exit_reason = RS_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_INTR:
		run->exit_reason = RS_EXIT_INTR;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		run->exit_reason = RS_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_reason =
			kr->fail_entry.hardware_entry_failure_reason;
		run->fail_entry.qualification = 0;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		run->exit_reason = RS_EXIT_INTERNAL_ERROR;
		run->internal.suberror = kr->internal.suberror;
		run->internal.ndata = MIN(kr->internal.ndata, 8U);
		memcpy(run->internal.data, kr->internal.data,
		       run->internal.ndata * sizeof(uint64_t));
		break;
	default:
		run->exit_reason = RS_EXIT_INTERNAL_ERROR;
		run->internal.suberror = RS_INTERNAL_UNHANDLED_EXIT;
		run->internal.ndata = 1;
		run->internal.data[0] = kr->exit_reason;
		break;
	}
	p->last_exit = run->exit_reason;
}

static int kvm_run_vcpu(int fd)
{
	struct kvm_vcpu_pages *p = pages_of(fd);
	int r, err;

	if (!p) {
		errno = EINVAL;
		return -1;
	}
	thread_kr = p->kr;
	run_to_kvm(p);
	r = ioctl(fd, KVM_RUN, 0);
	err = errno;
	p->run->if_flag = p->kr->if_flag;
	p->run->ready_for_interrupt = p->kr->ready_for_interrupt_injection;
	if (r < 0) {
		p->run->exit_reason = RS_EXIT_INTR;
		errno = err;
		return -1;
	}
	exit_from_kvm(p);
	return 0;
}

/* struct rs_regs and struct kvm_regs list the same 18 registers. */
static int kvm_regs(int fd, struct rs_regs *regs, bool set)
{
	struct kvm_regs k;

	_Static_assert(sizeof(k) == 18 * sizeof(uint64_t), "kvm_regs");
	if (set) {
		memcpy(&k, regs, sizeof(k));
		return ioctl(fd, KVM_SET_REGS, &k);
	}
	if (ioctl(fd, KVM_GET_REGS, &k) < 0)
		return -1;
	memset(regs, 0, sizeof(*regs));
	memcpy(regs, &k, sizeof(k));
	return 0;
}

/* ringside's packed attributes (uapi: AMD's VMCB layout) and KVM's fields. */
static void seg_to_kvm(const struct rs_segment *s, struct kvm_segment *k)
{
	*k = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector,
		.type = RS_SEG_TYPE(s->attr), .s = !!(s->attr & RS_SEG_S),
		.dpl = (s->attr >> 5) & 3, .present = !!(s->attr & RS_SEG_P),
		.avl = !!(s->attr & RS_SEG_AVL), .l = !!(s->attr & RS_SEG_L),
		.db = !!(s->attr & RS_SEG_DB), .g = !!(s->attr & RS_SEG_G),
		.unusable = !(s->attr & RS_SEG_P),
	};
}

static void seg_from_kvm(const struct kvm_segment *k, struct rs_segment *s)
{
	*s = (struct rs_segment){
		.base = k->base, .limit = k->limit, .selector = k->selector,
		.attr = RS_SEG_TYPE(k->type) | (k->s ? RS_SEG_S : 0) |
			RS_SEG_DPL(k->dpl) |
			(k->present && !k->unusable ? RS_SEG_P : 0) |
			(k->avl ? RS_SEG_AVL : 0) | (k->l ? RS_SEG_L : 0) |
			(k->db ? RS_SEG_DB : 0) | (k->g ? RS_SEG_G : 0),
	};
}

static int kvm_sregs(int fd, struct rs_sregs *s, bool set)
{
	struct rs_segment *rs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs,
				    &s->ss, &s->tr, &s->ldt };
	struct kvm_sregs k;
	struct kvm_segment *ks[] = { &k.cs, &k.ds, &k.es, &k.fs, &k.gs,
				     &k.ss, &k.tr, &k.ldt };
	unsigned int i;

	if (ioctl(fd, KVM_GET_SREGS, &k) < 0)
		return -1;
	if (!set) {
		memset(s, 0, sizeof(*s));
		for (i = 0; i < ARRAY_SIZE(rs); i++)
			seg_from_kvm(ks[i], rs[i]);
		s->gdt = (struct rs_dtable){ k.gdt.base, k.gdt.limit, 0 };
		s->idt = (struct rs_dtable){ k.idt.base, k.idt.limit, 0 };
		s->cr0 = k.cr0;
		s->cr2 = k.cr2;
		s->cr3 = k.cr3;
		s->cr4 = k.cr4;
		s->cr8 = k.cr8;
		s->efer = k.efer;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(rs); i++)
		seg_to_kvm(rs[i], ks[i]);
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	return ioctl(fd, KVM_SET_SREGS, &k);
}

static int kvm_msrs(int fd, struct rs_msrs *m, bool set)
{
	struct rs_msr_entry *e = (struct rs_msr_entry *)(uintptr_t)m->entries;
	struct kvm_msrs *k;
	unsigned int i;
	int r;

	k = calloc(1, sizeof(*k) + m->nmsrs * sizeof(k->entries[0]));
	if (!k)
		return -1;
	k->nmsrs = m->nmsrs;
	for (i = 0; i < m->nmsrs; i++) {
		k->entries[i].index = e[i].index;
		k->entries[i].data = e[i].data;
	}
	r = ioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, k);
	for (i = 0; !set && r > 0 && i < (unsigned int)r; i++)
		e[i].data = k->entries[i].data;
	free(k);
	return r;
}

/*
 * KVM's supported leaves, as ringside's default table: without KVM's
 * paravirtual leaves and without what the launcher's local APIC lacks
 * (x2APIC, TSC deadline) or no guest of it gets (MONITOR, VMX, SVM).
 */
static void cpuid_filter(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		e->ecx &= ~((1U << 3) | (1U << 5) | (1U << 21) | (1U << 24));
		e->ecx |= 1U << 31;		/* hypervisor present */
		break;
	case 0x80000001:
		e->ecx &= ~(1U << 2);
		break;
	}
}

static int kvm_get_cpuid(struct rs_cpuid *c)
{
	struct rs_cpuid_entry *out = (void *)(uintptr_t)c->entries;
	struct kvm_cpuid2 *k;
	unsigned int i, n = 0;

	k = calloc(1, sizeof(*k) + KVM_MAX_CPUID * sizeof(k->entries[0]));
	if (!k)
		return -1;
	k->nent = KVM_MAX_CPUID;
	if (ioctl(kvm_dev_fd, KVM_GET_SUPPORTED_CPUID, k) < 0) {
		free(k);
		return -1;
	}
	for (i = 0; i < k->nent && n < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &k->entries[i];

		if ((e->function & 0xffffff00) == 0x40000000)
			continue;
		cpuid_filter(e);
		out[n++] = (struct rs_cpuid_entry){
			.function = e->function, .index = e->index,
			.flags = (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ?
				 RS_CPUID_INDEXED : 0,
			.eax = e->eax, .ebx = e->ebx, .ecx = e->ecx,
			.edx = e->edx,
		};
	}
	c->nent = n;
	free(k);
	return 0;
}

static int kvm_set_cpuid(int fd, const struct rs_cpuid *c)
{
	const struct rs_cpuid_entry *in = (void *)(uintptr_t)c->entries;
	struct kvm_cpuid2 *k;
	unsigned int i;
	int r;

	k = calloc(1, sizeof(*k) + c->nent * sizeof(k->entries[0]));
	if (!k)
		return -1;
	k->nent = c->nent;
	for (i = 0; i < c->nent; i++)
		k->entries[i] = (struct kvm_cpuid_entry2){
			.function = in[i].function, .index = in[i].index,
			.flags = (in[i].flags & RS_CPUID_INDEXED) ?
				 KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = in[i].eax, .ebx = in[i].ebx, .ecx = in[i].ecx,
			.edx = in[i].edx,
		};
	r = ioctl(fd, KVM_SET_CPUID2, k);
	free(k);
	return r;
}

static int kvm_inject(int fd, const struct rs_event *ev)
{
	struct kvm_interrupt irq = { .irq = ev->vector };

	if (ev->type == RS_EVENT_NMI)
		return ioctl(fd, KVM_NMI, 0);
	if (ev->type != RS_EVENT_EXTINT) {
		errno = EINVAL;
		return -1;
	}
	if (ioctl(fd, KVM_INTERRUPT, &irq) < 0) {
		if (errno == EEXIST)
			errno = EBUSY;
		return -1;
	}
	return 0;
}

/* The same notification with KVM's flags (api.rst, "KVM_IOEVENTFD"). */
static int kvm_ioeventfd(int fd, const struct rs_ioeventfd *io)
{
	struct kvm_ioeventfd k = {
		.datamatch = io->datamatch, .addr = io->addr, .len = io->len,
		.fd = io->fd,
		.flags = ((io->flags & RS_IOEVENTFD_PIO) ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 ((io->flags & RS_IOEVENTFD_DATAMATCH) ?
			  KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
			 ((io->flags & RS_IOEVENTFD_DEASSIGN) ?
			  KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};

	return ioctl(fd, KVM_IOEVENTFD, &k);
}

int kvm_ioctl(int fd, unsigned long req, unsigned long arg)
{
	void *p = (void *)arg;

	switch (req) {
	case RS_GET_API_VERSION:
		return RS_API_VERSION;
	case RS_CHECK_CAPABILITY:
		return kvm_cap(arg);
	case RS_CREATE_VM:
		return kvm_create_vm();
	case RS_SET_MEMORY_REGION:
		return kvm_set_region(fd, p);
	case RS_CREATE_VCPU:
		return ioctl(fd, KVM_CREATE_VCPU, arg);
	case RS_RUN:
		return kvm_run_vcpu(fd);
	case RS_GET_REGS:
	case RS_SET_REGS:
		return kvm_regs(fd, p, req == RS_SET_REGS);
	case RS_GET_SREGS:
	case RS_SET_SREGS:
		return kvm_sregs(fd, p, req == RS_SET_SREGS);
	case RS_GET_MSRS:
	case RS_SET_MSRS:
		return kvm_msrs(fd, p, req == RS_SET_MSRS);
	case RS_GET_CPUID:
		return kvm_get_cpuid(p);
	case RS_SET_CPUID:
		return kvm_set_cpuid(fd, p);
	case RS_INJECT_EVENT:
		return kvm_inject(fd, p);
	case RS_IOEVENTFD:
		return kvm_ioeventfd(fd, p);
	}
	errno = ENOTTY;
	return -1;
}
