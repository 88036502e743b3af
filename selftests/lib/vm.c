// SPDX-License-Identifier: GPL-2.0
/*
 * VMs, guest memory and vCPUs through the ringside uAPI, checked at every
 * step.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rs_util.h"

void rs_test_fail(const char *file, int line, const char *cond,
		  const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# ==== Test assertion failure ====\n");
	fprintf(stderr, "#   %s:%d: %s\n#   ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

int rs_open_dev(void)
{
	int fd = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);

	RS_ASSERT(fd >= 0, "open(%s): %s (is ringside loaded? are you root?)",
		  RS_DEV_PATH, strerror(errno));
	return fd;
}

long rs_check_cap(long cap)
{
	int fd = rs_open_dev();
	long r = ioctl(fd, RS_CHECK_CAPABILITY, cap);

	RS_ASSERT(r >= 0, "RS_CHECK_CAPABILITY(%ld): %s", cap,
		  strerror(errno));
	close(fd);
	return r;
}

struct rs_vm *rs_vm_create_bare(void)
{
	struct rs_vm *vm = calloc(1, sizeof(*vm));

	RS_ASSERT(vm, "out of memory");
	vm->dev_fd = rs_open_dev();
	vm->fd = ioctl(vm->dev_fd, RS_CREATE_VM, 0);
	RS_ASSERT(vm->fd >= 0, "RS_CREATE_VM: %s", strerror(errno));
	vm->svm = ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, RS_CAP_SVM) == 1;
	vm->run_size = ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, RS_CAP_RUN_SIZE);
	RS_ASSERT(vm->run_size >= (long)sizeof(struct rs_run),
		  "RS_CAP_RUN_SIZE is %ld, struct rs_run needs %zu",
		  vm->run_size, sizeof(struct rs_run));
	return vm;
}

void rs_vm_free(struct rs_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	for (i = 0; i < vm->nr_vcpus; i++)
		rs_vcpu_free(vm->vcpus[i]);
	close(vm->fd);
	close(vm->dev_fd);
	for (i = 0; i < vm->nr_regions; i++)
		munmap(vm->regions[i].hva, vm->regions[i].size);
	free(vm);
}

int __rs_set_memory_region(struct rs_vm *vm, uint32_t slot, uint32_t flags,
			   uint64_t gpa, uint64_t size, void *hva)
{
	struct rs_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uint64_t)hva,
	};

	return ioctl(vm->fd, RS_SET_MEMORY_REGION, &r);
}

void *rs_vm_add_region(struct rs_vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size)
{
	struct rs_region *reg;
	void *hva;

	RS_ASSERT(vm->nr_regions < 32, "too many regions");
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	RS_ASSERT(hva != MAP_FAILED, "mmap %#lx bytes: %s",
		  (unsigned long)size, strerror(errno));
	RS_ASSERT(!__rs_set_memory_region(vm, slot, flags, gpa, size, hva),
		  "RS_SET_MEMORY_REGION slot %u flags %#x gpa %#lx size %#lx: %s",
		  slot, flags, (unsigned long)gpa, (unsigned long)size,
		  strerror(errno));
	reg = &vm->regions[vm->nr_regions++];
	reg->slot = slot;
	reg->flags = flags;
	reg->gpa = gpa;
	reg->size = size;
	reg->hva = hva;
	return hva;
}

void rs_vm_delete_region(struct rs_vm *vm, uint32_t slot)
{
	unsigned int i;

	RS_ASSERT(!__rs_set_memory_region(vm, slot, 0, 0, 0, NULL),
		  "deleting slot %u: %s", slot, strerror(errno));
	for (i = 0; i < vm->nr_regions; i++) {
		if (vm->regions[i].slot != slot)
			continue;
		munmap(vm->regions[i].hva, vm->regions[i].size);
		vm->regions[i] = vm->regions[--vm->nr_regions];
		return;
	}
}

void *rs_gpa2hva(struct rs_vm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++) {
		struct rs_region *r = &vm->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return (char *)r->hva + (gpa - r->gpa);
	}
	rs_test_fail(__FILE__, __LINE__, "rs_gpa2hva",
		     "no memory slot holds guest-physical %#lx",
		     (unsigned long)gpa);
}

uint64_t rs_vm_alloc_pages(struct rs_vm *vm, unsigned int npages)
{
	uint64_t gpa = vm->next_free_gpa;

	RS_ASSERT(vm->ram_end, "rs_vm_alloc_pages needs a default VM");
	RS_ASSERT(gpa + npages * 4096ULL <= vm->ram_end,
		  "guest RAM exhausted (%u pages wanted)", npages);
	vm->next_free_gpa += npages * 4096ULL;
	memset(rs_gpa2hva(vm, gpa), 0, npages * 4096ULL);
	return gpa;
}

int __rs_create_vcpu(struct rs_vm *vm, unsigned long id)
{
	return ioctl(vm->fd, RS_CREATE_VCPU, id);
}

struct rs_vcpu *rs_vcpu_create_bare(struct rs_vm *vm, uint32_t id)
{
	struct rs_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	RS_ASSERT(vcpu, "out of memory");
	RS_ASSERT(vm->nr_vcpus < 64, "too many vCPUs");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = __rs_create_vcpu(vm, id);
	RS_ASSERT(vcpu->fd >= 0, "RS_CREATE_VCPU(%u): %s", id,
		  strerror(errno));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	RS_ASSERT(vcpu->run != MAP_FAILED, "mmap of vCPU %u's run page: %s",
		  id, strerror(errno));
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	return vcpu;
}

void rs_vcpu_free(struct rs_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->vm->run_size);
	close(vcpu->fd);
	free(vcpu);
}

void rs_vcpu_args_set(struct rs_vcpu *vcpu, unsigned int n, ...)
{
	struct rs_regs regs;
	__u64 *slots[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx,
			      &regs.r8, &regs.r9 };
	unsigned int i;
	va_list ap;

	RS_ASSERT(n <= 6, "at most 6 arguments, not %u", n);
	rs_vcpu_regs_get(vcpu, &regs);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		*slots[i] = va_arg(ap, uint64_t);
	va_end(ap);
	rs_vcpu_regs_set(vcpu, &regs);
}

void *rs_vcpu_run_thread(void *arg)
{
	struct rs_runner *r = arg;

	r->ret = __rs_vcpu_run(r->vcpu);
	r->err = errno;
	r->exit_reason = r->vcpu->run->exit_reason;
	r->done = 1;
	return NULL;
}

int __rs_vcpu_run(struct rs_vcpu *vcpu)
{
	return ioctl(vcpu->fd, RS_RUN, 0);
}

void rs_vcpu_run(struct rs_vcpu *vcpu)
{
	char buf[256];
	int r = __rs_vcpu_run(vcpu);

	RS_ASSERT(r == 0, "RS_RUN on vCPU %u returned %d (%s); %s", vcpu->id,
		  r, strerror(errno), rs_exit_describe(vcpu, buf, sizeof(buf)));
}

void rs_vcpu_regs_get(struct rs_vcpu *vcpu, struct rs_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	rs_vcpu_ioctl(vcpu, RS_GET_REGS, regs);
}

void rs_vcpu_regs_set(struct rs_vcpu *vcpu, const struct rs_regs *regs)
{
	rs_vcpu_ioctl(vcpu, RS_SET_REGS, regs);
}

void rs_vcpu_sregs_get(struct rs_vcpu *vcpu, struct rs_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	rs_vcpu_ioctl(vcpu, RS_GET_SREGS, sregs);
}

void rs_vcpu_sregs_set(struct rs_vcpu *vcpu, const struct rs_sregs *sregs)
{
	rs_vcpu_ioctl(vcpu, RS_SET_SREGS, sregs);
}

void rs_vcpu_fpu_get(struct rs_vcpu *vcpu, struct rs_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	rs_vcpu_ioctl(vcpu, RS_GET_FPU, fpu);
}

void rs_vcpu_fpu_set(struct rs_vcpu *vcpu, const struct rs_fpu *fpu)
{
	rs_vcpu_ioctl(vcpu, RS_SET_FPU, fpu);
}

int __rs_vcpu_get_msr(struct rs_vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct rs_msr_entry e = { .index = index };
	struct rs_msrs m = { .nmsrs = 1, .entries = (uint64_t)&e };
	int r = ioctl(vcpu->fd, RS_GET_MSRS, &m);

	*value = e.data;
	return r;
}

int __rs_vcpu_set_msr(struct rs_vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct rs_msr_entry e = { .index = index, .data = value };
	struct rs_msrs m = { .nmsrs = 1, .entries = (uint64_t)&e };

	return ioctl(vcpu->fd, RS_SET_MSRS, &m);
}

uint64_t rs_vcpu_get_msr(struct rs_vcpu *vcpu, uint32_t index)
{
	uint64_t v;
	int r = __rs_vcpu_get_msr(vcpu, index, &v);

	RS_ASSERT(r == 1, "RS_GET_MSRS of MSR %#x returned %d (%s)", index, r,
		  r < 0 ? strerror(errno) : "entries done");
	return v;
}

void rs_vcpu_set_msr(struct rs_vcpu *vcpu, uint32_t index, uint64_t value)
{
	int r = __rs_vcpu_set_msr(vcpu, index, value);

	RS_ASSERT(r == 1, "RS_SET_MSRS of MSR %#x = %#lx returned %d (%s)",
		  index, (unsigned long)value, r,
		  r < 0 ? strerror(errno) : "entries done");
}

struct rs_cpuid_entry *rs_vcpu_get_cpuid(struct rs_vcpu *vcpu, uint32_t *nent)
{
	struct rs_cpuid_entry *e = calloc(256, sizeof(*e));
	struct rs_cpuid c = { .nent = 256, .entries = (uint64_t)e };

	RS_ASSERT(e, "out of memory");
	rs_vcpu_ioctl(vcpu, RS_GET_CPUID, &c);
	*nent = c.nent;
	return e;
}

void rs_vcpu_set_cpuid(struct rs_vcpu *vcpu, struct rs_cpuid_entry *e,
		       uint32_t nent)
{
	struct rs_cpuid c = { .nent = nent, .entries = (uint64_t)e };

	rs_vcpu_ioctl(vcpu, RS_SET_CPUID, &c);
}

void rs_vcpu_inject(struct rs_vcpu *vcpu, uint32_t type, uint32_t vector,
		    bool has_error, uint32_t error)
{
	struct rs_event ev = {
		.type = type,
		.vector = vector,
		.error_code = error,
		.flags = has_error ? RS_EVENT_HAS_ERROR_CODE : 0,
	};

	rs_vcpu_ioctl(vcpu, RS_INJECT_EVENT, &ev);
}

int __rs_vcpu_set_route(struct rs_vcpu *vcpu, const struct rs_exit_route *rt)
{
	return ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, rt);
}

void rs_vcpu_set_route(struct rs_vcpu *vcpu, const struct rs_exit_route *rt)
{
	RS_ASSERT(!__rs_vcpu_set_route(vcpu, rt),
		  "RS_SET_EXIT_ROUTE on vCPU %u: %s", vcpu->id,
		  strerror(errno));
}

int __rs_vm_set_route(struct rs_vm *vm, const struct rs_exit_route *rt)
{
	return ioctl(vm->fd, RS_SET_EXIT_ROUTE, rt);
}

void rs_vm_set_route(struct rs_vm *vm, const struct rs_exit_route *rt)
{
	RS_ASSERT(!__rs_vm_set_route(vm, rt), "RS_SET_EXIT_ROUTE on the VM: %s",
		  strerror(errno));
}

void rs_vcpu_get_route(struct rs_vcpu *vcpu, struct rs_exit_route *rt)
{
	memset(rt, 0xa5, sizeof(*rt));
	rs_vcpu_ioctl(vcpu, RS_GET_EXIT_ROUTE, rt);
}

void rs_route_answer(struct rs_vcpu *vcpu, uint32_t action, uint64_t result)
{
	vcpu->run->routed.action = action;
	vcpu->run->routed.results[0] = result;
}

void rs_route_answer_inject(struct rs_vcpu *vcpu, uint32_t vector,
			    bool has_error, uint32_t error)
{
	struct rs_event *ev = &vcpu->run->routed.inject;

	memset(ev, 0, sizeof(*ev));
	ev->type = RS_EVENT_EXCEPTION;
	ev->vector = vector;
	ev->flags = has_error ? RS_EVENT_HAS_ERROR_CODE : 0;
	ev->error_code = error;
	vcpu->run->routed.action = RS_ROUTE_INJECT;
}

bool rs_route_in_ranges(const struct rs_route_ranges *r, uint32_t x)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		if (x >= r->range[i].first && x <= r->range[i].last)
			return true;
	return false;
}

void rs_vcpu_add_ring3(struct rs_vm *vm, struct rs_vcpu *vcpu)
{
	uint64_t *gdt = rs_gpa2hva(vm, vm->gdt);
	struct rs_tss64 *tss = rs_gpa2hva(vm, vm->tss);
	struct rs_sregs sregs;

	gdt[5] = 0x00affb000000ffffULL;		/* P, DPL 3, code, L */
	gdt[6] = 0x00cff3000000ffffULL;		/* P, DPL 3, data */
	tss->rsp[0] = rs_vm_alloc_pages(vm, 4) + 4 * 4096;
	rs_vcpu_sregs_get(vcpu, &sregs);
	sregs.gdt.limit = 7 * 8 - 1;
	rs_vcpu_sregs_set(vcpu, &sregs);
}

const char *rs_exit_reason_str(uint32_t reason)
{
	static const char * const names[] = {
		[RS_EXIT_NONE] = "NONE",
		[RS_EXIT_IO] = "IO",
		[RS_EXIT_MMIO] = "MMIO",
		[RS_EXIT_HLT] = "HLT",
		[RS_EXIT_SHUTDOWN] = "SHUTDOWN",
		[RS_EXIT_IRQ_WINDOW] = "IRQ_WINDOW",
		[RS_EXIT_HYPERCALL] = "HYPERCALL",
		[RS_EXIT_INTR] = "INTR",
		[RS_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[RS_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[RS_EXIT_EOI] = "EOI",
		[RS_EXIT_ROUTED] = "ROUTED",
		[RS_EXIT_DEBUG] = "DEBUG",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown";
}

const char *rs_exit_describe(struct rs_vcpu *vcpu, char *buf, size_t size)
{
	struct rs_run *run = vcpu->run;
	struct rs_regs regs;
	int n;

	n = snprintf(buf, size, "exit %s (%u)",
		     rs_exit_reason_str(run->exit_reason), run->exit_reason);
	switch (run->exit_reason) {
	case RS_EXIT_IO:
		n += snprintf(buf + n, size - n,
			      ": %s port %#x size %u count %u",
			      run->io.direction == RS_IO_OUT ? "out" : "in",
			      run->io.port, run->io.size, run->io.count);
		break;
	case RS_EXIT_MMIO:
		n += snprintf(buf + n, size - n, ": %s %#llx len %u",
			      run->mmio.is_write ? "write" : "read",
			      run->mmio.phys_addr, run->mmio.len);
		break;
	case RS_EXIT_HYPERCALL:
		n += snprintf(buf + n, size - n, ": nr %#llx",
			      run->hypercall.nr);
		break;
	case RS_EXIT_FAIL_ENTRY:
		n += snprintf(buf + n, size - n,
			      ": hardware reason %#llx qualification %#llx",
			      run->fail_entry.hardware_reason,
			      run->fail_entry.qualification);
		break;
	case RS_EXIT_INTERNAL_ERROR:
		n += snprintf(buf + n, size - n,
			      ": suberror %u ndata %u data %#llx %#llx",
			      run->internal.suberror, run->internal.ndata,
			      run->internal.data[0], run->internal.data[1]);
		break;
	case RS_EXIT_ROUTED:
		n += snprintf(buf + n, size - n,
			      ": event %u index %#x subindex %#x value %#llx error %#x len %u hw %#llx %#llx %#llx",
			      run->routed.event, run->routed.index,
			      run->routed.subindex, run->routed.value,
			      run->routed.error_code, run->routed.insn_len,
			      run->routed.hw_code, run->routed.hw_info[0],
			      run->routed.hw_info[1]);
		break;
	case RS_EXIT_DEBUG:
		n += snprintf(buf + n, size - n, ": dr6 %#llx pc %#llx",
			      run->debug.dr6, run->debug.pc);
		break;
	}
	if ((size_t)n < size && !__rs_vcpu_ioctl(vcpu, RS_GET_REGS, &regs))
		snprintf(buf + n, size - n, ", rip %#llx", regs.rip);
	return buf;
}
