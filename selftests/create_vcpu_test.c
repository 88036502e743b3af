// SPDX-License-Identifier: GPL-2.0
/*
 * RS_CREATE_VCPU takes ids 0 to RS_CAP_MAX_VCPUS - 1 in any order and
 * returns a vCPU fd (close-on-exec) whose run page maps at offset 0 with
 * RS_CAP_RUN_SIZE bytes.  An id out of range is -EINVAL, an id in use
 * -EEXIST.  A new vCPU is in the x86 reset state (real mode, CS:IP
 * f000:fff0 with CS base ffff0000).  The vCPU fd answers vCPU ioctls only
 * (-ENOTTY otherwise).
 *
 * Assumed (kmod/vcpu.c does this): mapping more than RS_CAP_RUN_SIZE or at
 * a nonzero offset fails with EINVAL.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

TEST(ids)
{
	struct rs_vm *vm;
	long max;
	int fd;

	RS_REQUIRE_VM();
	max = rs_check_cap(RS_CAP_MAX_VCPUS);
	vm = rs_vm_create_bare();

	EXPECT_ERRNO(EINVAL, __rs_create_vcpu(vm, max));
	EXPECT_ERRNO(EINVAL, __rs_create_vcpu(vm, 0x100000000UL));
	EXPECT_ERRNO(EINVAL, __rs_create_vcpu(vm, -1UL));

	fd = __rs_create_vcpu(vm, max - 1);
	ASSERT_LE(0, fd) TH_LOG("id %ld: %s", max - 1, strerror(errno));
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_ERRNO(EEXIST, __rs_create_vcpu(vm, max - 1));
	ASSERT_LE(0, __rs_create_vcpu(vm, 0));
	EXPECT_ERRNO(EEXIST, __rs_create_vcpu(vm, 0));
	/* closing the fd does not free the id: the vCPU lives with the VM */
	close(fd);
	EXPECT_ERRNO(EEXIST, __rs_create_vcpu(vm, max - 1));
	rs_vm_free(vm);
}

TEST(reset_state)
{
	struct rs_vcpu *vcpu;
	struct rs_sregs s;
	struct rs_regs r;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	vcpu = rs_vcpu_create_bare(vm, 3);
	rs_vcpu_regs_get(vcpu, &r);
	rs_vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0xfff0, r.rip);
	EXPECT_EQ(0x2, r.rflags);
	EXPECT_EQ(0xf000, s.cs.selector);
	EXPECT_EQ(0xffff0000, s.cs.base);
	EXPECT_EQ(0xffff, s.cs.limit);
	EXPECT_EQ(0, s.cr0 & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_EQ(0, s.efer);
	EXPECT_EQ(0, s.cr4);
	EXPECT_EQ(0xffff, s.idt.limit);
	rs_vm_free(vm);
}

TEST(run_page)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	void *p;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	vcpu = rs_vcpu_create_bare(vm, 0);
	EXPECT_EQ(vm->run_size, sysconf(_SC_PAGESIZE));
	/* a second mapping shows the same page */
	p = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	vcpu->run->request_interrupt_window = 0x5a;
	EXPECT_EQ(0x5a, ((struct rs_run *)p)->request_interrupt_window);
	vcpu->run->request_interrupt_window = 0;
	munmap(p, vm->run_size);

	/* assumptions, see the top of the file */
	p = mmap(NULL, 2 * vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED) {
		munmap(p, 2 * vm->run_size);
	} else {
		EXPECT_EQ(EINVAL, errno);
	}
	p = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, vm->run_size);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED) {
		munmap(p, vm->run_size);
	} else {
		EXPECT_EQ(EINVAL, errno);
	}
	rs_vm_free(vm);
}

TEST(vcpu_fd_rejects_other_ioctls)
{
	static char buf[8192];
	static const struct { unsigned long cmd; const char *name; } cmds[] = {
		{ RS_GET_API_VERSION, "RS_GET_API_VERSION" },
		{ RS_CHECK_CAPABILITY, "RS_CHECK_CAPABILITY" },
		{ RS_CREATE_VM, "RS_CREATE_VM" },
		{ RS_SET_MEMORY_REGION, "RS_SET_MEMORY_REGION" },
		{ RS_CREATE_VCPU, "RS_CREATE_VCPU" },
		{ RS_IOEVENTFD, "RS_IOEVENTFD" },
		{ _IO(RS_IO, 0x2c), "_IO(RS_IO, 0x2c)" },
		{ _IOR(RS_IO, 0x21, __u64), "_IOR(RS_IO, 0x21, __u64)" },
		{ _IO(0xAE, 0x80), "KVM_RUN" },
	};
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_bare();
	vcpu = rs_vcpu_create_bare(vm, 0);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		long r;

		memset(buf, 0, sizeof(buf));
		r = ioctl(vcpu->fd, cmds[i].cmd, buf);
		EXPECT_EQ(-1, r) TH_LOG("%s on a vCPU fd returned %ld",
				       cmds[i].name, r);
		if (r >= 0 && cmds[i].cmd == RS_CREATE_VCPU)
			close(r);
		if (r == -1) {
			EXPECT_EQ(ENOTTY, errno)
				TH_LOG("%s on a vCPU fd: %s", cmds[i].name,
				       strerrorname_np(errno));
		}
	}
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
