// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel APIC's registers as the guest sees them (Intel SDM vol.
 * 3A, chapter 11): in xAPIC mode, each register's writable bits, read-only
 * and reserved registers, narrow reads, ESR; in x2APIC mode the MSRs and
 * their #GP rules (11.12.1.2-3); IA32_APIC_BASE's transitions (figure
 * 11-27), its reserved bits, the reset a disabled APIC comes back with,
 * CPUID.1:EDX.APIC following it, and the xAPIC page going to user space
 * while the APIC is off or in x2APIC mode.
 */
#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define GP		13
#define VEC		0x40

static volatile uint64_t irqs;

static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		xapic_write(APIC_EOI, 0);
}

/* Write ~0 to @off and expect @bits back; then write @restore. */
#define EXPECT_BITS(off, bits, restore) do {				\
	xapic_write(off, ~0U);						\
	GUEST_ASSERT_EQ(xapic_read(off), (uint32_t)(bits));		\
	xapic_write(off, restore);					\
} while (0)

static void xapic_regs(void)
{
	uint32_t off;

	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), APIC_VERSION);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0);
	xapic_write(APIC_LVR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), APIC_VERSION);
	EXPECT_BITS(APIC_ID, 0xff000000, 0);
	EXPECT_BITS(APIC_TPR, 0xff, 0);
	EXPECT_BITS(APIC_LDR, 0xff000000, 0);
	EXPECT_BITS(APIC_DFR, ~0U, ~0U);
	xapic_write(APIC_DFR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0x0fffffff);
	xapic_write(APIC_DFR, ~0U);
	EXPECT_BITS(APIC_SVR, 0x3ff, 0x1ff);
	EXPECT_BITS(APIC_LVTT, 0x700ff, APIC_LVT_MASKED);
	EXPECT_BITS(APIC_LVTTHMR, 0x107ff, APIC_LVT_MASKED);
	EXPECT_BITS(APIC_LVTPC, 0x107ff, APIC_LVT_MASKED);
	EXPECT_BITS(APIC_LVT0, 0x1a7ff, APIC_LVT_MASKED);
	EXPECT_BITS(APIC_LVT1, 0x1a7ff, APIC_LVT_MASKED);
	EXPECT_BITS(APIC_LVTERR, 0x100ff, APIC_LVT_MASKED);
	EXPECT_BITS(APIC_TDCR, 0xb, 0);
	EXPECT_BITS(APIC_ICR2, 0xff000000, 0);
	/* TPR makes PPR; APR, EOI, the CMCI entry read 0 */
	xapic_write(APIC_TPR, 0x7f);
	GUEST_ASSERT_EQ(xapic_read(APIC_PPR), 0x7f);
	xapic_write(APIC_TPR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_APR), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_EOI), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_CMCI), 0);
	/* reserved offsets read 0 and keep nothing */
	for (off = 0; off < 0x400; off += 0x10) {
		if (off == 0 || off == 0x10 || (off >= 0x40 && off < 0x80) ||
		    off == 0xc0 || off == 0x2f0 || (off >= 0x3a0 && off < 0x3e0) ||
		    off == 0x3f0) {
			xapic_write(off, ~0U);
			GUEST_ASSERT_EQ(xapic_read(off), 0);
		}
	}
	/* narrow reads: the bytes of one register */
	GUEST_ASSERT_EQ(*(volatile uint8_t *)(APIC_GPA + APIC_LVR + 2), 5);
	GUEST_ASSERT_EQ(*(volatile uint16_t *)(APIC_GPA + APIC_LVR), 0x14);
	/* a narrow write is dropped */
	*(volatile uint8_t *)(APIC_GPA + APIC_TPR) = 0x33;
	GUEST_ASSERT_EQ(xapic_read(APIC_TPR), 0);
	/* software disabled: LVT entries stay masked */
	xapic_write(APIC_LVT0, 0x700);
	xapic_write(APIC_SVR, 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), 0x10700);
	xapic_write(APIC_LVT0, 0x700);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), 0x10700);
	xapic_write(APIC_SVR, 0x1ff);
	/* a self IPI, and ICR as written but the delivery status */
	sti();
	xapic_ipi(ICR_SELF | VEC | 0x1000, 0);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irqs, 1);
	GUEST_ASSERT_EQ(xapic_read(APIC_ICR), ICR_SELF | VEC);
	/* ESR: an illegal vector sent; a write latches, the next clears */
	xapic_ipi(ICR_SELF | 5, 0);
	GUEST_ASSERT_EQ(irqs, 1);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 1U << 5);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);
	GUEST_SYNC(1);
}

static void x2apic_regs(void)
{
	uint64_t v;

	/* not in x2APIC mode: every x2APIC MSR is #GP */
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_ID), &v), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TPR), 0), GP);
	x2apic_enable();
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ID)), 0);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LVR)), APIC_VERSION);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LDR)), 1);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_SVR)), 0x1ff);
	/* read-only, write-only, absent, reserved bits: #GP */
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_ID), 0), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_LVR), 0), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_LDR), 0), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_PPR), 0), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TMCCT), 0), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_ISR), 0), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_EOI), &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_SELF_IPI), &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_DFR), &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_APR), &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_ICR2), &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(X2APIC_MSR(APIC_CMCI), &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(0x8ff, &v), GP);
	GUEST_ASSERT_EQ(rdmsr_safe(0x801, &v), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_EOI), 1), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_ESR), 1), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TPR), 0x100), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TPR), 1ULL << 32), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_SVR), 0x1000 | 0x1ff), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_LVT0), 1U << 31), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TDCR), 4), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_SELF_IPI), 0x100), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_ICR), 1U << 12), GP);
	/*
	 * LVT status bits, read-only, are no reserved bits: Linux's
	 * disconnect_bsp_APIC() writes LVT0 with both, ExtINT, at power-off.
	 */
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_LVT0), 0x5700),
			RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LVT0)), 0x700);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_LVTT), 1U << 12 | 0x10040),
			RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LVTT)), 0x10040);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_LVTT), 1U << 14), GP);
	wrmsr(X2APIC_MSR(APIC_LVT0), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_TPR)), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TPR), 0x20), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_TPR)), 0x20);
	wrmsr(X2APIC_MSR(APIC_TPR), 0);
	/* ICR is one 64-bit register; SELF IPI delivers */
	wrmsr(X2APIC_MSR(APIC_ICR), 5ULL << 32 | ICR_FIXED | VEC);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ICR)), 5ULL << 32 | VEC);
	wrmsr(X2APIC_MSR(APIC_SELF_IPI), VEC);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irqs, 2);
	wrmsr(X2APIC_MSR(APIC_ICR), ICR_SELF | VEC);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irqs, 3);
	/* the xAPIC page is not the APIC's in x2APIC mode: user space's */
	GUEST_SYNC_ARGS(2, xapic_read(APIC_LVR), 0, 0);
}

static void apic_base(void)
{
	uint64_t base = rdmsr(MSR_IA32_APICBASE) & ~(APIC_BASE_EN | APIC_BASE_EXTD);

	/* figure 11-27: from x2APIC only to disabled */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EN), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EXTD), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base), RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(rs_cpuid(1, 0).edx & (1U << 9), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE,
				   base | APIC_BASE_EN | APIC_BASE_EXTD), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EXTD), GP);
	/* disabled: the page is user space's again */
	GUEST_SYNC_ARGS(3, xapic_read(APIC_LVR), 0, 0);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EN),
			RS_NO_EXCEPTION);
	GUEST_ASSERT_EQ(rs_cpuid(1, 0).edx & (1U << 9), 1U << 9);
	/* back from disabled: power-up state */
	GUEST_ASSERT_EQ(xapic_read(APIC_SVR), 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0);
	/* reserved bits: 0-7, 9, above MAXPHYADDR */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EN | 1), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EN | 0x200), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE,
				   base | APIC_BASE_EN | 1ULL << 63), GP);
	/* a moved base moves the page */
	wrmsr(MSR_IA32_APICBASE, 0xfed40000 | APIC_BASE_EN | APIC_BASE_BSP);
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(0xfed40000 + APIC_LVR), APIC_VERSION);
	GUEST_SYNC_ARGS(4, xapic_read(APIC_LVR), 0, 0);
	wrmsr(MSR_IA32_APICBASE, base | APIC_BASE_EN);
	GUEST_DONE();
}

static void guest_code(void)
{
	xapic_regs();
	x2apic_regs();
	apic_base();
}

/* The guest's read at @gpa went to user space, which answers all ones. */
static void expect_user_read(struct __test_metadata *_metadata,
			     struct rs_vcpu *vcpu, uint64_t gpa, uint64_t stage)
{
	struct ucall uc;

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_MMIO, vcpu->run->exit_reason)
		TH_LOG("stage %lu: %s", (unsigned long)stage,
		       rs_exit_reason_str(vcpu->run->exit_reason));
	EXPECT_EQ(gpa, vcpu->run->mmio.phys_addr);
	EXPECT_FALSE(vcpu->run->mmio.is_write);
	memset(vcpu->run->mmio.data, 0xff, sizeof(vcpu->run->mmio.data));
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(stage, uc.args[0]);
	EXPECT_EQ(0xffffffffU, uc.args[1]);
}

TEST(registers)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	rs_vm_install_handler(vm, VEC, irq_handler);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	expect_user_read(_metadata, vcpu, APIC_GPA + APIC_LVR, 2);
	expect_user_read(_metadata, vcpu, APIC_GPA + APIC_LVR, 3);
	/* the moved page is the APIC's, the old one user space's */
	expect_user_read(_metadata, vcpu, APIC_GPA + APIC_LVR, 4);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/* Without x2APIC in CPUID, EXTD is reserved. */
static void guest_no_x2apic(void)
{
	uint64_t base = rdmsr(MSR_IA32_APICBASE);

	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APIC_BASE_EXTD), GP);
	GUEST_DONE();
}

TEST(x2apic_needs_cpuid)
{
	struct rs_cpuid_entry *e;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint32_t n, i;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_no_x2apic);
	e = rs_vcpu_get_cpuid(vcpu, &n);
	for (i = 0; i < n; i++) {
		if (e[i].function != 1)
			continue;
		EXPECT_TRUE(e[i].ecx & (1U << 21)) TH_LOG("x2APIC offered");
		EXPECT_TRUE(e[i].ecx & (1U << 24)) TH_LOG("TSC deadline offered");
		EXPECT_TRUE(e[i].edx & (1U << 9)) TH_LOG("APIC offered");
		e[i].ecx &= ~(1U << 21);
	}
	rs_vcpu_set_cpuid(vcpu, e, n);
	free(e);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
