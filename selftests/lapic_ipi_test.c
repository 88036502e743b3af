// SPDX-License-Identifier: GPL-2.0
/*
 * IPIs between vCPUs through the in-kernel APIC (Intel SDM vol. 3A,
 * 11.6), each vCPU in a thread of its own, halting in the kernel between
 * interrupts: fixed IPIs to physical destinations, the broadcast ID, the
 * shorthands self, all and all-but-self, logical flat and cluster
 * destinations in xAPIC mode, lowest priority (one taker), NMI; the same
 * in x2APIC mode with 32-bit destinations and the SELF IPI register; and
 * INIT-SIPI-SIPI bring-up of an AP into real mode at the SIPI's page,
 * twice, with an INIT level de-assert in between that does nothing.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "rs_apic.h"
#include "rs_test.h"
#include "rs_util.h"

#define NR		4
#define VEC		0x70
#define SPIN		2000000000ULL	/* TSC cycles to wait for a delivery */

enum { FLAT, CLUSTER, X2APIC };

static volatile uint64_t hits[NR], nmis[NR], ready[NR], stop;

static void irq_handler(struct rs_ex_regs *regs)
{
	hits[apic_id()]++;
	if (rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		xapic_write(APIC_EOI, 0);
}

static void nmi_handler(struct rs_ex_regs *regs)
{
	nmis[apic_id()]++;
}

static void apic_setup(uint64_t mode)
{
	uint32_t id = xapic_read(APIC_ID) >> 24;

	xapic_write(APIC_SVR, 0x1ff);
	if (mode == X2APIC) {
		x2apic_enable();
	} else if (mode == CLUSTER) {	/* cluster 0, member bit @id */
		xapic_write(APIC_DFR, 0x0fffffff);
		xapic_write(APIC_LDR, (1U << id) << 24);
	} else {
		xapic_write(APIC_LDR, (1U << id) << 24);
	}
	ready[id] = 1;
}

static void ap_code(uint64_t mode)
{
	apic_setup(mode);
	for (;;) {
		cli();
		if (stop)
			break;
		sti_hlt();
	}
	GUEST_DONE();
}

static void send(uint64_t mode, uint32_t icr, uint32_t dest)
{
	if (mode == X2APIC)
		wrmsr(X2APIC_MSR(APIC_ICR), (uint64_t)dest << 32 | icr);
	else
		xapic_ipi(icr, dest);
}

/*
 * Send, then wait for @n deliveries in all; return a digit per vCPU (the
 * vector's deliveries to vCPU i in bits 4i..4i+3) for the host to check.
 */
static uint64_t deliver(uint64_t mode, uint32_t icr, uint32_t dest,
			unsigned int n, volatile uint64_t *counts)
{
	uint64_t before[NR];
	int i;

	for (i = 0; i < NR; i++)
		before[i] = counts[i];
	sti();
	send(mode, icr, dest);
	return apic_tally(counts, before, NR, n, SPIN);
}

static void bsp_code(uint64_t mode)
{
	int i;

	apic_setup(mode);
	for (i = 1; i < NR; i++)
		while (!ready[i])
			asm volatile("pause");
	if (mode == FLAT) {
		GUEST_SYNC_ARGS(1, deliver(mode, VEC, 2, 1, hits), 0x0100, 0);
		GUEST_SYNC_ARGS(2, deliver(mode, VEC, 0xff, 4, hits), 0x1111, 0);
		GUEST_SYNC_ARGS(3, deliver(mode, ICR_ALL_BUT_SELF | VEC, 0, 3, hits),
				0x1110, 0);
		GUEST_SYNC_ARGS(4, deliver(mode, ICR_ALL | VEC, 0, 4, hits),
				0x1111, 0);
		GUEST_SYNC_ARGS(5, deliver(mode, ICR_SELF | VEC, 0, 1, hits),
				0x0001, 0);
		GUEST_SYNC_ARGS(6, deliver(mode, ICR_LOGICAL | VEC, 0x0a, 2, hits),
				0x1010, 0);
		/* lowest priority: one of vCPUs 1-3 */
		GUEST_SYNC_ARGS(7, deliver(mode, ICR_LOGICAL | ICR_LOWEST | VEC,
					   0x0e, 1, hits), 0, 0);
		GUEST_SYNC_ARGS(8, deliver(mode, ICR_NMI, 3, 1, nmis), 0x1000, 0);
		GUEST_SYNC_ARGS(9, deliver(mode, ICR_LOGICAL | VEC, 0, 0, hits),
				0, 0);
	} else if (mode == CLUSTER) {
		GUEST_SYNC_ARGS(1, deliver(mode, ICR_LOGICAL | VEC, 0x05, 2, hits),
				0x0101, 0);
		GUEST_SYNC_ARGS(2, deliver(mode, ICR_LOGICAL | VEC, 0x1f, 0, hits),
				0, 0);
		GUEST_SYNC_ARGS(3, deliver(mode, ICR_LOGICAL | VEC, 0xff, 4, hits),
				0x1111, 0);
	} else {
		GUEST_SYNC_ARGS(1, deliver(mode, VEC, 2, 1, hits), 0x0100, 0);
		GUEST_SYNC_ARGS(2, deliver(mode, VEC, ~0U, 4, hits), 0x1111, 0);
		GUEST_SYNC_ARGS(3, deliver(mode, VEC, 0xff, 0, hits), 0, 0);
		GUEST_SYNC_ARGS(4, deliver(mode, ICR_LOGICAL | VEC, 0x0000000a, 2,
					   hits), 0x1010, 0);
		GUEST_SYNC_ARGS(5, deliver(mode, ICR_LOGICAL | VEC, 0x0001000a, 0,
					   hits), 0, 0);
		GUEST_SYNC_ARGS(6, deliver(mode, ICR_ALL_BUT_SELF | ICR_NMI, 0, 3,
					   nmis), 0x1110, 0);
	}
	stop = 1;
	send(mode, ICR_ALL_BUT_SELF | VEC, 0);
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

/* Let AP @vcpu run now, as a SIPI would, from the state it has. */
static void start_ap(struct rs_vcpu *vcpu)
{
	struct rs_lapic_state s;

	rs_vcpu_ioctl(vcpu, RS_GET_LAPIC, &s);
	RS_ASSERT(s.mp_state == RS_MP_WAIT_SIPI, "AP %u: mp_state %u",
		  vcpu->id, s.mp_state);
	s.mp_state = RS_MP_RUNNABLE;
	rs_vcpu_ioctl(vcpu, RS_SET_LAPIC, &s);
}

static void ipis(struct __test_metadata *_metadata, uint64_t mode,
		 unsigned int stages)
{
	struct rs_vcpu *vcpu[NR];
	pthread_t t[NR];
	struct rs_vm *vm;
	struct ucall uc;
	unsigned int i;

	vm = rs_vm_create_lapic();
	for (i = 0; i < NR; i++) {
		vcpu[i] = rs_vcpu_add(vm, i, i ? ap_code : bsp_code);
		rs_vcpu_args_set(vcpu[i], 1, mode);
	}
	rs_vm_install_handler(vm, VEC, irq_handler);
	rs_vm_install_handler(vm, NMI_VECTOR, nmi_handler);
	for (i = 1; i < NR; i++) {
		start_ap(vcpu[i]);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_thread, vcpu[i]));
	}
	for (i = 1; i <= stages; i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu[0], &uc));
		ASSERT_EQ(i, uc.args[0]);
		if (mode == FLAT && i == 7) {	/* exactly one of 1-3 */
			EXPECT_TRUE(uc.args[1] == 0x0010 || uc.args[1] == 0x0100 ||
				    uc.args[1] == 0x1000)
				TH_LOG("lowest priority: %#lx", uc.args[1]);
			continue;
		}
		EXPECT_EQ(uc.args[2], uc.args[1])
			TH_LOG("stage %u: deliveries per vCPU %#lx, expected %#lx",
			       i, uc.args[1], uc.args[2]);
	}
	rs_vcpu_expect_done(vcpu[0]);
	for (i = 1; i < NR; i++)
		pthread_join(t[i], NULL);
	rs_vm_free(vm);
}

TEST(xapic_flat)
{
	RS_REQUIRE_LAPIC();
	ipis(_metadata, FLAT, 9);
}

TEST(xapic_cluster)
{
	RS_REQUIRE_LAPIC();
	ipis(_metadata, CLUSTER, 3);
}

TEST(x2apic)
{
	RS_REQUIRE_LAPIC();
	ipis(_metadata, X2APIC, 6);
}

/*
 * INIT, SIPI to page 8: the AP reports from real mode; again with page 9
 * once the host saw it (the flag @seen, which the host sets).
 */
static volatile uint64_t seen;

static void init_sipi_code(void)
{
	xapic_write(APIC_SVR, 0x1ff);
	xapic_ipi(ICR_INIT | ICR_ASSERT | ICR_LEVEL, 1);
	xapic_ipi(ICR_INIT | ICR_LEVEL, 1);	/* de-assert: nothing */
	xapic_ipi(ICR_SIPI | 0x08, 1);
	while (!seen)
		asm volatile("pause");
	xapic_ipi(ICR_INIT | ICR_ASSERT, 1);
	xapic_ipi(ICR_SIPI | 0x09, 1);
	xapic_ipi(ICR_SIPI | 0x0a, 1);		/* not waiting: ignored */
	GUEST_DONE();
}

/* mov ax, imm16; out 0x99, ax; hlt; jmp back to the hlt */
static void put_trampoline(struct rs_vm *vm, uint64_t gpa, uint16_t v)
{
	uint8_t code[] = { 0xb8, v & 0xff, v >> 8, 0xe7, 0x99, 0xf4, 0xeb, 0xfd };

	memcpy(rs_gpa2hva(vm, gpa), code, sizeof(code));
}

static void expect_real_mode_out(struct __test_metadata *_metadata,
				 struct rs_vcpu *ap, uint16_t v, uint16_t cs)
{
	struct rs_sregs s;
	struct rs_regs r;

	rs_vcpu_run(ap);
	ASSERT_EQ(RS_EXIT_IO, ap->run->exit_reason)
		TH_LOG("%s", rs_exit_reason_str(ap->run->exit_reason));
	EXPECT_EQ(0x99, ap->run->io.port);
	EXPECT_EQ(v, *(uint16_t *)rs_io_data(ap));
	rs_vcpu_sregs_get(ap, &s);
	rs_vcpu_regs_get(ap, &r);
	EXPECT_EQ(cs, s.cs.selector);
	EXPECT_EQ((uint64_t)cs << 4, s.cs.base);
	EXPECT_EQ(0U, s.cr0 & 1) TH_LOG("real mode");
	EXPECT_EQ(5U, r.rip) TH_LOG("past the OUT");
}

TEST(init_sipi)
{
	struct rs_vcpu *bsp, *ap;
	struct rs_vm *vm;
	pthread_t t;

	RS_REQUIRE_LAPIC();
	vm = rs_vm_create_lapic();
	bsp = rs_vcpu_add(vm, 0, init_sipi_code);
	ap = rs_vcpu_add(vm, 1, NULL);
	put_trampoline(vm, 0x8000, 0x5a5a);
	put_trampoline(vm, 0x9000, 0x6b6b);
	put_trampoline(vm, 0xa000, 0xdead);

	/* An AP waits for SIPI: immediate_exit still ends RS_RUN. */
	ap->run->immediate_exit = 1;
	EXPECT_ERRNO(EINTR, __rs_vcpu_run(ap));
	ap->run->immediate_exit = 0;

	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, bsp));
	expect_real_mode_out(_metadata, ap, 0x5a5a, 0x0800);
	*(volatile uint64_t *)rs_gpa2hva(vm, (uint64_t)&seen) = 1;
	/* it halts with IF clear; the second INIT and SIPI restart it */
	expect_real_mode_out(_metadata, ap, 0x6b6b, 0x0900);
	pthread_join(t, NULL);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
