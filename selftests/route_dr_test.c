// SPDX-License-Identifier: GPL-2.0
/*
 * Debug register accesses routed to user space (RS_SET_EXIT_ROUTE's
 * dr_read and dr_write): MOV from and to DR0-DR3, DR6 and DR7 come as
 * RS_EXIT_ROUTED before they take effect, with the DR number, the value
 * written, the instruction's length and the backend's raw exit (SVM: exit
 * code 0x20 + n for a read, 0x30 + n for a write, APM vol. 2, 15.9
 * "Instruction Intercepts"; VMX: basic exit reason 29, the DR, the
 * direction and the register in the qualification, SDM vol. 3C, 28.2.1,
 * table 28-4).
 *
 * EMULATE of a read puts results[0] in the register; DEFAULT of a write
 * then DEFAULT of a read give back what was written; SKIP of a write
 * leaves the old value.  With DR7.GD set (SDM vol. 3A, 18.2.4 "Debug
 * Control Register (DR7)"), a routed access answered DEFAULT gives the
 * guest the #DB fault with DR6.BD that the MOV would have raised, and the
 * access does not happen.  A DR the route does not name works as ever.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define SENTINEL	0x5a5a5a5a5a5a5a5aULL
#define DR6_BD		(1ULL << 13)
#define DR7_GD		(1ULL << 13)
#define DR6_INIT	0xffff0ff0ULL
#define DR7_INIT	0x400ULL

#define SVM_EXIT_READ_DR0	0x20
#define SVM_EXIT_WRITE_DR0	0x30
#define VMX_EXIT_DR_ACCESS	29

/* The DRs a route may name that exist: DR4 and DR5 are DR6 and DR7's aliases. */
static const uint32_t drs[] = { 0, 1, 2, 3, 6, 7 };

/*
 * What each DR gets written: DR0-3 addresses no breakpoint is enabled for,
 * DR6 a B0 or B1 flag with its reserved bits as they read, DR7 an R/W0
 * field with L0 and G0 clear (so no breakpoint) and bit 10 set as it reads.
 */
static uint64_t first_value(uint32_t dr)
{
	return dr == 6 ? DR6_INIT | 1 : dr == 7 ? DR7_INIT | 1ULL << 16 :
	       0x10000 + dr * 0x1000;
}

static uint64_t second_value(uint32_t dr)
{
	return dr == 6 ? DR6_INIT | 2 : dr == 7 ? DR7_INIT | 3ULL << 16 :
	       0x20000 + dr * 0x1000;
}

static uint64_t emulated_value(uint32_t dr)
{
	return 0xabcd0000ULL + dr;
}

/* MOV to or from DR@dr through RAX, which holds SENTINEL before a read. */
static void write_dr(uint32_t dr, uint64_t v)
{
	switch (dr) {
	case 0:
		asm volatile("mov %0, %%dr0" : : "a"(v));
		break;
	case 1:
		asm volatile("mov %0, %%dr1" : : "a"(v));
		break;
	case 2:
		asm volatile("mov %0, %%dr2" : : "a"(v));
		break;
	case 3:
		asm volatile("mov %0, %%dr3" : : "a"(v));
		break;
	case 6:
		asm volatile("mov %0, %%dr6" : : "a"(v));
		break;
	case 7:
		asm volatile("mov %0, %%dr7" : : "a"(v));
		break;
	default:
		GUEST_FAIL("no such DR");
	}
}

static uint64_t read_dr(uint32_t dr)
{
	uint64_t v = SENTINEL;

	switch (dr) {
	case 0:
		asm volatile("mov %%dr0, %0" : "+a"(v));
		break;
	case 1:
		asm volatile("mov %%dr1, %0" : "+a"(v));
		break;
	case 2:
		asm volatile("mov %%dr2, %0" : "+a"(v));
		break;
	case 3:
		asm volatile("mov %%dr3, %0" : "+a"(v));
		break;
	case 6:
		asm volatile("mov %%dr6, %0" : "+a"(v));
		break;
	case 7:
		asm volatile("mov %%dr7, %0" : "+a"(v));
		break;
	default:
		GUEST_FAIL("no such DR");
	}
	return v;
}

/* The routed exit of a MOV to or from DR@dr through RAX (3 bytes). */
static void expect_dr(struct __test_metadata *_metadata, struct rs_vm *vm,
		      struct rs_vcpu *vcpu, uint32_t dr, bool write)
{
	struct rs_run *run = vcpu->run;

	rs_vcpu_expect_routed(vcpu, write ? RS_ROUTED_DR_WRITE : RS_ROUTED_DR_READ, dr);
	EXPECT_EQ(3, run->routed.insn_len) TH_LOG("MOV %s DR%u: length", write ? "to" : "from", dr);
	EXPECT_EQ(0, run->routed.flags);
	if (vm->svm) {
		EXPECT_EQ((write ? SVM_EXIT_WRITE_DR0 : SVM_EXIT_READ_DR0) + dr,
			  run->routed.hw_code) TH_LOG("SVM exit code");
		return;
	}
	EXPECT_EQ(VMX_EXIT_DR_ACCESS, run->routed.hw_code) TH_LOG("VMX exit reason");
	/* DR in 2:0, 1 in bit 4 for MOV from DR, RAX (0) in 11:8 */
	EXPECT_EQ(dr | (write ? 0 : 1) << 4, run->routed.hw_info[0] & 0xfff)
		TH_LOG("VMX exit qualification %#llx", run->routed.hw_info[0]);
}

/*
 * Per DR: a read (EMULATE), a write (DEFAULT), a read (DEFAULT), a write
 * (SKIP), a read (DEFAULT).
 */
static void rw_guest(void)
{
	uint64_t emulated, first, after_skip;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(drs); i++) {
		emulated = read_dr(drs[i]);
		write_dr(drs[i], first_value(drs[i]));
		first = read_dr(drs[i]);
		write_dr(drs[i], second_value(drs[i]));
		after_skip = read_dr(drs[i]);
		GUEST_SYNC_ARGS(drs[i], emulated, first, after_skip);
	}
	GUEST_DONE();
}

TEST(read_write)
{
	struct rs_exit_route rt = { .dr_read = 0xcf, .dr_write = 0xcf };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;
	uint32_t dr;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, rw_guest);
	rs_vcpu_set_route(vcpu, &rt);
	for (i = 0; i < ARRAY_SIZE(drs); i++) {
		dr = drs[i];
		expect_dr(_metadata, vm, vcpu, dr, false);
		rs_route_answer(vcpu, RS_ROUTE_EMULATE, emulated_value(dr));
		expect_dr(_metadata, vm, vcpu, dr, true);
		EXPECT_EQ(first_value(dr), vcpu->run->routed.value)
			TH_LOG("DR%u: the value written", dr);
		rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
		expect_dr(_metadata, vm, vcpu, dr, false);
		rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
		expect_dr(_metadata, vm, vcpu, dr, true);
		EXPECT_EQ(second_value(dr), vcpu->run->routed.value)
			TH_LOG("DR%u: the value written", dr);
		rs_route_answer(vcpu, RS_ROUTE_SKIP, 0);
		expect_dr(_metadata, vm, vcpu, dr, false);
		rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);

		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(dr, uc.args[0]);
		EXPECT_EQ(emulated_value(dr), uc.args[1]) TH_LOG("DR%u: EMULATE of a read", dr);
		EXPECT_EQ(first_value(dr), uc.args[2])
			TH_LOG("DR%u: DEFAULT write, DEFAULT read", dr);
		EXPECT_EQ(first_value(dr), uc.args[3]) TH_LOG("DR%u: a SKIP write left it", dr);
	}
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/* DR1-3, DR6 and DR7 are not routed: they work without an exit; DR0 is. */
static void unrouted_guest(void)
{
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(drs); i++) {
		write_dr(drs[i], first_value(drs[i]));
		GUEST_ASSERT_EQ(read_dr(drs[i]), first_value(drs[i]));
		write_dr(drs[i], second_value(drs[i]));
		GUEST_ASSERT_EQ(read_dr(drs[i]), second_value(drs[i]));
	}
	write_dr(6, DR6_INIT);
	write_dr(7, DR7_INIT);
	GUEST_SYNC(1);
	write_dr(0, first_value(0));
	GUEST_SYNC_ARGS(2, read_dr(0), 0, 0);
	GUEST_DONE();
}

TEST(unrouted_dr_works)
{
	struct rs_exit_route rt = { .dr_read = 1, .dr_write = 1 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, unrouted_guest);
	rs_vcpu_set_route(vcpu, &rt);
	rs_vcpu_expect_sync(vcpu, 1);
	expect_dr(_metadata, vm, vcpu, 0, true);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	expect_dr(_metadata, vm, vcpu, 0, false);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(first_value(0), uc.args[1]);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * DR7.GD: the next MOV DR is a #DB fault with DR6.BD, and delivery clears
 * GD.  The guest's handler records DR6 and DR7 and goes on past the MOV.
 */
static volatile uint64_t hits, seen_vector, seen_rip, seen_dr6, seen_dr7, resume;

static void db_handler(struct rs_ex_regs *regs)
{
	hits++;
	seen_vector = regs->vector;
	seen_rip = regs->rip;
	seen_dr6 = read_dr(6);
	seen_dr7 = read_dr(7);
	write_dr(6, DR6_INIT);
	regs->rip = resume;
}

extern char gd_insn[], gd_after[];

static void gd_guest(void)
{
	write_dr(0, first_value(0));
	write_dr(7, DR7_INIT | DR7_GD);
	resume = (uint64_t)gd_after;
	asm volatile("gd_insn: mov %0, %%dr0\n\t"
		     "gd_after:" : : "a"(second_value(0)) : "memory");
	GUEST_SYNC_ARGS(1, hits, seen_rip, seen_dr6);
	GUEST_SYNC_ARGS(2, seen_dr7, read_dr(0), seen_vector);
	GUEST_DONE();
}

TEST(general_detect)
{
	struct rs_exit_route rt = { .dr_write = 1 };
	struct rs_vcpu *vcpu;
	struct rs_regs regs;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, gd_guest);
	rs_vm_install_handler(vm, DB_VECTOR, db_handler);
	rs_vcpu_set_route(vcpu, &rt);

	/* The guest's own write of DR0, before GD: routed too. */
	expect_dr(_metadata, vm, vcpu, 0, true);
	rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
	/*
	 * The SDM puts MOV-DR exiting ahead of the #DB (KVM's handle_dr()
	 * raises it); the APM does not say where the intercept stands, and
	 * KVM's SVM leaves the #DB to the CPU: there the #DB may come first,
	 * without a routed exit.  Either way the guest gets it.
	 */
	rs_vcpu_run(vcpu);
	if (vcpu->run->exit_reason == RS_EXIT_ROUTED || !vm->svm) {
		ASSERT_EQ(RS_EXIT_ROUTED, vcpu->run->exit_reason);
		ASSERT_EQ(RS_ROUTED_DR_WRITE, vcpu->run->routed.event);
		ASSERT_EQ(0, vcpu->run->routed.index);
		EXPECT_EQ(second_value(0), vcpu->run->routed.value);
		rs_vcpu_regs_get(vcpu, &regs);
		EXPECT_EQ((uint64_t)gd_insn, regs.rip);
		rs_route_answer(vcpu, RS_ROUTE_DEFAULT, 0);
		rs_vcpu_run(vcpu);
	} else {
		TH_LOG("the #DB came before the intercept");
	}
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]) TH_LOG("the guest's #DB handler ran once");
	EXPECT_EQ((uint64_t)gd_insn, uc.args[2]) TH_LOG("a fault, on the MOV");
	EXPECT_TRUE(uc.args[3] & DR6_BD) TH_LOG("DR6 %#lx: BD", (unsigned long)uc.args[3]);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(0, uc.args[1] & DR7_GD)
		TH_LOG("DR7 %#lx in the handler: GD clear", (unsigned long)uc.args[1]);
	EXPECT_EQ(first_value(0), uc.args[2]) TH_LOG("the faulting MOV did not write DR0");
	EXPECT_EQ(DB_VECTOR, uc.args[3]);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
