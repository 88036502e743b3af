// SPDX-License-Identifier: GPL-2.0
/*
 * Random numbers and random vCPU state for the fuzz tests
 * (hostile_state_test, guest_fuzz_test).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_fuzz.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static __thread uint64_t rng_state = 1;

uint64_t rs_fuzz_env_seed(uint64_t fixed)
{
	const char *env = getenv("RS_SEED");

	if (env && !strcmp(env, "random"))
		return (uint64_t)time(NULL) * 2654435761u;
	return env ? strtoull(env, NULL, 0) : fixed;
}

void rs_rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

uint64_t rs_rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

uint64_t rs_fuzz_pick(uint64_t old)
{
	static const uint64_t edge[] = {
		0, 1, ~0ULL, 0x7fffffff, 0x80000000, 0xffffffff,
		1ULL << 63, 0x00007fffffffffffULL, 0x0000800000000000ULL,
		0xffff800000000000ULL, 0xfffffffffffff000ULL, 0xffff,
		0x10000, 0xfff, 0x1000,
	};

	switch (rs_rnd() % 5) {
	case 0:
		return edge[rs_rnd() % ARRAY_LEN(edge)];
	case 1:
		return old ^ (1ULL << (rs_rnd() % 64));
	case 2:
		return rs_rnd() & 0xffff;
	case 3:
		return old;
	}
	return rs_rnd();
}

static void mutate_segment(struct rs_segment *s)
{
	switch (rs_rnd() % 4) {
	case 0:
		s->base = rs_fuzz_pick(s->base);
		break;
	case 1:
		s->limit = rs_fuzz_pick(s->limit);
		break;
	case 2:
		s->selector = rs_fuzz_pick(s->selector);
		break;
	default:
		s->attr = rs_fuzz_pick(s->attr);
	}
}

void rs_fuzz_mutate_sregs(struct rs_sregs *s, uint64_t ram_size)
{
	struct rs_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};
	__u64 *crs[] = { &s->cr0, &s->cr2, &s->cr3, &s->cr4, &s->cr8, &s->efer };
	unsigned int n = 1 + rs_rnd() % 4;

	/* Sometimes start from long mode, the state most checks guard. */
	if (!(rs_rnd() % 4)) {
		s->cr0 = 0x80000011;
		s->cr4 = 0x20;
		s->efer = 0x500;
		s->cs.attr = 0xa09b;
		s->cr3 = rs_rnd() & (ram_size - 0x1000);
	}
	while (n--) {
		switch (rs_rnd() % 3) {
		case 0:
			mutate_segment(segs[rs_rnd() % 8]);
			break;
		case 1:
			if (rs_rnd() & 1)
				s->gdt.base = rs_fuzz_pick(s->gdt.base);
			else
				s->idt.limit = rs_fuzz_pick(s->idt.limit);
			break;
		default: {
			__u64 *cr = crs[rs_rnd() % 6];

			*cr = rs_fuzz_pick(*cr);
		}
		}
	}
}

void rs_fuzz_mutate_regs(struct rs_regs *r, uint64_t ram_size)
{
	__u64 *gpr = &r->rax;
	unsigned int n = 1 + rs_rnd() % 4;

	while (n--) {
		switch (rs_rnd() % 4) {
		case 0:
			r->rip = rs_fuzz_pick(r->rip) &
				 (rs_rnd() & 1 ? ram_size - 1 : ~0ULL);
			break;
		case 1:
			r->rflags = rs_fuzz_pick(r->rflags);
			break;
		default: {
			__u64 *g = &gpr[rs_rnd() % 16];

			*g = rs_fuzz_pick(*g);
		}
		}
	}
}

/* MSRs a user may set; each either takes the value or refuses it. */
static const uint32_t fuzz_msrs[] = {
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
	0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x174, 0x175, 0x176,
	0x277, 0x10, 0x1d9, 0x1a0, 0x2ff, 0x1b, 0x48, 0x49, 0x10b, 0x8b,
	0x17a, 0xc0010015, 0x12345678,
};

unsigned int rs_fuzz_msrs(struct rs_msr_entry *e, unsigned int max)
{
	unsigned int i, n = 1 + rs_rnd() % max;

	memset(e, 0, n * sizeof(*e));
	for (i = 0; i < n; i++) {
		e[i].index = fuzz_msrs[rs_rnd() % ARRAY_LEN(fuzz_msrs)];
		e[i].data = rs_fuzz_pick(0);
	}
	return n;
}

void rs_fuzz_event(struct rs_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = rs_rnd() % 4;
	ev->vector = rs_rnd() % 300;
	ev->flags = rs_rnd() % 3 ? 0 : RS_EVENT_HAS_ERROR_CODE;
	ev->error_code = (uint32_t)rs_rnd();
}
