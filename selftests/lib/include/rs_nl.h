/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' client of the generic netlink family "ringside"
 * (Documentation/netlink.rst), over a raw NETLINK_GENERIC socket: no
 * libnl, so that tests can also send what libnl would never build.
 *
 * Calls return 0 or a negative errno (the kernel's answer, or the socket's
 * error); none of them aborts, so tests of refused requests can use them.
 */
#ifndef SELFTEST_RS_NL_H
#define SELFTEST_RS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/ringside.h>

struct rs_vm;

struct rs_nl {
	int fd;
	uint16_t family;
	uint32_t events_group;		/* multicast group id of "events" */
	uint32_t seq;
};

/* A request being built: header, genl header, attributes. */
struct rs_nl_msg {
	union {
		struct nlmsghdr nlh;
		char buf[4096];
	};
};

#define RS_NL_MAX_REASONS	32

/* One message of RS_NL_CMD_GET_VM or RS_NL_CMD_GET_STATS, parsed. */
struct rs_nl_vm {
	uint32_t id, pid, uid, vcpus;
	uint64_t memory, uptime_ns;
	char comm[32], backend[8];
	bool has_vcpu;
	uint32_t vcpu;
	bool has_stats;
	uint8_t enabled;
	uint32_t tsc_khz;
	uint64_t exits, guest_ns, guest_cycles, handle_ns, handle_cycles;
	uint64_t l1d_flushes;
	unsigned int nr_reasons;
	struct rs_nl_reason {
		char name[32];
		uint64_t count, ns, cycles;
		uint64_t hist[RS_NL_HIST_BUCKETS];	/* RS_NL_REASON_HIST */
	} reasons[RS_NL_MAX_REASONS];
	/* RS_NL_STATS_USER: RS_RUN's returns, and user space's time */
	unsigned int nr_user;
	struct rs_nl_reason user[RS_NL_MAX_REASONS];
};

struct rs_nl_event {
	uint32_t vm, vcpu;
	char name[32];
	uint64_t code, rip, info1, info2, timestamp_ns;
};

/* A socket with the family (and its "events" group) resolved. */
int rs_nl_open(struct rs_nl *nl);
void rs_nl_close(struct rs_nl *nl);

/* Building requests. */
void rs_nl_msg_init(struct rs_nl_msg *m, struct rs_nl *nl, uint16_t flags,
		    uint8_t cmd);
void rs_nl_put(struct rs_nl_msg *m, uint16_t type, const void *data,
	       size_t len);
void rs_nl_put_u32(struct rs_nl_msg *m, uint16_t type, uint32_t v);

/*
 * Send @m (with NLM_F_ACK added) and read the answer: each reply message
 * goes to @fn (may be NULL), until the ACK, NLMSG_DONE or an error.
 * Returns 0 or the kernel's negative errno.
 */
int rs_nl_transact(struct rs_nl *nl, struct rs_nl_msg *m,
		   void (*fn)(const struct nlmsghdr *nlh, void *arg),
		   void *arg);

/* Parse a reply message of GET_VM/GET_STATS; false if malformed. */
bool rs_nl_parse_vm(const struct nlmsghdr *nlh, struct rs_nl_vm *out);

/* GET_VM or GET_STATS of one VM (vcpu < 0: the VM's sums). */
int rs_nl_get(struct rs_nl *nl, uint8_t cmd, uint32_t vm, int vcpu,
	      struct rs_nl_vm *out);
/*
 * A dump of GET_VM or GET_STATS (with RS_NL_A_PER_VCPU if per_vcpu):
 * up to max messages into out; returns how many, or a negative errno.
 */
int rs_nl_dump(struct rs_nl *nl, uint8_t cmd, bool per_vcpu,
	       struct rs_nl_vm *out, int max);
/* The entry of dump results with this VM id (and no vCPU), or NULL. */
const struct rs_nl_vm *rs_nl_find(const struct rs_nl_vm *v, int n,
				  uint32_t id);
/* The count of the exit reason @name (0 if absent). */
uint64_t rs_nl_count(const struct rs_nl_vm *s, const char *name);
/* RS_RUN's returns with exit reason @name ("IO", "HLT"...), or 0. */
const struct rs_nl_reason *rs_nl_user(const struct rs_nl_vm *s,
				      const char *name);

/* Join the "events" group: 0 or -errno (EPERM without CAP_NET_ADMIN). */
int rs_nl_subscribe(struct rs_nl *nl);
/*
 * Read the next event, waiting up to timeout_ms: 1 if one came, 0 on
 * timeout, or a negative errno.
 */
int rs_nl_next_event(struct rs_nl *nl, struct rs_nl_event *ev,
		     int timeout_ms);

/*
 * A backend counts exits once it stamps them (Documentation/netlink.rst,
 * "What a backend provides"); SVM does.  Tests skip where @exits stayed 0
 * after guest code ran on another backend.
 */
#define RS_REQUIRE_EXIT_STATS(exits, cleanup) do {			\
	if (!(exits) && rs_check_cap(RS_CAP_SVM) != 1)			\
		SKIP(cleanup, "this backend does not count exits yet");	\
} while (0)

/* The VM's id, from its fd's /proc/self/fdinfo. */
uint32_t rs_vm_id(struct rs_vm *vm);
uint32_t rs_vm_fd_id(int vm_fd);

/* A module parameter of ringside: read and write as text. */
int rs_param_read(const char *name, char *buf, size_t size);
int rs_param_write(const char *name, const char *val);

#endif /* SELFTEST_RS_NL_H */
