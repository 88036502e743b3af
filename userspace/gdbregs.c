// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: the gdb stub's registers (gdbstub.h).  One table per
 * layout says, in gdb's numbering, what each register is and where the
 * vCPU keeps it; the 'g' packet, 'p'/'P' and target.xml are all made from
 * it, so that they cannot disagree.
 *
 * The features are gdb's own (gdb/features/i386/): 64bit-core, 64bit-sse
 * and 64bit-segments for i386:x86-64, 32bit-core and 32bit-sse for i386,
 * with their register names, sizes and order, which gdb's i386 and amd64
 * targets check by name.  The Linux feature (orig_rax) is a process's,
 * not a machine's, and is left out.  A feature of ringside's own adds the
 * control registers and EFER, which gdb shows as it finds them ("info
 * registers cr3", "p/x $efer"); for i386 it has fs_base and gs_base too,
 * as QEMU's i386-32bit.xml has them outside 32bit-segments: gdb 13's bare
 * i386 (no Linux OS ABI) numbers 32bit-segments' registers past the ones
 * it has room for and stops on an internal error.
 *
 * The x87 state is the legacy area of the XSAVE image RS_GET_FPU gives
 * (Intel SDM vol. 1, 10.5.1 "FXSAVE Area"): there the tag word is abridged
 * to a bit per register, gdb wants the full two bits (SDM vol. 1, 8.1.7
 * "x87 FPU Tag Word"), so they are worked out from the registers as
 * FSAVE would.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gdbstub.h"
#include "util.h"

/* Where a register lives. */
enum reg_kind {
	K_REGS,		/* a __u64 of struct rs_regs */
	K_EFLAGS,	/* rs_regs.rflags, bit 1 always set */
	K_SREGS,	/* a __u64 of struct rs_sregs: base, CR, EFER */
	K_SEL,		/* a segment's selector in struct rs_sregs */
	K_FX,		/* bytes of the FXSAVE area, zero-extended */
	K_FTAG,		/* the tag word, full from abridged */
	K_FOP,		/* the last opcode, 11 bits */
};

enum feature { F_CORE, F_SSE, F_SEGMENTS, F_SYS, F_NR };

struct reg {
	const char *name;
	uint8_t bits;		/* as gdb has it */
	uint8_t kind;
	uint8_t feature;
	uint8_t width;		/* K_FX: bytes in the FXSAVE area */
	uint16_t off;		/* in its struct, or the FXSAVE area */
	const char *type;
	const char *group;	/* or NULL */
};

/* The table's rows: name, where it is, and gdb's type. */
#define GPR(n, f, b, t)							\
	{ n, b, K_REGS, F_CORE, 8, offsetof(struct rs_regs, f), t, NULL }
#define SEL(n, f)							\
	{ n, 32, K_SEL, F_CORE, 2, offsetof(struct rs_sregs, f.selector), \
	  "int32", NULL }
#define ST(i)								\
	{ "st" #i, 80, K_FX, F_CORE, 10, 32 + 16 * (i), "i387_ext", NULL }
#define FX(n, o, w)							\
	{ n, 32, K_FX, F_CORE, w, o, "int", "float" }
#define XMM(i)								\
	{ "xmm" #i, 128, K_FX, F_SSE, 16, 160 + 16 * (i), "vec128", NULL }
#define SBASE(n, f, b, ft)						\
	{ n, b, K_SREGS, ft, 8, offsetof(struct rs_sregs, f.base), "int", NULL }
#define SYS(n, f, b)							\
	{ n, b, K_SREGS, F_SYS, 8, offsetof(struct rs_sregs, f), "int",	\
	  "system" }

#define X87_REGS							\
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),		\
	FX("fctrl", 0, 2), FX("fstat", 2, 2),				\
	{ "ftag", 32, K_FTAG, F_CORE, 0, 0, "int", "float" },		\
	FX("fiseg", 12, 2), FX("fioff", 8, 4),				\
	FX("foseg", 20, 2), FX("fooff", 16, 4),				\
	{ "fop", 32, K_FOP, F_CORE, 0, 6, "int", "float" }

#define SEGMENT_REGS							\
	SEL("cs", cs), SEL("ss", ss), SEL("ds", ds),			\
	SEL("es", es), SEL("fs", fs), SEL("gs", gs)

#define MXCSR { "mxcsr", 32, K_FX, F_SSE, 4, 24, "i386_mxcsr", "vector" }

/* 64bit-core.xml, 64bit-sse.xml, 64bit-segments.xml, then ringside's. */
static const struct reg regs_x86_64[] = {
	GPR("rax", rax, 64, "int64"), GPR("rbx", rbx, 64, "int64"),
	GPR("rcx", rcx, 64, "int64"), GPR("rdx", rdx, 64, "int64"),
	GPR("rsi", rsi, 64, "int64"), GPR("rdi", rdi, 64, "int64"),
	GPR("rbp", rbp, 64, "data_ptr"), GPR("rsp", rsp, 64, "data_ptr"),
	GPR("r8", r8, 64, "int64"), GPR("r9", r9, 64, "int64"),
	GPR("r10", r10, 64, "int64"), GPR("r11", r11, 64, "int64"),
	GPR("r12", r12, 64, "int64"), GPR("r13", r13, 64, "int64"),
	GPR("r14", r14, 64, "int64"), GPR("r15", r15, 64, "int64"),
	GPR("rip", rip, 64, "code_ptr"),
	{ "eflags", 32, K_EFLAGS, F_CORE, 8, offsetof(struct rs_regs, rflags),
	  "i386_eflags", NULL },
	SEGMENT_REGS,
	X87_REGS,
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	MXCSR,
	SBASE("fs_base", fs, 64, F_SEGMENTS),
	SBASE("gs_base", gs, 64, F_SEGMENTS),
	SYS("cr0", cr0, 64), SYS("cr2", cr2, 64), SYS("cr3", cr3, 64),
	SYS("cr4", cr4, 64), SYS("cr8", cr8, 64), SYS("efer", efer, 64),
};

/* 32bit-core.xml (its own order of the GPRs), 32bit-sse, then ringside's. */
static const struct reg regs_i386[] = {
	GPR("eax", rax, 32, "int32"), GPR("ecx", rcx, 32, "int32"),
	GPR("edx", rdx, 32, "int32"), GPR("ebx", rbx, 32, "int32"),
	GPR("esp", rsp, 32, "data_ptr"), GPR("ebp", rbp, 32, "data_ptr"),
	GPR("esi", rsi, 32, "int32"), GPR("edi", rdi, 32, "int32"),
	GPR("eip", rip, 32, "code_ptr"),
	{ "eflags", 32, K_EFLAGS, F_CORE, 8, offsetof(struct rs_regs, rflags),
	  "i386_eflags", NULL },
	SEGMENT_REGS,
	X87_REGS,
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	MXCSR,
	SBASE("fs_base", fs, 32, F_SYS), SBASE("gs_base", gs, 32, F_SYS),
	SYS("cr0", cr0, 32), SYS("cr2", cr2, 32), SYS("cr3", cr3, 32),
	SYS("cr4", cr4, 32), SYS("cr8", cr8, 32), SYS("efer", efer, 64),
};

static const struct {
	const struct reg *regs;
	unsigned int nr;
	const char *arch;
	const char *compatible;		/* or NULL */
} layouts[] = {
	[GDB_LAYOUT_I386] = { regs_i386, ARRAY_SIZE(regs_i386), "i386", NULL },
	/*
	 * A 32-bit ELF's gdb (architecture i386, which BFD calls
	 * incompatible with x86-64 for the word size) takes the x86-64 layout
	 * too, rather than rejecting it and failing on the 'g' packet's size.
	 */
	[GDB_LAYOUT_X86_64] = { regs_x86_64, ARRAY_SIZE(regs_x86_64),
				"i386:x86-64", "i386" },
};

static const struct reg *reg_of(enum gdb_layout layout, unsigned int regno)
{
	if ((unsigned int)layout >= ARRAY_SIZE(layouts) ||
	    regno >= layouts[layout].nr)
		return NULL;
	return &layouts[layout].regs[regno];
}

unsigned int gdb_nr_regs(enum gdb_layout layout)
{
	return (unsigned int)layout < ARRAY_SIZE(layouts) ? layouts[layout].nr : 0;
}

unsigned int gdb_reg_size(enum gdb_layout layout, unsigned int regno)
{
	const struct reg *r = reg_of(layout, regno);

	return r ? r->bits / 8 : 0;
}

const char *gdb_reg_name(enum gdb_layout layout, unsigned int regno)
{
	const struct reg *r = reg_of(layout, regno);

	return r ? r->name : NULL;
}

unsigned int gdb_regs_size(enum gdb_layout layout)
{
	unsigned int i, size = 0;

	for (i = 0; i < gdb_nr_regs(layout); i++)
		size += gdb_reg_size(layout, i);
	return size;
}

static uint64_t le_get(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void le_put(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = v;
}

/*
 * The two tag bits of each physical register (SDM vol. 1, 8.1.7): 3 empty
 * (its abridged bit clear), else from the register's content -- 0 valid,
 * 1 zero, 2 special (NaN, infinity, denormal, unnormal).  The area holds
 * the registers in stack order; physical register i is ST((i - TOP) & 7).
 */
static uint16_t ftag_full(const uint8_t *fx)
{
	unsigned int top = (le_get(fx + 2, 2) >> 11) & 7, i, tag;
	uint16_t full = 0;

	for (i = 0; i < 8; i++) {
		const uint8_t *st = fx + 32 + 16 * ((i - top) & 7);
		unsigned int exp = le_get(st + 8, 2) & 0x7fff;
		uint64_t mant = le_get(st, 8);

		if (!(fx[4] & (1U << i)))
			tag = 3;
		else if (exp == 0x7fff)
			tag = 2;
		else if (exp == 0)
			tag = mant ? 2 : 1;
		else
			tag = mant >> 63 ? 0 : 2;
		full |= tag << (2 * i);
	}
	return full;
}

/* Back to a bit per register: set where the register is not empty. */
static uint8_t ftag_abridged(uint16_t full)
{
	uint8_t ab = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		if (((full >> (2 * i)) & 3) != 3)
			ab |= 1U << i;
	return ab;
}

bool gdb_reg_get(enum gdb_layout layout, const struct gdb_cpu_state *s,
		 unsigned int regno, uint8_t *buf)
{
	const struct reg *r = reg_of(layout, regno);
	const uint8_t *fx = s->fpu.xsave;
	unsigned int size;
	uint64_t v;

	if (!r)
		return false;
	size = r->bits / 8;
	memset(buf, 0, size);
	switch (r->kind) {
	case K_REGS:
	case K_EFLAGS:
		memcpy(&v, (const uint8_t *)&s->regs + r->off, 8);
		le_put(buf, v, MIN(size, 8));
		return true;
	case K_SREGS:
		memcpy(&v, (const uint8_t *)&s->sregs + r->off, 8);
		le_put(buf, v, MIN(size, 8));
		return true;
	case K_SEL:
		memcpy(buf, (const uint8_t *)&s->sregs + r->off, 2);
		return true;
	case K_FX:
		if (!s->have_fpu)
			return false;
		memcpy(buf, fx + r->off, r->width);
		return true;
	case K_FTAG:
		if (!s->have_fpu)
			return false;
		le_put(buf, ftag_full(fx), 2);
		return true;
	case K_FOP:
		if (!s->have_fpu)
			return false;
		le_put(buf, le_get(fx + r->off, 2) & 0x7ff, 2);
		return true;
	}
	return false;
}

/* A register narrower than its field replaces only the low bytes. */
static void merge_u64(uint8_t *field, const uint8_t *buf, unsigned int size)
{
	uint64_t old, v = le_get(buf, MIN(size, 8));

	memcpy(&old, field, 8);
	if (size < 8)
		v |= old & ~((1ULL << (8 * size)) - 1);
	memcpy(field, &v, 8);
}

#define CR0_PE		1ULL

unsigned int gdb_reg_set(enum gdb_layout layout, struct gdb_cpu_state *s,
			 unsigned int regno, const uint8_t *buf)
{
	const struct reg *r = reg_of(layout, regno);
	uint8_t *fx = s->fpu.xsave;
	unsigned int size;
	uint16_t sel;

	if (!r)
		return 0;
	size = r->bits / 8;
	switch (r->kind) {
	case K_REGS:
		merge_u64((uint8_t *)&s->regs + r->off, buf, size);
		return GDB_DIRTY_REGS;
	case K_EFLAGS:
		merge_u64((uint8_t *)&s->regs + r->off, buf, size);
		s->regs.rflags |= 2;	/* reserved, always 1 */
		return GDB_DIRTY_REGS;
	case K_SREGS:
		merge_u64((uint8_t *)&s->sregs + r->off, buf, size);
		return GDB_DIRTY_SREGS;
	case K_SEL: {
		struct rs_segment *seg = (void *)((uint8_t *)&s->sregs +
			r->off - offsetof(struct rs_segment, selector));

		/*
		 * Only the selector: the descriptor cache stays as it is,
		 * except in real mode, where a new selector's base is its
		 * paragraph (SDM vol. 3A, 20.1.1).  The same selector again
		 * (a 'G' of what 'g' gave) keeps an unreal-mode base.
		 */
		sel = le_get(buf, 2);
		if (!(s->sregs.cr0 & CR0_PE) && sel != seg->selector)
			seg->base = (uint64_t)sel << 4;
		seg->selector = sel;
		return GDB_DIRTY_SREGS;
	}
	case K_FX:
		if (!s->have_fpu)
			return 0;
		memcpy(fx + r->off, buf, r->width);
		return GDB_DIRTY_FPU;
	case K_FTAG:
		if (!s->have_fpu)
			return 0;
		fx[4] = ftag_abridged(le_get(buf, 2));
		return GDB_DIRTY_FPU;
	case K_FOP:
		if (!s->have_fpu)
			return 0;
		le_put(fx + r->off, le_get(buf, 2) & 0x7ff, 2);
		return GDB_DIRTY_FPU;
	}
	return 0;
}

/* --- target.xml ----------------------------------------------------- */

static const char *const feature_names[F_NR] = {
	[F_CORE] = "org.gnu.gdb.i386.core",
	[F_SSE] = "org.gnu.gdb.i386.sse",
	[F_SEGMENTS] = "org.gnu.gdb.i386.segments",
	[F_SYS] = "org.ringside.x86.sys",
};

/* The types a feature's registers name, as gdb's own files define them. */
static const char *const feature_types[F_NR] = {
	[F_CORE] =
	"<flags id=\"i386_eflags\" size=\"4\">"
	"<field name=\"CF\" start=\"0\" end=\"0\"/>"
	"<field name=\"PF\" start=\"2\" end=\"2\"/>"
	"<field name=\"AF\" start=\"4\" end=\"4\"/>"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/>"
	"<field name=\"SF\" start=\"7\" end=\"7\"/>"
	"<field name=\"TF\" start=\"8\" end=\"8\"/>"
	"<field name=\"IF\" start=\"9\" end=\"9\"/>"
	"<field name=\"DF\" start=\"10\" end=\"10\"/>"
	"<field name=\"OF\" start=\"11\" end=\"11\"/>"
	"<field name=\"NT\" start=\"14\" end=\"14\"/>"
	"<field name=\"RF\" start=\"16\" end=\"16\"/>"
	"<field name=\"VM\" start=\"17\" end=\"17\"/>"
	"<field name=\"AC\" start=\"18\" end=\"18\"/>"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/>"
	"<field name=\"VIP\" start=\"20\" end=\"20\"/>"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>"
	"</flags>",
	/* Without gdb 12's half and bfloat16 fields, which older gdb lacks. */
	[F_SSE] =
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\">"
	"<field name=\"v4_float\" type=\"v4f\"/>"
	"<field name=\"v2_double\" type=\"v2d\"/>"
	"<field name=\"v16_int8\" type=\"v16i8\"/>"
	"<field name=\"v8_int16\" type=\"v8i16\"/>"
	"<field name=\"v4_int32\" type=\"v4i32\"/>"
	"<field name=\"v2_int64\" type=\"v2i64\"/>"
	"<field name=\"uint128\" type=\"uint128\"/>"
	"</union>"
	"<flags id=\"i386_mxcsr\" size=\"4\">"
	"<field name=\"IE\" start=\"0\" end=\"0\"/>"
	"<field name=\"DE\" start=\"1\" end=\"1\"/>"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/>"
	"<field name=\"OE\" start=\"3\" end=\"3\"/>"
	"<field name=\"UE\" start=\"4\" end=\"4\"/>"
	"<field name=\"PE\" start=\"5\" end=\"5\"/>"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/>"
	"<field name=\"IM\" start=\"7\" end=\"7\"/>"
	"<field name=\"DM\" start=\"8\" end=\"8\"/>"
	"<field name=\"ZM\" start=\"9\" end=\"9\"/>"
	"<field name=\"OM\" start=\"10\" end=\"10\"/>"
	"<field name=\"UM\" start=\"11\" end=\"11\"/>"
	"<field name=\"PM\" start=\"12\" end=\"12\"/>"
	"<field name=\"FZ\" start=\"15\" end=\"15\"/>"
	"</flags>",
};

static char xml[ARRAY_SIZE(layouts)][16384];
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void build_xml(enum gdb_layout layout)
{
	char *p = xml[layout], *end = p + sizeof(xml[layout]);
	unsigned int f, i;

#define OUT(...) (p += snprintf(p, end - p, __VA_ARGS__))
	OUT("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	    "<target version=\"1.0\">\n"
	    "<architecture>%s</architecture>\n", layouts[layout].arch);
	if (layouts[layout].compatible)
		OUT("<compatible>%s</compatible>\n", layouts[layout].compatible);
	for (f = 0; f < F_NR; f++) {
		for (i = 0; i < layouts[layout].nr; i++)
			if (layouts[layout].regs[i].feature == f)
				break;
		if (i == layouts[layout].nr)
			continue;
		OUT("<feature name=\"%s\">\n%s%s", feature_names[f],
		    feature_types[f] ? feature_types[f] : "",
		    feature_types[f] ? "\n" : "");
		for (i = 0; i < layouts[layout].nr; i++) {
			const struct reg *r = &layouts[layout].regs[i];

			if (r->feature != f)
				continue;
			/* regnum: gdb's numbering is the table's. */
			OUT("<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" "
			    "regnum=\"%u\"%s%s%s/>\n", r->name, r->bits,
			    r->type, i, r->group ? " group=\"" : "",
			    r->group ? r->group : "", r->group ? "\"" : "");
		}
		OUT("</feature>\n");
	}
	OUT("</target>\n");
#undef OUT
}

static void build_all_xml(void)
{
	build_xml(GDB_LAYOUT_I386);
	build_xml(GDB_LAYOUT_X86_64);
}

const char *gdb_target_xml(enum gdb_layout layout)
{
	pthread_once(&xml_once, build_all_xml);
	return (unsigned int)layout < ARRAY_SIZE(layouts) ? xml[layout] : "";
}
