// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID routed by leaf (RS_SET_EXIT_ROUTE's cpuid ranges): a leaf in a
 * range exits as RS_EXIT_ROUTED with index EAX, subindex ECX and insn_len
 * 2, and the answer decides what the guest sees.  DEFAULT is ringside's
 * own answer (the same as an unrouted CPUID of the leaf); SKIP leaves
 * RAX, RBX, RCX and RDX as they were before CPUID; EMULATE gives the
 * guest results[0-3] in EAX, EBX, ECX and EDX (zero-extended, as CPUID
 * writes them in 64-bit mode: SDM vol. 2, "CPUID"), a leaf ringside's
 * table lacks included; INJECT #UD faults with RIP on the CPUID.  A leaf
 * next to a range does not exit, nor does any after an empty route.
 */
#include <asm/svm.h>
#include <asm/vmx.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define HIGH		0x5a5a5a5a00000000ULL	/* RAX, RCX: ignored by CPUID */
#define RBX_BEFORE	0xb0b0b0b0b1b1b1b1ULL
#define RDX_BEFORE	0xd0d0d0d0d1d1d1d1ULL
/* results[] for leaf i: the upper half must not reach the guest */
#define EMULATED(i, r)	(0xffffffff00000000ULL | 0xe0000000U | (i) << 8 | (r))

static const struct {
	uint32_t leaf, sub;
} leaves[] = {
	{ 0, 0 },		/* below range A */
	{ 1, 0x11 },		/* range A: 1-7 */
	{ 7, 0 },
	{ 8, 0x22 },		/* above range A */
	{ 0x3fffffff, 0 },	/* below range B */
	{ 0x40000000, 0x33 },	/* range B: 40000000H-40000001H */
	{ 0x40000001, 0x44 },
	{ 0x40000002, 0 },	/* above range B */
	{ 0x4fff0000, 0x55 },	/* range C: a leaf the table lacks */
	{ 0x80000001, 0 },
};

#define NR_LEAVES	ARRAY_SIZE(leaves)

static const struct rs_route_ranges ranges = {
	.nr = 3,
	.range = {
		{ 1, 7 },
		{ 0x40000000, 0x40000001 },
		{ 0x4fff0000, 0x4fff0000 },
	},
};

/*
 * Pass 0 runs unrouted, passes 1-4 routed with one answer each, the last
 * one after an empty route.
 */
#define PASSES		6
static const uint32_t answers[PASSES] = {
	[1] = RS_ROUTE_DEFAULT, [2] = RS_ROUTE_SKIP,
	[3] = RS_ROUTE_EMULATE, [4] = RS_ROUTE_INJECT,
};

/* What the guest's last CPUID left: the host reads it after each sync. */
static struct regs {
	uint64_t vec, rax, rbx, rcx, rdx;
} out;

static void guest_code(void)
{
	uint64_t a, b, c, d, ec;
	unsigned int pass, i;

	for (pass = 0; pass < PASSES; pass++) {
		for (i = 0; i < NR_LEAVES; i++) {
			a = HIGH | leaves[i].leaf;
			c = HIGH | leaves[i].sub;
			b = RBX_BEFORE;
			d = RDX_BEFORE;
			out.vec = RS_ASM_SAFE_EC("cpuid", &ec,
						 COMMA_OUT("+a"(a), "+b"(b),
							   "+c"(c), "+d"(d)));
			out.rax = a;
			out.rbx = b;
			out.rcx = c;
			out.rdx = d;
			GUEST_SYNC(pass << 8 | i);
		}
	}
	GUEST_DONE();
}

static void answer(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
		   unsigned int pass, unsigned int i)
{
	struct rs_run *run = vcpu->run;
	int r;

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_CPUID, leaves[i].leaf);
	EXPECT_EQ(leaves[i].sub, run->routed.subindex)
		TH_LOG("leaf %#x: subindex", leaves[i].leaf);
	EXPECT_EQ(2, run->routed.insn_len);
	EXPECT_EQ(0, run->routed.flags);
	EXPECT_EQ(vcpu->vm->svm ? SVM_EXIT_CPUID : EXIT_REASON_CPUID,
		  vcpu->vm->svm ? run->routed.hw_code :
				  run->routed.hw_code & 0xffff);

	if (answers[pass] == RS_ROUTE_INJECT) {
		rs_route_answer_inject(vcpu, UD_VECTOR, false, 0);
		return;
	}
	rs_route_answer(vcpu, answers[pass], 0);
	for (r = 0; r < 4; r++)
		run->routed.results[r] = EMULATED(i, r);
}

TEST(cpuid_routed)
{
	struct rs_exit_route rt = { .cpuid = ranges }, none = { 0 };
	struct regs base[NR_LEAVES], want;
	unsigned int pass, i;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	bool routed;
	uint32_t a;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	for (pass = 0; pass < PASSES; pass++) {
		if (pass == 1)
			rs_vcpu_set_route(vcpu, &rt);
		if (pass == PASSES - 1)
			rs_vcpu_set_route(vcpu, &none);
		a = answers[pass];
		for (i = 0; i < NR_LEAVES; i++) {
			routed = pass && pass < PASSES - 1 &&
				 rs_route_in_ranges(&ranges, leaves[i].leaf);
			if (routed)
				answer(_metadata, vcpu, pass, i);
			/* a leaf outside the ranges must not exit */
			rs_vcpu_expect_sync(vcpu, pass << 8 | i);
			rs_sync_global_from_guest(vm, out);

			if (!pass) {
				base[i] = out;
				EXPECT_EQ(RS_NO_EXCEPTION, out.vec);
				/* 64-bit CPUID clears the upper halves */
				EXPECT_EQ(0, (out.rax | out.rbx | out.rcx |
					      out.rdx) >> 32)
					TH_LOG("leaf %#x", leaves[i].leaf);
			}
			want = base[i];
			if (routed && a == RS_ROUTE_EMULATE) {
				want.rax = (uint32_t)EMULATED(i, 0);
				want.rbx = (uint32_t)EMULATED(i, 1);
				want.rcx = (uint32_t)EMULATED(i, 2);
				want.rdx = (uint32_t)EMULATED(i, 3);
			} else if (routed && a != RS_ROUTE_DEFAULT) {
				want.vec = a == RS_ROUTE_INJECT ? UD_VECTOR :
								  RS_NO_EXCEPTION;
				want.rax = HIGH | leaves[i].leaf;
				want.rbx = RBX_BEFORE;
				want.rcx = HIGH | leaves[i].sub;
				want.rdx = RDX_BEFORE;
			}
			EXPECT_EQ(want.vec, out.vec)
				TH_LOG("pass %u (answer %u%s): leaf %#x raised %lu",
				       pass, a, routed ? "" : ", not routed",
				       leaves[i].leaf, (unsigned long)out.vec);
			EXPECT_EQ(0, memcmp(&want, &out, sizeof(out))) {
				TH_LOG("pass %u (answer %u%s): leaf %#x",
				       pass, a, routed ? "" : ", not routed",
				       leaves[i].leaf);
				TH_LOG("gave %#lx %#lx %#lx %#lx",
				       (unsigned long)out.rax,
				       (unsigned long)out.rbx,
				       (unsigned long)out.rcx,
				       (unsigned long)out.rdx);
				TH_LOG("expected %#lx %#lx %#lx %#lx",
				       (unsigned long)want.rax,
				       (unsigned long)want.rbx,
				       (unsigned long)want.rcx,
				       (unsigned long)want.rdx);
			}
		}
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
