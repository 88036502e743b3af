// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a libnl-genl-3 client of the module's generic netlink
 * family "ringside" (Documentation/netlink.rst).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/ringside.h>

#include "nl.h"
#include "util.h"

/* What the replies carry, checked before anything is read. */
static struct nla_policy attr_policy[RS_NL_A_MAX + 1] = {
	[RS_NL_A_VM_ID] = { .type = NLA_U32 },
	[RS_NL_A_VM_PID] = { .type = NLA_U32 },
	[RS_NL_A_VM_UID] = { .type = NLA_U32 },
	[RS_NL_A_VM_COMM] = { .type = NLA_STRING },
	[RS_NL_A_VM_VCPUS] = { .type = NLA_U32 },
	[RS_NL_A_VM_MEMORY] = { .type = NLA_U64 },
	[RS_NL_A_VM_UPTIME_NS] = { .type = NLA_U64 },
	[RS_NL_A_BACKEND] = { .type = NLA_STRING },
	[RS_NL_A_VCPU_ID] = { .type = NLA_U32 },
	[RS_NL_A_STATS] = { .type = NLA_NESTED },
	[RS_NL_A_EXIT_NAME] = { .type = NLA_STRING },
	[RS_NL_A_EXIT_CODE] = { .type = NLA_U64 },
	[RS_NL_A_EXIT_RIP] = { .type = NLA_U64 },
	[RS_NL_A_EXIT_INFO1] = { .type = NLA_U64 },
	[RS_NL_A_EXIT_INFO2] = { .type = NLA_U64 },
	[RS_NL_A_TIMESTAMP_NS] = { .type = NLA_U64 },
};

static struct nla_policy stats_policy[RS_NL_STATS_MAX + 1] = {
	[RS_NL_STATS_ENABLED] = { .type = NLA_U8 },
	[RS_NL_STATS_TSC_KHZ] = { .type = NLA_U32 },
	[RS_NL_STATS_EXITS] = { .type = NLA_U64 },
	[RS_NL_STATS_GUEST_NS] = { .type = NLA_U64 },
	[RS_NL_STATS_GUEST_CYCLES] = { .type = NLA_U64 },
	[RS_NL_STATS_HANDLE_NS] = { .type = NLA_U64 },
	[RS_NL_STATS_HANDLE_CYCLES] = { .type = NLA_U64 },
	[RS_NL_STATS_REASON] = { .type = NLA_NESTED },
	[RS_NL_STATS_USER] = { .type = NLA_NESTED },
};

static struct nla_policy reason_policy[RS_NL_REASON_MAX + 1] = {
	[RS_NL_REASON_NAME] = { .type = NLA_STRING },
	[RS_NL_REASON_COUNT] = { .type = NLA_U64 },
	[RS_NL_REASON_NS] = { .type = NLA_U64 },
	[RS_NL_REASON_CYCLES] = { .type = NLA_U64 },
	[RS_NL_REASON_HIST] = { .type = NLA_UNSPEC },
	[RS_NL_REASON_HIST_FIRST] = { .type = NLA_U8 },
};

uint64_t rsnl_hist_quantile(const uint64_t *hist, double q)
{
	uint64_t n = 0, want, seen = 0;
	int k;

	for (k = 0; k < RS_NL_HIST_BUCKETS; k++)
		n += hist[k];
	if (!n)
		return 0;
	want = (uint64_t)(q * n);
	if (want < q * n || !want)
		want++;			/* the ceiling, and at least one */
	for (k = 0; k < RS_NL_HIST_BUCKETS - 1; k++) {
		seen += hist[k];
		if (seen >= want)
			return k ? (1ULL << k) - 1 : 0;
	}
	return UINT64_MAX;
}

/* RS_NL_REASON_HIST into r->hist: a short or misplaced one is left out. */
static void get_hist(struct nlattr **tb, struct rsnl_reason *r)
{
	unsigned int first, n;

	if (!tb[RS_NL_REASON_HIST] || !tb[RS_NL_REASON_HIST_FIRST])
		return;
	first = nla_get_u8(tb[RS_NL_REASON_HIST_FIRST]);
	n = nla_len(tb[RS_NL_REASON_HIST]) / sizeof(uint64_t);
	if (first >= RS_NL_HIST_BUCKETS || n > RS_NL_HIST_BUCKETS - first)
		return;
	memcpy(&r->hist[first], nla_data(tb[RS_NL_REASON_HIST]),
	       n * sizeof(uint64_t));
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static void get_str(struct nlattr **tb, int type, char *dst, size_t size)
{
	dst[0] = '\0';
	if (tb[type])
		nla_strlcpy(dst, tb[type], size);
}

int rsnl_open(struct rsnl *nl)
{
	int r;

	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		pr_err("netlink: out of memory");
		return -1;
	}
	r = genl_connect(nl->sk);
	if (r < 0) {
		pr_err("netlink: %s", nl_geterror(r));
		goto err;
	}
	nl->family = genl_ctrl_resolve(nl->sk, RS_NL_FAMILY_NAME);
	if (nl->family < 0) {
		pr_err("no netlink family \"%s\": is the ringside module loaded?",
		       RS_NL_FAMILY_NAME);
		goto err;
	}
	/* Dump replies are as big as the kernel's skbs: peek at the size. */
	nl_socket_enable_msg_peek(nl->sk);
	return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return -1;
}

void rsnl_close(struct rsnl *nl)
{
	nl_socket_free(nl->sk);
	nl->sk = NULL;
}

static int parse_stats(struct nlattr *nest, struct rsnl_stats *s)
{
	struct nlattr *tb[RS_NL_STATS_MAX + 1];
	struct nlattr *rtb[RS_NL_REASON_MAX + 1];
	struct nlattr *a;
	int rem;

	if (nla_parse_nested(tb, RS_NL_STATS_MAX, nest, stats_policy) < 0)
		return -1;
	s->enabled = tb[RS_NL_STATS_ENABLED] &&
		     nla_get_u8(tb[RS_NL_STATS_ENABLED]);
	s->tsc_khz = get_u32(tb, RS_NL_STATS_TSC_KHZ);
	s->exits = get_u64(tb, RS_NL_STATS_EXITS);
	s->guest_ns = get_u64(tb, RS_NL_STATS_GUEST_NS);
	s->guest_cycles = get_u64(tb, RS_NL_STATS_GUEST_CYCLES);
	s->handle_ns = get_u64(tb, RS_NL_STATS_HANDLE_NS);
	s->handle_cycles = get_u64(tb, RS_NL_STATS_HANDLE_CYCLES);

	nla_for_each_nested(a, nest, rem) {
		struct rsnl_reason *r;

		if (nla_type(a) == RS_NL_STATS_REASON &&
		    s->nr_reasons < ARRAY_SIZE(s->reasons))
			r = &s->reasons[s->nr_reasons++];
		else if (nla_type(a) == RS_NL_STATS_USER &&
			 s->nr_user < ARRAY_SIZE(s->user))
			r = &s->user[s->nr_user++];
		else
			continue;
		if (nla_parse_nested(rtb, RS_NL_REASON_MAX, a, reason_policy) < 0)
			return -1;
		get_str(rtb, RS_NL_REASON_NAME, r->name, sizeof(r->name));
		r->count = get_u64(rtb, RS_NL_REASON_COUNT);
		r->ns = get_u64(rtb, RS_NL_REASON_NS);
		r->cycles = get_u64(rtb, RS_NL_REASON_CYCLES);
		get_hist(rtb, r);
	}
	return 0;
}

struct dump_ctx {
	struct rsnl_stats *v;
	size_t n, cap;
	int err;
};

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[RS_NL_A_MAX + 1];
	struct dump_ctx *ctx = arg;
	struct rsnl_stats *s;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, RS_NL_A_MAX, attr_policy) < 0 ||
	    !tb[RS_NL_A_VM_ID]) {
		ctx->err = -1;
		return NL_SKIP;
	}
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 16;
		struct rsnl_stats *v = realloc(ctx->v, cap * sizeof(*v));

		if (!v) {
			ctx->err = -1;
			return NL_STOP;
		}
		ctx->v = v;
		ctx->cap = cap;
	}
	s = &ctx->v[ctx->n];
	memset(s, 0, sizeof(*s));
	s->id = get_u32(tb, RS_NL_A_VM_ID);
	s->pid = get_u32(tb, RS_NL_A_VM_PID);
	s->uid = get_u32(tb, RS_NL_A_VM_UID);
	s->vcpus = get_u32(tb, RS_NL_A_VM_VCPUS);
	get_str(tb, RS_NL_A_VM_COMM, s->comm, sizeof(s->comm));
	get_str(tb, RS_NL_A_BACKEND, s->backend, sizeof(s->backend));
	s->memory = get_u64(tb, RS_NL_A_VM_MEMORY);
	s->uptime_ns = get_u64(tb, RS_NL_A_VM_UPTIME_NS);
	s->has_vcpu = tb[RS_NL_A_VCPU_ID] != NULL;
	s->vcpu = get_u32(tb, RS_NL_A_VCPU_ID);
	if (tb[RS_NL_A_STATS] && parse_stats(tb[RS_NL_A_STATS], s) < 0) {
		ctx->err = -1;
		return NL_SKIP;
	}
	ctx->n++;
	return NL_OK;
}

int rsnl_dump_stats(struct rsnl *nl, bool per_vcpu, struct rsnl_stats **out,
		    size_t *n)
{
	struct dump_ctx ctx = { 0 };
	struct nl_msg *msg;
	int r;

	msg = nlmsg_alloc();
	if (!msg) {
		pr_err("netlink: out of memory");
		return -1;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 NLM_F_DUMP, RS_NL_CMD_GET_STATS, RS_NL_FAMILY_VERSION) ||
	    (per_vcpu && nla_put_flag(msg, RS_NL_A_PER_VCPU) < 0)) {
		nlmsg_free(msg);
		pr_err("netlink: cannot build the request");
		return -1;
	}
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, dump_cb, &ctx);
	r = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_recvmsgs_default(nl->sk);
	if (r < 0 || ctx.err) {
		if (r < 0)
			pr_err("netlink: statistics dump: %s", nl_geterror(r));
		else
			pr_err("netlink: a malformed statistics message");
		free(ctx.v);
		return -1;
	}
	*out = ctx.v;
	*n = ctx.n;
	return 0;
}

int rsnl_subscribe_events(struct rsnl *nl)
{
	int grp, r;

	grp = genl_ctrl_resolve_grp(nl->sk, RS_NL_FAMILY_NAME,
				    RS_NL_MCGRP_EVENTS);
	if (grp < 0) {
		pr_err("netlink: no group \"%s\": %s", RS_NL_MCGRP_EVENTS,
		       nl_geterror(grp));
		return -1;
	}
	/* Events are not answers: they have no sequence numbers. */
	nl_socket_disable_seq_check(nl->sk);
	r = nl_socket_add_membership(nl->sk, grp);
	if (r < 0) {
		pr_err("cannot join the \"%s\" group: %s%s", RS_NL_MCGRP_EVENTS,
		       nl_geterror(r),
		       r == -NLE_PERM ? " (it needs CAP_NET_ADMIN)" : "");
		return -1;
	}
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	nl_socket_set_nonblocking(nl->sk);
	return 0;
}

int rsnl_fd(struct rsnl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct event_ctx {
	void (*fn)(const struct rsnl_event *ev, void *arg);
	void *arg;
	int handled;
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[RS_NL_A_MAX + 1];
	struct event_ctx *ctx = arg;
	struct rsnl_event ev;

	if (gh->cmd != RS_NL_CMD_EXIT_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, RS_NL_A_MAX, attr_policy) < 0)
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	ev.vm = get_u32(tb, RS_NL_A_VM_ID);
	ev.vcpu = get_u32(tb, RS_NL_A_VCPU_ID);
	get_str(tb, RS_NL_A_EXIT_NAME, ev.name, sizeof(ev.name));
	ev.code = get_u64(tb, RS_NL_A_EXIT_CODE);
	ev.rip = get_u64(tb, RS_NL_A_EXIT_RIP);
	ev.info1 = get_u64(tb, RS_NL_A_EXIT_INFO1);
	ev.info2 = get_u64(tb, RS_NL_A_EXIT_INFO2);
	ev.timestamp_ns = get_u64(tb, RS_NL_A_TIMESTAMP_NS);
	ctx->fn(&ev, ctx->arg);
	ctx->handled++;
	return NL_OK;
}

int rsnl_read_events(struct rsnl *nl,
		     void (*fn)(const struct rsnl_event *ev, void *arg),
		     void *arg)
{
	struct event_ctx ctx = { .fn = fn, .arg = arg };
	int r;

	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &ctx);
	for (;;) {
		r = nl_recvmsgs_default(nl->sk);
		if (r == -NLE_AGAIN)
			return ctx.handled;
		if (r == -NLE_NOMEM) {
			/* ENOBUFS: the socket overflowed and dropped some. */
			pr_err("some events were lost: the reader fell behind");
			continue;
		}
		if (r < 0) {
			pr_err("netlink: %s", nl_geterror(r));
			return -1;
		}
	}
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
