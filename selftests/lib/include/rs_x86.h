/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 facts and instructions the selftests use on both sides: control
 * register and EFER bits, MSR numbers, descriptor formats, and inline
 * helpers for guest code (all static inline, no libc).
 */
#ifndef SELFTEST_RS_X86_H
#define SELFTEST_RS_X86_H

#include <stdint.h>
#include <stdbool.h>

#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_MP		(1ULL << 1)
#define X86_CR0_EM		(1ULL << 2)
#define X86_CR0_TS		(1ULL << 3)
#define X86_CR0_ET		(1ULL << 4)
#define X86_CR0_NE		(1ULL << 5)
#define X86_CR0_WP		(1ULL << 16)
#define X86_CR0_AM		(1ULL << 18)
#define X86_CR0_PG		(1ULL << 31)

#define X86_CR4_PAE		(1ULL << 5)
#define X86_CR4_PGE		(1ULL << 7)
#define X86_CR4_OSFXSR		(1ULL << 9)
#define X86_CR4_OSXMMEXCPT	(1ULL << 10)
#define X86_CR4_VMXE		(1ULL << 13)
#define X86_CR4_OSXSAVE		(1ULL << 18)

#define EFER_SCE		(1ULL << 0)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)
#define EFER_NX			(1ULL << 11)
#define EFER_SVME		(1ULL << 12)

#define X86_RFLAGS_FIXED	(1ULL << 1)
#define X86_RFLAGS_IF		(1ULL << 9)

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_CR_PAT		0x277
#define MSR_IA32_FEAT_CTL	0x3a
#define MSR_IA32_VMX_BASIC	0x480
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_VM_CR		0xc0010114
#define MSR_VM_HSAVE_PA		0xc0010117

/* Exception vectors. */
#define DE_VECTOR	0
#define DB_VECTOR	1
#define NMI_VECTOR	2
#define BP_VECTOR	3
#define UD_VECTOR	6
#define NM_VECTOR	7
#define DF_VECTOR	8
#define TS_VECTOR	10
#define NP_VECTOR	11
#define SS_VECTOR	12
#define GP_VECTOR	13
#define PF_VECTOR	14
#define AC_VECTOR	17

/* Page table entry bits (4-level paging). */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)

/* CPUID leaf 1 ECX and 0x80000001 ECX bits the tests look at. */
#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_80000001_ECX_SVM	(1U << 2)

/* The legacy region of the XSAVE area (SDM vol. 1, 10.5.1). */
#define XSAVE_FCW_OFFSET	0
#define XSAVE_MXCSR_OFFSET	24
#define XSAVE_XMM_OFFSET	160

struct rs_cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct rs_cpuid_regs rs_cpuid(uint32_t fn, uint32_t index)
{
	struct rs_cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(fn), "c"(index)
		     : "memory");
	return r;
}

/* Guest-only instructions below: they fault in user space. */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return lo | ((uint64_t)hi << 32);
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr"
		     :: "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), "c"(msr)
		     : "memory");
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	asm volatile("sti" ::: "memory");
}

/* STI's shadow covers HLT: no interrupt slips in between. */
static inline void sti_hlt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

static inline void hlt(void)
{
	asm volatile("hlt" ::: "memory");
}

static inline uint64_t rflags(void)
{
	uint64_t f;

	asm volatile("pushfq; popq %0" : "=r"(f) :: "memory");
	return f;
}

#define DEFINE_READ_CR(n)						\
static inline uint64_t read_cr##n(void)					\
{									\
	uint64_t v;							\
	asm volatile("mov %%cr" #n ", %0" : "=r"(v) :: "memory");	\
	return v;							\
}
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
DEFINE_READ_CR(8)

static inline void write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" :: "r"(v) : "memory");
}

struct rs_desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static inline struct rs_desc_ptr sidt(void)
{
	struct rs_desc_ptr p;

	asm volatile("sidt %0" : "=m"(p) :: "memory");
	return p;
}

static inline struct rs_desc_ptr sgdt(void)
{
	struct rs_desc_ptr p;

	asm volatile("sgdt %0" : "=m"(p) :: "memory");
	return p;
}

static inline void lidt(const struct rs_desc_ptr *p)
{
	asm volatile("lidt %0" :: "m"(*p) : "memory");
}

static inline uint16_t read_cs(void)
{
	uint16_t v;

	asm volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

/* 64-bit IDT gate (SDM vol. 3A, 6.14.1). */
struct rs_idt_gate {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;	/* P, DPL, type 0xE: interrupt gate */
	uint16_t offset1;
	uint32_t offset2;
	uint32_t zero;
};

/* 64-bit TSS (SDM vol. 3A, 8.7). */
struct rs_tss64 {
	uint32_t res0;
	uint64_t rsp[3];
	uint64_t res1;
	uint64_t ist[7];
	uint64_t res2;
	uint16_t res3;
	uint16_t iomap_base;
} __attribute__((packed));

#endif /* SELFTEST_RS_X86_H */
