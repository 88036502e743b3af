// SPDX-License-Identifier: GPL-2.0
/*
 * An open /dev/ringside (or VM fd) holds the module: while any process has it open,
 * /proc/modules shows a user and delete_module(O_NONBLOCK) fails with
 * EWOULDBLOCK (the kernel's answer for a module in use); after the last
 * close it unloads, the device node goes away, and it loads again.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

FIXTURE(module) {
	const char *path;
};

FIXTURE_SETUP(module)
{
	self->path = rs_module_path();
}

FIXTURE_TEARDOWN(module)
{
	long ref;

	if (self->path && rs_host_has_virt() && geteuid() == 0 &&
	    rs_module_count(&ref) == 0)
		rs_module_load(self->path);
}

#define REQUIRE_LOADED() do {						\
	long __ref;							\
	RS_REQUIRE_VIRT();						\
	RS_REQUIRE_ROOT();						\
	ASSERT_NE(NULL, self->path)					\
		TH_LOG("no module file: set RINGSIDE_KO");		\
	if (rs_module_count(&__ref) == 0) {				\
		ASSERT_EQ(0, rs_module_load(self->path))		\
			TH_LOG("finit_module: %s", strerror(errno));	\
		rs_module_count(&__ref);				\
	}								\
	ASSERT_EQ(0, __ref) TH_LOG("ringside already has users");	\
} while (0)

/* After the last close: unloads, the node goes, and it comes back. */
static void unload_and_reload(struct __test_metadata *_metadata,
			      const char *path)
{
	struct stat st;
	long ref;
	int minor;

	ASSERT_EQ(0, rs_module_unload())
		TH_LOG("delete_module after the last close: %s",
		       strerror(errno));
	EXPECT_EQ(0, rs_module_count(&ref));
	EXPECT_EQ(0, rs_misc_count(&minor));
	EXPECT_NE(0, stat(RS_DEV_PATH, &st))
		TH_LOG("%s still there after unload", RS_DEV_PATH);
	ASSERT_EQ(0, rs_module_load(path))
		TH_LOG("finit_module: %s", strerror(errno));
	EXPECT_EQ(0, stat(RS_DEV_PATH, &st));
}

TEST_F(module, open_fd_blocks_unload)
{
	long ref;
	int fd;

	REQUIRE_LOADED();
	fd = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));

	ASSERT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(1, ref) TH_LOG("refcount %ld with one open fd", ref);
	ASSERT_ERRNO(EWOULDBLOCK, rs_module_unload());
	/* Refused: still loaded and the fd still works. */
	EXPECT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(RS_API_VERSION, ioctl(fd, RS_GET_API_VERSION, 0));

	close(fd);
	EXPECT_EQ(1, rs_module_count(&ref));
	EXPECT_EQ(0, ref) TH_LOG("refcount %ld after close", ref);
	unload_and_reload(_metadata, self->path);
}

TEST_F(module, two_opens_two_users)
{
	int fd1, fd2, dup_fd;
	long ref;

	REQUIRE_LOADED();
	fd1 = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);
	fd2 = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	/* A dup shares the open file: no new user. */
	dup_fd = dup(fd1);
	ASSERT_LE(0, dup_fd);
	rs_module_count(&ref);
	EXPECT_EQ(2, ref);

	close(fd1);
	ASSERT_ERRNO(EWOULDBLOCK, rs_module_unload());
	close(dup_fd);
	ASSERT_ERRNO(EWOULDBLOCK, rs_module_unload());
	close(fd2);
	unload_and_reload(_metadata, self->path);
}

/* The fd another process inherited counts, though ours is closed. */
TEST_F(module, fd_held_by_child_blocks_unload)
{
	int fd, go[2], status;
	pid_t pid;
	char c;

	REQUIRE_LOADED();
	ASSERT_EQ(0, pipe(go));
	fd = open(RS_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		/* hold fd until the parent says so */
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(ioctl(fd, RS_GET_API_VERSION, 0) == RS_API_VERSION ? 0 : 2);
	}
	close(go[0]);
	close(fd);

	EXPECT_ERRNO(EWOULDBLOCK, rs_module_unload());

	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child's fd stopped working: status %#x", status);
	unload_and_reload(_metadata, self->path);
}

/* A VM fd holds the module as /dev/ringside does, without it. */
TEST_F(module, vm_fd_blocks_unload)
{
	int dev, vm;
	long ref;

	RS_REQUIRE_VM();
	REQUIRE_LOADED();
	dev = open(RS_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	vm = ioctl(dev, RS_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("RS_CREATE_VM: %s", strerror(errno));
	close(dev);

	rs_module_count(&ref);
	EXPECT_LE(1, ref) TH_LOG("a VM fd open, refcount %ld", ref);
	ASSERT_ERRNO(EWOULDBLOCK, rs_module_unload());
	close(vm);
	unload_and_reload(_metadata, self->path);
}

TEST_HARNESS_MAIN
