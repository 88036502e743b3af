// SPDX-License-Identifier: GPL-2.0
/*
 * RS_CHECK_CAPABILITY answers what the module offers: the backend matching
 * the CPU (svm or vmx in /proc/cpuinfo), the documented sizes and limits, 0
 * for capabilities it does not know, and -EINVAL for an argument that does
 * not fit in 32 bits.
 */
#include <sys/ioctl.h>
#include <linux/ringside.h>

#include "kselftest_harness.h"
#include "rs_test.h"

static long cap(int fd, unsigned long c)
{
	return ioctl(fd, RS_CHECK_CAPABILITY, c);
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = -1;
	RS_OPEN_DEV(self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* SKIP() in a 6.1 FIXTURE_SETUP does not stop the test body: check again. */
#define SKIPPED() (_metadata->skip)

TEST_F(dev, backend_matches_cpu)
{
	long svm, vmx;

	if (SKIPPED())
		return;
	svm = cap(self->fd, RS_CAP_SVM);
	vmx = cap(self->fd, RS_CAP_VMX);
	EXPECT_EQ(1, svm + vmx) TH_LOG("RS_CAP_SVM %ld, RS_CAP_VMX %ld: exactly one must be 1",
				  svm, vmx);
	EXPECT_EQ(rs_cpu_has_flag("svm"), svm) TH_LOG("cpuinfo svm flag %d",
						    rs_cpu_has_flag("svm"));
	EXPECT_EQ(rs_cpu_has_flag("vmx"), vmx) TH_LOG("cpuinfo vmx flag %d",
						    rs_cpu_has_flag("vmx"));
}

TEST_F(dev, nested_paging)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(1, cap(self->fd, RS_CAP_NESTED_PAGING));
}

TEST_F(dev, nr_memslots)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(32, cap(self->fd, RS_CAP_NR_MEMSLOTS));
}

TEST_F(dev, max_vcpus)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(64, cap(self->fd, RS_CAP_MAX_VCPUS));
}

TEST_F(dev, run_size_is_page_size)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(sysconf(_SC_PAGESIZE), cap(self->fd, RS_CAP_RUN_SIZE));
	EXPECT_LE(sizeof(struct rs_run), (unsigned long)cap(self->fd, RS_CAP_RUN_SIZE));
}

TEST_F(dev, max_cpuid)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(256, cap(self->fd, RS_CAP_MAX_CPUID));
}

TEST_F(dev, xsave_size_is_rs_fpu)
{
	if (SKIPPED())
		return;
	EXPECT_EQ((long)sizeof(struct rs_fpu), cap(self->fd, RS_CAP_XSAVE_SIZE));
}

TEST_F(dev, readonly_mem)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(1, cap(self->fd, RS_CAP_READONLY_MEM));
}

/* Only the bits of the backend in use, and only documented ones. */
TEST_F(dev, hw_features_belong_to_backend)
{
	const long svm_bits = RS_HW_NRIPS | RS_HW_VMCB_CLEAN |
			      RS_HW_DECODE_ASSISTS | RS_HW_FLUSH_BY_ASID;
	const long vmx_bits = RS_HW_VPID | RS_HW_UNRESTRICTED |
			      RS_HW_TRUE_CTLS | RS_HW_MTF;
	long hw;

	if (SKIPPED())
		return;
	hw = cap(self->fd, RS_CAP_HW_FEATURES);
	ASSERT_LE(0, hw) TH_LOG("RS_CAP_HW_FEATURES: %s", strerror(errno));
	if (cap(self->fd, RS_CAP_SVM) == 1) {
		EXPECT_EQ(0, hw & ~svm_bits) TH_LOG("features %#lx on SVM", hw);
	} else {
		EXPECT_EQ(0, hw & ~vmx_bits) TH_LOG("features %#lx on VMX", hw);
	}
}

TEST_F(dev, ioeventfds_per_vm)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(256, cap(self->fd, RS_CAP_IOEVENTFD));
}

TEST_F(dev, lapic_in_kernel)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(1, cap(self->fd, RS_CAP_LAPIC));
}

TEST_F(dev, irqfds_per_vm)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(256, cap(self->fd, RS_CAP_IRQFD));
}

TEST_F(dev, exit_route)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(1, cap(self->fd, RS_CAP_EXIT_ROUTE));
}

/* The RS_GUEST_DEBUG_* flags RS_SET_GUEST_DEBUG takes: all, on both. */
TEST_F(dev, guest_debug)
{
	if (SKIPPED())
		return;
	EXPECT_EQ(RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_HW_BP |
		  RS_GUEST_DEBUG_BLOCK_IRQ, cap(self->fd, RS_CAP_GUEST_DEBUG));
}

TEST_F(dev, unknown_is_zero)
{
	static const unsigned long unknown[] = {
		0, RS_CAP_GUEST_DEBUG + 1, 100, 0x10000, 0x7fffffff,
		0x80000000UL, 0xffffffffUL,
	};
	unsigned int i;

	if (SKIPPED())
		return;
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		EXPECT_EQ(0, cap(self->fd, unknown[i]))
			TH_LOG("capability %#lx: %s", unknown[i],
			       strerror(errno));
	}
}

TEST_F(dev, above_u32_is_einval)
{
	static const unsigned long bad[] = {
		0x100000000UL, 0x100000000UL | RS_CAP_SVM,
		0x100000000UL | RS_CAP_VMX, ~0UL, 1UL << 63,
	};
	unsigned int i;

	if (SKIPPED())
		return;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_ERRNO(EINVAL, cap(self->fd, bad[i]));
		if (!_metadata->passed)
			TH_LOG("capability %#lx", bad[i]);
	}
}

/* The answers are facts about the module: a second open sees the same. */
TEST_F(dev, stable_across_opens)
{
	unsigned long c;
	int fd2;

	if (SKIPPED())
		return;
	RS_OPEN_DEV(fd2);
	for (c = 0; c <= RS_CAP_GUEST_DEBUG + 1; c++) {
		EXPECT_EQ(cap(self->fd, c), cap(fd2, c))
			TH_LOG("capability %lu differs", c);
	}
	close(fd2);
}

TEST_HARNESS_MAIN
