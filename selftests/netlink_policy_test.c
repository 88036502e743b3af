// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink family "ringside" refuses malformed requests before doing
 * anything: attributes of the wrong length or type, unknown attribute
 * types, attributes the command does not take (including reply-only ones),
 * a missing VM id, trailing garbage, a non-zero genlmsghdr.reserved or
 * unknown nlmsg_flags are EINVAL (a flag with a payload is ERANGE, the
 * kernel's answer for a value out of its policy); unknown commands and the
 * event command sent as a request are EOPNOTSUPP; unknown VM or vCPU ids
 * are ENOENT.  A well-formed request still works afterwards.
 */
#include "kselftest_harness.h"
#include "rs_nl.h"
#include "rs_test.h"
#include "rs_util.h"

FIXTURE(policy) {
	struct rs_nl nl;
	struct rs_vm *vm;
	uint32_t id;
};

FIXTURE_SETUP(policy)
{
	self->vm = NULL;
	RS_REQUIRE_VM();
	ASSERT_EQ(0, rs_nl_open(&self->nl));
	self->vm = rs_vm_create_default();
	rs_vcpu_create_bare(self->vm, 0);
	self->id = rs_vm_id(self->vm);
}

FIXTURE_TEARDOWN(policy)
{
	if (self->vm) {
		rs_vm_free(self->vm);
		rs_nl_close(&self->nl);
	}
}

static int send_get(struct rs_nl *nl, uint8_t cmd, uint16_t flags,
		    uint16_t type, const void *data, size_t len)
{
	struct rs_nl_msg m;

	rs_nl_msg_init(&m, nl, flags, cmd);
	rs_nl_put(&m, type, data, len);
	return rs_nl_transact(nl, &m, NULL, NULL);
}

TEST_F(policy, wrong_lengths)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	uint16_t id16 = self->id;
	uint64_t id64 = self->id;
	uint8_t one = 1;

	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_VM, 0,
				    RS_NL_A_VM_ID, &id16, sizeof(id16)));
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_VM, 0,
				    RS_NL_A_VM_ID, &id64, sizeof(id64)));
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_STATS, 0,
				    RS_NL_A_VM_ID, NULL, 0));
	EXPECT_EQ(-ERANGE, send_get(&self->nl, RS_NL_CMD_GET_STATS, NLM_F_DUMP,
				    RS_NL_A_PER_VCPU, &one, 1));
}

TEST_F(policy, unknown_and_unexpected_attributes)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	uint32_t v = self->id;
	struct rs_nl_msg m;

	/* Beyond every policy, and type 0. */
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_VM, 0, 200, &v, 4));
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_VM, NLM_F_DUMP,
				    RS_NL_A_MAX + 1, &v, 4));
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_VM, 0, 0, &v, 4));
	/* Reply-only attributes in a request. */
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_STATS, 0,
				    RS_NL_A_VM_PID, &v, 4));
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_STATS, NLM_F_DUMP,
				    RS_NL_A_STATS, NULL, 0));
	/* GET_VM takes no vCPU; only a GET_STATS dump takes PER_VCPU. */
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_VM);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, self->id);
	rs_nl_put_u32(&m, RS_NL_A_VCPU_ID, 0);
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_STATS);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, self->id);
	rs_nl_put(&m, RS_NL_A_PER_VCPU, NULL, 0);
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));
	EXPECT_EQ(-EINVAL, send_get(&self->nl, RS_NL_CMD_GET_STATS, NLM_F_DUMP,
				    RS_NL_A_VCPU_ID, &v, 4));
}

TEST_F(policy, missing_vm_id)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	struct rs_nl_msg m;

	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_VM);
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_STATS);
	rs_nl_put_u32(&m, RS_NL_A_VCPU_ID, 0);
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));
}

TEST_F(policy, malformed_messages)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	struct genlmsghdr *g;
	struct rs_nl_msg m;

	/* An attribute whose length runs past the message. */
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_VM);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, self->id);
	((struct nlattr *)(m.buf + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len = 64;
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));

	/* Trailing bytes that are no attribute. */
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_VM);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, self->id);
	m.nlh.nlmsg_len += 2;
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));

	/* genlmsghdr.reserved must be 0. */
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_VM);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, self->id);
	g = NLMSG_DATA(&m.nlh);
	g->reserved = 1;
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));

	/* nlmsg_flags the family does not define (NLM_F_REPLACE). */
	rs_nl_msg_init(&m, &self->nl, NLM_F_REPLACE, RS_NL_CMD_GET_VM);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, self->id);
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));

	/* No genetlink header at all. */
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_GET_VM);
	m.nlh.nlmsg_len = NLMSG_HDRLEN;
	EXPECT_EQ(-EINVAL, rs_nl_transact(&self->nl, &m, NULL, NULL));
}

TEST_F(policy, unknown_commands)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	struct rs_nl_msg m;

	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_EXIT_EVENT);
	EXPECT_EQ(-EOPNOTSUPP, rs_nl_transact(&self->nl, &m, NULL, NULL));
	rs_nl_msg_init(&m, &self->nl, 0, RS_NL_CMD_UNSPEC);
	EXPECT_EQ(-EOPNOTSUPP, rs_nl_transact(&self->nl, &m, NULL, NULL));
	rs_nl_msg_init(&m, &self->nl, NLM_F_DUMP, 99);
	EXPECT_EQ(-EOPNOTSUPP, rs_nl_transact(&self->nl, &m, NULL, NULL));
}

TEST_F(policy, unknown_ids)
{
	RS_REQUIRE_VM();	/* the body runs even after a setup SKIP */
	struct rs_nl_vm v, list[64];
	struct rs_nl_msg m;
	int n;

	EXPECT_EQ(-ENOENT, rs_nl_get(&self->nl, RS_NL_CMD_GET_VM, 0, -1, &v));
	EXPECT_EQ(-ENOENT, rs_nl_get(&self->nl, RS_NL_CMD_GET_VM, 0x7fffffff,
				     -1, &v));
	EXPECT_EQ(-ENOENT, rs_nl_get(&self->nl, RS_NL_CMD_GET_STATS,
				     0xffffffff, -1, &v));
	EXPECT_EQ(-ENOENT, rs_nl_get(&self->nl, RS_NL_CMD_GET_STATS, self->id,
				     1, &v));
	EXPECT_EQ(-ENOENT, rs_nl_get(&self->nl, RS_NL_CMD_GET_STATS, self->id,
				     0x7fffffff, &v));

	/* A dump filtered on an unknown id is empty, not an error. */
	rs_nl_msg_init(&m, &self->nl, NLM_F_DUMP, RS_NL_CMD_GET_STATS);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, 0x7ffffff0);
	EXPECT_EQ(0, rs_nl_transact(&self->nl, &m, NULL, NULL));

	/* After all that, good requests work. */
	EXPECT_EQ(0, rs_nl_get(&self->nl, RS_NL_CMD_GET_STATS, self->id, 0, &v));
	EXPECT_EQ(self->id, v.id);
	n = rs_nl_dump(&self->nl, RS_NL_CMD_GET_VM, false, list, 64);
	ASSERT_LT(0, n);
	EXPECT_NE(NULL, rs_nl_find(list, n, self->id));
}

TEST_HARNESS_MAIN
