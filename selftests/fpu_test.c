// SPDX-License-Identifier: GPL-2.0
/*
 * RS_GET_FPU/RS_SET_FPU: SSE registers and MXCSR the guest loads are in
 * RS_GET_FPU's XSAVE area (legacy region: MXCSR at 24, XMMn at 160 + 16n),
 * and those the host puts there with RS_SET_FPU are what the guest finds.
 * Nonzero flags or reserved, or an XSAVE header with features the guest
 * cannot have, are -EINVAL.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static uint8_t xmm_in[16][16] __attribute__((aligned(16)));
static uint8_t xmm_out[16][16] __attribute__((aligned(16)));

#define GUEST_MXCSR	0x1fa0		/* all masked, PE flag set */
#define HOST_MXCSR	0x9f80		/* all masked, flush to zero */

#define LOAD(n)	"movdqu " #n "*16(%1), %%xmm" #n "\n\t"
#define STORE(n) "movdqu %%xmm" #n ", " #n "*16(%2)\n\t"

static void guest_code(void)
{
	uint32_t mxcsr = GUEST_MXCSR;

	/* Load all sixteen and stop, with nothing in between. */
	asm volatile("ldmxcsr %0\n\t"
		     LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6)
		     LOAD(7) LOAD(8) LOAD(9) LOAD(10) LOAD(11) LOAD(12)
		     LOAD(13) LOAD(14) LOAD(15)
		     "hlt\n\t"
		     STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
		     STORE(6) STORE(7) STORE(8) STORE(9) STORE(10) STORE(11)
		     STORE(12) STORE(13) STORE(14) STORE(15)
		     "stmxcsr %0"
		     : "+m"(mxcsr) : "r"(xmm_in), "r"(xmm_out)
		     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
		       "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		       "xmm13", "xmm14", "xmm15");
	GUEST_SYNC_ARGS(1, mxcsr, 0, 0);
	GUEST_DONE();
}

TEST(sse_state_round_trip)
{
	struct rs_vcpu *vcpu;
	struct rs_fpu *fpu = calloc(1, sizeof(*fpu));
	struct rs_vm *vm;
	struct ucall uc;
	uint32_t mxcsr;
	int i, j;

	RS_REQUIRE_VM();
	ASSERT_NE(NULL, fpu);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			xmm_in[i][j] = i * 16 + j + 1;
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_sync_global_to_guest(vm, xmm_in);

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	rs_vcpu_fpu_get(vcpu, fpu);
	EXPECT_EQ(0, fpu->flags);
	memcpy(&mxcsr, fpu->xsave + XSAVE_MXCSR_OFFSET, 4);
	EXPECT_EQ(GUEST_MXCSR, mxcsr);
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(0, memcmp(fpu->xsave + XSAVE_XMM_OFFSET + 16 * i,
				    xmm_in[i], 16))
			TH_LOG("XMM%d in RS_GET_FPU differs from the guest's", i);
	}

	/* Now the host's values, and the guest stores them. */
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			fpu->xsave[XSAVE_XMM_OFFSET + 16 * i + j] = 0xf0 - i * 8 + j;
	mxcsr = HOST_MXCSR;
	memcpy(fpu->xsave + XSAVE_MXCSR_OFFSET, &mxcsr, 4);
	/* XSTATE_BV (header at 512): x87 and SSE state are in the area */
	fpu->xsave[512] |= 0x3;
	rs_vcpu_fpu_set(vcpu, fpu);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(HOST_MXCSR, uc.args[1]) TH_LOG("guest MXCSR");
	rs_sync_global_from_guest(vm, xmm_out);
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(0, memcmp(fpu->xsave + XSAVE_XMM_OFFSET + 16 * i,
				    xmm_out[i], 16))
			TH_LOG("XMM%d in the guest differs from RS_SET_FPU's", i);
	}
	rs_vcpu_expect_done(vcpu);
	free(fpu);
	rs_vm_free(vm);
}

TEST(flags_and_reserved_are_einval)
{
	struct rs_fpu *fpu = calloc(1, sizeof(*fpu));
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_fpu_get(vcpu, fpu);
	fpu->flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_FPU, fpu));
	fpu->flags = 0;
	fpu->reserved[14] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_FPU, fpu));
	fpu->reserved[14] = 0;
	fpu->xsave[512 + 7] |= 0x40;	/* XSTATE_BV bit 62: no such feature */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_FPU, fpu));
	fpu->xsave[512 + 7] &= ~0x40;
	EXPECT_EQ(0, ioctl(vcpu->fd, RS_SET_FPU, fpu)) TH_LOG("%s", strerror(errno));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_GET_FPU, (void *)8));
	free(fpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
