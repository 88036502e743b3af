// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest's CPUID answers: the vCPU's table (RS_GET_CPUID), with the
 * hypervisor bit set, VMX and SVM hidden, and leaf 0x40000000 carrying
 * ringside's signature (12 printable characters; the test reads it from
 * RS_GET_CPUID rather than hard-coding it).  RS_SET_CPUID replaces the
 * table the guest sees.  A feature bit the default table offers has its
 * MSR: reading it does not #GP.
 *
 * Assumed (kmod/cpuid.c does this, AMD-style): a leaf the table lacks
 * reads as all zeros.
 */
#include <ctype.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

/* The guest reports the leaves the host asks for through args. */
static void guest_code(void)
{
	uint32_t fns[] = { 1, 0x80000001, 0x40000000, 0x4fff0000 };
	unsigned int i;

	for (;;) {
		for (i = 0; i < 4; i++) {
			struct rs_cpuid_regs r = rs_cpuid(fns[i], 0);

			GUEST_SYNC_ARGS(fns[i], (uint64_t)r.eax << 32 | r.ebx,
					(uint64_t)r.ecx << 32 | r.edx, 0);
		}
	}
}

struct regs4 {
	uint32_t eax, ebx, ecx, edx;
};

static struct regs4 guest_leaf(struct __test_metadata *_metadata,
			       struct rs_vcpu *vcpu, uint32_t fn)
{
	struct regs4 r;
	struct ucall uc;

	rs_vcpu_run_ucall(vcpu, &uc);
	RS_ASSERT(uc.cmd == UCALL_SYNC && uc.args[0] == fn,
		  "expected the guest's leaf %#x, got %#lx", fn,
		  (unsigned long)uc.args[0]);
	r.eax = uc.args[1] >> 32;
	r.ebx = uc.args[1];
	r.ecx = uc.args[2] >> 32;
	r.edx = uc.args[2];
	return r;
}

static struct rs_cpuid_entry *find(struct rs_cpuid_entry *e, uint32_t nent,
				   uint32_t fn)
{
	uint32_t i;

	for (i = 0; i < nent; i++)
		if (e[i].function == fn && (!(e[i].flags & RS_CPUID_INDEXED) ||
					    e[i].index == 0))
			return &e[i];
	return NULL;
}

TEST(guest_sees_table)
{
	struct rs_cpuid_entry *table, *e;
	struct regs4 l1, l81, l4, lnone;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	char sig[13];
	uint32_t nent;
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	table = rs_vcpu_get_cpuid(vcpu, &nent);
	ASSERT_LT(0, nent);
	ASSERT_GE(256, nent);

	l1 = guest_leaf(_metadata, vcpu, 1);
	l81 = guest_leaf(_metadata, vcpu, 0x80000001);
	l4 = guest_leaf(_metadata, vcpu, 0x40000000);
	lnone = guest_leaf(_metadata, vcpu, 0x4fff0000);

	EXPECT_TRUE(l1.ecx & CPUID_1_ECX_HYPERVISOR)
		TH_LOG("leaf 1 ECX %#x: no hypervisor bit", l1.ecx);
	EXPECT_FALSE(l1.ecx & CPUID_1_ECX_VMX)
		TH_LOG("leaf 1 ECX %#x: VMX visible", l1.ecx);
	EXPECT_FALSE(l81.ecx & CPUID_80000001_ECX_SVM)
		TH_LOG("leaf 0x80000001 ECX %#x: SVM visible", l81.ecx);

	e = find(table, nent, 1);
	ASSERT_NE(NULL, e) TH_LOG("RS_GET_CPUID has no leaf 1");
	/* OSXSAVE and APIC may follow CR4 and the APIC base MSR */
	EXPECT_EQ(e->ecx & ~(1U << 27), l1.ecx & ~(1U << 27));
	EXPECT_EQ(e->edx & ~(1U << 9), l1.edx & ~(1U << 9));
	EXPECT_EQ(e->eax, l1.eax);

	e = find(table, nent, 0x40000000);
	ASSERT_NE(NULL, e) TH_LOG("RS_GET_CPUID has no leaf 0x40000000");
	EXPECT_EQ(e->eax, l4.eax);
	EXPECT_EQ(e->ebx, l4.ebx);
	EXPECT_EQ(e->ecx, l4.ecx);
	EXPECT_EQ(e->edx, l4.edx);
	EXPECT_LE(0x40000000U, l4.eax) TH_LOG("max hypervisor leaf %#x", l4.eax);
	memcpy(sig, &l4.ebx, 4);
	memcpy(sig + 4, &l4.ecx, 4);
	memcpy(sig + 8, &l4.edx, 4);
	sig[12] = '\0';
	TH_LOG("signature \"%s\"", sig);
	ASSERT_LT(0, strlen(sig)) TH_LOG("empty hypervisor signature");
	for (i = 0; sig[i]; i++) {
		EXPECT_TRUE(isprint((unsigned char)sig[i]))
			TH_LOG("signature byte %d is %#x", i, sig[i]);
	}

	EXPECT_EQ(NULL, find(table, nent, 0x4fff0000));
	EXPECT_EQ(0, lnone.eax | lnone.ebx | lnone.ecx | lnone.edx)
		TH_LOG("absent leaf answers %#x %#x %#x %#x", lnone.eax,
		       lnone.ebx, lnone.ecx, lnone.edx);
	free(table);
	rs_vm_free(vm);
}

TEST(set_cpuid_changes_guest_view)
{
	struct rs_cpuid_entry set[3] = {
		{ .function = 1, .eax = 0x000a0f10, .ebx = 0x00010800,
		  .ecx = CPUID_1_ECX_HYPERVISOR | 0x1, .edx = 0x178bf9ff },
		{ .function = 0x40000000, .eax = 0x40000000,
		  .ebx = 0x666c6553, .ecx = 0x74736574, .edx = 0x21676953 },
		{ .function = 0x4fff0000, .eax = 1, .ebx = 2, .ecx = 3,
		  .edx = 4 },
	};
	struct rs_cpuid_entry *back;
	struct regs4 l1, l81, l4, lx;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint32_t nent;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_set_cpuid(vcpu, set, 3);

	back = rs_vcpu_get_cpuid(vcpu, &nent);
	ASSERT_EQ(3, nent);
	EXPECT_EQ(0, memcmp(back, set, sizeof(set)))
		TH_LOG("RS_GET_CPUID does not return what RS_SET_CPUID set");
	free(back);

	l1 = guest_leaf(_metadata, vcpu, 1);
	l81 = guest_leaf(_metadata, vcpu, 0x80000001);
	l4 = guest_leaf(_metadata, vcpu, 0x40000000);
	lx = guest_leaf(_metadata, vcpu, 0x4fff0000);
	EXPECT_EQ(set[0].eax, l1.eax);
	EXPECT_EQ(set[0].ebx, l1.ebx);
	EXPECT_EQ(set[0].ecx, l1.ecx);
	EXPECT_EQ(set[0].edx, l1.edx);
	EXPECT_EQ(0, l81.eax | l81.ebx | l81.ecx | l81.edx)
		TH_LOG("leaf 0x80000001 is not in the table but answers");
	EXPECT_EQ(set[1].ebx, l4.ebx);
	EXPECT_EQ(set[1].ecx, l4.ecx);
	EXPECT_EQ(set[1].edx, l4.edx);
	EXPECT_EQ(1, lx.eax);
	EXPECT_EQ(4, lx.edx);
	rs_vm_free(vm);
}

/*
 * A feature bit of the default table promises its MSR: the guest reads
 * each MSR that a bit it sees names, and none may #GP (IA32_TSC_ADJUST,
 * the ACPI thermal monitor's IA32_THERM_CONTROL, EST's IA32_PERF_CTL).
 */
static const struct {
	uint32_t leaf, reg, bit, msr;	/* reg: 1 EBX, 2 ECX, 3 EDX */
} msr_features[] = {
	{ 7, 1, 1, 0x3b },		/* TSC_ADJUST */
	{ 1, 3, 22, 0x19a },		/* ACPI: IA32_THERM_CONTROL */
	{ 1, 3, 29, 0x19c },		/* TM: IA32_THERM_STATUS */
	{ 1, 2, 7, 0x199 },		/* EST: IA32_PERF_CTL */
	{ 1, 2, 8, 0x19d },		/* TM2: MSR_THERM2_CTL */
};

static void guest_msrs(void)
{
	unsigned int i;
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(msr_features); i++) {
		struct rs_cpuid_regs r = rs_cpuid(msr_features[i].leaf, 0);
		uint32_t reg = msr_features[i].reg == 1 ? r.ebx :
			       msr_features[i].reg == 2 ? r.ecx : r.edx;

		if (reg & (1U << msr_features[i].bit))
			GUEST_SYNC_ARGS(i, rdmsr_safe(msr_features[i].msr, &v),
					0, 0);
	}
	GUEST_DONE();
}

TEST(offered_features_have_their_msrs)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_msrs);
	while (rs_vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC)
		EXPECT_EQ(0, uc.args[1])
			TH_LOG("CPUID.%#x bit %u offered, MSR %#x #GPs",
			       msr_features[uc.args[0]].leaf,
			       msr_features[uc.args[0]].bit,
			       msr_features[uc.args[0]].msr);
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
