// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading and loading ringside 100 times leaves nothing behind: then
 * /dev/ringside exists once with the minor /proc/misc gives, /proc/modules
 * lists ringside once with no users, the kernel log holds no warning, BUG
 * or oops, the kernel gained no taint but O and E (out-of-tree, unsigned),
 * and kernel memory did not grow by what 100 leaked pages would add.
 *
 * The module is loaded when the test starts (vm-run loads it) and is left
 * loaded.  A few unmeasured cycles first let the kernel's own caches (slab
 * pages, vmalloc page tables) settle.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

#define CYCLES		100
#define WARMUP		10
/* 100 leaked pages are 400 KiB; allow a bit over half of that as noise. */
#define TOLERANCE_KB	256

FIXTURE(module) {
	const char *path;
};

FIXTURE_SETUP(module)
{
	self->path = rs_module_path();
}

/* Whatever happened, leave the module loaded for the tests that follow. */
FIXTURE_TEARDOWN(module)
{
	long ref;

	if (self->path && rs_host_has_virt() && geteuid() == 0 &&
	    rs_module_count(&ref) == 0)
		rs_module_load(self->path);
}

static void cycle(struct __test_metadata *_metadata, const char *path, int i)
{
	struct stat st;
	long ref;

	ASSERT_EQ(0, rs_module_unload())
		TH_LOG("cycle %d: delete_module: %s", i, strerror(errno));
	ASSERT_EQ(0, rs_module_count(&ref))
		TH_LOG("cycle %d: ringside still in /proc/modules", i);
	ASSERT_NE(0, stat(RS_DEV_PATH, &st))
		TH_LOG("cycle %d: %s still there after unload", i, RS_DEV_PATH);
	ASSERT_EQ(0, rs_module_load(path))
		TH_LOG("cycle %d: finit_module(%s): %s", i, path,
		       strerror(errno));
	ASSERT_EQ(1, rs_module_count(&ref))
		TH_LOG("cycle %d: ringside not in /proc/modules after load", i);
}

TEST_F_TIMEOUT(module, reload_100_times_leaves_nothing, 1800)
{
	unsigned long taint_before, taint_after, gained;
	struct rs_mem before, after;
	char t1[32], t2[32];
	const char *splat;
	struct stat st;
	int i, n, minor, fd, kmsg;
	size_t len;
	char *log;
	long ref;

	RS_REQUIRE_VIRT();
	RS_REQUIRE_ROOT();
	ASSERT_NE(NULL, self->path)
		TH_LOG("no module file: set RINGSIDE_KO or install %s",
		       RS_KO_DEFAULT);
	if (rs_module_count(&ref) == 0) {
		TH_LOG("ringside was not loaded; loading %s", self->path);
		ASSERT_EQ(0, rs_module_load(self->path))
			TH_LOG("finit_module: %s", strerror(errno));
	}

	kmsg = rs_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	taint_before = rs_kernel_tainted();

	for (i = 0; i < WARMUP; i++)
		cycle(_metadata, self->path, i);
	ASSERT_EQ(0, rs_mem_snapshot(&before));
	for (i = 0; i < CYCLES; i++)
		cycle(_metadata, self->path, WARMUP + i);
	ASSERT_EQ(0, rs_mem_snapshot(&after));

	/* One device node, matching the one misc device. */
	n = rs_misc_count(&minor);
	EXPECT_EQ(1, n) TH_LOG("/proc/misc lists ringside %d times", n);
	ASSERT_EQ(0, stat(RS_DEV_PATH, &st))
		TH_LOG("%s: %s", RS_DEV_PATH, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(10, minor), st.st_rdev)
		TH_LOG("node %u:%u, misc minor %d", major(st.st_rdev),
		       minor(st.st_rdev), minor);

	/* Loaded once, unused. */
	EXPECT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref) TH_LOG("ringside refcount %ld after reloads", ref);

	/* And it works. */
	fd = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	EXPECT_EQ(RS_API_VERSION, ioctl(fd, RS_GET_API_VERSION, 0));
	close(fd);

	log = rs_kmsg_read(kmsg);
	ASSERT_NE(NULL, log);
	splat = rs_kmsg_find_splat(log, &len);
	EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
	free(log);
	close(kmsg);

	taint_after = rs_kernel_tainted();
	gained = taint_after & ~taint_before & ~RS_TAINT_MODULE_OK;
	EXPECT_EQ(0UL, gained)
		TH_LOG("taint went from %s to %s", rs_taint_string(taint_before, t1),
		       rs_taint_string(taint_after, t2));

	TH_LOG("kernel memory %+ld KiB over %d reloads (slab %+ld, vmalloc %+ld, percpu %+ld KiB)",
	       after.kernel_kb - before.kernel_kb, CYCLES,
	       after.sunreclaim_kb - before.sunreclaim_kb,
	       after.vmalloc_kb - before.vmalloc_kb,
	       after.percpu_kb - before.percpu_kb);
	EXPECT_GE(TOLERANCE_KB, after.kernel_kb - before.kernel_kb)
		TH_LOG("kernel memory grew by more than %d KiB", TOLERANCE_KB);
}

TEST_HARNESS_MAIN
