// SPDX-License-Identifier: GPL-2.0
/*
 * RS_SET_GUEST_DEBUG (Documentation/guest-debug.rst): a debugger's single
 * step and hardware breakpoints, which the guest must not see.
 *
 * - The step stops after each instruction, whether it ran in the guest,
 *   in the kernel (CPUID) or through user space (OUT); an exception the
 *   instruction raises stops at its handler's first instruction, as the
 *   monitor trap flag does on VMX; PUSHF and an interrupt's frame show
 *   the guest's TF, not the debugger's.
 * - BLOCK_IRQ keeps an injected interrupt out while stepping; without it
 *   the step stops at the interrupt's handler.
 * - An instruction breakpoint stops before the instruction, with RF so
 *   that the next RS_RUN goes on; a watchpoint after the write.  The
 *   guest's own DR0-3, DR6 and DR7 read as it left them meanwhile, and
 *   come back when the debugger lets go.
 * - The ioctl refuses what the hardware would not take.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define DR6_FIXED	0xffff0ff0ULL
#define DR6_B0		(1ULL << 0)
#define DR6_B1		(1ULL << 1)
#define DR6_BS		(1ULL << 14)
#define DR7_L0		(1ULL << 0)
#define DR7_L1		(1ULL << 2)
#define DR7_G0		(1ULL << 1)
#define DR7_GD		(1ULL << 13)
#define DR7_RW(i, rw)	((uint64_t)(rw) << (16 + 4 * (i)))
#define DR7_LEN(i, l)	((uint64_t)(l) << (18 + 4 * (i)))
#define X86_EFLAGS_TF	(1ULL << 8)
#define X86_EFLAGS_IF	(1ULL << 9)
#define X86_EFLAGS_RF	(1ULL << 16)

#define IRQ_VECTOR	0x40

extern char rs_idt_stubs[];

static int set_debug(struct rs_vcpu *vcpu, uint32_t flags, const uint64_t *dr,
		     uint64_t dr7)
{
	struct rs_guest_debug dbg = { .flags = flags, .dr7 = dr7 };

	if (dr)
		memcpy(dbg.dr, dr, sizeof(dbg.dr));
	return ioctl(vcpu->fd, RS_SET_GUEST_DEBUG, &dbg) ? -errno : 0;
}

/* One RS_RUN that must stop for the debugger at @pc with DR6 @bits. */
static void expect_debug(struct __test_metadata *_metadata,
			 struct rs_vcpu *vcpu, uint64_t pc, uint64_t bits)
{
	char buf[256];

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_DEBUG, vcpu->run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(pc, vcpu->run->debug.pc)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(DR6_FIXED | bits, vcpu->run->debug.dr6);
	EXPECT_EQ(1, vcpu->run->debug.exception);
}

static uint64_t rip_of(struct rs_vcpu *vcpu)
{
	struct rs_regs regs;

	rs_vcpu_regs_get(vcpu, &regs);
	return regs.rip;
}

/*
 * Instructions to step through, one label after each: one that runs in
 * the guest, CPUID (the kernel's), OUT (user space's), PUSHF, and UD2,
 * whose #UD goes to the guest's handler.
 */
extern char step_code[], step_1[], step_2[], step_3[], step_4[], step_5[],
	    step_6[], step_7[];
asm(".pushsection .text\n"
    "step_code:\n\t"
    "nop\n"
    "step_1:\n\t"
    "xorl %eax, %eax\n"
    "step_2:\n\t"
    "xorl %ecx, %ecx\n"
    "step_3:\n\t"
    "cpuid\n"
    "step_4:\n\t"
    "outb %al, $0x80\n"
    "step_5:\n\t"
    "pushfq\n"
    "step_6:\n\t"
    "popq %rbx\n"
    "step_7:\n\t"
    "ud2\n"
    ".popsection");

TEST(single_step)
{
	const uint64_t after[] = {
		(uint64_t)step_1, (uint64_t)step_2, (uint64_t)step_3,
		(uint64_t)step_4,
	};
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, (void (*)(void))step_code);
	ASSERT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_SINGLESTEP, NULL, 0));

	for (i = 0; i < 4; i++)
		expect_debug(_metadata, vcpu, after[i], DR6_BS);
	EXPECT_EQ((uint64_t)step_4, rip_of(vcpu)) TH_LOG("CPUID, once");

	/* OUT completes through user space; the step ends before an entry. */
	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
	EXPECT_EQ(0x80, vcpu->run->io.port);
	expect_debug(_metadata, vcpu, (uint64_t)step_5, DR6_BS);
	EXPECT_EQ((uint64_t)step_5, rip_of(vcpu));

	expect_debug(_metadata, vcpu, (uint64_t)step_6, DR6_BS);
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, regs.rflags & X86_EFLAGS_TF) TH_LOG("RS_GET_REGS: no TF");
	expect_debug(_metadata, vcpu, (uint64_t)step_7, DR6_BS);
	rs_vcpu_regs_get(vcpu, &regs);
	/* Only VMX's monitor trap flag and SVM's PUSHF intercept hide it. */
	if (vm->svm || (rs_check_cap(RS_CAP_HW_FEATURES) & RS_HW_MTF)) {
		EXPECT_EQ(0, regs.rbx & X86_EFLAGS_TF)
			TH_LOG("PUSHF pushed the debugger's TF");
	} else {
		TH_LOG("no monitor trap flag: PUSHF sees the debugger's TF");
	}

	/* #UD is delivered, and the step stops at its handler. */
	expect_debug(_metadata, vcpu, (uint64_t)rs_idt_stubs + 16 * UD_VECTOR,
		     DR6_BS);
	rs_vm_free(vm);
}

/*
 * An interrupt while stepping: BLOCK_IRQ keeps it out; without it the
 * step stops at its handler, whose frame has the guest's RFLAGS.
 */
extern char irq_code[], irq_1[], irq_2[], irq_3[];
static volatile uint64_t frame_rip, frame_rflags, irqs;
static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	frame_rip = regs->rip;
	frame_rflags = regs->rflags;
}

void irq_report(void)
{
	GUEST_SYNC_ARGS(1, irqs, frame_rip, frame_rflags);
	GUEST_DONE();
}

asm(".pushsection .text\n"
    "irq_code:\n\t"
    "nop\n"
    "irq_1:\n\t"
    "nop\n"
    "irq_2:\n\t"
    "nop\n"
    "irq_3:\n\t"
    "nop\n\t"
    "call irq_report\n"
    ".popsection");

TEST(interrupts_while_stepping)
{
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, (void (*)(void))irq_code);
	rs_vm_install_handler(vm, IRQ_VECTOR, irq_handler);
	/* IF from user space: QEMU's TCG steps no STI alone. */
	rs_vcpu_regs_get(vcpu, &regs);
	regs.rflags |= X86_EFLAGS_IF;
	rs_vcpu_regs_set(vcpu, &regs);
	ASSERT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_SINGLESTEP |
			       RS_GUEST_DEBUG_BLOCK_IRQ, NULL, 0));
	expect_debug(_metadata, vcpu, (uint64_t)irq_1, DR6_BS);
	rs_vcpu_inject(vcpu, RS_EVENT_EXTINT, IRQ_VECTOR, false, 0);
	expect_debug(_metadata, vcpu, (uint64_t)irq_2, DR6_BS);
	expect_debug(_metadata, vcpu, (uint64_t)irq_3, DR6_BS);

	ASSERT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_SINGLESTEP, NULL, 0));
	expect_debug(_metadata, vcpu,
		     (uint64_t)rs_idt_stubs + 16 * IRQ_VECTOR, DR6_BS);

	ASSERT_EQ(0, set_debug(vcpu, 0, NULL, 0));
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("one interrupt");
	EXPECT_EQ((uint64_t)irq_3, uc.args[2]) TH_LOG("taken before irq_3");
	EXPECT_EQ(0, uc.args[3] & X86_EFLAGS_TF) TH_LOG("the frame has the debugger's TF");
	EXPECT_NE(0, uc.args[3] & X86_EFLAGS_IF);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * The debugger's breakpoints: DR0 on bp_insn, DR1 watching a write of
 * watched.  The guest's own debug registers meanwhile.
 */
extern char bp_insn[], after_write[];
static volatile uint64_t watched;

static inline uint64_t get_dr(int n)
{
	uint64_t v = 0;

	switch (n) {
	case 0:
		asm volatile("mov %%dr0, %0" : "=r"(v));
		break;
	case 6:
		asm volatile("mov %%dr6, %0" : "=r"(v));
		break;
	case 7:
		asm volatile("mov %%dr7, %0" : "=r"(v));
		break;
	}
	return v;
}

static void bp_guest(void)
{
	GUEST_SYNC_ARGS(1, get_dr(0), get_dr(7), 0);
	/* The guest's own breakpoint, somewhere it never runs. */
	asm volatile("mov %0, %%dr0" : : "r"(0x5000ULL));
	asm volatile("mov %0, %%dr7" : : "r"(0x400ULL | DR7_G0));
	GUEST_SYNC_ARGS(2, get_dr(0), get_dr(7), 0);
	asm volatile("bp_insn: nop");
	asm volatile("movq %1, %0\n\t"
		     "after_write:"
		     : "=m"(watched) : "r"(42ULL));
	GUEST_SYNC_ARGS(3, get_dr(6), watched, 0);
	GUEST_SYNC_ARGS(4, get_dr(0), get_dr(7), 0);
	GUEST_DONE();
}

TEST(hw_breakpoints)
{
	uint64_t dr[4] = { 0 };
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, bp_guest);
	dr[0] = (uint64_t)bp_insn;
	dr[1] = (uint64_t)&watched;
	ASSERT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
			       DR7_L0 | DR7_L1 | DR7_RW(1, 1) | DR7_LEN(1, 2)));

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("the guest's DR0");
	EXPECT_EQ(0x400, uc.args[2]) TH_LOG("the guest's DR7");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(0x5000, uc.args[1]) TH_LOG("the guest's DR0, as it wrote it");
	EXPECT_EQ(0x400 | DR7_G0, uc.args[2]) TH_LOG("the guest's DR7");

	/* An instruction breakpoint: before it, and RF lets it run next. */
	expect_debug(_metadata, vcpu, (uint64_t)bp_insn, DR6_B0);
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ((uint64_t)bp_insn, regs.rip);
	EXPECT_NE(0, regs.rflags & X86_EFLAGS_RF);
	/* A watchpoint: after the write. */
	expect_debug(_metadata, vcpu, (uint64_t)after_write, DR6_B1);
	EXPECT_EQ(42, *(uint64_t *)rs_gpa2hva(vm, (uint64_t)&watched));

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(DR6_FIXED, uc.args[1]) TH_LOG("the debugger's hits are not the guest's");
	EXPECT_EQ(42, uc.args[2]);

	/* Let go: the guest's own come back. */
	ASSERT_EQ(0, set_debug(vcpu, 0, NULL, 0));
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(4, uc.args[0]);
	EXPECT_EQ(0x5000, uc.args[1]);
	EXPECT_EQ(0x400 | DR7_G0, uc.args[2]);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/* Steps onto an instruction breakpoint, and a run into it. */
TEST(step_onto_breakpoint)
{
	uint64_t dr[4] = { (uint64_t)step_2 };
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, (void (*)(void))step_code);
	ASSERT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_SINGLESTEP |
			       RS_GUEST_DEBUG_HW_BP, dr, DR7_L0));
	expect_debug(_metadata, vcpu, (uint64_t)step_1, DR6_BS);
	/* The step ends at the breakpoint, which it reports... */
	expect_debug(_metadata, vcpu, (uint64_t)step_2, DR6_BS | DR6_B0);
	/* ...and which does not stop the next step again. */
	expect_debug(_metadata, vcpu, (uint64_t)step_3, DR6_BS);
	/* Without a step, the breakpoint stops before the instruction. */
	ASSERT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr, DR7_L0));
	rs_vcpu_regs_get(vcpu, &regs);
	regs.rip = (uint64_t)step_code;
	rs_vcpu_regs_set(vcpu, &regs);
	expect_debug(_metadata, vcpu, (uint64_t)step_2, DR6_B0);
	rs_vm_free(vm);
}

TEST(ioctl_checks)
{
	struct rs_guest_debug dbg = { 0 };
	uint64_t dr[4] = { 0 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, (void (*)(void))step_code);
	EXPECT_EQ(RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_HW_BP |
		  RS_GUEST_DEBUG_BLOCK_IRQ,
		  ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, RS_CAP_GUEST_DEBUG));

	EXPECT_EQ(-EINVAL, set_debug(vcpu, 1U << 3, NULL, 0));
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_SINGLESTEP, NULL,
				     DR7_L0)) TH_LOG("DR7 without HW_BP");
	dr[2] = 0x1000;
	EXPECT_EQ(-EINVAL, set_debug(vcpu, 0, dr, 0)) TH_LOG("DR2 without HW_BP");
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
				     DR7_L0 | DR7_GD)) TH_LOG("GD");
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
				     DR7_L0 | (1ULL << 32))) TH_LOG("bit 32");
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
				     0x400)) TH_LOG("bit 10 is the kernel's");
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
				     DR7_L0 | DR7_RW(0, 2))) TH_LOG("an I/O breakpoint");
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
				     DR7_L0 | DR7_LEN(0, 1)))
		TH_LOG("an instruction breakpoint of 2 bytes");
	dr[3] = 0x0000800000000000ULL;
	EXPECT_EQ(-EINVAL, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr, DR7_L0))
		TH_LOG("non-canonical");
	dr[3] = 0;
	/* Disabled breakpoints' R/W and LEN are not looked at. */
	EXPECT_EQ(0, set_debug(vcpu, RS_GUEST_DEBUG_HW_BP, dr,
			       DR7_L0 | DR7_RW(3, 2)));
	dbg.flags = RS_GUEST_DEBUG_SINGLESTEP;
	dbg.pad = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, RS_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	dbg.pad = 0;
	dbg.reserved[7] = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, RS_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, RS_SET_GUEST_DEBUG, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, RS_SET_GUEST_DEBUG, &dbg))
		TH_LOG("a vCPU's, not a VM's");
	EXPECT_EQ(0, set_debug(vcpu, 0, NULL, 0));
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
