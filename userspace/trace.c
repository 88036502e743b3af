// SPDX-License-Identifier: GPL-2.0
/*
 * `ringside trace`: print the module's sampled exit events (the netlink
 * group "events", nl.c) until Ctrl-C.
 */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include "nl.h"
#include "observe.h"
#include "util.h"

void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside trace [--vm ID] [--count N]\n"
		"\n"
		"Print sampled VM exits as the module sends them, one a line:\n"
		"time (s, CLOCK_MONOTONIC), VM, vCPU, reason, the hardware's exit\n"
		"code, guest RIP and exit information (SVM EXITINFO1/2; VMX exit\n"
		"qualification and guest-physical address).  The module sends at\n"
		"most ringside.event_rate per second and VM (a module parameter).\n"
		"Needs CAP_NET_ADMIN.  Ctrl-C quits.\n"
		"\n"
		"  -v, --vm ID      only this VM's exits\n"
		"  -n, --count N    quit after N events\n"
		"\n"
		"Exit status: 0, or 6 if the module is not loaded or the events\n"
		"cannot be read.\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct filter {
	unsigned long vm;		/* 0: all */
	unsigned long left;		/* 0: no limit */
	bool limited;
};

static void print_event(const struct rsnl_event *ev, void *arg)
{
	struct filter *f = arg;

	if ((f->vm && ev->vm != f->vm) || (f->limited && !f->left))
		return;
	printf("%" PRIu64 ".%06" PRIu64 " vm %u vcpu %u %-10s code %#" PRIx64
	       " rip %#" PRIx64 " info %#" PRIx64 " %#" PRIx64 "\n",
	       ev->timestamp_ns / 1000000000,
	       ev->timestamp_ns / 1000 % 1000000, ev->vm, ev->vcpu,
	       ev->name[0] ? ev->name : "?", ev->code, ev->rip, ev->info1,
	       ev->info2);
	if (f->limited && !--f->left)
		stop = 1;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, 'v' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct filter f = { 0 };
	struct rsnl nl;
	struct pollfd pfd;
	int opt, r = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":v:n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			if (parse_uint(optarg, 1, UINT32_MAX, &f.vm) < 0) {
				pr_err("--vm %s: give a VM id (ringside stat "
				       "lists them)", optarg);
				return STATUS_USAGE;
			}
			break;
		case 'n':
			if (parse_uint(optarg, 1, UINT32_MAX, &f.left) < 0) {
				pr_err("--count %s: give a number of events",
				       optarg);
				return STATUS_USAGE;
			}
			f.limited = true;
			break;
		case 'h':
			trace_usage(stdout);
			return 0;
		case ':':
			pr_err("trace: %s needs an argument; see 'ringside help "
			       "trace'", argv[optind - 1]);
			return STATUS_USAGE;
		default:
			pr_err("trace: unknown option %s; see 'ringside help "
			       "trace'", argv[optind - 1]);
			return STATUS_USAGE;
		}
	}
	if (optind != argc) {
		pr_err("trace: takes no arguments; see 'ringside help trace'");
		return STATUS_USAGE;
	}

	if (rsnl_open(&nl) < 0)
		return STATUS_HV_FAILURE;
	if (rsnl_subscribe_events(&nl) < 0) {
		rsnl_close(&nl);
		return STATUS_HV_FAILURE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Line by line, so that a pipe sees each event as it comes. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	pfd.fd = rsnl_fd(&nl);
	pfd.events = POLLIN;
	while (!stop) {
		/* poll(), not a blocking read: libnl retries after EINTR. */
		if (poll(&pfd, 1, -1) < 0)
			continue;
		if (rsnl_read_events(&nl, print_event, &f) < 0) {
			r = STATUS_HV_FAILURE;
			break;
		}
	}
	rsnl_close(&nl);
	return r;
}
