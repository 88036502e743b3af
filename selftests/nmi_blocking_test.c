// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs are blocked from the delivery of one to the end of the guest's next
 * IRET (SDM vol. 3A, 6.7.1; APM vol. 2, 8.2.2): an NMI injected while the
 * guest's NMI handler runs waits and comes right after that handler's
 * IRET, before the interrupted code runs another instruction.  A second
 * NMI injected while one waits is -EBUSY, like the one NMI a CPU latches.
 */
#include "kselftest_harness.h"
#include "rs_test.h"
#include "rs_util.h"

static volatile uint64_t nmis, depth, max_depth;

static void nmi_handler(struct rs_ex_regs *regs)
{
	if (++depth > max_depth)
		max_depth = depth;
	/* The first one stops in the handler: the host injects another. */
	if (++nmis == 1)
		GUEST_SYNC(10);
	depth--;
}

static void guest_code(void)
{
	uint64_t after;

	GUEST_SYNC(1);
	/* The first NMI comes here; the second before the next load. */
	after = nmis;
	GUEST_SYNC_ARGS(2, after, max_depth, nmis);
	GUEST_DONE();
}

TEST(nmi_waits_for_iret)
{
	struct rs_event ev = { .type = RS_EVENT_NMI, .vector = 2 };
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;

	RS_REQUIRE_VM();
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vm_install_handler(vm, NMI_VECTOR, nmi_handler);
	rs_vcpu_expect_sync(vcpu, 1);

	rs_vcpu_inject(vcpu, RS_EVENT_NMI, NMI_VECTOR, false, 0);
	EXPECT_ERRNO(EBUSY, ioctl(vcpu->fd, RS_INJECT_EVENT, &ev));
	rs_vcpu_expect_sync(vcpu, 10);

	/* In the handler: this one must wait for its IRET. */
	rs_vcpu_inject(vcpu, RS_EVENT_NMI, NMI_VECTOR, false, 0);
	/* A third, while one waits. */
	EXPECT_ERRNO(EBUSY, ioctl(vcpu->fd, RS_INJECT_EVENT, &ev));
	ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(1, uc.args[2]) TH_LOG("NMI handlers nested");
	EXPECT_EQ(2, uc.args[3]) TH_LOG("NMIs the guest took");
	EXPECT_EQ(2, uc.args[1])
		TH_LOG("the second NMI did not come right after the IRET");
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
}

TEST_HARNESS_MAIN
