// SPDX-License-Identifier: GPL-2.0
/*
 * A guest fuzzer: random programs on several vCPUs of one VM at once, one
 * thread each, in real mode, virtual-8086 mode, 16- and 32-bit protected
 * mode (without paging, with 4 MiB pages, with PAE), 64-bit and
 * compatibility mode, at CPL 0 or 3, from a valid state built here (GDT,
 * IDT, TSS and page tables in guest RAM) or from one lib/fuzz.c perturbs.
 * A program is random bytes, or "biased": valid instructions with
 * prefixes, ModRM and SIB, weighted towards what exits (MOV CRn/DRn,
 * RDMSR/WRMSR, port and string I/O, CPUID, XSETBV, INVLPG, INT n, IRET,
 * LGDT/LIDT, SYSCALL/SYSENTER, VMMCALL/VMCALL, MOVs to and from MMIO).
 * Events are injected between runs; port and MMIO reads get random data.
 *
 * Each RS_RUN must end in an exit with sane contents, or in EINTR from
 * the thread's timer, which bounds every run to RUN_MS; no state after a
 * program may point into the host's code.  At the end the kernel log must
 * hold no warning, BUG, lockup or stall, and the taint must not change.
 * A failure prints the seed, the program's bytes and state.
 *
 * Program n of vCPU t is drawn from a generator seeded with f(seed, t, n):
 * RS_SEED=n (a fixed default; RS_SEED=random draws one), RS_FUZZ_SECONDS
 * (default 10), RS_FUZZ_VERBOSE=n logs each program from number n on,
 * RS_FUZZ_REPLAY=t:n runs program n of vCPU t alone and logs each exit.
 * Memory outside the vCPU's home and other vCPUs' writes are not part of
 * a program: a replay can differ there.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kselftest_harness.h"
#include "rs_fuzz.h"
#include "rs_test.h"
#include "rs_util.h"

#define NR_VCPUS	4
#define RUN_MS		20		/* longest RS_RUN: then a signal */
#define MAX_RUNS	64		/* RS_RUN calls per program */
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Guest-physical memory: RAM below 640 KiB, an MMIO hole, a read-only
 * slot (the "ROM"), RAM from 1 to 8 MiB, MMIO above.  Each vCPU has a
 * 128 KiB home in low RAM, rewritten before each of its programs.
 */
#define LOW_END		0xa0000ULL
#define ROM		0xc0000ULL
#define ROM_SIZE	0x40000ULL
#define HIGH		0x100000ULL
#define HIGH_END	0x800000ULL
#define HOME(i)		(0x10000ULL + (i) * 0x20000ULL)
#define HOME_SIZE	0x20000
#define H_IDT		0x1000		/* the GDT is at 0, limit 0xfff */
#define H_TSS		0x2000		/* + interrupt redirection, I/O bitmaps */
#define H_PML4		0x3000		/* then the PDPT */
#define H_PD		0x5000		/* 4 pages of 2 MiB entries: 4 GiB */
#define H_PAE_PDPT	0x9000
#define H_PD32		0xa000		/* 4 MiB entries: 4 GiB */
#define H_STUBS		0xb000		/* 8 bytes per vector */
#define H_LANDING	0xb800		/* SYSCALL/SYSENTER land here: HLT */
#define H_STACK		0xfff0
#define H_CODE		0x10000		/* 64 KiB: the program, then random */
#define TSS_IOMAP	0x88
#define TSS_LIMIT	(TSS_IOMAP + 0x200)

#define SENTINEL_PORT	0xe5		/* out 0xe5, al ends every program */
#define CODE_MAX	1024

enum mode { M_REAL, M_VM86, M_PROT16, M_PROT, M_PSE, M_PAE, M_LONG,
	    M_COMPAT, NR_MODES };
static const char *const mode_name[] = {
	"real", "vm86", "prot16", "prot32", "pse32", "pae32", "long64", "compat",
};
static const unsigned int mode_bits[] = { 16, 16, 16, 32, 32, 32, 64, 32 };

/* GDT: 64-bit code, data, 32-bit code, 16-bit code and data, TSS, CPL 3 */
#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18
#define SEL_CODE16	0x20
#define SEL_TSS		0x28
#define SEL_DATA16	0x38
#define SEL_CODE32_U	0x43		/* STAR's SYSRET base */
#define SEL_DATA_U	0x4b
#define SEL_CODE64_U	0x53

#define A_CODE		(RS_SEG_TYPE(0xb) | RS_SEG_S | RS_SEG_P)
#define A_DATA		(RS_SEG_TYPE(0x3) | RS_SEG_S | RS_SEG_P)
#define A_FLAT		(RS_SEG_DB | RS_SEG_G)

struct stats {			/* unsigned longs only: summed as an array */
	unsigned long programs, by_mode[NR_MODES], biased, perturbed, refused;
	unsigned long runs, exits[RS_EXIT_INTERNAL_ERROR + 1], emulation, lost_state;
	unsigned long fail_entry_valid, injected, inject_busy;
	unsigned long reached[3], insns;
};

struct thread {
	pthread_t tid;
	unsigned int index;
	struct rs_vcpu *vcpu;
	uint8_t *home;			/* host address of the vCPU's home */
	timer_t timer;
	struct stats st;
	/* the program */
	unsigned long n;
	enum mode mode;
	bool cpl3, biased, perturbed;
	uint8_t code[CODE_MAX];
	unsigned int len, ninsns, sentinel, eintr;
	pid_t tid_os;
	volatile time_t run_since;	/* when RS_RUN began, 0 outside it */
	struct rs_sregs s;
	struct rs_regs r;
};

static uint64_t seed;
static time_t deadline;
static long verbose_from = -1, replay_vcpu = -1, replay_n;
static bool has_ro, is_svm;
static uint64_t cr4_extra;		/* OSXSAVE if the vCPU's CPUID has XSAVE */
static volatile int failed;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * QEMU 7.2's SVM under TCG (the SVM test VM) has defects that kill or hang
 * the whole test VM; under SVM the fuzzer stays clear of them:
 * - VMRUN and #VMEXIT set DR7 without moving its breakpoints
 *   (tcg/sysemu/svm_helper.c), so the next MOV to DR7 removes what was
 *   never inserted: a segfault in cpu_watchpoint_remove_by_ref() or
 *   gdb_set_stop_cpu().  No breakpoint is enabled in DR7.
 * - A guest's MOV to CR8 while a virtual interrupt is pending (ringside
 *   waiting for an interrupt window) calls cpu_interrupt() without the
 *   iothread lock in helper_write_crN(): an assertion aborts QEMU.  CR8
 *   is only read.
 * - #VMEXIT loads the host's CR0 while the guest's EFER and CR4 are still
 *   in place: from a guest with EFER.LME set and CR0.PG, CR4.PAE clear,
 *   cpu_x86_update_cr0() returns early and the host goes on without
 *   paging, a dead CPU (RCU stall).  States (and RS_SET_MSRS) keep
 *   EFER.LME clear then; WRMSR to EFER does not set it, MOV to CR4 in
 *   long mode keeps PAE.
 * - An interrupt that changes privilege through a TR that is not present,
 *   or outside long mode not of an available TSS type, aborts QEMU
 *   (get_ss_esp_from_tss() and get_rsp_from_tss()): its LTR leaves that
 *   type in its cache, VMRUN what the VMCB says.  TR stays present and
 *   available (VMX insists on busy).
 * - LOCK BTS/BTR/BTC of a register aborts QEMU's translator ("tcg fatal
 *   error"): no LOCK on register operands.
 * Harmless ones make FAIL_ENTRY from valid states: SYSENTER in long mode
 * loads a CS with both L and D (helper_sysenter()), so do far transfers
 * to such a descriptor (the GDT's random ones), MOV to CR3 of a bit
 * beyond the physical address width fails as VMEXIT_INVALID, and EVENTINJ
 * of exception 31 ("vector >= 31"), which is not injected.
 */
static void qemu_safe(struct rs_sregs *s, struct rs_msr_entry *e, int n)
{
	if (!is_svm)
		return;
	s->tr.attr = (s->tr.attr & ~(RS_SEG_P | 7)) | RS_SEG_P | 1;
	if (!(s->cr0 & X86_CR0_PG) && !(s->cr4 & X86_CR4_PAE)) {
		s->efer &= ~EFER_LME;
		while (n--)
			if (e[n].index == MSR_EFER)
				e[n].data &= ~EFER_LME;
	}
}

/* ---- program generation ---- */

/* An address or value worth having in a register or displacement. */
static uint64_t addr_value(void)
{
	static const uint64_t area[][2] = {	/* base, size */
		{ LOW_END, 0x20000 }, { ROM, ROM_SIZE }, { 0, HIGH_END },
		{ HIGH_END, (1ULL << 32) - HIGH_END }, { 0xfee00000, 0x1000 },
		{ 0, 0x100 },
	};
	unsigned int k = rs_rnd() % 8;

	if (k < ARRAY_LEN(area))
		return area[k][0] + rs_rnd() % area[k][1];
	return k & 1 ? rs_fuzz_pick(0) : rs_rnd();
}

/*
 * A biased instruction: opcode bytes (random bits @lo ORed into the last),
 * ModRM (0 none; 'm' memory, 'e' any; '0'-'7' any with that /digit; 'c'
 * CR0/2/3/4, 'd' DRn, 'R' /0, register), immediate (0; 'b' 8, 'z' 16/32,
 * 'v' 16/32/64 bits, 'o' moffs), flags, registers to set first (one MOV
 * r32, imm32 each), weight.  No relative branch (see check_end()).
 */
#define PFX	0x01			/* random legacy prefixes, REX */
#define REP	0x02			/* F3 or F2 */
#define NO64	0x04
#define ONLY64	0x08
#define NOSVM	0x10
#define MMIO	0x20			/* ringside emulates it: MMIO addresses */
#define S_MSR	0x01			/* ECX: an MSR */
#define S_CNT	0x02			/* ECX: a count */
#define S_LEAF	0x04			/* EAX, ECX: CPUID leaf and subleaf */
#define S_VAL	0x08			/* EAX: for CRn, DRn, an MSR's low half */
#define S_EDX	0x10			/* EDX: a port, an MSR's high half */
#define S_SIDI	0x20			/* ESI, EDI: addresses */
#define S_XCR	0x40			/* ECX, EAX, EDX: XSETBV's */
#define P	(PFX | MMIO)

static const struct op {
	uint8_t b[3], n, lo;
	char modrm, imm;
	uint8_t flags, setup, weight;
} ops[] = {
	/* MOV, MOVZX, MOVSX, MOV moffs, MOV imm; string operations, port I/O */
	{ {0x88}, 1, 3, 'e', 0, P, 0, 16 }, { {0xc6}, 1, 0, '0', 'b', P, 0, 3 },
	{ {0xc7}, 1, 0, '0', 'z', P, 0, 3 }, { {0x0f, 0xb6}, 2, 9, 'm', 0, P, 0, 6 },
	{ {0xa0}, 1, 3, 0, 'o', P, 0, 4 }, { {0xb8}, 1, 7, 0, 'v', P, 0, 4 },
	{ {0xb0}, 1, 7, 0, 'b', P, 0, 1 }, { {0xa4}, 1, 3, 0, 0, P | REP, S_CNT | S_SIDI, 4 },
	{ {0xaa}, 1, 5, 0, 0, P | REP, S_CNT | S_SIDI, 3 },
	{ {0xac}, 1, 1, 0, 0, P | REP, S_CNT | S_SIDI, 2 }, { {0xe4}, 1, 3, 0, 'b', P, 0, 4 },
	{ {0xec}, 1, 3, 0, 0, P, S_EDX, 4 },
	{ {0x6c}, 1, 3, 0, 0, P | REP, S_EDX | S_CNT | S_SIDI, 5 },
	/* ALU, shifts, multiplies, exchanges, bit tests, SSE, x87, stack, flags */
	{ {0x00}, 1, 0x3b, 'e', 0, PFX, 0, 6 }, { {0x84}, 1, 3, 'e', 0, PFX, 0, 1 },
	{ {0x8c}, 1, 1, 'e', 0, PFX, 0, 1 }, { {0xd0}, 1, 3, 'e', 0, PFX, 0, 1 },
	{ {0xc0}, 1, 1, 'e', 'b', PFX, 0, 1 }, { {0x80}, 1, 2, 'e', 'b', PFX | NO64, 0, 1 },
	{ {0x83}, 1, 0, 'e', 'b', PFX, 0, 1 }, { {0x81}, 1, 0, 'e', 'z', PFX, 0, 1 },
	{ {0x69}, 1, 0, 'e', 'z', PFX, 0, 1 }, { {0x6b}, 1, 0, 'e', 'b', PFX, 0, 1 },
	{ {0xf6}, 1, 0, '0', 'b', PFX, 0, 1 }, { {0xf7}, 1, 0, '0', 'z', PFX, 0, 1 },
	{ {0xf7}, 1, 0, '6', 0, PFX, 0, 1 }, { {0xf6}, 1, 1, '4', 0, PFX, 0, 1 },
	{ {0xfe}, 1, 1, '1', 0, PFX, 0, 1 }, { {0xff}, 1, 0, '6', 0, PFX, 0, 1 },
	{ {0x0f, 0xaf}, 2, 0, 'e', 0, PFX, 0, 1 }, { {0x0f, 0xa3}, 2, 0x18, 'e', 0, PFX, 0, 1 },
	{ {0x0f, 0xbc}, 2, 1, 'e', 0, PFX, 0, 1 }, { {0x0f, 0xb0}, 2, 1, 'e', 0, PFX, 0, 1 },
	{ {0x0f, 0xc0}, 2, 1, 'e', 0, PFX, 0, 1 }, { {0x0f, 0x40}, 2, 0x1f, 'e', 0, PFX, 0, 2 },
	{ {0x0f, 0x90}, 2, 15, 'e', 0, PFX, 0, 1 }, { {0x0f, 0xa4}, 2, 8, 'e', 'b', PFX, 0, 1 },
	{ {0x0f, 0xba}, 2, 0, 'e', 'b', PFX, 0, 1 }, { {0x0f, 0x10}, 2, 1, 'e', 0, PFX, 0, 1 },
	{ {0x0f, 0x28}, 2, 1, 'e', 0, PFX, 0, 1 }, { {0x0f, 0x6e}, 2, 0x11, 'e', 0, PFX, 0, 2 },
	{ {0x0f, 0xc3}, 2, 0, 'm', 0, PFX, 0, 1 }, { {0xd8}, 1, 7, 'e', 0, PFX, 0, 2 },
	{ {0x50}, 1, 15, 0, 0, PFX, 0, 1 }, { {0x68}, 1, 0, 0, 'z', PFX, 0, 1 },
	{ {0x6a}, 1, 0, 0, 'b', PFX, 0, 1 }, { {0x98}, 1, 1, 0, 0, PFX, 0, 1 },
	{ {0x9e}, 1, 1, 0, 0, PFX, 0, 1 }, { {0xf8}, 1, 5, 0, 0, PFX, 0, 1 },
	{ {0xc9}, 1, 0, 0, 0, PFX, 0, 1 }, { {0xd7}, 1, 0, 0, 0, PFX, 0, 1 },
	/*
	 * MOV CRn (CR8 with REX.R), MOV DRn, RDMSR, WRMSR, CPUID, XGETBV,
	 * XSETBV, VMMCALL, VMCALL; groups 7 (LGDT, LIDT, INVLPG, LMSW, SVM
	 * and VMX, SWAPGS...), 6 (LLDT, LTR, VERR...), 15 (FXSAVE, XRSTOR...)
	 * and 9 (VMPTRLD, RDRAND...); VMREAD/VMWRITE, SYSCALL, CLTS, SYSRET,
	 * SYSENTER, SYSEXIT, INVD, WBINVD, RDTSC, RDPMC, RSM; INT n, INT3,
	 * INTO, INT1, IRET(Q), HLT, CLI, STI, PUSHF, POPF; segment loads
	 */
	{ {0x0f, 0x20}, 2, 0, 'c', 0, 0, 0, 2 }, { {0x0f, 0x22}, 2, 0, 'c', 0, 0, S_VAL, 5 },
	{ {0x44, 0x0f, 0x20}, 3, 0, 'R', 0, ONLY64, 0, 1 },
	{ {0x44, 0x0f, 0x22}, 3, 0, 'R', 0, ONLY64 | NOSVM, S_VAL, 1 },
	{ {0x0f, 0x21}, 2, 0, 'd', 0, 0, 0, 1 }, { {0x0f, 0x23}, 2, 0, 'd', 0, 0, S_VAL, 3 },
	{ {0x0f, 0x32}, 2, 0, 0, 0, 0, S_MSR, 4 },
	{ {0x0f, 0x30}, 2, 0, 0, 0, 0, S_MSR | S_VAL | S_EDX, 4 },
	{ {0x0f, 0xa2}, 2, 0, 0, 0, 0, S_LEAF, 4 }, { {0x0f, 0x01, 0xd0}, 3, 1, 0, 0, 0, S_XCR, 4 },
	{ {0x0f, 0x01, 0xd9}, 3, 0, 0, 0, 0, 0, 3 }, { {0x0f, 0x01, 0xc1}, 3, 0, 0, 0, 0, 0, 3 },
	{ {0x0f, 0x01}, 2, 0, 'e', 0, 0, 0, 6 }, { {0x0f, 0x00}, 2, 0, 'e', 0, 0, 0, 2 },
	{ {0x0f, 0xae}, 2, 0, 'e', 0, 0, 0, 2 }, { {0x0f, 0xc7}, 2, 0, 'e', 0, PFX, 0, 1 },
	{ {0x0f, 0x78}, 2, 1, 'e', 0, 0, 0, 1 }, { {0x0f, 0x04}, 2, 3, 0, 0, 0, 0, 3 },
	{ {0x0f, 0x34}, 2, 1, 0, 0, 0, 0, 2 }, { {0x0f, 0x08}, 2, 1, 0, 0, 0, 0, 1 },
	{ {0x0f, 0x31}, 2, 2, 0, 0, 0, 0, 1 }, { {0x0f, 0xaa}, 2, 0, 0, 0, 0, 0, 1 },
	{ {0xcd}, 1, 0, 0, 'b', 0, 0, 4 }, { {0xcc}, 1, 2, 0, 0, NO64, 0, 1 },
	{ {0xf1}, 1, 0, 0, 0, 0, 0, 1 }, { {0xcf}, 1, 0, 0, 0, 0, 0, 3 },
	{ {0x48, 0xcf}, 2, 0, 0, 0, ONLY64, 0, 2 }, { {0xf4}, 1, 0, 0, 0, 0, 0, 1 },
	{ {0xfa}, 1, 1, 0, 0, 0, 0, 2 }, { {0x9c}, 1, 1, 0, 0, 0, 0, 2 },
	{ {0x8e}, 1, 0, 'e', 0, 0, 0, 2 }, { {0x17}, 1, 0, 0, 0, NO64, 0, 1 },
	{ {0x0f, 0xb2}, 2, 0, 'm', 0, 0, 0, 1 }, { {0x0f, 0xb4}, 2, 1, 'm', 0, 0, 0, 1 },
	{ {0xc4}, 1, 1, 'm', 0, NO64, 0, 1 },
};

static const uint32_t msr_list[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0x10b, 0x174, 0x175, 0x176, 0x1d9,
	0x1a0, 0x277, 0x2ff, 0x480, 0x6e0, 0x802, 0x830, 0xc0000080,
	0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100, 0xc0000101,
	0xc0000102, 0xc0000103, 0xc0010015, 0xc0010114, 0xc0010117,
};
static const uint32_t cr_values[] = {
	0x80000011, 0x80000031, 0x11, 0x60000011, 0x80010033, 0x20, 0x6b0,
	0x6f0, 0x10, 0x3000, 0x400, 0x2ff,
};
static const uint16_t ports[] = {
	0x20, 0x21, 0x40, 0x43, 0x60, 0x64, 0x70, 0x71, 0x80, 0x92, 0xcf8,
	0xcfc, 0x3f8, 0x3fd, 0x510, 0x1000, 0xf4, 0xe9,
};

struct gen {
	uint8_t *b;
	unsigned int n, bits;		/* bytes so far; CS's default size */
	bool lm;			/* long mode: CR4 writes keep PAE */
};

static void put(struct gen *g, uint64_t v, unsigned int bytes)
{
	while (bytes--) {
		g->b[g->n++] = v;
		v >>= 8;
	}
}

/* mov r32, imm32, in any mode: one instruction */
static unsigned int mov32(struct gen *g, unsigned int reg, uint32_t v)
{
	if (g->bits == 16)
		put(g, 0x66, 1);
	put(g, 0xb8 + reg, 1);
	put(g, v, 4);
	return 1;
}

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* One biased instruction and its set-up: returns how many it emitted. */
static unsigned int gen_insn(struct gen *g)
{
	unsigned int i, k, total = 0, osz, asz, reg, rm, mod, n = 1;
	bool o16 = false, a16 = false, digit;
	uint32_t v, msr = 0;
	const struct op *op;
	uint8_t rex = 0;

	for (i = 0; i < ARRAY_LEN(ops); i++)
		total += ops[i].weight;
	do {
		for (k = rs_rnd() % total, op = ops; k >= op->weight; op++)
			k -= op->weight;
	} while ((op->flags & NO64 && g->bits == 64) ||
		 (op->flags & ONLY64 && g->bits != 64) || (op->flags & NOSVM && is_svm));

	/* ModRM first: set-up values depend on it */
	digit = op->modrm >= '0' && op->modrm <= '7';
	reg = digit ? op->modrm - '0' : op->modrm == 'R' ? 0 :
	      op->modrm == 'c' ? (uint8_t[]){ 0, 2, 3, 4 }[rs_rnd() % 4] : rs_rnd() % 8;
	rm = rs_rnd() % 8;
	mod = op->modrm == 'm' ? rs_rnd() % 3 : op->modrm == 'e' || digit ? rs_rnd() % 4 : 3;
	if (op->setup & S_MSR) {
		msr = rs_rnd() % 8 ? msr_list[rs_rnd() % ARRAY_LEN(msr_list)] : rs_rnd();
		n += mov32(g, RCX, msr);
	}
	if (op->setup & (S_CNT | S_LEAF))
		n += mov32(g, RCX, rs_rnd() % 4 ? rs_rnd() % 16 : rs_rnd() % 8192);
	if (op->setup & S_LEAF)
		n += mov32(g, RAX, (uint32_t[]){ 0, 1, 7, 0xb, 0xd, 0x40000000,
			0x80000000, 0x80000001, 0x80000008, rs_rnd() }[rs_rnd() % 10]);
	if (op->setup & S_VAL) {
		v = rs_rnd() & 1 ? cr_values[rs_rnd() % ARRAY_LEN(cr_values)] : addr_value();
		v ^= rs_rnd() % 4 ? 0 : 1u << (rs_rnd() % 32);
		if (is_svm && op->modrm == 'd' && (reg | 2) == 7)
			v &= ~0xffu;			/* DR7 or DR5: see qemu_safe() */
		if (is_svm && op->modrm == 'c' && reg == 4 && g->lm)
			v |= X86_CR4_PAE;
		if (is_svm && msr == MSR_EFER)
			v &= ~EFER_LME;
		n += mov32(g, RAX, v);
		rm = RAX;
	}
	if (op->setup & S_EDX)
		n += mov32(g, RDX, rs_rnd() & 1 ? ports[rs_rnd() % ARRAY_LEN(ports)] :
						  addr_value());
	for (i = 0; i < 2 && (op->setup & S_SIDI); i++)
		if (rs_rnd() & 1)
			n += mov32(g, i ? RDI : RSI, addr_value());
	if (op->setup & S_XCR) {
		n += mov32(g, RCX, rs_rnd() % 4 ? 0 : rs_rnd() % 3);
		n += mov32(g, RAX, (uint32_t[]){ 1, 3, 7, 0xe7, 2, 0 }[rs_rnd() % 6]);
		n += mov32(g, RDX, 0);
	}

	/* prefixes: REP, legacy ones (none changes a length here), REX */
	if (op->flags & REP && rs_rnd() % 3)
		put(g, rs_rnd() & 1 ? 0xf3 : 0xf2, 1);
	for (i = op->flags & PFX && !(rs_rnd() % 3) ? 1 + rs_rnd() % 2 : 0; i; i--) {
		uint8_t p = (uint8_t[]){ 0x66, 0x67, 0x2e, 0x36, 0x3e, 0x26, 0x64,
					 0x65, 0xf0 }[rs_rnd() % (is_svm && mod == 3 ? 8 : 9)];

		put(g, p, 1);
		o16 |= p == 0x66;
		a16 |= p == 0x67;
	}
	if (op->flags & PFX && g->bits == 64 && (rs_rnd() & 1))
		put(g, rex = 0x40 | (rs_rnd() & 15), 1);
	osz = rex & 8 ? 64 : (g->bits == 16) != o16 ? 16 : 32;
	asz = g->bits == 64 ? (a16 ? 32 : 64) : (g->bits == 16) != a16 ? 16 : 32;

	memcpy(g->b + g->n, op->b, op->n);
	g->n += op->n;
	g->b[g->n - 1] |= rs_rnd() & op->lo;
	v = op->flags & MMIO ? addr_value() : rs_rnd() % HIGH_END;	/* disp */
	if (op->modrm)
		put(g, mod << 6 | (reg & 7) << 3 | rm, 1);
	if (op->modrm && mod != 3 && asz == 16) {
		put(g, v, mod == 1 ? 1 : mod == 2 || rm == 6 ? 2 : 0);
	} else if (op->modrm && mod != 3) {
		if (rm == 4)
			put(g, rs_rnd(), 1);	/* SIB */
		put(g, v, mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ||
			  (rm == 4 && mod == 0 && (g->b[g->n - 1] & 7) == 5) ? 4 : 0);
	}
	if (op->imm == 'b')
		put(g, rs_rnd(), 1);
	else if (op->imm)
		put(g, addr_value(), op->imm == 'o' ? asz / 8 :
			op->imm == 'v' ? osz / 8 : osz == 16 ? 2 : 4);
	return n;
}

/* The program at H_CODE: biased or random bytes, then the sentinel. */
static void gen_program(struct thread *t)
{
	struct gen g = { .b = t->code, .bits = mode_bits[t->mode],
			 .lm = t->mode >= M_LONG };
	unsigned int want = 1 + rs_rnd() % (t->biased ? 24 : 48);

	t->ninsns = 0;
	while (t->biased ? t->ninsns < want && g.n < CODE_MAX - 64 : g.n < want) {
		if (t->biased)
			t->ninsns += gen_insn(&g);
		else
			put(&g, rs_rnd(), 1);
	}
	t->sentinel = g.n;
	put(&g, SENTINEL_PORT << 8 | 0xe6, 2);
	put(&g, 0xfdebf4, 3);			/* hlt; jmp .-1 */
	t->len = g.n;
}

/* ---- the vCPU's home and state ---- */

static uint64_t desc(uint32_t base, uint32_t limit, uint16_t attr)
{
	if (attr & RS_SEG_G)
		limit >>= 12;
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(attr & 0xff) << 40 | (uint64_t)(limit >> 16 & 0xf) << 48 |
	       (uint64_t)(attr >> 8 & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void seg(struct rs_segment *s, uint16_t sel, uint16_t attr,
		uint64_t base, uint32_t limit)
{
	*s = (struct rs_segment){ .base = base, .limit = limit,
				  .selector = sel, .attr = attr };
}

static uint64_t canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16);
}

/*
 * GDT (random past SEL_CODE64_U), IDT, TSS, page tables, handlers, stack
 * and code, the rest random.  Faults end in a handler's HLT (8 bytes per
 * vector at H_STUBS), other vectors return with IRET; SYSCALL and
 * SYSENTER land on a HLT.
 */
static void build_home(struct thread *t, uint64_t home, bool lm)
{
	uint64_t *q = (uint64_t *)t->home, stubs = home + H_STUBS, h, dpl;
	unsigned int i, v;

	for (i = 0; i < HOME_SIZE / 8; i++)
		q[i] = rs_rnd();
	memcpy(t->home + H_CODE, t->code, t->len);
	q[0] = 0;
	q[SEL_CODE64 / 8] = desc(0, ~0u, A_CODE | RS_SEG_L | RS_SEG_G);
	q[SEL_DATA / 8] = desc(0, ~0u, A_DATA | A_FLAT);
	q[SEL_CODE32 / 8] = desc(0, ~0u, A_CODE | A_FLAT);
	q[SEL_CODE16 / 8] = desc(home + H_CODE, 0xffff, A_CODE);
	q[SEL_TSS / 8] = desc(home + H_TSS, TSS_LIMIT, RS_SEG_TYPE(0xb) | RS_SEG_P);
	q[SEL_TSS / 8 + 1] = 0;
	q[SEL_DATA16 / 8] = desc(home, 0xffff, A_DATA);
	q[SEL_CODE32_U / 8] = desc(0, ~0u, A_CODE | A_FLAT | RS_SEG_DPL(3));
	q[SEL_DATA_U / 8] = desc(0, ~0u, A_DATA | A_FLAT | RS_SEG_DPL(3));
	q[SEL_CODE64_U / 8] = desc(0, ~0u, A_CODE | RS_SEG_L | RS_SEG_G | RS_SEG_DPL(3));

	for (v = 0; v < 256; v++) {
		h = stubs + 8 * v;
		dpl = v == 3 || v == 4 || v == 0x80 ? 3 : 0;
		if (v < 32 && (v < 1 || v > 4))
			memcpy(t->home + H_STUBS + 8 * v, "\xf4\xeb\xfd", 3);
		else
			memcpy(t->home + H_STUBS + 8 * v, lm ? "\x48\xcf" : "\xcf", 2);
		if (t->mode == M_REAL)
			((uint32_t *)(t->home + H_IDT))[v] = (stubs >> 4) << 16 | 8 * v;
		else
			q[H_IDT / 8 + (lm ? 2 * v : v)] = (h & 0xffff) | (h >> 16 & 0xffff) << 48 |
				(uint64_t)(lm ? SEL_CODE64 : SEL_CODE32) << 16 | (0x8e | dpl << 5) << 40;
		if (lm)
			q[H_IDT / 8 + 2 * v + 1] = h >> 32;
	}
	memcpy(t->home + H_LANDING, "\xf4\xeb\xfd", 3);

	/* TSS: the stack for CPL 0 (and SS0 outside long mode), I/O bitmap */
	memset(t->home + H_TSS, 0, 0x68);
	*(uint32_t *)(t->home + H_TSS + 4) = home + H_STACK;
	*(uint32_t *)(t->home + H_TSS + 8) = lm ? 0 : SEL_DATA;
	*(uint16_t *)(t->home + H_TSS + 0x66) = TSS_IOMAP;

	/* identity maps of 4 GiB: 4-level, PAE, 32-bit with 4 MiB pages */
	memset(t->home + H_PML4, 0, 0x2000);
	q[H_PML4 / 8] = home + H_PML4 + 0x1000 + 7;
	for (i = 0; i < 4; i++) {
		q[H_PML4 / 8 + 512 + i] = home + H_PD + i * 0x1000 + 7;
		q[H_PAE_PDPT / 8 + i] = home + H_PD + i * 0x1000 + 1;
	}
	for (i = 0; i < 2048; i++)
		q[H_PD / 8 + i] = (uint64_t)i << 21 | 0x87;
	for (i = 0; i < 1024; i++)
		((uint32_t *)(t->home + H_PD32))[i] = i << 22 | 0x87;
}

static void build_state(struct thread *t)
{
	uint64_t home = HOME(t->index), code = home + H_CODE;
	struct rs_sregs *s = &t->s;
	struct rs_regs *r = &t->r;
	bool lm = t->mode >= M_LONG;
	uint16_t u = t->cpl3 ? RS_SEG_DPL(3) : 0, ds = u ? SEL_DATA_U : SEL_DATA, a, b;
	unsigned int i;

	build_home(t, home, lm);
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 16; i++)
		(&r->rax)[i] = rs_rnd() % 4 ? rs_rnd() % HIGH_END : addr_value();
	/* IF, DF, AC, TF, NT, IOPL */
	r->rflags = 2 | (rs_rnd() & 1) << 9 | (rs_rnd() % 8 ? 0 : 1 << 10) |
		    (rs_rnd() % 8 ? 0 : 1 << 18) | (rs_rnd() % 32 ? 0 : 1 << 8) |
		    (rs_rnd() % 32 ? 0 : 1 << 14) |
		    (u || rs_rnd() % 8 == 0 ? (rs_rnd() % 4) << 12 : 0);

	s->gdt = (struct rs_dtable){ .base = home, .limit = 0xfff };
	s->idt = (struct rs_dtable){ .base = home + H_IDT,
				     .limit = lm ? 0xfff : t->mode ? 0x7ff : 0x3ff };
	seg(&s->tr, SEL_TSS, RS_SEG_TYPE(0xb) | RS_SEG_P, home + H_TSS, TSS_LIMIT);
	s->cr0 = X86_CR0_ET | X86_CR0_PE;
	for (i = 0; i < 4; i++)		/* MP, NE, WP, AM mostly; TS, EM, CD, NW */
		s->cr0 |= rs_rnd() % 4 ? (uint64_t[]){ 2, 32, 1 << 16, 1 << 18 }[i] : 0;
	s->cr0 |= rs_rnd() % 16 ? 0 : X86_CR0_TS | (rs_rnd() & 1 ? X86_CR0_EM : 0);
	s->cr0 |= rs_rnd() % 16 ? 0 : 1ULL << 30 | (rs_rnd() & 1 ? 1ULL << 29 : 0);
	s->cr4 = (rs_rnd() % 4 ? X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT : 0) |
		 (rs_rnd() & (X86_CR4_PGE | 0x14f)) |	/* PCE PGE MCE DE TSD PVI VME */
		 (rs_rnd() % 4 ? 0 : rs_rnd() & cr4_extra);
	s->cr3 = home + H_PD32;
	s->efer = rs_rnd() & (EFER_SCE | EFER_NX);

	if (t->mode <= M_VM86) {		/* real-mode segments */
		struct rs_segment *d[] = { &s->ds, &s->es, &s->fs, &s->gs };

		a = t->mode == M_VM86 ? A_DATA | RS_SEG_DPL(3) : A_DATA;
		seg(&s->cs, code >> 4, t->mode == M_VM86 ? a : A_CODE, code, 0xffff);
		seg(&s->ss, home >> 4, a, home, 0xffff);
		for (i = 0; i < 4; i++) {
			b = (uint16_t[]){ 0, home >> 4, 0xa000, 0xb800, 0xc000,
					  0xf000, rs_rnd() }[rs_rnd() % 7];
			seg(d[i], b, a, (uint32_t)b << 4, 0xffff);
		}
		if (t->mode == M_REAL)
			s->cr0 &= ~X86_CR0_PE;
		else
			r->rflags |= 1 << 17;	/* VM */
		r->rsp = H_STACK;
		return;
	}
	if (t->mode == M_PROT16) {
		seg(&s->cs, SEL_CODE16, A_CODE, code, 0xffff);
		seg(&s->ss, SEL_DATA16, A_DATA, home, 0xffff);
		r->rsp = H_STACK;
	} else {
		if (t->mode == M_LONG)
			seg(&s->cs, u ? SEL_CODE64_U : SEL_CODE64,
			    A_CODE | u | RS_SEG_L | RS_SEG_G, 0, ~0u);
		else
			seg(&s->cs, u ? SEL_CODE32_U : SEL_CODE32, A_CODE | u | A_FLAT, 0, ~0u);
		seg(&s->ss, ds, A_DATA | A_FLAT | u, 0, ~0u);
		r->rip = code;
		r->rsp = home + H_STACK;
	}
	seg(&s->ds, ds, A_DATA | A_FLAT | u, 0, ~0u);
	s->es = s->fs = s->gs = s->ds;
	s->fs.base = lm ? canonical(addr_value()) : (uint32_t)addr_value();
	s->gs.base = lm ? canonical(addr_value()) : (uint32_t)addr_value();
	if (t->mode >= M_PSE) {
		s->cr0 |= X86_CR0_PG;
		s->cr4 |= t->mode == M_PSE ? 1 << 4 : X86_CR4_PAE;
		s->cr3 = home + (t->mode == M_PSE ? H_PD32 : lm ? H_PML4 : H_PAE_PDPT);
	}
	if (lm)
		s->efer |= EFER_LME | EFER_LMA;
}

/* ---- reporting ---- */

static void dump_state(const struct rs_sregs *s, const struct rs_regs *r)
{
	const struct rs_segment *sg = &s->cs;
	unsigned int i;

	fprintf(stderr, "#   cr0 %llx cr2 %llx cr3 %llx cr4 %llx cr8 %llx efer %llx gdt %llx/%x idt %llx/%x\n#  ",
		s->cr0, s->cr2, s->cr3, s->cr4, s->cr8, s->efer,
		s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit);
	for (i = 0; i < 8; i++)		/* cs ds es fs gs ss tr ldt */
		fprintf(stderr, " %.2s %x/%llx/%x/%x", "csdsesfsgssstrld" + 2 * i,
			sg[i].selector, sg[i].base, sg[i].limit, sg[i].attr);
	fprintf(stderr, "\n#   rip %llx rflags %llx gprs", r->rip, r->rflags);
	for (i = 0; i < 16; i++)
		fprintf(stderr, " %llx", (&r->rax)[i]);
	fprintf(stderr, "\n");
}

/* The program and the state it started from, to replay; under log_lock. */
static void dump_program(struct thread *t)
{
	unsigned int i;

	fprintf(stderr, "#   RS_SEED=%#llx RS_FUZZ_REPLAY=%u:%lu: %s cpl%d %s%s, %u instructions, %u bytes:\n#  ",
		(unsigned long long)seed, t->index, t->n, mode_name[t->mode],
		t->cpl3 ? 3 : 0, t->biased ? "biased" : "random",
		t->perturbed ? " perturbed" : "", t->ninsns, t->sentinel);
	for (i = 0; i < t->len; i++)
		fprintf(stderr, " %02x%s", t->code[i],
			i % 32 == 31 && i + 1 < t->len ? "\n#  " : "");
	fprintf(stderr, "\n");
	dump_state(&t->s, &t->r);
}

static void __attribute__((format(printf, 2, 3)))
fail(struct thread *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	pthread_mutex_lock(&log_lock);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n#   vCPU %u program %lu; %s\n", t->index, t->n,
		rs_exit_describe(t->vcpu, buf, sizeof(buf)));
	dump_program(t);
	failed = 1;
	pthread_mutex_unlock(&log_lock);
}

/* ---- running ---- */

static void inject(struct thread *t)
{
	struct rs_event ev = { .type = RS_EVENT_EXCEPTION };
	unsigned int k = rs_rnd() % 8;

	if (k == 0) {
		rs_fuzz_event(&ev);		/* anything, valid or not */
	} else if (k < 3) {
		ev.type = RS_EVENT_NMI;
		ev.vector = 2;
	} else if (k < 6) {
		ev.type = RS_EVENT_EXTINT;
		ev.vector = rs_rnd() % 4 ? 32 + rs_rnd() % 224 : rs_rnd() % 256;
	} else {
		ev.vector = rs_rnd() % (is_svm ? 31 : 32) ?: 1;	/* see qemu_safe() */
		ev.vector += ev.vector == 2;
		if (0x60227d00u >> ev.vector & 1) {	/* pushes an error code */
			ev.flags = RS_EVENT_HAS_ERROR_CODE;
			ev.error_code = rs_rnd() & 1 ? rs_rnd() & 0xfffc : rs_rnd();
		}
	}
	if (!ioctl(t->vcpu->fd, RS_INJECT_EVENT, &ev))
		t->st.injected++;
	else if (errno == EBUSY)
		t->st.inject_busy++;
	else if (k || errno != EINVAL)
		fail(t, "# RS_INJECT_EVENT type %u vector %u flags %u: %s",
		     ev.type, ev.vector, ev.flags, strerror(errno));
}

/*
 * RS_RUN, bounded by the thread's timer; checks the exit and answers
 * reads with random data.  Returns whether the program goes on.
 */
static bool run_once(struct thread *t, bool window)
{
	/*
	 * Periodic: a signal that comes before the thread is in RS_RUN (a
	 * host that stalls for RUN_MS between the two calls) is handled in
	 * user space, and a guest that loops without exits would then
	 * never be stopped.
	 */
	struct itimerspec on = { .it_value.tv_nsec = RUN_MS * 1000000L,
				 .it_interval.tv_nsec = RUN_MS * 1000000L }, off = {};
	struct rs_run *run = t->vcpu->run;
	uint64_t a = run->mmio.phys_addr, end;
	unsigned int i, x;
	struct rs_sregs s;
	struct rs_regs r;
	int ret, err;

	timer_settime(t->timer, 0, &on, NULL);
	t->run_since = time(NULL);
	ret = ioctl(t->vcpu->fd, RS_RUN, 0);
	err = errno;
	t->run_since = 0;
	timer_settime(t->timer, 0, &off, NULL);
	t->st.runs++;
	x = run->exit_reason;
	if (ret) {
		if (ret != -1 || err != EINTR || x != RS_EXIT_INTR)
			fail(t, "# RS_RUN returned %d (%s), exit reason %u", ret, strerror(err), x);
		t->st.exits[RS_EXIT_INTR]++;
		return ++t->eintr < 3;		/* a loop, or a slow host? */
	}
	if (x > RS_EXIT_INTERNAL_ERROR || x == RS_EXIT_NONE || x == RS_EXIT_INTR) {
		fail(t, "# RS_RUN returned 0 with exit reason %u", x);
		return false;
	}
	t->st.exits[x]++;
	a = run->mmio.phys_addr;
	end = a + run->mmio.len - 1;
	switch (x) {
	case RS_EXIT_IO:
		if (run->io.direction > RS_IO_OUT || !run->io.count ||
		    (run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
		    run->io.data_offset < sizeof(*run) || run->io.data_offset +
		    (uint64_t)run->io.size * run->io.count > (uint64_t)t->vcpu->vm->run_size)
			fail(t, "# bad IO exit: dir %u size %u count %u offset %llu",
			     run->io.direction, run->io.size, run->io.count, run->io.data_offset);
		for (i = 0; run->io.direction == RS_IO_IN && i < run->io.size * run->io.count; i++)
			((uint8_t *)rs_io_data(t->vcpu))[i] = rs_rnd();
		return !failed && run->io.port != SENTINEL_PORT;
	case RS_EXIT_MMIO:
		/* RAM never exits, the ROM only for writes */
		if (!run->mmio.len || run->mmio.len > 8 || run->mmio.is_write > 1 ||
		    end < LOW_END || (a >= HIGH && end < HIGH_END) ||
		    (a >= ROM && end < ROM + ROM_SIZE && (!has_ro || !run->mmio.is_write)))
			fail(t, "# bad MMIO exit: %s %#llx len %u",
			     run->mmio.is_write ? "write" : "read",
			     (unsigned long long)a, run->mmio.len);
		for (i = 0; i < 8 && !run->mmio.is_write; i++)
			run->mmio.data[i] = rs_rnd();
		return !failed;
	case RS_EXIT_IRQ_WINDOW:
		if (!window)
			fail(t, "# an interrupt window nobody asked for");
		break;
	case RS_EXIT_INTERNAL_ERROR:
		if ((run->internal.suberror != RS_INTERNAL_UNHANDLED_EXIT &&
		     run->internal.suberror != RS_INTERNAL_EMULATION &&
		     run->internal.suberror != RS_INTERNAL_LOST_STATE &&
		     run->internal.suberror != RS_INTERNAL_DELIVERY) || run->internal.ndata > 8)
			fail(t, "# internal error %u, ndata %u", run->internal.suberror,
			     run->internal.ndata);
		t->st.emulation += run->internal.suberror == RS_INTERNAL_EMULATION;
		/* QEMU's second #VMEXIT (Documentation/testing.rst), not ringside's. */
		t->st.lost_state += run->internal.suberror == RS_INTERNAL_LOST_STATE;
		break;
	case RS_EXIT_FAIL_ENTRY:
		/*
		 * From a valid state: under QEMU, its own quirks (qemu_safe());
		 * on VMX, where nothing the guest does may fail an entry, a bug
		 * of ringside's (an event the guest cannot take, say).
		 */
		if (!t->perturbed && !is_svm)
			fail(t, "# FAIL_ENTRY %#llx/%#llx from a valid state",
			     run->fail_entry.hardware_reason, run->fail_entry.qualification);
		else if (!t->perturbed && t->st.fail_entry_valid++ < 2) {
			rs_vcpu_sregs_get(t->vcpu, &s);
			rs_vcpu_regs_get(t->vcpu, &r);
			pthread_mutex_lock(&log_lock);
			fprintf(stderr, "# FAIL_ENTRY %#llx/%#llx from a valid state; state now, program:\n",
				run->fail_entry.hardware_reason, run->fail_entry.qualification);
			dump_state(&s, &r);
			dump_program(t);
			pthread_mutex_unlock(&log_lock);
		}
		break;
	}
	return false;			/* HLT, SHUTDOWN, HYPERCALL... */
}

/* Where the program's end left the vCPU: guest state, or the host's? */
static void check_end(struct thread *t)
{
	uint64_t lin, home = HOME(t->index);
	struct rs_run *run = t->vcpu->run;
	struct rs_sregs s;
	struct rs_regs r;

	rs_vcpu_sregs_get(t->vcpu, &s);
	rs_vcpu_regs_get(t->vcpu, &r);
	lin = (s.efer & EFER_LMA) && (s.cs.attr & RS_SEG_L) ? r.rip : (uint32_t)(s.cs.base + r.rip);
	if (rs_in_host_text(r.rip) || rs_in_host_text(lin) || rs_in_host_text(s.cs.base))
		fail(t, "# the vCPU is in the host's code: rip %#llx cs.base %#llx cr3 %#llx",
		     r.rip, s.cs.base, s.cr3);
	/*
	 * A biased program has no relative branch, and its other ways
	 * elsewhere (IRET, far loads, SYSCALL/SYSENTER/SYSRET, faults) do not
	 * come back to its end, but for INT n and #DB traps through a
	 * handler's IRET, or code that rewrites itself.  So if its sentinel
	 * exited, each of its instructions ran once.
	 */
	if (run->exit_reason == RS_EXIT_IO && run->io.port == SENTINEL_PORT &&
	    lin == home + H_CODE + t->sentinel + 2) {
		t->st.reached[t->perturbed ? 2 : !t->biased]++;
		if (t->biased && !t->perturbed)
			t->st.insns += t->ninsns + 1;
	}
}

static void set_state(struct thread *t)
{
	uint64_t home = HOME(t->index);
	struct rs_msr_entry e[8] = {
		{ MSR_STAR, 0, 0x0043000800000000ULL | (uint32_t)rs_rnd() },
		{ MSR_LSTAR, 0, home + H_LANDING }, { MSR_CSTAR, 0, home + H_LANDING },
		{ MSR_SYSCALL_MASK, 0, rs_rnd() & 0x47fd5 },
		{ MSR_IA32_SYSENTER_CS, 0, t->mode >= M_LONG ? SEL_CODE64 : SEL_CODE32 },
		{ MSR_IA32_SYSENTER_ESP, 0, home + H_STACK },
		{ MSR_IA32_SYSENTER_EIP, 0, home + H_LANDING },
		{ MSR_KERNEL_GS_BASE, 0, canonical(addr_value()) },
	};
	struct rs_msrs m = { .nmsrs = 8, .entries = (uint64_t)e };
	struct rs_sregs s;
	struct rs_regs r;
	int n;

	qemu_safe(&t->s, NULL, 0);
	if (ioctl(t->vcpu->fd, RS_SET_SREGS, &t->s) || ioctl(t->vcpu->fd, RS_SET_REGS, &t->r) ||
	    ioctl(t->vcpu->fd, RS_SET_MSRS, &m) != 8) {
		fail(t, "# a valid state refused: %s", strerror(errno));
		return;
	}
	if (!t->perturbed)
		return;
	s = t->s;
	r = t->r;
	rs_fuzz_mutate_sregs(&s, HIGH_END);
	rs_fuzz_mutate_regs(&r, HIGH_END);
	m.nmsrs = rs_fuzz_msrs(e, 4);
	qemu_safe(&s, e, m.nmsrs);
	if (ioctl(t->vcpu->fd, RS_SET_SREGS, &s))
		t->st.refused++;
	else
		t->s = s;
	if (ioctl(t->vcpu->fd, RS_SET_REGS, &r))
		t->st.refused++;
	else
		t->r = r;
	n = ioctl(t->vcpu->fd, RS_SET_MSRS, &m);
	if (n < 0 || n > (int)m.nmsrs)
		fail(t, "# RS_SET_MSRS: %d (%s)", n, strerror(errno));
}

static void program(struct thread *t, unsigned long n)
{
	uint64_t x = seed ^ (uint64_t)t->index << 56 ^ n * 0x9e3779b97f4a7c15ULL;
	bool log = replay_vcpu >= 0 || (verbose_from >= 0 && (long)n >= verbose_from);
	struct rs_run *run = t->vcpu->run;
	bool window, more = true;
	unsigned int i;
	char buf[256];

	x = (x ^ x >> 31) * 0xbf58476d1ce4e5b9ULL;	/* splitmix64's mix */
	rs_rng_seed(x ^ x >> 29);
	t->n = n;
	t->eintr = 0;
	t->mode = rs_rnd() % NR_MODES;
	t->cpl3 = t->mode >= M_PROT && rs_rnd() % 5 == 0;
	t->biased = rs_rnd() % 4;
	t->perturbed = rs_rnd() % 4 == 0;
	gen_program(t);
	build_state(t);
	set_state(t);
	window = rs_rnd() % 16 == 0;
	run->request_interrupt_window = window;
	if (log) {
		pthread_mutex_lock(&log_lock);
		fprintf(stderr, "# program:\n");
		dump_program(t);
		pthread_mutex_unlock(&log_lock);
	}
	for (i = 0; i < MAX_RUNS && more && !failed; i++) {
		if (rs_rnd() % 8 == 0)
			inject(t);
		more = run_once(t, window);
		if (replay_vcpu >= 0)
			fprintf(stderr, "#   run %u: %s\n", i,
				rs_exit_describe(t->vcpu, buf, sizeof(buf)));
	}
	if (!failed)
		check_end(t);
	if (log)
		fprintf(stderr, "#   -> vCPU %u program %lu: %u runs, %s\n", t->index,
			n, i, rs_exit_describe(t->vcpu, buf, sizeof(buf)));
	run->request_interrupt_window = 0;
	/*
	 * An IN, MMIO access or hypercall completes now, not in the next
	 * program.  Completing an MMIO access may make another MMIO exit
	 * (the write of a read-modify-write, the second read of a CMPS, the
	 * next part of a split one: 4 of a 32-byte store), which completes
	 * in turn; a handful at most.
	 */
	for (i = 0; !failed && i < 8 &&
		    ((run->exit_reason == RS_EXIT_IO && run->io.direction == RS_IO_IN) ||
		     run->exit_reason == RS_EXIT_MMIO ||
		     run->exit_reason == RS_EXIT_HYPERCALL); i++) {
		bool mmio = run->exit_reason == RS_EXIT_MMIO;

		run->immediate_exit = 1;
		if (!ioctl(t->vcpu->fd, RS_RUN, 0) ?
		    run->exit_reason != RS_EXIT_INTERNAL_ERROR &&
		    !(mmio && run->exit_reason == RS_EXIT_MMIO) :
		    errno != EINTR || run->exit_reason != RS_EXIT_INTR)
			fail(t, "# RS_RUN with immediate_exit: %s, exit reason %u",
			     strerror(errno), run->exit_reason);
		run->immediate_exit = 0;
		t->st.runs++;
	}
	if (!failed && run->exit_reason == RS_EXIT_MMIO && !run->mmio.is_write)
		fail(t, "# an MMIO read still pending after %u completions", i);
	t->st.programs++;
	t->st.by_mode[t->mode]++;
	t->st.biased += t->biased;
	t->st.perturbed += t->perturbed;
}

static void on_timer(int sig)
{
}

static void *vcpu_thread(void *arg)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	struct thread *t = arg;
	unsigned long n;

	sev._sigev_un._tid = t->tid_os = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer)) {
		fail(t, "# timer_create: %s", strerror(errno));
		return NULL;
	}
	for (n = replay_vcpu >= 0 ? replay_n : 0; !failed; n++) {
		if (replay_vcpu >= 0 ? n != (unsigned long)replay_n : time(NULL) >= deadline)
			break;
		program(t, n);
	}
	timer_delete(t->timer);
	return NULL;
}

/* RS_RUN that outlives its timer by seconds: a hang, and where it is. */
static void stuck(struct thread *t)
{
	char path[64], buf[4096] = "";
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", t->tid_os);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	fail(t, "# RS_RUN did not return for %lld s; its kernel stack:\n%s",
	     (long long)(time(NULL) - t->run_since), buf);
}

static void add_ram(struct rs_vm *vm, uint32_t slot, uint32_t flags,
		    uint64_t gpa, uint64_t size)
{
	uint64_t *p = rs_vm_add_region(vm, slot, flags, gpa, size), i;

	for (i = 0; i < size / 8; i++)
		p[i] = rs_rnd();
}

static void print_totals(const struct stats *st)
{
	unsigned int i;

	fprintf(stderr, "#   %lu programs (%lu biased, %lu perturbed, %lu perturbed states refused), %lu RS_RUN calls\n#   modes:",
		st->programs, st->biased, st->perturbed, st->refused, st->runs);
	for (i = 0; i < NR_MODES; i++)
		fprintf(stderr, " %s %lu", mode_name[i], st->by_mode[i]);
	fprintf(stderr, "\n#   exits:");
	for (i = RS_EXIT_IO; i <= RS_EXIT_INTERNAL_ERROR; i++)
		fprintf(stderr, " %s %lu", rs_exit_reason_str(i), st->exits[i]);
	fprintf(stderr, " (EINTR); emulation failures %lu; states lost by the emulator %lu; FAIL_ENTRY from valid states %lu; events injected %lu (%lu EBUSY)\n",
		st->emulation, st->lost_state, st->fail_entry_valid, st->injected, st->inject_busy);
	/*
	 * "Instructions retired" counts, for biased programs started from a
	 * valid state that reached their sentinel (an IO exit of its OUT with
	 * RIP right after it), their instructions and the sentinel: each ran
	 * once (check_end()).  Programs that faulted, looped or ended
	 * otherwise, handlers, and random programs are not counted: a lower
	 * bound.
	 */
	fprintf(stderr, "#   sentinel reached: %lu biased, %lu random, %lu perturbed; instructions retired in biased programs that reached it: %lu\n",
		st->reached[0], st->reached[1], st->reached[2], st->insns);
}

TEST(guest_programs)
{
	struct sigaction sa = { .sa_handler = on_timer };
	static struct thread threads[NR_VCPUS];
	unsigned int i, j, first = 0, nr = NR_VCPUS;
	time_t since;
	struct rs_cpuid_entry *c;
	struct stats st = {};
	unsigned long tainted;
	const char *env, *splat;
	struct rs_vm *vm;
	uint32_t nent;
	size_t len;
	char *log;
	int kmsg;

	RS_REQUIRE_VM();
	seed = rs_fuzz_env_seed(0x6a09e667f3bcc908ULL);
	env = getenv("RS_FUZZ_SECONDS");
	deadline = time(NULL) + (env ? atoi(env) : 10);
	if ((env = getenv("RS_FUZZ_VERBOSE")))
		verbose_from = strtol(env, NULL, 0);
	if ((env = getenv("RS_FUZZ_REPLAY"))) {
		ASSERT_EQ(2, sscanf(env, "%ld:%ld", &replay_vcpu, &replay_n));
		ASSERT_TRUE(replay_vcpu >= 0 && replay_vcpu < NR_VCPUS);
		first = replay_vcpu;
		nr = 1;
	}
	TH_LOG("RS_SEED=%#llx, %u vCPUs", (unsigned long long)seed, nr);
	has_ro = rs_check_cap(RS_CAP_READONLY_MEM) == 1;
	is_svm = rs_check_cap(RS_CAP_SVM) == 1;
	rs_in_host_text(0);		/* reads where the host's code is */
	tainted = rs_kernel_tainted();
	kmsg = rs_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	vm = rs_vm_create_bare();
	rs_rng_seed(seed);
	add_ram(vm, 0, 0, 0, LOW_END);
	add_ram(vm, 1, has_ro ? RS_MEM_READONLY : 0, ROM, ROM_SIZE);
	add_ram(vm, 2, 0, HIGH, HIGH_END - HIGH);
	for (i = 0; i < NR_VCPUS; i++) {
		threads[i].index = i;
		threads[i].vcpu = rs_vcpu_create_bare(vm, i);
		threads[i].home = rs_gpa2hva(vm, HOME(i));
	}
	c = rs_vcpu_get_cpuid(threads[0].vcpu, &nent);	/* XSAVE: CR4.OSXSAVE */
	for (i = 0; i < nent; i++)
		cr4_extra |= c[i].function == 1 && (c[i].ecx & 1 << 26) ? X86_CR4_OSXSAVE : 0;
	free(c);

	for (i = first; i < first + nr; i++)
		ASSERT_EQ(0, pthread_create(&threads[i].tid, NULL, vcpu_thread, &threads[i]));
	for (i = first; i < first + nr; usleep(100000)) {
		if (!pthread_tryjoin_np(threads[i].tid, NULL)) {
			for (j = 0; j < sizeof(st) / sizeof(long); j++)
				((unsigned long *)&st)[j] += ((unsigned long *)&threads[i].st)[j];
			i++;
		} else if ((since = threads[i].run_since) && time(NULL) - since > 10) {
			stuck(&threads[i]);	/* the VM stays, with the thread */
			break;
		}
	}
	if (i == first + nr)
		rs_vm_free(vm);
	print_totals(&st);

	log = rs_kmsg_read(kmsg);
	splat = log ? rs_kmsg_find_splat(log, &len) : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("RS_SEED=%#llx: kernel log: %.*s",
				      (unsigned long long)seed, (int)len, splat);
	free(log);
	close(kmsg);
	EXPECT_EQ(tainted, rs_kernel_tainted());
	EXPECT_EQ(0, failed) TH_LOG("RS_SEED=%#llx", (unsigned long long)seed);
}

static void hlt_loop(void)
{
	for (;;)
		hlt();
}

/*
 * The uAPI takes #CP, #VC and #SX with an error code (AMD CPUs push one);
 * VMX refused the entry that injected one (VM-instruction error 7) and
 * kept the event, so that no RS_RUN of the vCPU ever entered again.
 */
TEST(error_code_exceptions_enter)
{
	static const uint32_t vectors[] = { 21, 29, 30 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	unsigned int i, k;
	char buf[256];

	RS_REQUIRE_VM();
	for (i = 0; i < ARRAY_LEN(vectors); i++) {
		vm = rs_vm_create_with_one_vcpu(&vcpu, hlt_loop);
		rs_vcpu_inject(vcpu, RS_EVENT_EXCEPTION, vectors[i], true, 0x10);
		for (k = 0; k < 2; k++) {	/* the handler's ucall: port I/O */
			EXPECT_EQ(0, __rs_vcpu_run(vcpu));
			EXPECT_EQ(RS_EXIT_IO, vcpu->run->exit_reason)
				TH_LOG("vector %u: %s", vectors[i],
				       rs_exit_describe(vcpu, buf, sizeof(buf)));
		}
		rs_vm_free(vm);
	}
}

int main(int argc, char **argv)
{
	const char *env = getenv("RS_FUZZ_SECONDS");

	/* The harness's 30 s would cut a longer run short. */
	_guest_programs_object.timeout = 2 * (env ? atoi(env) : 10) + 120;
	return test_harness_run(argc, argv);
}
