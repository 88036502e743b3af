// SPDX-License-Identifier: GPL-2.0
/*
 * Who may read a VM through the netlink family "ringside": root and the
 * VM's creator (same euid).  Another user does not see it in dumps and
 * gets ENOENT for its id, as for an id nobody has; nor may an unprivileged
 * user join the "events" group (EPERM).  The unprivileged users are uid
 * 65534 and 65533 in forked children (setuid drops every capability); a VM
 * of uid 65534 comes from /dev/ringside opened as root before setuid.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define NOBODY		65534
#define OTHER		65533

/* Child results: 0 ok, else the step number that went wrong. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void become(uid_t uid)
{
	if (setgid(uid) || setuid(uid))
		_exit(90);
}

/* Run as @uid: @id must be invisible in every way. */
static int check_invisible(uint32_t id)
{
	struct rs_nl_vm list[64], v;
	struct rs_nl nl;
	int n, i;

	if (rs_nl_open(&nl))
		return 1;
	n = rs_nl_dump(&nl, RS_NL_CMD_GET_VM, false, list, 64);
	if (n < 0 || rs_nl_find(list, n, id))
		return 2;
	n = rs_nl_dump(&nl, RS_NL_CMD_GET_STATS, true, list, 64);
	if (n < 0)
		return 3;
	for (i = 0; i < n; i++)
		if (list[i].id == id)
			return 4;
	if (rs_nl_get(&nl, RS_NL_CMD_GET_VM, id, -1, &v) != -ENOENT)
		return 5;
	if (rs_nl_get(&nl, RS_NL_CMD_GET_STATS, id, -1, &v) != -ENOENT)
		return 6;
	if (rs_nl_get(&nl, RS_NL_CMD_GET_STATS, id, 0, &v) != -ENOENT)
		return 7;
	if (rs_nl_subscribe(&nl) != -EPERM)
		return 8;
	rs_nl_close(&nl);
	return 0;
}

/* Run as the owner: @id is visible. */
static int check_visible(uint32_t id, uint32_t uid)
{
	struct rs_nl_vm list[64], v;
	const struct rs_nl_vm *f;
	struct rs_nl nl;
	int n;

	if (rs_nl_open(&nl))
		return 11;
	n = rs_nl_dump(&nl, RS_NL_CMD_GET_STATS, false, list, 64);
	f = n > 0 ? rs_nl_find(list, n, id) : NULL;
	if (!f || f->uid != uid || !f->has_stats)
		return 12;
	if (rs_nl_get(&nl, RS_NL_CMD_GET_STATS, id, 0, &v) || v.id != id)
		return 13;
	rs_nl_close(&nl);
	return 0;
}

TEST(other_user_cannot_read_roots_vm)
{
	struct rs_vm *vm;
	uint32_t id;
	pid_t pid;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	vm = rs_vm_create_default();
	rs_vcpu_create_bare(vm, 0);
	id = rs_vm_id(vm);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		become(NOBODY);
		_exit(check_invisible(id));
	}
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("step that failed as uid %d", NOBODY);
	EXPECT_EQ(0, check_visible(id, 0)) TH_LOG("root must see its VM");
	rs_vm_free(vm);
}

TEST(owner_reads_own_vm_only)
{
	int to_parent[2], to_child[2];
	uint32_t id = 0;
	char go = 0;
	pid_t owner, other;
	int dev;

	RS_REQUIRE_VM();
	RS_REQUIRE_ROOT();
	RS_OPEN_DEV(dev);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));

	owner = fork();
	ASSERT_LE(0, owner);
	if (!owner) {
		int fd, r;

		become(NOBODY);
		/* /dev/ringside is root's, but this fd was opened before. */
		fd = ioctl(dev, RS_CREATE_VM, 0);
		if (fd < 0 || ioctl(fd, RS_CREATE_VCPU, 0) < 0)
			_exit(20);
		{
			struct rs_vm tmp = { .fd = fd };

			id = rs_vm_id(&tmp);
		}
		r = check_visible(id, NOBODY);
		if (write(to_parent[1], &id, sizeof(id)) != sizeof(id))
			_exit(21);
		/* Keep the VM until the parent has looked. */
		if (read(to_child[0], &go, 1) != 1)
			_exit(22);
		close(fd);
		_exit(r);
	}
	ASSERT_EQ(sizeof(id), read(to_parent[0], &id, sizeof(id)));

	other = fork();
	ASSERT_LE(0, other);
	if (!other) {
		become(OTHER);
		_exit(check_invisible(id));
	}
	EXPECT_EQ(0, wait_child(other)) TH_LOG("step that failed as uid %d", OTHER);
	EXPECT_EQ(0, check_visible(id, NOBODY)) TH_LOG("root must see uid %d's VM", NOBODY);

	ASSERT_EQ(1, write(to_child[1], &go, 1));
	EXPECT_EQ(0, wait_child(owner)) TH_LOG("step that failed as the owner");
	close(dev);
}

TEST_HARNESS_MAIN
