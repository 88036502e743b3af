// SPDX-License-Identifier: GPL-2.0
/*
 * #DB and #AC exit to ringside, which reflects them into the guest: a
 * guest whose #DB delivery raises #DB again (CVE-2015-8104) or whose #AC
 * delivery raises #AC (CVE-2015-5307) would otherwise keep a host CPU in
 * microcode with interrupts shut out.  Each test checks what the guest
 * sees (the vector, the error code, DR6, where RIP is) and that the exit
 * was counted; the loop test checks that RS_RUN returns on a signal while
 * the guest loops in #DB delivery.
 *
 * The exits are counted under "DB" and "AC" on SVM and "EXCEPTION_NMI" on
 * VMX, which has one exit reason for all exceptions.
 */
#include <pthread.h>
#include <signal.h>

#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define DR6_BS		(1ULL << 14)
#define DR7_L0		(1ULL << 0)
#define DR7_RW0_WRITE	(1ULL << 16)
#define DR7_LEN0_8	(2ULL << 18)
#define X86_EFLAGS_TF	(1ULL << 8)
#define X86_EFLAGS_RF	(1ULL << 16)
#define X86_EFLAGS_AC	(1ULL << 18)
#define X86_EFLAGS_IOPL	(3ULL << 12)
#define X86_CR0_AM	(1ULL << 18)

#define SEL_USER_CODE	(5 * 8 + 3)
#define SEL_USER_DATA	(6 * 8 + 3)

static volatile uint64_t seen_vector, seen_error, seen_rip, seen_cs;
static volatile uint64_t seen_dr6, hits;

static inline uint64_t get_dr6(void)
{
	uint64_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline void set_dr6(uint64_t v)
{
	asm volatile("mov %0, %%dr6" : : "r"(v));
}

static inline void set_dr7(uint64_t v)
{
	asm volatile("mov %0, %%dr7" : : "r"(v));
}

static inline void set_dr0(uint64_t v)
{
	asm volatile("mov %0, %%dr0" : : "r"(v));
}

static void record(struct rs_ex_regs *regs)
{
	hits++;
	seen_vector = regs->vector;
	seen_error = regs->error_code;
	seen_rip = regs->rip;
	seen_cs = regs->cs;
}

/* #DB: record DR6, clear it as a handler must, go on past a fault. */
static void db_handler(struct rs_ex_regs *regs)
{
	record(regs);
	seen_dr6 = get_dr6();
	set_dr6(0xffff0ff0);
	regs->rflags |= X86_EFLAGS_RF;
	regs->rflags &= ~X86_EFLAGS_TF;
}

/* #AC: the access runs again without EFLAGS.AC. */
static void ac_handler(struct rs_ex_regs *regs)
{
	record(regs);
	regs->rflags &= ~X86_EFLAGS_AC;
}

static uint64_t exception_exits(struct __test_metadata *_metadata,
				struct rs_nl *nl, struct rs_vm *vm,
				const char *svm_name)
{
	struct rs_nl_vm s;

	ASSERT_EQ(0, rs_nl_get(nl, RS_NL_CMD_GET_STATS, rs_vm_id(vm), 0, &s));
	ASSERT_TRUE(s.has_stats);
	ASSERT_TRUE(s.enabled) TH_LOG("counting is off (ringside.stats)");
	return rs_nl_count(&s, vm->svm ? svm_name : "EXCEPTION_NMI");
}

/* An instruction breakpoint on the guest's own code, then TF, then INT1. */
extern char bp_target[], after_step[], after_icebp[];

static void db_guest(void)
{
	set_dr0((uint64_t)bp_target);
	set_dr7(0x400 | DR7_L0);		/* execute, 1 byte */
	asm volatile("bp_target: nop");
	set_dr7(0x400);
	GUEST_SYNC_ARGS(1, seen_vector, seen_rip, seen_dr6);

	asm volatile("pushfq\n\t"
		     "orq %0, (%%rsp)\n\t"
		     "popfq\n\t"
		     "nop\n\t"
		     "after_step:"
		     : : "i"(X86_EFLAGS_TF) : "memory");
	GUEST_SYNC_ARGS(2, seen_vector, seen_rip, seen_dr6);

	/* QEMU 7.2's TCG raises #UD for INT1 (it is built without WANT_ICEBP). */
	if (!rs_guest_is_svm)
		asm volatile(".byte 0xf1\n\t"		/* INT1, ICEBP */
			     "after_icebp:");
	GUEST_SYNC_ARGS(3, seen_vector, seen_rip, hits);
	GUEST_DONE();
}

TEST(db_reaches_guest)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	struct rs_nl nl;
	uint64_t before;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, db_guest);
	rs_vm_install_handler(vm, DB_VECTOR, db_handler);
	before = exception_exits(_metadata, &nl, vm, "DB");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	EXPECT_EQ((uint64_t)bp_target, uc.args[2]) TH_LOG("a fault, on the instruction");
	EXPECT_EQ(0xffff0ff1, uc.args[3]) TH_LOG("DR6: B0");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	EXPECT_EQ((uint64_t)after_step, uc.args[2]) TH_LOG("a trap, after the NOP");
	EXPECT_EQ(0xffff0ff0 | DR6_BS, uc.args[3]) TH_LOG("DR6: BS");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	if (!vm->svm) {
		EXPECT_EQ((uint64_t)after_icebp, uc.args[2]) TH_LOG("a trap, after INT1");
	}
	EXPECT_EQ(vm->svm ? 2 : 3, uc.args[3]) TH_LOG("#DBs the guest took");
	EXPECT_LE(before + uc.args[3], exception_exits(_metadata, &nl, vm, "DB"))
		TH_LOG("each #DB is an exit");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

/*
 * A single step over an instruction that exits: ringside runs it (CPUID in
 * the kernel, an MMIO write or an OUT through user space) and must then
 * raise the trap that the CPU would have raised after it (SDM vol. 3A,
 * 18.3.1.4).
 * A single step over STI traps inside the STI shadow, where VMX insists
 * that the #DB be pending (26.3.1.5) when ringside sends it back in.
 * QEMU 7.2's TCG raises no single step after STI (do_gen_eob_worker()
 * leaves it out when it sets the shadow): that stage is VMX's alone.
 *
 * Bochs saves a single step as pending when an instruction with TF set
 * exits before it ran (it schedules the step as the instruction begins),
 * and the next entry delivers it there: a page of RAM that ringside maps
 * on first touch then gives the guest a #DB too many.  So the guests here
 * touch what their stepped instructions reach (the page table of the MMIO
 * address, the GDT) before they set TF.
 */
extern char after_cpuid[], after_mmio[], after_out[], after_sti[];

static void step_guest(void)
{
	uint32_t a = 0, b, c = 0, d;

	asm volatile("pushfq\n\t"
		     "orq %4, (%%rsp)\n\t"
		     "popfq\n\t"
		     "cpuid\n\t"
		     "after_cpuid:"
		     : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : "i"(X86_EFLAGS_TF) : "memory");
	GUEST_SYNC_ARGS(1, seen_vector, seen_rip, seen_dr6);
	(void)*(volatile uint64_t *)rs_guest_pde(RS_MMIO_GPA);
	asm volatile("pushfq\n\t"
		     "orq %1, (%%rsp)\n\t"
		     "popfq\n\t"
		     "movl $1, (%0)\n\t"
		     "after_mmio:"
		     : : "r"(RS_MMIO_GPA), "i"(X86_EFLAGS_TF) : "memory");
	GUEST_SYNC_ARGS(2, seen_vector, seen_rip, seen_dr6);
	asm volatile("pushfq\n\t"
		     "orq %1, (%%rsp)\n\t"
		     "popfq\n\t"
		     "outb %%al, $0x80\n\t"
		     "after_out:"
		     : : "a"(0), "i"(X86_EFLAGS_TF) : "memory");
	GUEST_SYNC_ARGS(3, seen_vector, seen_rip, seen_dr6);
	if (!rs_guest_is_svm)
		asm volatile("pushfq\n\t"
			     "orq %0, (%%rsp)\n\t"
			     "popfq\n\t"
			     "sti\n\t"
			     "after_sti:\n\t"
			     "cli"
			     : : "i"(X86_EFLAGS_TF) : "memory");
	GUEST_SYNC_ARGS(4, seen_vector, seen_rip, hits);
	GUEST_DONE();
}

TEST(single_step_traps_after_exiting_instructions)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, step_guest);
	rs_vm_install_handler(vm, DB_VECTOR, db_handler);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	EXPECT_EQ((uint64_t)after_cpuid, uc.args[2]) TH_LOG("the trap comes right after CPUID");
	EXPECT_EQ(0xffff0ff0 | DR6_BS, uc.args[3]) TH_LOG("DR6: BS");

	ASSERT_EQ(UCALL_NONE, rs_vcpu_run_mmio(vcpu, &uc));
	EXPECT_TRUE(vcpu->run->mmio.is_write);
	EXPECT_EQ(RS_MMIO_GPA, vcpu->run->mmio.phys_addr);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc))
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	EXPECT_EQ((uint64_t)after_mmio, uc.args[2]) TH_LOG("the trap comes right after the MMIO write");
	EXPECT_EQ(0xffff0ff0 | DR6_BS, uc.args[3]) TH_LOG("DR6: BS");

	rs_vcpu_run_expect_exit(vcpu, RS_EXIT_IO);
	EXPECT_EQ(0x80, vcpu->run->io.port);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc))
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	EXPECT_EQ((uint64_t)after_out, uc.args[2]) TH_LOG("the trap comes right after OUT");
	EXPECT_EQ(0xffff0ff0 | DR6_BS, uc.args[3]) TH_LOG("DR6: BS");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc))
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(4, uc.args[0]);
	EXPECT_EQ(DB_VECTOR, uc.args[1]);
	if (!vm->svm) {
		EXPECT_EQ((uint64_t)after_sti, uc.args[2]) TH_LOG("the trap comes in the STI shadow");
	}
	EXPECT_EQ(vm->svm ? 3 : 4, uc.args[3]) TH_LOG("one #DB per step");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * An exit that leaves RIP on its instruction (here an MMIO load that
 * ringside does not emulate, an x87 FLD) inside a MOV SS shadow, then user
 * space sets new registers with TF flipped.  VMX fails the entry unless
 * the pending single step (DR6.BS of the pending debug exceptions) follows
 * TF there (26.3.1.5): with TF now clear, nothing is pending; with TF now
 * set, the step traps after the first instruction.
 */
extern char shadow_resume[], after_resume[];

static volatile uint64_t shadow_tf;

static void shadow_guest(void)
{
	asm volatile("mov %%ss, %%ax\n\t"
		     "mov %%ax, %%ss\n\t"	/* the GDT, before TF */
		     "pushfq\n\t"
		     "orq %1, (%%rsp)\n\t"
		     "popfq\n\t"
		     "mov %%ax, %%ss\n\t"	/* its step waits for the FLD */
		     "fldl (%0)\n\t"
		     "fstp %%st(0)\n\t"
		     "shadow_resume:\n\t"
		     "nop\n\t"
		     "after_resume:"
		     : : "r"(RS_MMIO_GPA), "r"(shadow_tf) : "rax", "memory");
	GUEST_SYNC_ARGS(1, hits, seen_rip, seen_dr6);
	GUEST_DONE();
}

static void run_into_shadow(struct __test_metadata *_metadata,
			    struct rs_vcpu *vcpu, uint64_t tf)
{
	struct rs_regs regs;
	char buf[256];
	struct ucall uc;

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_INTERNAL_ERROR, vcpu->run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	rs_vcpu_regs_get(vcpu, &regs);
	regs.rip = (uint64_t)shadow_resume;
	regs.rflags = (regs.rflags & ~X86_EFLAGS_TF) | tf;
	rs_vcpu_regs_set(vcpu, &regs);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc))
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(1, uc.args[0]);
	if (!tf) {
		EXPECT_EQ(0, uc.args[1]) TH_LOG("no #DB without TF");
		return;
	}
	EXPECT_EQ(1, uc.args[1]) TH_LOG("one #DB");
	EXPECT_EQ((uint64_t)after_resume, uc.args[2]) TH_LOG("after the first instruction");
	EXPECT_EQ(0xffff0ff0 | DR6_BS, uc.args[3]) TH_LOG("DR6: BS");
}

TEST(tf_flipped_by_user_space_in_mov_ss_shadow)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint64_t tf = X86_EFLAGS_TF;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, shadow_guest);
	rs_vm_install_handler(vm, DB_VECTOR, db_handler);
	run_into_shadow(_metadata, vcpu, X86_EFLAGS_TF);	/* TF 0 -> 1 */
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);

	vm = rs_vm_create_with_one_vcpu(&vcpu, shadow_guest);
	rs_vm_install_handler(vm, DB_VECTOR, db_handler);
	memcpy(rs_gpa2hva(vm, (uint64_t)&shadow_tf), &tf, sizeof(tf));
	run_into_shadow(_metadata, vcpu, 0);			/* TF 1 -> 0 */
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/* Ring 3 (rs_vcpu_add_ring3()), IOPL 3 so that GUEST_SYNC's OUT works there. */
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t buf[2];

static void user_code(void)
{
	uint64_t v;

	/* A misaligned 8-byte load with CR0.AM and EFLAGS.AC: #AC(0). */
	asm volatile("mov (%1), %0" : "=r"(v) : "r"((char *)buf + 1) : "memory");
	GUEST_SYNC_ARGS(1, seen_vector, seen_error, seen_cs);
	GUEST_DONE();
}

static void ac_guest(void)
{
	uint64_t cr0;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %0, %%cr0" : : "r"(cr0 | X86_CR0_AM));
	asm volatile("pushq %0\n\t"		/* SS */
		     "pushq %1\n\t"		/* RSP */
		     "pushq %2\n\t"		/* RFLAGS */
		     "pushq %3\n\t"		/* CS */
		     "pushq %4\n\t"		/* RIP */
		     "iretq"
		     : : "i"(SEL_USER_DATA), "r"(user_stack + sizeof(user_stack) - 8),
		       "r"(0x2 | X86_EFLAGS_AC | X86_EFLAGS_IOPL),
		       "i"(SEL_USER_CODE), "r"(user_code)
		     : "memory");
}

TEST(ac_reaches_guest)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	struct rs_nl nl;
	uint64_t before;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, ac_guest);
	rs_vcpu_add_ring3(vm, vcpu);
	rs_vm_install_handler(vm, AC_VECTOR, ac_handler);
	before = exception_exits(_metadata, &nl, vm, "AC");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	/*
	 * QEMU's TCG checks no alignment: with neither an #AC in the guest
	 * nor an exit, the CPU has no #AC to show.
	 */
	if (!uc.args[1] && exception_exits(_metadata, &nl, vm, "AC") == before) {
		rs_vm_free(vm);
		rs_nl_close(&nl);
		SKIP(return, "this CPU raises no #AC for a misaligned access");
	}
	EXPECT_EQ(AC_VECTOR, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]) TH_LOG("#AC's error code");
	EXPECT_EQ(SEL_USER_CODE, uc.args[3]) TH_LOG("raised in ring 3");
	EXPECT_EQ(before + 1, exception_exits(_metadata, &nl, vm, "AC"))
		TH_LOG("the #AC is an exit");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

/*
 * CVE-2015-8104's guest: #DB is delivered on an IST stack, and a data
 * breakpoint watches the slot where delivery pushes the frame.  Each
 * delivery hits it, the #DB trap comes before the handler's first
 * instruction, and its delivery hits it again: the guest never runs
 * another instruction.  RS_RUN must still return on a signal.
 */
#define IST_PAGES	1

static volatile uint64_t ist_top;

static void loop_guest(void)
{
	set_dr0(ist_top - 8);			/* where SS is pushed */
	set_dr7(0x400 | DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_8);
	asm volatile("pushfq\n\t"		/* the first #DB: a single step */
		     "orq %0, (%%rsp)\n\t"
		     "popfq\n\t"
		     "nop"
		     : : "i"(X86_EFLAGS_TF) : "memory");
	for (;;)
		;
}

static void on_signal(int sig)
{
}

TEST(db_delivery_loop_leaves_host_responsive)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rs_runner r = { 0 };
	struct rs_idt_gate *idt;
	struct rs_tss64 *tss;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct rs_nl nl;
	uint64_t before, top;
	pthread_t t;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, loop_guest);
	/*
	 * QEMU 7.2's TCG aborts (qemu_mutex_lock_iothread_impl: assertion
	 * failed) when exception delivery hits a data breakpoint, with or
	 * without ringside: only the VMX test VM (Bochs) can run this guest.
	 */
	if (vm->svm) {
		rs_vm_free(vm);
		rs_nl_close(&nl);
		SKIP(return, "QEMU's TCG cannot run a data breakpoint in #DB delivery");
	}
	rs_vm_install_handler(vm, DB_VECTOR, db_handler);
	top = rs_vm_alloc_pages(vm, IST_PAGES) + IST_PAGES * 4096;
	tss = rs_gpa2hva(vm, vm->tss);
	tss->ist[0] = top;
	idt = rs_gpa2hva(vm, vm->idt);
	idt[DB_VECTOR].ist = 1;
	memcpy(rs_gpa2hva(vm, (uint64_t)&ist_top), &top, sizeof(top));
	before = exception_exits(_metadata, &nl, vm, "DB");

	r.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&t, NULL, rs_vcpu_run_thread, &r));
	usleep(500 * 1000);
	for (i = 0; i < 1000 && !r.done; i++) {
		pthread_kill(t, SIGUSR1);
		usleep(10 * 1000);
	}
	ASSERT_TRUE(r.done) TH_LOG("RS_RUN did not return on SIGUSR1");
	pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	TH_LOG("%llu #DB exits in 0.5 s",
	       (unsigned long long)(exception_exits(_metadata, &nl, vm, "DB") - before));
	EXPECT_LT(before, exception_exits(_metadata, &nl, vm, "DB"))
		TH_LOG("no #DB exit");
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

TEST_HARNESS_MAIN
