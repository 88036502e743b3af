// SPDX-License-Identifier: GPL-2.0
/*
 * ringside and KVM take turns with SVM/VMX: while one of them has a VM,
 * the other's VM creation fails with EBUSY (ringside says why in the
 * kernel log), and once the VM is gone the other can run guests again,
 * unharmed.  Needs kvm-amd or kvm-intel; skips where neither loads.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

/*
 * KVM's modules load once, before the harness starts any test's clock:
 * on the debug kernel (KASAN, lockdep) under TCG, loading them takes
 * longer than a test may, and a modprobe cut short by the timeout goes on
 * loading beside the next test.
 */
static void __attribute__((constructor)) kvm_load(void)
{
	if (access("/dev/kvm", F_OK) &&
	    system("modprobe kvm-amd 2>/dev/null || modprobe kvm-intel 2>/dev/null"))
		return;	/* the tests skip */
}

static int kvm_open(void)
{
	return open("/dev/kvm", O_RDWR);
}

/* Whether the kernel log, from fd's position on, has a line with text. */
static bool kmsg_has(int fd, const char *text)
{
	char rec[1024];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = 0;
		if (strstr(rec, text))
			return true;
	}
	return false;
}

static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* A guest of one HLT at 0x1000 in real mode, run once with KVM. */
static int kvm_run_hlt(struct __test_metadata *_metadata, int kvm, int vm)
{
	struct kvm_userspace_memory_region r = { .memory_size = 0x10000 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	uint8_t *mem;
	int vcpu, size, reason;

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	mem[0x1000] = 0xf4;
	r.userspace_addr = (unsigned long)mem;
	ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
	ASSERT_EQ(0, ioctl(vcpu, KVM_RUN, 0));
	reason = run->exit_reason;
	munmap(run, size);
	close(vcpu);
	munmap(mem, 0x10000);
	return reason;
}

TEST(ringside_busy_while_kvm_has_a_vm)
{
	int kvm, kvm_vm, dev, vm, kmsg;

	RS_REQUIRE_VM();
	kvm = kvm_open();
	if (kvm < 0)
		SKIP(return, "no /dev/kvm: neither kvm-amd nor kvm-intel loads");
	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, kvm_vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));

	RS_OPEN_DEV(dev);
	kmsg = kmsg_open_at_end();
	vm = ioctl(dev, RS_CREATE_VM, 0);
	EXPECT_EQ(-1, vm);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(kmsg_has(kmsg, "in use by another hypervisor"))
		TH_LOG("no kernel log line saying why RS_CREATE_VM failed");

	/* KVM was not harmed: its VM still runs a guest. */
	EXPECT_EQ(KVM_EXIT_HLT, kvm_run_hlt(_metadata, kvm, kvm_vm));
	close(kvm_vm);

	vm = ioctl(dev, RS_CREATE_VM, 0);
	EXPECT_LE(0, vm) TH_LOG("RS_CREATE_VM after KVM's VM closed: %s",
				strerror(errno));
	close(vm);
	close(kmsg);
	close(dev);
	close(kvm);
}

TEST(kvm_busy_while_ringside_has_a_vm)
{
	int kvm, kvm_vm, dev, vm;

	RS_REQUIRE_VM();
	kvm = kvm_open();
	if (kvm < 0)
		SKIP(return, "no /dev/kvm: neither kvm-amd nor kvm-intel loads");
	RS_OPEN_DEV(dev);
	vm = ioctl(dev, RS_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("RS_CREATE_VM: %s", strerror(errno));

	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	EXPECT_EQ(-1, kvm_vm);
	EXPECT_EQ(EBUSY, errno);
	if (kvm_vm >= 0)
		close(kvm_vm);
	close(vm);

	/* ringside turned SVM/VMX off with its last VM: KVM runs again. */
	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, kvm_vm) TH_LOG("KVM_CREATE_VM after ringside's VM: %s",
				    strerror(errno));
	EXPECT_EQ(KVM_EXIT_HLT, kvm_run_hlt(_metadata, kvm, kvm_vm));
	close(kvm_vm);
	close(dev);
	close(kvm);
}

TEST_HARNESS_MAIN
