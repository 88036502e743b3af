// SPDX-License-Identifier: GPL-2.0
/*
 * RS_CREATE_VM returns a new VM fd (close-on-exec) on every call; the VM
 * lives on after /dev/ringside is closed; the VM fd answers VM ioctls only
 * (/dev/ringside's and vCPU ioctls are -ENOTTY).
 *
 * Assumed (kmod/vm.c does this, as KVM does): a VM belongs to the process
 * that created it; its ioctls from another process (a forked child) fail
 * with -EIO.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	GUEST_DONE();
}

TEST(several_vms)
{
	int dev, fds[8], i, flags;

	RS_REQUIRE_VM();
	dev = rs_open_dev();
	for (i = 0; i < 8; i++) {
		fds[i] = ioctl(dev, RS_CREATE_VM, 0);
		ASSERT_LE(0, fds[i]) TH_LOG("VM %d: %s", i, strerror(errno));
		flags = fcntl(fds[i], F_GETFD);
		EXPECT_TRUE(flags & FD_CLOEXEC) TH_LOG("VM fd without FD_CLOEXEC");
	}
	for (i = 1; i < 8; i++) {
		EXPECT_NE(fds[i - 1], fds[i]);
	}
	for (i = 0; i < 8; i++)
		close(fds[i]);
	close(dev);
}

TEST(vm_outlives_dev_fd)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	close(vm->dev_fd);
	vm->dev_fd = open("/dev/null", O_RDONLY);	/* for rs_vm_free() */
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(vm_fd_rejects_other_ioctls)
{
	static char buf[8192];
	static const struct { unsigned long cmd; const char *name; } cmds[] = {
		{ RS_GET_API_VERSION, "RS_GET_API_VERSION" },
		{ RS_CHECK_CAPABILITY, "RS_CHECK_CAPABILITY" },
		{ RS_CREATE_VM, "RS_CREATE_VM" },
		{ RS_RUN, "RS_RUN" },
		{ RS_GET_REGS, "RS_GET_REGS" },
		{ RS_SET_SREGS, "RS_SET_SREGS" },
		{ RS_GET_MSRS, "RS_GET_MSRS" },
		{ RS_GET_FPU, "RS_GET_FPU" },
		{ RS_SET_CPUID, "RS_SET_CPUID" },
		{ RS_INJECT_EVENT, "RS_INJECT_EVENT" },
		{ _IO(RS_IO, 0x12), "_IO(RS_IO, 0x12)" },
		{ _IOW(RS_IO, 0x10, __u64), "_IOW(RS_IO, 0x10, __u64)" },
		{ _IO(0xAE, 0x41), "KVM_CREATE_VCPU" },
	};
	struct rs_vm *vm;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		long r;

		memset(buf, 0, sizeof(buf));
		r = ioctl(vm->fd, cmds[i].cmd, buf);
		EXPECT_EQ(-1, r) TH_LOG("%s on a VM fd returned %ld",
				       cmds[i].name, r);
		if (r == -1) {
			EXPECT_EQ(ENOTTY, errno)
				TH_LOG("%s on a VM fd: %s", cmds[i].name,
				       strerrorname_np(errno));
		}
	}
	rs_vm_free(vm);
}

TEST(other_process_gets_eio)
{
	struct rs_vm *vm;
	int status;
	pid_t pid;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long r = ioctl(vm->fd, RS_CREATE_VCPU, 0);

		if (r >= 0)
			_exit(1);
		_exit(errno == EIO ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("RS_CREATE_VCPU from a child: %s",
		       WEXITSTATUS(status) == 1 ? "succeeded" : "not EIO");
	/* The parent still can. */
	EXPECT_LE(0, __rs_create_vcpu(vm, 0));
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
