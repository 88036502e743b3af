// SPDX-License-Identifier: GPL-2.0
/*
 * Speculation hygiene (kmod/spec.c): ringside does around guest entries
 * what the host kernel's own mitigations ask, as KVM does, and says so in
 * RS_CAP_MITIGATIONS; a guest's speculation-control MSRs exist where its
 * CPUID says, and take only what the host's CPU can hold.
 *
 * The test VMs' emulated CPUs have no SPEC_CTRL or IBPB (QEMU's TCG and
 * Bochs offer neither), so what these tests see of the MSRs is the
 * refusing side; the host side of the switch is read, not run, there.
 */
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define MSR_IA32_SPEC_CTRL	0x48
#define MSR_IA32_PRED_CMD	0x49
#define MSR_IA32_FLUSH_CMD	0x10b

#define SPEC_CTRL_IBRS		(1ULL << 0)
#define SPEC_CTRL_STIBP		(1ULL << 1)
#define SPEC_CTRL_SSBD		(1ULL << 2)

/* The host's line in /sys/devices/system/cpu/vulnerabilities, or "". */
static const char *vuln(const char *bug)
{
	static char buf[8][256];
	static int next;
	char path[128], *b = buf[next++ % 8];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", bug);
	b[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (!fgets(b, 256, f))
			b[0] = '\0';
		fclose(f);
	}
	b[strcspn(b, "\n")] = '\0';
	return b;
}

#define HAS(bug, what)	(strstr(vuln(bug), what) != NULL)
/* The line's verdict, not a later clause ("PBRSB-eIBRS: Not affected"). */
#define IS(bug, what)	(strncmp(vuln(bug), what, strlen(what)) == 0)

/*
 * Each bit against the host's own account of itself: a mitigation the host
 * applies around entries (per its sysfs) must be on, one it does not must
 * be off.  Cases sysfs cannot decide are left alone.
 */
TEST(mitigations_follow_host)
{
	long m, vmx;

	RS_REQUIRE_VIRT();
	m = rs_check_cap(RS_CAP_MITIGATIONS);
	vmx = rs_check_cap(RS_CAP_VMX);
	ASSERT_LE(0, m);
	EXPECT_EQ(0, m & ~0x7ffL) TH_LOG("unknown bits in %#lx", m);
	TH_LOG("RS_CAP_MITIGATIONS %#lx; spectre_v2: %s", m, vuln("spectre_v2"));

	/* Retpolines, LFENCE and IBRS fill the RSB after exits (bugs.c). */
	if (HAS("spectre_v2", "RSB filling") && !HAS("spec_rstack_overflow", "IBPB"))
		EXPECT_TRUE(m & RS_MITIGATE_RSB_FILL);
	if (IS("spectre_v2", "Not affected") || IS("spectre_v2", "Vulnerable"))
		EXPECT_FALSE(m & RS_MITIGATE_RSB_FILL);

	if (!vmx && (HAS("retbleed", "untrained return thunk") ||
		     HAS("spec_rstack_overflow", "Safe RET") ||
		     HAS("spec_rstack_overflow", "safe RET")))
		EXPECT_TRUE(m & RS_MITIGATE_UNTRAIN_RET);
	if (vmx || (IS("retbleed", "Not affected") &&
		    IS("spec_rstack_overflow", "Not affected")))
		EXPECT_FALSE(m & RS_MITIGATE_UNTRAIN_RET);
	if (!vmx && HAS("spec_rstack_overflow", "IBPB on VMEXIT"))
		EXPECT_TRUE(m & RS_MITIGATE_IBPB_EXIT);
	if (vmx)
		EXPECT_FALSE(m & (RS_MITIGATE_IBPB_EXIT | RS_MITIGATE_UNTRAIN_RET));

	/* VERW: MDS, TAA, MMIO stale data on Intel; TSA on AMD. */
	if (vmx && (HAS("mds", "Clear CPU buffers") ||
		    HAS("tsx_async_abort", "Clear CPU buffers")))
		EXPECT_TRUE(m & RS_MITIGATE_VERW);
	if (!vmx && HAS("tsa", "Clear CPU buffers"))
		EXPECT_TRUE(m & RS_MITIGATE_VERW);
	if (IS("mds", "Not affected") && IS("tsx_async_abort", "Not affected") &&
	    IS("mmio_stale_data", "Not affected") &&
	    (!vuln("tsa")[0] || IS("tsa", "Not affected")))
		EXPECT_FALSE(m & RS_MITIGATE_VERW);

	/* L1TF is Intel's: an L1D flush only on VMX, only where affected. */
	if (!vmx || IS("l1tf", "Not affected"))
		EXPECT_FALSE(m & (RS_MITIGATE_L1D_FLUSH | RS_MITIGATE_L1D_ALWAYS));
	if (m & RS_MITIGATE_L1D_ALWAYS)
		EXPECT_TRUE(m & RS_MITIGATE_L1D_FLUSH);

	EXPECT_EQ(HAS("vmscape", "IBPB before exit to userspace"),
		  !!(m & RS_MITIGATE_IBPB_USER));
	EXPECT_EQ(!vmx && rs_cpu_has_bug("div0"), !!(m & RS_MITIGATE_DIV0));
	/* Without IBPB (no "ibpb" flag) there is none to issue. */
	if (!rs_cpu_has_flag("ibpb"))
		EXPECT_FALSE(m & (RS_MITIGATE_IBPB_VM | RS_MITIGATE_IBPB_USER |
				  RS_MITIGATE_IBPB_EXIT));
	if (!rs_cpu_has_flag("ibrs") && !rs_cpu_has_flag("stibp") &&
	    !rs_cpu_has_flag("ssbd") && !rs_cpu_has_flag("ibpb"))
		EXPECT_FALSE(m & RS_MITIGATE_SPEC_CTRL);
}

/* N ucalls (each a return to user space), then N CPUIDs in a row. */
static void flush_guest(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		GUEST_SYNC(1);
	for (i = 0; i < n; i++)
		rs_cpuid(0, 0);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/*
 * L1TF: an L1D flush before each entry that follows host work an L1TF
 * guest could read (user space ran, or another task, or an interrupt), and
 * -- unless the host asked for "always" -- not before the entries of a
 * CPUID loop, which run nothing of the host's in between.
 */
TEST(l1d_flush_after_host_work)
{
	const uint64_t n = 2000;
	struct rs_nl_vm a, b, c;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	struct rs_nl nl;
	long m;
	uint64_t i;

	RS_REQUIRE_VM();
	m = rs_check_cap(RS_CAP_MITIGATIONS);
	if (!(m & RS_MITIGATE_L1D_FLUSH))
		SKIP(return, "no L1D flush on this host (l1tf: %s)", vuln("l1tf"));
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, flush_guest);
	rs_vcpu_args_set(vcpu, 1, n);

	ASSERT_EQ(0, rs_nl_get(&nl, RS_NL_CMD_GET_STATS, rs_vm_id(vm), -1, &a));
	for (i = 0; i < n; i++)
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, rs_nl_get(&nl, RS_NL_CMD_GET_STATS, rs_vm_id(vm), -1, &b));
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	ASSERT_EQ(0, rs_nl_get(&nl, RS_NL_CMD_GET_STATS, rs_vm_id(vm), -1, &c));
	TH_LOG("L1D flushes: %lu over %lu returns to user space, %lu over %lu CPUIDs",
	       (unsigned long)(b.l1d_flushes - a.l1d_flushes), (unsigned long)n,
	       (unsigned long)(c.l1d_flushes - b.l1d_flushes), (unsigned long)n);
	EXPECT_LE(n, b.l1d_flushes - a.l1d_flushes);
	if (m & RS_MITIGATE_L1D_ALWAYS) {
		EXPECT_LE(n, c.l1d_flushes - b.l1d_flushes);
	} else {
		EXPECT_GT(n / 2, c.l1d_flushes - b.l1d_flushes);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

/* What RDMSR and WRMSR of the speculation MSRs give: vector, value. */
static void msr_guest(void)
{
	static const uint64_t spec[] = {
		SPEC_CTRL_IBRS, SPEC_CTRL_STIBP, SPEC_CTRL_SSBD, 1ULL << 3,
		1ULL << 32,
	};
	uint64_t v = 0, vec, i;

	vec = rdmsr_safe(MSR_IA32_SPEC_CTRL, &v);
	GUEST_SYNC_ARGS(1, vec, v, 0);
	for (i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		vec = wrmsr_safe(MSR_IA32_SPEC_CTRL, spec[i]);
		v = 0;
		if (vec == RS_NO_EXCEPTION)
			rdmsr_safe(MSR_IA32_SPEC_CTRL, &v);
		wrmsr_safe(MSR_IA32_SPEC_CTRL, 0);
		GUEST_SYNC_ARGS(2, spec[i], vec, v);
	}
	GUEST_SYNC_ARGS(3, wrmsr_safe(MSR_IA32_PRED_CMD, 0),
			wrmsr_safe(MSR_IA32_PRED_CMD, 1),
			wrmsr_safe(MSR_IA32_PRED_CMD, 2));
	GUEST_SYNC_ARGS(4, wrmsr_safe(MSR_IA32_FLUSH_CMD, 0),
			wrmsr_safe(MSR_IA32_FLUSH_CMD, 1),
			wrmsr_safe(MSR_IA32_FLUSH_CMD, 2));
	GUEST_DONE();
}

/* Set or clear CPUID.(EAX=7,ECX=0):EDX bits 26-28, 31 and AMD's 12-15, 24. */
static void set_spec_cpuid(struct rs_vcpu *vcpu, bool on)
{
	const uint32_t edx7 = (1u << 26) | (1u << 27) | (1u << 28) | (1u << 31);
	const uint32_t ebx8 = (1u << 12) | (1u << 14) | (1u << 15) | (1u << 24);
	struct rs_cpuid_entry *e;
	uint32_t nent, i;

	e = rs_vcpu_get_cpuid(vcpu, &nent);
	for (i = 0; i < nent; i++) {
		if (e[i].function == 7 && e[i].index == 0)
			e[i].edx = on ? e[i].edx | edx7 : e[i].edx & ~edx7;
		if (e[i].function == 0x80000008)
			e[i].ebx = on ? e[i].ebx | ebx8 : e[i].ebx & ~ebx8;
	}
	rs_vcpu_set_cpuid(vcpu, e, nent);
	free(e);
}

/*
 * Without the CPUID bits every access is #GP.  With them, SPEC_CTRL reads
 * and takes the bits the host's CPU has (a value the hardware would
 * refuse never reaches it), and PRED_CMD and FLUSH_CMD take their one
 * command bit.
 */
#define OK	RS_NO_EXCEPTION

static void check_msrs(struct __test_metadata *_metadata, bool cpuid)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	int i;

	vm = rs_vm_create_with_one_vcpu(&vcpu, msr_guest);
	set_spec_cpuid(vcpu, cpuid);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(cpuid ? OK : GP_VECTOR, uc.args[1]) TH_LOG("RDMSR SPEC_CTRL");
	EXPECT_EQ(0, uc.args[2]);
	for (i = 0; i < 5; i++) {
		uint64_t bit;

		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(2, uc.args[0]);
		bit = uc.args[1];
		if (!cpuid || bit > SPEC_CTRL_SSBD ||
		    (bit == SPEC_CTRL_IBRS && !rs_cpu_has_flag("ibrs")) ||
		    (bit == SPEC_CTRL_STIBP && !rs_cpu_has_flag("stibp")) ||
		    (bit == SPEC_CTRL_SSBD && !rs_cpu_has_flag("ssbd")))
			EXPECT_EQ(GP_VECTOR, uc.args[2])
				TH_LOG("WRMSR SPEC_CTRL %#lx (CPUID %d)",
				       (unsigned long)bit, cpuid);
		if (uc.args[2] == OK)
			EXPECT_EQ(bit, uc.args[3]) TH_LOG("SPEC_CTRL read back");
	}
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(cpuid ? OK : GP_VECTOR, uc.args[1]) TH_LOG("PRED_CMD 0");
	EXPECT_EQ(cpuid ? OK : GP_VECTOR, uc.args[2]) TH_LOG("PRED_CMD IBPB");
	EXPECT_EQ(GP_VECTOR, uc.args[3]) TH_LOG("PRED_CMD bit 1");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(cpuid ? OK : GP_VECTOR, uc.args[1]) TH_LOG("FLUSH_CMD 0");
	EXPECT_EQ(cpuid ? OK : GP_VECTOR, uc.args[2]) TH_LOG("FLUSH_CMD L1D_FLUSH");
	EXPECT_EQ(GP_VECTOR, uc.args[3]) TH_LOG("FLUSH_CMD bit 1");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(spec_msrs_without_cpuid)
{
	RS_REQUIRE_VM();
	check_msrs(_metadata, false);
}

TEST(spec_msrs_with_cpuid)
{
	RS_REQUIRE_VM();
	check_msrs(_metadata, true);
}

/* User space may set only what the host's CPU has, and reads it back. */
TEST(spec_ctrl_from_user_space)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, msr_guest);
	set_spec_cpuid(vcpu, true);
	/* RS_SET_MSRS answers how many entries it set. */
	EXPECT_EQ(1, __rs_vcpu_set_msr(vcpu, MSR_IA32_SPEC_CTRL, 0));
	EXPECT_EQ(0, __rs_vcpu_set_msr(vcpu, MSR_IA32_SPEC_CTRL, 1ULL << 3));
	EXPECT_EQ(0, __rs_vcpu_set_msr(vcpu, MSR_IA32_SPEC_CTRL, 1ULL << 32));
	if (!rs_cpu_has_flag("ibrs"))
		EXPECT_EQ(0, __rs_vcpu_set_msr(vcpu, MSR_IA32_SPEC_CTRL,
					       SPEC_CTRL_IBRS));
	EXPECT_EQ(0, rs_vcpu_get_msr(vcpu, MSR_IA32_SPEC_CTRL));
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
