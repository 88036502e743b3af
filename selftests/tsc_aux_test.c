// SPDX-License-Identifier: GPL-2.0
/*
 * IA32_TSC_AUX is the guest's own: a value the guest writes reads back,
 * RDPID (where the CPU has it: it cannot be intercepted on SVM) returns
 * the guest's value, not the host's CPU number, and once RS_RUN returns,
 * user space on the same CPU reads the host's value again with RDTSCP.
 */
#include <sched.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MSR_TSC_AUX	0xc0000103
#define GUEST_AUX	0x1234

static void guest_code(void)
{
	uint64_t aux = 0, vec;

	wrmsr(MSR_TSC_AUX, GUEST_AUX);
	GUEST_SYNC_ARGS(1, rdmsr(MSR_TSC_AUX), 0, 0);
	vec = RS_ASM_SAFE_EC("rdpid %%rax", &aux, COMMA_OUT("+a"(aux)));
	GUEST_SYNC_ARGS(2, vec, aux, 0);
	GUEST_DONE();
}

static uint32_t host_tsc_aux(void)
{
	uint32_t lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

TEST(guest_has_its_own)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	cpu_set_t set;
	uint32_t host;

	RS_REQUIRE_VM();
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	host = host_tsc_aux();

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GUEST_AUX, uc.args[1]) TH_LOG("RDMSR of the value written");
	EXPECT_EQ(host, host_tsc_aux()) TH_LOG("user space reads the guest's");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	if (uc.args[1] == RS_NO_EXCEPTION) {
		EXPECT_EQ(GUEST_AUX, uc.args[2]) TH_LOG("RDPID in the guest");
	} else {
		TH_LOG("no RDPID here: vector %lu", (unsigned long)uc.args[1]);
	}
	EXPECT_EQ(host, host_tsc_aux()) TH_LOG("user space reads the guest's");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
