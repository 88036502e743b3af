// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel APIC's uAPI: RS_CREATE_LAPIC only once and only before the
 * first vCPU; ENXIO from RS_SIGNAL_MSI and RS_GET/SET_LAPIC without it;
 * RS_SIGNAL_MSI's checks and its count of APICs that took the message;
 * the state after RESET (vCPU 0 runs, the others wait for SIPI), and a
 * state set from user space that the guest then sees (TPR, an IRR bit
 * delivered once the guest lowers TPR), with reserved bits masked and
 * computed registers recomputed.
 */
#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

static uint32_t reg(const struct rs_lapic_state *s, uint32_t off)
{
	return *(const uint32_t *)(s->regs + off);
}

static void set_reg(struct rs_lapic_state *s, uint32_t off, uint32_t v)
{
	*(uint32_t *)(s->regs + off) = v;
}

static long msi(struct rs_vm *vm, uint64_t address, uint32_t data)
{
	struct rs_msi m = { .address = address, .data = data };

	return ioctl(vm->fd, RS_SIGNAL_MSI, &m);
}

TEST(create_rules)
{
	struct rs_lapic_state s;
	struct rs_msi m = { .address = APIC_GPA, .data = 0x40 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_default();
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, RS_CREATE_LAPIC, 1));
	EXPECT_EQ(0, ioctl(vm->fd, RS_CREATE_LAPIC, 0));
	EXPECT_ERRNO(EEXIST, ioctl(vm->fd, RS_CREATE_LAPIC, 0));
	rs_vm_free(vm);

	/* Without it: no MSIs, no APIC state; and not after a vCPU. */
	vm = rs_vm_create_with_one_vcpu(&vcpu, NULL);
	EXPECT_ERRNO(EBUSY, ioctl(vm->fd, RS_CREATE_LAPIC, 0));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, RS_SIGNAL_MSI, &m));
	EXPECT_ERRNO(ENXIO, ioctl(vcpu->fd, RS_GET_LAPIC, &s));
	memset(&s, 0, sizeof(s));
	EXPECT_ERRNO(ENXIO, ioctl(vcpu->fd, RS_SET_LAPIC, &s));
	rs_vm_free(vm);
}

TEST(msi_rules)
{
	struct rs_msi m = { .address = APIC_GPA, .data = 0x40 };
	struct rs_lapic_state s;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, NULL);

	m.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, RS_SIGNAL_MSI, &m));
	m.flags = 0;
	m.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, RS_SIGNAL_MSI, &m));
	EXPECT_ERRNO(EINVAL, msi(vm, 0xfed00000, 0x40));
	EXPECT_ERRNO(EINVAL, msi(vm, APIC_GPA | 1ULL << 32, 0x40));
	EXPECT_ERRNO(EINVAL, msi(vm, APIC_GPA, 0x10040));	/* data 31:16 */
	EXPECT_ERRNO(EINVAL, msi(vm, APIC_GPA, 0x240));		/* SMI */
	EXPECT_ERRNO(EINVAL, msi(vm, APIC_GPA, 0x340));		/* reserved */
	EXPECT_ERRNO(EINVAL, msi(vm, APIC_GPA, 0x640));		/* SIPI */
	EXPECT_ERRNO(EINVAL, msi(vm, APIC_GPA, 0x740));		/* ExtINT */

	/* After RESET the APIC is software-disabled: it takes nothing. */
	EXPECT_EQ(0, msi(vm, APIC_GPA, 0x40));
	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	set_reg(&s, APIC_SVR, 0x1ff);
	rs_vcpu_ioctl(vcpu, RS_SET_LAPIC, &s);
	EXPECT_EQ(1, msi(vm, APIC_GPA, 0x40));
	EXPECT_EQ(1, msi(vm, APIC_GPA | 0xff << 12, 0x41)) TH_LOG("broadcast");
	EXPECT_EQ(0, msi(vm, APIC_GPA | 5 << 12, 0x42)) TH_LOG("no APIC ID 5");
	EXPECT_EQ(0, msi(vm, APIC_GPA, 0x8043)) TH_LOG("a level de-assert");
	EXPECT_EQ(1, msi(vm, APIC_GPA, 0xc044)) TH_LOG("a level assert");
	EXPECT_EQ(1, msi(vm, APIC_GPA, 0x400)) TH_LOG("an NMI");
	/* x2APIC destinations: bits 31:8 in address bits 63:40. */
	EXPECT_EQ(0, msi(vm, APIC_GPA | 1ULL << 40, 0x45)) TH_LOG("no APIC ID 100H");
	EXPECT_EQ(1, msi(vm, APIC_GPA | 0xffffffULL << 40 | 0xff << 12, 0x46))
		TH_LOG("the x2APIC broadcast FFFFFFFFH");

	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	EXPECT_EQ(0x53U, reg(&s, APIC_IRR + 0x20))
		TH_LOG("vectors 40H, 41H, 44H, 46H");
	EXPECT_EQ(0x10U, reg(&s, APIC_TMR + 0x20)) TH_LOG("44H is level");
	rs_vm_free(vm);
}

/* The guest reads what user space set, and takes the IRR's vector. */
static volatile uint64_t irqs, last_vector;

static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	last_vector = regs->vector;
	xapic_write(APIC_EOI, 0);
}

static void guest_reads_state(void)
{
	GUEST_SYNC_ARGS(1, xapic_read(APIC_TPR), xapic_read(APIC_PPR),
			xapic_read(APIC_LVT0));
	sti();
	asm volatile("nop");
	GUEST_SYNC_ARGS(2, irqs, 0, 0);		/* TPR 0x50 holds 0x35 */
	xapic_write(APIC_TPR, 0);
	asm volatile("nop");
	GUEST_SYNC_ARGS(3, irqs, last_vector, xapic_read(APIC_ISR + 0x10));
	GUEST_DONE();
}

TEST(state)
{
	struct rs_lapic_state s, s1;
	struct rs_vcpu *vcpu, *ap;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_reads_state);
	ap = rs_vcpu_add(vm, 1, guest_reads_state);
	rs_vm_install_handler(vm, 0x35, irq_handler);

	/* RESET (SDM vol. 3A, 11.4.7.1): APs wait for SIPI. */
	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	rs_vcpu_ioctl(ap, RS_GET_LAPIC, &s1);
	EXPECT_EQ(RS_MP_RUNNABLE, s.mp_state);
	EXPECT_EQ(RS_MP_WAIT_SIPI, s1.mp_state);
	EXPECT_EQ(0U, reg(&s, APIC_ID));
	EXPECT_EQ(1U << 24, reg(&s1, APIC_ID));
	EXPECT_EQ(APIC_VERSION, reg(&s, APIC_LVR));
	EXPECT_EQ(0xffU, reg(&s, APIC_SVR));
	EXPECT_EQ(~0U, reg(&s, APIC_DFR));
	EXPECT_EQ(APIC_LVT_MASKED, reg(&s, APIC_LVTT));
	EXPECT_EQ(APIC_LVT_MASKED, reg(&s, APIC_LVTERR));
	EXPECT_EQ(APIC_GPA | APIC_BASE_EN | APIC_BASE_BSP,
		  rs_vcpu_get_msr(vcpu, MSR_IA32_APICBASE));

	/* Bad flags, reserved or mp_state change nothing. */
	s1 = s;
	s1.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_LAPIC, &s1));
	s1.flags = 0;
	s1.reserved[6] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_LAPIC, &s1));
	s1.reserved[6] = 0;
	s1.mp_state = 3;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, RS_SET_LAPIC, &s1));

	set_reg(&s, APIC_SVR, 0x1ff);
	set_reg(&s, APIC_TPR, 0x50);
	set_reg(&s, APIC_LVT0, ~0U);		/* reserved bits: masked */
	set_reg(&s, APIC_LVR, 0x12345678);	/* read-only: restored */
	set_reg(&s, APIC_PPR, 0x77);		/* computed: recomputed */
	set_reg(&s, APIC_IRR + 0x10, 1U << 0x15);	/* vector 35H */
	set_reg(&s, APIC_IRR, 0xffff);		/* vectors 0-15: illegal */
	rs_vcpu_ioctl(vcpu, RS_SET_LAPIC, &s);
	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s1);
	EXPECT_EQ(0x1a7ffU, reg(&s1, APIC_LVT0));
	EXPECT_EQ(APIC_VERSION, reg(&s1, APIC_LVR));
	EXPECT_EQ(0x50U, reg(&s1, APIC_PPR));
	EXPECT_EQ(0U, reg(&s1, APIC_IRR));
	EXPECT_EQ(1U << 0x15, reg(&s1, APIC_IRR + 0x10));

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x50U, uc.args[1]);
	EXPECT_EQ(0x50U, uc.args[2]);
	EXPECT_EQ(0x1a7ffU, uc.args[3]);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[1]) TH_LOG("TPR 50H holds vector 35H back");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1U, uc.args[1]);
	EXPECT_EQ(0x35U, uc.args[2]);
	EXPECT_EQ(0U, uc.args[3]) TH_LOG("EOIed: not in service");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * In service from RS_SET_LAPIC: 61H above 45H, with 52H waiting in IRR.
 * PPR is 60H until the EOI of 61H; then 52H is taken, and the next EOIs
 * end 52H and 45H in that order (11.8.5: the highest in service).
 */
static void guest_in_service(void)
{
	GUEST_SYNC_ARGS(1, xapic_read(APIC_PPR), xapic_read(APIC_ISR + 0x30),
			xapic_read(APIC_ISR + 0x20));
	sti();
	asm volatile("nop");
	GUEST_SYNC_ARGS(2, irqs, 0, 0);
	xapic_write(APIC_EOI, 0);
	asm volatile("nop");
	GUEST_SYNC_ARGS(3, irqs, last_vector, xapic_read(APIC_PPR));
	xapic_write(APIC_EOI, 0);
	GUEST_SYNC_ARGS(4, xapic_read(APIC_PPR), xapic_read(APIC_ISR + 0x20), 0);
	GUEST_DONE();
}

TEST(state_in_service)
{
	struct rs_lapic_state s;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_in_service);
	rs_vm_install_handler(vm, 0x52, irq_handler);
	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	set_reg(&s, APIC_SVR, 0x1ff);
	set_reg(&s, APIC_ISR + 0x30, 1U << (0x61 & 31));
	set_reg(&s, APIC_ISR + 0x20, 1U << (0x45 & 31));
	set_reg(&s, APIC_IRR + 0x20, 1U << (0x52 & 31));
	rs_vcpu_ioctl(vcpu, RS_SET_LAPIC, &s);

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x60U, uc.args[1]) TH_LOG("PPR: 61H in service");
	EXPECT_EQ(1U << (0x61 & 31), uc.args[2]);
	EXPECT_EQ(1U << (0x45 & 31), uc.args[3]);
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[1]) TH_LOG("61H in service holds 52H back");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1U, uc.args[1]) TH_LOG("the EOI of 61H lets 52H in");
	EXPECT_EQ(0x52U, uc.args[2]);
	EXPECT_EQ(0x40U, uc.args[3]) TH_LOG("PPR: 45H still in service");
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[1]);
	EXPECT_EQ(0U, uc.args[2]) TH_LOG("the last EOI ended 45H");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
