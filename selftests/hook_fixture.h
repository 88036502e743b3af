/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the exit hook examples' tests share (hook_*_test.c): the fixture
 * that loads HOOK (samples/HOOK.ko, which the includer names) and leaves
 * ringside loaded whatever happened, and the kernel log checks.
 */
#ifndef HOOK_FIXTURE_H
#define HOOK_FIXTURE_H

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_sys.h"
#include "rs_test.h"

/*
 * The kernel log since @kmsg was opened (or last read): whether it holds
 * @s; and it must hold no warning, BUG or oops.
 */
static inline bool kmsg_has(struct __test_metadata *_metadata, int kmsg,
			    const char *s)
{
	char *log = rs_kmsg_read(kmsg);
	const char *splat;
	bool found;
	size_t len;

	if (!log)
		return false;
	found = strstr(log, s);
	splat = rs_kmsg_find_splat(log, &len);
	EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
	free(log);
	return found;
}

static inline void expect_no_splat(struct __test_metadata *_metadata, int kmsg)
{
	kmsg_has(_metadata, kmsg, "");
}

/* ringside unloads (no VM left: nothing else holds it) and loads again. */
static inline void reload_ringside(struct __test_metadata *_metadata)
{
	long ref;

	ASSERT_EQ(0, rs_module_unload())
		TH_LOG("rmmod ringside: %s", strerror(errno));
	ASSERT_EQ(0, rs_module_count(&ref));
	ASSERT_EQ(0, rs_module_load(rs_module_path()))
		TH_LOG("insmod ringside: %s", strerror(errno));
}

FIXTURE(hook) {
	bool loaded;
	int kmsg;
};

FIXTURE_SETUP(hook)
{
	long ref;

	self->kmsg = -1;
	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	ASSERT_NE(NULL, rs_module_path()) TH_LOG("no ringside.ko: set RINGSIDE_KO");
	ASSERT_EQ(1, rs_module_count(&ref)) TH_LOG("ringside is not loaded");
	ASSERT_FALSE(rs_sample_loaded(HOOK)) TH_LOG("%s is loaded already", HOOK);
	self->kmsg = rs_kmsg_open();
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
}

/* Whatever happened: no hook, and ringside loaded for the tests after. */
FIXTURE_TEARDOWN(hook)
{
	long ref;

	if (self->loaded || rs_sample_loaded(HOOK))
		rs_sample_unload(HOOK);
	if (rs_module_path() && rs_host_has_virt() && geteuid() == 0 &&
	    rs_module_count(&ref) == 0)
		rs_module_load(rs_module_path());
	if (self->kmsg >= 0)
		close(self->kmsg);
}

#define LOAD_HOOK() do {						\
	ASSERT_EQ(0, rs_sample_load(HOOK))				\
		TH_LOG("loading %s.ko: %s", HOOK, strerror(errno));	\
	self->loaded = true;						\
} while (0)

#endif
