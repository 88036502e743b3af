// SPDX-License-Identifier: GPL-2.0
/*
 * The guest cannot use virtualization itself: every SVM instruction (but
 * VMMCALL, the hypercall) and every VMX instruction (but VMCALL) raises
 * #UD, on either backend, as on a CPU without the feature.
 *
 * Assumed (no nested virtualization, CPUID hides SVM and VMX): setting
 * EFER.SVME or CR4.VMXE from the guest raises #GP(0).
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static uint64_t page[512] __attribute__((aligned(4096)));

#define TRY(insn) RS_ASM_SAFE(insn, "a"(page), "b"(page), "c"(0), "d"(0))

static const char * const names[] = {
	"VMRUN", "VMLOAD", "VMSAVE", "STGI", "CLGI", "SKINIT", "INVLPGA",
	"VMXON", "VMXOFF", "VMCLEAR", "VMPTRLD", "VMPTRST", "VMREAD",
	"VMWRITE", "VMLAUNCH", "VMRESUME", "INVEPT", "INVVPID", "VMFUNC",
};

static void guest_code(void)
{
	uint64_t vec[sizeof(names) / sizeof(names[0])];
	unsigned int i = 0;

	vec[i++] = TRY("vmrun");
	vec[i++] = TRY("vmload");
	vec[i++] = TRY("vmsave");
	vec[i++] = TRY("stgi");
	vec[i++] = TRY("clgi");
	vec[i++] = TRY("skinit");
	vec[i++] = TRY("invlpga");
	vec[i++] = TRY("vmxon (%%rax)");
	vec[i++] = TRY("vmxoff");
	vec[i++] = TRY("vmclear (%%rax)");
	vec[i++] = TRY("vmptrld (%%rax)");
	vec[i++] = TRY("vmptrst (%%rax)");
	vec[i++] = TRY("vmread %%rax, %%rbx");
	vec[i++] = TRY("vmwrite %%rbx, %%rax");
	vec[i++] = TRY("vmlaunch");
	vec[i++] = TRY("vmresume");
	vec[i++] = TRY("invept (%%rax), %%rbx");
	vec[i++] = TRY("invvpid (%%rax), %%rbx");
	vec[i++] = TRY("vmfunc");
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		GUEST_SYNC_ARGS(i, vec[i], 0, 0);
	GUEST_DONE();
}

TEST(virtualization_instructions_are_ud)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(UD_VECTOR, uc.args[1])
			TH_LOG("%s raised %s %lu", names[i],
			       uc.args[1] == RS_NO_EXCEPTION ? "nothing," : "vector",
			       (unsigned long)uc.args[1]);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

static void guest_enable_virt(void)
{
	uint64_t efer = rdmsr(MSR_EFER), ec = 0xffff, vec;

	GUEST_ASSERT_EQ(wrmsr_safe(MSR_EFER, efer | EFER_SVME), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer);
	vec = RS_ASM_SAFE_EC("mov %%rax, %%cr4", &ec, ,
			     "a"(read_cr4() | X86_CR4_VMXE));
	GUEST_ASSERT_EQ(vec, GP_VECTOR);
	GUEST_ASSERT_EQ(ec, 0);
	GUEST_ASSERT_EQ(read_cr4() & X86_CR4_VMXE, 0);
	GUEST_DONE();
}

TEST(enabling_svm_or_vmx_is_gp)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_enable_virt);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
