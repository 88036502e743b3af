// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions routed to user space (RS_SET_EXIT_ROUTE's exceptions): the
 * guest's #DE, #DB, #BP, #UD, #GP, #PF and #AC come to user space as
 * RS_EXIT_ROUTED before the guest's handler runs, with the vector, the
 * error code, CR2 (#PF) or DR6 (#DB) and the backend's raw exit (SVM:
 * exit code 0x40 + vector; VMX: basic exit reason 0, the interruption
 * information).  Each answer does what the uAPI says:
 *
 *   RS_ROUTE_DEFAULT  the exception goes on into the guest as if not
 *                     routed: its handler sees the vector, error code, CR2
 *   RS_ROUTE_SKIP     nothing is delivered; RIP moves by insn_len, which
 *                     is 1 for INT3 and 0 for a fault (user space moves RIP
 *                     past the faulting instruction itself)
 *   RS_ROUTE_EMULATE  as SKIP: an exception has no results
 *   RS_ROUTE_INJECT   another exception is delivered instead, RIP where
 *                     the routed exit left it
 *
 * A vector the route does not name is handled as ever, while others are
 * routed.  Faults and traps as the SDM (vol. 3A, 6.15 "Exception and
 * Interrupt Reference") and the APM (vol. 2, 8.2) define them: #DE, #UD,
 * #GP, #PF and #AC leave RIP on the instruction, INT3 and a single step
 * after it.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define X86_EFLAGS_TF	(1ULL << 8)
#define X86_EFLAGS_AC	(1ULL << 18)
#define X86_EFLAGS_IOPL	(3ULL << 12)
#define DR6_BS		(1ULL << 14)

/* Not mapped: PML4 entry 1 is not present in the library's page tables. */
#define PF_ADDR		0x8000000000ULL
/* A selector past the library's GDT (limit 5 * 8 - 1): #GP(selector). */
#define BAD_SEL		0xff8

/* VMX interruption information (SDM vol. 3C, 25.9.2, table 25-17). */
#define INTR_INFO_VALID		(1ULL << 31)
#define INTR_INFO_HAS_ERROR	(1ULL << 11)
#define INTR_TYPE(info)		(((info) >> 8) & 7)
#define INTR_TYPE_HW_EXC	3
#define INTR_TYPE_PRIV_SW_EXC	5
#define INTR_TYPE_SW_EXC	6
#define SVM_EXIT_EXCP_BASE	0x40

#define SEL_USER_CODE	(5 * 8 + 3)
#define SEL_USER_DATA	(6 * 8 + 3)

static volatile uint64_t hits, seen_vector, seen_error, seen_rip, seen_cr2;
static volatile uint64_t seen_dr6, resume;

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

static void clear_seen(void)
{
	hits = 0;
	seen_vector = 0;
	seen_error = 0;
	seen_rip = 0;
	seen_cr2 = 0;
	seen_dr6 = 0;
}

/*
 * Every vector the tests raise or inject: record what the guest saw, go
 * on at @resume (past the instruction), without the single step.
 */
static void handler(struct rs_ex_regs *regs)
{
	hits++;
	seen_vector = regs->vector;
	seen_error = regs->error_code;
	seen_rip = regs->rip;
	seen_cr2 = read_cr2();
	if (regs->vector == DB_VECTOR) {
		seen_dr6 = get_dr6();
		set_dr6(0xffff0ff0);
	}
	regs->rip = resume;
	regs->rflags &= ~X86_EFLAGS_TF;
}

/*
 * One exception each, between the labels X_insn and X_after.  noinline
 * and noclone: the labels must exist once.
 */
#define GUEST_EVENT __attribute__((noinline, noclone))

extern char de_insn[], de_after[], db_insn[], db_after[], bp_insn[], bp_after[];
extern char ud_insn[], ud_after[], gp_insn[], gp_after[], pf_insn[], pf_after[];
extern char icebp_insn[], icebp_after[];

static GUEST_EVENT void do_de(void)
{
	asm volatile("xor %%edx, %%edx\n\t"
		     "mov $1, %%eax\n\t"
		     "de_insn: divl %0\n\t"
		     "de_after:"
		     : : "r"(0U) : "rax", "rdx", "memory");
}

/* TF: the NOP runs, and the single-step trap comes after it. */
static GUEST_EVENT void do_db(void)
{
	asm volatile("pushfq\n\t"
		     "orq %0, (%%rsp)\n\t"
		     "popfq\n\t"
		     "db_insn: nop\n\t"
		     "db_after:"
		     : : "i"(X86_EFLAGS_TF) : "memory");
}

static GUEST_EVENT void do_bp(void)
{
	asm volatile("bp_insn: int3\n\t"
		     "bp_after:" : : : "memory");
}

static GUEST_EVENT void do_ud(void)
{
	asm volatile("ud_insn: ud2\n\t"
		     "ud_after:" : : : "memory");
}

static GUEST_EVENT void do_gp(void)
{
	asm volatile("gp_insn: mov %0, %%ds\n\t"
		     "gp_after:" : : "r"((uint16_t)BAD_SEL) : "memory");
}

static GUEST_EVENT void do_pf(void)
{
	asm volatile("pf_insn: movq $1, (%0)\n\t"
		     "pf_after:" : : "r"(PF_ADDR) : "memory");
}

/* INT1 (ICEBP): a trap, #DB as a privileged software exception on VMX. */
static GUEST_EVENT void do_icebp(void)
{
	asm volatile("icebp_insn: .byte 0xf1\n\t"
		     "icebp_after:" : : : "memory");
}

enum { K_DE, K_DB, K_BP, K_UD, K_GP, K_PF, K_ICEBP, NR_KINDS };

static const struct kind {
	const char *name;
	void (*fn)(void);
	const char *insn, *after;
	uint8_t vector;
	bool has_error;
	uint32_t error;
	/* where RIP is at the exit: on the instruction, or after it (a trap) */
	bool rip_after;
	/* the instruction's length for RS_ROUTE_SKIP; -1: 0 or 1, as the backend knows */
	int insn_len;
} kinds[NR_KINDS] = {
	[K_DE] = { "#DE", do_de, de_insn, de_after, DE_VECTOR, false, 0, false, 0 },
	[K_DB] = { "#DB (single step)", do_db, db_insn, db_after, DB_VECTOR, false, 0, true, 0 },
	[K_BP] = { "#BP", do_bp, bp_insn, bp_after, BP_VECTOR, false, 0, false, 1 },
	[K_UD] = { "#UD", do_ud, ud_insn, ud_after, UD_VECTOR, false, 0, false, 0 },
	[K_GP] = { "#GP", do_gp, gp_insn, gp_after, GP_VECTOR, true, BAD_SEL, false, 0 },
	/* a write to a page not present, in ring 0: W */
	[K_PF] = { "#PF", do_pf, pf_insn, pf_after, PF_VECTOR, true, 2, false, 0 },
	[K_ICEBP] = { "#DB (ICEBP)", do_icebp, icebp_insn, icebp_after, DB_VECTOR,
		      false, 0, false, -1 },
};

/* The answers, in the order the host gives them. */
static const uint32_t answers[] = {
	RS_ROUTE_DEFAULT, RS_ROUTE_SKIP, RS_ROUTE_EMULATE, RS_ROUTE_INJECT,
};

/* What RS_ROUTE_INJECT delivers instead: #UD, or #GP(0x28) for a #UD. */
static void inject_instead(const struct kind *k, uint8_t *vector,
			   bool *has_error, uint32_t *error)
{
	*vector = k->vector == UD_VECTOR ? GP_VECTOR : UD_VECTOR;
	*has_error = *vector == GP_VECTOR;
	*error = *has_error ? 0x28 : 0;
}

/* The kind in RDI: raise it once per answer, report what the handler saw. */
static void guest_code(uint64_t kind)
{
	const struct kind *k = &kinds[kind];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(answers); i++) {
		clear_seen();
		resume = (uint64_t)k->after;
		k->fn();
		rs_ucall(UCALL_SYNC, i, hits, seen_vector, seen_error, seen_rip,
			 k->vector == PF_VECTOR ? seen_cr2 : seen_dr6);
	}
	GUEST_DONE();
}

static void install_handlers(struct rs_vm *vm)
{
	static const int vectors[] = { DE_VECTOR, DB_VECTOR, BP_VECTOR,
				       UD_VECTOR, GP_VECTOR, PF_VECTOR,
				       AC_VECTOR };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vectors); i++)
		rs_vm_install_handler(vm, vectors[i], handler);
}

/* The routed exit of @k: what it says, and where RIP is. */
static void check_routed(struct __test_metadata *_metadata, struct rs_vm *vm,
			 struct rs_vcpu *vcpu, const struct kind *k)
{
	struct rs_run *run = vcpu->run;
	uint64_t info = run->routed.hw_info[1];
	struct rs_regs regs;

	EXPECT_EQ(k->has_error ? RS_ROUTED_HAS_ERROR_CODE : 0, run->routed.flags)
		TH_LOG("%s: flags", k->name);
	EXPECT_EQ(k->error, run->routed.error_code) TH_LOG("%s: error code", k->name);
	if (k->insn_len >= 0) {
		EXPECT_EQ(k->insn_len, run->routed.insn_len)
			TH_LOG("%s: insn_len", k->name);
	}
	if (k->vector == PF_VECTOR) {
		EXPECT_EQ(PF_ADDR, run->routed.value) TH_LOG("#PF: value is CR2");
	}
	if (k->vector == DB_VECTOR && k->rip_after) {
		EXPECT_TRUE(run->routed.value & DR6_BS)
			TH_LOG("single step: value %#llx is DR6 with BS", run->routed.value);
	}
	rs_vcpu_regs_get(vcpu, &regs);
	if (k->insn_len >= 0) {
		EXPECT_EQ((uint64_t)(k->rip_after ? k->after : k->insn), regs.rip)
			TH_LOG("%s: RIP at the routed exit", k->name);
	} else {
		EXPECT_EQ((uint64_t)k->after, regs.rip + run->routed.insn_len)
			TH_LOG("%s: RIP %#llx + insn_len %u at the routed exit",
			       k->name, regs.rip, run->routed.insn_len);
	}

	if (vm->svm) {
		/* APM vol. 2, 15.12: EXITINFO1 the error code, EXITINFO2 CR2 */
		EXPECT_EQ(SVM_EXIT_EXCP_BASE + k->vector, run->routed.hw_code)
			TH_LOG("%s: SVM exit code", k->name);
		if (k->has_error) {
			EXPECT_EQ(k->error, (uint32_t)run->routed.hw_info[0])
				TH_LOG("%s: EXITINFO1", k->name);
		}
		if (k->vector == PF_VECTOR) {
			EXPECT_EQ(PF_ADDR, run->routed.hw_info[1]) TH_LOG("#PF: EXITINFO2");
		}
		return;
	}
	/* SDM vol. 3C, 28.2.1 and 28.2.2: exit reason 0, qualification, interruption information */
	EXPECT_EQ(0, run->routed.hw_code) TH_LOG("%s: VMX exit reason", k->name);
	EXPECT_EQ(k->vector, info & 0xff) TH_LOG("%s: interruption information %#llx",
						 k->name, (unsigned long long)info);
	EXPECT_TRUE(info & INTR_INFO_VALID) TH_LOG("%s: interruption information valid", k->name);
	EXPECT_EQ(k->has_error, !!(info & INTR_INFO_HAS_ERROR))
		TH_LOG("%s: interruption information %#llx: error code valid", k->name,
		       (unsigned long long)info);
	EXPECT_EQ(k->vector == BP_VECTOR ? INTR_TYPE_SW_EXC :
		  k->insn_len < 0 ? INTR_TYPE_PRIV_SW_EXC : INTR_TYPE_HW_EXC,
		  INTR_TYPE(info)) TH_LOG("%s: interruption type", k->name);
	if (k->vector == PF_VECTOR) {
		EXPECT_EQ(PF_ADDR, run->routed.hw_info[0]) TH_LOG("#PF: the qualification is CR2");
	}
	if (k->vector == DB_VECTOR && k->rip_after) {
		EXPECT_TRUE(run->routed.hw_info[0] & DR6_BS)
			TH_LOG("single step: the qualification has BS");
	}
}

/* Answer @answer; for SKIP and EMULATE past a fault, move RIP as a debugger would. */
static void answer_routed(struct rs_vcpu *vcpu, const struct kind *k,
			  uint32_t answer, uint64_t *exit_rip)
{
	uint32_t error;
	uint8_t vector;
	struct rs_regs regs;
	bool has_error;

	rs_vcpu_regs_get(vcpu, &regs);
	*exit_rip = regs.rip;
	if (answer == RS_ROUTE_INJECT) {
		inject_instead(k, &vector, &has_error, &error);
		rs_route_answer_inject(vcpu, vector, has_error, error);
		return;
	}
	rs_route_answer(vcpu, answer, 0);
	if (answer == RS_ROUTE_DEFAULT)
		return;
	/* The exception is gone: so is the single step that raised it. */
	if (regs.rip + vcpu->run->routed.insn_len != (uint64_t)k->after ||
	    (regs.rflags & X86_EFLAGS_TF)) {
		if (regs.rip + vcpu->run->routed.insn_len != (uint64_t)k->after)
			regs.rip = (uint64_t)k->after;
		regs.rflags &= ~X86_EFLAGS_TF;
		rs_vcpu_regs_set(vcpu, &regs);
	}
}

/* What the guest saw after the answer. */
static void check_guest(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
			const struct kind *k, unsigned int i, uint64_t exit_rip)
{
	uint32_t answer = answers[i], error;
	struct ucall uc;
	uint8_t vector;
	bool has_error;

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(i, uc.args[0]);
	switch (answer) {
	case RS_ROUTE_DEFAULT:
		ASSERT_EQ(1, uc.args[1])
			TH_LOG("%s, DEFAULT: the guest's handler ran once", k->name);
		EXPECT_EQ(k->vector, uc.args[2]) TH_LOG("%s, DEFAULT: vector", k->name);
		EXPECT_EQ(k->error, (uint32_t)uc.args[3])
			TH_LOG("%s, DEFAULT: error code", k->name);
		/* A fault on its instruction, a trap after it. */
		EXPECT_EQ((uint64_t)(k->rip_after || k->insn_len ? k->after : k->insn),
			  uc.args[4]) TH_LOG("%s, DEFAULT: RIP in the frame", k->name);
		if (k->vector == PF_VECTOR) {
			EXPECT_EQ(PF_ADDR, uc.args[5]) TH_LOG("#PF, DEFAULT: CR2");
		}
		if (k->vector == DB_VECTOR && k->rip_after) {
			EXPECT_EQ(0xffff0ff0 | DR6_BS, uc.args[5])
				TH_LOG("single step, DEFAULT: DR6");
		}
		break;
	case RS_ROUTE_SKIP:
	case RS_ROUTE_EMULATE:
		EXPECT_EQ(0, uc.args[1])
			TH_LOG("%s, %s: the guest's handler ran (vector %lu)", k->name,
			       answer == RS_ROUTE_SKIP ? "SKIP" : "EMULATE",
			       (unsigned long)uc.args[2]);
		break;
	case RS_ROUTE_INJECT:
		inject_instead(k, &vector, &has_error, &error);
		ASSERT_EQ(1, uc.args[1])
			TH_LOG("%s, INJECT: the guest's handler ran once", k->name);
		EXPECT_EQ(vector, uc.args[2]) TH_LOG("%s, INJECT: the injected vector", k->name);
		EXPECT_EQ(error, (uint32_t)uc.args[3])
			TH_LOG("%s, INJECT: its error code", k->name);
		EXPECT_EQ(exit_rip, uc.args[4]) TH_LOG("%s, INJECT: RIP stays", k->name);
		break;
	}
}

static void route_one(struct __test_metadata *_metadata, int kind)
{
	const struct kind *k = &kinds[kind];
	struct rs_exit_route rt = { .exceptions = 1U << k->vector };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint64_t exit_rip;
	unsigned int i;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	/*
	 * QEMU 7.2's TCG raises #UD for INT1 (it is built without
	 * WANT_ICEBP), as debug_exception_test found.
	 */
	if (kind == K_ICEBP && vm->svm) {
		rs_vm_free(vm);
		SKIP(return, "QEMU's TCG has no ICEBP");
	}
	install_handlers(vm);
	rs_vcpu_args_set(vcpu, 1, (uint64_t)kind);
	rs_vcpu_set_route(vcpu, &rt);
	for (i = 0; i < ARRAY_SIZE(answers); i++) {
		rs_vcpu_run(vcpu);
		/*
		 * QEMU 7.2's TCG checks SVM's INTn intercept for INT3, not
		 * the #BP exception intercept (raise_interrupt2()): there
		 * INT3 goes into the guest.  AMD's CPUs make INT3 a #BP
		 * (APM vol. 2, 15.12 "Exception Intercepts").
		 */
		if (vcpu->run->exit_reason != RS_EXIT_ROUTED &&
		    rs_get_ucall(vcpu, NULL) == UCALL_SYNC && !i &&
		    kind == K_BP && vm->svm) {
			rs_vm_free(vm);
			SKIP(return, "QEMU's TCG does not intercept INT3 as #BP");
		}
		ASSERT_EQ(RS_EXIT_ROUTED, vcpu->run->exit_reason)
			TH_LOG("%s: %s", k->name, rs_exit_describe(vcpu, buf, sizeof(buf)));
		ASSERT_EQ(RS_ROUTED_EXCEPTION, vcpu->run->routed.event);
		ASSERT_EQ(k->vector, vcpu->run->routed.index);
		check_routed(_metadata, vm, vcpu, k);
		answer_routed(vcpu, k, answers[i], &exit_rip);
		check_guest(_metadata, vcpu, k, i, exit_rip);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(de)
{
	route_one(_metadata, K_DE);
}

TEST(db_single_step)
{
	route_one(_metadata, K_DB);
}

TEST(db_icebp)
{
	route_one(_metadata, K_ICEBP);
}

TEST(bp)
{
	route_one(_metadata, K_BP);
}

TEST(ud)
{
	route_one(_metadata, K_UD);
}

TEST(gp)
{
	route_one(_metadata, K_GP);
}

TEST(pf)
{
	route_one(_metadata, K_PF);
}

/*
 * Every vector a route may name but #UD: the guest's UD2 goes to its
 * handler without an exit, its DIV by 0 comes to user space.
 */
static void unrouted_guest(void)
{
	hits = 0;
	resume = (uint64_t)ud_after;
	do_ud();
	GUEST_SYNC_ARGS(1, hits, seen_vector, seen_rip);
	hits = 0;
	resume = (uint64_t)de_after;
	do_de();
	GUEST_SYNC_ARGS(2, hits, seen_vector, seen_rip);
	GUEST_DONE();
}

TEST(unrouted_vector_is_not_routed)
{
	struct rs_exit_route rt = {
		.exceptions = 0xfffff & ~((1U << NMI_VECTOR) | (1U << 9) |
					  (1U << 15) | (1U << 18) | (1U << UD_VECTOR)),
	};
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, unrouted_guest);
	install_handlers(vm);
	rs_vcpu_set_route(vcpu, &rt);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("the guest's #UD handler ran");
	EXPECT_EQ(UD_VECTOR, uc.args[2]);
	EXPECT_EQ((uint64_t)ud_insn, uc.args[3]);

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_EXCEPTION, DE_VECTOR);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("the guest's #DE handler ran");
	EXPECT_EQ(DE_VECTOR, uc.args[2]);
	EXPECT_EQ((uint64_t)de_insn, uc.args[3]);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * #AC: a misaligned load in ring 3 with CR0.AM and EFLAGS.AC, error code
 * 0 (SDM vol. 3A, 6.15, interrupt 17).  The #AC intercept stays whatever
 * is routed (host safety); routing it only hands it to user space.
 */
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t buf[2];

extern char ac_insn[], ac_after[];

static void user_code(void)
{
	unsigned int i;
	uint64_t v;

	for (i = 0; i < 2; i++) {
		clear_seen();
		resume = (uint64_t)ac_after;
		asm volatile("ac_insn: mov (%1), %0\n\t"
			     "ac_after:"
			     : "=r"(v) : "r"((char *)buf + 1) : "memory");
		GUEST_SYNC_ARGS(i, hits, seen_vector, seen_error);
	}
	GUEST_DONE();
}

static void ac_guest(void)
{
	uint64_t cr0 = read_cr0();

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

TEST(ac)
{
	struct rs_exit_route rt = { .exceptions = 1U << AC_VECTOR };
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, ac_guest);
	rs_vcpu_add_ring3(vm, vcpu);
	install_handlers(vm);
	rs_vcpu_set_route(vcpu, &rt);

	rs_vcpu_run(vcpu);
	/* QEMU's TCG checks no alignment: nothing to route. */
	if (rs_get_ucall(vcpu, &uc) == UCALL_SYNC && !uc.args[1]) {
		rs_vm_free(vm);
		SKIP(return, "this CPU raises no #AC for a misaligned access");
	}
	ASSERT_EQ(RS_EXIT_ROUTED, vcpu->run->exit_reason);
	ASSERT_EQ(RS_ROUTED_EXCEPTION, vcpu->run->routed.event);
	ASSERT_EQ(AC_VECTOR, vcpu->run->routed.index);
	EXPECT_EQ(RS_ROUTED_HAS_ERROR_CODE, vcpu->run->routed.flags);
	EXPECT_EQ(0, vcpu->run->routed.error_code);
	EXPECT_EQ(0, vcpu->run->routed.insn_len) TH_LOG("a fault");
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ((uint64_t)ac_insn, regs.rip);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("DEFAULT: the guest's #AC handler ran");
	EXPECT_EQ(AC_VECTOR, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]) TH_LOG("#AC's error code");

	rs_vcpu_expect_routed(vcpu, RS_ROUTED_EXCEPTION, AC_VECTOR);
	rs_route_answer(vcpu, RS_ROUTE_SKIP, 0);
	rs_vcpu_regs_get(vcpu, &regs);
	regs.rip = (uint64_t)ac_after;
	rs_vcpu_regs_set(vcpu, &regs);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("SKIP: the guest's handler did not run");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
