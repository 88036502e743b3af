// SPDX-License-Identifier: GPL-2.0
/*
 * RS_SET_EXIT_ROUTE and RS_GET_EXIT_ROUTE, the calls themselves:
 * RS_CAP_EXIT_ROUTE is 1; a route the uAPI refuses fails with its errno
 * on a vCPU fd and on a VM fd alike and changes nothing (EFAULT: a bad
 * pointer; EINVAL: flags, pad or reserved set, a reserved vector, a CR
 * other than 0, 3, 4, 8, a DR above 7, an unknown instruction bit, more
 * than RS_ROUTE_MAX_RANGES ranges, first > last, a port above 0xffff, a
 * range slot past nr not zero; EPERM: NMI and #MC; EOPNOTSUPP: reads of
 * CR0 and CR4); GET returns what SET set; the VM's route reaches its
 * vCPUs, those created later too, until a vCPU's own replaces it; an
 * empty route routes nothing; and a routed exit's answer that makes no
 * sense fails RS_RUN with EINVAL, the event waiting for a good one.
 *
 * The routed event that shows a route at work is CPUID of a leaf no CPU
 * has, which exits on both backends whatever is routed.
 */
#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define LEAF		0x5a5a0001U
#define SUBLEAF		7U

/* Vectors a route may name: 0-19 but NMI (2), #MC (18), 9 and 15. */
#define VALID_VECTORS	(0xfffffU & ~((1U << 2) | (1U << 9) | (1U << 15) | (1U << 18)))

/* CPUID of LEAF, over and over: what it returned each time. */
static void cpuid_guest(void)
{
	struct rs_cpuid_regs r;
	uint64_t i;

	for (i = 1;; i++) {
		r = rs_cpuid(LEAF, SUBLEAF);
		rs_ucall(UCALL_SYNC, i, r.eax, r.ebx, r.ecx, r.edx, 0);
	}
}

TEST(capability)
{
	RS_REQUIRE_VIRT();
	EXPECT_EQ(1, rs_check_cap(RS_CAP_EXIT_ROUTE));
}

/* Everything a route may name, the ranges at their edges. */
static void full_route(struct rs_exit_route *rt)
{
	struct rs_route_ranges *rr[] = { &rt->msr_read, &rt->msr_write, &rt->cpuid, &rt->ports };
	unsigned int i, k;

	memset(rt, 0, sizeof(*rt));
	rt->exceptions = VALID_VECTORS;
	rt->cr_read = (1U << 3) | (1U << 8);
	rt->cr_write = (1U << 0) | (1U << 3) | (1U << 4) | (1U << 8);
	rt->dr_read = 0xff;
	rt->dr_write = 0xff;
	rt->insns = RS_ROUTE_RDTSC | RS_ROUTE_RDTSCP | RS_ROUTE_INVLPG |
		    RS_ROUTE_HLT | RS_ROUTE_PAUSE | RS_ROUTE_INVD |
		    RS_ROUTE_WBINVD | RS_ROUTE_XSETBV;
	for (k = 0; k < ARRAY_SIZE(rr); k++) {
		rr[k]->nr = RS_ROUTE_MAX_RANGES;
		for (i = 0; i < RS_ROUTE_MAX_RANGES; i++) {
			rr[k]->range[i].first = i * 0x100 + k;
			rr[k]->range[i].last = i * 0x100 + k + i;
		}
		/* the widest range there is */
		rr[k]->range[7].last = k == 3 ? 0xffff : 0xffffffff;
	}
}

/* Another route, sparse: the CPUID leaf, a vector, a CR. */
static void probe_route(struct rs_exit_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->exceptions = 1U << UD_VECTOR;
	rt->cr_write = 1U << 3;
	rt->cpuid.nr = 1;
	rt->cpuid.range[0].first = LEAF;
	rt->cpuid.range[0].last = LEAF;
}

static void expect_route(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
			 const struct rs_exit_route *want, const char *what)
{
	struct rs_exit_route got;

	rs_vcpu_get_route(vcpu, &got);
	EXPECT_EQ(0, memcmp(want, &got, sizeof(got)))
		TH_LOG("vCPU %u: RS_GET_EXIT_ROUTE is not %s (exceptions %#x, cpuid.nr %u)",
		       vcpu->id, what, got.exceptions, got.cpuid.nr);
}

TEST(get_returns_what_set_set)
{
	struct rs_exit_route zero = { 0 }, rt;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	vcpu = rs_vcpu_add(vm, 0, cpuid_guest);
	expect_route(_metadata, vcpu, &zero, "empty at first");

	full_route(&rt);
	rs_vcpu_set_route(vcpu, &rt);
	expect_route(_metadata, vcpu, &rt, "the full route set");
	probe_route(&rt);
	rs_vcpu_set_route(vcpu, &rt);
	expect_route(_metadata, vcpu, &rt, "the sparse route set");
	rs_vcpu_set_route(vcpu, &zero);
	expect_route(_metadata, vcpu, &zero, "empty again");
	rs_vm_free(vm);
}

/* One change each that makes a route invalid: up to three u32 written. */
#define F(f)	offsetof(struct rs_exit_route, f)
#define R(r, i, f)	(F(r) + offsetof(struct rs_route_ranges, range) + \
			 (i) * 8 + ((f) ? 4 : 0))
#define RNR(r)	F(r.nr)
#define RPAD(r)	F(r.pad)
#define FIRST	0
#define LAST	1

static const struct bad {
	const char *what;
	int err;
	struct { size_t off; uint32_t val; } w[3];
	unsigned int nw;
} bad[] = {
	{ "flags 1", EINVAL, { { F(flags), 1 } }, 1 },
	{ "flags bit 31", EINVAL, { { F(flags), 1U << 31 } }, 1 },
	{ "pad", EINVAL, { { F(pad), 1 } }, 1 },
	{ "reserved[0]", EINVAL, { { F(reserved[0]), 1 } }, 1 },
	{ "reserved[7], high half", EINVAL, { { F(reserved[7]) + 4, 1U << 31 } }, 1 },
	{ "vector 9", EINVAL, { { F(exceptions), 1U << 9 } }, 1 },
	{ "vector 15", EINVAL, { { F(exceptions), 1U << 15 } }, 1 },
	{ "vector 20", EINVAL, { { F(exceptions), 1U << 20 } }, 1 },
	{ "vector 31", EINVAL, { { F(exceptions), 1U << 31 } }, 1 },
	{ "vector 2 (NMI)", EPERM, { { F(exceptions), 1U << 2 } }, 1 },
	{ "vector 18 (#MC)", EPERM, { { F(exceptions), 1U << 18 } }, 1 },
	{ "vectors 2, 18 and 6", EPERM,
	  { { F(exceptions), (1U << 2) | (1U << 18) | (1U << 6) } }, 1 },
	{ "cr_read CR1", EINVAL, { { F(cr_read), 1U << 1 } }, 1 },
	{ "cr_read CR2", EINVAL, { { F(cr_read), 1U << 2 } }, 1 },
	{ "cr_read CR5", EINVAL, { { F(cr_read), 1U << 5 } }, 1 },
	{ "cr_read CR9", EINVAL, { { F(cr_read), 1U << 9 } }, 1 },
	{ "cr_read CR15", EINVAL, { { F(cr_read), 1U << 15 } }, 1 },
	{ "cr_read CR31", EINVAL, { { F(cr_read), 1U << 31 } }, 1 },
	{ "cr_write CR1", EINVAL, { { F(cr_write), 1U << 1 } }, 1 },
	{ "cr_write CR2", EINVAL, { { F(cr_write), 1U << 2 } }, 1 },
	{ "cr_write CR7", EINVAL, { { F(cr_write), 1U << 7 } }, 1 },
	{ "cr_write CR9", EINVAL, { { F(cr_write), 1U << 9 } }, 1 },
	{ "cr_write CR31", EINVAL, { { F(cr_write), 1U << 31 } }, 1 },
	{ "cr_read CR0", EOPNOTSUPP, { { F(cr_read), 1U << 0 } }, 1 },
	{ "cr_read CR4", EOPNOTSUPP, { { F(cr_read), 1U << 4 } }, 1 },
	{ "cr_read CR0 and CR3", EOPNOTSUPP, { { F(cr_read), (1U << 0) | (1U << 3) } }, 1 },
	{ "dr_read bit 8", EINVAL, { { F(dr_read), 1U << 8 } }, 1 },
	{ "dr_read bit 31", EINVAL, { { F(dr_read), 1U << 31 } }, 1 },
	{ "dr_write bit 8", EINVAL, { { F(dr_write), 1U << 8 } }, 1 },
	{ "dr_write bit 15", EINVAL, { { F(dr_write), 1U << 15 } }, 1 },
	{ "insns bit 8", EINVAL, { { F(insns), 1U << 8 } }, 1 },
	{ "insns bit 31", EINVAL, { { F(insns), 1U << 31 } }, 1 },
	{ "msr_read.nr 9", EINVAL, { { RNR(msr_read), 9 } }, 1 },
	{ "msr_write.nr 0xffffffff", EINVAL, { { RNR(msr_write), 0xffffffff } }, 1 },
	{ "cpuid.nr 9", EINVAL, { { RNR(cpuid), 9 } }, 1 },
	{ "ports.nr 0x80000000", EINVAL, { { RNR(ports), 0x80000000 } }, 1 },
	{ "msr_read.pad", EINVAL, { { RPAD(msr_read), 1 } }, 1 },
	{ "ports.pad", EINVAL, { { RPAD(ports), 1 } }, 1 },
	{ "msr_read first > last", EINVAL,
	  { { RNR(msr_read), 1 }, { R(msr_read, 0, FIRST), 5 }, { R(msr_read, 0, LAST), 4 } }, 3 },
	{ "msr_write first > last", EINVAL,
	  { { RNR(msr_write), 1 }, { R(msr_write, 0, FIRST), 0xc0000081 },
	    { R(msr_write, 0, LAST), 0xc0000080 } }, 3 },
	{ "cpuid range 7 first > last", EINVAL,
	  { { RNR(cpuid), 8 }, { R(cpuid, 7, FIRST), 0xffffffff } }, 2 },
	{ "ports first > last", EINVAL,
	  { { RNR(ports), 1 }, { R(ports, 0, FIRST), 0x3f9 }, { R(ports, 0, LAST), 0x3f8 } }, 3 },
	{ "ports last 0x10000", EINVAL,
	  { { RNR(ports), 1 }, { R(ports, 0, LAST), 0x10000 } }, 2 },
	{ "ports first and last 0x10000", EINVAL,
	  { { RNR(ports), 2 }, { R(ports, 1, FIRST), 0x10000 },
	    { R(ports, 1, LAST), 0x10000 } }, 3 },
	{ "ports last 0xffffffff", EINVAL,
	  { { RNR(ports), 1 }, { R(ports, 0, LAST), 0xffffffff } }, 2 },
	{ "msr_read range 0 first, nr 0", EINVAL, { { R(msr_read, 0, FIRST), 1 } }, 1 },
	{ "msr_write range 1 last, nr 1", EINVAL,
	  { { RNR(msr_write), 1 }, { R(msr_write, 1, LAST), 1 } }, 2 },
	{ "cpuid range 7 first, nr 7", EINVAL,
	  { { RNR(cpuid), 7 }, { R(cpuid, 7, FIRST), 0x80000000 } }, 2 },
	{ "ports range 4 last, nr 0", EINVAL, { { R(ports, 4, LAST), 0x80 } }, 1 },
};

/*
 * @rt with a bad change, set on @fd: must fail with the change's errno and
 * leave @vcpu's route at @before.
 */
static void expect_refused(struct __test_metadata *_metadata, int fd, const char *fd_name,
			   struct rs_vcpu *vcpu, const struct rs_exit_route *before)
{
	struct rs_exit_route rt;
	unsigned int i, j;
	int r, e;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&rt, 0, sizeof(rt));
		for (j = 0; j < bad[i].nw; j++)
			memcpy((char *)&rt + bad[i].w[j].off, &bad[i].w[j].val, 4);
		errno = 0;
		r = ioctl(fd, RS_SET_EXIT_ROUTE, &rt);
		e = errno;
		EXPECT_EQ(-1, r) TH_LOG("%s on the %s fd: succeeded", bad[i].what, fd_name);
		if (r == -1) {
			EXPECT_EQ(bad[i].err, e)
				TH_LOG("%s on the %s fd: %s, expected %s", bad[i].what, fd_name,
				       strerrorname_np(e) ?: "?", strerrorname_np(bad[i].err));
		}
		expect_route(_metadata, vcpu, before, "as before a refused SET");
	}
}

TEST(refused_routes)
{
	struct rs_exit_route before;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	vcpu = rs_vcpu_add(vm, 0, cpuid_guest);
	probe_route(&before);
	rs_vcpu_set_route(vcpu, &before);
	expect_refused(_metadata, vcpu->fd, "vCPU", vcpu, &before);
	expect_refused(_metadata, vm->fd, "VM", vcpu, &before);
	rs_vm_free(vm);
}

TEST(bad_pointers)
{
	struct rs_exit_route before, *edge;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	char *p;
	int fd;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	vcpu = rs_vcpu_add(vm, 0, cpuid_guest);
	probe_route(&before);
	rs_vcpu_set_route(vcpu, &before);

	/* A route that runs into a page that is not there. */
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + 4096, 4096));
	edge = (struct rs_exit_route *)(p + 4096 - sizeof(*edge) / 2);
	memset(edge, 0, sizeof(*edge) / 2);

	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, (void *)1));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, edge));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, (void *)0xffff888000000000ULL));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, RS_SET_EXIT_ROUTE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, RS_SET_EXIT_ROUTE, edge));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_GET_EXIT_ROUTE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_GET_EXIT_ROUTE, edge));
	/* read-only memory */
	ASSERT_EQ(0, mprotect(p, 4096, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_GET_EXIT_ROUTE, p));
	expect_route(_metadata, vcpu, &before, "as before the bad pointers");
	munmap(p, 4096);

	/* Not the VM's, not /dev/ringside's. */
	EXPECT_ERRNO(ENOTTY, ioctl(vm->fd, RS_GET_EXIT_ROUTE, &before));
	fd = rs_open_dev();
	EXPECT_ERRNO(ENOTTY, ioctl(fd, RS_SET_EXIT_ROUTE, &before));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, RS_GET_EXIT_ROUTE, &before));
	close(fd);
	rs_vm_free(vm);
}

/*
 * Run @vcpu's CPUID of LEAF: routed, answered EMULATE with results of its
 * own that the guest then gets; or not routed, the guest getting what
 * ringside gives.
 */
static void probe(struct __test_metadata *_metadata, struct rs_vcpu *vcpu, bool routed)
{
	uint32_t base = 0x1000 * (vcpu->id + 1);
	struct rs_run *run = vcpu->run;
	struct ucall uc;
	char buf[256];
	unsigned int i;

	rs_vcpu_run(vcpu);
	if (!routed) {
		ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc))
			TH_LOG("vCPU %u: CPUID not routed, yet %s", vcpu->id,
			       rs_exit_describe(vcpu, buf, sizeof(buf)));
		EXPECT_NE(base, uc.args[1]) TH_LOG("vCPU %u: CPUID's EAX", vcpu->id);
		return;
	}
	ASSERT_EQ(RS_EXIT_ROUTED, run->exit_reason)
		TH_LOG("vCPU %u: CPUID routed, yet %s", vcpu->id,
		       rs_exit_describe(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(RS_ROUTED_CPUID, run->routed.event);
	EXPECT_EQ(LEAF, run->routed.index);
	EXPECT_EQ(SUBLEAF, run->routed.subindex);
	EXPECT_EQ(2, run->routed.insn_len) TH_LOG("CPUID is 2 bytes");
	run->routed.action = RS_ROUTE_EMULATE;
	for (i = 0; i < 4; i++)
		run->routed.results[i] = base + i;
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(base + i, uc.args[1 + i])
			TH_LOG("vCPU %u: CPUID's register %u", vcpu->id, i);
	}
}

TEST(vm_route_reaches_every_vcpu)
{
	struct rs_vcpu *vcpu[3];
	struct rs_exit_route rt;
	struct rs_vm *vm;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	vcpu[0] = rs_vcpu_add(vm, 0, cpuid_guest);
	vcpu[1] = rs_vcpu_add(vm, 1, cpuid_guest);
	probe(_metadata, vcpu[0], false);

	probe_route(&rt);
	rs_vm_set_route(vm, &rt);
	expect_route(_metadata, vcpu[0], &rt, "the VM's");
	expect_route(_metadata, vcpu[1], &rt, "the VM's");
	vcpu[2] = rs_vcpu_add(vm, 2, cpuid_guest);
	expect_route(_metadata, vcpu[2], &rt, "the VM's, set before the vCPU was");
	for (i = 0; i < 3; i++)
		probe(_metadata, vcpu[i], true);
	rs_vm_free(vm);
}

/* A vCPU's route replaces the VM's for it; the VM's next route replaces all. */
TEST(vcpu_route_overrides_vm_route)
{
	struct rs_exit_route rt, zero = { 0 }, full;
	struct rs_vcpu *vcpu[3];
	struct rs_vm *vm;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	vcpu[0] = rs_vcpu_add(vm, 0, cpuid_guest);
	vcpu[1] = rs_vcpu_add(vm, 1, cpuid_guest);
	probe_route(&rt);
	rs_vm_set_route(vm, &rt);
	rs_vcpu_set_route(vcpu[0], &zero);
	expect_route(_metadata, vcpu[0], &zero, "its own");
	expect_route(_metadata, vcpu[1], &rt, "the VM's");
	probe(_metadata, vcpu[0], false);
	probe(_metadata, vcpu[1], true);

	/* The vCPU's route stays when another vCPU runs or is created. */
	vcpu[2] = rs_vcpu_add(vm, 2, cpuid_guest);
	expect_route(_metadata, vcpu[2], &rt, "the VM's");
	probe(_metadata, vcpu[0], false);

	full_route(&full);
	full.ports.nr = 0;		/* the ucalls' port stays the kernel's */
	memset(full.ports.range, 0, sizeof(full.ports.range));
	full.cpuid.nr = 1;
	full.cpuid.range[0].first = LEAF;
	full.cpuid.range[0].last = LEAF;
	memset(full.cpuid.range + 1, 0, sizeof(full.cpuid.range) - sizeof(full.cpuid.range[0]));
	rs_vm_set_route(vm, &full);
	for (i = 0; i < 3; i++) {
		expect_route(_metadata, vcpu[i], &full, "the VM's new one");
		probe(_metadata, vcpu[i], true);
	}
	rs_vm_free(vm);
}

/*
 * What a route could name, done with none: CPUID, an MSR, RDTSC, INT3 and
 * UD2 (to handlers), CR3, CR8 and DR accesses, INVLPG, PAUSE, WBINVD, and
 * the ucall's OUT.  Not one of them may be a routed exit.
 */
static volatile uint64_t handled;

static void handler(struct rs_ex_regs *regs)
{
	handled++;
	if (regs->vector == UD_VECTOR)
		regs->rip += 2;
}

static void everything_guest(void)
{
	uint64_t i, v;

	for (i = 1;; i++) {
		rs_cpuid(LEAF, 0);
		rs_cpuid(0, 0);
		wrmsr(MSR_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
		asm volatile("rdtsc" : : : "rax", "rdx");
		asm volatile("int3");
		asm volatile("ud2");
		v = read_cr3();
		asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
		v = read_cr8();
		asm volatile("mov %0, %%cr8" : : "r"(v));
		asm volatile("mov %%dr0, %0" : "=r"(v));
		asm volatile("mov %0, %%dr0" : : "r"(v));
		asm volatile("invlpg (%0)" : : "r"(&handled) : "memory");
		asm volatile("pause; wbinvd" : : : "memory");
		GUEST_SYNC_ARGS(i, handled, 0, 0);
	}
}

TEST(empty_route_routes_nothing)
{
	struct rs_exit_route zero = { 0 }, full;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, everything_guest);
	rs_vm_install_handler(vm, BP_VECTOR, handler);
	rs_vm_install_handler(vm, UD_VECTOR, handler);

	/* Never set. */
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]) TH_LOG("INT3 and UD2 reached the guest's handlers");

	/* Set to everything, then to nothing. */
	full_route(&full);
	rs_vcpu_set_route(vcpu, &full);
	rs_vcpu_set_route(vcpu, &zero);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(4, uc.args[1]);

	/* The same through the VM. */
	rs_vm_set_route(vm, &full);
	rs_vm_set_route(vm, &zero);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3, uc.args[0]);
	EXPECT_EQ(6, uc.args[1]);
	rs_vm_free(vm);
}

/*
 * An answer RS_RUN cannot carry out: an unknown action, an event
 * RS_INJECT_EVENT would refuse.  RS_RUN fails with EINVAL, RIP stays,
 * the event waits; a good answer then works.
 */
static int run_with_answer(struct rs_vcpu *vcpu, uint32_t action, const struct rs_event *ev)
{
	vcpu->run->routed.action = action;
	if (ev)
		vcpu->run->routed.inject = *ev;
	return __rs_vcpu_run(vcpu);
}

TEST(invalid_answer_fails_run)
{
	static const struct rs_event bad_events[] = {
		{ .type = 99, .vector = UD_VECTOR },
		{ .type = RS_EVENT_EXCEPTION, .vector = 32 },
		{ .type = RS_EVENT_EXCEPTION, .vector = UD_VECTOR, .flags = 0x80 },
		{ .type = RS_EVENT_EXCEPTION, .vector = UD_VECTOR, .reserved = { 1 } },
		{ .type = RS_EVENT_EXTINT, .vector = 256 },
	};
	struct rs_exit_route rt;
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	struct ucall uc;
	uint64_t rip;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, cpuid_guest);
	probe_route(&rt);
	rs_vcpu_set_route(vcpu, &rt);
	rs_vcpu_expect_routed(vcpu, RS_ROUTED_CPUID, LEAF);
	rs_vcpu_regs_get(vcpu, &regs);
	rip = regs.rip;

	EXPECT_ERRNO(EINVAL, run_with_answer(vcpu, 4, NULL));
	EXPECT_ERRNO(EINVAL, run_with_answer(vcpu, 7, NULL));
	EXPECT_ERRNO(EINVAL, run_with_answer(vcpu, 0xffffffff, NULL));
	for (i = 0; i < ARRAY_SIZE(bad_events); i++) {
		EXPECT_ERRNO(EINVAL, run_with_answer(vcpu, RS_ROUTE_INJECT, &bad_events[i]));
		if (!_metadata->passed)
			TH_LOG("injected event %u", i);
	}
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(rip, regs.rip) TH_LOG("RIP moved under the refused answers");

	/* The event still waits: a good answer completes it. */
	memset(&vcpu->run->routed.inject, 0, sizeof(vcpu->run->routed.inject));
	vcpu->run->routed.action = RS_ROUTE_EMULATE;
	for (i = 0; i < 4; i++)
		vcpu->run->routed.results[i] = 0x100 + i;
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]) TH_LOG("the first CPUID");
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0x100 + i, uc.args[1 + i]) TH_LOG("CPUID's register %u", i);
	}
	/* And the next routed exit is answered as ever. */
	probe(_metadata, vcpu, true);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
