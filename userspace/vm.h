/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the VM and its vCPUs over the ioctl interface of
 * uapi/linux/ringside.h.
 *
 * Guest RAM is laid out as a PC's (QEMU's "pc" machine with gigabyte
 * alignment): [0, min(RAM, 3 GiB)) below the PCI hole, the rest from 4 GiB.
 * Each vCPU runs on its own thread; devices on the buses are called from
 * those threads.
 */
#ifndef RINGSIDE_VM_H
#define RINGSIDE_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/ringside.h>

#include "iobus.h"
#include "irq.h"
#include "timer.h"

#define VM_PCI_HOLE_START	0xc0000000ULL	/* 3 GiB */
#define VM_HIGH_RAM_START	0x100000000ULL	/* 4 GiB */
#define VM_MIN_RAM		(2ULL << 20)
#define VM_MAX_RAM		(1ULL << 40)
#define VM_MAX_VCPUS		64

/*
 * SIG_KICK interrupts a vCPU thread's RS_RUN (which then fails with EINTR);
 * SIG_STOPPED wakes the main thread when a vCPU thread ended the run.
 */
#define SIG_KICK		SIGUSR1
#define SIG_STOPPED		SIGUSR2

struct vm;
struct lapic;
struct pic;
struct ioapic;
struct iommu;
struct pci_bus;
struct gdbstub;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct rs_run *run;		/* mmap of the vCPU fd, vm->run_size */
	pthread_t thread;
	bool thread_started;
	bool woken;			/* vcpu_wake() since the last wait */
	bool told_halted;		/* "halted for good" said once */

	/* Interrupts (irq.c): under vm->irq_lock but in_run. */
	struct lapic *lapic;		/* NULL: no local APIC */
	bool kicked;			/* kicked since it last looked */
	int in_run;			/* atomic: in or about to be in RS_RUN */

	/* vm_pause(): waiting outside RS_RUN until vm_resume(); vm->lock. */
	bool parked;
	/*
	 * gdb single-steps it (RS_GUEST_DEBUG_SINGLESTEP, gdbtarget.c): no
	 * interrupt is injected meanwhile.  Set while its thread is paused.
	 */
	bool gdb_step;
};

struct vm {
	int dev_fd;			/* /dev/ringside */
	int fd;				/* the VM */
	size_t run_size;		/* RS_CAP_RUN_SIZE */

	uint8_t *ram;			/* one anonymous mapping of ram_size */
	uint64_t ram_size;
	uint64_t low_size;		/* at guest physical 0 */
	uint64_t high_size;		/* at VM_HIGH_RAM_START */

	unsigned int nr_vcpus;
	struct vcpu *vcpus;

	struct iobus pio;		/* port I/O, 0-0xffff */
	struct iobus mmio;		/* guest physical addresses outside RAM */

	/* The interrupt controllers and their lock (irq.h). */
	pthread_mutex_t irq_lock;
	struct pic *pic;
	struct ioapic *ioapic;
	struct iommu *iommu;		/* interrupt remapping, or NULL */
	irq_deliver_fn *deliver;	/* to the local APICs (irq.h) */
	struct pci_bus *pci;
	bool no_kicks;			/* the vCPU threads are ending */
	/*
	 * RS_CREATE_LAPIC: the local APICs are the module's; the I/O APIC
	 * sends MSIs (irq_deliver_msi()) and hears level EOIs (RS_EXIT_EOI).
	 */
	bool kernel_lapic;
	struct timers timers;		/* device timers (timer.h) */

	/* Stopping: set once by vm_request_stop(), the first status wins. */
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* halted vCPUs wait on it */
	pthread_t main_thread;
	int stopping;
	int status;
	int stop_signal;		/* SIGINT/SIGTERM that ended the run, or 0 */

	/*
	 * Pausing for a debugger (vm_pause()), under lock too: the vCPU
	 * threads park, and vm_pause_wait() waits on parked_cond for them;
	 * run_only: the one that runs all the same (vm_resume_one()), or -1.
	 */
	int paused;
	int run_only;
	pthread_cond_t parked_cond;
	struct gdbstub *gdb;		/* --gdb (gdbstub.c), or NULL */
};

/*
 * Open /dev/ringside.  On failure, says why on stderr (module not loaded,
 * device node missing, no permission) and returns -1.
 */
int ringside_open(void);

/*
 * Block the signals vm_run() waits for (SIGINT, SIGTERM and the launcher's
 * own wakeup).  Call it before any thread is created so that every thread
 * inherits the mask and only vm_run() sees them.
 */
void vm_block_signals(void);

/*
 * Returns 0, or a launcher status (STATUS_*) after saying why.  With
 * @kernel_lapic, the module's local APICs where it has them (not KVM's:
 * kvm.c runs KVM without an irqchip).
 */
int vm_create(struct vm **vmp, uint64_t ram_size, unsigned int nr_vcpus,
	      bool kernel_lapic);
void vm_destroy(struct vm *vm);

/* Host address of guest physical [gpa, gpa + len) if it is all RAM, or NULL. */
void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

/*
 * Start every vCPU thread, wait until the guest or a signal ends the run,
 * join them.  Returns the launcher status; vm->stop_signal tells whether a
 * signal ended it.
 */
int vm_run(struct vm *vm);

/* End the run with @status (the first request wins); any thread may call. */
void vm_request_stop(struct vm *vm, int status);
bool vm_stopping(struct vm *vm);

/*
 * Pause every vCPU thread outside RS_RUN, with the last exit carried out
 * (vcpu_settle()), so that another thread may read and change the vCPUs'
 * state; for a debugger.  vm_pause() asks and kicks and returns at once:
 * any thread may call it, a vCPU thread too (it parks when its exit
 * handler returns).  vm_pause_wait() waits until every started vCPU
 * thread is parked, or the run is ending; not from a vCPU thread.
 * vm_resume() lets them go on.  Before vm_run(), vm_pause() has them park
 * before the first instruction.  vm_resume_one() lets vCPU @id alone go
 * on, the others staying paused, until the next vm_pause() (a debugger's
 * single step); vcpu_held() tells a vCPU thread whether it must park.
 */
void vm_pause(struct vm *vm);
void vm_pause_wait(struct vm *vm);
void vm_resume(struct vm *vm);
void vm_resume_one(struct vm *vm, unsigned int id);
bool vm_paused(struct vm *vm);
bool vcpu_held(struct vcpu *vcpu);

/*
 * Put @vcpu in 32-bit protected mode with flat 4 GiB segments, paging off,
 * GDTR = @gdt (or empty if NULL), then load @regs: the state Multiboot
 * (0.6.96, 3.2) and Linux's 32-bit boot protocol both enter with.
 */
int vcpu_enter_flat32(struct vcpu *vcpu, const struct rs_regs *regs,
		      const struct rs_dtable *gdt);

/* Start @vcpu as a SIPI with @vector does. */
int vcpu_enter_sipi(struct vcpu *vcpu, unsigned int vector);

/*
 * cpuid.c: set @vcpu's CPUID table from the module's default: its APIC ID,
 * the VM's topology, the local APIC bit if @lapic, the invariant TSC bit
 * if @invtsc.
 */
int vcpu_setup_cpuid(struct vcpu *vcpu, bool lapic, bool invtsc);
/* The host's TSC is constant and does not stop in C-states. */
bool host_tsc_invariant(void);

/* vcpu.c: the vCPU thread (RS_RUN loop and exit handlers). */
void *vcpu_thread(void *arg);
/* Wait until vcpu_wake() or the end of the run. */
void vcpu_wait(struct vcpu *vcpu);
void vcpu_wake(struct vcpu *vcpu);
/* Registers and segments to stderr, for a crash report. */
void vcpu_dump(struct vcpu *vcpu);
/*
 * Carry out what the last exit left to the module (a port or MMIO read's
 * data, a routed event's answer) without entering the guest: RS_RUN with
 * immediate_exit, handling any exit that makes.  Its own vCPU thread, out
 * of RS_RUN.  Returns 0, or -1 when the run is ending for a failure.
 */
int vcpu_settle(struct vcpu *vcpu);

#endif /* RINGSIDE_VM_H */
