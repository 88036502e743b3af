// SPDX-License-Identifier: GPL-2.0
/*
 * APIC IDs and the destinations that name them, on vCPUs 0, 1, 17 and 33
 * (Intel SDM vol. 3A, 11.4.6, 11.6.2, 11.12.5.1, 11.12.10): in xAPIC mode
 * the ID is the vCPU's, writable, and physical IPIs and MSIs follow the
 * written ID; in x2APIC mode the ID is the vCPU's again, whatever was
 * written before, the LDR is ((id >> 4) << 16) | 1 << (id & 15), and
 * logical IPIs name a cluster and members in it; RS_GET_LAPIC reports
 * the 32-bit ID and the LDR there.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define NR		4
#define VEC		0x70
#define SPIN		2000000000ULL	/* TSC cycles to wait for a delivery */

static const uint32_t ids[NR] = { 0, 1, 17, 33 };
static volatile uint64_t hits[NR], ready[NR], phase, stop;

static int my_index(void)
{
	uint32_t id = apic_id();
	int i;

	for (i = 0; i < NR; i++)
		if (ids[i] == id || (i == 1 && id == 5))
			return i;
	GUEST_FAIL("an APIC ID no vCPU has");
	return 0;
}

static void irq_handler(struct rs_ex_regs *regs)
{
	hits[my_index()]++;
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		xapic_write(APIC_EOI, 0);
}

/* Each vCPU: its IDs in xAPIC mode, then (phase 1) in x2APIC mode. */
static void ap_code(uint64_t index)
{
	xapic_write(APIC_SVR, 0x1ff);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), ids[index] << 24);
	GUEST_ASSERT_EQ(xapic_read(APIC_LDR), 0);
	if (index == 1)			/* vCPU 1 goes by ID 5 */
		xapic_write(APIC_ID, 5U << 24);
	ready[index] = 1;
	for (;;) {
		cli();
		if (stop)
			break;
		if (phase == 1 && ready[index] == 1) {
			x2apic_enable();
			GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ID)), ids[index]);
			GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LDR)),
					(ids[index] >> 4) << 16 |
					1U << (ids[index] & 15));
			ready[index] = 2;
		}
		sti_hlt();
	}
	GUEST_DONE();
}

static void send(uint32_t icr, uint32_t dest)
{
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		wrmsr(X2APIC_MSR(APIC_ICR), (uint64_t)dest << 32 | icr);
	else
		xapic_ipi(icr, dest);
}

/* Send; wait for @n deliveries; a digit per vCPU of what each got. */
static uint64_t deliver(uint32_t icr, uint32_t dest, unsigned int n)
{
	uint64_t before[NR];
	int i;

	for (i = 0; i < NR; i++)
		before[i] = hits[i];
	sti();
	send(icr, dest);
	return apic_tally(hits, before, NR, n, SPIN);
}

static void wait_ready(uint64_t state)
{
	int i;

	for (i = 1; i < NR; i++)
		while (ready[i] != state)
			asm volatile("pause");
}

static void bsp_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	ready[0] = 1;
	wait_ready(1);
	/* xAPIC: physical IDs as written */
	GUEST_SYNC_ARGS(1, deliver(VEC, 17, 1), 0x0100, 0);
	GUEST_SYNC_ARGS(2, deliver(VEC, 33, 1), 0x1000, 0);
	GUEST_SYNC_ARGS(3, deliver(VEC, 5, 1), 0x0010, 0);
	GUEST_SYNC_ARGS(4, deliver(VEC, 1, 0), 0, 0);
	GUEST_SYNC(5);		/* the host sends MSIs to 5, then 1 */

	/* x2APIC: IDs are the vCPUs' again; clusters of 16 */
	x2apic_enable();
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LDR)), 1);
	phase = 1;
	send(ICR_ALL_BUT_SELF | VEC, 0);
	wait_ready(2);
	GUEST_SYNC_ARGS(6, deliver(VEC, 1, 1), 0x0010, 0);
	GUEST_SYNC_ARGS(7, deliver(VEC, 5, 0), 0, 0);
	GUEST_SYNC_ARGS(8, deliver(ICR_LOGICAL | VEC, 0x00010002, 1), 0x0100, 0);
	GUEST_SYNC_ARGS(9, deliver(ICR_LOGICAL | VEC, 0x00020002, 1), 0x1000, 0);
	GUEST_SYNC_ARGS(10, deliver(ICR_LOGICAL | VEC, 0x00000003, 2), 0x0011, 0);
	GUEST_SYNC_ARGS(11, deliver(ICR_LOGICAL | VEC, 0x00010001, 0), 0, 0);
	GUEST_SYNC_ARGS(12, deliver(ICR_LOGICAL | VEC, 0x0003ffff, 0), 0, 0);
	GUEST_SYNC_ARGS(13, deliver(VEC, 33, 1), 0x1000, 0);
	GUEST_SYNC_ARGS(14, deliver(VEC, ~0U, 4), 0x1111, 0);
	GUEST_SYNC(15);		/* the host looks at the state */
	stop = 1;
	send(ICR_ALL_BUT_SELF | VEC, 0);
	GUEST_DONE();
}

static void *run_thread(void *arg)
{
	struct rs_vcpu *vcpu = arg;
	struct ucall uc;

	while (rs_vcpu_run_ucall(vcpu, &uc) != UCALL_DONE)
		;
	return NULL;
}

static long msi(struct rs_vm *vm, uint32_t dest, uint32_t vector)
{
	struct rs_msi m = { .address = APIC_GPA | dest << 12, .data = vector };

	return ioctl(vm->fd, RS_SIGNAL_MSI, &m);
}

/* Wait up to 10 s for vCPU @i to have @n interrupts in all. */
static bool wait_hits(struct rs_vm *vm, int i, uint64_t n)
{
	volatile uint64_t *h = rs_gpa2hva(vm, (uint64_t)&hits[i]);
	int k;

	for (k = 0; k < 1000 && *h < n; k++)
		usleep(10000);
	return *h >= n;
}

TEST(ids_and_destinations)
{
	struct rs_vcpu *vcpu[NR];
	struct rs_lapic_state s;
	pthread_t t[NR];
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	for (i = 0; i < NR; i++) {
		vcpu[i] = rs_vcpu_add(vm, ids[i], i ? (void *)ap_code :
				       (void *)bsp_code);
		rs_vcpu_args_set(vcpu[i], 1, (uint64_t)i);
	}
	rs_vm_install_handler(vm, VEC, irq_handler);
	for (i = 1; i < NR; i++) {
		rs_vcpu_ioctl(vcpu[i], RS_GET_LAPIC, &s);
		EXPECT_EQ(ids[i] << 24, *(uint32_t *)(s.regs + APIC_ID));
		EXPECT_EQ(RS_MP_WAIT_SIPI, s.mp_state);
		s.mp_state = RS_MP_RUNNABLE;
		rs_vcpu_ioctl(vcpu[i], RS_SET_LAPIC, &s);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_thread, vcpu[i]));
	}
	for (i = 1; i <= 15; i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu[0], &uc));
		ASSERT_EQ(i, uc.args[0]);
		if (i == 5) {
			EXPECT_EQ(1, msi(vm, 5, VEC)) TH_LOG("MSI to ID 5");
			EXPECT_EQ(0, msi(vm, 1, VEC)) TH_LOG("MSI to ID 1");
			EXPECT_EQ(1, msi(vm, 17, VEC)) TH_LOG("MSI to ID 17");
			/* taken before the BSP counts again */
			EXPECT_TRUE(wait_hits(vm, 1, 2) && wait_hits(vm, 2, 2));
			continue;
		}
		if (i == 15)
			continue;
		EXPECT_EQ(uc.args[2], uc.args[1])
			TH_LOG("stage %u: deliveries per vCPU %#lx, expected %#lx",
			       i, uc.args[1], uc.args[2]);
	}
	/* x2APIC: RS_GET_LAPIC has the 32-bit ID and the LDR (BSP) */
	rs_vcpu_ioctl(vcpu[0], RS_GET_LAPIC, &s);
	EXPECT_EQ(0U, *(uint32_t *)(s.regs + APIC_ID));
	EXPECT_EQ(1U, *(uint32_t *)(s.regs + APIC_LDR));
	rs_vcpu_expect_done(vcpu[0]);
	for (i = 1; i < NR; i++)
		pthread_join(t[i], NULL);
	for (i = 2; i < NR; i++) {
		rs_vcpu_ioctl(vcpu[i], RS_GET_LAPIC, &s);
		EXPECT_EQ(ids[i], *(uint32_t *)(s.regs + APIC_ID));
		EXPECT_EQ((ids[i] >> 4) << 16 | 1U << (ids[i] & 15),
			  *(uint32_t *)(s.regs + APIC_LDR));
	}
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
