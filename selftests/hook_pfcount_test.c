// SPDX-License-Identifier: GPL-2.0
/*
 * The exit hook example samples/rs_hook_pfcount.ko
 * (Documentation/exit-hooks.rst): loaded, it makes every vCPU's #PF exit
 * and counts each by its error code, and the guest still takes its page
 * faults; with #PF routed to user space as well, the hook sees each fault
 * once, before user space does; unloaded while the VM lives, it counts no
 * more and the guest goes on.  While loaded it holds ringside.ko.
 */
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define HOOK		"rs_hook_pfcount"
#define COUNTS		"/sys/module/" HOOK "/parameters/counts"
/* Above the 4 GiB the default VM maps: not present. */
#define UNMAPPED	0x180000000ULL
#define READS		5
#define WRITES		3

static void fault(bool write)
{
	uint64_t vec, ec = 0;

	if (write)
		vec = RS_ASM_SAFE_EC("movq %%rax, (%[a])", &ec, ,
				     [a] "r"(UNMAPPED), "a"(0));
	else
		vec = RS_ASM_SAFE_EC("movq (%[a]), %%rax", &ec, ,
				     [a] "r"(UNMAPPED));
	GUEST_ASSERT_EQ(vec, PF_VECTOR);
	/* not present, supervisor; W/R as the access */
	GUEST_ASSERT_EQ(ec, write ? 2 : 0);
}

static void faults(void)
{
	int i;

	for (i = 0; i < READS; i++)
		fault(false);
	for (i = 0; i < WRITES; i++)
		fault(true);
}

static void guest_code(void)
{
	faults();
	GUEST_SYNC(1);
	fault(false);		/* routed to user space too */
	GUEST_SYNC(2);
	faults();		/* the hook is gone */
	GUEST_DONE();
}

/* The hook's 32 counts, by error code. */
static int read_counts(unsigned long long c[32])
{
	FILE *f = fopen(COUNTS, "r");
	int i, n = 0;

	if (!f)
		return -1;
	for (i = 0; i < 32; i++)
		n += fscanf(f, "%llu", &c[i]) == 1;
	fclose(f);
	return n == 32 ? 0 : -1;
}

/* Does /proc/modules say that @user uses ringside? */
static bool ringside_used_by(const char *user)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "ringside ", 9) && strstr(line, user))
			found = true;
	fclose(f);
	return found;
}

FIXTURE(hook) {
	bool loaded;
};

FIXTURE_SETUP(hook)
{
	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	ASSERT_EQ(0, rs_sample_load(HOOK))
		TH_LOG("loading %s.ko: %s", HOOK, strerror(errno));
	self->loaded = true;
}

FIXTURE_TEARDOWN(hook)
{
	if (self->loaded)
		rs_sample_unload(HOOK);
}

TEST_F(hook, counts_page_faults_by_error_code)
{
	struct rs_exit_route rt = { .exceptions = 1u << PF_VECTOR };
	unsigned long long c[32];
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int i;

	ASSERT_TRUE(ringside_used_by(HOOK))
		TH_LOG("/proc/modules: ringside is not held by %s", HOOK);
	ASSERT_EQ(0, rs_write_file(COUNTS, "0"));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);

	rs_vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(0, read_counts(c)) TH_LOG("%s unreadable", COUNTS);
	EXPECT_EQ(READS, c[0]);
	EXPECT_EQ(WRITES, c[2]);
	for (i = 0; i < 32; i++)
		if (i != 0 && i != 2)
			EXPECT_EQ(0, c[i]) TH_LOG("error code %d", i);

	/* User space routes #PF too: the hook counts it first, once. */
	ASSERT_EQ(0, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, &rt));
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_ROUTED);
	EXPECT_EQ(RS_ROUTED_EXCEPTION, vcpu->run->routed.event);
	EXPECT_EQ(PF_VECTOR, vcpu->run->routed.index);
	EXPECT_EQ(UNMAPPED, vcpu->run->routed.value);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS + 1, c[0]);
	vcpu->run->routed.action = RS_ROUTE_DEFAULT;
	rs_vcpu_expect_sync(vcpu, 2);
	ASSERT_EQ(0, read_counts(c));
	EXPECT_EQ(READS + 1, c[0]) TH_LOG("counted again by the default");
	memset(&rt, 0, sizeof(rt));
	ASSERT_EQ(0, ioctl(vcpu->fd, RS_SET_EXIT_ROUTE, &rt));

	/* Unloaded under the live VM: the guest's faults go on as before. */
	ASSERT_EQ(0, rs_sample_unload(HOOK))
		TH_LOG("unloading %s: %s", HOOK, strerror(errno));
	self->loaded = false;
	EXPECT_FALSE(ringside_used_by(HOOK));
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
