// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instructions in 16-bit (real mode) and 32-bit (protected mode,
 * paging off) code: the operand- and address-size prefixes, 16-bit
 * ModRM forms with their default segments (SS for BP), SIB, moffs of
 * 16 and 32 bits, segment overrides, strings, BT with a negative register
 * offset, CMPXCHG8B, PUSH and POP of memory, LOCK.
 *
 * Each instruction runs twice from the same registers and flags, followed
 * by OUT to port 0x80: first with DS, ES (and, for a case that says so,
 * SS) based in RAM, where the CPU does everything, then based in MMIO,
 * where ringside does, with user space as a plain memory device.  The
 * registers, RIP and RFLAGS after it, the bytes at the segments' base
 * and the stack must agree.  The segment bases are the only difference
 * between the runs, so every address the instruction forms is the same.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define CODE		0x1000
#define RAM_BASE	0x20000
#define MMIO_BASE	RS_MMIO_GPA
#define DATA		0x200		/* bytes compared at the base */
#define STACK_TOP	0x8000
#define STACK		0x100		/* bytes compared below the top */

#define DATA_ATTR	(RS_SEG_P | RS_SEG_S | 0x3)	/* read/write */
#define CODE_ATTR	(RS_SEG_P | RS_SEG_S | 0xb)	/* exec/read */
#define BIG		(RS_SEG_DB | RS_SEG_G)

/*
 * X(name, bits, instruction, SS follows DS).  The registers: EAX 0x1234,
 * EBX 0x20, ECX 3, EDX -13, ESI 0x60, EDI 0x80, EBP 0x40, ESP 0x8000.
 */
#define MODE_CASES(X)							\
	X(r_add, 16, "addw %cx, (%di)", 0)				\
	X(r_o32, 16, "movl %ecx, (%di)", 0)				\
	X(r_bx_si, 16, "movw (%bx,%si), %cx", 0)			\
	X(r_bp_ss, 16, "orb %cl, 2(%bp,%di)", 1)			\
	X(r_a32, 16, "addr32 movw %cx, (%edi)", 0)			\
	X(r_moffs, 16, "movw %ax, 0x44", 0)				\
	X(r_movs, 16, "movsw", 0)					\
	X(r_rep_stos, 16, "rep stosb", 0)				\
	X(r_cmps, 16, "cmpsb", 0)					\
	X(r_xchg, 16, "xchgw %cx, (%di)", 0)				\
	X(r_bts_neg, 16, "btsw %dx, (%di)", 0)				\
	X(r_cx8, 16, "cmpxchg8b (%di)", 0)				\
	X(r_push, 16, "pushw (%di)", 0)					\
	X(r_pop, 16, "popw (%di)", 0)					\
	X(r_es_sbb, 16, "sbbl $-3, %es:(%si)", 0)			\
	X(r_xadd, 16, "lock xaddw %cx, (%di)", 0)			\
	X(r_movzx, 16, "movzbl (%di), %ecx", 0)				\
	X(r_setc, 16, "setc (%bx)", 0)					\
	X(r_imul, 16, "imulw $7, (%di), %cx", 0)			\
	X(r_div, 16, "divb (%si)", 0)					\
	X(r_shld, 16, "shldw $4, %cx, (%di)", 0)			\
	X(p_add, 32, "addl %ecx, (%edi)", 0)				\
	X(p_o16, 32, "movw %cx, (%edi)", 0)				\
	X(p_sib, 32, "movl (%ebx,%esi,4), %ecx", 0)			\
	X(p_bp_ss, 32, "movl %ecx, 0x10(%ebp)", 1)			\
	X(p_moffs, 32, "movl 0x44, %eax", 0)				\
	X(p_a16, 32, "addr16 movl (%di), %ecx", 0)			\
	X(p_bt_neg, 32, "btl %edx, (%edi)", 0)				\
	X(p_cx8, 32, "lock cmpxchg8b (%edi)", 0)			\
	X(p_rep_movs, 32, "rep movsl", 0)				\
	X(p_repe_cmps, 32, "repe cmpsb", 0)				\
	X(p_lods, 32, "lodsw", 0)					\
	X(p_xadd, 32, "lock xaddl %ecx, (%edi)", 0)			\
	X(p_push, 32, "pushl (%edi)", 0)				\
	X(p_pop, 32, "popl (%edi)", 0)					\
	X(p_movzx, 32, "movzwl (%esi), %ecx", 0)			\
	X(p_not, 32, "notl 4(%edi,%ebx,2)", 0)				\
	X(p_shrd, 32, "shrdl %cl, %ecx, (%edi)", 0)			\
	X(p_cmov, 32, "cmovnzl (%edi), %ecx", 0)			\
	X(p_xchg, 32, "xchgl %ecx, -4(%edi)", 0)			\
	X(p_ss_override, 32, "movl %ss:(%edi), %ecx", 1)

/* Each case's bytes, assembled for its code size, between two labels. */
#define CASE_ASM(name, bits, insn, ss)					\
	asm(".pushsection .rodata\n"					\
	    ".code" #bits "\n"						\
	    #name "_start:\n\t" insn "\n"				\
	    #name "_end:\n"						\
	    ".code64\n"							\
	    ".popsection");						\
	extern const uint8_t name##_start[], name##_end[];
MODE_CASES(CASE_ASM)

struct mode_case {
	const char *insn;
	const uint8_t *start, *end;
	int bits;
	bool ss;
};

#define CASE_ENTRY(name, bits, insn, ss)				\
	{ insn, name##_start, name##_end, bits, ss },
static const struct mode_case cases[] = { MODE_CASES(CASE_ENTRY) };

static uint8_t dev[0x10000];

/*
 * One run of @c with the data segments at @base: the registers after it,
 * the data at the base and the stack; returns the number of MMIO exits.
 */
static unsigned int run_once(struct __test_metadata *_metadata,
		     const struct mode_case *c, uint64_t base,
		     struct rs_regs *out, uint8_t *data, uint8_t *stack)
{
	bool pm = c->bits == 32;
	uint32_t limit = pm ? 0xffffffff : 0xffff;
	uint16_t attr = DATA_ATTR | (pm ? BIG : 0);
	size_t n = c->end - c->start;
	struct rs_vcpu *vcpu;
	struct rs_sregs s;
	struct rs_regs r;
	struct rs_run *run;
	struct rs_vm *vm;
	uint8_t *mem;
	unsigned int i, exits = 0;
	char buf[256];

	vm = rs_vm_create_bare();
	mem = rs_vm_add_region(vm, 0, 0, 0, 1 << 20);
	vcpu = rs_vcpu_create_bare(vm, 0);
	run = vcpu->run;

	memcpy(mem + CODE, c->start, n);
	mem[CODE + n] = 0xe6;				/* out %al, $0x80 */
	mem[CODE + n + 1] = 0x80;
	mem[CODE + n + 2] = 0xf4;			/* hlt */
	for (i = 0; i < DATA; i++)
		mem[RAM_BASE + i] = dev[i] = i * 13 + 0x41;
	for (i = 0; i < STACK; i++)
		mem[STACK_TOP - STACK + i] = i ^ 0x5a;

	rs_vcpu_sregs_get(vcpu, &s);
	if (pm) {
		s.cr0 |= X86_CR0_PE;
		rs_seg_set(&s.cs, 0x08, CODE_ATTR | BIG, 0, limit);
	} else {
		rs_seg_set(&s.cs, CODE >> 4, CODE_ATTR, CODE, 0xffff);
	}
	rs_seg_set(&s.ds, pm ? 0x10 : 0, attr, base, limit);
	rs_seg_set(&s.es, pm ? 0x10 : 0, attr, base, limit);
	rs_seg_set(&s.ss, pm ? 0x10 : 0, attr, c->ss ? base : 0, limit);
	s.idt.limit = 0;		/* a fault shuts the guest down */
	rs_vcpu_sregs_set(vcpu, &s);
	rs_vcpu_regs_get(vcpu, &r);
	r.rip = pm ? CODE : 0;
	r.rax = 0x1234;
	r.rbx = 0x20;
	r.rcx = 3;
	r.rdx = (uint32_t)-13;
	r.rsi = 0x60;
	r.rdi = 0x80;
	r.rbp = 0x40;
	r.rsp = STACK_TOP;
	r.rflags = 0x2;
	rs_vcpu_regs_set(vcpu, &r);

	for (;;) {
		uint64_t off;

		rs_vcpu_run(vcpu);
		if (run->exit_reason != RS_EXIT_MMIO)
			break;
		off = run->mmio.phys_addr - MMIO_BASE;
		exits++;
		EXPECT_GE(8U, run->mmio.len);
		EXPECT_GT(sizeof(dev), off + run->mmio.len)
			TH_LOG("%s: MMIO at %#llx", c->insn,
			       (unsigned long long)run->mmio.phys_addr);
		if (off + run->mmio.len > sizeof(dev) || run->mmio.len > 8)
			break;
		if (run->mmio.is_write)
			memcpy(dev + off, run->mmio.data, run->mmio.len);
		else
			memcpy(run->mmio.data, dev + off, run->mmio.len);
	}
	EXPECT_EQ(RS_EXIT_IO, run->exit_reason)
		TH_LOG("%d-bit %s, %s: %s", c->bits, c->insn,
		       base == RAM_BASE ? "RAM" : "MMIO",
		       rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(0x80, run->io.port);
	rs_vcpu_regs_get(vcpu, out);
	memcpy(data, base == RAM_BASE ? mem + RAM_BASE : dev, DATA);
	memcpy(stack, mem + STACK_TOP - STACK, STACK);
	rs_vm_free(vm);
	return exits;
}

TEST(mmio_in_16_and_32_bit_code)
{
	uint8_t data[2][DATA], stack[2][STACK];
	struct rs_regs r[2];
	unsigned int i;

	RS_REQUIRE_VM();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mode_case *c = &cases[i];

		EXPECT_EQ(0, run_once(_metadata, c, RAM_BASE, &r[0], data[0],
				      stack[0]));
		EXPECT_LE(1, run_once(_metadata, c, MMIO_BASE, &r[1], data[1],
				      stack[1]))
			TH_LOG("%d-bit %s: no MMIO exit", c->bits, c->insn);
		EXPECT_EQ(0, memcmp(&r[0], &r[1], sizeof(r[0])))
			TH_LOG("%d-bit %s: registers differ: RCX %#llx/%#llx RFLAGS %#llx/%#llx RSI %#llx/%#llx RDI %#llx/%#llx RIP %#llx/%#llx",
			       c->bits, c->insn,
			       (unsigned long long)r[0].rcx, (unsigned long long)r[1].rcx,
			       (unsigned long long)r[0].rflags, (unsigned long long)r[1].rflags,
			       (unsigned long long)r[0].rsi, (unsigned long long)r[1].rsi,
			       (unsigned long long)r[0].rdi, (unsigned long long)r[1].rdi,
			       (unsigned long long)r[0].rip, (unsigned long long)r[1].rip);
		EXPECT_EQ(0, memcmp(data[0], data[1], DATA))
			TH_LOG("%d-bit %s: memory differs", c->bits, c->insn);
		EXPECT_EQ(0, memcmp(stack[0], stack[1], STACK))
			TH_LOG("%d-bit %s: stack differs", c->bits, c->insn);
	}
}

TEST_HARNESS_MAIN
