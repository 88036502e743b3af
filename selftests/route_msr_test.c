// SPDX-License-Identifier: GPL-2.0
/*
 * RDMSR and WRMSR routed by index (RS_SET_EXIT_ROUTE's msr_read and
 * msr_write ranges, each on its own): an access in a range exits as
 * RS_EXIT_ROUTED with the index, for WRMSR the value EDX:EAX, and
 * insn_len 2; the answer decides what the guest sees.  DEFAULT is what
 * ringside does unrouted (a known MSR reads or takes its value, one it
 * does not know #GPs); SKIP leaves EDX:EAX as they were, or the MSR
 * unwritten; EMULATE gives RDMSR results[0] in EDX:EAX (for an MSR
 * ringside does not know as well: user space implements it) and takes a
 * WRMSR as done by user space; INJECT #GP(0) faults with RIP on the
 * instruction.  The ranges lie in both MSR areas, 0-1FFFH and C0000000H,
 * around MSRs that both backends let the guest access without an exit
 * (SYSENTER_ESP/EIP, FS_BASE, GS_BASE: their MSR bitmaps pass them
 * through) and which must exit once routed; the MSR next to a range (here
 * passed through as well: SYSENTER_CS, KERNEL_GS_BASE) does not exit, nor
 * does the access of the other direction, nor anything after an empty
 * route.
 */
#include <asm/svm.h>
#include <asm/vmx.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define SENTINEL	0xdeadbeefcafef00dULL	/* EDX:EAX before RDMSR */
#define EMULATED(i)	(0x8765432100000000ULL | (i) << 4 | 0xa)

static const struct {
	uint32_t index;
	bool known;		/* ringside has it: else RDMSR/WRMSR #GP */
	uint64_t val;		/* the guest writes this, plus pass << 12 */
} msrs[] = {
	{ MSR_IA32_SYSENTER_CS,	 true,	0x10 },		/* below range A */
	{ MSR_IA32_SYSENTER_ESP, true,	0x7000 },	/* range A: 175H-177H */
	{ MSR_IA32_SYSENTER_EIP, true,	0x401000 },
	{ 0x177,		 false,	0x1234 },
	{ 0x178,		 false,	0x5678 },	/* above range A */
	{ 0xc00000ff,		 false,	0x9abc },	/* below range B */
	{ MSR_FS_BASE,		 true,	0x00007f0000001000ULL }, /* range B */
	{ MSR_GS_BASE,		 true,	0x00007f1000002000ULL },
	{ MSR_KERNEL_GS_BASE,	 true,	0x00007f2000003000ULL }, /* above B */
};

#define NR_MSRS		ARRAY_SIZE(msrs)

static const struct rs_route_ranges ranges = {
	.nr = 2,
	.range = {
		{ MSR_IA32_SYSENTER_ESP, 0x177 },
		{ MSR_FS_BASE, MSR_GS_BASE },
	},
};

/*
 * Pass 0 runs unrouted, passes 1-4 routed with one answer each, and the
 * last one after an empty route.
 */
#define PASSES		6
static const uint32_t answers[PASSES] = {
	[1] = RS_ROUTE_DEFAULT, [2] = RS_ROUTE_SKIP,
	[3] = RS_ROUTE_EMULATE, [4] = RS_ROUTE_INJECT,
};

static uint64_t wval(unsigned int pass, unsigned int i)
{
	return msrs[i].val + ((uint64_t)pass << 12);
}

/* RDMSR with EDX:EAX preset to SENTINEL, so that a skip shows. */
static uint64_t rdmsr_preset(uint32_t msr, uint64_t *val, uint64_t *ec)
{
	uint32_t lo = (uint32_t)SENTINEL, hi = SENTINEL >> 32;
	uint64_t vec;

	vec = RS_ASM_SAFE_EC("rdmsr", ec, COMMA_OUT("+a"(lo), "+d"(hi)),
			     "c"(msr));
	*val = lo | (uint64_t)hi << 32;
	return vec;
}

/*
 * Each MSR in turn: write it, read it back, report both vectors, RDMSR's
 * error code and what it read.
 */
static void guest_code(void)
{
	uint64_t wvec, rvec, ec, v;
	unsigned int pass, i;

	for (pass = 0; pass < PASSES; pass++) {
		for (i = 0; i < NR_MSRS; i++) {
			wvec = wrmsr_safe(msrs[i].index, wval(pass, i));
			ec = 0;
			rvec = rdmsr_preset(msrs[i].index, &v, &ec);
			GUEST_SYNC_ARGS(pass << 8 | i, wvec, rvec | ec << 16, v);
		}
	}
	GUEST_DONE();
}

/* The routed exit of msrs[i] in @pass: check it, and answer. */
static void answer(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
		   bool write, unsigned int pass, unsigned int i)
{
	struct rs_run *run = vcpu->run;
	uint32_t vmx = write ? EXIT_REASON_MSR_WRITE :
			      EXIT_REASON_MSR_READ;

	rs_vcpu_expect_routed(vcpu, write ? RS_ROUTED_MSR_WRITE :
				    RS_ROUTED_MSR_READ, msrs[i].index);
	EXPECT_EQ(2, run->routed.insn_len) TH_LOG("MSR %#x", msrs[i].index);
	EXPECT_EQ(0, run->routed.flags);
	if (write) {
		EXPECT_EQ(wval(pass, i), run->routed.value)
			TH_LOG("WRMSR %#x: EDX:EAX", msrs[i].index);
	}
	/* APM vol. 2, 15.11 "MSR Intercepts": EXITINFO1 is 1 for WRMSR */
	EXPECT_EQ(vcpu->vm->svm ? SVM_EXIT_MSR : vmx,
		  vcpu->vm->svm ? run->routed.hw_code :
				  run->routed.hw_code & 0xffff);
	EXPECT_EQ(vcpu->vm->svm ? write : 0,
		  vcpu->vm->svm ? run->routed.hw_info[0] : 0);

	if (answers[pass] == RS_ROUTE_INJECT)
		rs_route_answer_inject(vcpu, GP_VECTOR, true, 0);
	else
		rs_route_answer(vcpu, answers[pass], EMULATED(i));
}

static void run_passes(struct __test_metadata *_metadata, bool write)
{
	struct rs_exit_route rt = { 0 }, none = { 0 };
	uint64_t cur[NR_MSRS], ewvec, ervec, ev, wvec, rvec, ec, v;
	unsigned int pass, i;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	bool routed, written;
	uint32_t a;

	if (write)
		rt.msr_write = ranges;
	else
		rt.msr_read = ranges;
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	for (pass = 0; pass < PASSES; pass++) {
		if (pass == 1)
			rs_vcpu_set_route(vcpu, &rt);
		if (pass == PASSES - 1)
			rs_vcpu_set_route(vcpu, &none);
		a = answers[pass];
		for (i = 0; i < NR_MSRS; i++) {
			routed = pass && pass < PASSES - 1 &&
				 rs_route_in_ranges(&ranges, msrs[i].index);
			if (routed)
				answer(_metadata, vcpu, write, pass, i);
			/* nothing else may exit: the other direction neither */
			ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
			ASSERT_EQ(pass << 8 | i, uc.args[0]);
			wvec = uc.args[1];
			rvec = uc.args[2] & 0xffff;
			ec = uc.args[2] >> 16;
			v = uc.args[3];

			/* unrouted, or DEFAULT: ringside's own */
			ewvec = msrs[i].known ? RS_NO_EXCEPTION : GP_VECTOR;
			ervec = ewvec;
			ev = msrs[i].known ? wval(pass, i) : SENTINEL;
			if (routed && !write && a != RS_ROUTE_DEFAULT) {
				ervec = a == RS_ROUTE_INJECT ? GP_VECTOR :
							       RS_NO_EXCEPTION;
				ev = a == RS_ROUTE_EMULATE ? EMULATED(i) :
							     SENTINEL;
			}
			if (routed && write && a != RS_ROUTE_DEFAULT) {
				ewvec = a == RS_ROUTE_INJECT ? GP_VECTOR :
							       RS_NO_EXCEPTION;
				if (msrs[i].known)
					ev = cur[i];	/* not written */
			}
			written = !(routed && write && a != RS_ROUTE_DEFAULT);
			if (msrs[i].known && written)
				cur[i] = wval(pass, i);

			EXPECT_EQ(ewvec, wvec)
				TH_LOG("pass %u (answer %u%s): WRMSR %#x raised %#lx",
				       pass, a, routed ? "" : ", not routed",
				       msrs[i].index, (unsigned long)wvec);
			EXPECT_EQ(ervec, rvec)
				TH_LOG("pass %u (answer %u%s): RDMSR %#x raised %#lx",
				       pass, a, routed ? "" : ", not routed",
				       msrs[i].index, (unsigned long)rvec);
			EXPECT_EQ(ev, v)
				TH_LOG("pass %u (answer %u%s): RDMSR %#x read %#lx",
				       pass, a, routed ? "" : ", not routed",
				       msrs[i].index, (unsigned long)v);
			EXPECT_EQ(0, rvec == GP_VECTOR ? ec : 0)
				TH_LOG("#GP error code");
		}
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(rdmsr_routed)
{
	RS_REQUIRE_VM();
	run_passes(_metadata, false);
}

TEST(wrmsr_routed)
{
	RS_REQUIRE_VM();
	run_passes(_metadata, true);
}

TEST_HARNESS_MAIN
