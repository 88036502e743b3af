// SPDX-License-Identifier: GPL-2.0
/*
 * String port I/O (REP OUTS/INS, and OUTS/INS without REP) exits as
 * RS_EXIT_IO with count items of size bytes at data_offset; a long string
 * may take several exits, each with count >= 1, whose data add up to the
 * guest's buffer in order.  IN data user space provides lands in guest
 * memory at RDI.  RCX = 0 makes no exit at all.  OUTS reads from the
 * segment that a prefix names.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define PORT	0x2f8
#define LEN	64

static uint8_t out_buf[LEN] = "ringside string I/O test: 0123456789 abcdefghijklmnopqrstuvwxyz";
static uint8_t in_buf[LEN];

static void rep_outs(int size, const void *p, uint64_t count)
{
	if (size == 1)
		asm volatile("rep outsb" : "+S"(p), "+c"(count) : "d"(PORT) : "memory");
	else if (size == 2)
		asm volatile("rep outsw" : "+S"(p), "+c"(count) : "d"(PORT) : "memory");
	else
		asm volatile("rep outsl" : "+S"(p), "+c"(count) : "d"(PORT) : "memory");
}

static void rep_ins(int size, void *p, uint64_t count)
{
	if (size == 1)
		asm volatile("rep insb" : "+D"(p), "+c"(count) : "d"(PORT) : "memory");
	else if (size == 2)
		asm volatile("rep insw" : "+D"(p), "+c"(count) : "d"(PORT) : "memory");
	else
		asm volatile("rep insl" : "+D"(p), "+c"(count) : "d"(PORT) : "memory");
}

static void guest_code(void)
{
	const void *src;
	void *dst;
	int size;

	for (size = 1; size <= 4; size *= 2) {
		rep_outs(size, out_buf, LEN / size);
		GUEST_SYNC(size);
	}
	for (size = 1; size <= 4; size *= 2) {
		rs_guest_memset(in_buf, 0, LEN);
		rep_ins(size, in_buf, LEN / size);
		GUEST_SYNC_ARGS(0x10 + size, (uint64_t)in_buf, 0, 0);
	}

	/* RSI and RDI advance past the string, RCX ends at 0. */
	src = out_buf;
	asm volatile("rep outsb" : "+S"(src) : "c"(4ULL), "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(src, out_buf + 4);
	dst = in_buf;
	asm volatile("insb" : "+D"(dst) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(dst, in_buf + 1);
	GUEST_ASSERT_EQ(in_buf[0], 0x77);

	/* A count of zero does nothing. */
	rep_outs(1, out_buf, 0);
	rep_ins(1, in_buf, 0);
	GUEST_DONE();
}

/*
 * Serves string I/O exits on PORT of @size-byte items until a ucall: an
 * OUT's data is collected into @data, an IN's is taken from it, at most
 * @max bytes.  Returns the bytes moved; *exits counts the exits.
 */
static size_t serve_io(struct __test_metadata *_metadata,
		       struct rs_vcpu *vcpu, bool in, int size, uint8_t *data,
		       size_t max, int *exits)
{
	struct rs_run *run = vcpu->run;
	size_t n = 0, len;
	char buf[256];

	*exits = 0;
	for (;;) {
		rs_vcpu_run(vcpu);
		if (rs_get_ucall(vcpu, NULL) != UCALL_NONE)
			return n;
		ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		ASSERT_EQ(PORT, run->io.port);
		ASSERT_EQ(in ? RS_IO_IN : RS_IO_OUT, run->io.direction);
		ASSERT_EQ(size, run->io.size);
		ASSERT_LE(1U, run->io.count);
		len = run->io.count * size;
		ASSERT_GE((uint64_t)vcpu->vm->run_size,
			  run->io.data_offset + len);
		ASSERT_GE(max, n + len) TH_LOG("more data than the string");
		if (in)
			memcpy(rs_io_data(vcpu), data + n, len);
		else
			memcpy(data + n, rs_io_data(vcpu), len);
		n += len;
		(*exits)++;
	}
}

TEST(rep_outs_and_ins)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	uint8_t got[LEN], pattern[LEN];
	struct ucall uc;
	char buf[256];
	int size, exits, i;
	size_t n;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	run = vcpu->run;

	for (size = 1; size <= 4; size *= 2) {
		memset(got, 0, sizeof(got));
		n = serve_io(_metadata, vcpu, false, size, got, LEN, &exits);
		ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
		EXPECT_EQ(size, uc.args[0]);
		EXPECT_EQ(LEN, n) TH_LOG("rep outs%c: %zu bytes in %d exits",
					 " bw l"[size], n, exits);
		EXPECT_EQ(0, memcmp(got, out_buf, LEN))
			TH_LOG("rep outs%c: data differ", " bw l"[size]);
	}

	for (i = 0; i < LEN; i++)
		pattern[i] = 0x80 + i;
	for (size = 1; size <= 4; size *= 2) {
		size_t done = serve_io(_metadata, vcpu, true, size, pattern,
				       LEN, &exits);

		ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
		EXPECT_EQ(0x10 + size, uc.args[0]);
		EXPECT_EQ(LEN, done);
		EXPECT_EQ(0, memcmp(rs_gpa2hva(vm, uc.args[1]), pattern, LEN))
			TH_LOG("rep ins%c: guest buffer differs", " bw l"[size]);
	}

	/* rep outsb of 4, then insb of one byte answered with 0x77 */
	for (n = 0; n < 4; n += run->io.count) {
		rs_vcpu_run(vcpu);
		ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
			TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
		ASSERT_EQ(RS_IO_OUT, run->io.direction);
		ASSERT_LE(1U, run->io.count);
		ASSERT_GE(4, n + run->io.count);
	}
	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(RS_IO_IN, run->io.direction);
	ASSERT_EQ(1U, run->io.count);
	*(uint8_t *)rs_io_data(vcpu) = 0x77;

	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * Long strings across pages: the kernel moves the items of one page at
 * once, so check the edges.  REP INSW starts one byte before a page end,
 * so its first word straddles two pages; REP OUTSL reads 12,000 bytes
 * from an unaligned start; with DF set, REP INSB stores downwards across
 * a page boundary, the first item at the highest address.
 */
#define BIG		(3 * 4096)
#define INSW_AT		4095
#define INSW_COUNT	4000ULL
#define OUTSL_AT	2
#define OUTSL_COUNT	3000ULL
#define STD_AT		4100
#define STD_COUNT	10ULL

static uint8_t big[BIG] __attribute__((aligned(4096)));

static void guest_pages(void)
{
	uint64_t count = INSW_COUNT;
	void *p = big + INSW_AT;
	int i;

	asm volatile("rep insw" : "+D"(p), "+c"(count) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(p, big + INSW_AT + 2 * INSW_COUNT);
	GUEST_ASSERT_EQ(count, 0);
	GUEST_SYNC(1);

	for (i = 0; i < BIG; i++)
		big[i] = i * 7 + 3;
	p = big + OUTSL_AT;
	count = OUTSL_COUNT;
	asm volatile("rep outsl" : "+S"(p), "+c"(count) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(p, big + OUTSL_AT + 4 * OUTSL_COUNT);
	GUEST_SYNC(2);

	p = big + STD_AT;
	count = STD_COUNT;
	asm volatile("std; rep insb; cld"
		     : "+D"(p), "+c"(count) : "d"(PORT) : "memory");
	GUEST_ASSERT_EQ(p, big + STD_AT - STD_COUNT);
	GUEST_DONE();
}

TEST(strings_across_pages)
{
	static uint8_t pattern[BIG], got[BIG];
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint8_t *g;
	int exits, i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_pages);
	g = rs_gpa2hva(vm, (uint64_t)big);
	for (i = 0; i < BIG; i++)
		pattern[i] = i * 13 + 1;

	EXPECT_EQ(2 * INSW_COUNT,
		  serve_io(_metadata, vcpu, true, 2, pattern, 2 * INSW_COUNT,
			   &exits));
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(g + INSW_AT, pattern, 2 * INSW_COUNT))
		TH_LOG("rep insw across pages: guest memory differs");
	EXPECT_EQ(0, g[INSW_AT - 1]) TH_LOG("written before the string");
	EXPECT_EQ(0, g[INSW_AT + 2 * INSW_COUNT]) TH_LOG("written past it");

	EXPECT_EQ(4 * OUTSL_COUNT, serve_io(_metadata, vcpu, false, 4, got,
					    sizeof(got), &exits));
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(got, g + OUTSL_AT, 4 * OUTSL_COUNT))
		TH_LOG("rep outsl across pages: data differ");

	EXPECT_EQ(STD_COUNT, serve_io(_metadata, vcpu, true, 1, pattern,
				      STD_COUNT, &exits));
	ASSERT_EQ(UCALL_DONE, rs_get_ucall(vcpu, &uc));
	for (i = 0; i < (int)STD_COUNT; i++)
		EXPECT_EQ(pattern[i], g[STD_AT - i])
			TH_LOG("std; rep insb: item %d", i);
	EXPECT_EQ(g[STD_AT + 1], (uint8_t)((STD_AT + 1) * 7 + 3));
	EXPECT_EQ(g[STD_AT - STD_COUNT], (uint8_t)((STD_AT - STD_COUNT) * 7 + 3));
	rs_vm_free(vm);
}

/*
 * The CPU checks no memory access of INS and OUTS before the exit: a
 * fault on one is the guest's, as the CPU raises it after (INS) or
 * instead of (OUTS) the port access, with RSI/RDI and RCX where they
 * were.  An address no page maps: #PF not present, read for OUTS, write
 * for INS; a read-only page under CR0.WP: #PF present and write.
 */
#define UNMAPPED	(1ULL << 40)	/* past the identity map of 4 GiB */
#define RO_VA		0x80000000ULL	/* mapped, no RAM */

static void check_io_fault(const char *insn, uint64_t va, uint64_t want_ec)
{
	uint64_t p = va, c = 3, ec, vec;

	if (insn[4] == 'o')
		vec = RS_ASM_SAFE_EC("rep outsb", &ec, COMMA_OUT("+S"(p), "+c"(c)),
				     "d"(PORT));
	else
		vec = RS_ASM_SAFE_EC("rep insb", &ec, COMMA_OUT("+D"(p), "+c"(c)),
				     "d"(PORT));
	GUEST_ASSERT_EQ(vec, 14);
	GUEST_ASSERT_EQ(ec, want_ec);
	GUEST_ASSERT_EQ(read_cr2(), va);
	GUEST_ASSERT_EQ(p, va);
	GUEST_ASSERT_EQ(c, 3);
}

static void guest_io_faults(void)
{
	uint64_t *pde = rs_guest_pde(RO_VA), cr0 = read_cr0();

	check_io_fault("rep outsb", UNMAPPED, 0x0);
	GUEST_SYNC(1);
	check_io_fault("rep insb", UNMAPPED, 0x2);
	GUEST_SYNC(2);
	*pde &= ~0x2ULL;
	asm volatile("invlpg (%0)" :: "r"(RO_VA) : "memory");
	asm volatile("mov %0, %%cr0" :: "r"(cr0 | X86_CR0_WP));
	check_io_fault("rep insb", RO_VA, 0x3);
	*pde |= 0x2;
	asm volatile("invlpg (%0)" :: "r"(RO_VA) : "memory");
	asm volatile("mov %0, %%cr0" :: "r"(cr0));
	GUEST_DONE();
}

TEST(io_string_faults)
{
	uint8_t data[3] = { 1, 2, 3 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	int exits;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_io_faults);
	/* OUTS: the fault comes instead of the port write */
	EXPECT_EQ(0U, serve_io(_metadata, vcpu, false, 1, data, 3, &exits));
	EXPECT_EQ(0, exits);
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
	/* INS: the port is read, the write to memory faults */
	EXPECT_EQ(3U, serve_io(_metadata, vcpu, true, 1, data, 3, &exits));
	EXPECT_EQ(1, exits);
	ASSERT_EQ(UCALL_SYNC, rs_get_ucall(vcpu, &uc));
	EXPECT_EQ(3U, serve_io(_metadata, vcpu, true, 1, data, 3, &exits));
	EXPECT_EQ(1, exits);
	ASSERT_EQ(UCALL_DONE, rs_get_ucall(vcpu, &uc));
	rs_vm_free(vm);
}

/*
 * OUTS takes its source from the segment that a prefix names: FS here,
 * whose base the host set to 32, so that FS:RSI is 32 bytes past DS:RSI.
 */
#define FS_BASE		32

static void guest_outs_fs(void)
{
	const void *p = out_buf;
	uint64_t count = 8;

	asm volatile("rep outsb %%fs:(%%rsi), (%%dx)"
		     : "+S"(p), "+c"(count) : "d"(PORT) : "memory");
	GUEST_DONE();
}

TEST(outs_with_segment_override)
{
	struct rs_vcpu *vcpu;
	struct rs_sregs s;
	struct rs_vm *vm;
	uint8_t got[8];
	int exits;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_outs_fs);
	rs_vcpu_sregs_get(vcpu, &s);
	s.fs.base = FS_BASE;
	rs_vcpu_sregs_set(vcpu, &s);
	EXPECT_EQ(8U, serve_io(_metadata, vcpu, false, 1, got, sizeof(got),
			       &exits));
	EXPECT_EQ(0, memcmp(got, out_buf + FS_BASE, sizeof(got)))
		TH_LOG("got \"%.8s\", DS's would be \"%.8s\"", got, out_buf);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
