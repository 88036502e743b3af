// SPDX-License-Identifier: GPL-2.0
/*
 * XSETBV takes only an XCR0 the SDM's pseudo-code allows (and KVM's
 * __kvm_set_xcr): x87 always, SSE before AVX, AVX before AVX-512 and the
 * three AVX-512 parts together, MPX's two parts together, AMX's two parts
 * together, no supervisor or unknown feature, nothing the guest's CPUID
 * (leaf 0DH) does not list, XCR 0 only.  Anything else is #GP(0) in the
 * guest, and never reaches the host's own XSETBV on entry; a legal value
 * reads back with XGETBV.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define X87		(1ULL << 0)
#define SSE		(1ULL << 1)
#define AVX		(1ULL << 2)
#define BNDREGS		(1ULL << 3)
#define BNDCSR		(1ULL << 4)
#define AVX512		(7ULL << 5)
#define PT		(1ULL << 8)		/* supervisor */
#define PKRU		(1ULL << 9)
#define XTILECFG	(1ULL << 17)
#define XTILEDATA	(1ULL << 18)

static const uint64_t illegal[] = {
	0, SSE, X87 | AVX, SSE | AVX, X87 | BNDREGS, X87 | BNDCSR,
	X87 | SSE | AVX | (1ULL << 5), X87 | SSE | AVX | (3ULL << 5),
	X87 | SSE | AVX512, X87 | SSE | XTILECFG, X87 | SSE | XTILEDATA,
	X87 | SSE | PT, X87 | SSE | (1ULL << 10), X87 | SSE | (1ULL << 13),
	X87 | SSE | (1ULL << 62), X87 | SSE | (1ULL << 63), ~0ULL,
};

static uint64_t xsetbv_safe(uint32_t xcr, uint64_t v, uint64_t *ec)
{
	return RS_ASM_SAFE_EC("xsetbv", ec, , "a"((uint32_t)v),
			      "d"((uint32_t)(v >> 32)), "c"(xcr));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | ((uint64_t)hi << 32);
}

static void guest_code(void)
{
	struct rs_cpuid_regs r = rs_cpuid(1, 0);
	uint64_t supported, ec, vec, i;

	if (!(r.ecx & (1u << 26))) {
		GUEST_SYNC_ARGS(0, 0, 0, 0);	/* no XSAVE */
		GUEST_DONE();
	}
	write_cr4(read_cr4() | X86_CR4_OSXSAVE);
	r = rs_cpuid(0xd, 0);
	supported = r.eax | ((uint64_t)r.edx << 32);
	GUEST_SYNC_ARGS(0, 1, supported, xgetbv0());

	for (i = 0; i < sizeof(illegal) / sizeof(illegal[0]); i++) {
		ec = ~0ULL;
		vec = xsetbv_safe(0, illegal[i], &ec);
		GUEST_SYNC_ARGS(1, illegal[i], vec, ec);
	}
	/* Legal by the rules, but not a feature this guest's CPUID lists. */
	for (i = 2; i < 64; i++) {
		uint64_t v = X87 | SSE | (1ULL << i);

		if ((supported & (1ULL << i)) || i == 2)
			continue;
		ec = ~0ULL;
		vec = xsetbv_safe(0, v, &ec);
		GUEST_SYNC_ARGS(1, v, vec, ec);
	}
	/* XCR 1 (XINUSE's read-only mirror) and up cannot be written. */
	ec = ~0ULL;
	vec = xsetbv_safe(1, X87 | SSE, &ec);
	GUEST_SYNC_ARGS(1, 1ULL << 63 | 1, vec, ec);

	/* Legal ones take effect. */
	vec = xsetbv_safe(0, X87, &ec);
	GUEST_SYNC_ARGS(2, X87, vec, xgetbv0());
	vec = xsetbv_safe(0, X87 | SSE, &ec);
	GUEST_SYNC_ARGS(2, X87 | SSE, vec, xgetbv0());
	if (supported & AVX) {
		vec = xsetbv_safe(0, X87 | SSE | AVX, &ec);
		GUEST_SYNC_ARGS(2, X87 | SSE | AVX, vec, xgetbv0());
	}
	GUEST_DONE();
}

TEST(illegal_xcr0_is_gp)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint64_t cmd;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, uc.args[0]);
	if (!uc.args[1]) {
		rs_vcpu_expect_done(vcpu);
		rs_vm_free(vm);
		SKIP(return, "the guest's CPUID has no XSAVE");
	}
	TH_LOG("CPUID.0DH XCR0 mask %#lx, XCR0 at start %#lx",
	       (unsigned long)uc.args[2], (unsigned long)uc.args[3]);

	while ((cmd = rs_vcpu_run_ucall(vcpu, &uc)) == UCALL_SYNC) {
		if (uc.args[0] == 1) {
			EXPECT_EQ(GP_VECTOR, uc.args[2])
				TH_LOG("XSETBV %#lx raised %lu", (unsigned long)uc.args[1],
				       (unsigned long)uc.args[2]);
			EXPECT_EQ(0, uc.args[3]) TH_LOG("#GP error code");
		} else {
			ASSERT_EQ(2, uc.args[0]);
			EXPECT_EQ(RS_NO_EXCEPTION, uc.args[2])
				TH_LOG("legal XSETBV %#lx faulted", (unsigned long)uc.args[1]);
			EXPECT_EQ(uc.args[1], uc.args[3]) TH_LOG("XGETBV");
		}
	}
	EXPECT_EQ(UCALL_DONE, cmd);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
