// SPDX-License-Identifier: GPL-2.0
/*
 * RS_IOEVENTFD: a guest write to a registered port or MMIO address, of the
 * registered length (and value, with RS_IOEVENTFD_DATAMATCH), signals the
 * eventfd in the kernel and makes no exit; any other write exits as
 * before.  Registration rules and their errnos: flags, lengths, ranges,
 * datamatch bits, bad and non-eventfd fds, overlaps (EEXIST), deassigning
 * what is not there (ENOENT), the limit (ENOSPC).  An eventfd whose fd user
 * space closed stays signalled; a VM goes with live registrations; a
 * registration removed while the guest writes loses no write: each is a
 * signal or an exit.
 */
#include <pthread.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

#define PORT		0x1234
#define MMIO		(RS_MMIO_GPA + 0x40)
#define N		100

static int ioeventfd(struct rs_vm *vm, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct rs_ioeventfd a = {
		.addr = addr, .len = len, .fd = fd, .flags = flags,
		.datamatch = datamatch,
	};

	return ioctl(vm->fd, RS_IOEVENTFD, &a);
}

static uint64_t efd_count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

TEST(registration_rules)
{
	struct rs_ioeventfd a = { .addr = MMIO, .len = 4 };
	int efd, other, null, dev, i;
	struct rs_vm *vm;
	long max;

	RS_REQUIRE_VM();
	vm = rs_vm_create_default();
	efd = eventfd(0, EFD_NONBLOCK);
	other = eventfd(0, EFD_NONBLOCK);
	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, null);
	dev = rs_open_dev();
	max = ioctl(dev, RS_CHECK_CAPABILITY, RS_CAP_IOEVENTFD);
	close(dev);
	EXPECT_EQ(256, max);

	a.fd = efd;
	a.reserved[4] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, RS_IOEVENTFD, &a));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, MMIO, 4, efd, 1U << 3, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, MMIO, 0, efd, 0, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, MMIO, 3, efd, 0, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, MMIO, 16, efd, 0, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, PORT, 8, efd, RS_IOEVENTFD_PIO, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, 0xffff, 2, efd, RS_IOEVENTFD_PIO, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, ~0ULL - 1, 4, efd, 0, 0));
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, MMIO, 1, efd,
				       RS_IOEVENTFD_DATAMATCH, 0x100));
	EXPECT_ERRNO(EBADF, ioeventfd(vm, MMIO, 4, -1, 0, 0));
	/* not an eventfd */
	EXPECT_ERRNO(EINVAL, ioeventfd(vm, MMIO, 4, null, 0, 0));

	EXPECT_EQ(0, ioeventfd(vm, MMIO, 4, efd, 0, 0));
	EXPECT_ERRNO(EEXIST, ioeventfd(vm, MMIO, 4, efd, 0, 0));
	EXPECT_ERRNO(EEXIST, ioeventfd(vm, MMIO + 2, 4, other, 0, 0));
	EXPECT_ERRNO(EEXIST, ioeventfd(vm, MMIO + 3, 1, other, 0, 0));
	EXPECT_ERRNO(EEXIST, ioeventfd(vm, MMIO, 4, other,
				       RS_IOEVENTFD_DATAMATCH, 5));
	EXPECT_EQ(0, ioeventfd(vm, MMIO + 4, 4, other, 0, 0)) TH_LOG("adjacent");
	EXPECT_EQ(0, ioeventfd(vm, PORT, 4, efd, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, PORT, 4, efd, RS_IOEVENTFD_PIO, 0))
		TH_LOG("a port is another space than the same address");
	EXPECT_EQ(0, ioeventfd(vm, MMIO + 8, 2, efd, RS_IOEVENTFD_DATAMATCH, 1));
	EXPECT_EQ(0, ioeventfd(vm, MMIO + 8, 2, other, RS_IOEVENTFD_DATAMATCH, 2))
		TH_LOG("another value at the same address and length");
	EXPECT_ERRNO(EEXIST, ioeventfd(vm, MMIO + 8, 2, other,
				       RS_IOEVENTFD_DATAMATCH, 1));

	/* Deassigning takes the same registration, eventfd included. */
	EXPECT_ERRNO(ENOENT, ioeventfd(vm, MMIO, 4, other,
				       RS_IOEVENTFD_DEASSIGN, 0));
	EXPECT_ERRNO(ENOENT, ioeventfd(vm, MMIO, 2, efd,
				       RS_IOEVENTFD_DEASSIGN, 0));
	EXPECT_ERRNO(ENOENT, ioeventfd(vm, MMIO + 8, 2, efd,
				       RS_IOEVENTFD_DEASSIGN | RS_IOEVENTFD_DATAMATCH, 2));
	EXPECT_EQ(0, ioeventfd(vm, MMIO, 4, efd, RS_IOEVENTFD_DEASSIGN, 0));
	EXPECT_ERRNO(ENOENT, ioeventfd(vm, MMIO, 4, efd,
				       RS_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(0, ioeventfd(vm, MMIO + 8, 2, efd,
			       RS_IOEVENTFD_DEASSIGN | RS_IOEVENTFD_DATAMATCH, 1));
	EXPECT_EQ(0, ioeventfd(vm, MMIO, 4, other, 0, 0)) TH_LOG("free again");

	/* 5 are left registered: fill up to the limit, then one more. */
	for (i = 0; i < max - 5; i++)
		ASSERT_EQ(0, ioeventfd(vm, 0x100000 + 8 * i, 8, efd, 0, 0));
	EXPECT_ERRNO(ENOSPC, ioeventfd(vm, 0x200000, 8, efd, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, 0x100000, 8, efd, RS_IOEVENTFD_DEASSIGN, 0));
	EXPECT_EQ(0, ioeventfd(vm, 0x200000, 8, efd, 0, 0));

	/* The VM goes with its registrations, the eventfds stay. */
	rs_vm_free(vm);
	EXPECT_EQ(0, close(efd));
	EXPECT_EQ(0, close(other));
	close(null);
}

/*
 * N writes of each kind that match, then one of each that does not: a
 * byte to the 2-byte port, the other value at the MMIO address, and the
 * right value at the next address.
 */
static void guest_notify(void)
{
	volatile uint32_t *m = (volatile uint32_t *)MMIO;
	int i;

	for (i = 0; i < N; i++)
		asm volatile("outw %%ax, %%dx" : : "a"(i), "d"(PORT));
	for (i = 0; i < N; i++)
		*m = 7;
	asm volatile("outb %%al, %%dx" : : "a"(0), "d"(PORT));
	*m = 8;
	m[1] = 7;
	GUEST_DONE();
}

TEST(guest_writes_signal_without_exits)
{
	struct rs_vcpu *vcpu;
	struct rs_run *run;
	struct rs_vm *vm;
	struct ucall uc;
	int pio, mmio;
	char buf[256];

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_notify);
	run = vcpu->run;
	pio = eventfd(0, EFD_NONBLOCK);
	mmio = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, ioeventfd(vm, PORT, 2, pio, RS_IOEVENTFD_PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm, MMIO, 4, mmio, RS_IOEVENTFD_DATAMATCH, 7));

	rs_vcpu_run(vcpu);
	ASSERT_EQ(RS_EXIT_IO, run->exit_reason)
		TH_LOG("%s", rs_exit_describe(vcpu, buf, sizeof(buf)));
	EXPECT_EQ(PORT, run->io.port);
	EXPECT_EQ(1, run->io.size) TH_LOG("the byte to the 2-byte port exits");
	EXPECT_EQ(N, efd_count(pio));
	EXPECT_EQ(N, efd_count(mmio));

	ASSERT_EQ(UCALL_NONE, rs_vcpu_run_mmio(vcpu, &uc));
	EXPECT_EQ(MMIO, run->mmio.phys_addr) TH_LOG("another value exits");
	EXPECT_EQ(8, run->mmio.data[0]);
	ASSERT_EQ(UCALL_NONE, rs_vcpu_run_mmio(vcpu, &uc));
	EXPECT_EQ(MMIO + 4, run->mmio.phys_addr) TH_LOG("another address exits");
	rs_vcpu_expect_done(vcpu);
	EXPECT_EQ(0, efd_count(pio));
	EXPECT_EQ(0, efd_count(mmio));
	rs_vm_free(vm);
	close(pio);
	close(mmio);
}

/* The eventfd's fd closed: its registration still takes the writes. */
static void guest_writes(void)
{
	int i;

	for (i = 0; i < N; i++)
		*(volatile uint64_t *)MMIO = i;
	GUEST_DONE();
}

TEST(closed_eventfd_stays_registered)
{
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	int efd;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_writes);
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, ioeventfd(vm, MMIO, 8, efd, 0, 0));
	close(efd);
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

/*
 * The registration goes while the guest writes in a loop: every write is
 * a signal before or an exit after, none is lost and none counts twice.
 */
#define WRITES		20000

static void guest_many(void)
{
	int i;

	for (i = 0; i < WRITES; i++)
		*(volatile uint32_t *)MMIO = 1;
	GUEST_DONE();
}

struct remover {
	struct rs_vm *vm;
	int efd;
	int ret;
};

static void *remove_soon(void *arg)
{
	struct remover *r = arg;

	usleep(20000);
	r->ret = ioeventfd(r->vm, MMIO, 4, r->efd, RS_IOEVENTFD_DEASSIGN, 0);
	return NULL;
}

TEST(deassign_while_the_guest_writes)
{
	struct remover rm;
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	uint64_t exits = 0, signals, cmd;
	pthread_t t;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_many);
	rm.vm = vm;
	rm.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, ioeventfd(vm, MMIO, 4, rm.efd, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, remove_soon, &rm));
	while ((cmd = rs_vcpu_run_mmio(vcpu, &uc)) == UCALL_NONE) {
		EXPECT_EQ(MMIO, vcpu->run->mmio.phys_addr);
		exits++;
	}
	pthread_join(t, NULL);
	EXPECT_EQ(UCALL_DONE, cmd);
	EXPECT_EQ(0, rm.ret);
	signals = efd_count(rm.efd);
	EXPECT_EQ(WRITES, exits + signals)
		TH_LOG("%llu exits", (unsigned long long)exits);
	/* where the registration went: not a result, the timing's */
	fprintf(stderr, "# %llu signals, then %llu exits\n",
		(unsigned long long)signals, (unsigned long long)exits);
	rs_vm_free(vm);
	close(rm.efd);
}

TEST_HARNESS_MAIN
