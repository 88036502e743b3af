// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ringside is root's alone: a misc character device (major 10, the
 * minor /proc/misc gives), mode 0600, owned by root; an unprivileged user
 * cannot open it (EACCES), root can.
 */
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

#define NOBODY 65534

TEST(char_device_0600_root)
{
	struct stat st;
	int n, minor;

	RS_REQUIRE_VIRT();
	ASSERT_EQ(0, stat(RS_DEV_PATH, &st))
		TH_LOG("stat(%s): %s", RS_DEV_PATH, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode)) TH_LOG("mode %o", st.st_mode);
	EXPECT_EQ(0600U, st.st_mode & 07777)
		TH_LOG("mode %04o, expected 0600", st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);

	n = rs_misc_count(&minor);
	ASSERT_EQ(1, n) TH_LOG("/proc/misc lists ringside %d times", n);
	EXPECT_EQ(10U, major(st.st_rdev));
	EXPECT_EQ((unsigned int)minor, minor(st.st_rdev))
		TH_LOG("node is %u:%u, /proc/misc says minor %d",
		       major(st.st_rdev), minor(st.st_rdev), minor);
}

TEST(root_can_open)
{
	int fd;

	RS_REQUIRE_ROOT();
	RS_OPEN_DEV(fd);
	EXPECT_EQ(RS_API_VERSION, ioctl(fd, RS_GET_API_VERSION, 0));
	close(fd);
}

/* Child: drop to nobody, try each open mode; exit with the errno seen. */
static int open_as_nobody(int flags)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		if (geteuid() != NOBODY)
			_exit(201);
		fd = open(RS_DEV_PATH, flags | O_CLOEXEC);
		if (fd >= 0)
			_exit(0);
		_exit(errno);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(unprivileged_open_is_eacces)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ O_RDWR, "O_RDWR" },
		{ O_RDONLY, "O_RDONLY" },
		{ O_WRONLY, "O_WRONLY" },
	};
	unsigned int i;

	RS_REQUIRE_VIRT();
	RS_REQUIRE_ROOT();
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		int err = open_as_nobody(modes[i].flags);

		EXPECT_NE(200, err) TH_LOG("could not become uid %d", NOBODY);
		EXPECT_EQ(EACCES, err)
			TH_LOG("open(%s, %s) as uid %d: %s, expected EACCES",
			       RS_DEV_PATH, modes[i].name, NOBODY,
			       err ? strerrorname_np(err) ?: "?" : "succeeded");
	}
}

TEST_HARNESS_MAIN
