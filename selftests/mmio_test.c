// SPDX-License-Identifier: GPL-2.0
/*
 * Accesses to guest-physical addresses no slot backs exit as RS_EXIT_MMIO:
 * writes of 1, 2, 4 and 8 bytes show the address, length, is_write and the
 * data; reads take the data user space leaves in run->mmio.data, with the
 * register semantics of MOV (8/16-bit loads keep the rest of the register,
 * 32-bit loads zero-extend).  Covers legacy and REX (r8-r15) registers,
 * and MOV with a moffs operand (A0-A3: AL/AX/EAX/RAX and an absolute
 * address of 8 bytes, or 4 with an address-size prefix), which is how
 * compilers write an access to a constant address.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MMIO	RS_MMIO_GPA
#define FILL	0x1122334455667788ULL

static void guest_code(void)
{
	register uint64_t r9 asm("r9");
	uint64_t v;

	asm volatile("movb %b0, (%1)" :: "a"(0x5aULL), "r"(MMIO + 0x00) : "memory");
	asm volatile("movw %w0, (%1)" :: "b"(0x6b5aULL), "r"(MMIO + 0x02) : "memory");
	asm volatile("movl %k0, (%1)" :: "c"(0x8d7c6b5aULL), "r"(MMIO + 0x04) : "memory");
	asm volatile("movq %0, (%1)" :: "d"(0x0123456789abcdefULL), "r"(MMIO + 0x08) : "memory");
	r9 = 0xfedcba9876543210ULL;
	asm volatile("movq %0, (%1)" :: "r"(r9), "r"(MMIO + 0x10) : "memory");
	asm volatile("movl $0x13579bdf, (%0)" :: "r"(MMIO + 0x18) : "memory");
	GUEST_SYNC(1);

	v = FILL;
	asm volatile("movb (%1), %b0" : "+a"(v) : "r"(MMIO + 0x20) : "memory");
	GUEST_ASSERT_EQ(v, 0x11223344556677a1ULL);
	v = FILL;
	asm volatile("movw (%1), %w0" : "+b"(v) : "r"(MMIO + 0x22) : "memory");
	GUEST_ASSERT_EQ(v, 0x112233445566a2b2ULL);
	v = FILL;
	asm volatile("movl (%1), %k0" : "+c"(v) : "r"(MMIO + 0x24) : "memory");
	GUEST_ASSERT_EQ(v, 0x00000000a3b3c3d3ULL);
	v = FILL;
	asm volatile("movq (%1), %0" : "+d"(v) : "r"(MMIO + 0x28) : "memory");
	GUEST_ASSERT_EQ(v, 0xa4b4c4d4e4f40414ULL);
	r9 = FILL;
	asm volatile("movq (%1), %0" : "+r"(r9) : "r"(MMIO + 0x30) : "memory");
	GUEST_ASSERT_EQ(r9, 0xa5b5c5d5e5f50515ULL);
	GUEST_DONE();
}

/* MOV between AL/rAX and a moffs: A0-A3 with their prefixes, as bytes. */
#define MOFFS64(...)	".byte " #__VA_ARGS__ "\n\t.quad %p1"
#define MOFFS32(...)	".byte " #__VA_ARGS__ "\n\t.long %p1"

static void guest_moffs(void)
{
	uint64_t v;

	asm volatile(MOFFS64(0xa2) :: "a"(0xc1ULL), "i"(MMIO + 0x40) : "memory");
	asm volatile(MOFFS64(0x66, 0xa3) :: "a"(0xc2c3ULL), "i"(MMIO + 0x42) : "memory");
	asm volatile(MOFFS64(0xa3) :: "a"(0xc4c5c6c7ULL), "i"(MMIO + 0x44) : "memory");
	asm volatile(MOFFS64(0x48, 0xa3) :: "a"(0x0102030405060708ULL), "i"(MMIO + 0x48)
		     : "memory");
	/* 67h: a 4-byte address; a repeated 66h still means 16 bits */
	asm volatile(MOFFS32(0x67, 0xa3) :: "a"(0xd1d2d3d4ULL), "i"(MMIO + 0x50) : "memory");
	asm volatile(MOFFS64(0x66, 0x66, 0xa3) :: "a"(0xe1e2ULL), "i"(MMIO + 0x54) : "memory");
	GUEST_SYNC(1);

	v = FILL;
	asm volatile(MOFFS64(0xa0) : "+a"(v) : "i"(MMIO + 0x60) : "memory");
	GUEST_ASSERT_EQ(v, 0x11223344556677f1ULL);
	v = FILL;
	asm volatile(MOFFS64(0x66, 0xa1) : "+a"(v) : "i"(MMIO + 0x62) : "memory");
	GUEST_ASSERT_EQ(v, 0x112233445566f2f3ULL);
	v = FILL;
	asm volatile(MOFFS64(0xa1) : "+a"(v) : "i"(MMIO + 0x64) : "memory");
	GUEST_ASSERT_EQ(v, 0x00000000f4f5f6f7ULL);
	v = FILL;
	asm volatile(MOFFS64(0x48, 0xa1) : "+a"(v) : "i"(MMIO + 0x68) : "memory");
	GUEST_ASSERT_EQ(v, 0xf8f9fafbfcfdfeffULL);
	v = FILL;
	asm volatile(MOFFS32(0x67, 0x48, 0xa1) : "+a"(v) : "i"(MMIO + 0x70) : "memory");
	GUEST_ASSERT_EQ(v, 0x0a0b0c0d0e0f1011ULL);
	GUEST_DONE();
}

static void expect_mmio(struct __test_metadata *_metadata,
			struct rs_vcpu *vcpu, uint64_t gpa, uint32_t len,
			bool write, uint64_t data)
{
	struct rs_run *run = vcpu->run;
	uint64_t seen = 0;
	char buf[256];

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_MMIO, run->exit_reason)
		TH_LOG("access to %#lx: %s", (unsigned long)gpa,
		       rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
	EXPECT_EQ(write, run->mmio.is_write);
	if (write) {
		memcpy(&seen, run->mmio.data, len);
		EXPECT_EQ(data, seen) TH_LOG("write of %u bytes at %#lx",
					     len, (unsigned long)gpa);
	} else {
		memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &data, len);
	}
}

struct access {
	uint64_t off;		/* from MMIO */
	uint32_t len;
	uint64_t data;		/* the guest writes it, or user space answers it */
};

/*
 * Runs @guest: its writes, GUEST_SYNC(1), its reads (each answered with
 * its data, which the guest checks), GUEST_DONE().
 */
static void run_accesses(struct __test_metadata *_metadata,
			 void (*guest)(void), const struct access *writes,
			 size_t nr_writes, const struct access *reads,
			 size_t nr_reads)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	size_t i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest);
	for (i = 0; i < nr_writes; i++)
		expect_mmio(_metadata, vcpu, MMIO + writes[i].off,
			    writes[i].len, true, writes[i].data);
	rs_vcpu_expect_sync(vcpu, 1);
	for (i = 0; i < nr_reads; i++)
		expect_mmio(_metadata, vcpu, MMIO + reads[i].off,
			    reads[i].len, false, reads[i].data);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST(mmio_round_trip)
{
	static const struct access writes[] = {
		{ 0x00, 1, 0x5a },
		{ 0x02, 2, 0x6b5a },
		{ 0x04, 4, 0x8d7c6b5a },
		{ 0x08, 8, 0x0123456789abcdefULL },
		{ 0x10, 8, 0xfedcba9876543210ULL },
		{ 0x18, 4, 0x13579bdf },
	}, reads[] = {
		{ 0x20, 1, 0xa1 },
		{ 0x22, 2, 0xa2b2 },
		{ 0x24, 4, 0xa3b3c3d3 },
		{ 0x28, 8, 0xa4b4c4d4e4f40414ULL },
		{ 0x30, 8, 0xa5b5c5d5e5f50515ULL },
	};

	run_accesses(_metadata, guest_code, writes, ARRAY_SIZE(writes),
		     reads, ARRAY_SIZE(reads));
}

TEST(mmio_moffs)
{
	static const struct access writes[] = {
		{ 0x40, 1, 0xc1 },
		{ 0x42, 2, 0xc2c3 },
		{ 0x44, 4, 0xc4c5c6c7 },
		{ 0x48, 8, 0x0102030405060708ULL },
		{ 0x50, 4, 0xd1d2d3d4 },
		{ 0x54, 2, 0xe1e2 },
	}, reads[] = {
		{ 0x60, 1, 0xf1 },
		{ 0x62, 2, 0xf2f3 },
		{ 0x64, 4, 0xf4f5f6f7 },
		{ 0x68, 8, 0xf8f9fafbfcfdfeffULL },
		{ 0x70, 8, 0x0a0b0c0d0e0f1011ULL },
	};

	run_accesses(_metadata, guest_moffs, writes, ARRAY_SIZE(writes),
		     reads, ARRAY_SIZE(reads));
}

/*
 * A guest whose page table is outside RAM: the CPU faults while walking
 * it, before any operand is accessed.  That is no MMIO access of the
 * instruction's (its operand's address is not even known), so the run
 * ends with an emulation error at the table's address; it used to be the
 * store's data written to the page table's address as MMIO.
 */
#define WALK_VA		0x40000000ULL
#define WALK_PT		(MMIO + 0x3000)	/* the page table, in no slot */

static void guest_walk(void)
{
	uint64_t *pde = rs_guest_pde(WALK_VA);

	*pde = WALK_PT | 0x3;		/* present, writable: a page table */
	asm volatile("invlpg (%0)" :: "r"(WALK_VA) : "memory");
	*(volatile uint64_t *)WALK_VA = 0x1234;
	GUEST_FAIL("the store through a page table in no slot went on");
}

TEST(page_walk_outside_ram)
{
	struct rs_regs regs;
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_walk);
	run = vcpu->run;
	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_INTERNAL_ERROR, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(RS_INTERNAL_EMULATION, run->internal.suberror);
	ASSERT_EQ(2U, run->internal.ndata);
	EXPECT_EQ(WALK_PT, run->internal.data[0]);
	rs_vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(regs.rip, run->internal.data[1]);
	rs_vm_free(vm);
}

/*
 * The CPU's own access while it delivers an event (here, pushing onto a
 * stack in no slot) is no instruction's: the run ends with the event, and
 * the instruction at RIP is not emulated.  It used to be: the MOV that
 * raised the #GP below was carried out as an MMIO write to the stack.
 */
#define STACK_TOP	(MMIO + 0x2000)
#define X86_EFLAGS_IF	(1ULL << 9)
#define EVENT_VALID	(1U << 31)
#define EVENT_HAS_ERROR	(1U << 11)

extern char gp_insn[];

static void guest_gp_on_mmio_stack(void)
{
	asm volatile("mov %%rsp, %%rbp\n\t"
		     "mov %0, %%rsp\n\t"
		     "gp_insn: mov %%eax, (%1)\n\t"
		     "mov %%rbp, %%rsp"
		     :: "i"(STACK_TOP), "r"(1ULL << 63) : "rbp", "memory");
	GUEST_FAIL("the store to a non-canonical address went on");
}

static void expect_delivery_error(struct __test_metadata *_metadata,
				  struct rs_vcpu *vcpu, uint32_t event, uint64_t rip)
{
	struct rs_run *run = vcpu->run;
	char buf[256];

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_INTERNAL_ERROR, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(RS_INTERNAL_DELIVERY, run->internal.suberror);
	ASSERT_EQ(3U, run->internal.ndata);
	EXPECT_EQ(STACK_TOP - 4096, run->internal.data[0] & ~0xfffULL)
		TH_LOG("the stack's page: %#llx", (unsigned long long)run->internal.data[0]);
	EXPECT_EQ(event, run->internal.data[1]);
	EXPECT_EQ(rip, run->internal.data[2]);
}

TEST(exception_delivery_outside_ram)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_gp_on_mmio_stack);
	expect_delivery_error(_metadata, vcpu,
			      EVENT_VALID | EVENT_HAS_ERROR | RS_EVENT_EXCEPTION << 8 | 13,
			      (uint64_t)gp_insn);
	rs_vm_free(vm);
}

/*
 * An interrupt whose delivery met no RAM stays pending: a second one is
 * refused (EBUSY), it waits while user space keeps RFLAGS.IF clear (an
 * entry that injected it then would fail on VMX), and the guest takes it
 * at its STI.
 */
static volatile uint64_t irq_vector;

static void irq_handler(struct rs_ex_regs *regs)
{
	irq_vector = regs->vector;
}

static void guest_irq(void)
{
	GUEST_SYNC(1);
	GUEST_SYNC_ARGS(2, irq_vector, 0, 0);
	asm volatile("sti; nop; cli" ::: "memory");
	GUEST_SYNC_ARGS(3, irq_vector, 0, 0);
	GUEST_DONE();
}

TEST(interrupt_delivery_outside_ram_stays_pending)
{
	struct rs_event ev = { .type = RS_EVENT_EXTINT, .vector = 0x31 };
	struct rs_regs regs, saved;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_irq);
	rs_vm_install_handler(vm, 0x30, irq_handler);
	rs_vm_install_handler(vm, 0x31, irq_handler);
	rs_vcpu_expect_sync(vcpu, 1);

	rs_vcpu_regs_get(vcpu, &saved);
	ASSERT_FALSE(saved.rflags & X86_EFLAGS_IF);
	regs = saved;
	regs.rsp = STACK_TOP;
	regs.rflags |= X86_EFLAGS_IF;
	rs_vcpu_regs_set(vcpu, &regs);
	rs_vcpu_inject(vcpu, RS_EVENT_EXTINT, 0x30, false, 0);
	expect_delivery_error(_metadata, vcpu, EVENT_VALID | 0x30, saved.rip);

	EXPECT_EQ(-1, ioctl(vcpu->fd, RS_INJECT_EVENT, &ev));
	EXPECT_EQ(EBUSY, errno) TH_LOG("vector 0x30 is still pending");
	rs_vcpu_regs_set(vcpu, &saved);		/* IF clear again */
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("delivered with IF clear");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(0x30, uc.args[1]) TH_LOG("not delivered at STI");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
