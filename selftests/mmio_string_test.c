// SPDX-License-Identifier: GPL-2.0
/*
 * String instructions on MMIO: MOVS, CMPS, STOS, LODS, SCAS, with and
 * without REP/REPE/REPNE, MMIO to RAM, RAM to MMIO and MMIO to MMIO,
 * upwards and (DF set) downwards, with 64- and 32-bit addresses.
 *
 * User space here is a plain memory device: MMIO reads and writes go to
 * and from dev[].  The guest keeps two copies of the same 128 bytes: one
 * in RAM only, and one whose source half, destination half or both are
 * the device.  It runs each instruction on the first copy, where the CPU
 * does all of it, then on the second, where ringside emulates the
 * elements that touch MMIO, with the same registers and flags; RSI, RDI,
 * RCX, RAX and RFLAGS must agree, and so must the two copies.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define MMIO		RS_MMIO_GPA
#define HALF		64
#define DF		0x400ULL
#define FLAGS_IN	0x002ULL

/* The first 128 bytes of both copies at the start (period HALF). */
static uint8_t pattern(unsigned int i)
{
	return (i % HALF) * 7 + 1;
}

static uint8_t ram_a[2 * HALF], ram_b[2 * HALF];
static uint8_t dev[4096];

#define STR(insn, si, di, cx, ax, fl)					\
	asm volatile("push %[f]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]\n\tcld" \
		     : [f] "+r"(fl), "+S"(si), "+D"(di), "+c"(cx), "+a"(ax) \
		     : : "memory", "cc")

/* Source (0) and destination (1) halves: in RAM, or the device's. */
enum { RAM, DEV };

/*
 * X(instruction, source half, destination half, source offset,
 *   destination offset, RCX, RAX, RFLAGS in)
 */
#define STRING_CASES(X)							\
	X("rep stosl", RAM, DEV, 0, 4, 5, 0xa1b2c3d4, FLAGS_IN)		\
	X("movsb", DEV, RAM, 3, 9, 0, 0, FLAGS_IN)			\
	X("rep movsw", RAM, DEV, 2, 20, 4, 0, FLAGS_IN)			\
	X("movsq", DEV, DEV, 8, 32, 0, 0, FLAGS_IN)			\
	X("lodsl", DEV, RAM, 12, 0, 0, ~0ULL, FLAGS_IN)			\
	X("rep stosb", RAM, DEV, 0, 44, 3, 0x5a, FLAGS_IN | DF)		\
	X("repe cmpsb", DEV, RAM, 24, 24, 8, 0, FLAGS_IN)		\
	X("repe cmpsb", DEV, DEV, 0, 0, 12, 0, FLAGS_IN)		\
	X("repne cmpsw", RAM, DEV, 50, 50, 4, 0, FLAGS_IN)		\
	X("repne scasw", RAM, DEV, 0, 48, 8, 0x2a23, FLAGS_IN)		\
	X("repe scasb", RAM, DEV, 0, 60, 4, 0xf, FLAGS_IN)		\
	X("rep movsl", DEV, DEV, 16, 52, 3, 0, FLAGS_IN)		\
	X("rep movsb", DEV, RAM, 40, 40, 6, 0, FLAGS_IN | DF)		\
	X("rep lodsw", DEV, RAM, 30, 0, 2, 0, FLAGS_IN)			\
	X(".byte 0x67; rep stosb", RAM, DEV, 0, 1, 2, 0x77, FLAGS_IN)	\
	X("movsb %%fs:(%%rsi), %%es:(%%rdi)", DEV, RAM, 5, 6, 0, 0, FLAGS_IN)

/*
 * The next case, on ram_a and then on the copy whose halves @sh and @dh
 * say: the same registers and flags must come out.  RDI gets bit 32 with
 * a 32-bit address size (67h), which must then ignore it.
 */
#define GUEST_CASE(insn, sh, dh, so, do_, cx, ax, fl) do {		\
	uint64_t s1 = (uint64_t)ram_a + (so), d1 = (uint64_t)ram_a + HALF + (do_); \
	uint64_t s2 = ((sh) == DEV ? MMIO : (uint64_t)ram_b) + (so);	\
	uint64_t d2 = ((dh) == DEV ? MMIO : (uint64_t)ram_b) + HALF + (do_); \
	uint64_t c1 = (cx), c2 = (cx), a1 = (ax), a2 = (ax);		\
	uint64_t f1 = (fl), f2 = (fl);					\
									\
	if (insn[0] == '.') {						\
		d1 |= 1ULL << 32;					\
		d2 |= 1ULL << 32;					\
	}								\
	STR(insn, s1, d1, c1, a1, f1);					\
	STR(insn, s2, d2, c2, a2, f2);					\
	GUEST_ASSERT_EQ(f1, f2);					\
	GUEST_ASSERT_EQ(c1, c2);					\
	GUEST_ASSERT_EQ(a1, a2);					\
	GUEST_ASSERT_EQ(s1 - (uint64_t)ram_a, s2 - (((sh) == DEV ? MMIO : (uint64_t)ram_b))); \
	GUEST_ASSERT_EQ(d1 - (uint64_t)ram_a, d2 - (((dh) == DEV ? MMIO : (uint64_t)ram_b))); \
	check_copies(sh, dh);						\
	i++;								\
} while (0);

/* Both copies the same, the device's halves read through MMIO. */
static void check_copies(int sh, int dh)
{
	unsigned int i;

	for (i = 0; i < 2 * HALF; i += 8) {
		bool dev_half = i < HALF ? sh == DEV : dh == DEV;
		uint64_t b = dev_half ? *(volatile uint64_t *)(MMIO + i) :
					*(uint64_t *)&ram_b[i];

		GUEST_ASSERT_EQ(*(uint64_t *)&ram_a[i], b);
		/* The other copy of that half stays in step too. */
		if (dev_half)
			*(uint64_t *)&ram_b[i] = b;
		else
			*(volatile uint64_t *)(MMIO + i) = b;
	}
}

static void guest_code(void)
{
	unsigned int i;

	for (i = 0; i < 2 * HALF; i++)
		ram_a[i] = ram_b[i] = pattern(i);
	i = 0;
	STRING_CASES(GUEST_CASE)
	GUEST_DONE();
}

TEST(strings_on_mmio)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	unsigned long exits = 0;
	uint64_t cmd, off;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	run = vcpu->run;
	for (i = 0; i < 2 * HALF; i++)
		dev[i] = pattern(i);
	while ((cmd = rs_vcpu_run_mmio(vcpu, NULL)) != UCALL_DONE) {
		ASSERT_EQ(UCALL_NONE, cmd);
		off = run->mmio.phys_addr - MMIO;
		ASSERT_GE(sizeof(dev) - 8, off);
		ASSERT_GE(8U, run->mmio.len);
		if (run->mmio.is_write)
			memcpy(dev + off, run->mmio.data, run->mmio.len);
		else
			memcpy(run->mmio.data, dev + off, run->mmio.len);
		exits++;
	}
	TH_LOG("%lu MMIO exits", exits);
	rs_vm_free(vm);
}

/*
 * Faults on the operand the CPU did not get to check before the MMIO exit
 * are the guest's, as hardware raises them, and change no register:
 * a non-canonical destination #GP(0); one no page maps #PF with W and
 * CR2; a read-only one (CR0.WP) #PF with P and W; a CMPS whose second
 * operand is not mapped #PF without W.  MOVS reads its MMIO source first.
 */
#define NONCANON	0x8000000000000000ULL
#define UNMAPPED	(1ULL << 40)	/* past the identity map of 4 GiB */
#define RO_VA		0x80000000ULL	/* mapped, no RAM: MMIO too */

static uint64_t string_fault(const char *what, uint64_t si, uint64_t di,
			     uint64_t *ec)
{
	uint64_t si0 = si, di0 = di, vec;

	if (what[0] == 'c')
		vec = RS_ASM_SAFE_EC("cmpsb", ec, COMMA_OUT("+S"(si), "+D"(di)), );
	else
		vec = RS_ASM_SAFE_EC("movsb", ec, COMMA_OUT("+S"(si), "+D"(di)), );
	if (vec != RS_NO_EXCEPTION) {
		GUEST_ASSERT_EQ(si, si0);
		GUEST_ASSERT_EQ(di, di0);
	}
	return vec;
}

static void guest_faults(void)
{
	uint64_t ec, *pde, cr0;

	GUEST_ASSERT_EQ(string_fault("movs", MMIO, NONCANON, &ec), 13);
	GUEST_ASSERT_EQ(ec, 0);
	GUEST_SYNC(1);

	GUEST_ASSERT_EQ(string_fault("movs", MMIO, UNMAPPED, &ec), 14);
	GUEST_ASSERT_EQ(ec, 0x2);		/* not present, write */
	GUEST_ASSERT_EQ(read_cr2(), UNMAPPED);
	GUEST_SYNC(2);

	/* CMPS may read either operand first (QEMU: ES:rDI) */
	GUEST_ASSERT_EQ(string_fault("cmps", MMIO, UNMAPPED + 8, &ec), 14);
	GUEST_ASSERT_EQ(ec, 0);			/* not present, read */
	GUEST_ASSERT_EQ(read_cr2(), UNMAPPED + 8);
	GUEST_SYNC(3);

	/* RO_VA's 2 MiB page read-only, with CR0.WP */
	pde = rs_guest_pde(RO_VA);
	GUEST_ASSERT(*pde & 0x80);		/* a 2 MiB page */
	*pde &= ~0x2ULL;
	asm volatile("invlpg (%0)" :: "r"(RO_VA) : "memory");
	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %0, %%cr0" :: "r"(cr0 | X86_CR0_WP));
	GUEST_ASSERT_EQ(string_fault("movs", MMIO, RO_VA + 5, &ec), 14);
	GUEST_ASSERT_EQ(ec, 0x3);		/* present, write */
	GUEST_ASSERT_EQ(read_cr2(), RO_VA + 5);
	GUEST_SYNC(4);
	/* without WP, ring 0 writes it: an MMIO write */
	asm volatile("mov %0, %%cr0" :: "r"(cr0 & ~X86_CR0_WP));
	GUEST_ASSERT_EQ(string_fault("movs", MMIO, RO_VA + 5, &ec),
			RS_NO_EXCEPTION);
	*pde |= 0x2;
	asm volatile("invlpg (%0)" :: "r"(RO_VA) : "memory");
	asm volatile("mov %0, %%cr0" :: "r"(cr0));
	GUEST_DONE();
}

TEST(string_faults)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	struct ucall uc;
	int reads = 0, writes = 0;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_faults);
	run = vcpu->run;
	for (;;) {
		switch (rs_vcpu_run_mmio(vcpu, &uc)) {
		case UCALL_SYNC:
			/* MOVS faulted after its source's read, CMPS may not */
			if (uc.args[0] == 3) {
				EXPECT_GE(1, reads);
			} else {
				EXPECT_EQ(1, reads)
					TH_LOG("stage %d", (int)uc.args[0]);
			}
			EXPECT_EQ(0, writes);
			reads = 0;
			continue;
		case UCALL_DONE:
			EXPECT_EQ(1, reads);
			EXPECT_EQ(1, writes);
			rs_vm_free(vm);
			return;
		case UCALL_NONE:	/* MMIO */
			break;
		default:
			ASSERT_TRUE(false);
		}
		if (run->mmio.is_write) {
			EXPECT_EQ(RO_VA + 5, run->mmio.phys_addr);
			EXPECT_EQ(0x42, run->mmio.data[0]);
			writes++;
		} else {
			EXPECT_EQ(MMIO, run->mmio.phys_addr);
			memset(run->mmio.data, 0x42, sizeof(run->mmio.data));
			reads++;
		}
	}
}

TEST_HARNESS_MAIN
