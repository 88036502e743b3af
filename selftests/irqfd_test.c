// SPDX-License-Identifier: GPL-2.0
/*
 * RS_IRQFD: with the APIC in the kernel, each signal of a registered
 * eventfd delivers its MSI without the vCPU thread taking part.  The
 * registration rules and their errnos (ENXIO without RS_CREATE_LAPIC,
 * flags, reserved, messages a device cannot send or that are level-
 * triggered, bad and non-eventfd fds, the same eventfd twice, deassigning
 * what is not there, the limit); a VM that goes with live registrations
 * whose eventfds user space closed; N signals from another thread while
 * the vCPU halts in the kernel, seen as N interrupts; a count from before
 * the registration; no delivery after a deassign.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define VEC		0x41
#define VEC2		0x42
#define MSI_ADDR	0xfee00000ULL	/* physical, APIC ID 0 */
#define N		300

#define MSR_IA32_APICBASE	0x1b
#define APIC_BASE_ENABLE	(1ULL << 11)
#define APIC_BASE_EXTD		(1ULL << 10)
#define X2APIC_EOI		0x80b
#define X2APIC_SVR		0x80f

static int irqfd(struct rs_vm *vm, int fd, uint32_t flags, uint64_t addr,
		 uint32_t data)
{
	struct rs_irqfd a = {
		.fd = fd, .flags = flags, .msi_address = addr, .msi_data = data,
	};

	return ioctl(vm->fd, RS_IRQFD, &a);
}

static struct rs_vm *vm_with_lapic(void)
{
	struct rs_vm *vm = rs_vm_create_default();

	if (ioctl(vm->fd, RS_CREATE_LAPIC, 0))
		rs_test_fail(__FILE__, __LINE__, "RS_CREATE_LAPIC", "%s",
			     strerror(errno));
	return vm;
}

TEST(registration_rules)
{
	struct rs_irqfd a = { .msi_address = MSI_ADDR, .msi_data = VEC };
	int efd, other, null, i;
	struct rs_vm *vm;
	long max;

	RS_REQUIRE_VM();
	if (!rs_check_cap(RS_CAP_LAPIC))
		SKIP(return, "no RS_CAP_LAPIC");
	max = rs_check_cap(RS_CAP_IRQFD);
	EXPECT_EQ(256, max);
	efd = eventfd(0, EFD_NONBLOCK);
	other = eventfd(0, EFD_NONBLOCK);
	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, null);

	vm = rs_vm_create_default();
	/* no APIC in the kernel: no MSI to deliver */
	EXPECT_ERRNO(ENXIO, irqfd(vm, efd, 0, MSI_ADDR, VEC));
	rs_vm_free(vm);

	vm = vm_with_lapic();
	a.fd = efd;
	a.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, RS_IRQFD, &a));
	a.reserved[1] = 0;
	a.pad = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, RS_IRQFD, &a));
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 1U << 1, MSI_ADDR, VEC));
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, 0xfed00000, VEC));
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, MSI_ADDR | (1ULL << 32), VEC));
	/* SIPI is no device's message */
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, MSI_ADDR, VEC | 0x600));
	/* SMI */
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, MSI_ADDR, VEC | 0x200));
	/* ExtINT */
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, MSI_ADDR, VEC | 0x700));
	/* level-triggered: nothing would lower it */
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, MSI_ADDR, VEC | 0xc000));
	EXPECT_ERRNO(EINVAL, irqfd(vm, efd, 0, MSI_ADDR, VEC | 0x10000));
	EXPECT_ERRNO(EBADF, irqfd(vm, -1, 0, MSI_ADDR, VEC));
	/* not an eventfd */
	EXPECT_ERRNO(EINVAL, irqfd(vm, null, 0, MSI_ADDR, VEC));

	EXPECT_EQ(0, irqfd(vm, efd, 0, MSI_ADDR, VEC));
	EXPECT_ERRNO(EEXIST, irqfd(vm, efd, 0, MSI_ADDR, VEC2));
	EXPECT_EQ(0, irqfd(vm, other, 0, MSI_ADDR, VEC))
		TH_LOG("another eventfd, the same message");
	EXPECT_EQ(0, irqfd(vm, other, RS_IRQFD_DEASSIGN, 0, 0));
	EXPECT_ERRNO(ENOENT, irqfd(vm, other, RS_IRQFD_DEASSIGN, 0, 0));
	EXPECT_ERRNO(EBADF, irqfd(vm, -1, RS_IRQFD_DEASSIGN, 0, 0));

	/* One is registered: fill up to the limit, then one more. */
	for (i = 0; i < max - 1; i++) {
		int fd = eventfd(0, 0);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, irqfd(vm, fd, 0, MSI_ADDR, VEC));
		close(fd);	/* the registration keeps the eventfd */
	}
	EXPECT_ERRNO(ENOSPC, irqfd(vm, other, 0, MSI_ADDR, VEC));
	EXPECT_EQ(0, irqfd(vm, efd, RS_IRQFD_DEASSIGN, 0, 0));
	EXPECT_EQ(0, irqfd(vm, other, 0, MSI_ADDR, VEC));

	/* The VM goes with its registrations, closed eventfds among them. */
	rs_vm_free(vm);
	EXPECT_EQ(0, close(efd));
	EXPECT_EQ(0, close(other));
	close(null);
}

static volatile uint64_t irqs, last_vector;

static void irq_handler(struct rs_ex_regs *regs)
{
	irqs++;
	last_vector = regs->vector;
	wrmsr(X2APIC_EOI, 0);
}

/*
 * x2APIC on, then: report each interrupt, halting in between.  The check
 * runs with IF clear and STI's shadow covers the HLT, so no interrupt can
 * come between the check and the halt.
 */
static void guest_code(void)
{
	uint64_t seen = 0;

	wrmsr(MSR_IA32_APICBASE, 0xfee00000 | APIC_BASE_ENABLE | APIC_BASE_EXTD);
	wrmsr(X2APIC_SVR, 0x1ff);
	GUEST_SYNC(0);			/* an APIC that takes interrupts */
	for (;;) {
		cli();
		if (seen != irqs) {
			seen++;
			sti();
			GUEST_SYNC_ARGS(1, seen, last_vector, irqs);
			continue;
		}
		sti_hlt();
	}
}

struct signaler {
	int efd;
	atomic_int acked;
	int n;
};

/* Write the eventfd once the guest reported the last interrupt. */
static void *signal_thread(void *arg)
{
	struct signaler *s = arg;
	uint64_t one = 1;
	int i;

	for (i = 0; i < s->n; i++) {
		while (atomic_load(&s->acked) < i)
			usleep(50);
		if (write(s->efd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

static void expect_irq(struct __test_metadata *_metadata,
		       struct rs_vcpu *vcpu, uint64_t n, uint64_t vector)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(n, uc.args[1]);
	EXPECT_EQ(vector, uc.args[2]);
	EXPECT_EQ(n, uc.args[3]) TH_LOG("one interrupt per signal");
}

TEST(signals_are_interrupts)
{
	struct rs_msi msi = { .address = MSI_ADDR, .data = VEC2 };
	struct signaler s = { .n = N };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	uint64_t one = 1;
	pthread_t t;
	int i;

	RS_REQUIRE_VM();
	if (!rs_check_cap(RS_CAP_LAPIC))
		SKIP(return, "no RS_CAP_LAPIC");
	vm = vm_with_lapic();
	vcpu = rs_vcpu_add(vm, 0, guest_code);
	rs_vm_install_handler(vm, VEC, irq_handler);
	rs_vm_install_handler(vm, VEC2, irq_handler);
	s.efd = eventfd(0, 0);
	ASSERT_LE(0, s.efd);

	/* A count from before the registration comes at once. */
	rs_vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(sizeof(one), write(s.efd, &one, sizeof(one)));
	ASSERT_EQ(0, irqfd(vm, s.efd, 0, MSI_ADDR, VEC));
	expect_irq(_metadata, vcpu, 1, VEC);

	/* N more, each written while the vCPU halts in the kernel. */
	ASSERT_EQ(0, pthread_create(&t, NULL, signal_thread, &s));
	for (i = 1; i <= N; i++) {
		expect_irq(_metadata, vcpu, 1 + i, VEC);
		if (!_metadata->passed)
			break;
		atomic_store(&s.acked, i);
	}
	pthread_join(t, NULL);

	/* Deassigned: the eventfd's signal is no interrupt any more. */
	ASSERT_EQ(0, irqfd(vm, s.efd, RS_IRQFD_DEASSIGN, 0, 0));
	ASSERT_EQ(sizeof(one), write(s.efd, &one, sizeof(one)));
	EXPECT_EQ(1, ioctl(vm->fd, RS_SIGNAL_MSI, &msi));
	expect_irq(_metadata, vcpu, N + 2, VEC2);
	close(s.efd);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
