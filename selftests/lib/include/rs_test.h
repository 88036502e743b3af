/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for test bodies written with kselftest_harness.h, which must be
 * included first.
 */
#ifndef SELFTEST_RS_TEST_H
#define SELFTEST_RS_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "rs_sys.h"

/*
 * ringside can only be loaded where the CPU offers SVM or VMX; elsewhere
 * (the VM booted with -svm for no_virt_test) a test of the loaded module
 * has nothing to test.  Where the CPU offers it, a missing module fails.
 */
#define RS_REQUIRE_VIRT() do {						\
	if (!rs_host_has_virt())					\
		SKIP(return, "no svm/vmx in /proc/cpuinfo: ringside cannot load here"); \
} while (0)

/*
 * Tests that run guests.  Both backends run them, so this skips only where
 * ringside cannot load; a backend that refuses a VM fails the test.
 */
#define RS_REQUIRE_VM() RS_REQUIRE_VIRT()

#define RS_REQUIRE_ROOT() do {						\
	if (geteuid() != 0)						\
		SKIP(return, "needs root");				\
} while (0)

/* Open /dev/ringside into @fd or fail the test. */
#define RS_OPEN_DEV(fd) do {						\
	RS_REQUIRE_VIRT();						\
	(fd) = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);			\
	ASSERT_LE(0, (fd)) {						\
		TH_LOG("open(%s): %s (is ringside loaded? are you root?)", \
		       RS_DEV_PATH, strerror(errno));			\
	}								\
} while (0)

/*
 * An ioctl that must fail with @err: evaluates to true if it did, and
 * logs what happened otherwise.
 */
#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	long __r = (long)(call);					\
	int __e = errno;						\
	EXPECT_EQ(-1, __r) {						\
		TH_LOG("%s returned %ld, expected -1 with %s",		\
		       #call, __r, strerrorname_np(err));		\
	}								\
	if (__r == -1) {						\
		EXPECT_EQ(err, __e) {					\
			TH_LOG("%s failed with %s, expected %s", #call,	\
			       strerrorname_np(__e) ?: "?",		\
			       strerrorname_np(err));			\
		}							\
	}								\
} while (0)

#define ASSERT_ERRNO(err, call) do {					\
	errno = 0;							\
	long __r = (long)(call);					\
	int __e = errno;						\
	ASSERT_EQ(-1, __r) {						\
		TH_LOG("%s returned %ld, expected -1 with %s",		\
		       #call, __r, strerrorname_np(err));		\
	}								\
	ASSERT_EQ(err, __e) {						\
		TH_LOG("%s failed with %s, expected %s", #call,		\
		       strerrorname_np(__e) ?: "?", strerrorname_np(err)); \
	}								\
} while (0)

#endif /* SELFTEST_RS_TEST_H */
