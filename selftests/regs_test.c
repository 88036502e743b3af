// SPDX-License-Identifier: GPL-2.0
/*
 * RS_SET_REGS/RS_GET_REGS: every general register, RIP and RFLAGS set by
 * the host is what the guest starts with, and what the guest leaves in
 * them at an exit is what RS_GET_REGS returns.  Nonzero flags or reserved,
 * reserved RFLAGS bits set or bit 1 clear are -EINVAL.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

/* The order of struct rs_regs: rax rbx rcx rdx rsi rdi rsp rbp r8-r15. */
uint64_t dumped[18] __attribute__((used));
void guest_dump_regs(void);
void guest_load_regs(void);
void guest_after_dump(void);

/* Entered with the host's registers: store them all, then report. */
asm(".pushsection .text\n"
    "guest_dump_regs:\n\t"
    "movq %rax, dumped + 0\n\t"
    "movq %rbx, dumped + 8\n\t"
    "movq %rcx, dumped + 16\n\t"
    "movq %rdx, dumped + 24\n\t"
    "movq %rsi, dumped + 32\n\t"
    "movq %rdi, dumped + 40\n\t"
    "movq %rsp, dumped + 48\n\t"
    "movq %rbp, dumped + 56\n\t"
    "movq %r8, dumped + 64\n\t"
    "movq %r9, dumped + 72\n\t"
    "movq %r10, dumped + 80\n\t"
    "movq %r11, dumped + 88\n\t"
    "movq %r12, dumped + 96\n\t"
    "movq %r13, dumped + 104\n\t"
    "movq %r14, dumped + 112\n\t"
    "movq %r15, dumped + 120\n\t"
    "pushfq\n\t"
    "popq dumped + 136\n\t"
    "call guest_after_dump\n\t"
    /* Load known values everywhere but RSP and stop with HLT. */
    "guest_load_regs:\n\t"
    "movabsq $0x1111111111111111, %rax\n\t"
    "movabsq $0x2222222222222222, %rbx\n\t"
    "movabsq $0x3333333333333333, %rcx\n\t"
    "movabsq $0x4444444444444444, %rdx\n\t"
    "movabsq $0x5555555555555555, %rsi\n\t"
    "movabsq $0x6666666666666666, %rdi\n\t"
    "movabsq $0x7777777777777777, %rbp\n\t"
    "movabsq $0x8888888888888888, %r8\n\t"
    "movabsq $0x9999999999999999, %r9\n\t"
    "movabsq $0xaaaaaaaaaaaaaaaa, %r10\n\t"
    "movabsq $0xbbbbbbbbbbbbbbbb, %r11\n\t"
    "movabsq $0xcccccccccccccccc, %r12\n\t"
    "movabsq $0xdddddddddddddddd, %r13\n\t"
    "movabsq $0xeeeeeeeeeeeeeeee, %r14\n\t"
    "movabsq $0xffffffffffffffff, %r15\n\t"
    "stc\n\t"
    "hlt\n\t"
    "1: jmp 1b\n"
    ".popsection");

void guest_after_dump(void)
{
	GUEST_SYNC(1);
}

TEST(host_to_guest_and_back)
{
	struct rs_regs set, got;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	__u64 *r;
	int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_dump_regs);
	rs_vcpu_regs_get(vcpu, &set);
	r = &set.rax;
	for (i = 0; i < 16; i++)
		if (i != 6)	/* RSP stays on the guest's stack */
			r[i] = 0x0101010101010101ULL * (i + 1) ^ 0x8000000000000000ULL;
	/* CF, ZF, SF, OF and the fixed bit; IF stays clear */
	set.rflags = 0x8c3;
	rs_vcpu_regs_set(vcpu, &set);

	rs_vcpu_regs_get(vcpu, &got);
	EXPECT_EQ(0, memcmp(&set, &got, offsetof(struct rs_regs, flags)))
		TH_LOG("RS_GET_REGS differs from RS_SET_REGS before running");

	rs_vcpu_expect_sync(vcpu, 1);
	rs_sync_global_from_guest(vm, dumped);
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(r[i], dumped[i]) TH_LOG("register %d in the guest", i);
	}
	EXPECT_EQ(set.rflags, dumped[17] & 0xfff) TH_LOG("guest RFLAGS");

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_HLT);
	rs_vcpu_regs_get(vcpu, &got);
	r = &got.rax;
	for (i = 0; i < 16; i++) {
		if (i == 6)
			continue;
		EXPECT_EQ(0x1111111111111111ULL * ((i < 6 ? i : i - 1) + 1) &
			  0xffffffffffffffffULL, r[i])
			TH_LOG("register %d after the guest loaded it", i);
	}
	EXPECT_EQ(1, got.rflags & 1) TH_LOG("CF after STC");
	EXPECT_EQ(0, got.flags);
	rs_vm_free(vm);
}

TEST(flags_and_reserved_are_einval)
{
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_dump_regs);
	rs_vcpu_regs_get(vcpu, &regs);
	regs.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_REGS, &regs));
	regs.flags = 0;
	regs.reserved[2] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_REGS, &regs));
	regs.reserved[2] = 0;
	regs.rflags = 0;			/* bit 1 clear */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_REGS, &regs));
	regs.rflags = 0x2 | (1 << 3);		/* reserved bit 3 */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_REGS, &regs));
	regs.rflags = 0x2 | (1ULL << 40);	/* reserved high bit */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_REGS, &regs));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_SET_REGS, (void *)8));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_GET_REGS, (void *)8));
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
