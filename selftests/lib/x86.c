// SPDX-License-Identifier: GPL-2.0
/*
 * The guest environment of a default VM: RAM in slot 0 with the test
 * binary loaded, 4-level page tables identity-mapping the low 4 GiB with
 * 2 MiB pages, a GDT (64-bit code, data, TSS), an IDT whose gates enter
 * lib/guest_entry.S, and vCPUs in 64-bit mode (SDM vol. 3A, 9.8.5: CR0.PE
 * and PG, CR4.PAE, EFER.LME and LMA, a code segment with L set).
 */
#include <stdlib.h>
#include <unistd.h>

#include "rs_util.h"

uint64_t rs_elf_end(void);
void rs_elf_load(struct rs_vm *vm);

extern char rs_idt_stubs[];
void rs_guest_code_returned(void);

#define SZ_2M	(2ULL << 20)
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((a) - 1))

static void setup_page_tables(struct rs_vm *vm)
{
	uint64_t pdpt, pd, *e;
	unsigned int i;

	vm->pml4 = rs_vm_alloc_pages(vm, 1);
	pdpt = rs_vm_alloc_pages(vm, 1);
	pd = rs_vm_alloc_pages(vm, RS_IDENTITY_MAP_SIZE >> 30);

	e = rs_gpa2hva(vm, vm->pml4);
	e[0] = pdpt | PTE_P | PTE_RW | PTE_US;
	e = rs_gpa2hva(vm, pdpt);
	for (i = 0; i < RS_IDENTITY_MAP_SIZE >> 30; i++)
		e[i] = (pd + i * 4096) | PTE_P | PTE_RW | PTE_US;
	/* The PD pages are contiguous: one array of 2 MiB entries. */
	for (i = 0; i < RS_IDENTITY_MAP_SIZE / SZ_2M; i++) {
		e = rs_gpa2hva(vm, pd + (i / 512) * 4096);
		e[i % 512] = (i * SZ_2M) | PTE_P | PTE_RW | PTE_US | PTE_PS;
	}
}

/* GDT: null, 64-bit code (0x08), data (0x10), 64-bit TSS (0x18, 16 bytes). */
static void setup_gdt_tss(struct rs_vm *vm)
{
	uint64_t *gdt, base;
	struct rs_tss64 *tss;

	vm->gdt = rs_vm_alloc_pages(vm, 1);
	vm->tss = rs_vm_alloc_pages(vm, 1);
	tss = rs_gpa2hva(vm, vm->tss);
	tss->iomap_base = sizeof(*tss);		/* no I/O permission map */

	gdt = rs_gpa2hva(vm, vm->gdt);
	gdt[0] = 0;
	/* P, DPL 0, S, type 0xb (execute/read, accessed); G, L */
	gdt[1] = 0x00af9b000000ffffULL;
	/* P, DPL 0, S, type 0x3 (read/write, accessed); G, D/B */
	gdt[2] = 0x00cf93000000ffffULL;
	/* P, type 0xb (busy 64-bit TSS), limit 0x67 */
	base = vm->tss;
	gdt[3] = 0x67 | ((base & 0xffffff) << 16) | (0x8bULL << 40) |
		 ((base >> 24 & 0xff) << 56);
	gdt[4] = base >> 32;
}

static void setup_idt(struct rs_vm *vm)
{
	struct rs_idt_gate *idt;
	unsigned int v;

	vm->idt = rs_vm_alloc_pages(vm, 1);
	idt = rs_gpa2hva(vm, vm->idt);
	for (v = 0; v < 256; v++) {
		uint64_t handler = (uint64_t)rs_idt_stubs + 16 * v;

		idt[v].offset0 = handler & 0xffff;
		idt[v].selector = RS_SEL_CODE;
		idt[v].ist = 0;
		idt[v].type_attr = 0x8e;	/* P, DPL 0, interrupt gate */
		idt[v].offset1 = (handler >> 16) & 0xffff;
		idt[v].offset2 = handler >> 32;
		idt[v].zero = 0;
	}
}

struct rs_vm *rs_vm_create_default(void)
{
	struct rs_vm *vm = rs_vm_create_bare();
	uint64_t elf_end = rs_elf_end();
	uint64_t ram = ALIGN_UP(elf_end, SZ_2M) + (16ULL << 20);
	int is_svm;

	if (ram < RS_RAM_MIN_SIZE)
		ram = RS_RAM_MIN_SIZE;
	RS_ASSERT(ram <= RS_MMIO_GPA, "the test binary is too big (%#lx)",
		  (unsigned long)elf_end);
	rs_vm_add_region(vm, RS_RAM_SLOT, 0, 0, ram);
	vm->ram_end = ram;
	vm->next_free_gpa = ALIGN_UP(elf_end, SZ_2M);

	rs_elf_load(vm);
	setup_page_tables(vm);
	setup_gdt_tss(vm);
	setup_idt(vm);

	is_svm = vm->svm;
	memcpy(rs_gpa2hva(vm, (uint64_t)&rs_guest_is_svm), &is_svm,
	       sizeof(is_svm));
	return vm;
}

void rs_vm_install_handler(struct rs_vm *vm, int vector, rs_handler_t h)
{
	rs_handler_t *table = rs_gpa2hva(vm, (uint64_t)rs_guest_handlers);

	RS_ASSERT(vector >= 0 && vector < 256, "vector %d", vector);
	table[vector] = h;
}

void rs_seg_set(struct rs_segment *s, uint16_t sel, uint16_t attr,
		uint64_t base, uint32_t limit)
{
	s->selector = sel;
	s->attr = attr;
	s->base = base;
	s->limit = limit;
}

struct rs_vcpu *rs_vcpu_add(struct rs_vm *vm, uint32_t id, void *guest_code)
{
	struct rs_vcpu *vcpu = rs_vcpu_create_bare(vm, id);
	const uint16_t code = RS_SEG_TYPE(0xb) | RS_SEG_S | RS_SEG_P |
			      RS_SEG_L | RS_SEG_G;
	const uint16_t data = RS_SEG_TYPE(0x3) | RS_SEG_S | RS_SEG_P |
			      RS_SEG_DB | RS_SEG_G;
	struct rs_sregs sregs;
	struct rs_regs regs;
	uint64_t stack, *sp;

	RS_ASSERT(vm->ram_end, "rs_vcpu_add needs a default VM");
	rs_vcpu_sregs_get(vcpu, &sregs);
	rs_seg_set(&sregs.cs, RS_SEL_CODE, code, 0, 0xffffffff);
	rs_seg_set(&sregs.ds, RS_SEL_DATA, data, 0, 0xffffffff);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	rs_seg_set(&sregs.tr, RS_SEL_TSS, RS_SEG_TYPE(0xb) | RS_SEG_P,
		vm->tss, 0x67);
	rs_seg_set(&sregs.ldt, 0, 0, 0, 0);	/* unusable */
	sregs.gdt.base = vm->gdt;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.gdt.pad = 0;
	sregs.idt.base = vm->idt;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.idt.pad = 0;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_PG;
	sregs.cr3 = vm->pml4;
	sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sregs.cr2 = 0;
	sregs.cr8 = 0;
	sregs.efer = EFER_LME | EFER_LMA;
	sregs.flags = 0;
	memset(sregs.reserved, 0, sizeof(sregs.reserved));
	rs_vcpu_sregs_set(vcpu, &sregs);

	stack = rs_vm_alloc_pages(vm, RS_STACK_SIZE / 4096);
	vcpu->stack_top = stack + RS_STACK_SIZE;
	/* As if called: a return address at a 16-byte boundary + 8. */
	sp = rs_gpa2hva(vm, vcpu->stack_top - 8);
	*sp = (uint64_t)rs_guest_code_returned;

	memset(&regs, 0, sizeof(regs));
	regs.rip = (uint64_t)guest_code;
	regs.rsp = vcpu->stack_top - 8;
	regs.rflags = X86_RFLAGS_FIXED;
	rs_vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

struct rs_vm *rs_vm_create_with_one_vcpu(struct rs_vcpu **vcpu,
					 void *guest_code)
{
	struct rs_vm *vm = rs_vm_create_default();

	*vcpu = rs_vcpu_add(vm, 0, guest_code);
	return vm;
}
