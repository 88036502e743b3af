// SPDX-License-Identifier: GPL-2.0
/*
 * ringside: the launcher's command line.  Each subcommand lives in its own
 * file; this one only dispatches and prints help.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/ringside.h>

#include "check.h"
#include "util.h"

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

static const struct command commands[] = {
	{ "check", "show CPU virtualization support and module capabilities",
	  do_check, check_usage },
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
