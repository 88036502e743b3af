// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: "run --route SPEC", exit routing for watching
 * (Documentation/exit-routing.rst).  The events SPEC names come to the
 * launcher as RS_EXIT_ROUTED; each is logged as one line and answered
 * RS_ROUTE_DEFAULT, which has the kernel handle it as if it had not been
 * routed, so the guest runs as it would without --route.
 *
 * SPEC is a comma-separated list of items, each one of
 *
 *   KIND=LIST   LIST is ':'-separated elements, each a number (decimal or
 *               0x hex), a LO-HI range, or for exc an exception's name;
 *               the bit kinds (exc, cr_read, cr_write, dr_read, dr_write)
 *               set a bit per number, the range kinds (msr, msr_read,
 *               msr_write, cpuid, port) add a range per element
 *   NAME        an instruction: rdtsc rdtscp invlpg hlt pause invd wbinvd
 *               xsetbv
 *
 * and items add up, across --route options too.  Whatever the module would
 * refuse (RS_SET_EXIT_ROUTE's EPERM, EINVAL, EOPNOTSUPP) is refused here
 * first, saying why.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "route.h"
#include "util.h"
#include "vm.h"

#define BIT(n)		(1U << (n))

/*
 * Exception mnemonics by vector (SDM vol. 3A, 6.3.1 "Vectors" table
 * "Protected-Mode Exceptions and Interrupts").  NMI and #MC have names so
 * that "exc=mc" is told why it cannot be, rather than "no such name".
 */
static const char *const vector_names[] = {
	"de", "db", "nmi", "bp", "of", "br", "ud", "nm", "df", NULL,
	"ts", "np", "ss", "gp", "pf", NULL, "mf", "ac", "mc", "xm",
};

/* The vectors a route may name: the module's RS_ROUTE_VECTORS. */
#define ROUTE_VECTORS	((BIT(20) - 1) & ~(BIT(2) | BIT(9) | BIT(15) | BIT(18)))

/* Kinds whose LIST sets bits of a __u32 in struct rs_exit_route. */
struct bit_kind {
	const char *name;
	size_t offset;
	uint32_t allowed;
	const char *takes;	/* the numbers it takes, for messages */
	bool vectors;		/* exc: names too, and its own messages */
};

static const struct bit_kind bit_kinds[] = {
	{ "exc", offsetof(struct rs_exit_route, exceptions), ROUTE_VECTORS,
	  "0-19 but 2, 9, 15 and 18", true },
	{ "cr_read", offsetof(struct rs_exit_route, cr_read), BIT(3) | BIT(8),
	  "3 and 8", false },
	{ "cr_write", offsetof(struct rs_exit_route, cr_write),
	  BIT(0) | BIT(3) | BIT(4) | BIT(8), "0, 3, 4 and 8",
	  false },
	{ "dr_read", offsetof(struct rs_exit_route, dr_read), 0xff, "0-7",
	  false },
	{ "dr_write", offsetof(struct rs_exit_route, dr_write), 0xff, "0-7",
	  false },
};

/* Kinds whose LIST adds ranges to one struct rs_route_ranges, or two. */
struct range_kind {
	const char *name;
	unsigned int nr;
	size_t offset[2];
	const char *field[2];	/* for "at most 8 ranges" */
	uint32_t max;
};

static const struct range_kind range_kinds[] = {
	{ "msr", 2, { offsetof(struct rs_exit_route, msr_read),
		      offsetof(struct rs_exit_route, msr_write) },
	  { "msr_read", "msr_write" }, UINT32_MAX },
	{ "msr_read", 1, { offsetof(struct rs_exit_route, msr_read) },
	  { "msr_read" }, UINT32_MAX },
	{ "msr_write", 1, { offsetof(struct rs_exit_route, msr_write) },
	  { "msr_write" }, UINT32_MAX },
	{ "cpuid", 1, { offsetof(struct rs_exit_route, cpuid) },
	  { "cpuid" }, UINT32_MAX },
	{ "port", 1, { offsetof(struct rs_exit_route, ports) },
	  { "port" }, 0xffff },
};

static const struct {
	const char *name;
	uint32_t bit;
} insns[] = {
	{ "rdtsc", RS_ROUTE_RDTSC },	{ "rdtscp", RS_ROUTE_RDTSCP },
	{ "invlpg", RS_ROUTE_INVLPG },	{ "hlt", RS_ROUTE_HLT },
	{ "pause", RS_ROUTE_PAUSE },	{ "invd", RS_ROUTE_INVD },
	{ "wbinvd", RS_ROUTE_WBINVD },	{ "xsetbv", RS_ROUTE_XSETBV },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A number at *@s, decimal or 0x hex, up to 32 bits: moves *@s past it.
 * Not strtoul(): that takes signs, spaces and octal.
 */
static int parse_number(const char **s, uint32_t *val)
{
	const char *p = *s;
	unsigned int base = 10, digits = 0, d;
	uint64_t n = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		n = n * base + d;
		if (n > UINT32_MAX)
			return -1;
	}
	if (!digits)
		return -1;
	*s = p;
	*val = n;
	return 0;
}

/* One element of a LIST: N or LO-HI, or with @names an exception's name. */
static int parse_element(const char *el, bool names, uint32_t *lo,
			 uint32_t *hi, char *err, size_t errlen)
{
	const char *p = el;
	size_t i;

	if (!*el)
		return fail(err, errlen, "an empty element in the list");
	if (names && isalpha((unsigned char)*el)) {
		for (i = 0; i < ARRAY_SIZE(vector_names); i++) {
			if (vector_names[i] && !strcmp(el, vector_names[i])) {
				*lo = *hi = i;
				return 0;
			}
		}
		return fail(err, errlen, "no exception \"%s\": give de db bp "
			    "of br ud nm df ts np ss gp pf mf ac xm, or a "
			    "vector number", el);
	}
	if (parse_number(&p, lo) < 0)
		goto bad;
	*hi = *lo;
	if (*p == '-') {
		p++;
		if (parse_number(&p, hi) < 0)
			goto bad;
		if (*lo > *hi)
			return fail(err, errlen, "\"%s\": the range's first "
				    "is above its last", el);
	}
	if (!*p)
		return 0;
bad:
	return fail(err, errlen, "\"%s\": give a number (decimal or 0x "
		    "hex, 32 bits) or a LO-HI range%s", el,
		    names ? ", or an exception's name" : "");
}

/* Why @kind cannot take @n, which its allowed mask does not have. */
static int bad_bit(const struct bit_kind *k, uint32_t n, char *err,
		   size_t errlen)
{
	if (k->vectors) {
		if (n == 2 || n == 18)
			return fail(err, errlen, "vector %u (%s) stays the "
				    "host's: it cannot be routed", n,
				    n == 2 ? "NMI" : "#MC");
		if (n == 9 || n == 15)
			return fail(err, errlen, "vector %u is reserved", n);
		return fail(err, errlen, "no exception vector %u: exc takes "
			    "%s", n, k->takes);
	}
	/* VMX serves MOV from CR0 and CR4 from the read shadows, no exit. */
	if (!strcmp(k->name, "cr_read") && (n == 0 || n == 4))
		return fail(err, errlen, "reads of CR%u cannot be routed (VMX "
			    "reads CR0 and CR4 without an exit): cr_read takes "
			    "%s", n, k->takes);
	return fail(err, errlen, "%s takes %s, not %u", k->name, k->takes, n);
}

static int add_bits(const struct bit_kind *k, const char *el,
		    struct rs_exit_route *rt, char *err, size_t errlen)
{
	uint32_t *bits = (uint32_t *)((char *)rt + k->offset);
	uint32_t lo, hi, n;

	if (parse_element(el, k->vectors, &lo, &hi, err, errlen) < 0)
		return -1;
	/* Stops at the first number past 31 at the latest: none is allowed. */
	for (n = lo;; n++) {
		if (n >= 32 || !(k->allowed & BIT(n)))
			return bad_bit(k, n, err, errlen);
		*bits |= BIT(n);
		if (n == hi)
			return 0;
	}
}

static int add_range(const struct range_kind *k, const char *el,
		     struct rs_exit_route *rt, char *err, size_t errlen)
{
	uint32_t lo, hi;
	unsigned int i;

	if (parse_element(el, false, &lo, &hi, err, errlen) < 0)
		return -1;
	if (hi > k->max)
		return fail(err, errlen, "%#x is above %#x, the last %s", hi,
			    k->max, k->name);
	for (i = 0; i < k->nr; i++) {
		struct rs_route_ranges *r = (void *)((char *)rt + k->offset[i]);

		if (r->nr == RS_ROUTE_MAX_RANGES)
			return fail(err, errlen, "more than %d %s ranges "
				    "(RS_ROUTE_MAX_RANGES)", RS_ROUTE_MAX_RANGES,
				    k->field[i]);
		r->range[r->nr].first = lo;
		r->range[r->nr].last = hi;
		r->nr++;
	}
	return 0;
}

/* KIND=LIST: each ':'-separated element of @list. */
static int parse_list(const char *kind, char *list, struct rs_exit_route *rt,
		      char *err, size_t errlen)
{
	const struct bit_kind *bk = NULL;
	const struct range_kind *rk = NULL;
	char *el;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bit_kinds); i++)
		if (!strcmp(kind, bit_kinds[i].name))
			bk = &bit_kinds[i];
	for (i = 0; i < ARRAY_SIZE(range_kinds); i++)
		if (!strcmp(kind, range_kinds[i].name))
			rk = &range_kinds[i];
	for (i = 0; i < ARRAY_SIZE(insns); i++)
		if (!strcmp(kind, insns[i].name))
			return fail(err, errlen, "%s takes no list", kind);
	if (!bk && !rk)
		return fail(err, errlen, "no kind \"%s\": give exc, cr_read, "
			    "cr_write, dr_read, dr_write, msr, msr_read, "
			    "msr_write, cpuid or port", kind);
	if (!*list)
		return fail(err, errlen, "%s= needs a list", kind);
	while ((el = strsep(&list, ":"))) {
		if (bk ? add_bits(bk, el, rt, err, errlen) :
			 add_range(rk, el, rt, err, errlen))
			return -1;
	}
	return 0;
}

static int parse_item(char *item, struct rs_exit_route *rt, char *err,
		      size_t errlen)
{
	char *eq = strchr(item, '=');
	size_t i;

	if (!*item)
		return fail(err, errlen, "an empty item");
	if (eq) {
		*eq = '\0';
		return parse_list(item, eq + 1, rt, err, errlen);
	}
	for (i = 0; i < ARRAY_SIZE(insns); i++) {
		if (!strcmp(item, insns[i].name)) {
			rt->insns |= insns[i].bit;
			return 0;
		}
	}
	for (i = 0; i < ARRAY_SIZE(bit_kinds); i++)
		if (!strcmp(item, bit_kinds[i].name))
			return fail(err, errlen, "%s needs a list: %s=N[:N...]",
				    item, item);
	for (i = 0; i < ARRAY_SIZE(range_kinds); i++)
		if (!strcmp(item, range_kinds[i].name))
			return fail(err, errlen, "%s needs a list: "
				    "%s=LO-HI[:LO-HI...]", item, item);
	return fail(err, errlen, "no instruction \"%s\": give rdtsc, rdtscp, "
		    "invlpg, hlt, pause, invd, wbinvd or xsetbv, or KIND=LIST",
		    item);
}

int route_parse(const char *spec, struct rs_exit_route *rt, char *err,
		size_t errlen)
{
	struct rs_exit_route next = *rt;
	char *copy = strdup(spec), *rest = copy, *item;
	char why[256];
	int r = 0;

	if (!copy)
		return fail(err, errlen, "%s", strerror(errno));
	/* strsep(), not strtok(): "a,,b" has an empty item, an error. */
	while ((item = strsep(&rest, ","))) {
		/* The item as given: parse_item() cuts its copy up. */
		const char *given = spec + (item - copy);
		int len = strlen(item);

		if (parse_item(item, &next, why, sizeof(why)) < 0) {
			/* Which item, unless it is all of @spec. */
			if (len && (size_t)len != strlen(spec))
				fail(err, errlen, "%.*s: %s", len, given, why);
			else
				fail(err, errlen, "%s", why);
			r = -1;
			break;
		}
	}
	free(copy);
	/* All of it or nothing. */
	if (!r)
		*rt = next;
	return r;
}

/* Where routed exits are logged: stderr, or --route-log's file. */
static FILE *route_log;
/* What --route asked for: only that is logged (gdbstub.c routes #BP too). */
static bool logging;
static uint32_t logged_exceptions;

int route_start(struct vm *vm, const struct rs_exit_route *rt,
		uint32_t more_exceptions, const char *log_path)
{
	int cap = hv_ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, RS_CAP_EXIT_ROUTE);
	struct rs_exit_route all = { 0 };
	const char *who = rt ? "--route" : "--gdb";

	if (cap < 0) {
		pr_perror("RS_CHECK_CAPABILITY(EXIT_ROUTE)");
		return STATUS_HV_FAILURE;
	}
	if (cap == 0) {
		pr_err("%s: the ringside module has no exit routing "
		       "(RS_CAP_EXIT_ROUTE is 0; see 'ringside check')", who);
		return STATUS_HV_FAILURE;
	}
	if (rt) {
		all = *rt;
		logging = true;
		logged_exceptions = rt->exceptions;
	}
	all.exceptions |= more_exceptions;
	if (log_path) {
		route_log = fopen(log_path, "we");
		if (!route_log) {
			pr_perror("--route-log %s", log_path);
			return STATUS_USAGE;
		}
		/* A line at a time: the log can be followed as the guest runs. */
		setvbuf(route_log, NULL, _IOLBF, 0);
	}
	/* On the VM fd: every vCPU takes it before it first enters. */
	if (hv_ioctl(vm->fd, RS_SET_EXIT_ROUTE, &all) < 0) {
		pr_perror("%s: RS_SET_EXIT_ROUTE", who);
		return STATUS_HV_FAILURE;
	}
	return 0;
}

void route_stop(void)
{
	if (route_log && fclose(route_log))
		pr_perror("--route-log");
	route_log = NULL;
	logging = false;
	logged_exceptions = 0;
}

static const char *const event_names[] = {
	[RS_ROUTED_EXCEPTION]	= "EXCEPTION",
	[RS_ROUTED_CR_READ]	= "CR_READ",
	[RS_ROUTED_CR_WRITE]	= "CR_WRITE",
	[RS_ROUTED_DR_READ]	= "DR_READ",
	[RS_ROUTED_DR_WRITE]	= "DR_WRITE",
	[RS_ROUTED_MSR_READ]	= "MSR_READ",
	[RS_ROUTED_MSR_WRITE]	= "MSR_WRITE",
	[RS_ROUTED_CPUID]	= "CPUID",
	[RS_ROUTED_RDTSC]	= "RDTSC",
	[RS_ROUTED_RDTSCP]	= "RDTSCP",
	[RS_ROUTED_INVLPG]	= "INVLPG",
	[RS_ROUTED_HLT]		= "HLT",
	[RS_ROUTED_PAUSE]	= "PAUSE",
	[RS_ROUTED_INVD]	= "INVD",
	[RS_ROUTED_WBINVD]	= "WBINVD",
	[RS_ROUTED_XSETBV]	= "XSETBV",
	[RS_ROUTED_IO_IN]	= "IO_IN",
	[RS_ROUTED_IO_OUT]	= "IO_OUT",
	[RS_ROUTED_HYPERCALL]	= "HYPERCALL",
};

/* "CPUID", "EXCEPTION(#PF)", or the number of an event unknown here. */
static void event_name(const struct rs_run *run, char *buf, size_t len)
{
	uint32_t ev = run->routed.event, v = run->routed.index;
	char vec[8] = "";
	size_t i;

	if (ev >= ARRAY_SIZE(event_names) || !event_names[ev]) {
		snprintf(buf, len, "EVENT_%u", ev);
		return;
	}
	if (ev == RS_ROUTED_EXCEPTION && v < ARRAY_SIZE(vector_names) &&
	    vector_names[v]) {
		for (i = 0; vector_names[v][i] && i < sizeof(vec) - 1; i++)
			vec[i] = toupper((unsigned char)vector_names[v][i]);
		vec[i] = '\0';
		snprintf(buf, len, "%s(#%s)", event_names[ev], vec);
		return;
	}
	snprintf(buf, len, "%s", event_names[ev]);
}

/*
 * One line per event, a single fprintf() so that vCPUs' lines do not mix.
 * The kernel handles it at the next RS_RUN as if it had not been routed.
 */
int handle_routed(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	char name[32], error[16] = "-";

	run->routed.action = RS_ROUTE_DEFAULT;
	/* Routed for another part of the launcher, which passed it on. */
	if (!logging || (run->routed.event == RS_ROUTED_EXCEPTION &&
			 (run->routed.index >= 32 ||
			  !(logged_exceptions & BIT(run->routed.index)))))
		return 0;
	event_name(run, name, sizeof(name));
	if (run->routed.flags & RS_ROUTED_HAS_ERROR_CODE)
		snprintf(error, sizeof(error), "0x%x", run->routed.error_code);
	fprintf(route_log ? route_log : stderr,
		"route: vcpu=%u %s index=0x%x subindex=0x%x value=0x%llx "
		"error=%s len=%u hw_code=0x%llx hw_info=0x%llx,0x%llx\n",
		vcpu->id, name, run->routed.index, run->routed.subindex,
		(unsigned long long)run->routed.value, error,
		run->routed.insn_len, (unsigned long long)run->routed.hw_code,
		(unsigned long long)run->routed.hw_info[0],
		(unsigned long long)run->routed.hw_info[1]);
	return 0;
}
