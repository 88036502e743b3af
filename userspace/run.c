// SPDX-License-Identifier: GPL-2.0
/*
 * ringside run: put a PC together (RAM, vCPUs, devices), load the kernel
 * into it, run it until it powers off, exits through isa-debug-exit,
 * crashes, or a signal ends it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices.h"
#include "gdbstub.h"
#include "iommu.h"
#include "loader.h"
#include "pci.h"
#include "lapic.h"
#include "route.h"
#include "run.h"
#include "timer.h"
#include "hv.h"
#include "util.h"
#include "vm.h"

struct machine {
	struct vm *vm;
	struct uart *uart;
	struct fwcfg *fwcfg;
	struct pit *pit;
	struct rtc *rtc;
	struct acpi_pm *acpi_pm;
	struct virtio_dev *disks[RUN_MAX_DISKS];
	struct virtio_dev *rng;
	struct virtio_dev *nets[RUN_MAX_NETS];
	struct virtio_dev *console;
};

/*
 * The I/O APIC, and a local APIC per vCPU with their MMIO page -- unless
 * the module has the local APICs (vm_create() asked for them): then the
 * I/O APIC sends them MSIs, through interrupt remapping (iommu.h) if the
 * guest wants it, and the launcher has no APIC of its own.
 */
static int machine_add_apics(struct vm *vm)
{
	unsigned int i;

	if (vm->kernel_lapic) {
		vm->deliver = irq_deliver_msi;
		vm->iommu = iommu_create(vm);
		if (!vm->iommu)
			return -1;
		vm->ioapic = ioapic_create(vm);
		return vm->ioapic ? 0 : -1;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].lapic = lapic_create(&vm->vcpus[i]);
		if (!vm->vcpus[i].lapic)
			return -1;
	}
	vm->deliver = lapic_deliver;
	vm->ioapic = ioapic_create(vm);
	if (!vm->ioapic)
		return -1;
	return lapic_register_mmio(vm);
}

/* The PCI bus, and on it the virtio devices asked for. */
static int machine_add_pci(struct machine *m, const struct run_options *o)
{
	struct vm *vm = m->vm;
	unsigned int i;

	vm->pci = pci_create(vm);
	if (!vm->pci)
		return -1;
	for (i = 0; i < o->nr_disks; i++) {
		m->disks[i] = virtio_blk_create(vm, &o->disks[i]);
		if (!m->disks[i])
			return -1;
	}
	if (o->rng) {
		m->rng = virtio_rng_create(vm);
		if (!m->rng)
			return -1;
	}
	for (i = 0; i < o->nr_nets; i++) {
		m->nets[i] = virtio_net_create(vm, &o->nets[i], i);
		if (!m->nets[i])
			return -1;
	}
	/* hvc0 takes the terminal's keys; the UART keeps its output. */
	if (o->console) {
		m->console = virtio_console_create(vm, STDOUT_FILENO);
		if (!m->console)
			return -1;
		uart_set_input(m->uart, virtio_console_input, m->console);
	}
	return 0;
}

/* The interrupt controllers first: devices raise lines on them. */
static int machine_add_devices(struct machine *m, const struct run_options *o)
{
	struct vm *vm = m->vm;

	vm->pic = pic_create(vm);
	if (!vm->pic || machine_add_apics(vm) < 0)
		return -1;
	m->pit = pit_create(vm);
	m->rtc = rtc_create(vm);
	if (!m->pit || !m->rtc)
		return -1;
	m->uart = uart_create(vm, COM1_BASE, COM1_IRQ, STDIN_FILENO,
			      STDOUT_FILENO);
	if (!m->uart)
		return -1;
	m->fwcfg = fwcfg_create(&vm->pio, o->mem, o->cpus);
	if (!m->fwcfg)
		return -1;
	if (debugexit_create(vm) < 0 || poweroff_create(vm) < 0 ||
	    reset_create(vm) < 0)
		return -1;
	m->acpi_pm = acpi_pm_create(vm);
	if (!m->acpi_pm)
		return -1;
	return machine_add_pci(m, o);
}

/*
 * Every vCPU's CPUID (APIC IDs, topology, TSC) and IA32_APIC_BASE; the
 * firmware tables.  The APICs start in xAPIC mode, as PC firmware leaves
 * them.  (Linux 6.1 keeps x2APIC without interrupt remapping only under
 * hypervisors it knows, x86_init.hyper.x2apic_available(): it turns even
 * an x2APIC that firmware enabled back to xAPIC, so starting there would
 * change nothing.)
 */
static int machine_setup_cpus(struct machine *m)
{
	bool invtsc = host_tsc_invariant();
	struct rs_msr_entry e = { .index = 0x1b };	/* IA32_APIC_BASE */
	struct rs_msrs msrs = { .nmsrs = 1, .entries = (uintptr_t)&e };
	unsigned int i;

	for (i = 0; i < m->vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &m->vm->vcpus[i];

		if (vcpu_setup_cpuid(vcpu, true, invtsc) < 0)
			return -1;
		e.data = lapic_base_msr(vcpu);
		if (hv_ioctl(vcpu->fd, RS_SET_MSRS, &msrs) != 1) {
			pr_perror("vCPU %u: RS_SET_MSRS IA32_APIC_BASE "
				  "(a module without it?)", i);
			return -1;
		}
	}
	return acpi_build_tables(m->vm);
}

static void machine_destroy_irqchips(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		lapic_destroy(vm->vcpus[i].lapic);
	ioapic_destroy(vm->ioapic);
	iommu_destroy(vm->iommu);
	pic_destroy(vm->pic);
}

/*
 * The device threads first: they raise interrupts.  The timers stopped
 * when vm_run() returned.
 */
static void machine_destroy(struct machine *m)
{
	unsigned int i;

	/* The virtio I/O threads raise interrupts and touch guest RAM. */
	for (i = 0; i < RUN_MAX_DISKS; i++)
		virtio_blk_destroy(m->disks[i]);
	virtio_rng_destroy(m->rng);
	for (i = 0; i < RUN_MAX_NETS; i++)
		virtio_net_destroy(m->nets[i]);
	/* The UART's reader passes keys to the console: it goes first. */
	uart_destroy(m->uart);
	virtio_console_destroy(m->console);
	if (m->vm)
		pci_destroy(m->vm->pci);
	fwcfg_destroy(m->fwcfg);
	acpi_pm_destroy(m->acpi_pm);
	rtc_destroy(m->rtc);
	pit_destroy(m->pit);
	if (m->vm)
		machine_destroy_irqchips(m->vm);
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

/*
 * Linux 6.1 finds the TSC frequency of an AMD CPU only by calibration
 * against the PIT (or HPET / ACPI PM timer), with loops whose port reads
 * must each take under ~10 us: nested, they take far longer, calibration
 * fails and the TSC is not used.  So the launcher tells it: the guest's
 * TSC is the host's (Documentation/launcher.rst, "Time").  A command line
 * that says tsc_early_khz= itself wins.
 */
static char *linux_cmdline(const char *append)
{
	unsigned long khz;
	char *cmdline;

	if (append && strstr(append, "tsc_early_khz="))
		return strdup(append);
	khz = host_tsc_khz();
	if (!khz)
		return strdup(append ? append : "");
	if (asprintf(&cmdline, "%s%stsc_early_khz=%lu", append ? append : "",
		     append && *append ? " " : "", khz) < 0)
		return NULL;
	return cmdline;
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
		char *cmdline = linux_cmdline(o->append);
		int r;

		if (!cmdline) {
			pr_perror("command line");
			return STATUS_HV_FAILURE;
		}
		args.append = cmdline;
		r = bzimage_load(vm, &args, &regs, &gdt);
		free(cmdline);
		if (r < 0)
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

/*
 * --gdb: gdb gets the layout of the kernel's symbols when the guest is not
 * in long mode yet: a Multiboot kernel is ELF32 (i386), a bzImage's
 * vmlinux x86-64.  Last before the vCPUs start, with the boot state set.
 */
static int start_gdb(struct vm *vm, const struct run_options *o,
		     enum kernel_kind kind, struct gdb_server **g)
{
	struct gdbstub_options go = o->gdb_opts;

	go.layout = kind == KERNEL_BZIMAGE ? GDB_LAYOUT_X86_64 : GDB_LAYOUT_I386;
	return gdbstub_start(vm, &go, g);
}

int run_guest(const struct run_options *o)
{
	struct machine m = { 0 };
	struct gdb_server *gdb = NULL;
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

	if (o->kvm)
		hv_use_kvm();
	/* A closed stdout must not kill the launcher: the UART drops output. */
	signal(SIGPIPE, SIG_IGN);
	vm_block_signals();

	status = vm_create(&m.vm, o->mem, o->cpus, !o->user_apic);
	if (status)
		goto out;
	/* gdb's breakpoints are INT3s whose #BP comes to the launcher. */
	if (o->route || o->gdb) {
		status = route_start(m.vm, o->route ? &o->exit_route : NULL,
				     o->gdb ? GDBSTUB_ROUTED_EXCEPTIONS : 0,
				     o->route_log);
		if (status)
			goto out;
	}
	status = STATUS_HV_FAILURE;
	if (machine_add_devices(&m, o) < 0)
		goto out;
	status = STATUS_HV_FAILURE;
	if (machine_setup_cpus(&m) < 0)
		goto out;
	status = load_kernel(m.vm, o, image, image_size, kind);
	if (status)
		goto out;
	if (o->gdb) {
		status = start_gdb(m.vm, o, kind, &gdb);
		if (status)
			goto out;
	}
	/* Without input the guest still runs; it just never gets a key. */
	uart_start_input(m.uart);

	status = vm_run(m.vm);
	sig = m.vm->stop_signal;
out:
	/* Before the VM goes: a gdb waiting on the guest hears how it ended. */
	gdbstub_stop(gdb, status, sig);
	machine_destroy(&m);
	route_stop();
	free(image);
	if (sig)
		reraise(sig);
	return status;
}
