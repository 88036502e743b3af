// SPDX-License-Identifier: GPL-2.0
/*
 * ringside's tracepoints in /sys/kernel/tracing/events/ringside/ record
 * what the guest does: N CPUIDs are N ringside_exit events with reason
 * CPUID (and at least as many ringside_entry), an injected exception a
 * ringside_inject, an access outside memory a ringside_npf "mmio" and the
 * first touch of a page a ringside_npf "mapped".  Events are filtered on
 * the VM's id, which the tracepoints carry.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define N		500

static void handler(struct rs_ex_regs *regs)
{
}

static void guest_code(uint64_t fresh_page)
{
	uint64_t i;

	for (i = 0; i < N; i++)
		rs_cpuid(0, 0);
	GUEST_SYNC(1);		/* the host injects #UD here */
	*(volatile uint64_t *)fresh_page = 1;
	*(volatile uint64_t *)RS_MMIO_GPA = 2;
	GUEST_DONE();
}

static const char *const events[] = {
	"ringside_entry", "ringside_exit", "ringside_inject", "ringside_npf",
};

TEST(guest_actions_are_traced)
{
	int exits = 0, cpuid = 0, entries = 0, inject = 0, mmio = 0, mapped = 0;
	uint64_t page;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	char line[512], want[64];
	uint32_t id;
	FILE *f;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	if (access(RS_TRACEFS "/events/ringside", F_OK))
		SKIP(return, "no %s/events/ringside (tracefs not mounted?)", RS_TRACEFS);

	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vm_install_handler(vm, UD_VECTOR, handler);
	page = rs_vm_alloc_pages(vm, 1);
	rs_vcpu_args_set(vcpu, 1, page);
	id = rs_vm_id(vm);
	ASSERT_EQ(0, rs_trace_start(events, ARRAY_SIZE(events), id));

	rs_vcpu_expect_sync(vcpu, 1);
	rs_vcpu_inject(vcpu, RS_EVENT_EXCEPTION, UD_VECTOR, false, 0);
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_MMIO);
	rs_vcpu_expect_done(vcpu);
	rs_trace_stop();

	f = fopen(RS_TRACEFS "/trace", "r");
	ASSERT_NE(NULL, f);
	snprintf(want, sizeof(want), "vm %u vcpu 0 ", id);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, want))
			continue;
		if (strstr(line, "ringside_entry:"))
			entries++;
		if (strstr(line, "ringside_exit:")) {
			exits++;
			cpuid += !!strstr(line, " reason CPUID ");
		}
		/* Delivery may hit a nested page fault: then it is reinjected. */
		if (strstr(line, "ringside_inject:") &&
		    strstr(line, "exception vector 6 error none") &&
		    !strstr(line, "reinjected"))
			inject++;
		if (strstr(line, "ringside_npf:")) {
			char gpa[40];

			snprintf(gpa, sizeof(gpa), "gpa 0x%llx write mmio",
				 (unsigned long long)RS_MMIO_GPA);
			mmio += !!strstr(line, gpa);
			snprintf(gpa, sizeof(gpa), "gpa 0x%llx write mapped",
				 (unsigned long long)page);
			mapped += !!strstr(line, gpa);
		}
	}
	fclose(f);
	RS_REQUIRE_EXIT_STATS(exits, { rs_vm_free(vm); return; });

	/* VMX without exit names calls every exit "?": totals then. */
	if (vm->svm)
		EXPECT_EQ(N, cpuid);
	EXPECT_LE(N, exits);
	EXPECT_LE(exits, entries + 1) TH_LOG("an exit without its entry");
	EXPECT_EQ(1, inject);
	EXPECT_EQ(1, mmio);
	EXPECT_EQ(1, mapped);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
