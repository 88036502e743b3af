// SPDX-License-Identifier: GPL-2.0
/*
 * The guest has no performance counters: CPUID advertises none (Intel's
 * leaf 0AH reads zero; AMD's core, northbridge and L3 counter bits and
 * leaf 80000022H are clear), and RDPMC of any counter raises #GP(0), at
 * CPL 0 with CR4.PCE clear or set, instead of reading the host's live
 * counters.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define X86_CR4_PCE	(1ULL << 8)

/* General-purpose counters 0 and 1, fixed counter 0, AMD's counter 5. */
static const uint32_t counters[] = { 0, 1, 0x40000000, 5 };

static void guest_code(void)
{
	struct rs_cpuid_regs r = rs_cpuid(0xa, 0);
	unsigned int i, pce;

	GUEST_SYNC_ARGS(0, r.eax, r.ebx, r.edx);
	r = rs_cpuid(0x80000001, 0);
	GUEST_SYNC_ARGS(1, r.ecx & ((1u << 23) | (1u << 24) | (1u << 28)), 0, 0);
	for (pce = 0; pce < 2; pce++) {
		write_cr4(pce ? read_cr4() | X86_CR4_PCE : read_cr4() & ~X86_CR4_PCE);
		for (i = 0; i < ARRAY_SIZE(counters); i++) {
			uint64_t ec = 0xffff, vec;

			vec = RS_ASM_SAFE_EC("rdpmc", &ec, , "c"(counters[i]));
			GUEST_SYNC_ARGS(2, vec, ec, counters[i]);
		}
	}
	GUEST_DONE();
}

TEST(no_pmu)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[1]) TH_LOG("CPUID.0AH:EAX (PMU version...)");
	EXPECT_EQ(0, uc.args[3]) TH_LOG("CPUID.0AH:EDX (fixed counters)");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[1]) TH_LOG("CPUID.80000001H:ECX counter bits");
	for (i = 0; i < 2 * ARRAY_SIZE(counters); i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(2, uc.args[0]);
		EXPECT_EQ(GP_VECTOR, uc.args[1])
			TH_LOG("RDPMC of counter %#lx (CR4.PCE %u) raised %lu",
			       (unsigned long)uc.args[3], i >= ARRAY_SIZE(counters),
			       (unsigned long)uc.args[1]);
		EXPECT_EQ(0, uc.args[2]) TH_LOG("error code");
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
