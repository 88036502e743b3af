// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of "run --route"'s parser (route.c): what each kind of item
 * sets in struct rs_exit_route, that several specs add up, and that each
 * kind of bad spec is refused with its reason and leaves the route as it
 * was.  The module checks the same struct again (kmod/route.c); here the
 * launcher must refuse first, and say why.
 */
#include <string.h>

#include "../route.h"
#include "../util.h"
#include "unit.h"

static char err[512];

static int parse(const char *spec, struct rs_exit_route *rt)
{
	err[0] = '\0';
	return route_parse(spec, rt, err, sizeof(err));
}

static int range_is(const struct rs_route_ranges *r, unsigned int i,
		    uint32_t first, uint32_t last)
{
	return i < r->nr && r->range[i].first == first &&
	       r->range[i].last == last;
}

/* Nothing but the fields a test names may be set: compare with zeros. */
static int only(const struct rs_exit_route *rt, const struct rs_exit_route *want)
{
	return !memcmp(rt, want, sizeof(*rt));
}

static void test_route_good(void)
{
	struct rs_exit_route rt = { 0 }, want = { 0 };

	/* Exceptions by name and number; bits as vectors. */
	CHECK(parse("exc=pf:13:ud:0", &rt) == 0);
	want.exceptions = 1U << 14 | 1U << 13 | 1U << 6 | 1U << 0;
	CHECK(only(&rt, &want));

	memset(&rt, 0, sizeof(rt));
	CHECK(parse("exc=de:db:bp:of:br:ud:nm:df:ts:np:ss:gp:pf:mf:ac:xm",
		    &rt) == 0);
	CHECK(rt.exceptions == 0xb7dfb);	/* 0-19 but 2, 9, 15, 18 */
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("exc=3-8", &rt) == 0 && rt.exceptions == 0x1f8);

	memset(&rt, 0, sizeof(rt));
	memset(&want, 0, sizeof(want));
	CHECK(parse("cr_read=3:8,cr_write=0:3:4:8,dr_read=0-7,dr_write=7", &rt)
	      == 0);
	want.cr_read = 1U << 3 | 1U << 8;
	want.cr_write = 1U << 0 | 1U << 3 | 1U << 4 | 1U << 8;
	want.dr_read = 0xff;
	want.dr_write = 0x80;
	CHECK(only(&rt, &want));

	/* Each instruction's RS_ROUTE_* bit. */
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("rdtsc,rdtscp,invlpg,hlt,pause,invd,wbinvd,xsetbv", &rt)
	      == 0);
	CHECK(rt.insns == (RS_ROUTE_RDTSC | RS_ROUTE_RDTSCP | RS_ROUTE_INVLPG |
			   RS_ROUTE_HLT | RS_ROUTE_PAUSE | RS_ROUTE_INVD |
			   RS_ROUTE_WBINVD | RS_ROUTE_XSETBV));
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("hlt", &rt) == 0 && rt.insns == RS_ROUTE_HLT);
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("rdtscp,invd", &rt) == 0 &&
	      rt.insns == (RS_ROUTE_RDTSCP | RS_ROUTE_INVD));
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("xsetbv,pause", &rt) == 0 &&
	      rt.insns == (RS_ROUTE_XSETBV | RS_ROUTE_PAUSE));
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("wbinvd,invlpg,rdtsc", &rt) == 0 &&
	      rt.insns == (RS_ROUTE_WBINVD | RS_ROUTE_INVLPG | RS_ROUTE_RDTSC));

	/* msr= is both directions; a single number is a range of one. */
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("msr=0xc0000080-0xC0000084:16,msr_read=0x1b,"
		    "msr_write=0-0xffffffff", &rt) == 0);
	CHECK(rt.msr_read.nr == 3 && rt.msr_write.nr == 3);
	CHECK(range_is(&rt.msr_read, 0, 0xc0000080, 0xc0000084));
	CHECK(range_is(&rt.msr_read, 1, 16, 16));
	CHECK(range_is(&rt.msr_read, 2, 0x1b, 0x1b));
	CHECK(range_is(&rt.msr_write, 0, 0xc0000080, 0xc0000084));
	CHECK(range_is(&rt.msr_write, 1, 16, 16));
	CHECK(range_is(&rt.msr_write, 2, 0, 0xffffffff));

	memset(&rt, 0, sizeof(rt));
	CHECK(parse("cpuid=0-0xffffffff,port=0x3f8-0x3ff:0xf4:0xffff", &rt)
	      == 0);
	CHECK(rt.cpuid.nr == 1 && range_is(&rt.cpuid, 0, 0, 0xffffffff));
	CHECK(rt.ports.nr == 3 && range_is(&rt.ports, 0, 0x3f8, 0x3ff) &&
	      range_is(&rt.ports, 1, 0xf4, 0xf4) &&
	      range_is(&rt.ports, 2, 0xffff, 0xffff));
	/* Decimal, not octal: 010 is ten. */
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("port=010", &rt) == 0 && range_is(&rt.ports, 0, 10, 10));

	/* Specs add up, as several --route options do. */
	memset(&rt, 0, sizeof(rt));
	CHECK(parse("exc=gp,cpuid=1", &rt) == 0);
	CHECK(parse("exc=pf,cpuid=7,hlt", &rt) == 0);
	CHECK(rt.exceptions == (1U << 13 | 1U << 14));
	CHECK(rt.cpuid.nr == 2 && range_is(&rt.cpuid, 0, 1, 1) &&
	      range_is(&rt.cpuid, 1, 7, 7));
	CHECK(rt.insns == RS_ROUTE_HLT);
	/* What the module checks is zero. */
	CHECK(!rt.flags && !rt.pad && !rt.cpuid.pad && !rt.reserved[0]);
}

/*
 * @spec is refused, the message has @why, and @rt is as before (a spec
 * is taken whole or not at all).
 */
static void bad(const char *spec, const char *why)
{
	struct rs_exit_route rt = { .exceptions = 1U << 14 }, before = rt;

	if (parse(spec, &rt) == 0) {
		CHECK(!"a bad --route spec accepted");
		fprintf(stderr, "  spec \"%s\"\n", spec);
		return;
	}
	CHECK(strstr(err, why) != NULL);
	if (!strstr(err, why))
		fprintf(stderr, "  spec \"%s\": \"%s\" lacks \"%s\"\n", spec,
			err, why);
	CHECK(only(&rt, &before));
}

static void test_route_bad(void)
{
	/* Exceptions the host keeps, reserved ones, unknown names. */
	bad("exc=2", "vector 2 (NMI) stays the host's");
	bad("exc=nmi", "vector 2 (NMI) stays the host's");
	bad("exc=mc", "vector 18 (#MC) stays the host's");
	bad("exc=0-19", "vector 2 (NMI)");
	bad("exc=9", "vector 9 is reserved");
	bad("exc=15", "vector 15 is reserved");
	bad("exc=20", "no exception vector 20");
	bad("exc=0xffffffff", "no exception vector 4294967295");
	bad("exc=#pf", "\"#pf\": give a number");
	bad("exc=PF", "no exception \"PF\"");
	bad("exc=pf-gp", "no exception \"pf-gp\"");
	/* Registers the module does not route. */
	bad("cr_read=0", "reads of CR0 cannot be routed");
	bad("cr_read=4", "reads of CR4 cannot be routed");
	bad("cr_read=2", "cr_read takes 3 and 8, not 2");
	bad("cr_write=2", "cr_write takes 0, 3, 4 and 8, not 2");
	bad("dr_read=8", "dr_read takes 0-7, not 8");
	bad("dr_write=0-8", "dr_write takes 0-7, not 8");
	/* Numbers and ranges. */
	bad("msr=0x1ffffffff", "\"0x1ffffffff\": give a number");
	bad("msr=99999999999", "\"99999999999\": give a number");
	bad("msr=-1", "\"-1\": give a number");
	bad("msr=0x", "\"0x\": give a number");
	bad("msr=1-", "\"1-\": give a number");
	bad("msr=1-2-3", "\"1-2-3\": give a number");
	bad("msr= 1", "\" 1\": give a number");
	bad("cpuid=5-3", "\"5-3\": the range's first is above its last");
	bad("port=0x10000", "0x10000 is above 0xffff, the last port");
	bad("port=0xfff0-0x10000", "0x10000 is above 0xffff");
	/* The grammar. */
	bad("", "an empty item");
	bad("hlt,,rdtsc", "an empty item");
	bad("hlt,", "an empty item");
	bad("cpuid=", "cpuid= needs a list");
	bad("exc=ud::gp", "an empty element in the list");
	bad("msr", "msr needs a list");
	bad("exc", "exc needs a list");
	bad("hlt=1", "hlt takes no list");
	bad("halt", "no instruction \"halt\"");
	bad("ports=1", "no kind \"ports\"");
	bad("HLT", "no instruction \"HLT\"");
	/* The bad item is named when there are others. */
	bad("hlt,exc=2,rdtsc", "exc=2: vector 2");
}

/* RS_ROUTE_MAX_RANGES per kind: the ninth is an error, never dropped. */
static void test_route_limit(void)
{
	struct rs_exit_route rt = { 0 }, before;
	char spec[256];
	unsigned int i;

	CHECK(parse("port=1:2:3:4:5:6:7:8", &rt) == 0 && rt.ports.nr == 8);
	CHECK(range_is(&rt.ports, 7, 8, 8));
	before = rt;
	CHECK(parse("port=9", &rt) < 0);
	CHECK(strstr(err, "more than 8 port ranges") != NULL);
	CHECK(only(&rt, &before));
	/* Other kinds have their own eight. */
	CHECK(parse("cpuid=9", &rt) == 0 && rt.cpuid.nr == 1);

	/* Across --route options; msr= counts in both directions. */
	memset(&rt, 0, sizeof(rt));
	for (i = 0; i < 7; i++) {
		snprintf(spec, sizeof(spec), "msr_write=%u", i);
		CHECK(parse(spec, &rt) == 0);
	}
	CHECK(parse("msr=100", &rt) == 0);
	CHECK(rt.msr_read.nr == 1 && rt.msr_write.nr == 8);
	before = rt;
	CHECK(parse("msr=101", &rt) < 0);
	CHECK(strstr(err, "more than 8 msr_write ranges") != NULL);
	CHECK(only(&rt, &before));
	CHECK(parse("msr_read=1:2:3:4:5:6:7", &rt) == 0 &&
	      rt.msr_read.nr == 8);
	CHECK(parse("msr_read=8", &rt) < 0 &&
	      strstr(err, "more than 8 msr_read ranges (RS_ROUTE_MAX_RANGES)"));
}

void test_route_parse(void)
{
	test_route_good();
	test_route_bad();
	test_route_limit();
}
