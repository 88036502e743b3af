// SPDX-License-Identifier: GPL-2.0
/*
 * RS_GET_API_VERSION answers RS_API_VERSION, on every open of /dev/ringside
 * and every time, and only when its argument is 0 (-EINVAL otherwise).
 */
#include <sys/ioctl.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

TEST(returns_api_version)
{
	int fd, i;

	RS_OPEN_DEV(fd);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(RS_API_VERSION, ioctl(fd, RS_GET_API_VERSION, 0));
	}
	close(fd);
}

TEST(same_on_every_open)
{
	int fd1, fd2;

	RS_OPEN_DEV(fd1);
	RS_OPEN_DEV(fd2);
	EXPECT_EQ(RS_API_VERSION, ioctl(fd2, RS_GET_API_VERSION, 0));
	close(fd2);
	EXPECT_EQ(RS_API_VERSION, ioctl(fd1, RS_GET_API_VERSION, 0));
	close(fd1);
}

TEST(readonly_open_works)
{
	int fd;

	RS_REQUIRE_VIRT();
	fd = open(RS_DEV_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open(%s, O_RDONLY): %s", RS_DEV_PATH,
				strerror(errno));
	EXPECT_EQ(RS_API_VERSION, ioctl(fd, RS_GET_API_VERSION, 0));
	close(fd);
}

TEST(nonzero_arg_is_einval)
{
	static const unsigned long args[] = {
		1, 2, RS_API_VERSION, 0x80000000UL, 0x100000000UL, ~0UL,
	};
	unsigned int i;
	int fd;

	RS_OPEN_DEV(fd);
	for (i = 0; i < ARRAY_SIZE(args); i++) {
		EXPECT_ERRNO(EINVAL, ioctl(fd, RS_GET_API_VERSION, args[i]));
		if (!_metadata->passed)
			TH_LOG("arg was %#lx", args[i]);
	}
	/* A refused call leaves nothing behind. */
	EXPECT_EQ(RS_API_VERSION, ioctl(fd, RS_GET_API_VERSION, 0));
	close(fd);
}

TEST_HARNESS_MAIN
