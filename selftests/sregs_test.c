// SPDX-License-Identifier: GPL-2.0
/*
 * RS_SET_SREGS/RS_GET_SREGS: the 64-bit state the library sets reads back
 * unchanged and is what the guest sees (CR0, CR3, CR4, EFER, GDTR, IDTR,
 * CS); a guest change (CR2 via a page fault... here, a MOV to CR2) shows in
 * RS_GET_SREGS.  Nonzero flags, reserved or descriptor-table pad, EFER
 * bits other than SCE, LME, LMA, NXE and FFXSR (so EFER.SVME: no nested
 * virtualization), and CR8 above 15 are -EINVAL (Documentation/uapi.rst);
 * a refused set changes nothing.  So are, as KVM's kvm_is_valid_sregs()
 * refuses them, control-register bits no CPU takes, long mode without PAE
 * or LMA, LMA or a 64-bit CS outside it, a CR3 past the physical address
 * width, descriptor-table limits past 16 bits and segment attribute bits
 * past 12.  Other inconsistent state is the hardware's to judge:
 * fail_entry_test.c.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static void guest_code(void)
{
	struct rs_desc_ptr gdt = sgdt(), idt = sidt();

	GUEST_SYNC_ARGS(1, read_cr0(), read_cr3(), read_cr4());
	GUEST_SYNC_ARGS(2, rdmsr(MSR_EFER), gdt.base << 16 | gdt.limit,
			idt.base << 16 | idt.limit);
	GUEST_SYNC_ARGS(3, read_cs(), 0, 0);
	asm volatile("mov %0, %%cr2" :: "r"(0xdead000ULL));
	GUEST_DONE();
}

TEST(round_trip_and_guest_view)
{
	struct rs_sregs s, s2;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_sregs_get(vcpu, &s);

	EXPECT_EQ(RS_SEL_CODE, s.cs.selector);
	EXPECT_EQ(0, s.cs.base);
	EXPECT_TRUE(s.cs.attr & RS_SEG_L);
	EXPECT_TRUE(s.cs.attr & RS_SEG_P);
	EXPECT_EQ(RS_SEL_DATA, s.ss.selector);
	EXPECT_EQ(RS_SEL_TSS, s.tr.selector);
	EXPECT_EQ(vm->tss, s.tr.base);
	EXPECT_EQ(0x67, s.tr.limit);
	EXPECT_EQ(vm->gdt, s.gdt.base);
	EXPECT_EQ(5 * 8 - 1, s.gdt.limit);
	EXPECT_EQ(vm->idt, s.idt.base);
	EXPECT_EQ(4095, s.idt.limit);
	EXPECT_EQ(vm->pml4, s.cr3);
	EXPECT_TRUE(s.cr0 & X86_CR0_PG);
	EXPECT_TRUE(s.cr0 & X86_CR0_PE);
	EXPECT_EQ(X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT,
		  s.cr4 & (X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT));
	EXPECT_EQ(EFER_LME | EFER_LMA, s.efer & (EFER_LME | EFER_LMA));
	EXPECT_EQ(0, s.flags);

	/* GET, SET of the same, GET: nothing moves. */
	rs_vcpu_sregs_set(vcpu, &s);
	rs_vcpu_sregs_get(vcpu, &s2);
	EXPECT_EQ(0, memcmp(&s, &s2, sizeof(s)))
		TH_LOG("RS_SET_SREGS of what RS_GET_SREGS gave changed it");

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(s.cr0, uc.args[1]) TH_LOG("guest CR0");
	EXPECT_EQ(s.cr3, uc.args[2]) TH_LOG("guest CR3");
	EXPECT_EQ(s.cr4, uc.args[3]) TH_LOG("guest CR4");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(s.efer, uc.args[1]) TH_LOG("guest EFER");
	EXPECT_EQ(s.gdt.base << 16 | s.gdt.limit, uc.args[2]) TH_LOG("guest GDTR");
	EXPECT_EQ(s.idt.base << 16 | s.idt.limit, uc.args[3]) TH_LOG("guest IDTR");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(RS_SEL_CODE, uc.args[1]) TH_LOG("guest CS");
	rs_vcpu_expect_done(vcpu);

	rs_vcpu_sregs_get(vcpu, &s2);
	EXPECT_EQ(0xdead000, s2.cr2) TH_LOG("CR2 the guest wrote");
	rs_vm_free(vm);
}

TEST(bad_sregs_are_einval)
{
	struct rs_sregs good, s;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_sregs_get(vcpu, &good);

	s = good;
	s.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.reserved[6] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.gdt.pad = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.idt.pad = 0x80000000;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_SET_SREGS, (void *)8));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, RS_GET_SREGS, (void *)8));

	s = good;
	s.efer |= EFER_SVME;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.efer |= 1ULL << 15;		/* TCE */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.efer |= 1ULL << 63;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.cr8 = 16;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_SREGS, &s));
	s = good;
	s.cr8 = 15;
	EXPECT_EQ(0, ioctl(vcpu->fd, RS_SET_SREGS, &s)) TH_LOG("CR8 15: %s",
							     strerror(errno));
	rs_vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(15, s.cr8);
	rs_vcpu_sregs_set(vcpu, &good);

	/* The refusals changed nothing: the guest still runs. */
	rs_vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0, memcmp(&good, &s, sizeof(s)));
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vm_free(vm);
}

#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR4_SMXE	(1ULL << 14)

/* Spoil @s in the @i-th way; its name, or NULL past the last. */
static const char *spoil(unsigned int i, struct rs_sregs *s)
{
	switch (i) {
	case 0: s->cr0 &= ~X86_CR0_PE; return "CR0.PG without PE";
	case 1: s->cr0 = (s->cr0 | X86_CR0_NW) & ~X86_CR0_CD; return "CR0.NW without CD";
	case 2: s->cr0 |= 1ULL << 32; return "CR0 bit 32";
	case 3: s->cr4 |= 1ULL << 15; return "CR4 reserved bit 15";
	case 4: s->cr4 |= X86_CR4_SMXE; return "CR4.SMXE";
	case 5: s->cr4 |= X86_CR4_VMXE; return "CR4.VMXE";
	case 6: s->cr4 &= ~X86_CR4_PAE; return "long mode without CR4.PAE";
	case 7: s->efer &= ~EFER_LMA; return "long mode without EFER.LMA";
	case 8: s->cr0 &= ~(X86_CR0_PG | X86_CR0_PE); return "EFER.LMA without paging";
	case 9: s->efer &= ~(EFER_LME | EFER_LMA); return "64-bit CS outside long mode";
	case 10: s->cr3 |= 1ULL << 62; return "CR3 bit 62 in long mode";
	case 11: s->gdt.limit = 0x10000; return "GDT limit 0x10000";
	case 12: s->idt.limit = 0xffffffff; return "IDT limit 0xffffffff";
	case 13: s->cs.attr |= 1 << 12; return "CS attribute bit 12";
	case 14: s->tr.attr |= 1 << 15; return "TR attribute bit 15";
	}
	return NULL;
}

TEST(inconsistent_sregs_are_einval)
{
	struct rs_sregs good, s;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	const char *what;
	unsigned int i;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_sregs_get(vcpu, &good);
	for (i = 0, s = good; (what = spoil(i, &s)); i++, s = good) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(vcpu->fd, RS_SET_SREGS, &s))
			TH_LOG("%s was taken", what);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", what);
	}
	rs_vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0, memcmp(&good, &s, sizeof(s))) TH_LOG("a refusal changed state");
	rs_vcpu_expect_sync(vcpu, 1);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
