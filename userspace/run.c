// SPDX-License-Identifier: GPL-2.0
/*
 * ringside run: put a PC together (RAM, vCPUs, devices), load the kernel
 * into it, run it until it powers off, exits through isa-debug-exit,
 * crashes, or a signal ends it.
 */
#include <signal.h>
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

/* Only Multiboot kernels for now; say so before any VM exists. */
static int check_kernel(const struct run_options *o, const void *image,
			size_t size)
{
	if (multiboot_detect(image, size))
		return 0;
	pr_err("%s: not a Multiboot kernel (no Multiboot header in its first "
	       "8 KiB); only Multiboot kernels boot for now", o->kernel);
	return -1;
}

static int load_kernel(struct vm *vm, const struct run_options *o,
		       const void *image, size_t size, struct rs_regs *regs)
{
	struct boot_args args = {
		.kernel = o->kernel, .image = image, .image_size = size,
		.append = o->append, .initrd = o->initrd,
	};

	return multiboot_load(vm, &args, regs);
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
	struct rs_regs regs;
	size_t image_size;
	void *image;
	int status, sig = 0;

	if (read_whole_file(o->kernel, &image, &image_size) < 0)
		return STATUS_USAGE;
	if (check_kernel(o, image, image_size) < 0) {
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
	if (load_kernel(m.vm, o, image, image_size, &regs) < 0) {
		status = STATUS_USAGE;
		goto out;
	}
	if (vcpu_enter_flat32(&m.vm->vcpus[0], &regs) < 0)
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
