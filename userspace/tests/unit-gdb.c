// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the gdb stub (gdbstub.c, gdbregs.c) and of the guest
 * page-table walk it reads memory through (gva.c): packet framing,
 * checksums, escapes and run-length decoding; the register layouts of
 * i386 and x86-64 against gdb's feature files; the walk over synthetic
 * page tables in each paging mode; and whole sessions over a socketpair
 * with a stand-in for the vCPUs, as gdb would drive them: breakpoints,
 * single-step and watchpoints through what RS_SET_GUEST_DEBUG would get.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../gdbstub.h"
#include "../gva.h"
#include "../util.h"
#include "unit.h"

#define CR0_PE		(1ULL << 0)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define P		1ULL
#define PS		(1ULL << 7)
#define DR6_BS		(1ULL << 14)
#define STEP		(RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_BLOCK_IRQ)
#define HW_BP		RS_GUEST_DEBUG_HW_BP
/* DR7: G, R/W and LEN of register @i (SDM vol. 3B, 18.2.4). */
#define DR7(i, rw, len)	((2ULL << 2 * (i)) | (uint64_t)(rw) << (16 + 4 * (i)) | \
			 (uint64_t)(len) << (18 + 4 * (i)))

/* --- Framing ------------------------------------------------------- */

/* Feed @s; the event of its last byte, NONE before. */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t len)
{
	enum gdb_rx_event ev = GDB_RX_NONE;
	size_t i;

	for (i = 0; i < len; i++) {
		ev = gdb_rx_byte(rx, s[i]);
		if (ev != GDB_RX_NONE && i != len - 1)
			return GDB_RX_BAD;	/* an event too early */
	}
	return ev;
}

static enum gdb_rx_event feed_str(struct gdb_rx *rx, const char *s)
{
	return feed(rx, s, strlen(s));
}

void test_gdb_framing(void)
{
	static struct gdb_rx rx;
	char out[64], esc[16];
	size_t used, n;
	ssize_t m;

	CHECK(gdb_checksum("OK", 2) == 0x9a);
	CHECK(gdb_checksum("", 0) == 0);
	n = gdb_frame(out, sizeof(out), "OK", 2);
	CHECK(n == 6 && !memcmp(out, "$OK#9a", 6));
	n = gdb_frame(out, sizeof(out), "", 0);
	CHECK(n == 4 && !memcmp(out, "$#00", 4));
	CHECK(gdb_frame(out, 5, "OK", 2) == 0);

	gdb_rx_init(&rx);
	CHECK(feed_str(&rx, "$OK#9a") == GDB_RX_PACKET);
	CHECK(rx.len == 2 && !strcmp(rx.buf, "OK"));
	CHECK(feed_str(&rx, "$qSupported#37") == GDB_RX_PACKET);
	CHECK(!strcmp(rx.buf, "qSupported"));
	/* Upper-case checksum digits are fine. */
	CHECK(feed_str(&rx, "$OK#9A") == GDB_RX_PACKET);
	CHECK(feed_str(&rx, "$OK#9b") == GDB_RX_BAD);
	CHECK(feed_str(&rx, "$OK#zz") == GDB_RX_BAD);
	/* Between packets: acks, Ctrl-C, and noise that is ignored. */
	CHECK(gdb_rx_byte(&rx, '+') == GDB_RX_ACK);
	CHECK(gdb_rx_byte(&rx, '-') == GDB_RX_NACK);
	CHECK(gdb_rx_byte(&rx, 0x03) == GDB_RX_INTERRUPT);
	CHECK(gdb_rx_byte(&rx, 'x') == GDB_RX_NONE);
	CHECK(gdb_rx_byte(&rx, '\n') == GDB_RX_NONE);
	/* 0x03 inside a packet is data. */
	n = gdb_frame(out, sizeof(out), "a\003b", 3);
	CHECK(feed(&rx, out, n) == GDB_RX_PACKET && rx.len == 3 &&
	      rx.buf[1] == 3);

	/* Run-length encoding: ' ' is 32, three more. */
	n = gdb_frame(out, sizeof(out), "0* 1", 4);
	CHECK(feed(&rx, out, n) == GDB_RX_PACKET && !strcmp(rx.buf, "00001"));
	n = gdb_frame(out, sizeof(out), "ab*\"", 4);	/* '"' 34: five more */
	CHECK(feed(&rx, out, n) == GDB_RX_PACKET &&
	      !strcmp(rx.buf, "abbbbbb"));
	/* A count below 29 (or '#', '$') is no count. */
	n = gdb_frame(out, sizeof(out), "a*\020", 3);
	CHECK(feed(&rx, out, n) == GDB_RX_BAD);
	/* '*' right after '}' is escaped data, not a count. */
	n = gdb_frame(out, sizeof(out), "a}*b", 4);
	CHECK(feed(&rx, out, n) == GDB_RX_PACKET && !strcmp(rx.buf, "a}*b"));
	m = gdb_unescape(rx.buf, rx.len);
	CHECK(m == 3 && !memcmp(rx.buf, "a\nb", 3));
	/* ... but after an escaped '}' ("}]") it is one again. */
	n = gdb_frame(out, sizeof(out), "}]*!", 4);	/* '!' 33: four */
	CHECK(feed(&rx, out, n) == GDB_RX_PACKET && !strcmp(rx.buf, "}]]]]]"));

	/* Too long for PacketSize: refused whole, and the next one is fine. */
	CHECK(gdb_rx_byte(&rx, '$') == GDB_RX_NONE);
	for (n = 0; n <= GDB_PACKET_SIZE; n++)
		gdb_rx_byte(&rx, 'a');
	CHECK(feed_str(&rx, "#00") == GDB_RX_BAD);
	CHECK(feed_str(&rx, "$OK#9a") == GDB_RX_PACKET);

	/* Escapes: '#', '$', '}' and '*' become '}' and the byte ^ 0x20. */
	memcpy(out, "x}\003y}]z", 7);
	m = gdb_unescape(out, 7);
	CHECK(m == 5 && !memcmp(out, "x#y}z", 5));
	memcpy(out, "ab}", 3);
	CHECK(gdb_unescape(out, 3) == -1);
	n = gdb_escape(esc, sizeof(esc), "$#}*ab", 6, &used);
	CHECK(n == 10 && used == 6 && !memcmp(esc, "}\004}\003}]}\nab", 10));
	/* Only what fits, and never half an escape. */
	n = gdb_escape(esc, 3, "$#", 2, &used);
	CHECK(n == 2 && used == 1);
	n = gdb_escape(esc, 2, "a$", 2, &used);
	CHECK(n == 1 && used == 1);
	n = gdb_escape(esc, 3, "a$", 2, &used);
	CHECK(n == 3 && used == 2);
}

/* --- Registers ----------------------------------------------------- */

/* Register @name's number in @layout, or -1. */
static int regno(enum gdb_layout layout, const char *name)
{
	unsigned int i;

	for (i = 0; i < gdb_nr_regs(layout); i++)
		if (!strcmp(gdb_reg_name(layout, i), name))
			return i;
	return -1;
}

static uint64_t get(enum gdb_layout layout, const struct gdb_cpu_state *s,
		    const char *name)
{
	uint8_t buf[16] = { 0 };
	uint64_t v = 0;
	int n = regno(layout, name);

	if (n < 0 || !gdb_reg_get(layout, s, n, buf))
		return 0xbad;
	memcpy(&v, buf, MIN(gdb_reg_size(layout, n), 8));
	return v;
}

static unsigned int set(enum gdb_layout layout, struct gdb_cpu_state *s,
			const char *name, uint64_t v)
{
	uint8_t buf[16] = { 0 };

	memcpy(buf, &v, 8);
	return gdb_reg_set(layout, s, regno(layout, name), buf);
}

/* target.xml names every register of the table, in its order. */
static void check_xml(enum gdb_layout layout, const char *arch)
{
	const char *xml = gdb_target_xml(layout), *p = xml;
	char want[64];
	unsigned int i;

	snprintf(want, sizeof(want), "<architecture>%s</architecture>", arch);
	CHECK(strstr(xml, want) != NULL);
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">") != NULL);
	CHECK(strstr(xml, "<feature name=\"org.gnu.gdb.i386.sse\">") != NULL);
	/* gdb 13's bare i386 fails on 32bit-segments' numbering. */
	CHECK(!strstr(xml, "<feature name=\"org.gnu.gdb.i386.segments\">") ==
	      (layout == GDB_LAYOUT_I386));
	CHECK(strstr(xml, "<union id=\"vec128\">") != NULL);
	CHECK(strstr(xml, "<flags id=\"i386_eflags\" size=\"4\">") != NULL);
	CHECK(strlen(xml) < GDB_PACKET_SIZE);
	for (i = 0; i < gdb_nr_regs(layout); i++) {
		snprintf(want, sizeof(want), "<reg name=\"%s\" bitsize=\"%u\"",
			 gdb_reg_name(layout, i), 8 * gdb_reg_size(layout, i));
		p = strstr(p, want);
		CHECK(p != NULL);
		if (!p)
			return;
		snprintf(want, sizeof(want), "regnum=\"%u\"", i);
		CHECK(!strncmp(strstr(p, "regnum="), want, strlen(want)));
		p++;
	}
	CHECK(strstr(p, "<reg ") == NULL);
}

static void fill_state(struct gdb_cpu_state *s)
{
	uint8_t *fx = s->fpu.xsave;

	memset(s, 0, sizeof(*s));
	s->regs.rax = 0x1122334455667788ULL;
	s->regs.rcx = 0xc;
	s->regs.rsp = 0x7ff0;
	s->regs.r15 = 0xf15;
	s->regs.rip = 0xffffffff81000000ULL;
	s->regs.rflags = 0x246;
	s->sregs.cs.selector = 0x10;
	s->sregs.ss.selector = 0x18;
	s->sregs.gs.selector = 0x2b;
	s->sregs.fs.base = 0x7000;
	s->sregs.gs.base = 0xffff888000000000ULL;
	s->sregs.cr0 = CR0_PE | CR0_PG;
	s->sregs.cr3 = 0x1000;
	s->sregs.cr4 = CR4_PAE;
	s->sregs.efer = EFER_LME | EFER_LMA;
	s->have_fpu = true;
	/* FCW, FSW with TOP 7, abridged tags: physical 7 (ST0) and 0 (ST1). */
	fx[0] = 0x7f;
	fx[1] = 0x03;
	fx[3] = 7 << 3;
	fx[4] = 0x81;
	fx[6] = 0xff;				/* FOP 0x7ff in 11 bits */
	fx[7] = 0xff;
	fx[8] = 0x44;				/* FIP */
	fx[12] = 0x08;				/* FCS */
	fx[24] = 0x80;				/* MXCSR 0x1f80 */
	fx[25] = 0x1f;
	fx[32 + 7] = 0x80;			/* ST0: 1.0 */
	fx[32 + 8] = 0xff;
	fx[32 + 9] = 0x3f;
	/* ST1 all zero: a zero.  XMM15: its last byte. */
	fx[160 + 16 * 15 + 15] = 0x5a;
}

void test_gdb_regs(void)
{
	static struct gdb_cpu_state s;
	enum gdb_layout x64 = GDB_LAYOUT_X86_64, x32 = GDB_LAYOUT_I386;
	uint8_t buf[16];

	/* gdb's numbering: 64bit-sse.xml says xmm0 is 40, 32bit-sse.xml 32. */
	CHECK(gdb_nr_regs(x64) == 65);
	CHECK(regno(x64, "rax") == 0 && regno(x64, "rsp") == 7);
	CHECK(regno(x64, "rip") == 16 && regno(x64, "eflags") == 17);
	CHECK(regno(x64, "cs") == 18 && regno(x64, "gs") == 23);
	CHECK(regno(x64, "st0") == 24 && regno(x64, "fctrl") == 32);
	CHECK(regno(x64, "fop") == 39 && regno(x64, "xmm0") == 40);
	CHECK(regno(x64, "mxcsr") == 56 && regno(x64, "fs_base") == 57);
	CHECK(regno(x64, "cr0") == 59 && regno(x64, "efer") == 64);
	CHECK(gdb_regs_size(x64) == 600);
	CHECK(gdb_reg_size(x64, 24) == 10 && gdb_reg_size(x64, 40) == 16);
	CHECK(gdb_reg_size(x64, 65) == 0 && gdb_reg_name(x64, 65) == NULL);

	CHECK(gdb_nr_regs(x32) == 49);
	CHECK(regno(x32, "eax") == 0 && regno(x32, "ecx") == 1);
	CHECK(regno(x32, "ebx") == 3 && regno(x32, "esp") == 4);
	CHECK(regno(x32, "edi") == 7 && regno(x32, "eip") == 8);
	CHECK(regno(x32, "eflags") == 9 && regno(x32, "cs") == 10);
	CHECK(regno(x32, "st0") == 16 && regno(x32, "xmm0") == 32);
	CHECK(regno(x32, "xmm8") == -1 && regno(x32, "mxcsr") == 40);
	CHECK(regno(x32, "fs_base") == 41 && regno(x32, "efer") == 48);
	CHECK(gdb_regs_size(x32) == 344);
	CHECK(gdb_reg_size(x32, 0) == 4 && gdb_reg_size(x32, 41) == 4);
	CHECK(gdb_reg_size(x32, 48) == 8);

	check_xml(x64, "i386:x86-64");
	check_xml(x32, "i386");
	CHECK(strstr(gdb_target_xml(x64), "<compatible>i386</compatible>"));
	CHECK(!strstr(gdb_target_xml(x32), "<compatible>"));

	fill_state(&s);
	CHECK(get(x64, &s, "rax") == 0x1122334455667788ULL);
	CHECK(regno(x64, "rax") == 0 && gdb_reg_get(x64, &s, 0, buf) &&
	      buf[0] == 0x88 && buf[7] == 0x11);
	CHECK(get(x64, &s, "rsp") == 0x7ff0 && get(x64, &s, "r15") == 0xf15);
	CHECK(get(x64, &s, "rip") == 0xffffffff81000000ULL);
	CHECK(get(x64, &s, "eflags") == 0x246);
	CHECK(get(x64, &s, "cs") == 0x10 && get(x64, &s, "gs") == 0x2b);
	CHECK(get(x64, &s, "fs_base") == 0x7000);
	CHECK(get(x64, &s, "gs_base") == 0xffff888000000000ULL);
	CHECK(get(x64, &s, "cr3") == 0x1000 && get(x64, &s, "efer") == 0x500);
	CHECK(get(x64, &s, "fctrl") == 0x37f && get(x64, &s, "fstat") == 0x3800);
	/* Physical 7 valid (ST0 1.0), 0 zero (ST1), the rest empty. */
	CHECK(get(x64, &s, "ftag") == 0x3ffd);
	CHECK(get(x64, &s, "fop") == 0x7ff && get(x64, &s, "fioff") == 0x44);
	CHECK(get(x64, &s, "fiseg") == 8 && get(x64, &s, "mxcsr") == 0x1f80);
	CHECK(gdb_reg_get(x64, &s, regno(x64, "st0"), buf) &&
	      buf[7] == 0x80 && buf[8] == 0xff && buf[9] == 0x3f);
	CHECK(gdb_reg_get(x64, &s, regno(x64, "xmm15"), buf) && buf[15] == 0x5a);

	/* i386: the low halves. */
	CHECK(get(x32, &s, "eax") == 0x55667788);
	CHECK(get(x32, &s, "eip") == 0x81000000);
	CHECK(get(x32, &s, "ecx") == 0xc && get(x32, &s, "esp") == 0x7ff0);
	CHECK(get(x32, &s, "gs_base") == 0);
	CHECK(get(x32, &s, "efer") == 0x500);

	/* Writes: the i386 layout keeps the upper halves. */
	CHECK(set(x32, &s, "eax", 0xdeadbeef) == GDB_DIRTY_REGS);
	CHECK(s.regs.rax == 0x11223344deadbeefULL);
	CHECK(set(x64, &s, "rax", 0xdeadbeef) == GDB_DIRTY_REGS);
	CHECK(s.regs.rax == 0xdeadbeef);
	CHECK(set(x64, &s, "r15", 0x15) == GDB_DIRTY_REGS && s.regs.r15 == 0x15);
	/* Bit 1 of RFLAGS is always set. */
	CHECK(set(x64, &s, "eflags", 0x100) == GDB_DIRTY_REGS);
	CHECK(s.regs.rflags == 0x102);
	CHECK(set(x64, &s, "cr4", 0x20 | 0x80) == GDB_DIRTY_SREGS);
	CHECK(s.sregs.cr4 == 0xa0);
	CHECK(set(x32, &s, "fs_base", 0x1234) == GDB_DIRTY_SREGS);
	CHECK(s.sregs.fs.base == 0x1234);
	/* A selector alone in protected mode; with its base in real mode. */
	s.sregs.ds.base = 0x999;
	CHECK(set(x64, &s, "ds", 0x18) == GDB_DIRTY_SREGS);
	CHECK(s.sregs.ds.selector == 0x18 && s.sregs.ds.base == 0x999);
	s.sregs.cr0 = 0;
	CHECK(set(x32, &s, "ds", 0x1234) == GDB_DIRTY_SREGS);
	CHECK(s.sregs.ds.selector == 0x1234 && s.sregs.ds.base == 0x12340);
	s.sregs.ds.base = 0x100000;		/* unreal mode */
	CHECK(set(x32, &s, "ds", 0x1234) == GDB_DIRTY_SREGS);
	CHECK(s.sregs.ds.base == 0x100000);
	/* The full tag word back to a bit a register. */
	CHECK(set(x64, &s, "ftag", 0xffff) == GDB_DIRTY_FPU);
	CHECK(s.fpu.xsave[4] == 0);
	CHECK(set(x64, &s, "ftag", 0x3fff) == GDB_DIRTY_FPU);
	CHECK(s.fpu.xsave[4] == 0x80);
	CHECK(set(x64, &s, "fop", 0xffff) == GDB_DIRTY_FPU);
	CHECK(s.fpu.xsave[6] == 0xff && s.fpu.xsave[7] == 0x07);
	CHECK(set(x64, &s, "mxcsr", 0x1fa0) == GDB_DIRTY_FPU);
	CHECK(s.fpu.xsave[24] == 0xa0);
	CHECK(gdb_reg_set(x64, &s, 65, buf) == 0);

	/* Without the FPU's state: those are unavailable, and not written. */
	s.have_fpu = false;
	CHECK(!gdb_reg_get(x64, &s, regno(x64, "st0"), buf));
	CHECK(!gdb_reg_get(x64, &s, regno(x64, "ftag"), buf));
	CHECK(!gdb_reg_get(x32, &s, regno(x32, "xmm7"), buf));
	CHECK(gdb_reg_get(x64, &s, regno(x64, "rip"), buf));
	CHECK(set(x64, &s, "xmm0", 1) == 0);
	CHECK(set(x64, &s, "fop", 1) == 0);
}

/* --- The page-table walk ------------------------------------------- */

static void put32(struct vm *vm, uint64_t gpa, uint32_t v)
{
	memcpy(vm->ram + gpa, &v, 4);
}

static void put64(struct vm *vm, uint64_t gpa, uint64_t v)
{
	memcpy(vm->ram + gpa, &v, 8);
}

/* The translation of @gva, ~0 if unmapped; its page size in *@size. */
static uint64_t xlate(struct vm *vm, const struct gva_mmu *mmu, uint64_t gva,
		      uint64_t *size)
{
	uint64_t gpa, page_size = 0;

	if (gva_translate(vm, mmu, gva, &gpa, &page_size) < 0)
		gpa = ~0ULL;
	if (size)
		*size = page_size;
	return gpa;
}

static void test_walk_no_paging(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE, .cr3 = 0x12345000 };
	uint64_t size;

	CHECK(gva_mode(&mmu) == GVA_NO_PAGING);
	CHECK(xlate(vm, &mmu, 0x1234, &size) == 0x1234 && size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0xffffffff, NULL) == 0xffffffff);
	CHECK(xlate(vm, &mmu, 0x100000000ULL, NULL) == ~0ULL);
	/* CR4.PAE and EFER.LME without CR0.PG change nothing. */
	mmu.cr4 = CR4_PAE;
	mmu.efer = EFER_LME;
	CHECK(gva_mode(&mmu) == GVA_NO_PAGING);
	CHECK(xlate(vm, &mmu, 0x5000, NULL) == 0x5000);
}

/* 32-bit paging: PD at 0x10000, a PT at 0x11000. */
static void test_walk_32bit(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x10000 };
	uint64_t size;

	put32(vm, 0x10000 + 1 * 4, 0x11000 | P);		/* 0x00400000 */
	put32(vm, 0x11000 + 5 * 4, 0x200000 | P | 0x60);	/* A, D bits */
	put32(vm, 0x11000 + 6 * 4, 0x201000);			/* not present */
	put32(vm, 0x10000 + 0x200 * 4, 0x00c00000 | PS | P);	/* 0x80000000 */
	/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
	put32(vm, 0x10000 + 0x201 * 4, 0x00400000 | 3 << 13 | PS | P);

	CHECK(gva_mode(&mmu) == GVA_32BIT);
	CHECK(xlate(vm, &mmu, 0x00405123, &size) == 0x200123 &&
	      size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0x00406000, NULL) == ~0ULL);
	CHECK(xlate(vm, &mmu, 0x00800000, NULL) == ~0ULL);	/* PDE 2 */
	CHECK(xlate(vm, &mmu, 0x100000000ULL, NULL) == ~0ULL);
	/* Without CR4.PSE, PS is ignored: a page table at 0xc00000. */
	CHECK(xlate(vm, &mmu, 0x80012345, NULL) == ~0ULL);
	mmu.cr4 = CR4_PSE;
	CHECK(xlate(vm, &mmu, 0x80012345, &size) == 0xc12345 &&
	      size == 4 * MiB);
	CHECK(xlate(vm, &mmu, 0x80400010, NULL) == 0x300400010ULL);
	/* CR3's low 12 bits are flags. */
	mmu.cr3 = 0x10018;
	CHECK(xlate(vm, &mmu, 0x00405123, NULL) == 0x200123);
}

/* PAE: PDPT at 0x20000, PDs at 0x21000 and 0x23000, a PT at 0x22000. */
static void test_walk_pae(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE,
			       .cr3 = 0x20000 };
	uint64_t size;

	put64(vm, 0x20000 + 0 * 8, 0x21000 | P);
	put64(vm, 0x20000 + 3 * 8, 0x23000 | P);
	put64(vm, 0x21000 + 0 * 8, 0x22000 | P);
	put64(vm, 0x21000 + 1 * 8, 0x400000 | PS | P | (1ULL << 63));	/* NX */
	put64(vm, 0x22000 + 3 * 8, 0x300000 | P);
	put64(vm, 0x23000 + 511 * 8, 0x1e00000 | PS | P);

	CHECK(gva_mode(&mmu) == GVA_PAE);
	CHECK(xlate(vm, &mmu, 0x3abc, &size) == 0x300abc && size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0x201234, &size) == 0x401234 && size == 2 * MiB);
	CHECK(xlate(vm, &mmu, 0xffe00005, NULL) == 0x1e00005);
	CHECK(xlate(vm, &mmu, 0x4000, NULL) == ~0ULL);		/* PTE 4 */
	CHECK(xlate(vm, &mmu, 0x40000000, NULL) == ~0ULL);	/* PDPTE 1 */
	CHECK(xlate(vm, &mmu, 0x100000000ULL, NULL) == ~0ULL);
	/* CR3 bits 31:5 point at the PDPT. */
	put64(vm, 0x20020, 0x21000 | P);
	mmu.cr3 = 0x20020;
	CHECK(xlate(vm, &mmu, 0x3abc, NULL) == 0x300abc);
}

/*
 * Long mode: PML4 at 0x30000; PDPT 0x31000, PD 0x32000, PT 0x33000 for
 * the bottom; PDPT 0x34000 and PD 0x35000 for -2 GiB; PDPT 0x36000 for
 * 0x0000800000000000, canonical with 5 levels only.  PML5 at 0x38000.
 */
static void test_walk_long(struct vm *vm)
{
	struct gva_mmu mmu = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE,
			       .efer = EFER_LME | EFER_LMA, .cr3 = 0x30000 };
	uint8_t buf[16];
	uint64_t size;

	put64(vm, 0x30000 + 0 * 8, 0x31000 | P);
	put64(vm, 0x30000 + 256 * 8, 0x36000 | P);
	put64(vm, 0x30000 + 511 * 8, 0x34000 | P);
	put64(vm, 0x31000 + 0 * 8, 0x32000 | P);
	put64(vm, 0x31000 + 1 * 8, 0x40000000 | PS | P);	/* 1 GiB */
	put64(vm, 0x32000 + 0 * 8, 0x33000 | P);
	put64(vm, 0x32000 + 1 * 8, 0x600000 | PS | P);	/* 2 MiB */
	put64(vm, 0x33000 + 1 * 8, 0x500000 | P);
	put64(vm, 0x33000 + 2 * 8, 0x501000);		/* not present */
	put64(vm, 0x34000 + 510 * 8, 0x35000 | P);
	put64(vm, 0x35000 + 0 * 8, 0x800000 | PS | P);
	put64(vm, 0x36000 + 0 * 8, 0x80000000 | PS | P);
	put64(vm, 0x38000 + 0 * 8, 0x30000 | P);

	CHECK(gva_mode(&mmu) == GVA_LONG4);
	CHECK(xlate(vm, &mmu, 0x1008, &size) == 0x500008 && size == 4 * KiB);
	CHECK(xlate(vm, &mmu, 0x200010, &size) == 0x600010 && size == 2 * MiB);
	CHECK(xlate(vm, &mmu, 0x40123456, &size) == 0x40123456 &&
	      size == GiB);
	CHECK(xlate(vm, &mmu, 0xffffffff80000042ULL, NULL) == 0x800042);
	CHECK(xlate(vm, &mmu, 0x2000, NULL) == ~0ULL);		/* PTE 2 */
	CHECK(xlate(vm, &mmu, 0x80000000, NULL) == ~0ULL);	/* PDPTE 2 */
	CHECK(xlate(vm, &mmu, 0x0000008000000000ULL, NULL) == ~0ULL);
	/* Not canonical with 48 bits. */
	CHECK(xlate(vm, &mmu, 0x0000800000000abcULL, NULL) == ~0ULL);
	CHECK(xlate(vm, &mmu, 0x8000000000001008ULL, NULL) == ~0ULL);

	/* Reads stop at the first byte not mapped; writes are all or none. */
	memcpy(vm->ram + 0x500008, "hello", 5);
	CHECK(gva_read(vm, &mmu, 0x1008, buf, 5) == 5 &&
	      !memcmp(buf, "hello", 5));
	CHECK(gva_read(vm, &mmu, 0x1ff8, buf, 16) == 8);
	CHECK(gva_read(vm, &mmu, 0x2000, buf, 16) == 0);
	memset(vm->ram + 0x500ff8, 0x11, 8);
	memset(buf, 0x22, sizeof(buf));
	CHECK(gva_write(vm, &mmu, 0x1ff8, buf, 16) < 0);
	CHECK(vm->ram[0x500ff8] == 0x11 && vm->ram[0x500fff] == 0x11);
	CHECK(gva_write(vm, &mmu, 0x1ffc, buf, 4) == 0);
	CHECK(vm->ram[0x500ffb] == 0x11 && vm->ram[0x500ffc] == 0x22);
	/* A page mapped past the end of RAM reads as not mapped. */
	CHECK(gva_read(vm, &mmu, 0x40000000, buf, 4) == 0);

	/* Five levels: PML5 entry 0 is the same PML4. */
	mmu.cr4 |= CR4_LA57;
	mmu.cr3 = 0x38000;
	CHECK(gva_mode(&mmu) == GVA_LONG5);
	CHECK(xlate(vm, &mmu, 0x1008, NULL) == 0x500008);
	CHECK(xlate(vm, &mmu, 0x0000800000000abcULL, &size) == 0x80000abc &&
	      size == GiB);
	CHECK(xlate(vm, &mmu, 0x0001000000000000ULL, NULL) == ~0ULL);
	/* Canonical with 57 bits only: bits 63:57 equal to bit 56. */
	CHECK(xlate(vm, &mmu, 0x0100000000000000ULL, NULL) == ~0ULL);
	CHECK(xlate(vm, &mmu, 0xffffffff80000042ULL, NULL) == ~0ULL);
}

void test_gva_walk(void)
{
	struct vm *vm = ram_vm(32 * MiB);

	test_walk_no_paging(vm);
	test_walk_32bit(vm);
	test_walk_pae(vm);
	test_walk_long(vm);
	free_vm(vm);
}

/* --- Sessions ------------------------------------------------------ */

/* The vCPUs as the stub sees them: two, states in memory. */
struct fake {
	struct gdb_cpu_state cpu[2];
	int pauses, waits, resumes, kills;	/* atomic */
	int resume_ones, resumed_one;		/* atomic; the last one's cpu */
	struct rs_guest_debug debug[2];		/* the last set_debug()'s */
	int debug_calls;
	bool fail_debug;			/* set_debug() fails */
};

static void fake_pause(void *t)
{
	__atomic_add_fetch(&((struct fake *)t)->pauses, 1, __ATOMIC_SEQ_CST);
}

static void fake_wait_paused(void *t)
{
	__atomic_add_fetch(&((struct fake *)t)->waits, 1, __ATOMIC_SEQ_CST);
}

static void fake_resume(void *t)
{
	__atomic_add_fetch(&((struct fake *)t)->resumes, 1, __ATOMIC_SEQ_CST);
}

static void fake_resume_one(void *t, unsigned int cpu)
{
	struct fake *f = t;

	__atomic_store_n(&f->resumed_one, cpu, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&f->resume_ones, 1, __ATOMIC_SEQ_CST);
}

static void fake_kill(void *t)
{
	__atomic_add_fetch(&((struct fake *)t)->kills, 1, __ATOMIC_SEQ_CST);
}

static int fake_get_state(void *t, unsigned int cpu, struct gdb_cpu_state *s)
{
	*s = ((struct fake *)t)->cpu[cpu];
	return 0;
}

static int fake_set_regs(void *t, unsigned int cpu, const struct rs_regs *r)
{
	((struct fake *)t)->cpu[cpu].regs = *r;
	return 0;
}

/* As RS_SET_SREGS refuses a CR0 with PG but not PE. */
static int fake_set_sregs(void *t, unsigned int cpu, const struct rs_sregs *s)
{
	if ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE))
		return -1;
	((struct fake *)t)->cpu[cpu].sregs = *s;
	return 0;
}

static int fake_set_fpu(void *t, unsigned int cpu, const struct rs_fpu *f)
{
	((struct fake *)t)->cpu[cpu].fpu = *f;
	return 0;
}

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* As RS_SET_GUEST_DEBUG checks (uapi/linux/ringside.h), in part. */
static int fake_set_debug(void *t, unsigned int cpu,
			  const struct rs_guest_debug *d)
{
	struct fake *f = t;
	unsigned int i;

	f->debug_calls++;
	if (f->fail_debug || (d->flags & ~(STEP | HW_BP)) ||
	    (!(d->flags & HW_BP) && d->dr7) || (d->dr7 >> 32) ||
	    (d->dr7 & 0xfc00))
		return -1;
	for (i = 0; i < 4; i++)
		if (!canonical(d->dr[i]) || (!(d->flags & HW_BP) && d->dr[i]))
			return -1;
	f->debug[cpu] = *d;
	return 0;
}

static const struct gdb_target_ops fake_ops = {
	.pause = fake_pause,
	.wait_paused = fake_wait_paused,
	.resume = fake_resume,
	.resume_one = fake_resume_one,
	.kill = fake_kill,
	.get_state = fake_get_state,
	.set_regs = fake_set_regs,
	.set_sregs = fake_set_sregs,
	.set_fpu = fake_set_fpu,
	.set_debug = fake_set_debug,
};

/* gdb's end of the socketpair. */
static int gdb_fd;
static bool gdb_acks = true;	/* until QStartNoAckMode */
static int acks_seen;		/* '+' from the stub */
static char got[GDB_PACKET_SIZE + 1];

struct serve_args {
	struct gdbstub *g;
	int fd;
};

static void *serve_thread(void *arg)
{
	struct serve_args *a = arg;

	gdbstub_serve(a->g, a->fd);
	return NULL;
}

static void send_bytes(const void *data, size_t len)
{
	CHECK(send(gdb_fd, data, len, MSG_NOSIGNAL) == (ssize_t)len);
}

static void send_pkt_len(const char *payload, size_t len)
{
	char frame[256];
	size_t n = gdb_frame(frame, sizeof(frame), payload, len);

	CHECK(n > 0);
	send_bytes(frame, n);
}

static void send_pkt(const char *payload)
{
	send_pkt_len(payload, strlen(payload));
}

/* One byte from the stub, -1 after 2 s without. */
static int recv_byte(void)
{
	struct pollfd p = { .fd = gdb_fd, .events = POLLIN };
	unsigned char c;

	if (poll(&p, 1, 2000) != 1 || read(gdb_fd, &c, 1) != 1)
		return -1;
	return c;
}

/* The next packet from the stub, its checksum checked; "<none>" if none. */
static const char *recv_pkt(void)
{
	int c, hi, lo;
	size_t len = 0;

	while ((c = recv_byte()) == '+')
		acks_seen++;
	if (c != '$')
		goto none;
	while ((c = recv_byte()) >= 0 && c != '#' && len < sizeof(got) - 1)
		got[len++] = c;
	got[len] = '\0';
	hi = recv_byte();
	lo = recv_byte();
	if (c != '#' || hi < 0 || lo < 0)
		goto none;
	CHECK(strtoul((char[]){ hi, lo, 0 }, NULL, 16) ==
	      gdb_checksum(got, len));
	if (gdb_acks)
		send_bytes("+", 1);
	return got;
none:
	CHECK(!"a packet from the stub");
	strcpy(got, "<none>");
	return got;
}

static const char *xfer(const char *payload)
{
	send_pkt(payload);
	return recv_pkt();
}

/* Wait until *@counter reaches @n (a thread's doing), up to 2 s. */
static bool wait_for(int *counter, int n)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (__atomic_load_n(counter, __ATOMIC_SEQ_CST) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

static void start_session(struct serve_args *a, pthread_t *thread)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	gdb_fd = sv[0];
	a->fd = sv[1];
	gdb_acks = true;
	acks_seen = 0;
	CHECK(pthread_create(thread, NULL, serve_thread, a) == 0);
}

static void end_session(struct serve_args *a, pthread_t thread)
{
	pthread_join(thread, NULL);
	close(gdb_fd);
	close(a->fd);
}

/*
 * vCPU 0 in 64-bit mode with 4-level tables at 0x30000: gva 0x400000
 * is a 2 MiB page at 0x200000, 0x600000 and 0x800000 are not mapped.
 * vCPU 1 in protected mode without paging.
 */
static void setup_machine(struct vm *vm, struct fake *f)
{
	put64(vm, 0x30000, 0x31000 | P);
	put64(vm, 0x31000, 0x32000 | P);
	put64(vm, 0x32000 + 2 * 8, 0x200000 | PS | P);
	memcpy(vm->ram + 0x200000, "\x55\x48\x89\xe5", 4);
	vm->ram[0x200010] = 0xab;
	vm->ram[0x200020] = 0x90;
	vm->ram[0x3ffffe] = 0x12;
	vm->ram[0x3fffff] = 0x34;

	fill_state(&f->cpu[0]);
	f->cpu[0].sregs.cr3 = 0x30000;
	f->cpu[0].sregs.cs.attr = RS_SEG_L | RS_SEG_P | RS_SEG_S;
	memset(&f->cpu[1], 0, sizeof(f->cpu[1]));
	f->cpu[1].sregs.cr0 = CR0_PE;
	f->cpu[1].regs.rflags = 2;
}

static void hex_of(char *out, const char *text)
{
	while (*text) {
		sprintf(out, "%02x", (unsigned char)*text++);
		out += 2;
	}
}

static void session_queries(struct fake *f)
{
	const char *r;
	char want[128];

	r = xfer("qSupported:multiprocess+;swbreak+;hwbreak+;"
		 "xmlRegisters=i386;vContSupported+");
	CHECK(strstr(r, "PacketSize=4000") != NULL);
	CHECK(strstr(r, "qXfer:features:read+") != NULL);
	CHECK(strstr(r, "QStartNoAckMode+") != NULL);
	CHECK(strstr(r, "multiprocess-") != NULL);
	CHECK(strstr(r, "swbreak+") != NULL);
	CHECK(strstr(r, "hwbreak+") != NULL);
	CHECK(acks_seen == 1);
	/* The stub acknowledged, and gdb finds vCPU 0 stopped. */
	CHECK(!strcmp(xfer("?"), "T05thread:1;"));
	CHECK(f->pauses == 1 && f->waits == 1 && f->resumes == 0);
	CHECK(!strcmp(xfer("vMustReplyEmpty"), ""));
	CHECK(!strcmp(xfer("qAttached"), "1"));
	CHECK(!strcmp(xfer("qSymbol::"), "OK"));

	/* target.xml, x86-64 since vCPU 0 is in long mode. */
	r = xfer("qXfer:features:read:target.xml:0,3fff");
	CHECK(r[0] == 'l' && !strncmp(r + 1, "<?xml", 5));
	CHECK(!strcmp(r + 1, gdb_target_xml(GDB_LAYOUT_X86_64)));
	CHECK(!strcmp(xfer("qXfer:features:read:target.xml:0,10"),
		      "m<?xml version=\"1"));
	CHECK(!strcmp(xfer("qXfer:features:read:target.xml:ffff,10"), "l"));
	CHECK(!strncmp(xfer("qXfer:features:read:i386-64bit.xml:0,10"),
		       "E", 1));

	/* Threads: vCPU N is thread N + 1. */
	CHECK(!strcmp(xfer("qfThreadInfo"), "m1,2"));
	CHECK(!strcmp(xfer("qsThreadInfo"), "l"));
	CHECK(!strcmp(xfer("qC"), "QC1"));
	CHECK(!strcmp(xfer("T2"), "OK"));
	CHECK(!strcmp(xfer("T3"), "E01"));
	CHECK(!strcmp(xfer("T0"), "E01"));
	CHECK(!strcmp(xfer("Hg3"), "E01"));
	CHECK(!strcmp(xfer("Hc-1"), "OK"));
	CHECK(!strcmp(xfer("Hg2"), "OK"));
	CHECK(!strcmp(xfer("qC"), "QC2"));
	hex_of(want, "vCPU 1, protected mode");
	CHECK(!strcmp(xfer("qThreadExtraInfo,2"), want));
	hex_of(want, "vCPU 0, 64-bit mode");
	CHECK(!strcmp(xfer("qThreadExtraInfo,1"), want));
	CHECK(!strcmp(xfer("Hg0"), "OK"));		/* any: stays */
	CHECK(!strcmp(xfer("qC"), "QC2"));
	CHECK(!strcmp(xfer("Hg1"), "OK"));

}

/*
 * Single-step: the vCPU alone (resume_one()), with SINGLESTEP and
 * BLOCK_IRQ, until its debug exit with DR6.BS; then without.
 */
static void session_step(struct fake *f, struct gdbstub *g)
{
	CHECK(!strcmp(xfer("vCont?"), "vCont;c;C;s;S"));
	send_pkt("s");
	CHECK(wait_for(&f->resume_ones, 1));
	CHECK(f->resumed_one == 0 && f->resumes == 0);
	CHECK(f->debug_calls == 1 && f->debug[0].flags == STEP &&
	      f->debug[0].dr7 == 0);
	/* B0 is none of the stub's: not a stop, the vCPU goes on. */
	CHECK(gdbstub_debug_exit(g, 0, 1) == 0);
	CHECK(f->pauses == 1);
	CHECK(gdbstub_debug_exit(g, 0, DR6_BS) == 1);
	CHECK(!strcmp(recv_pkt(), "T05thread:1;"));
	CHECK(f->pauses == 2 && f->waits == 2);
	CHECK(f->debug_calls == 2 && f->debug[0].flags == 0);

	/* vCont: the first s names the thread; the others stay paused. */
	send_pkt("vCont;s:2;c");
	CHECK(wait_for(&f->resume_ones, 2));
	CHECK(f->resumed_one == 1 && f->resumes == 0);
	CHECK(f->debug[1].flags == STEP && f->debug[0].flags == 0);
	CHECK(gdbstub_debug_exit(g, 1, DR6_BS) == 1);
	CHECK(!strcmp(recv_pkt(), "T05thread:2;"));
	CHECK(f->debug[1].flags == 0 && f->debug_calls == 4);
	/* The stop's thread is gdb's now. */
	CHECK(!strcmp(xfer("qC"), "QC2"));

	/* 's' steps Hc's thread, or Hg's without one; "S sig;addr" too. */
	CHECK(!strcmp(xfer("Hg1"), "OK"));
	CHECK(!strcmp(xfer("Hc2"), "OK"));
	send_pkt("S05;1234");
	CHECK(wait_for(&f->resume_ones, 3));
	CHECK(f->resumed_one == 1 && f->cpu[1].regs.rip == 0x1234);
	/* Ctrl-C while stepping (a HLT, say): SIGINT, and the step ends. */
	send_bytes("\003", 1);
	CHECK(!strcmp(recv_pkt(), "T02thread:2;"));
	CHECK(f->debug[1].flags == 0);
	CHECK(!strcmp(xfer("Hc-1"), "OK"));
	CHECK(!strcmp(xfer("Hg1"), "OK"));

	/* RS_SET_GUEST_DEBUG failing: E05, and nothing runs. */
	f->fail_debug = true;
	CHECK(!strcmp(xfer("s"), "E05"));
	CHECK(!strcmp(xfer("vCont;s:1"), "E05"));
	f->fail_debug = false;
	CHECK(f->resume_ones == 3 && f->resumes == 0);
	CHECK(!strcmp(xfer("vCont;x"), ""));
	CHECK(!strcmp(xfer("vCont;s:3"), "E01"));
	CHECK(!strcmp(xfer("?"), "T02thread:2;"));
}

static void session_registers(struct fake *f)
{
	const char *r;

	r = xfer("g");
	CHECK(strlen(r) == 2 * 600);
	CHECK(!strncmp(r, "8877665544332211", 16));
	CHECK(!strncmp(r + 16 * 16, "00000081ffffffff", 16));	/* rip */
	CHECK(!strncmp(r + 17 * 16, "46020000", 8));		/* eflags */
	CHECK(!strcmp(xfer("p10"), "00000081ffffffff"));
	CHECK(!strcmp(xfer("p40"), "0005000000000000"));	/* efer */
	CHECK(!strcmp(xfer("p41"), "E16"));
	CHECK(!strcmp(xfer("p22"), "fd3f0000"));		/* ftag */

	CHECK(!strcmp(xfer("P0=efbeadde00000000"), "OK"));
	CHECK(f->cpu[0].regs.rax == 0xdeadbeef);
	CHECK(!strcmp(xfer("p0"), "efbeadde00000000"));
	CHECK(!strcmp(xfer("P0=efbe"), "E16"));
	/* CR3 through RS_SET_SREGS; a CR0 it refuses is E16 and stays. */
	CHECK(!strcmp(xfer("P3d=0000030000000000"), "OK"));
	CHECK(f->cpu[0].sregs.cr3 == 0x30000);
	CHECK(!strcmp(xfer("P3b=0000008000000000"), "E16"));
	CHECK(f->cpu[0].sregs.cr0 == (CR0_PE | CR0_PG));
	CHECK(!strcmp(xfer("p3b"), "0100008000000000"));

	/* G with what g gave, one register changed. */
	r = xfer("g");
	memcpy(got, "0100000000000000", 16);
	send_bytes("$G", 2);
	send_bytes(got, strlen(got));
	{
		char tail[4];

		snprintf(tail, sizeof(tail), "#%02x",
			 (uint8_t)('G' + gdb_checksum(got, strlen(got))));
		send_bytes(tail, 3);
	}
	CHECK(!strcmp(recv_pkt(), "OK"));
	CHECK(f->cpu[0].regs.rax == 1);
	CHECK(f->cpu[0].regs.rip == 0xffffffff81000000ULL);
	(void)r;
}

static void session_memory(struct vm *vm, struct gdbstub *g)
{
	/* By virtual address, through vCPU 0's page tables. */
	CHECK(!strcmp(xfer("m400000,4"), "554889e5"));
	CHECK(!strcmp(xfer("m800000,4"), "E14"));
	/* A read that runs into an unmapped page: what there is. */
	CHECK(!strcmp(xfer("m5ffffe,4"), "1234"));
	CHECK(!strcmp(xfer("M400004,2:9090"), "OK"));
	CHECK(vm->ram[0x200004] == 0x90 && vm->ram[0x200005] == 0x90);
	CHECK(!strcmp(xfer("M5fffff,2:1111"), "E14"));
	CHECK(vm->ram[0x3fffff] == 0x34);
	CHECK(!strcmp(xfer("M400004,2:90"), "E16"));
	/* X: binary, '#' and '}' escaped, a NUL. */
	send_pkt_len("X400006,3:}\003}]\0", 15);
	CHECK(!strcmp(recv_pkt(), "OK"));
	CHECK(vm->ram[0x200006] == '#' && vm->ram[0x200007] == '}' &&
	      vm->ram[0x200008] == 0);
	CHECK(!strcmp(xfer("X400000,0:"), "OK"));
	CHECK(!strcmp(xfer("X800000,1:a"), "E14"));
	CHECK(!strcmp(xfer("X400000,2:a"), "E16"));

	/* Software breakpoints: INT3 in memory, hidden from gdb. */
	CHECK(!strcmp(xfer("Z0,400010,1"), "OK"));
	CHECK(vm->ram[0x200010] == 0xcc && gdbstub_nr_breakpoints(g) == 1);
	CHECK(!strcmp(xfer("Z0,400010,1"), "OK"));
	CHECK(gdbstub_nr_breakpoints(g) == 1);
	CHECK(!strcmp(xfer("m40000f,3"), "00ab00"));
	/* A write over it changes what goes back, not the INT3. */
	CHECK(!strcmp(xfer("M400010,1:cd"), "OK"));
	CHECK(vm->ram[0x200010] == 0xcc);
	CHECK(!strcmp(xfer("m400010,1"), "cd"));
	CHECK(!strcmp(xfer("z0,400010,1"), "OK"));
	CHECK(vm->ram[0x200010] == 0xcd && gdbstub_nr_breakpoints(g) == 0);
	CHECK(!strcmp(xfer("z0,400010,1"), "E01"));
	CHECK(!strcmp(xfer("Z0,800000,1"), "E14"));
	CHECK(gdbstub_nr_breakpoints(g) == 0);
	CHECK(!strcmp(xfer("Z5,400000,1"), ""));
	CHECK(!strcmp(xfer("Z0,400020,1"), "OK"));
	CHECK(!strcmp(xfer("Z0,400021,1"), "OK"));
	CHECK(gdbstub_nr_breakpoints(g) == 2);
}

static void session_running(struct fake *f, struct gdbstub *g)
{
	char bad[] = "$g#00";
	int pauses = f->pauses;

	/* A bad checksum is answered '-'. */
	send_bytes(bad, 5);
	CHECK(recv_byte() == '-');
	CHECK(!strcmp(xfer("QStartNoAckMode"), "OK"));
	gdb_acks = false;
	acks_seen = 0;
	CHECK(!strcmp(xfer("?"), "T02thread:2;"));
	CHECK(acks_seen == 0);

	/* Continue, then Ctrl-C: SIGINT on the last stop's thread. */
	send_pkt("c");
	CHECK(wait_for(&f->resumes, 1));
	send_bytes("\003", 1);
	CHECK(!strcmp(recv_pkt(), "T02thread:2;"));
	CHECK(f->pauses == pauses + 1 && f->waits == pauses + 1);
	/* A request while stopped is ignored; running, the first wins. */
	gdbstub_request_stop(g, 1, 5, true);
	gdbstub_debug_exit(g, 1, DR6_BS);
	CHECK(f->pauses == pauses + 1);

	/* vCont;c, and vCPU 1 hits a breakpoint. */
	send_pkt("vCont;c");
	CHECK(wait_for(&f->resumes, 2));
	gdbstub_request_stop(g, 1, 5, true);
	gdbstub_request_stop(g, 0, 2, false);
	CHECK(!strcmp(recv_pkt(), "T05thread:2;swbreak:;"));
	CHECK(!strcmp(xfer("qC"), "QC2"));
	CHECK(!strcmp(xfer("?"), "T05thread:2;swbreak:;"));

	/* "c ADDR" goes on from ADDR. */
	CHECK(!strcmp(xfer("Hg1"), "OK"));
	send_pkt("c400020");
	CHECK(wait_for(&f->resumes, 3));
	CHECK(f->cpu[0].regs.rip == 0x400020);
	send_bytes("\003", 1);
	CHECK(!strcmp(recv_pkt(), "T02thread:2;"));
}

/* Continue, and vCPU @cpu's debug exit with @dr6: the stop reply. */
static const char *hit(struct fake *f, struct gdbstub *g, unsigned int cpu,
		       uint64_t dr6)
{
	int n = f->resumes + 1;

	send_pkt("c");
	CHECK(wait_for(&f->resumes, n));
	CHECK(gdbstub_debug_exit(g, cpu, dr6) == 1);
	return recv_pkt();
}

/*
 * Z1-Z4: DR0-3 on every vCPU (HW_BP), a watchpoint in as many aligned
 * pieces as it takes; their hits as gdb hears them.
 */
static void session_hw(struct fake *f, struct gdbstub *g)
{
	uint64_t dr7 = DR7(0, 0, 0);
	int calls = f->debug_calls, n;

	CHECK(!strcmp(xfer("Hg1"), "OK"));	/* long mode */
	CHECK(!strcmp(xfer("Z1,400000,1"), "OK"));
	CHECK(f->debug_calls == calls + 2 && gdbstub_nr_hw_slots(g) == 1);
	CHECK(f->debug[0].flags == HW_BP && f->debug[1].flags == HW_BP);
	CHECK(f->debug[0].dr[0] == 0x400000 && f->debug[1].dr[0] == 0x400000);
	CHECK(f->debug[0].dr7 == dr7 && f->debug[1].dr7 == dr7);
	/* gdb's again: there already. */
	CHECK(!strcmp(xfer("Z1,400000,1"), "OK"));
	CHECK(gdbstub_nr_hw_slots(g) == 1);
	/* Write, 4 bytes: R/W 01, LEN 11. */
	CHECK(!strcmp(xfer("Z2,400010,4"), "OK"));
	dr7 |= DR7(1, 1, 3);
	CHECK(f->debug[1].dr[1] == 0x400010 && f->debug[1].dr7 == dr7);
	/* Read, 8 bytes in long mode: R/W 11 (reads and writes), LEN 10. */
	CHECK(!strcmp(xfer("Z3,400018,8"), "OK"));
	dr7 |= DR7(2, 3, 2);
	CHECK(f->debug[0].dr[2] == 0x400018 && f->debug[0].dr7 == dr7);
	/* Two unaligned bytes take two registers: one is left, E28. */
	CHECK(!strcmp(xfer("Z4,400021,2"), "E28"));
	CHECK(gdbstub_nr_hw_slots(g) == 3 && f->debug[0].dr7 == dr7);
	CHECK(!strcmp(xfer("Z4,400022,2"), "OK"));
	dr7 |= DR7(3, 3, 1);
	CHECK(f->debug[0].dr[3] == 0x400022 && f->debug[0].dr7 == dr7);
	CHECK(f->debug[0].flags == HW_BP && f->debug[1].dr7 == dr7);
	CHECK(!strcmp(xfer("Z1,400030,1"), "E28"));
	CHECK(!strcmp(xfer("Z2,400000,0"), "E16"));
	CHECK(!strcmp(xfer("Z2,400010,2"), "E28"));
	CHECK(gdbstub_nr_hw_slots(g) == 4);

	/* Hits: a watchpoint's before a breakpoint's, gdb's address. */
	CHECK(!strcmp(hit(f, g, 1, 1 << 1), "T05thread:2;watch:400010;"));
	CHECK(!strcmp(hit(f, g, 1, 1 << 2), "T05thread:2;rwatch:400018;"));
	CHECK(!strcmp(hit(f, g, 0, 1 << 0 | 1 << 3),
		      "T05thread:1;awatch:400022;"));
	CHECK(!strcmp(hit(f, g, 0, 1 << 0), "T05thread:1;hwbreak:;"));
	CHECK(!strcmp(hit(f, g, 1, 1 << 0 | DR6_BS), "T05thread:2;hwbreak:;"));
	CHECK(!strcmp(xfer("?"), "T05thread:2;hwbreak:;"));

	/* Out again; one that is not there is an error. */
	CHECK(!strcmp(xfer("z2,400010,4"), "OK"));
	CHECK(!strcmp(xfer("z2,400010,4"), "E01"));
	CHECK(!strcmp(xfer("z4,400022,4"), "E01"));
	dr7 &= ~DR7(1, 3, 3);
	CHECK(f->debug[0].dr7 == dr7 && f->debug[1].dr7 == dr7);
	/* What gdb took out is not a stop. */
	n = f->resumes + 1;
	send_pkt("c");
	CHECK(wait_for(&f->resumes, n));
	CHECK(gdbstub_debug_exit(g, 1, 1 << 1) == 0);
	send_bytes("\003", 1);
	CHECK(!strcmp(recv_pkt(), "T02thread:2;"));
	CHECK(!strcmp(xfer("Hg1"), "OK"));

	/* An unaligned watchpoint in pieces: 1 at 1, 2 at 2, 4 at 4, 1 at 8. */
	CHECK(!strcmp(xfer("z1,400000,1"), "OK"));
	CHECK(!strcmp(xfer("z3,400018,8"), "OK"));
	CHECK(!strcmp(xfer("z4,400022,2"), "OK"));
	CHECK(gdbstub_nr_hw_slots(g) == 0 && f->debug[1].flags == 0);
	CHECK(!strcmp(xfer("Z2,400001,8"), "OK"));
	CHECK(gdbstub_nr_hw_slots(g) == 4);
	CHECK(f->debug[0].dr[0] == 0x400001 && f->debug[0].dr[1] == 0x400002 &&
	      f->debug[0].dr[2] == 0x400004 && f->debug[0].dr[3] == 0x400008);
	CHECK(f->debug[0].dr7 == (DR7(0, 1, 0) | DR7(1, 1, 1) | DR7(2, 1, 3) |
				  DR7(3, 1, 0)));
	CHECK(!strcmp(hit(f, g, 0, 1 << 3), "T05thread:1;watch:400001;"));
	CHECK(!strcmp(xfer("z2,400001,8"), "OK"));
	/* Outside long mode no piece is longer than 4 bytes (vCPU 1). */
	CHECK(!strcmp(xfer("Hg2"), "OK"));
	CHECK(!strcmp(xfer("Z2,1000,8"), "OK"));
	CHECK(f->debug[0].dr7 == (DR7(0, 1, 3) | DR7(1, 1, 3)) &&
	      f->debug[0].dr[1] == 0x1004);
	CHECK(!strcmp(xfer("z2,1000,8"), "OK"));
	CHECK(!strcmp(xfer("Hg1"), "OK"));

	/* The module refusing (a non-canonical address): E16, none kept. */
	CHECK(!strcmp(xfer("Z1,800000000000,1"), "E16"));
	CHECK(gdbstub_nr_hw_slots(g) == 0 && f->debug[0].flags == 0);

	/* A step with a watchpoint: both, then the watchpoint alone. */
	CHECK(!strcmp(xfer("Z2,400010,4"), "OK"));
	send_pkt("vCont;s:1;c");
	CHECK(wait_for(&f->resume_ones, 4));
	CHECK(f->debug[0].flags == (HW_BP | STEP) && f->debug[1].flags == HW_BP);
	CHECK(gdbstub_debug_exit(g, 0, DR6_BS | 1) == 1);
	CHECK(!strcmp(recv_pkt(), "T05thread:1;watch:400010;"));
	CHECK(f->debug[0].flags == HW_BP && f->debug[0].dr[0] == 0x400010);
	CHECK(gdbstub_nr_hw_slots(g) == 1);
}

void test_gdb_session(void)
{
	struct vm *vm = ram_vm(8 * MiB);
	static struct fake f;
	struct serve_args a;
	pthread_t thread;
	int resumes;

	setup_machine(vm, &f);
	a.g = gdbstub_create(vm, 2, &fake_ops, &f, GDB_LAYOUT_I386);
	CHECK(a.g != NULL);
	if (!a.g)
		return;
	start_session(&a, &thread);
	session_queries(&f);
	session_step(&f, a.g);
	session_registers(&f);
	session_memory(vm, a.g);
	session_running(&f, a.g);
	session_hw(&f, a.g);
	/* Detach: breakpoints out, debug registers too, the guest goes on. */
	resumes = f.resumes;
	CHECK(!strcmp(xfer("D"), "OK"));
	end_session(&a, thread);
	CHECK(gdbstub_nr_breakpoints(a.g) == 0 && gdbstub_nr_hw_slots(a.g) == 0);
	CHECK(f.debug[0].flags == 0 && f.debug[1].flags == 0);
	CHECK(vm->ram[0x200020] == 0x90 && vm->ram[0x200021] == 0);
	CHECK(f.resumes == resumes + 1 && f.kills == 0);

	/*
	 * Again, vCPU 0 in protected mode now: the i386 layout the stub was
	 * made for.  gdb hanging up is a detach; k ends the run.
	 */
	f.cpu[0].sregs.efer = 0;
	f.cpu[0].sregs.cr4 = 0;
	f.cpu[0].sregs.cr0 = CR0_PE;
	f.cpu[0].regs.rip = 0x100000;
	start_session(&a, &thread);
	CHECK(strstr(xfer("qXfer:features:read:target.xml:0,3fff"),
		     "<architecture>i386</architecture>") != NULL);
	CHECK(strlen(xfer("g")) == 2 * 344);
	CHECK(!strcmp(xfer("p8"), "00001000"));
	/* Without paging the address is physical. */
	CHECK(!strcmp(xfer("m200000,2"), "5548"));
	CHECK(!strcmp(xfer("m100000000,1"), "E14"));
	CHECK(!strcmp(xfer("Z0,200020,1"), "OK"));
	close(gdb_fd);
	pthread_join(thread, NULL);
	close(a.fd);
	CHECK(gdbstub_nr_breakpoints(a.g) == 0 && vm->ram[0x200020] == 0x90);
	CHECK(f.resumes == resumes + 2);

	start_session(&a, &thread);
	send_pkt("k");
	end_session(&a, thread);
	CHECK(f.kills == 1 && f.resumes == resumes + 2);

	gdbstub_free(a.g);
	free_vm(vm);
}
