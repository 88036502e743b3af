// SPDX-License-Identifier: GPL-2.0
/*
 * ringside: the launcher's command line.  Each subcommand lives in its own
 * file; this one only dispatches and prints help.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ringside.h>

#include "check.h"
#include "observe.h"
#include "route.h"
#include "run.h"
#include "util.h"
#include "vm.h"

#ifndef RINGSIDE_VERSION
#define RINGSIDE_VERSION "0.1"
#endif

struct command {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);
};

static int do_help(int argc, char **argv);

static int do_check(int argc, char **argv)
{
	if (argc > 1) {
		pr_err("check takes no arguments");
		return STATUS_USAGE;
	}
	(void)argv;
	return cmd_check();
}

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside check\n"
		"\n"
		"Print what the CPU offers (CPUID: vendor, SVM and its features, VMX)\n"
		"and what the ringside module found and uses (API version and\n"
		"capabilities).  Exits 0, or 6 if the module is not loaded.\n");
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside run [--mem SIZE] [--cpus N] [--append CMDLINE]\n"
		"                    [--initrd FILE[ ARGS][,FILE[ ARGS]...]] [--kvm]\n"
		"                    [--user-apic] [--disk FILE[,OPTIONS]]... [--rng]\n"
		"                    [--net user[,hostfwd=...]|tap=IFNAME]...\n"
		"                    [--console] [--route SPEC[,SPEC...]]...\n"
		"                    [--route-log FILE] [--gdb PORT [--gdb-wait]]\n"
		"                    KERNEL\n"
		"\n"
		"Boot a Linux bzImage (boot protocol 2.06+) or a Multiboot (0.6.96)\n"
		"kernel on a PC: 8259A, 8254, RTC, a local APIC per vCPU, an I/O\n"
		"APIC, ACPI tables (power off, reset), a 16550A on COM1 with IRQ 4\n"
		"(stdin/stdout), QEMU's fw_cfg and isa-debug-exit (port 0xf4), a PCI\n"
		"host bridge (ports 0xcf8/0xcfc and ECAM) and the virtio devices asked\n"
		"for.\n"
		"\n"
		"  -m, --mem SIZE       guest RAM, e.g. 128M, 1G (a bare number is\n"
		"                       MiB); RAM above 3 GiB goes to 4 GiB up;\n"
		"                       default 128M\n"
		"  -c, --cpus N         vCPUs, 1-%d, default 1; vCPU 0 boots the\n"
		"                       kernel, the others start at their SIPI\n"
		"  -a, --append CMDLINE the kernel's command line (Multiboot: after\n"
		"                       its path); a bzImage also gets\n"
		"                       tsc_early_khz= unless CMDLINE has it\n"
		"  -i, --initrd LIST    bzImage: one initrd file; Multiboot: modules,\n"
		"                       comma-separated, each \"FILE ARGS\" (\",,\" is\n"
		"                       a comma), as QEMU\n"
		"  -k, --kvm            run on KVM (/dev/kvm) instead of ringside:\n"
		"                       the same machine, for comparisons (KVM\n"
		"                       without its irqchip: the APICs are the\n"
		"                       launcher's)\n"
		"  -u, --user-apic      the local APICs in the launcher, even where\n"
		"                       the module has them (RS_CAP_LAPIC, see\n"
		"                       `ringside check`).  By default they are the\n"
		"                       module's: timer, IPIs, INIT/SIPI, HLT and\n"
		"                       EOIs stay in the kernel, the guest gets\n"
		"                       x2APIC and the TSC deadline timer; the\n"
		"                       8259A, I/O APIC (its interrupts as MSIs)\n"
		"                       and 8254 stay in the launcher either way\n"
		"  -d, --disk FILE[,ro][,cache=none|writeback]\n"
		"                       a virtio block device on the raw image FILE\n"
		"                       (up to %d; Linux: /dev/vda, vdb, ...); ro:\n"
		"                       read-only; cache=none: O_DIRECT, past the\n"
		"                       host's page cache; writeback (default): through\n"
		"                       it; the guest's flushes are fdatasync()s\n"
		"  -r, --rng            a virtio entropy device (host getrandom())\n"
		"  -n, --net user[,hostfwd=[tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:PORT]...\n"
		"  -n, --net tap=IFNAME\n"
		"                       a virtio network device (up to %d; MAC\n"
		"                       52:54:00:12:34:56, +1 for each next one); user:\n"
		"                       user-mode networking (libslirp) as QEMU's:\n"
		"                       10.0.2.0/24, the guest 10.0.2.15 by DHCP, the\n"
		"                       host's loopback as 10.0.2.2, DNS 10.0.2.3;\n"
		"                       hostfwd=tcp::2222-:22 forwards the host's port\n"
		"                       2222 to the guest's 22; tap: the tap interface\n"
		"                       IFNAME (created for the run if there is none),\n"
		"                       with its checksum and TSO offloads\n"
		"  -C, --console        a virtio console (Linux: hvc0, console=hvc0)\n"
		"                       beside COM1, its output to stdout too; the\n"
		"                       terminal's keys go to it instead of COM1\n"
		"      --route SPEC[,SPEC...]\n"
		"                       watch guest events on every vCPU: the\n"
		"                       module routes them to the launcher (exit\n"
		"                       routing, Documentation/exit-routing.rst),\n"
		"                       which logs each as a line and has the\n"
		"                       module handle it as usual; several --route\n"
		"                       add up; not with --kvm.  A SPEC is\n"
		"                       exc=LIST      exceptions: vectors, or de db\n"
		"                                     bp of br ud nm df ts np ss gp\n"
		"                                     pf mf ac xm\n"
		"                       cr_read=LIST  MOV from CR3, CR8\n"
		"                       cr_write=LIST writes of CR0, CR3, CR4, CR8\n"
		"                       dr_read=LIST, dr_write=LIST  DR0-DR7\n"
		"                       msr=LIST      RDMSR and WRMSR of those MSRs\n"
		"                                     (msr_read=, msr_write=: one)\n"
		"                       cpuid=LIST    CPUID leaves (EAX)\n"
		"                       port=LIST     IN and OUT\n"
		"                       rdtsc, rdtscp, invlpg, hlt, pause, invd,\n"
		"                       wbinvd, xsetbv: that instruction\n"
		"                       LIST: ':'-separated numbers (decimal or 0x\n"
		"                       hex) or LO-HI ranges, e.g. exc=pf:13,\n"
		"                       msr=0x174-0x176:0xc0000080; up to %d ranges\n"
		"                       each of MSRs read, written, leaves, ports\n"
		"      --route-log FILE those lines to FILE instead of stderr:\n"
		"                       \"route: vcpu=N EVENT index= subindex=\n"
		"                       value= error= len= hw_code= hw_info=A,B\"\n"
		"      --gdb PORT       serve gdb's remote protocol on 127.0.0.1:PORT\n"
		"                       (0: a free port, said on stderr): gdb\n"
		"                       KERNEL-WITH-SYMBOLS -ex 'target remote :PORT'\n"
		"                       stops the guest; each vCPU is a thread;\n"
		"                       memory by virtual address; software and\n"
		"                       hardware breakpoints, watchpoints, single\n"
		"                       steps (the module's RS_SET_GUEST_DEBUG);\n"
		"                       gdb's kill ends the run with status 0.  Not\n"
		"                       with --kvm\n"
		"      --gdb-wait       the guest waits for gdb before its first\n"
		"                       instruction\n"
		"\n"
		"On a terminal, every key goes to the guest; Ctrl-A x ends the run,\n"
		"Ctrl-A Ctrl-A sends Ctrl-A.\n"
		"\n"
		"Exit status: 0 the guest powered off or reset (or Ctrl-A x);\n"
		"(V << 1) | 1 the guest wrote V to isa-debug-exit; 2 bad usage or\n"
		"unusable image; 4 the guest crashed (triple fault); 6 the\n"
		"hypervisor failed.  SIGINT or SIGTERM end the run and the launcher\n"
		"dies of that signal.\n",
		VM_MAX_VCPUS, RUN_MAX_DISKS, RUN_MAX_NETS, RS_ROUTE_MAX_RANGES);
}

/* --route: what it adds to o->exit_route, or why not. */
static int parse_route(struct run_options *o, const char *spec)
{
	char err[512];

	if (route_parse(spec, &o->exit_route, err, sizeof(err)) < 0) {
		pr_err("--route %s: %s; see 'ringside help run'", spec, err);
		return -1;
	}
	o->route = true;
	return 0;
}

enum { OPT_ROUTE = 256, OPT_ROUTE_LOG, OPT_GDB, OPT_GDB_WAIT };

static int do_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "append", required_argument, NULL, 'a' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "kvm", no_argument, NULL, 'k' },
		{ "user-apic", no_argument, NULL, 'u' },
		{ "disk", required_argument, NULL, 'd' },
		{ "rng", no_argument, NULL, 'r' },
		{ "net", required_argument, NULL, 'n' },
		{ "console", no_argument, NULL, 'C' },
		{ "route", required_argument, NULL, OPT_ROUTE },
		{ "route-log", required_argument, NULL, OPT_ROUTE_LOG },
		{ "gdb", required_argument, NULL, OPT_GDB },
		{ "gdb-wait", no_argument, NULL, OPT_GDB_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_options o = { .mem = 128 * MiB, .cpus = 1 };
	unsigned long n;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:c:a:i:kud:rCn:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (parse_size(optarg, &o.mem) < 0 ||
			    o.mem % PAGE_SIZE || o.mem < VM_MIN_RAM ||
			    o.mem > VM_MAX_RAM) {
				pr_err("--mem %s: give a size from 2M to 1T in "
				       "whole pages, like 128M or 1G", optarg);
				return STATUS_USAGE;
			}
			break;
		case 'c':
			if (parse_uint(optarg, 1, VM_MAX_VCPUS, &n) < 0) {
				pr_err("--cpus %s: give a number from 1 to %d",
				       optarg, VM_MAX_VCPUS);
				return STATUS_USAGE;
			}
			o.cpus = n;
			break;
		case 'a':
			o.append = optarg;
			break;
		case 'i':
			o.initrd = optarg;
			break;
		case 'k':
			o.kvm = true;
			break;
		case 'u':
			o.user_apic = true;
			break;
		case 'd':
			if (o.nr_disks == RUN_MAX_DISKS) {
				pr_err("--disk: at most %d disks", RUN_MAX_DISKS);
				status = STATUS_USAGE;
				goto out;
			}
			if (virtio_blk_parse(optarg, &o.disks[o.nr_disks]) < 0) {
				status = STATUS_USAGE;
				goto out;
			}
			o.nr_disks++;
			break;
		case 'r':
			o.rng = true;
			break;
		case 'n':
			if (o.nr_nets == RUN_MAX_NETS) {
				pr_err("--net: at most %d network devices",
				       RUN_MAX_NETS);
				status = STATUS_USAGE;
				goto out;
			}
			if (virtio_net_parse(optarg, &o.nets[o.nr_nets]) < 0) {
				status = STATUS_USAGE;
				goto out;
			}
			o.nr_nets++;
			break;
		case 'C':
			o.console = true;
			break;
		case OPT_ROUTE:
			if (parse_route(&o, optarg) < 0) {
				status = STATUS_USAGE;
				goto out;
			}
			break;
		case OPT_ROUTE_LOG:
			o.route_log = optarg;
			break;
		case OPT_GDB:
			if (parse_uint(optarg, 0, 65535, &n) < 0) {
				pr_err("--gdb %s: give a TCP port, 1-65535, or 0 "
				       "for any free one", optarg);
				status = STATUS_USAGE;
				goto out;
			}
			o.gdb = true;
			o.gdb_opts.port = n;
			break;
		case OPT_GDB_WAIT:
			o.gdb_opts.wait = true;
			break;
		case 'h':
			run_usage(stdout);
			status = 0;
			goto out;
		case ':':
			pr_err("run: %s needs an argument; see 'ringside help "
			       "run'", argv[optind - 1]);
			status = STATUS_USAGE;
			goto out;
		default:
			pr_err("run: unknown option %s; see 'ringside help run'",
			       argv[optind - 1]);
			status = STATUS_USAGE;
			goto out;
		}
	}
	if (optind != argc - 1) {
		pr_err("run: %s; see 'ringside help run'",
		       optind == argc ? "which kernel?" : "one kernel only");
		status = STATUS_USAGE;
		goto out;
	}
	/* KVM has no exit routing (kvm.c maps ringside's ioctls to KVM's). */
	if (o.route && o.kvm) {
		pr_err("run: --route needs ringside's exit routing, which KVM "
		       "does not have: drop --kvm or --route");
		status = STATUS_USAGE;
		goto out;
	}
	if (o.route_log && !o.route) {
		pr_err("run: --route-log without --route: nothing to log");
		status = STATUS_USAGE;
		goto out;
	}
	/* The stub's breakpoints need #BP routed to the launcher. */
	if (o.gdb && o.kvm) {
		pr_err("run: --gdb needs ringside's exit routing and vCPU "
		       "pausing, which the KVM mode does not have: drop --kvm "
		       "or --gdb");
		status = STATUS_USAGE;
		goto out;
	}
	if (o.gdb_opts.wait && !o.gdb) {
		pr_err("run: --gdb-wait without --gdb PORT: nobody to wait for");
		status = STATUS_USAGE;
		goto out;
	}
	o.kernel = argv[optind];
	status = run_guest(&o);
out:
	while (o.nr_disks)
		free(o.disks[--o.nr_disks].path);
	return status;
}

static const struct command commands[] = {
	{ "check", "show CPU virtualization support and module capabilities",
	  do_check, check_usage },
	{ "run", "boot a Linux bzImage or a Multiboot kernel", do_run,
	  run_usage },
	{ "stat", "show VM exits by reason, live or once (--once, --json)",
	  cmd_stat, stat_usage },
	{ "trace", "print sampled VM exits as they happen", cmd_trace,
	  trace_usage },
	{ "help", "show this help, or a command's", do_help, NULL },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: ringside COMMAND [ARGS...]\n"
		"       ringside help [COMMAND]\n"
		"\n"
		"commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"exit statuses: 0 success (the guest powered off), 2 bad usage or\n"
		"unusable image, 4 the guest crashed (triple fault), 6 the\n"
		"hypervisor failed or the module is not loaded; odd (V << 1) | 1\n"
		"when the guest wrote V to isa-debug-exit (port 0xf4).\n");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int do_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		pr_err("no command '%s'; try 'ringside help'", argv[1]);
		return STATUS_USAGE;
	}
	if (cmd->usage)
		cmd->usage(stdout);
	else
		usage(stdout);
	return 0;
}

static bool is_help_flag(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return STATUS_USAGE;
	}
	if (is_help_flag(argv[1]))
		return do_help(1, argv);
	if (!strcmp(argv[1], "--version")) {
		printf("ringside %s (API version %d)\n", RINGSIDE_VERSION,
		       RS_API_VERSION);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		pr_err("no command '%s'; try 'ringside help'", argv[1]);
		return STATUS_USAGE;
	}
	/* "ringside CMD --help" is "ringside help CMD". */
	if (argc > 2 && is_help_flag(argv[2]) && cmd->usage) {
		cmd->usage(stdout);
		return 0;
	}
	return cmd->fn(argc - 1, argv + 1);
}
