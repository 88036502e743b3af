// SPDX-License-Identifier: GPL-2.0
/*
 * ringside-bench: how many TSC cycles one VM exit costs on ringside and on
 * KVM, with the same 16-bit real-mode guest loop (guest.S) in each.
 *
 * The kinds of exit: CPUID and an OUT that signals an eventfd (answered
 * in the kernel, the whole loop is one RUN), OUT to a port, REP INSB, an
 * MMIO write and HLT (each a round trip to user space, which calls RUN
 * again at once), and on the in-kernel local APIC an EOI, a self-IPI, a
 * timer interrupt and an IPI round trip between two vCPUs (whose second
 * vCPU runs in a thread of its own, on another CPU where there is one).
 * The host reads the TSC around all the RUN calls of a loop of N
 * iterations; a figure is the median over R runs of (TSC delta / N).  One
 * extra exit, the final HLT, is in each delta: under 1/N of it.
 *
 * Only one hypervisor can have SVM/VMX on at a time, so each run creates
 * a VM on one backend, measures every kind, destroys the VM and then does
 * the same on the other.  No pass/fail: it prints figures.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>

#include "bench.h"

#define MAX_RUNS	101
#define NR_BACKENDS	2

struct exit_kind {
	const char *name;
	const char *what;		/* for the table */
	const uint8_t *start, *end;	/* the guest loop */
	enum bench_exit_kind exit;	/* what each iteration returns with */
	int to_user;			/* 0: no exit reaches user space */
	int apic;			/* on the in-kernel local APIC */
	const uint8_t *ap;		/* where vCPU 1 starts; NULL: no vCPU 1 */
};

static const struct exit_kind kinds[] = {
	{ "cpuid", "CPUID, in the kernel", bench_guest_cpuid,
	  bench_guest_cpuid_end, BENCH_EXIT_OTHER, 0, 0, NULL },
	{ "io", "OUT, to user space", bench_guest_io,
	  bench_guest_io_end, BENCH_EXIT_IO, 1, 0, NULL },
	{ "ioevent", "OUT, signals an eventfd", bench_guest_ioevent,
	  bench_guest_ioevent_end, BENCH_EXIT_OTHER, 0, 0, NULL },
	{ "ins", "REP INSB 1KiB, to user", bench_guest_ins,
	  bench_guest_ins_end, BENCH_EXIT_IO, 1, 0, NULL },
	{ "mmio", "MMIO write, to user", bench_guest_mmio,
	  bench_guest_mmio_end, BENCH_EXIT_MMIO, 1, 0, NULL },
	{ "hlt", "HLT, to user space", bench_guest_hlt,
	  bench_guest_hlt_end, BENCH_EXIT_HLT, 1, 0, NULL },
	{ "eoi", "x2APIC EOI, in the kernel", bench_guest_eoi,
	  bench_guest_eoi_end, BENCH_EXIT_OTHER, 0, 1, NULL },
	{ "selfipi", "self-IPI taken + EOI", bench_guest_selfipi,
	  bench_guest_selfipi_end, BENCH_EXIT_OTHER, 0, 1, NULL },
	{ "timer", "TSC deadline now + EOI", bench_guest_timer,
	  bench_guest_timer_end, BENCH_EXIT_OTHER, 0, 1, NULL },
	{ "ipi", "IPI round trip, 2 vCPUs", bench_guest_ipi,
	  bench_guest_ipi_end, BENCH_EXIT_OTHER, 0, 1, bench_guest_ipi_ap },
};
#define NR_KINDS	(sizeof(kinds) / sizeof(kinds[0]))

static const struct bench_backend *const backends[NR_BACKENDS] = {
	&bench_ringside, &bench_kvm,
};

struct result {
	int nr;				/* runs measured */
	double cycles[MAX_RUNS];	/* per exit */
	double ns[MAX_RUNS];		/* per exit */
	char err[160];			/* why this kind stopped */
};

struct backend_state {
	int wanted;
	int failed;			/* VM creation failed: n/a from then on */
	int err;			/* its errno */
	char msg[200];
	char desc[32];			/* "SVM", "kvm_amd" */
	struct result res[NR_KINDS];
};

static struct options {
	unsigned long n, warmup;
	int runs, json, verbose;
	int kind_on[NR_KINDS];
} opt = { .n = 10000, .warmup = 200, .runs = 5 };

/*
 * The CPU that vCPU 1's thread runs on: not the measuring thread's, where
 * the process may use another one; -1: the same.
 */
static int ap_cpu = -1;

/* vCPU 1 of a two-vCPU kind, run by a thread of its own. */
struct ap_thread {
	const struct bench_backend *b;
	struct bench_vm *vm;
	pthread_t thread;
	int stop;			/* measure() gave up: leave at -EINTR */
	int err;			/* 0, a negative errno, or -EPROTO */
	struct bench_exit x;		/* with -EPROTO: the exit */
};

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	/* LFENCE keeps RDTSC from passing earlier or later instructions. */
	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *exit_name(const struct bench_exit *x, char *buf, size_t len)
{
	switch (x->kind) {
	case BENCH_EXIT_IO:
		snprintf(buf, len, "port I/O %s port %#x",
			 x->is_write ? "out" : "in", x->port);
		break;
	case BENCH_EXIT_MMIO:
		snprintf(buf, len, "MMIO %s %#llx", x->is_write ? "write" : "read",
			 (unsigned long long)x->addr);
		break;
	case BENCH_EXIT_HLT:
		snprintf(buf, len, "HLT");
		break;
	default:
		snprintf(buf, len, "exit reason %llu", (unsigned long long)x->addr);
		break;
	}
	return buf;
}

/* Whether x is one of the exits kind k's loop makes at every iteration. */
static int is_loop_exit(const struct exit_kind *k, const struct bench_exit *x)
{
	if (x->kind != k->exit)
		return 0;
	if (x->kind == BENCH_EXIT_IO && k->start == bench_guest_ins)
		return !x->is_write && x->port == BENCH_IO_PORT &&
		       x->count == BENCH_STRING_BYTES;
	if (x->kind == BENCH_EXIT_IO)
		return x->is_write && x->port == BENCH_IO_PORT;
	if (x->kind == BENCH_EXIT_MMIO)
		return x->is_write && x->addr == BENCH_MMIO_GPA;
	return x->kind == BENCH_EXIT_HLT;
}

static void ap_signal(int sig)
{
	(void)sig;			/* only to end vCPU 1's RUN with EINTR */
}

/* vCPU 1 runs until the guest's stop IPI takes it to BENCH_END_PORT. */
static void *ap_main(void *arg)
{
	struct ap_thread *ap = arg;
	struct bench_exit x;
	int r;

	for (;;) {
		r = ap->b->run(ap->vm, 1, &x);
		if (r == -EINTR && !__atomic_load_n(&ap->stop, __ATOMIC_SEQ_CST))
			continue;
		if (r) {
			ap->err = r;
			break;
		}
		if (x.kind == BENCH_EXIT_IO && x.port == BENCH_END_PORT)
			break;
		ap->err = -EPROTO;
		ap->x = x;
		break;
	}
	return NULL;
}

static int ap_start(struct ap_thread *ap)
{
	struct sigaction sa = { .sa_handler = ap_signal };	/* no SA_RESTART */
	pthread_attr_t attr;
	cpu_set_t set;
	int r;

	sigaction(SIGUSR1, &sa, NULL);
	pthread_attr_init(&attr);
	if (ap_cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(ap_cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	r = pthread_create(&ap->thread, &attr, ap_main, ap);
	pthread_attr_destroy(&attr);
	return -r;
}

/*
 * Wait for vCPU 1's thread; if vCPU 0 @failed, vCPU 1 never gets its stop
 * IPI: immediate_exit and a signal end its RUN (one or the other reaches
 * it wherever it is).  Returns whether vCPU 1 failed.
 */
static int ap_finish(struct ap_thread *ap, int failed)
{
	if (failed) {
		__atomic_store_n(&ap->stop, 1, __ATOMIC_SEQ_CST);
		ap->b->set_immediate_exit(ap->vm, 1, 1);
		pthread_kill(ap->thread, SIGUSR1);
	}
	pthread_join(ap->thread, NULL);
	if (failed)
		ap->b->set_immediate_exit(ap->vm, 1, 0);
	return ap->err != 0;
}

/*
 * Run kind k's loop for n iterations on an open VM; on success store the
 * cost of one exit in *cycles and *ns.  Checks the exits on the way and
 * the guest's end state afterwards, so that a figure is never that of a
 * guest that went astray.
 */
static int measure(const struct bench_backend *b, struct bench_vm *vm,
		   uint8_t *mem, const struct exit_kind *k, unsigned long n,
		   double *cycles, double *ns, char *err, size_t errlen)
{
	size_t len = k->end - k->start;
	unsigned long want = k->to_user ? n : 0, seen = 0;
	uint64_t c0, c1, t0, t1, rip, rsi;
	struct ap_thread ap = { .b = b, .vm = vm };
	struct bench_exit x;
	char buf[64];
	int r, started = 0;

	memcpy(mem + BENCH_CODE_GPA, k->start, len);
	r = b->reset(vm, 0, BENCH_CODE_GPA, n);
	if (!r && k->ap)
		r = b->reset(vm, 1, BENCH_CODE_GPA + (k->ap - k->start), 0);
	if (r) {
		snprintf(err, errlen, "setting registers: %s", strerror(-r));
		return r;
	}
	/*
	 * vCPU 1 starts before the clock; vCPU 0 waits for it in the guest
	 * and then restarts the clock (BENCH_START_PORT).
	 */
	if (k->ap) {
		r = ap_start(&ap);
		if (r) {
			snprintf(err, errlen, "starting vCPU 1's thread: %s",
				 strerror(-r));
			return r;
		}
	}

	t0 = now_ns();
	c0 = rdtsc_ordered();
	for (;;) {
		r = b->run(vm, 0, &x);
		if (r == -EINTR)
			continue;
		if (r)
			break;
		if (k->ap && !started && x.kind == BENCH_EXIT_IO &&
		    x.port == BENCH_START_PORT) {
			started = 1;
			t0 = now_ns();
			c0 = rdtsc_ordered();
			continue;
		}
		if (seen < want && is_loop_exit(k, &x)) {
			seen++;
			continue;
		}
		if (x.kind == BENCH_EXIT_HLT ||
		    (k->apic && x.kind == BENCH_EXIT_IO && x.port == BENCH_END_PORT))
			break;
		r = -EPROTO;
		break;
	}
	c1 = rdtsc_ordered();
	t1 = now_ns();

	if (k->ap && ap_finish(&ap, r != 0) && !r) {
		r = ap.err;
		if (r == -EPROTO)
			snprintf(err, errlen, "vCPU 1: unexpected %s",
				 exit_name(&ap.x, buf, sizeof(buf)));
		else
			snprintf(err, errlen, "vCPU 1: RUN: %s", strerror(-r));
		return r;
	}
	if (r == -EPROTO) {
		snprintf(err, errlen, "unexpected %s after %lu of %lu exits",
			 exit_name(&x, buf, sizeof(buf)), seen, want);
		return r;
	}
	if (r) {
		snprintf(err, errlen, "RUN: %s", strerror(-r));
		return r;
	}
	r = b->get_rip_rsi(vm, 0, &rip, &rsi);
	if (r) {
		snprintf(err, errlen, "getting registers: %s", strerror(-r));
		return r;
	}
	/*
	 * The APIC's kinds end with an OUT, which KVM completes (and moves
	 * RIP past) at the next KVM_RUN: RIP may still be at it.
	 */
	if (k->apic && rip == BENCH_CODE_GPA + len - 4)
		rip += 2;
	if (seen != want || (uint32_t)rsi != 0 || rip != BENCH_CODE_GPA + len - 2 ||
	    (k->ap && !started)) {
		snprintf(err, errlen,
			 "guest ended wrongly: %lu of %lu exits, ESI %#x, RIP %#llx (want %#lx)%s",
			 seen, want, (uint32_t)rsi, (unsigned long long)rip,
			 (unsigned long)(BENCH_CODE_GPA + len - 2),
			 k->ap && !started ? ", no start" : "");
		return -EPROTO;
	}
	*cycles = (double)(c1 - c0) / n;
	*ns = (double)(t1 - t0) / n;
	return 0;
}

/*
 * The VMs a run creates: without the in-kernel APIC, with it (where HLT
 * no longer exits), and with it and two vCPUs.
 */
static const struct vm_config {
	int apic, vcpus;
} vm_configs[] = { { 0, 1 }, { 1, 1 }, { 1, 2 } };
#define NR_VM_CONFIGS	(sizeof(vm_configs) / sizeof(vm_configs[0]))

static int in_config(const struct exit_kind *k, const struct vm_config *c)
{
	return k->apic == c->apic && (k->ap ? 2 : 1) == c->vcpus;
}

/* Does the run want a kind measured in a VM of config @c? */
static int wants(const struct vm_config *c)
{
	size_t ki;

	for (ki = 0; ki < NR_KINDS; ki++)
		if (opt.kind_on[ki] && in_config(&kinds[ki], c))
			return 1;
	return 0;
}

/*
 * One run: a fresh VM on backend i for each config, every kind of it
 * measured once, VM gone.
 */
static void run_backend(int i, struct backend_state *st, int run)
{
	const struct bench_backend *b = backends[i];
	const struct vm_config *cfg;
	struct bench_vm *vm;
	uint8_t *mem;
	size_t ki;
	int r;

	for (cfg = vm_configs; cfg < vm_configs + NR_VM_CONFIGS; cfg++) {
		if (!wants(cfg) || st->failed)
			continue;
		r = b->open(&vm, &mem, cfg->apic, cfg->vcpus, st->msg,
			    sizeof(st->msg));
		if (r && cfg->apic) {	/* a module without RS_CAP_LAPIC */
			for (ki = 0; ki < NR_KINDS; ki++)
				if (in_config(&kinds[ki], cfg) &&
				    !st->res[ki].err[0])
					snprintf(st->res[ki].err,
						 sizeof(st->res[ki].err),
						 "no in-kernel APIC: %s", st->msg);
			st->msg[0] = 0;
			continue;
		}
		if (r) {
			st->failed = 1;
			st->err = -r;
			if (r == -EBUSY)
				strncat(st->msg, " (SVM/VMX is held by another hypervisor)",
					sizeof(st->msg) - strlen(st->msg) - 1);
			else if (r == -EOPNOTSUPP && b == &bench_ringside)
				strncat(st->msg, " (this backend cannot run guests yet)",
					sizeof(st->msg) - strlen(st->msg) - 1);
			fprintf(stderr, "ringside-bench: %s: %s\n", b->name, st->msg);
			return;
		}
		snprintf(st->desc, sizeof(st->desc), "%s", b->describe(vm));

		for (ki = 0; ki < NR_KINDS; ki++) {
			struct result *res = &st->res[ki];
			double c, ns;

			if (!opt.kind_on[ki] || !in_config(&kinds[ki], cfg) ||
			    res->err[0])
				continue;
			/* Fault in the pages, warm the caches and the translators. */
			if (opt.warmup &&
			    measure(b, vm, mem, &kinds[ki], opt.warmup, &c, &ns,
				    res->err, sizeof(res->err)))
				goto failed;
			if (measure(b, vm, mem, &kinds[ki], opt.n, &c, &ns,
				    res->err, sizeof(res->err)))
				goto failed;
			res->cycles[res->nr] = c;
			res->ns[res->nr] = ns;
			res->nr++;
			if (opt.verbose)
				fprintf(stderr, "run %d %-8s %-7s %12.0f cycles %10.0f ns per exit\n",
					run + 1, b->name, kinds[ki].name, c, ns);
			continue;
failed:
			fprintf(stderr, "ringside-bench: %s, %s: %s\n", b->name,
				kinds[ki].name, res->err);
		}
		b->close(vm);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int nr)
{
	double s[MAX_RUNS];

	memcpy(s, v, nr * sizeof(*v));
	qsort(s, nr, sizeof(*s), cmp_double);
	return nr % 2 ? s[nr / 2] : (s[nr / 2 - 1] + s[nr / 2]) / 2;
}

static double minimum(const double *v, int nr)
{
	double m = v[0];
	int i;

	for (i = 1; i < nr; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double maximum(const double *v, int nr)
{
	double m = v[0];
	int i;

	for (i = 1; i < nr; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* The first "model name" of /proc/cpuinfo, or "?". */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *p;

	snprintf(buf, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) || !(p = strchr(line, ':')))
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, len, "%s", p);
		break;
	}
	fclose(f);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int have(const struct backend_state *st, size_t ki)
{
	return st->wanted && st->res[ki].nr > 0;
}

static void print_table(const struct backend_state *st, const char *date,
			const char *cpu, const struct utsname *u)
{
	char cell[NR_BACKENDS][32], ratio[32];
	size_t ki;
	int i;

	printf("ringside-bench: TSC cycles per VM exit, median of %d runs of N = %lu\n",
	       opt.runs, opt.n);
	printf("%s, %s, Linux %s\n", date, cpu, u->release);
	for (i = 0; i < NR_BACKENDS; i++) {
		if (!st[i].wanted)
			printf("  %-8s  not run\n", backends[i]->name);
		else if (st[i].failed && !st[i].desc[0])
			printf("  %-8s  n/a: %s\n", backends[i]->name, st[i].msg);
		else
			printf("  %-8s  %s%s%s\n", backends[i]->name, st[i].desc,
			       st[i].failed ? "; later VM creation failed: " : "",
			       st[i].failed ? st[i].msg : "");
	}
	printf("\n%-7s  %-23s %12s %12s %13s\n", "kind", "exit", "ringside",
	       "KVM", "ringside/KVM");
	for (ki = 0; ki < NR_KINDS; ki++) {
		if (!opt.kind_on[ki])
			continue;
		for (i = 0; i < NR_BACKENDS; i++) {
			if (have(&st[i], ki))
				snprintf(cell[i], sizeof(cell[i]), "%.0f",
					 median(st[i].res[ki].cycles, st[i].res[ki].nr));
			else
				snprintf(cell[i], sizeof(cell[i]), "n/a");
		}
		if (have(&st[0], ki) && have(&st[1], ki))
			snprintf(ratio, sizeof(ratio), "%.2f",
				 median(st[0].res[ki].cycles, st[0].res[ki].nr) /
				 median(st[1].res[ki].cycles, st[1].res[ki].nr));
		else
			snprintf(ratio, sizeof(ratio), "n/a");
		printf("%-7s  %-23s %12s %12s %13s\n", kinds[ki].name,
		       kinds[ki].what, cell[0], cell[1], ratio);
	}
	for (ki = 0; ki < NR_KINDS; ki++)
		for (i = 0; i < NR_BACKENDS; i++)
			if (opt.kind_on[ki] && st[i].res[ki].err[0])
				printf("%s %s: %s\n", backends[i]->name,
				       kinds[ki].name, st[i].res[ki].err);
}

static void print_json(const struct backend_state *st, const char *date,
		       const char *cpu, const struct utsname *u)
{
	size_t ki;
	int i, j;

	printf("{\n  \"date\": ");
	json_string(date);
	printf(",\n  \"cpu\": ");
	json_string(cpu);
	printf(",\n  \"kernel\": ");
	json_string(u->release);
	printf(",\n  \"iterations\": %lu,\n  \"runs\": %d,\n  \"unit\": \"tsc_cycles_per_exit\",\n",
	       opt.n, opt.runs);
	printf("  \"backends\": {");
	for (i = 0; i < NR_BACKENDS; i++) {
		printf("%s\n    \"%s\": {\"available\": %s, \"hardware\": ", i ? "," : "",
		       backends[i]->name,
		       st[i].wanted && st[i].desc[0] ? "true" : "false");
		json_string(st[i].desc);
		printf(", \"error\": ");
		if (!st[i].wanted)
			printf("\"not run\"");
		else if (st[i].failed)
			json_string(st[i].msg);
		else
			printf("null");
		printf("}");
	}
	printf("\n  },\n  \"results\": [");
	for (ki = 0, j = 0; ki < NR_KINDS; ki++) {
		if (!opt.kind_on[ki])
			continue;
		printf("%s\n    {\"kind\": \"%s\", \"exit\": ", j++ ? "," : "",
		       kinds[ki].name);
		json_string(kinds[ki].what);
		for (i = 0; i < NR_BACKENDS; i++) {
			const struct result *r = &st[i].res[ki];
			int k;

			printf(",\n     \"%s\": ", backends[i]->name);
			if (!have(&st[i], ki)) {
				printf("null");
				continue;
			}
			printf("{\"median\": %.0f, \"min\": %.0f, \"max\": %.0f, \"median_ns\": %.0f, \"cycles\": [",
			       median(r->cycles, r->nr), minimum(r->cycles, r->nr),
			       maximum(r->cycles, r->nr), median(r->ns, r->nr));
			for (k = 0; k < r->nr; k++)
				printf("%s%.0f", k ? ", " : "", r->cycles[k]);
			printf("]}");
		}
		printf(",\n     \"ratio\": ");
		if (have(&st[0], ki) && have(&st[1], ki))
			printf("%.3f", median(st[0].res[ki].cycles, st[0].res[ki].nr) /
			       median(st[1].res[ki].cycles, st[1].res[ki].nr));
		else
			printf("null");
		printf("}");
	}
	printf("\n  ]\n}\n");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ringside-bench [OPTIONS]\n"
"\n"
"Measure the cost of VM exits, in TSC cycles, on ringside (/dev/ringside) and\n"
"on KVM (/dev/kvm) with the same real-mode guest, and print a table.  Needs\n"
"root.  Loads kvm-amd or kvm-intel if /dev/kvm is missing.  The two cannot\n"
"have SVM/VMX on at once: each run creates and destroys one backend's VM,\n"
"then the other's.\n"
"\n"
"  -n, --iterations N  exits per measured loop (default %lu)\n"
"  -r, --runs R        measured loops per kind and backend; the median is\n"
"                      reported (default %d, at most %d)\n"
"  -w, --warmup N      exits of an unmeasured loop before each measured one\n"
"                      (default %lu, 0 for none)\n"
"  -k, --kinds LIST    comma-separated subset of cpuid,io,ioevent,ins,mmio,hlt,\n"
"                      eoi,selfipi,timer,ipi (the last four on the in-kernel\n"
"                      APIC; ipi with two vCPUs)\n"
"  -b, --backend B     ringside, kvm or both (default both)\n"
"  -j, --json          JSON instead of the table\n"
"  -v, --verbose       every run's figures on stderr\n"
"  -h, --help          this text\n"
"\n"
"Exit status 0 when every wanted backend measured every wanted kind, 1 when\n"
"some figure is n/a, 2 on bad usage.\n",
		opt.n, opt.runs, MAX_RUNS, opt.warmup);
}

static unsigned long parse_ulong(const char *s, const char *what,
				 unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "ringside-bench: %s must be %lu..%lu\n", what, min, max);
		exit(2);
	}
	return v;
}

static void parse_kinds(char *list)
{
	char *tok, *save;
	size_t ki;

	memset(opt.kind_on, 0, sizeof(opt.kind_on));
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (ki = 0; ki < NR_KINDS; ki++)
			if (!strcmp(tok, kinds[ki].name))
				break;
		if (ki == NR_KINDS) {
			fprintf(stderr, "ringside-bench: unknown kind '%s' (cpuid, io, ioevent, ins, mmio, hlt, eoi, selfipi, timer, ipi)\n", tok);
			exit(2);
		}
		opt.kind_on[ki] = 1;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "backend", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backend_state st[NR_BACKENDS] = { { .wanted = 1 }, { .wanted = 1 } };
	char date[64], model[128];
	struct utsname u;
	time_t t = time(NULL);
	int c, i, cpu, run, status = 0;
	size_t ki;

	for (ki = 0; ki < NR_KINDS; ki++)
		opt.kind_on[ki] = 1;
	while ((c = getopt_long(argc, argv, "n:r:w:k:b:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt.n = parse_ulong(optarg, "-n", 1, 1000000000);
			break;
		case 'r':
			opt.runs = parse_ulong(optarg, "-r", 1, MAX_RUNS);
			break;
		case 'w':
			opt.warmup = parse_ulong(optarg, "-w", 0, 1000000000);
			break;
		case 'k':
			parse_kinds(optarg);
			break;
		case 'b':
			if (!strcmp(optarg, "ringside"))
				st[1].wanted = 0;
			else if (!strcmp(optarg, "kvm"))
				st[0].wanted = 0;
			else if (strcmp(optarg, "both")) {
				fprintf(stderr, "ringside-bench: -b takes ringside, kvm or both\n");
				return 2;
			}
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	cpu_model(model, sizeof(model));
	uname(&u);

	/*
	 * Stay on one CPU: a migration in the middle of a loop would be
	 * measured too, and the TSCs of two CPUs need not agree.  vCPU 1
	 * of the ipi kind gets another one.
	 */
	cpu = sched_getcpu();
	if (cpu >= 0) {
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			for (c = 0; c < CPU_SETSIZE && ap_cpu < 0; c++)
				if (c != cpu && CPU_ISSET(c, &set))
					ap_cpu = c;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	/* In turn, so that drift in the host (or the emulator) hits both. */
	for (run = 0; run < opt.runs; run++)
		for (i = 0; i < NR_BACKENDS; i++)
			if (st[i].wanted && !st[i].failed)
				run_backend(i, &st[i], run);

	if (opt.json)
		print_json(st, date, model, &u);
	else
		print_table(st, date, model, &u);

	for (i = 0; i < NR_BACKENDS; i++)
		for (ki = 0; ki < NR_KINDS; ki++)
			if (st[i].wanted && opt.kind_on[ki] && st[i].res[ki].nr < opt.runs)
				status = 1;
	return status;
}
