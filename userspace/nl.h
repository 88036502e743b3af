/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside launcher: the module's generic netlink family "ringside"
 * (Documentation/netlink.rst) through libnl-genl-3, for `ringside stat`
 * and `ringside trace`.
 */
#ifndef RINGSIDE_NL_H
#define RINGSIDE_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/ringside.h>

struct nl_sock;

struct rsnl {
	struct nl_sock *sk;
	int family;			/* the family's dynamic id */
};

/*
 * One exit reason's counters; or, in rsnl_stats.user, one RS_EXIT_* of
 * RS_RUN's returns, whose time is user space's until the next RS_RUN.
 */
struct rsnl_reason {
	char name[32];
	uint64_t count;
	uint64_t ns;			/* time handling them, in the kernel */
	uint64_t cycles;
	uint64_t hist[RS_NL_HIST_BUCKETS];	/* by time, RS_NL_REASON_HIST */
};

/*
 * A bound in TSC cycles of the time that a fraction @q (0 < q <= 1) of
 * the times in histogram @hist (RS_NL_REASON_HIST) do not exceed: the
 * upper end of the bucket the q-th time is in, which is at most twice
 * that time.  0 if the histogram is empty (or the time is 0 cycles), and
 * UINT64_MAX if it is in the last bucket, which has no upper end.
 */
uint64_t rsnl_hist_quantile(const uint64_t *hist, double q);

/*
 * One RS_NL_CMD_GET_STATS message: a VM with the sums over its vCPUs
 * (has_vcpu false), or one of its vCPUs.
 */
struct rsnl_stats {
	uint32_t id, pid, uid, vcpus;
	char comm[32];
	char backend[8];
	uint64_t memory, uptime_ns;
	bool has_vcpu;
	uint32_t vcpu;
	bool enabled;			/* counting is on */
	uint32_t tsc_khz;
	uint64_t exits;			/* all exits, named or not */
	uint64_t guest_ns, guest_cycles;
	uint64_t handle_ns, handle_cycles;
	unsigned int nr_reasons;
	struct rsnl_reason reasons[64];
	unsigned int nr_user;
	struct rsnl_reason user[16];	/* RS_RUN's returns to user space */
};

/* A sampled exit from the "events" group. */
struct rsnl_event {
	uint32_t vm, vcpu;
	char name[32];
	uint64_t code, rip, info1, info2;
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC */
};

/*
 * Connect and resolve the family.  Returns 0, or -1 after a message (the
 * module is not loaded, or netlink fails).
 */
int rsnl_open(struct rsnl *nl);
void rsnl_close(struct rsnl *nl);

/*
 * Dump every VM the caller may see, and each of their vCPUs if per_vcpu:
 * *out gets a malloc'ed array of *n entries, each VM followed by its
 * vCPUs.  Returns 0, or -1 after a message.
 */
int rsnl_dump_stats(struct rsnl *nl, bool per_vcpu, struct rsnl_stats **out,
		    size_t *n);

/*
 * Join the "events" group (CAP_NET_ADMIN).  Returns 0, or -1 after a
 * message.  Then rsnl_fd() is readable when events wait, and
 * rsnl_read_events() hands each to fn; it returns the number handled,
 * or -1 after a message.
 */
int rsnl_subscribe_events(struct rsnl *nl);
int rsnl_fd(struct rsnl *nl);
int rsnl_read_events(struct rsnl *nl,
		     void (*fn)(const struct rsnl_event *ev, void *arg),
		     void *arg);

/* Write @s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);

#endif /* RINGSIDE_NL_H */
