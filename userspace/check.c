// SPDX-License-Identifier: GPL-2.0
/*
 * ringside check: what the CPU offers and what the module found and uses.
 *
 * The CPU's side comes from CPUID (AMD APM vol. 3, appendix E; Intel SDM
 * vol. 2A, CPUID), the module's from RS_GET_API_VERSION and
 * RS_CHECK_CAPABILITY on /dev/ringside.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ringside.h>

#include "check.h"
#include "util.h"
#include "vm.h"

struct bit_name {
	uint64_t bit;
	const char *name;
};

/* CPUID Fn8000_000A EDX: SVM features (AMD APM vol. 3, E.4.9). */
static const struct bit_name svm_cpuid_features[] = {
	{ 1U << 0, "nested-paging" },
	{ 1U << 3, "nrips" },
	{ 1U << 5, "vmcb-clean-bits" },
	{ 1U << 6, "flush-by-asid" },
	{ 1U << 7, "decode-assists" },
};

/* RS_CAP_HW_FEATURES bits, named as the uAPI header documents them. */
static const struct bit_name rs_hw_features[] = {
	{ RS_HW_NRIPS, "nrips" },
	{ RS_HW_VMCB_CLEAN, "vmcb-clean-bits" },
	{ RS_HW_DECODE_ASSISTS, "decode-assists" },
	{ RS_HW_FLUSH_BY_ASID, "flush-by-asid" },
	{ RS_HW_VPID, "vpid" },
	{ RS_HW_UNRESTRICTED, "unrestricted-guest" },
	{ RS_HW_TRUE_CTLS, "true-ctls" },
	{ RS_HW_MTF, "mtf" },
};

/*
 * RS_CAP_MITIGATIONS bits: what ringside does around guest entries because
 * the host mitigates a speculation bug, and the host's sysfs file that says
 * why (Documentation/admin-guide/hw-vuln in the kernel's tree).
 */
static const struct {
	uint64_t bit;
	const char *what;
	const char *why;
} rs_mitigations[] = {
	{ RS_MITIGATE_RSB_FILL, "RSB filled after exit", "spectre_v2" },
	{ RS_MITIGATE_UNTRAIN_RET, "RET untrained after exit", "retbleed" },
	{ RS_MITIGATE_IBPB_EXIT, "IBPB after exit", "spec_rstack_overflow" },
	{ RS_MITIGATE_VERW, "CPU buffers cleared before entry", "mds" },
	{ RS_MITIGATE_SPEC_CTRL, "guest's own SPEC_CTRL", "spec_store_bypass" },
	{ RS_MITIGATE_L1D_FLUSH, "L1D flushed before entry", "l1tf" },
	{ RS_MITIGATE_L1D_ALWAYS, "... before every entry", "l1tf" },
	{ RS_MITIGATE_BHB_CLEAR, "branch history cleared after exit", "spectre_v2" },
	{ RS_MITIGATE_IBPB_VM, "IBPB when a CPU switches VMs", "spectre_v2" },
	{ RS_MITIGATE_IBPB_USER, "IBPB before user space", "vmscape" },
	{ RS_MITIGATE_DIV0, "divider cleared before entry", NULL },
};

/* The host's word on @bug, or "" where this kernel does not know it. */
static void host_vuln(const char *bug, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", bug);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void check_mitigations(long mask)
{
	char why[256];
	size_t i;

	printf("Speculation (the host's choices, as its sysfs says):\n");
	for (i = 0; i < ARRAY_SIZE(rs_mitigations); i++) {
		printf("  %-34s %-3s ", rs_mitigations[i].what,
		       mask & rs_mitigations[i].bit ? "on" : "off");
		if (!rs_mitigations[i].why) {
			/* No sysfs file: the kernel says it at boot. */
			printf("(AMD Zen 1 DIV0 bug: the host's dmesg)\n");
			continue;
		}
		host_vuln(rs_mitigations[i].why, why, sizeof(why));
		printf("%s: %s\n", rs_mitigations[i].why,
		       why[0] ? why : "(unknown here)");
	}
}

static void print_bits(uint64_t mask, const struct bit_name *names, size_t n)
{
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (mask & names[i].bit) {
			printf(" %s", names[i].name);
			mask &= ~names[i].bit;
			any = true;
		}
	}
	if (mask)
		printf(" unknown:%#llx", (unsigned long long)mask);
	else if (!any)
		printf(" (none)");
}

static void check_cpu(void)
{
	unsigned int eax, ebx, ecx, edx, max_ext;
	bool vmx;
	char vendor[13];

	printf("CPU:\n");
	__cpuid(0, eax, ebx, ecx, edx);
	memcpy(vendor + 0, &ebx, 4);
	memcpy(vendor + 4, &edx, 4);
	memcpy(vendor + 8, &ecx, 4);
	vendor[12] = '\0';
	printf("  vendor              %s\n", vendor);

	/* Leaf 1 ECX: bit 5 VMX, bit 31 "running under a hypervisor". */
	__cpuid(1, eax, ebx, ecx, edx);
	vmx = ecx & (1U << 5);
	printf("  VMX                 %s\n", vmx ? "yes" : "no");
	if (ecx & (1U << 31))
		printf("  hypervisor          present (this CPU is virtual)\n");

	/* Fn8000_0001 ECX bit 2: SVM; Fn8000_000A: its revision and features. */
	max_ext = __get_cpuid_max(0x80000000, NULL);
	ecx = 0;
	if (max_ext >= 0x80000001)
		__cpuid(0x80000001, eax, ebx, ecx, edx);
	if (!(ecx & (1U << 2))) {
		printf("  SVM                 no\n");
		if (!vmx)
			printf("  (neither SVM nor VMX: ringside cannot run guests here)\n");
		return;
	}
	printf("  SVM                 yes\n");
	if (max_ext < 0x8000000a)
		return;
	__cpuid(0x8000000a, eax, ebx, ecx, edx);
	printf("  SVM revision        %u, %u ASIDs\n", eax & 0xff, ebx);
	printf("  SVM features       ");
	print_bits(edx, svm_cpuid_features, ARRAY_SIZE(svm_cpuid_features));
	printf("\n");
}

static int cap(int fd, unsigned long which, long *val)
{
	int r = ioctl(fd, RS_CHECK_CAPABILITY, which);

	if (r < 0) {
		pr_perror("RS_CHECK_CAPABILITY(%lu)", which);
		return -1;
	}
	*val = r;
	return 0;
}

static const char *yes_no(long v)
{
	return v ? "yes" : "no";
}

static int check_module(int fd)
{
	long svm, vmx, npt, slots, vcpus, run, hw, ro, cpuid, xsave, spec;
	long ioeventfds, lapic, irqfds, route, debug;
	int version;

	version = ioctl(fd, RS_GET_API_VERSION, 0);
	if (version < 0) {
		pr_perror("RS_GET_API_VERSION");
		return -1;
	}
	printf("Module (/dev/ringside):\n");
	printf("  API version         %d%s\n", version,
	       version == RS_API_VERSION ? "" : " (this launcher speaks another)");

	if (cap(fd, RS_CAP_SVM, &svm) || cap(fd, RS_CAP_VMX, &vmx) ||
	    cap(fd, RS_CAP_NESTED_PAGING, &npt) ||
	    cap(fd, RS_CAP_NR_MEMSLOTS, &slots) ||
	    cap(fd, RS_CAP_MAX_VCPUS, &vcpus) ||
	    cap(fd, RS_CAP_RUN_SIZE, &run) ||
	    cap(fd, RS_CAP_HW_FEATURES, &hw) ||
	    cap(fd, RS_CAP_READONLY_MEM, &ro) ||
	    cap(fd, RS_CAP_MAX_CPUID, &cpuid) ||
	    cap(fd, RS_CAP_XSAVE_SIZE, &xsave) ||
	    cap(fd, RS_CAP_MITIGATIONS, &spec) ||
	    cap(fd, RS_CAP_IOEVENTFD, &ioeventfds) ||
	    cap(fd, RS_CAP_LAPIC, &lapic) || cap(fd, RS_CAP_IRQFD, &irqfds) ||
	    cap(fd, RS_CAP_EXIT_ROUTE, &route) ||
	    cap(fd, RS_CAP_GUEST_DEBUG, &debug))
		return -1;

	printf("  backend             %s\n",
	       svm ? "SVM (AMD)" : vmx ? "VMX (Intel)" : "unknown");
	printf("  nested paging       %s\n", yes_no(npt));
	printf("  memory slots        %ld\n", slots);
	printf("  max vCPUs           %ld\n", vcpus);
	printf("  run size            %ld bytes\n", run);
	printf("  hw features         0x%lx:", hw);
	print_bits(hw, rs_hw_features, ARRAY_SIZE(rs_hw_features));
	printf("\n");
	printf("  read-only memory    %s\n", yes_no(ro));
	printf("  max CPUID entries   %ld\n", cpuid);
	printf("  xsave size          %ld bytes\n", xsave);
	printf("  ioeventfds          %ld per VM\n", ioeventfds);
	printf("  local APIC          %s\n", lapic ? "in the kernel" : "in user space");
	printf("  irqfds              %ld per VM\n", irqfds);
	printf("  exit routing        %s\n", yes_no(route));
	printf("  guest debug         %s%s%s\n", yes_no(debug),
	       debug & RS_GUEST_DEBUG_SINGLESTEP ? ", single-step" : "",
	       debug & RS_GUEST_DEBUG_HW_BP ? ", hardware breakpoints" : "");
	check_mitigations(spec);
	if (version != RS_API_VERSION) {
		pr_err("the module speaks API version %d, this launcher %d",
		       version, RS_API_VERSION);
		return -1;
	}
	return 0;
}

int cmd_check(void)
{
	int fd, ret;

	check_cpu();
	fflush(stdout);
	fd = ringside_open();
	if (fd < 0)
		return STATUS_HV_FAILURE;
	ret = check_module(fd);
	close(fd);
	if (ret < 0) {
		fflush(stdout);
		return STATUS_HV_FAILURE;
	}
	return 0;
}
