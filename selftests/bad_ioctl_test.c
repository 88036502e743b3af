// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ringside refuses what is not its own: ioctl numbers it does not know
 * (another magic, its magic with an unused number or a different
 * direction/size, VM and vCPU ioctls) fail with -ENOTTY, and RS_CREATE_VM
 * with a nonzero argument fails with -EINVAL.
 */
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

/* Big enough for any structure an ioctl below might copy in or out. */
static union {
	struct rs_memory_region mem;
	struct rs_regs regs;
	struct rs_sregs sregs;
	struct rs_msrs msrs;
	struct rs_fpu fpu;
	struct rs_cpuid cpuid;
	struct rs_event event;
	struct termios tio;
	char bytes[16384];
} buf;

static void expect_enotty(struct __test_metadata *_metadata, int fd,
			  unsigned long cmd, const char *name)
{
	long r;

	memset(&buf, 0, sizeof(buf));
	errno = 0;
	r = ioctl(fd, cmd, &buf);
	EXPECT_EQ(-1, r) TH_LOG("%s (%#lx) on /dev/ringside returned %ld",
			       name, cmd, r);
	if (r == -1) {
		EXPECT_EQ(ENOTTY, errno)
			TH_LOG("%s (%#lx) on /dev/ringside: %s, expected ENOTTY",
			       name, cmd, strerrorname_np(errno));
	}
}

#define ENOTTY_ON(fd, cmd) expect_enotty(_metadata, fd, cmd, #cmd)

TEST(foreign_magic)
{
	int fd;

	RS_OPEN_DEV(fd);
	ENOTTY_ON(fd, _IO(0xAE, 0x00));		/* KVM_GET_API_VERSION */
	ENOTTY_ON(fd, _IO(0xAE, 0x01));		/* KVM_CREATE_VM */
	ENOTTY_ON(fd, _IO(0, 0));
	ENOTTY_ON(fd, _IO(RS_IO + 1, 0x00));
	ENOTTY_ON(fd, _IO(RS_IO - 1, 0x01));
	ENOTTY_ON(fd, TCGETS);
	close(fd);
}

TEST(unused_numbers)
{
	static const unsigned int nrs[] = { 0x03, 0x04, 0x0f, 0x1f, 0x2c,
					    0x7f, 0x80, 0xff };
	unsigned int i;
	int fd;

	RS_OPEN_DEV(fd);
	for (i = 0; i < ARRAY_SIZE(nrs); i++)
		expect_enotty(_metadata, fd, _IO(RS_IO, nrs[i]),
			      "_IO(RS_IO, nr)");
	close(fd);
}

/* The whole command is the key, not only its number. */
TEST(right_number_wrong_direction_or_size)
{
	int fd;

	RS_OPEN_DEV(fd);
	ENOTTY_ON(fd, _IOR(RS_IO, 0x00, __u32));
	ENOTTY_ON(fd, _IOW(RS_IO, 0x00, __u64));
	ENOTTY_ON(fd, _IOWR(RS_IO, 0x01, __u32));
	ENOTTY_ON(fd, _IOR(RS_IO, 0x02, int));
	close(fd);
}

TEST(vm_ioctls_on_dev)
{
	int fd;

	RS_OPEN_DEV(fd);
	ENOTTY_ON(fd, RS_SET_MEMORY_REGION);
	ENOTTY_ON(fd, RS_CREATE_VCPU);
	ENOTTY_ON(fd, RS_IOEVENTFD);
	close(fd);
}

TEST(vcpu_ioctls_on_dev)
{
	int fd;

	RS_OPEN_DEV(fd);
	ENOTTY_ON(fd, RS_RUN);
	ENOTTY_ON(fd, RS_GET_REGS);
	ENOTTY_ON(fd, RS_SET_REGS);
	ENOTTY_ON(fd, RS_GET_SREGS);
	ENOTTY_ON(fd, RS_SET_SREGS);
	ENOTTY_ON(fd, RS_GET_MSRS);
	ENOTTY_ON(fd, RS_SET_MSRS);
	ENOTTY_ON(fd, RS_GET_FPU);
	ENOTTY_ON(fd, RS_SET_FPU);
	ENOTTY_ON(fd, RS_SET_CPUID);
	ENOTTY_ON(fd, RS_GET_CPUID);
	ENOTTY_ON(fd, RS_INJECT_EVENT);
	close(fd);
}

/* Assumption: RS_CREATE_VM's argument is reserved, like KVM's type 0. */
TEST(create_vm_nonzero_arg)
{
	static const unsigned long args[] = { 1, 2, 0x80000000UL,
					      0x100000000UL, ~0UL };
	unsigned int i;
	int fd;

	RS_OPEN_DEV(fd);
	for (i = 0; i < ARRAY_SIZE(args); i++) {
		long r = ioctl(fd, RS_CREATE_VM, args[i]);

		EXPECT_EQ(-1, r) TH_LOG("RS_CREATE_VM(%#lx) returned %ld",
				       args[i], r);
		if (r >= 0) {
			close(r);
		} else {
			EXPECT_EQ(EINVAL, errno)
				TH_LOG("RS_CREATE_VM(%#lx): %s, expected EINVAL",
				       args[i], strerrorname_np(errno));
		}
	}
	close(fd);
}

TEST_HARNESS_MAIN
