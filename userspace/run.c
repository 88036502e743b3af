// SPDX-License-Identifier: GPL-2.0
/*
 * ringside run: put a PC together (RAM, vCPUs, devices), load the kernel
 * into it, run it until it powers off, exits through isa-debug-exit,
 * crashes, or a signal ends it.
 */
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices.h"
#include "loader.h"
#include "run.h"
#include "util.h"
#include "vm.h"

struct machine {
	struct vm *vm;
	struct uart *uart;
	struct fwcfg *fwcfg;
};

static int machine_add_devices(struct machine *m, const struct run_options *o)
{
	struct vm *vm = m->vm;

	m->uart = uart_create(&vm->pio, COM1_BASE, STDIN_FILENO, STDOUT_FILENO);
	if (!m->uart)
		return -1;
	m->fwcfg = fwcfg_create(&vm->pio, o->mem, o->cpus);
	if (!m->fwcfg)
		return -1;
	if (debugexit_create(vm) < 0 || poweroff_create(vm) < 0)
		return -1;
	return 0;
}

static void machine_destroy(struct machine *m)
{
	uart_destroy(m->uart);
	fwcfg_destroy(m->fwcfg);
	vm_destroy(m->vm);
}

/*
 * The loaders, tried in order: a bzImage is recognized by its setup
 * header ("HdrS" at 0x202), a Multiboot kernel by its header in the first
 * 8 KiB.  Say what is wrong before any VM exists.
 */
enum kernel_kind { KERNEL_BZIMAGE, KERNEL_MULTIBOOT };

static int check_kernel(const struct run_options *o, const void *image,
			size_t size, enum kernel_kind *kind)
{
	if (bzimage_detect(image, size)) {
		*kind = KERNEL_BZIMAGE;
		if (o->initrd && strchr(o->initrd, ',')) {
			pr_err("--initrd %s: a bzImage takes one initrd file",
			       o->initrd);
			return -1;
		}
		return 0;
	}
	if (multiboot_detect(image, size)) {
		*kind = KERNEL_MULTIBOOT;
		return 0;
	}
	pr_err("%s: not a Multiboot kernel (no Multiboot header in its first "
	       "8 KiB) nor a Linux bzImage (no \"HdrS\" setup header)",
	       o->kernel);
	return -1;
}

/* Load the kernel and set the boot processor up to start it. */
static int load_kernel(struct vm *vm, const struct run_options *o,
		       const void *image, size_t size, enum kernel_kind kind)
{
	struct boot_args args = {
		.kernel = o->kernel, .image = image, .image_size = size,
		.append = o->append, .initrd = o->initrd,
	};
	struct rs_dtable gdt;
	struct rs_regs regs;

	if (kind == KERNEL_BZIMAGE) {
		if (bzimage_load(vm, &args, &regs, &gdt) < 0)
			return STATUS_USAGE;
		return vcpu_enter_flat32(&vm->vcpus[0], &regs, &gdt) < 0 ?
		       STATUS_HV_FAILURE : 0;
	}
	if (multiboot_load(vm, &args, &regs) < 0)
		return STATUS_USAGE;
	return vcpu_enter_flat32(&vm->vcpus[0], &regs, NULL) < 0 ?
	       STATUS_HV_FAILURE : 0;
}

/* A signal ended the run: end the same way, now that all is cleaned up. */
static void reraise(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

int run_guest(const struct run_options *o)
{
	struct machine m = { 0 };
	enum kernel_kind kind;
	size_t image_size;
	void *image;
	int status, sig = 0;

	if (read_whole_file(o->kernel, &image, &image_size) < 0)
		return STATUS_USAGE;
	if (check_kernel(o, image, image_size, &kind) < 0) {
		free(image);
		return STATUS_USAGE;
	}

	/* A closed stdout must not kill the launcher: the UART drops output. */
	signal(SIGPIPE, SIG_IGN);
	vm_block_signals();

	status = vm_create(&m.vm, o->mem, o->cpus);
	if (status)
		goto out;
	status = STATUS_HV_FAILURE;
	if (machine_add_devices(&m, o) < 0)
		goto out;
	status = load_kernel(m.vm, o, image, image_size, kind);
	if (status)
		goto out;
	/* Without input the guest still runs; it just never gets a key. */
	uart_start_input(m.uart);

	status = vm_run(m.vm);
	sig = m.vm->stop_signal;
out:
	machine_destroy(&m);
	free(image);
	if (sig)
		reraise(sig);
	return status;
}
