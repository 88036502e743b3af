// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the VM over the ioctl interface: /dev/ringside, guest
 * RAM and its memory slots, the vCPUs, and starting and stopping the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv.h"
#include "kvm.h"
#include "util.h"
#include "vm.h"

#define RS_DEVICE	"/dev/ringside"

/* "MAJOR:MINOR" of the misc device the module registered, if it did. */
static int read_devnum(char *buf, size_t len)
{
	FILE *f = fopen("/sys/class/misc/ringside/dev", "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void explain_open_failure(int errnum)
{
	char devnum[32];

	switch (errnum) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (read_devnum(devnum, sizeof(devnum)) == 0) {
			char *colon = strchr(devnum, ':');

			if (colon)
				*colon = ' ';
			pr_err("the ringside module is loaded but %s is missing; "
			       "create it with: mknod %s c %s", RS_DEVICE,
			       RS_DEVICE, devnum);
			break;
		}
		pr_err("%s: the ringside module is not loaded (%s); load it "
		       "with 'insmod ringside.ko' or 'modprobe ringside'",
		       RS_DEVICE, strerror(errnum));
		break;
	case EACCES:
	case EPERM:
		pr_err("%s: %s (it is root's only by default)", RS_DEVICE,
		       strerror(errnum));
		break;
	default:
		pr_err("%s: %s", RS_DEVICE, strerror(errnum));
		break;
	}
}

int ringside_open(void)
{
	int fd = open(RS_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		explain_open_failure(errno);
	return fd;
}

static void wait_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIG_STOPPED);
}

void vm_block_signals(void)
{
	sigset_t set;

	wait_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int cap(struct vm *vm, unsigned long which, const char *name)
{
	int r = hv_ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, which);

	if (r < 0)
		pr_perror("RS_CHECK_CAPABILITY(%s)", name);
	return r;
}

/* Is the module one this launcher can drive with @nr_vcpus? */
static int vm_check_module(struct vm *vm, unsigned int nr_vcpus)
{
	int version, slots, vcpus, run_size;

	version = hv_ioctl(vm->dev_fd, RS_GET_API_VERSION, 0);
	if (version < 0) {
		pr_perror("RS_GET_API_VERSION");
		return STATUS_HV_FAILURE;
	}
	if (version != RS_API_VERSION) {
		pr_err("the module speaks API version %d, this launcher %d",
		       version, RS_API_VERSION);
		return STATUS_HV_FAILURE;
	}
	slots = cap(vm, RS_CAP_NR_MEMSLOTS, "NR_MEMSLOTS");
	vcpus = cap(vm, RS_CAP_MAX_VCPUS, "MAX_VCPUS");
	run_size = cap(vm, RS_CAP_RUN_SIZE, "RUN_SIZE");
	if (slots < 0 || vcpus < 0 || run_size < 0)
		return STATUS_HV_FAILURE;
	if (slots < 2) {
		pr_err("the module has %d memory slots; a PC layout needs 2",
		       slots);
		return STATUS_HV_FAILURE;
	}
	if (nr_vcpus > (unsigned int)vcpus) {
		pr_err("%u vCPUs asked for, the module runs at most %d",
		       nr_vcpus, vcpus);
		return STATUS_USAGE;
	}
	if ((size_t)run_size < sizeof(struct rs_run)) {
		pr_err("the module's run page is %d bytes, smaller than "
		       "struct rs_run (%zu)", run_size, sizeof(struct rs_run));
		return STATUS_HV_FAILURE;
	}
	vm->run_size = run_size;
	return 0;
}

static int vm_set_slot(struct vm *vm, unsigned int slot, uint64_t gpa,
		       uint64_t size, void *host)
{
	struct rs_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (hv_ioctl(vm->fd, RS_SET_MEMORY_REGION, &region) < 0) {
		pr_perror("RS_SET_MEMORY_REGION slot %u [%#llx, %#llx)", slot,
			  (unsigned long long)gpa,
			  (unsigned long long)(gpa + size));
		return -1;
	}
	return 0;
}

/*
 * One anonymous mapping backs all of guest RAM; MAP_NORESERVE because a
 * guest touches only part of a large RAM, and the module faults pages in
 * on demand.  A PC puts RAM below the PCI hole first and the rest at 4 GiB.
 */
static int vm_setup_ram(struct vm *vm, uint64_t ram_size)
{
	void *ram;

	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		pr_perror("cannot map %llu MiB of guest RAM",
			  (unsigned long long)(ram_size >> 20));
		return -1;
	}
	vm->ram = ram;
	vm->ram_size = ram_size;
	vm->low_size = MIN(ram_size, VM_PCI_HOLE_START);
	vm->high_size = ram_size - vm->low_size;

	if (vm_set_slot(vm, 0, 0, vm->low_size, vm->ram) < 0)
		return -1;
	if (vm->high_size &&
	    vm_set_slot(vm, 1, VM_HIGH_RAM_START, vm->high_size,
			vm->ram + vm->low_size) < 0)
		return -1;
	return 0;
}

static int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int id)
{
	void *run;

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = hv_ioctl(vm->fd, RS_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		pr_perror("RS_CREATE_VCPU %u", id);
		return -1;
	}
	run = hv_map_run(vcpu->fd, vm->run_size);
	if (!run) {
		pr_perror("cannot map vCPU %u's run page", id);
		return -1;
	}
	vcpu->run = run;
	return 0;
}

int vm_create(struct vm **vmp, uint64_t ram_size, unsigned int nr_vcpus,
	      bool kernel_lapic)
{
	struct vm *vm;
	unsigned int i;
	int status;

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		pr_perror("cannot allocate the VM");
		return STATUS_HV_FAILURE;
	}
	vm->fd = -1;
	vm->dev_fd = -1;
	vm->run_only = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->wake, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	pthread_mutex_init(&vm->irq_lock, NULL);
	if (timers_init(&vm->timers) < 0) {
		pthread_cond_destroy(&vm->wake);
		pthread_cond_destroy(&vm->parked_cond);
		pthread_mutex_destroy(&vm->lock);
		pthread_mutex_destroy(&vm->irq_lock);
		free(vm);
		return STATUS_HV_FAILURE;
	}
	vm->main_thread = pthread_self();
	iobus_init(&vm->pio, "port");
	iobus_init(&vm->mmio, "MMIO");

	status = STATUS_HV_FAILURE;
	vm->dev_fd = hv_open();
	if (vm->dev_fd < 0)
		goto fail;
	status = vm_check_module(vm, nr_vcpus);
	if (status)
		goto fail;
	status = STATUS_HV_FAILURE;

	vm->fd = hv_ioctl(vm->dev_fd, RS_CREATE_VM, 0);
	if (vm->fd < 0) {
		pr_perror("RS_CREATE_VM");
		goto fail;
	}
	if (vm_setup_ram(vm, ram_size) < 0)
		goto fail;
	if (kernel_lapic && !hv_is_kvm() &&
	    hv_ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, RS_CAP_LAPIC) > 0) {
		if (hv_ioctl(vm->fd, RS_CREATE_LAPIC, 0) < 0) {
			pr_perror("RS_CREATE_LAPIC");
			goto fail;
		}
		vm->kernel_lapic = true;
	}

	vm->vcpus = calloc(nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		pr_perror("cannot allocate %u vCPUs", nr_vcpus);
		goto fail;
	}
	for (i = 0; i < nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	vm->nr_vcpus = nr_vcpus;
	for (i = 0; i < nr_vcpus; i++)
		if (vcpu_create(vm, &vm->vcpus[i], i) < 0)
			goto fail;

	*vmp = vm;
	return 0;
fail:
	vm_destroy(vm);
	return status;
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->run)
			hv_unmap_run(vcpu->fd, vcpu->run, vm->run_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
	}
	free(vm->vcpus);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->dev_fd >= 0)
		close(vm->dev_fd);
	timers_destroy(&vm->timers);
	pthread_cond_destroy(&vm->wake);
	pthread_cond_destroy(&vm->parked_cond);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->irq_lock);
	free(vm);
}

void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa <= vm->low_size && len <= vm->low_size - gpa)
		return vm->ram + gpa;
	if (gpa >= VM_HIGH_RAM_START &&
	    gpa - VM_HIGH_RAM_START <= vm->high_size &&
	    len <= vm->high_size - (gpa - VM_HIGH_RAM_START))
		return vm->ram + vm->low_size + (gpa - VM_HIGH_RAM_START);
	return NULL;
}

/*
 * Flat 4 GiB segments as the Multiboot spec (3.2, "Machine state") wants
 * them: CS a 32-bit execute/read code segment, the others 32-bit
 * read/write data segments, base 0, limit 0xffffffff.  The attributes are
 * in the VMCB's packed form (uapi: type, S, DPL, P, AVL, L, D/B, G).  The
 * selectors are the ones Linux's 32-bit boot protocol names (__BOOT_CS 0x10,
 * __BOOT_DS 0x18); GDTR is the loader's (Linux wants one holding those two
 * descriptors) or left empty for the guest to load (Multiboot says the
 * kernel must not rely on it).
 */
#define SEG_CODE32	(RS_SEG_TYPE(0xb) | RS_SEG_S | RS_SEG_P | RS_SEG_DB | RS_SEG_G)
#define SEG_DATA32	(RS_SEG_TYPE(0x3) | RS_SEG_S | RS_SEG_P | RS_SEG_DB | RS_SEG_G)
#define SEG_TSS32_BUSY	(RS_SEG_TYPE(0xb) | RS_SEG_P)

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR0_PG	(1ULL << 31)

static void flat_segment(struct rs_segment *seg, uint16_t selector,
			 uint16_t attr)
{
	*seg = (struct rs_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector,
		.attr = attr,
	};
}

int vcpu_enter_flat32(struct vcpu *vcpu, const struct rs_regs *regs,
		      const struct rs_dtable *gdt)
{
	struct rs_sregs sregs;

	if (hv_ioctl(vcpu->fd, RS_GET_SREGS, &sregs) < 0) {
		pr_perror("vCPU %u: RS_GET_SREGS", vcpu->id);
		return -1;
	}
	flat_segment(&sregs.cs, 0x10, SEG_CODE32);
	flat_segment(&sregs.ds, 0x18, SEG_DATA32);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	/*
	 * VMX checks TR on entry even though nothing here uses it: a present
	 * busy 32-bit TSS (SDM vol. 3C, 26.3.1.2); LDTR unusable.
	 */
	sregs.tr = (struct rs_segment){ .limit = 0xffff, .attr = SEG_TSS32_BUSY };
	sregs.ldt = (struct rs_segment){ 0 };
	/* An empty IDT: any exception escalates to a triple fault we report. */
	sregs.gdt = gdt ? *gdt : (struct rs_dtable){ 0 };
	sregs.idt = (struct rs_dtable){ 0 };
	/* PE on, paging and caching as after reset otherwise (ET is fixed 1). */
	sregs.cr0 = (sregs.cr0 | X86_CR0_PE | X86_CR0_ET) &
		    ~(X86_CR0_PG | X86_CR0_NW | X86_CR0_CD);
	sregs.cr2 = 0;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	sregs.flags = 0;
	memset(sregs.reserved, 0, sizeof(sregs.reserved));
	if (hv_ioctl(vcpu->fd, RS_SET_SREGS, &sregs) < 0) {
		pr_perror("vCPU %u: RS_SET_SREGS", vcpu->id);
		return -1;
	}
	if (hv_ioctl(vcpu->fd, RS_SET_REGS, regs) < 0) {
		pr_perror("vCPU %u: RS_SET_REGS", vcpu->id);
		return -1;
	}
	return 0;
}

/*
 * A SIPI's start: real mode at vector << 12, CS = vector << 8, IP 0, the
 * rest as after INIT (SDM vol. 3A, 8.4.4.1 and table 9-1), which is the
 * state a new vCPU has.
 */
int vcpu_enter_sipi(struct vcpu *vcpu, unsigned int vector)
{
	struct rs_sregs sregs;
	struct rs_regs regs;

	if (hv_ioctl(vcpu->fd, RS_GET_SREGS, &sregs) < 0 ||
	    hv_ioctl(vcpu->fd, RS_GET_REGS, &regs) < 0) {
		pr_perror("vCPU %u: RS_GET_SREGS/REGS", vcpu->id);
		return -1;
	}
	sregs.cs.selector = vector << 8;
	sregs.cs.base = (uint64_t)vector << 12;
	regs.rip = 0;
	if (hv_ioctl(vcpu->fd, RS_SET_SREGS, &sregs) < 0 ||
	    hv_ioctl(vcpu->fd, RS_SET_REGS, &regs) < 0) {
		pr_perror("vCPU %u: RS_SET_SREGS/REGS", vcpu->id);
		return -1;
	}
	return 0;
}

bool vm_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE);
}


/*
 * With vm->lock held: every vCPU thread but this one out of RS_RUN
 * (immediate_exit for one about to enter, SIG_KICK for one in it) and
 * out of its wait (the broadcast).
 */
static void vm_kick_all(struct vm *vm)
{
	pthread_t self = pthread_self();
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->run)
			__atomic_store_n(&vcpu->run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
		if (vcpu->thread_started && !pthread_equal(vcpu->thread, self))
			pthread_kill(vcpu->thread, SIG_KICK);
	}
	pthread_cond_broadcast(&vm->wake);
}

/*
 * A vCPU thread is either in RS_RUN, about to enter it, or waiting on
 * vm->wake.  immediate_exit covers "about to" (RS_RUN returns EINTR at
 * once), SIG_KICK covers "in", the broadcast covers waiting.
 */
void vm_request_stop(struct vm *vm, int status)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&vm->lock);
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->status = status;
	/* vm_pause_wait() waits no more: nothing will park. */
	pthread_cond_broadcast(&vm->parked_cond);
	__atomic_store_n(&vm->stopping, 1, __ATOMIC_SEQ_CST);
	vm_kick_all(vm);
	pthread_mutex_unlock(&vm->lock);

	if (!pthread_equal(self, vm->main_thread))
		pthread_kill(vm->main_thread, SIG_STOPPED);
}

bool vm_paused(struct vm *vm)
{
	return __atomic_load_n(&vm->paused, __ATOMIC_SEQ_CST);
}

bool vcpu_held(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	return __atomic_load_n(&vm->paused, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&vm->run_only, __ATOMIC_SEQ_CST) !=
	       (int)vcpu->id;
}

/*
 * As vm_request_stop() reaches every vCPU thread: immediate_exit for one
 * about to enter (the run loop clears it, then looks at vm->paused),
 * SIG_KICK for one in RS_RUN, the broadcast for one waiting (vcpu_wait()
 * parks when it sees vm->paused).  A vCPU thread asking for itself is
 * outside RS_RUN already and parks when its exit handler returns.  The
 * one vm_resume_one() let go is held again with the others.
 */
void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if ((vm->paused && vm->run_only < 0) || vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	__atomic_store_n(&vm->run_only, -1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->paused, 1, __ATOMIC_SEQ_CST);
	vm_kick_all(vm);
	pthread_mutex_unlock(&vm->lock);
}

/* Threads not started yet park before they enter (vcpu_run_loop()). */
static bool vm_all_parked(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started && !vm->vcpus[i].parked)
			return false;
	return true;
}

void vm_pause_wait(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	while (vm->paused && !vm->stopping && !vm_all_parked(vm))
		pthread_cond_wait(&vm->parked_cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->run_only, -1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->paused, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->wake);
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume_one(struct vm *vm, unsigned int id)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->paused)
		__atomic_store_n(&vm->run_only, (int)id, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->wake);
	pthread_mutex_unlock(&vm->lock);
}

/*
 * SIG_KICK only has to interrupt RS_RUN: for ringside the handler has
 * nothing to do; KVM is told through its run page (kvm.c).
 */
static void kick_handler(int sig)
{
	(void)sig;
	if (hv_is_kvm())
		kvm_kicked();
}

static int install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: RS_RUN must come back with EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_KICK, &sa, NULL) < 0) {
		pr_perror("sigaction");
		return -1;
	}
	return 0;
}

/* Threads start with every signal blocked; vCPU threads open SIG_KICK. */
static int vm_start_vcpus(struct vm *vm)
{
	sigset_t all, old;
	unsigned int i;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus && !vm->stopping; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		err = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
		if (err) {
			errno = err;
			pr_perror("cannot start vCPU %u's thread", i);
			break;
		}
		vcpu->thread_started = true;
	}
	pthread_mutex_unlock(&vm->lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err ? -1 : 0;
}

/*
 * A vCPU thread that ended the run sent SIG_STOPPED, which the loop below
 * may not have consumed: take it, so that it cannot end the process with
 * its default action once the launcher unblocks signals.
 */
static void drain_stopped_signal(void)
{
	const struct timespec now = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_STOPPED);
	while (sigtimedwait(&set, NULL, &now) == SIG_STOPPED)
		;
}

int vm_run(struct vm *vm)
{
	unsigned int i;
	sigset_t set;
	int sig;

	vm->main_thread = pthread_self();
	if (install_kick_handler() < 0)
		return STATUS_HV_FAILURE;
	vm_block_signals();
	if (timers_start(&vm->timers) < 0 || vm_start_vcpus(vm) < 0)
		vm_request_stop(vm, STATUS_HV_FAILURE);

	wait_signals(&set);
	while (!vm_stopping(vm)) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGINT || sig == SIGTERM) {
			vm->stop_signal = sig;
			vm_request_stop(vm, 128 + sig);
		}
	}

	/* Nothing may signal a vCPU thread once it can have been joined. */
	pthread_mutex_lock(&vm->irq_lock);
	vm->no_kicks = true;
	pthread_mutex_unlock(&vm->irq_lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	timers_stop(&vm->timers);
	drain_stopped_signal();
	return vm->status;
}
