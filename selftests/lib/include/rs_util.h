/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of the selftest library: VMs, vCPUs and guest memory
 * through the ringside uAPI, a 64-bit guest environment (page tables,
 * GDT, IDT, TSS) around the test binary's own code, and ucalls.
 *
 * Every helper here checks what it does: an ioctl that fails, or a guest
 * that reports something the test did not expect, prints what went wrong
 * and where, and aborts the test (the harness reports it as failed).
 * Functions whose name starts with "__" return the ioctl's result instead,
 * for tests of the error paths.
 */
#ifndef SELFTEST_RS_UTIL_H
#define SELFTEST_RS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/ringside.h>

#include "rs_guest.h"
#include "rs_sys.h"
#include "rs_x86.h"

/* Fail the test: print file, line, the condition and a message, abort. */
void __attribute__((noreturn, format(printf, 4, 5)))
rs_test_fail(const char *file, int line, const char *cond,
	     const char *fmt, ...);

#define RS_ASSERT(cond, fmt, ...) do {					\
	if (!(cond))							\
		rs_test_fail(__FILE__, __LINE__, #cond, fmt, ##__VA_ARGS__); \
} while (0)

/* The guest-physical layout every VM made by rs_vm_create_default() has. */
#define RS_RAM_SLOT		0
#define RS_RAM_MIN_SIZE		(32ULL << 20)
/* Identity-mapped by the guest page tables: all of the low 4 GiB. */
#define RS_IDENTITY_MAP_SIZE	(4ULL << 30)
/* Unbacked and mapped: accesses there are MMIO exits. */
#define RS_MMIO_GPA		0xc0000000ULL
#define RS_STACK_SIZE		(16 << 10)

#define RS_SEL_CODE		0x08
#define RS_SEL_DATA		0x10
#define RS_SEL_TSS		0x18

struct rs_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct rs_vcpu;

struct rs_vm {
	int dev_fd;
	int fd;
	bool svm;
	long run_size;

	struct rs_region regions[32];
	unsigned int nr_regions;

	/* The guest environment, when rs_vm_create_default() made one. */
	uint64_t next_free_gpa;		/* page allocator for guest memory */
	uint64_t ram_end;
	uint64_t pml4;
	uint64_t gdt, idt, tss;

	struct rs_vcpu *vcpus[64];
	unsigned int nr_vcpus;
};

struct rs_vcpu {
	struct rs_vm *vm;
	int fd;
	uint32_t id;
	struct rs_run *run;
	uint64_t stack_top;		/* guest address */
};

/* /dev/ringside. */
int rs_open_dev(void);			/* aborts if it can't */
long rs_check_cap(long cap);

/*
 * A VM with no memory and no vCPU (bare), or with RAM in slot 0 holding
 * the test binary at its link addresses, page tables, GDT, IDT and TSS
 * (default).  rs_vm_free() closes everything and unmaps the memory.
 */
struct rs_vm *rs_vm_create_bare(void);
struct rs_vm *rs_vm_create_default(void);
void rs_vm_free(struct rs_vm *vm);

/* One VM with one vCPU that starts at guest_code(). */
struct rs_vm *rs_vm_create_with_one_vcpu(struct rs_vcpu **vcpu,
					 void *guest_code);

/* Guest memory. */
int __rs_set_memory_region(struct rs_vm *vm, uint32_t slot, uint32_t flags,
			   uint64_t gpa, uint64_t size, void *hva);
/* Maps size bytes of fresh anonymous memory at gpa in slot. */
void *rs_vm_add_region(struct rs_vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size);
void rs_vm_delete_region(struct rs_vm *vm, uint32_t slot);
/* The host address of guest-physical gpa; aborts if no slot backs it. */
void *rs_gpa2hva(struct rs_vm *vm, uint64_t gpa);
/* Zeroed pages of RAM; guest virtual == guest physical. */
uint64_t rs_vm_alloc_pages(struct rs_vm *vm, unsigned int npages);

/* Copy a global variable between the host and the guest's copy of it. */
#define rs_sync_global_to_guest(vm, g)					\
	memcpy(rs_gpa2hva(vm, (uint64_t)&(g)), &(g), sizeof(g))
#define rs_sync_global_from_guest(vm, g)				\
	memcpy(&(g), rs_gpa2hva(vm, (uint64_t)&(g)), sizeof(g))

/* Guest exception handlers (rs_guest.h), NULL for the default. */
void rs_vm_install_handler(struct rs_vm *vm, int vector, rs_handler_t h);

/* vCPUs. */
int __rs_create_vcpu(struct rs_vm *vm, unsigned long id);
/* A vCPU fd with its run page mapped, no state set up (bare VMs). */
struct rs_vcpu *rs_vcpu_create_bare(struct rs_vm *vm, uint32_t id);
/* A vCPU in 64-bit mode at guest_code() with its own stack (default). */
struct rs_vcpu *rs_vcpu_add(struct rs_vm *vm, uint32_t id, void *guest_code);
/* Up to 6 integer arguments for guest_code(): RDI, RSI, RDX, RCX, R8, R9. */
void rs_vcpu_args_set(struct rs_vcpu *vcpu, unsigned int n, ...);
void rs_vcpu_free(struct rs_vcpu *vcpu);

#define __rs_ioctl(fd, cmd, arg) ioctl(fd, cmd, arg)
#define rs_ioctl(fd, cmd, arg) ({					\
	long __r = ioctl(fd, cmd, arg);					\
	RS_ASSERT(__r >= 0, "ioctl %s failed: %s", #cmd,		\
		  strerror(errno));					\
	__r;								\
})

#define __rs_vcpu_ioctl(vcpu, cmd, arg) ioctl((vcpu)->fd, cmd, arg)
#define rs_vcpu_ioctl(vcpu, cmd, arg) rs_ioctl((vcpu)->fd, cmd, arg)
#define rs_vm_ioctl(vm, cmd, arg) rs_ioctl((vm)->fd, cmd, arg)

/*
 * RS_RUN once on a thread of its own (pthread_create(..., rs_vcpu_run_thread,
 * &runner)), for tests that signal, close or watch the host under it.
 */
struct rs_runner {
	struct rs_vcpu *vcpu;
	volatile int done;
	int ret, err;
	uint32_t exit_reason;
};

void *rs_vcpu_run_thread(void *arg);

/* RS_RUN: the raw call, and one that must succeed. */
int __rs_vcpu_run(struct rs_vcpu *vcpu);
void rs_vcpu_run(struct rs_vcpu *vcpu);

void rs_vcpu_regs_get(struct rs_vcpu *vcpu, struct rs_regs *regs);
void rs_vcpu_regs_set(struct rs_vcpu *vcpu, const struct rs_regs *regs);
void rs_vcpu_sregs_get(struct rs_vcpu *vcpu, struct rs_sregs *sregs);
void rs_vcpu_sregs_set(struct rs_vcpu *vcpu, const struct rs_sregs *sregs);
/* A segment register's selector, attributes (RS_SEG_*), base and limit. */
void rs_seg_set(struct rs_segment *s, uint16_t sel, uint16_t attr,
		uint64_t base, uint32_t limit);
void rs_vcpu_fpu_get(struct rs_vcpu *vcpu, struct rs_fpu *fpu);
void rs_vcpu_fpu_set(struct rs_vcpu *vcpu, const struct rs_fpu *fpu);
uint64_t rs_vcpu_get_msr(struct rs_vcpu *vcpu, uint32_t index);
void rs_vcpu_set_msr(struct rs_vcpu *vcpu, uint32_t index, uint64_t value);
/* RS_GET_MSRS/RS_SET_MSRS of one MSR: the ioctl's return value. */
int __rs_vcpu_get_msr(struct rs_vcpu *vcpu, uint32_t index, uint64_t *value);
int __rs_vcpu_set_msr(struct rs_vcpu *vcpu, uint32_t index, uint64_t value);
/* The vCPU's CPUID table (malloc'ed; *nent entries). */
struct rs_cpuid_entry *rs_vcpu_get_cpuid(struct rs_vcpu *vcpu, uint32_t *nent);
void rs_vcpu_set_cpuid(struct rs_vcpu *vcpu, struct rs_cpuid_entry *e,
		       uint32_t nent);
void rs_vcpu_inject(struct rs_vcpu *vcpu, uint32_t type, uint32_t vector,
		    bool has_error, uint32_t error);

/*
 * Exit routing (RS_SET_EXIT_ROUTE): a vCPU's route, the VM's (every vCPU,
 * later ones too), and the vCPU's as the kernel holds it.
 */
int __rs_vcpu_set_route(struct rs_vcpu *vcpu, const struct rs_exit_route *rt);
void rs_vcpu_set_route(struct rs_vcpu *vcpu, const struct rs_exit_route *rt);
int __rs_vm_set_route(struct rs_vm *vm, const struct rs_exit_route *rt);
void rs_vm_set_route(struct rs_vm *vm, const struct rs_exit_route *rt);
void rs_vcpu_get_route(struct rs_vcpu *vcpu, struct rs_exit_route *rt);
/*
 * Run and insist on an RS_EXIT_ROUTED of @event (RS_ROUTED_*) with this
 * index (vector, CR, DR, MSR, leaf or port); a ucall instead fails the
 * test with what the guest reported.  The answer goes in run->routed
 * (the kernel zeroes it with every routed exit: RS_ROUTE_DEFAULT).
 */
void rs_vcpu_expect_routed(struct rs_vcpu *vcpu, uint32_t event,
			   uint32_t index);
/* Answer the routed exit: @action, and results[0] for RS_ROUTE_EMULATE. */
void rs_route_answer(struct rs_vcpu *vcpu, uint32_t action, uint64_t result);
/* Answer it RS_ROUTE_INJECT of this exception. */
void rs_route_answer_inject(struct rs_vcpu *vcpu, uint32_t vector,
			    bool has_error, uint32_t error);
/* Is @x in one of @r's ranges, as the kernel decides what to route? */
bool rs_route_in_ranges(const struct rs_route_ranges *r, uint32_t x);

/*
 * Ring 3 for @vcpu: a 64-bit code (selector 0x2b) and a data segment
 * (0x33) of DPL 3 after the default GDT, and a ring-0 stack in the TSS
 * for the way back in.
 */
void rs_vcpu_add_ring3(struct rs_vm *vm, struct rs_vcpu *vcpu);

/* Exits. */
const char *rs_exit_reason_str(uint32_t reason);
/* A line saying why the vCPU last exited, with the details. */
const char *rs_exit_describe(struct rs_vcpu *vcpu, char *buf, size_t size);

/*
 * The ucall the last exit carries, or UCALL_NONE.  A failed GUEST_ASSERT
 * (UCALL_ABORT) or an exception the guest did not handle (UCALL_UNHANDLED)
 * fails the test here, printing the guest's file, line and values.
 */
uint64_t rs_get_ucall(struct rs_vcpu *vcpu, struct ucall *uc);
/* Run until the next exit and insist it is a ucall: returns its command. */
uint64_t rs_vcpu_run_ucall(struct rs_vcpu *vcpu, struct ucall *uc);
/* Run and insist on this ucall (and, for UCALL_SYNC, this stage). */
void rs_vcpu_expect_sync(struct rs_vcpu *vcpu, uint64_t stage);
void rs_vcpu_expect_done(struct rs_vcpu *vcpu);
/* Run and insist on this exit reason. */
void rs_vcpu_run_expect_exit(struct rs_vcpu *vcpu, uint32_t reason);
/*
 * Run until the next exit and insist it is a ucall (its command, with
 * *uc) or an MMIO access (UCALL_NONE): the loop of a test that plays a
 * device.
 */
uint64_t rs_vcpu_run_mmio(struct rs_vcpu *vcpu, struct ucall *uc);

/* Where IO data for the last RS_EXIT_IO lives in the run page. */
static inline void *rs_io_data(struct rs_vcpu *vcpu)
{
	return (char *)vcpu->run + vcpu->run->io.data_offset;
}

#endif /* SELFTEST_RS_UTIL_H */
