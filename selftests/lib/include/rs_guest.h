/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of the selftest library: what code running inside a
 * ringside VM may call.  Guest code is compiled into the test binary and
 * runs at the same addresses in the guest (lib/elf.c), in 64-bit ring 0,
 * interrupts off, on its own stack.  It must not call libc (no printf,
 * no memcpy of big structures, no errno): only these helpers.
 *
 * Reports to the host are ucalls: the guest writes a struct ucall on its
 * stack and puts its address in EAX for an OUT to RS_UCALL_PORT; the host
 * sees an RS_EXIT_IO on that port and reads the structure from guest
 * memory (guest virtual == guest physical, all below 4 GiB).
 */
#ifndef SELFTEST_RS_GUEST_H
#define SELFTEST_RS_GUEST_H

#include <stdint.h>
#include "rs_x86.h"

#define RS_UCALL_PORT		0x1000

enum {
	UCALL_NONE,
	UCALL_SYNC,		/* args[0]: stage, args[1..3]: values */
	UCALL_DONE,
	UCALL_ABORT,		/* a GUEST_ASSERT failed: see below */
	UCALL_UNHANDLED,	/* exception with no handler: see below */
};

/* UCALL_ABORT's args. */
enum {
	UCALL_ABORT_EXPR,	/* guest address of the expression's text */
	UCALL_ABORT_FILE,	/* guest address of __FILE__ */
	UCALL_ABORT_LINE,
	UCALL_ABORT_HAS_VALUES,	/* 1: GUEST_ASSERT_EQ, the two below */
	UCALL_ABORT_A,
	UCALL_ABORT_B,
};

/* UCALL_UNHANDLED's args. */
enum {
	UCALL_EX_VECTOR,
	UCALL_EX_ERROR_CODE,
	UCALL_EX_RIP,
	UCALL_EX_CR2,
};

#define UCALL_NR_ARGS	6

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_NR_ARGS];
};

void rs_ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
	      uint64_t a3, uint64_t a4, uint64_t a5);

#define GUEST_SYNC(stage)	rs_ucall(UCALL_SYNC, (stage), 0, 0, 0, 0, 0)
#define GUEST_SYNC_ARGS(stage, a, b, c) \
	rs_ucall(UCALL_SYNC, (stage), (a), (b), (c), 0, 0)
#define GUEST_DONE()		rs_ucall(UCALL_DONE, 0, 0, 0, 0, 0, 0)

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		rs_ucall(UCALL_ABORT, (uint64_t)#cond,			\
			 (uint64_t)__FILE__, __LINE__, 0, 0, 0);	\
} while (0)

#define GUEST_ASSERT_EQ(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a != __b)							\
		rs_ucall(UCALL_ABORT, (uint64_t)(#a " == " #b),		\
			 (uint64_t)__FILE__, __LINE__, 1, __a, __b);	\
} while (0)

/* Fails the test unconditionally. */
#define GUEST_FAIL(what)						\
	rs_ucall(UCALL_ABORT, (uint64_t)(what), (uint64_t)__FILE__,	\
		 __LINE__, 0, 0, 0)

/*
 * Exceptions and interrupts.  Every IDT vector enters rs_guest_exception()
 * with the registers below; a handler installed by the host with
 * rs_vm_install_handler() may change them (rip, rax...) before IRET.
 * Without a handler, an RS_ASM_SAFE() fixup applies, else the host is told
 * (UCALL_UNHANDLED) and the test fails.
 */
struct rs_ex_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* the CPU's frame */
};

typedef void (*rs_handler_t)(struct rs_ex_regs *regs);

extern rs_handler_t rs_guest_handlers[256];

/* Whether the backend is SVM: the host sets it when it creates the VM. */
extern int rs_guest_is_svm;

#define RS_NO_EXCEPTION		0xffffULL

/* Wraps extra asm() outputs for RS_ASM_SAFE_EC(). */
#define COMMA_OUT(...)		, __VA_ARGS__

/*
 * Run one instruction that may fault; evaluates to RS_NO_EXCEPTION, or to
 * the vector it raised (the instruction is then skipped).  Operands as for
 * asm(); the error code, if any, is in *(error) when given RS_ASM_SAFE_EC.
 */
#define RS_ASM_SAFE_EC(insn, error, outputs, inputs...) ({		\
	register uint64_t __vec asm("r10") = RS_NO_EXCEPTION;		\
	register uint64_t __ec asm("r11") = 0;				\
	asm volatile("1: " insn "\n\t"					\
		     "2:\n\t"						\
		     ".pushsection rs_ex_table, \"a\"\n\t"		\
		     ".quad 1b, 2b\n\t"					\
		     ".popsection"					\
		     : "+r"(__vec), "+r"(__ec) outputs			\
		     : inputs						\
		     : "memory");					\
	*(error) = __ec;						\
	__vec;								\
})

#define RS_ASM_SAFE(insn, inputs...) ({					\
	uint64_t __unused_ec;						\
	RS_ASM_SAFE_EC(insn, &__unused_ec, , inputs);			\
})

/* RDMSR/WRMSR that report a fault instead of taking it. */
static inline uint64_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	uint64_t ec, vec;

	vec = RS_ASM_SAFE_EC("rdmsr", &ec, COMMA_OUT("=a"(lo), "=d"(hi)),
			     "c"(msr));
	*val = lo | ((uint64_t)hi << 32);
	return vec;
}

static inline uint64_t wrmsr_safe(uint32_t msr, uint64_t val)
{
	return RS_ASM_SAFE("wrmsr", "a"((uint32_t)val),
			   "d"((uint32_t)(val >> 32)), "c"(msr));
}

/*
 * A hypercall: VMMCALL on SVM, VMCALL on VMX.  nr in RAX, arguments in
 * RBX, RCX, RDX, RSI; the host's answer comes back in RAX.
 */
static inline uint64_t rs_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
				    uint64_t a2, uint64_t a3)
{
	uint64_t ret;

	if (rs_guest_is_svm)
		asm volatile("vmmcall"
			     : "=a"(ret)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			     : "memory");
	else
		asm volatile("vmcall"
			     : "=a"(ret)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			     : "memory");
	return ret;
}

/* Byte loops for guest code, which must not call libc. */
/*
 * The page-directory entry that maps @va in the guest's own 4-level
 * tables: a 2 MiB page in the identity map of the low 4 GiB.
 */
static inline uint64_t *rs_guest_pde(uint64_t va)
{
	const uint64_t addr = 0xffffffffff000ULL;
	uint64_t *t = (uint64_t *)(read_cr3() & addr);

	t = (uint64_t *)(t[(va >> 39) & 511] & addr);
	t = (uint64_t *)(t[(va >> 30) & 511] & addr);
	return &t[(va >> 21) & 511];
}

static inline void rs_guest_memset(void *p, int c, uint64_t n)
{
	volatile uint8_t *b = p;

	while (n--)
		*b++ = c;
}

static inline int rs_guest_memcmp(const void *a, const void *b, uint64_t n)
{
	const volatile uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

#endif /* SELFTEST_RS_GUEST_H */
