// SPDX-License-Identifier: GPL-2.0
/*
 * WBINVD and INVD exit and do nothing: a guest cannot flush (or, with
 * INVD, drop) the host's caches.  Each runs as an instruction that raises
 * nothing, and each is counted as an exit: WBINVD under its name, INVD
 * under its own or WBINVD's, since QEMU 7.2's SVM reports an INVD with the
 * WBINVD exit code (real CPUs use INVD's).
 */
#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

#define N	100

static void guest_code(void)
{
	uint64_t vec = RS_NO_EXCEPTION;
	int i;

	GUEST_SYNC(0);
	for (i = 0; i < N && vec == RS_NO_EXCEPTION; i++)
		vec = RS_ASM_SAFE("wbinvd");
	GUEST_SYNC_ARGS(1, vec, 0, 0);
	for (i = 0; i < N && vec == RS_NO_EXCEPTION; i++)
		vec = RS_ASM_SAFE("invd");
	GUEST_SYNC_ARGS(2, vec, 0, 0);
	GUEST_DONE();
}

static struct rs_nl_vm stats(struct __test_metadata *_metadata,
			     struct rs_nl *nl, struct rs_vm *vm)
{
	struct rs_nl_vm s;

	ASSERT_EQ(0, rs_nl_get(nl, RS_NL_CMD_GET_STATS, rs_vm_id(vm), 0, &s));
	ASSERT_TRUE(s.has_stats);
	ASSERT_TRUE(s.enabled) TH_LOG("counting is off (ringside.stats)");
	return s;
}

TEST(cache_flushes_are_counted_noops)
{
	struct rs_nl_vm s[3];
	struct rs_vcpu *vcpu;
	struct rs_vm *vm;
	struct ucall uc;
	struct rs_nl nl;
	int i;

	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&nl));
	vm = rs_vm_create_with_one_vcpu(&vcpu, guest_code);
	rs_vcpu_expect_sync(vcpu, 0);
	s[0] = stats(_metadata, &nl, vm);
	for (i = 1; i <= 2; i++) {
		ASSERT_EQ(UCALL_SYNC, rs_vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(RS_NO_EXCEPTION, uc.args[1]);
		s[i] = stats(_metadata, &nl, vm);
	}
	EXPECT_EQ(N, rs_nl_count(&s[1], "WBINVD") - rs_nl_count(&s[0], "WBINVD"));
	EXPECT_EQ(N, rs_nl_count(&s[2], "INVD") - rs_nl_count(&s[1], "INVD") +
		     rs_nl_count(&s[2], "WBINVD") - rs_nl_count(&s[1], "WBINVD"));
	rs_vcpu_expect_done(vcpu);
	rs_vm_free(vm);
	rs_nl_close(&nl);
}

TEST_HARNESS_MAIN
