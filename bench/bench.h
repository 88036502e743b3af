/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside-bench: the cost of VM exits on ringside and on KVM, with the
 * same real-mode guest code.  The two hypervisors sit behind one small
 * table of operations (struct bench_backend); the measuring loop in
 * ringside-bench.c only sees arch- and hypervisor-neutral exits.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Guest memory: one 1 MiB slot at guest-physical 0; code at 0x1000. */
#define BENCH_MEM_SIZE		(1UL << 20)
#define BENCH_CODE_GPA		0x1000UL

/* What the guest code exits with (guest.S). */
#define BENCH_IO_PORT		0x80
/* A port whose OUT of a byte signals an eventfd in the kernel (ioeventfd) */
#define BENCH_EVENT_PORT	0x81
#define BENCH_MMIO_GPA		0x100000UL	/* the first byte past the slot */
#define BENCH_STRING_GPA	0x2000UL
#define BENCH_STRING_BYTES	1024
/*
 * The local APIC's kinds: their loops end with an OUT to this port, not
 * HLT, which an in-kernel APIC keeps in the kernel.  Their interrupts come
 * on this vector, whose real-mode handler is at BENCH_CODE_GPA + 2.
 */
#define BENCH_END_PORT		0x82
#define BENCH_APIC_VECTOR	0x40
/* The two-vCPU kind: both vCPUs are ready, the clock starts. */
#define BENCH_START_PORT	0x83

/* vCPUs of a VM: the IPI round trip needs two. */
#define BENCH_MAX_VCPUS		2

/* An exit as the measuring loop sees it. */
enum bench_exit_kind {
	BENCH_EXIT_IO,		/* port I/O: port, is_write, count */
	BENCH_EXIT_MMIO,	/* access outside memory: addr, is_write */
	BENCH_EXIT_HLT,
	BENCH_EXIT_OTHER,	/* anything else: raw reason in addr */
};

struct bench_exit {
	enum bench_exit_kind kind;
	int is_write;
	uint16_t port;
	uint32_t count;		/* items of a string I/O, else 1 */
	uint64_t addr;
};

struct bench_vm;

/*
 * One hypervisor.  open() creates a VM with the 1 MiB slot and @vcpus
 * vCPUs (at most BENCH_MAX_VCPUS) whose run pages are mapped, registers
 * an eventfd for OUT to BENCH_EVENT_PORT where the hypervisor can
 * (RS_IOEVENTFD, KVM_IOEVENTFD), and returns its guest memory through
 * *mem; it returns 0 or a negative errno, with a message in err.  close()
 * destroys the VM so that the other hypervisor can turn SVM/VMX on.  The
 * rest act on vCPU @cpu: run() is one RS_RUN/KVM_RUN and returns 0,
 * -EINTR (a signal, or immediate_exit that set_immediate_exit() set) or
 * another negative errno.
 */
struct bench_backend {
	const char *name;
	/*
	 * With @apic, the VM has the hypervisor's in-kernel local APIC
	 * (RS_CREATE_LAPIC; KVM_CAP_SPLIT_IRQCHIP) and a CPUID that offers
	 * x2APIC and the TSC-deadline timer.
	 */
	int (*open)(struct bench_vm **vm, uint8_t **mem, int apic, int vcpus,
		    char *err, size_t errlen);
	void (*close)(struct bench_vm *vm);
	/*
	 * Real mode, CS = DS = ES = SS = 0 (base 0), RIP, RSI, RFLAGS = 2,
	 * and runnable: an AP does not wait for INIT and SIPI.
	 */
	int (*reset)(struct bench_vm *vm, int cpu, uint64_t rip, uint64_t rsi);
	int (*run)(struct bench_vm *vm, int cpu, struct bench_exit *exit);
	void (*set_immediate_exit)(struct bench_vm *vm, int cpu, int on);
	int (*get_rip_rsi)(struct bench_vm *vm, int cpu, uint64_t *rip,
			   uint64_t *rsi);
	/* A short description of what runs the VMs ("SVM", "kvm_amd"), once open. */
	const char *(*describe)(struct bench_vm *vm);
};

extern const struct bench_backend bench_ringside;
extern const struct bench_backend bench_kvm;

/* The guest loops of guest.S: [start, end) is copied to BENCH_CODE_GPA. */
extern const uint8_t bench_guest_cpuid[], bench_guest_cpuid_end[];
extern const uint8_t bench_guest_io[], bench_guest_io_end[];
extern const uint8_t bench_guest_ioevent[], bench_guest_ioevent_end[];
extern const uint8_t bench_guest_ins[], bench_guest_ins_end[];
extern const uint8_t bench_guest_mmio[], bench_guest_mmio_end[];
extern const uint8_t bench_guest_hlt[], bench_guest_hlt_end[];
extern const uint8_t bench_guest_eoi[], bench_guest_eoi_end[];
extern const uint8_t bench_guest_selfipi[], bench_guest_selfipi_end[];
extern const uint8_t bench_guest_timer[], bench_guest_timer_end[];
/* Two vCPUs: vCPU 1 starts at bench_guest_ipi_ap. */
extern const uint8_t bench_guest_ipi[], bench_guest_ipi_ap[],
	bench_guest_ipi_end[];

#endif /* BENCH_H */
