// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the CPUID each vCPU answers with.  The module's
 * default table is the host's, less what it does not virtualize; the
 * launcher adds what its machine has and makes the topology that of one
 * package of N cores:
 *
 *  - leaf 1: the initial APIC ID (EBX[31:24]) is the vCPU's id, the
 *    logical processor count (EBX[23:16]) and HTT say N; the local APIC
 *    bit (EDX[9]) is set (the launcher's APIC or the module's); x2APIC
 *    (ECX[21]) and the TSC deadline timer (ECX[24]) are kept as the
 *    module's table has them: set after RS_CREATE_LAPIC, whose APIC has
 *    them, clear otherwise (the launcher's APIC has neither; kvm.c
 *    clears them from KVM's table);
 *  - 0x80000008 ECX: N - 1 cores, with the APIC ID bits they need (AMD
 *    APM vol. 3, E.4.7), which Linux reads on AMD;
 *  - TOPOEXT (0x80000001 ECX[22]) and leaves 0xb, 0x1f, 0x8000001e are
 *    dropped: they would describe the host's cores and x2APIC IDs;
 *  - the invariant TSC bit (0x80000007 EDX[8]) is set when the host's
 *    TSC is constant and does not stop: the guest's TSC is the host's
 *    with one offset for the whole VM, so it is as good as the host's;
 *  - XSAVE is hidden (leaf 1 ECX XSAVE, OSXSAVE and the AVX family that
 *    needs it, leaf 0xd).  The SVM test VM's emulated CPU does not exit on
 *    a guest's XSETBV although ringside intercepts it: the write goes to
 *    the CPU, ringside never sees it, and loads its own idea of the
 *    guest's XCR0 (x87 only) before every VMRUN.  A Linux guest then
 *    saves signal frames without SSE state and its first rt_sigreturn
 *    fails ("bad frame", init killed).  Hardware honours the intercept;
 *    until the module copes with a CPU that does not, guests get SSE
 *    (FXSAVE) but not AVX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv.h"
#include "util.h"
#include "vm.h"

/* XSAVE, OSXSAVE and what needs them: AVX, FMA, F16C (see above). */
#define CPUID_1_ECX_NO_XSAVE	((1U << 26) | (1U << 27) | (1U << 28) | \
				 (1U << 12) | (1U << 29))
#define CPUID_1_EDX_APIC	(1U << 9)
#define CPUID_1_EDX_HTT		(1U << 28)
#define CPUID_80000001_ECX_TOPOEXT	(1U << 22)
#define CPUID_80000001_ECX_CMP_LEGACY	(1U << 1)
#define CPUID_80000007_EDX_INVTSC	(1U << 8)

#define MAX_ENTRIES		256

/* Does /proc/cpuinfo's first "flags" line hold every word of @want? */
static bool host_has_flags(const char *const *want, unsigned int n)
{
	char line[8192];
	bool ok = false;
	unsigned int i;
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		strcat(line, " ");
		ok = true;
		for (i = 0; i < n && ok; i++) {
			char word[64];

			snprintf(word, sizeof(word), " %s ", want[i]);
			ok = strstr(line, word) != NULL;
		}
		break;
	}
	fclose(f);
	return ok;
}

bool host_tsc_invariant(void)
{
	static const char *const flags[] = { "constant_tsc", "nonstop_tsc" };

	return host_has_flags(flags, ARRAY_SIZE(flags));
}

static unsigned int order(unsigned int n)
{
	unsigned int bits = 0;

	while ((1U << bits) < n)
		bits++;
	return bits;
}

static void fix_entry(struct rs_cpuid_entry *e, const struct vcpu *vcpu,
		      bool lapic, bool invtsc)
{
	unsigned int n = vcpu->vm->nr_vcpus;

	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0xffff) | (MIN(n, 255U) << 16) |
			 vcpu->id << 24;
		e->edx &= ~(CPUID_1_EDX_APIC | CPUID_1_EDX_HTT);
		if (lapic)
			e->edx |= CPUID_1_EDX_APIC;
		if (n > 1)
			e->edx |= CPUID_1_EDX_HTT;
		e->ecx &= ~CPUID_1_ECX_NO_XSAVE;
		break;
	case 0x80000001:
		e->ecx &= ~(CPUID_80000001_ECX_TOPOEXT |
			    CPUID_80000001_ECX_CMP_LEGACY);
		break;
	case 0x80000007:
		e->edx &= ~CPUID_80000007_EDX_INVTSC;
		if (invtsc)
			e->edx |= CPUID_80000007_EDX_INVTSC;
		break;
	case 0x80000008:
		e->ecx = (n - 1) | order(n) << 12;
		break;
	}
}

/*
 * Leaf 0BH, extended topology (SDM vol. 2A, CPUID): every vCPU a core of
 * one package, one thread each, with its x2APIC ID in EDX, which Linux
 * and test suites compare with the APIC's.  The host's leaf would
 * describe the host.
 */
static unsigned int add_topology(struct rs_cpuid_entry *e,
				 const struct vcpu *vcpu)
{
	unsigned int n = vcpu->vm->nr_vcpus;

	e[0] = (struct rs_cpuid_entry){
		.function = 0xb, .index = 0, .flags = RS_CPUID_INDEXED,
		.eax = 0, .ebx = 1, .ecx = 1 << 8, .edx = vcpu->id,
	};
	e[1] = (struct rs_cpuid_entry){
		.function = 0xb, .index = 1, .flags = RS_CPUID_INDEXED,
		.eax = order(n), .ebx = n, .ecx = 2 << 8 | 1, .edx = vcpu->id,
	};
	e[2] = (struct rs_cpuid_entry){
		.function = 0xb, .index = 2, .flags = RS_CPUID_INDEXED,
		.ecx = 2, .edx = vcpu->id,
	};
	return 3;
}

static bool dropped(const struct rs_cpuid_entry *e)
{
	return e->function == 0xb || e->function == 0x1f ||
	       e->function == 0x8000001e || e->function == 0xd;
}

int vcpu_setup_cpuid(struct vcpu *vcpu, bool lapic, bool invtsc)
{
	struct rs_cpuid_entry *entries;
	struct rs_cpuid c = { .nent = MAX_ENTRIES };
	unsigned int i, n = 0;
	int r = -1;

	entries = calloc(MAX_ENTRIES, sizeof(*entries));
	if (!entries) {
		pr_perror("CPUID table");
		return -1;
	}
	c.entries = (uintptr_t)entries;
	if (hv_ioctl(vcpu->fd, RS_GET_CPUID, &c) < 0) {
		pr_perror("vCPU %u: RS_GET_CPUID", vcpu->id);
		goto out;
	}
	for (i = 0; i < c.nent; i++) {
		if (dropped(&entries[i]))
			continue;
		entries[n] = entries[i];
		fix_entry(&entries[n], vcpu, lapic, invtsc);
		n++;
	}
	if (n + 3 <= MAX_ENTRIES)
		n += add_topology(&entries[n], vcpu);
	c.nent = n;
	if (hv_ioctl(vcpu->fd, RS_SET_CPUID, &c) < 0) {
		pr_perror("vCPU %u: RS_SET_CPUID", vcpu->id);
		goto out;
	}
	r = 0;
out:
	free(entries);
	return r;
}
