// SPDX-License-Identifier: GPL-2.0
/*
 * On a CPU without SVM and VMX, ringside refuses to load: finit_module(2)
 * fails with ENODEV, the kernel log gains exactly one line from ringside
 * saying why (it names SVM, VMX or virtualization), and nothing is left:
 * no module, no /dev/ringside, no taint beyond O and E, no warning.
 *
 * Runs in the VM booted with `--cpu EPYC,-svm --no-module`; skips where
 * /proc/cpuinfo shows svm or vmx.
 */
#include <ctype.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "rs_test.h"

/* The module loader's own lines about ringside, not ringside's. */
static bool loader_line(const char *line, size_t n)
{
	return memmem(line, n, "taint", 5) || memmem(line, n, "retpoline", 9);
}

static bool says_why(const char *line, size_t n)
{
	static const char * const words[] = {
		"svm", "vmx", "virtualiz", "amd-v", "vt-x",
	};
	char lower[512];
	size_t i;

	if (n >= sizeof(lower))
		n = sizeof(lower) - 1;
	for (i = 0; i < n; i++)
		lower[i] = tolower((unsigned char)line[i]);
	lower[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(lower, words[i]))
			return true;
	return false;
}

TEST(refuses_to_load)
{
	unsigned long taint_before, gained;
	const char *path, *env, *line, *splat;
	char t1[32], t2[32];
	int attempt, kmsg, minor;
	struct stat st;
	size_t len;
	long ref;

	if (rs_host_has_virt())
		SKIP(return, "the CPU has svm or vmx: this test needs a VM booted with --cpu EPYC,-svm --no-module");
	RS_REQUIRE_ROOT();
	path = rs_module_path();
	env = getenv("RINGSIDE_KO");
	if (!path && !(env && *env))
		SKIP(return, "no module file: set RINGSIDE_KO");
	ASSERT_NE(NULL, path) TH_LOG("RINGSIDE_KO=%s does not exist", env);
	ASSERT_EQ(0, rs_module_count(&ref))
		TH_LOG("ringside is loaded on a CPU without svm/vmx");

	taint_before = rs_kernel_tainted();
	/* Twice: the second refusal must say why again. */
	for (attempt = 1; attempt <= 2; attempt++) {
		int lines = 0, r, err;
		char *log;

		kmsg = rs_kmsg_open();
		ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));

		r = rs_module_load(path);
		err = errno;
		EXPECT_EQ(-1, r) TH_LOG("attempt %d: finit_module succeeded", attempt);
		if (r == 0) {
			rs_module_unload();
			close(kmsg);
			return;
		}
		EXPECT_EQ(ENODEV, err)
			TH_LOG("attempt %d: finit_module: %s, expected ENODEV",
			       attempt, strerrorname_np(err));

		log = rs_kmsg_read(kmsg);
		close(kmsg);
		ASSERT_NE(NULL, log);
		for (line = log; *line; ) {
			const char *end = strchr(line, '\n');
			size_t n = end ? (size_t)(end - line) : strlen(line);

			if (memmem(line, n, RS_MODULE_NAME, 8) &&
			    !loader_line(line, n)) {
				lines++;
				TH_LOG("attempt %d: kernel log: %.*s", attempt,
				       (int)n, line);
				EXPECT_TRUE(says_why(line, n))
					TH_LOG("the line does not name SVM, VMX or virtualization");
			}
			line = end ? end + 1 : line + n;
		}
		EXPECT_EQ(1, lines)
			TH_LOG("attempt %d: %d lines from ringside, expected 1:\n%s",
			       attempt, lines, log);
		splat = rs_kmsg_find_splat(log, &len);
		EXPECT_EQ(NULL, splat) TH_LOG("kernel log: %.*s", (int)len, splat);
		free(log);
	}

	EXPECT_EQ(0, rs_module_count(&ref));
	EXPECT_EQ(0, rs_misc_count(&minor));
	EXPECT_NE(0, stat(RS_DEV_PATH, &st))
		TH_LOG("%s exists though ringside did not load", RS_DEV_PATH);
	gained = rs_kernel_tainted() & ~taint_before & ~RS_TAINT_MODULE_OK;
	EXPECT_EQ(0UL, gained)
		TH_LOG("taint went from %s to %s",
		       rs_taint_string(taint_before, t1),
		       rs_taint_string(rs_kernel_tainted(), t2));
}

TEST_HARNESS_MAIN
