// SPDX-License-Identifier: GPL-2.0
/*
 * `ringside stat`: exits by reason for each VM, as kvm_stat shows KVM's: a
 * table refreshed every second until Ctrl-C, or one snapshot (--once), as
 * text or JSON.  The numbers come from the module's netlink family (nl.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"
#include "observe.h"
#include "util.h"

void stat_usage(FILE *f)
{
	fprintf(f,
		"usage: ringside stat [--once] [--json] [--interval SECS]\n"
		"\n"
		"Exits of every ringside VM you may see (root sees all, others\n"
		"their own), by reason: count, rate and the time the kernel took\n"
		"to handle one, on average and at the 50th and 99th percentiles;\n"
		"then the exits that reached user space, by RS_EXIT_* reason,\n"
		"with the time user space took until the next RS_RUN, likewise.\n"
		"A percentile is an upper bound, at most twice the true time: the\n"
		"times are counted in power-of-two buckets of TSC cycles.\n"
		"Refreshed every second until Ctrl-C.\n"
		"\n"
		"  -1, --once           one snapshot, rates averaged since each VM\n"
		"                       started, then exit\n"
		"  -j, --json           one snapshot as JSON (implies --once): a list\n"
		"                       of VMs, each with \"id\", \"pid\", \"vcpus\",\n"
		"                       \"exits\" (counts by reason) and more\n"
		"  -i, --interval SECS  refresh period, 1-3600, default 1\n"
		"\n"
		"Exit status: 0, or 6 if the module is not loaded.\n");
}

/* Two dumps a refresh apart: rates come from the difference. */
struct sample {
	struct rsnl_stats *v;
	size_t n;
	struct timespec when;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static int take(struct rsnl *nl, bool per_vcpu, struct sample *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	return rsnl_dump_stats(nl, per_vcpu, &s->v, &s->n);
}

static const struct rsnl_stats *find_vm(const struct sample *s, uint32_t id)
{
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (s->v[i].id == id && !s->v[i].has_vcpu)
			return &s->v[i];
	return NULL;
}

static const struct rsnl_reason *find_reason(const struct rsnl_stats *s,
					     const char *name)
{
	unsigned int i;

	for (i = 0; s && i < s->nr_reasons; i++)
		if (!strcmp(s->reasons[i].name, name))
			return &s->reasons[i];
	return NULL;
}

struct row {
	const struct rsnl_reason *r;
	double rate;
};

/*
 * The 50th and 99th percentiles of @r's times (less @old's: over the
 * interval), in ns, as columns; ">N" for the last bucket's, "?" without
 * the TSC's rate.
 */
static void print_quantiles(const struct rsnl_reason *r,
			    const struct rsnl_reason *old, uint32_t tsc_khz)
{
	static const double qs[] = { 0.5, 0.99 };
	uint64_t h[RS_NL_HIST_BUCKETS], c;
	char buf[32];
	unsigned int i, k;

	for (k = 0; k < RS_NL_HIST_BUCKETS; k++)
		h[k] = r->hist[k] - (old ? old->hist[k] : 0);
	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		c = rsnl_hist_quantile(h, qs[i]);
		if (!tsc_khz)
			snprintf(buf, sizeof(buf), "?");
		else if (c == UINT64_MAX)
			snprintf(buf, sizeof(buf), ">%.0f",
				 (double)(1ULL << (RS_NL_HIST_BUCKETS - 2)) *
				 1e6 / tsc_khz);
		else
			snprintf(buf, sizeof(buf), "%.0f", c * 1e6 / tsc_khz);
		printf(" %10s", buf);
	}
}

static int by_rate(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->r->count != y->r->count)
		return x->r->count < y->r->count ? 1 : -1;
	return strcmp(x->r->name, y->r->name);
}

static void print_uptime(uint64_t ns)
{
	uint64_t s = ns / 1000000000;

	printf("%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60,
	       s % 60);
}

/*
 * RS_RUN's returns by RS_EXIT_* reason and user space's time for each:
 * their share of the exits is what an exit costs beyond the kernel.
 * INTR (a signal or immediate_exit) is no exit of the guest's.
 */
static void print_user(const struct rsnl_stats *vm,
		       const struct rsnl_stats *old, double secs)
{
	uint64_t to_user = 0, exits = vm->exits - (old ? old->exits : 0);
	unsigned int i, j;

	if (!vm->nr_user)
		return;
	for (i = 0; i < vm->nr_user; i++) {
		const struct rsnl_reason *u = &vm->user[i];
		uint64_t d = u->count;

		for (j = 0; old && j < old->nr_user; j++)
			if (!strcmp(old->user[j].name, u->name))
				d -= old->user[j].count;
		if (strcmp(u->name, "INTR"))
			to_user += d;
	}
	printf("  to user space: %" PRIu64 " of %" PRIu64 " exits (%.1f%%)\n",
	       to_user, exits, exits ? 100.0 * to_user / exits : 0.0);
	printf("  %-14s %12s %12s %10s %10s %10s\n", "RS_EXIT_", "total",
	       "per second", "avg user ns", "p50 ns", "p99 ns");
	for (i = 0; i < vm->nr_user; i++) {
		const struct rsnl_reason *u = &vm->user[i];
		const struct rsnl_reason *p = NULL;

		for (j = 0; old && j < old->nr_user; j++)
			if (!strcmp(old->user[j].name, u->name))
				p = &old->user[j];
		printf("  %-14s %12" PRIu64 " %12.0f %10" PRIu64, u->name,
		       u->count, secs > 0 ? (u->count - (p ? p->count : 0)) / secs : 0,
		       u->count ? u->ns / u->count : 0);
		print_quantiles(u, p, vm->tsc_khz);
		printf("\n");
	}
}

/*
 * One VM: a header line and its reasons, busiest first.  Rates and the
 * guest share are over the last interval when @old has the VM, else since
 * the VM started.
 */
static void print_vm(const struct rsnl_stats *vm, const struct rsnl_stats *old,
		     double secs)
{
	struct row rows[ARRAY_SIZE(vm->reasons)];
	uint64_t guest_ns = vm->guest_ns, exits = vm->exits;
	unsigned int i;

	if (!old || secs <= 0) {
		secs = vm->uptime_ns / 1e9;
		old = NULL;
	}
	if (old) {
		guest_ns -= old->guest_ns;
		exits -= old->exits;
	}
	printf("VM %u  pid %u (%s)  %u vCPU%s  %" PRIu64 " MiB  up ", vm->id,
	       vm->pid, vm->comm, vm->vcpus, vm->vcpus == 1 ? "" : "s",
	       vm->memory >> 20);
	print_uptime(vm->uptime_ns);
	if (!vm->enabled) {
		printf("  (counting is off: ringside.stats=0)\n\n");
		return;
	}
	if (secs > 0 && vm->vcpus)
		printf("  guest %.1f%%  %.0f exits/s",
		       100.0 * guest_ns / (secs * 1e9 * vm->vcpus),
		       exits / secs);
	printf("\n");

	for (i = 0; i < vm->nr_reasons; i++) {
		const struct rsnl_reason *p = find_reason(old, vm->reasons[i].name);
		uint64_t d = vm->reasons[i].count - (p ? p->count : 0);

		rows[i].r = &vm->reasons[i];
		rows[i].rate = secs > 0 ? d / secs : 0;
	}
	qsort(rows, vm->nr_reasons, sizeof(rows[0]), by_rate);
	printf("  %-12s %14s %12s %10s %10s %10s\n", "reason", "total",
	       "per second", "avg ns", "p50 ns", "p99 ns");
	for (i = 0; i < vm->nr_reasons; i++) {
		const struct rsnl_reason *r = rows[i].r;

		printf("  %-12s %14" PRIu64 " %12.0f %10" PRIu64, r->name,
		       r->count, rows[i].rate, r->count ? r->ns / r->count : 0);
		print_quantiles(r, find_reason(old, r->name), vm->tsc_khz);
		printf("\n");
	}
	if (!vm->nr_reasons)
		printf("  no exits counted yet\n");
	print_user(vm, old, secs);
	printf("\n");
}

static void print_table(const struct sample *now, const struct sample *old)
{
	double secs = old ? elapsed(&old->when, &now->when) : 0;
	size_t i, vms = 0;

	for (i = 0; i < now->n; i++)
		vms += !now->v[i].has_vcpu;
	printf("ringside stat: %zu VM%s", vms, vms == 1 ? "" : "s");
	if (old)
		printf(", rates over %.1f s, Ctrl-C quits", secs);
	printf("\n\n");
	for (i = 0; i < now->n; i++)
		if (!now->v[i].has_vcpu)
			print_vm(&now->v[i], find_vm(old, now->v[i].id), secs);
	if (!vms)
		printf("No VMs (or none you may see: root sees every VM, others"
		       " their own).\n");
}

static void json_counters(const struct rsnl_reason *r, unsigned int n,
			  bool ns)
{
	unsigned int i;

	printf("{");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(stdout, r[i].name);
		printf(": %" PRIu64, ns ? r[i].ns : r[i].count);
	}
	printf("}");
}

/*
 * Percentile @q of each reason's times in ns, as print_quantiles() has
 * it; null for the last bucket's or without the TSC's rate.
 */
static void json_quantiles(const struct rsnl_reason *r, unsigned int n,
			   double q, uint32_t tsc_khz)
{
	unsigned int i;
	uint64_t c;

	printf("{");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(stdout, r[i].name);
		c = rsnl_hist_quantile(r[i].hist, q);
		if (!tsc_khz || c == UINT64_MAX)
			printf(": null");
		else
			printf(": %.0f", c * 1e6 / tsc_khz);
	}
	printf("}");
}

/* The fields a VM and each of its vCPUs have in common. */
static void json_stats(const struct rsnl_stats *s)
{
	printf("\"total_exits\": %" PRIu64 ", \"guest_ns\": %" PRIu64
	       ", \"handle_ns\": %" PRIu64 ", \"exits\": ", s->exits,
	       s->guest_ns, s->handle_ns);
	json_counters(s->reasons, s->nr_reasons, false);
	printf(", \"exit_ns\": ");
	json_counters(s->reasons, s->nr_reasons, true);
	printf(", \"user_exits\": ");
	json_counters(s->user, s->nr_user, false);
	printf(", \"user_ns\": ");
	json_counters(s->user, s->nr_user, true);
	printf(", \"exit_p50_ns\": ");
	json_quantiles(s->reasons, s->nr_reasons, 0.5, s->tsc_khz);
	printf(", \"exit_p99_ns\": ");
	json_quantiles(s->reasons, s->nr_reasons, 0.99, s->tsc_khz);
	printf(", \"user_p50_ns\": ");
	json_quantiles(s->user, s->nr_user, 0.5, s->tsc_khz);
	printf(", \"user_p99_ns\": ");
	json_quantiles(s->user, s->nr_user, 0.99, s->tsc_khz);
}

static void print_json(const struct sample *s)
{
	bool first = true;
	size_t i, j;

	printf("[");
	for (i = 0; i < s->n; i++) {
		const struct rsnl_stats *vm = &s->v[i];

		if (vm->has_vcpu)
			continue;
		printf("%s\n  {\"id\": %u, \"pid\": %u, \"uid\": %u, \"comm\": ",
		       first ? "" : ",", vm->id, vm->pid, vm->uid);
		json_string(stdout, vm->comm);
		printf(", \"backend\": ");
		json_string(stdout, vm->backend);
		printf(", \"vcpus\": %u, \"memory\": %" PRIu64
		       ", \"uptime_ns\": %" PRIu64 ", \"counting\": %s, "
		       "\"tsc_khz\": %u,\n   ", vm->vcpus, vm->memory,
		       vm->uptime_ns, vm->enabled ? "true" : "false",
		       vm->tsc_khz);
		json_stats(vm);
		printf(",\n   \"per_vcpu\": [");
		for (j = i + 1; j < s->n && s->v[j].has_vcpu &&
				s->v[j].id == vm->id; j++) {
			printf("%s\n    {\"vcpu\": %u, ", j > i + 1 ? "," : "",
			       s->v[j].vcpu);
			json_stats(&s->v[j]);
			printf("}");
		}
		printf("]}");
		first = false;
	}
	printf("%s]\n", first ? "" : "\n");
}

static void sample_free(struct sample *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int live(struct rsnl *nl, unsigned long interval)
{
	struct sample old = { 0 }, now = { 0 };
	bool tty = isatty(STDOUT_FILENO);
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts = { .tv_sec = interval };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (take(nl, false, &old) < 0)
		return STATUS_HV_FAILURE;
	if (tty)
		printf("\033[H\033[2J");
	print_table(&old, NULL);
	fflush(stdout);
	while (!stop) {
		/* A signal cuts the sleep short and ends the loop. */
		if (nanosleep(&ts, NULL) < 0 || stop)
			break;
		if (take(nl, false, &now) < 0) {
			sample_free(&old);
			return STATUS_HV_FAILURE;
		}
		if (tty)
			printf("\033[H\033[2J");
		else
			printf("\n");
		print_table(&now, &old);
		fflush(stdout);
		sample_free(&old);
		old = now;
		now.v = NULL;
	}
	sample_free(&old);
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long interval = 1;
	bool once = false, json = false;
	struct sample s = { 0 };
	struct rsnl nl;
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":1ji:h", longopts, NULL)) != -1) {
		switch (opt) {
		case '1':
			once = true;
			break;
		case 'j':
			json = once = true;
			break;
		case 'i':
			if (parse_uint(optarg, 1, 3600, &interval) < 0) {
				pr_err("--interval %s: give whole seconds, 1-3600",
				       optarg);
				return STATUS_USAGE;
			}
			break;
		case 'h':
			stat_usage(stdout);
			return 0;
		case ':':
			pr_err("stat: %s needs an argument; see 'ringside help "
			       "stat'", argv[optind - 1]);
			return STATUS_USAGE;
		default:
			pr_err("stat: unknown option %s; see 'ringside help "
			       "stat'", argv[optind - 1]);
			return STATUS_USAGE;
		}
	}
	if (optind != argc) {
		pr_err("stat: takes no arguments; see 'ringside help stat'");
		return STATUS_USAGE;
	}

	if (rsnl_open(&nl) < 0)
		return STATUS_HV_FAILURE;
	if (!once) {
		r = live(&nl, interval);
		rsnl_close(&nl);
		return r;
	}
	r = take(&nl, json, &s);
	rsnl_close(&nl);
	if (r < 0)
		return STATUS_HV_FAILURE;
	if (json)
		print_json(&s);
	else
		print_table(&s, NULL);
	sample_free(&s);
	return 0;
}
