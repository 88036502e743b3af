// SPDX-License-Identifier: GPL-2.0
/*
 * A raw NETLINK_GENERIC client of the "ringside" family for the selftests
 * (rs_nl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rs_nl.h"
#include "rs_util.h"

#define NLA_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))
#define NLA_PAYLOAD(a)	((a)->nla_len - NLA_HDRLEN)
#define NLA_TYPE(a)	((a)->nla_type & NLA_TYPE_MASK)

/* Walk the attributes in [p, p + len), as nla_for_each_attr(). */
#define for_each_nla(a, p, len, rem)					\
	for (a = (struct nlattr *)(p), rem = (int)(len);		\
	     rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&	\
	     a->nla_len <= rem;						\
	     rem -= NLA_ALIGN(a->nla_len),				\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static void *genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	*len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
}

static uint32_t nla_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, NLA_DATA(a), NLA_PAYLOAD(a) < 4 ? NLA_PAYLOAD(a) : 4);
	return v;
}

static uint64_t nla_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, NLA_DATA(a), NLA_PAYLOAD(a) < 8 ? NLA_PAYLOAD(a) : 8);
	return v;
}

static void nla_str(const struct nlattr *a, char *dst, size_t size)
{
	size_t n = NLA_PAYLOAD(a) < size - 1 ? NLA_PAYLOAD(a) : size - 1;

	memcpy(dst, NLA_DATA(a), n);
	dst[n] = '\0';
}

void rs_nl_msg_init(struct rs_nl_msg *m, struct rs_nl *nl, uint16_t flags,
		    uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nlh.nlmsg_type = nl->family;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->nlh.nlmsg_seq = ++nl->seq;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = RS_NL_FAMILY_VERSION;
}

void rs_nl_put(struct rs_nl_msg *m, uint16_t type, const void *data,
	       size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	RS_ASSERT(NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_HDRLEN + NLA_ALIGN(len) <=
		  sizeof(m->buf), "netlink request too big");
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(NLA_DATA(a), data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

void rs_nl_put_u32(struct rs_nl_msg *m, uint16_t type, uint32_t v)
{
	rs_nl_put(m, type, &v, sizeof(v));
}

/* Read one datagram; -errno on failure. */
static int recv_buf(struct rs_nl *nl, char *buf, size_t size)
{
	ssize_t n;

	do {
		n = recv(nl->fd, buf, size, 0);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

int rs_nl_transact(struct rs_nl *nl, struct rs_nl_msg *m,
		   void (*fn)(const struct nlmsghdr *nlh, void *arg),
		   void *arg)
{
	static __thread char buf[65536];	/* threads dump at once */
	struct nlmsghdr *nlh;
	int n;

	m->nlh.nlmsg_flags |= NLM_F_ACK;
	if (send(nl->fd, m->buf, m->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv_buf(nl, buf, sizeof(buf));
		if (n < 0)
			return n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != m->nlh.nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				return err;
			}
			if (fn)
				fn(nlh, arg);
		}
	}
}

/* CTRL_CMD_GETFAMILY: the family id and the "events" group id. */
static void ctrl_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_nl *nl = arg;
	struct nlattr *a, *g, *ga;
	int len, rem, grem, garem;
	void *p = genl_attrs(nlh, &len);

	for_each_nla(a, p, len, rem) {
		if (NLA_TYPE(a) == CTRL_ATTR_FAMILY_ID)
			nl->family = *(uint16_t *)NLA_DATA(a);
		if (NLA_TYPE(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for_each_nla(g, NLA_DATA(a), NLA_PAYLOAD(a), grem) {
			char name[GENL_NAMSIZ] = "";
			uint32_t id = 0;

			for_each_nla(ga, NLA_DATA(g), NLA_PAYLOAD(g), garem) {
				if (NLA_TYPE(ga) == CTRL_ATTR_MCAST_GRP_NAME)
					nla_str(ga, name, sizeof(name));
				if (NLA_TYPE(ga) == CTRL_ATTR_MCAST_GRP_ID)
					id = nla_u32(ga);
			}
			if (!strcmp(name, RS_NL_MCGRP_EVENTS))
				nl->events_group = id;
		}
	}
}

int rs_nl_open(struct rs_nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct rs_nl_msg m;
	int r;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(nl->fd);
		return r;
	}
	nl->family = GENL_ID_CTRL;
	rs_nl_msg_init(&m, nl, 0, CTRL_CMD_GETFAMILY);
	((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->version = 2;
	rs_nl_put(&m, CTRL_ATTR_FAMILY_NAME, RS_NL_FAMILY_NAME,
		  sizeof(RS_NL_FAMILY_NAME));
	nl->family = 0;
	r = rs_nl_transact(nl, &m, ctrl_reply, nl);
	if (!r && !nl->family)
		r = -ENOENT;
	if (r)
		close(nl->fd);
	return r;
}

void rs_nl_close(struct rs_nl *nl)
{
	close(nl->fd);
	nl->fd = -1;
}

static bool parse_stats(const struct nlattr *nest, struct rs_nl_vm *v)
{
	const struct nlattr *hist;
	struct rs_nl_reason *e;
	struct nlattr *a, *r;
	unsigned int first;
	int rem, rrem;

	v->has_stats = true;
	for_each_nla(a, NLA_DATA(nest), NLA_PAYLOAD(nest), rem) {
		switch (NLA_TYPE(a)) {
		case RS_NL_STATS_ENABLED:
			v->enabled = *(uint8_t *)NLA_DATA(a);
			break;
		case RS_NL_STATS_TSC_KHZ:
			v->tsc_khz = nla_u32(a);
			break;
		case RS_NL_STATS_EXITS:
			v->exits = nla_u64(a);
			break;
		case RS_NL_STATS_GUEST_NS:
			v->guest_ns = nla_u64(a);
			break;
		case RS_NL_STATS_GUEST_CYCLES:
			v->guest_cycles = nla_u64(a);
			break;
		case RS_NL_STATS_HANDLE_NS:
			v->handle_ns = nla_u64(a);
			break;
		case RS_NL_STATS_HANDLE_CYCLES:
			v->handle_cycles = nla_u64(a);
			break;
		case RS_NL_STATS_L1D_FLUSHES:
			v->l1d_flushes = nla_u64(a);
			break;
		case RS_NL_STATS_REASON:
		case RS_NL_STATS_USER:
			if (v->nr_reasons == RS_NL_MAX_REASONS ||
			    v->nr_user == RS_NL_MAX_REASONS)
				return false;
			hist = NULL;
			first = 0;
			e = NLA_TYPE(a) == RS_NL_STATS_USER ?
				&v->user[v->nr_user] : &v->reasons[v->nr_reasons];
			for_each_nla(r, NLA_DATA(a), NLA_PAYLOAD(a), rrem) {
				if (NLA_TYPE(r) == RS_NL_REASON_HIST)
					hist = r;
				else if (NLA_TYPE(r) == RS_NL_REASON_HIST_FIRST)
					first = *(uint8_t *)NLA_DATA(r);
				else if (NLA_TYPE(r) == RS_NL_REASON_NAME)
					nla_str(r, e->name, sizeof(e->name));
				else if (NLA_TYPE(r) == RS_NL_REASON_COUNT)
					e->count = nla_u64(r);
				else if (NLA_TYPE(r) == RS_NL_REASON_NS)
					e->ns = nla_u64(r);
				else if (NLA_TYPE(r) == RS_NL_REASON_CYCLES)
					e->cycles = nla_u64(r);
			}
			/* Buckets first.. as the kernel sends them; none past the end. */
			if (hist) {
				unsigned int n = NLA_PAYLOAD(hist) / sizeof(uint64_t);

				if (first + n > RS_NL_HIST_BUCKETS)
					return false;
				memcpy(&e->hist[first], NLA_DATA(hist),
				       n * sizeof(uint64_t));
			}
			if (NLA_TYPE(a) == RS_NL_STATS_USER)
				v->nr_user++;
			else
				v->nr_reasons++;
			break;
		}
	}
	return true;
}

bool rs_nl_parse_vm(const struct nlmsghdr *nlh, struct rs_nl_vm *v)
{
	struct nlattr *a;
	int len, rem;
	void *p = genl_attrs(nlh, &len);
	bool has_id = false;

	memset(v, 0, sizeof(*v));
	for_each_nla(a, p, len, rem) {
		switch (NLA_TYPE(a)) {
		case RS_NL_A_VM_ID:
			v->id = nla_u32(a);
			has_id = true;
			break;
		case RS_NL_A_VM_PID:
			v->pid = nla_u32(a);
			break;
		case RS_NL_A_VM_UID:
			v->uid = nla_u32(a);
			break;
		case RS_NL_A_VM_COMM:
			nla_str(a, v->comm, sizeof(v->comm));
			break;
		case RS_NL_A_VM_VCPUS:
			v->vcpus = nla_u32(a);
			break;
		case RS_NL_A_VM_MEMORY:
			v->memory = nla_u64(a);
			break;
		case RS_NL_A_VM_UPTIME_NS:
			v->uptime_ns = nla_u64(a);
			break;
		case RS_NL_A_BACKEND:
			nla_str(a, v->backend, sizeof(v->backend));
			break;
		case RS_NL_A_VCPU_ID:
			v->has_vcpu = true;
			v->vcpu = nla_u32(a);
			break;
		case RS_NL_A_STATS:
			if (!parse_stats(a, v))
				return false;
			break;
		}
	}
	return has_id;
}

struct collect {
	struct rs_nl_vm *v;
	int n, max;
	bool bad;
};

static void collect(const struct nlmsghdr *nlh, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->max) {
		c->bad = true;
		return;
	}
	if (!rs_nl_parse_vm(nlh, &c->v[c->n]))
		c->bad = true;
	else
		c->n++;
}

int rs_nl_get(struct rs_nl *nl, uint8_t cmd, uint32_t vm, int vcpu,
	      struct rs_nl_vm *out)
{
	struct collect c = { .v = out, .max = 1 };
	struct rs_nl_msg m;
	int r;

	rs_nl_msg_init(&m, nl, 0, cmd);
	rs_nl_put_u32(&m, RS_NL_A_VM_ID, vm);
	if (vcpu >= 0)
		rs_nl_put_u32(&m, RS_NL_A_VCPU_ID, vcpu);
	r = rs_nl_transact(nl, &m, collect, &c);
	if (!r && (c.bad || c.n != 1))
		r = -EBADMSG;
	return r;
}

int rs_nl_dump(struct rs_nl *nl, uint8_t cmd, bool per_vcpu,
	       struct rs_nl_vm *out, int max)
{
	struct collect c = { .v = out, .max = max };
	struct rs_nl_msg m;
	int r;

	rs_nl_msg_init(&m, nl, NLM_F_DUMP, cmd);
	if (per_vcpu)
		rs_nl_put(&m, RS_NL_A_PER_VCPU, NULL, 0);
	r = rs_nl_transact(nl, &m, collect, &c);
	if (!r && c.bad)
		r = -EBADMSG;
	return r ? r : c.n;
}

const struct rs_nl_vm *rs_nl_find(const struct rs_nl_vm *v, int n, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].id == id && !v[i].has_vcpu)
			return &v[i];
	return NULL;
}

uint64_t rs_nl_count(const struct rs_nl_vm *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr_reasons; i++)
		if (!strcmp(s->reasons[i].name, name))
			return s->reasons[i].count;
	return 0;
}

const struct rs_nl_reason *rs_nl_user(const struct rs_nl_vm *s,
				      const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr_user; i++)
		if (!strcmp(s->user[i].name, name))
			return &s->user[i];
	return NULL;
}

int rs_nl_subscribe(struct rs_nl *nl)
{
	int size = 4 << 20;

	if (!nl->events_group)
		return -ENOENT;
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &nl->events_group, sizeof(nl->events_group)) < 0)
		return -errno;
	return 0;
}

int rs_nl_next_event(struct rs_nl *nl, struct rs_nl_event *ev, int timeout_ms)
{
	static __thread char buf[8192];
	struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	int n, len, rem;
	void *p;

	for (;;) {
		n = poll(&pfd, 1, timeout_ms);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		n = recv_buf(nl, buf, sizeof(buf));
		if (n < 0)
			return n;
		nlh = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(nlh, (unsigned int)n) ||
		    nlh->nlmsg_type != nl->family ||
		    ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd !=
		    RS_NL_CMD_EXIT_EVENT)
			continue;
		memset(ev, 0, sizeof(*ev));
		p = genl_attrs(nlh, &len);
		for_each_nla(a, p, len, rem) {
			switch (NLA_TYPE(a)) {
			case RS_NL_A_VM_ID:
				ev->vm = nla_u32(a);
				break;
			case RS_NL_A_VCPU_ID:
				ev->vcpu = nla_u32(a);
				break;
			case RS_NL_A_EXIT_NAME:
				nla_str(a, ev->name, sizeof(ev->name));
				break;
			case RS_NL_A_EXIT_CODE:
				ev->code = nla_u64(a);
				break;
			case RS_NL_A_EXIT_RIP:
				ev->rip = nla_u64(a);
				break;
			case RS_NL_A_EXIT_INFO1:
				ev->info1 = nla_u64(a);
				break;
			case RS_NL_A_EXIT_INFO2:
				ev->info2 = nla_u64(a);
				break;
			case RS_NL_A_TIMESTAMP_NS:
				ev->timestamp_ns = nla_u64(a);
				break;
			}
		}
		return 1;
	}
}

uint32_t rs_vm_id(struct rs_vm *vm)
{
	return rs_vm_fd_id(vm->fd);
}

uint32_t rs_vm_fd_id(int vm_fd)
{
	char path[64], line[128];
	unsigned int id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", vm_fd);
	f = fopen(path, "r");
	RS_ASSERT(f, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ringside_vm_id: %u", &id) == 1)
			break;
	fclose(f);
	RS_ASSERT(id, "no ringside_vm_id in %s", path);
	return id;
}

static int param_path(const char *name, char *path, size_t size)
{
	return snprintf(path, size, "/sys/module/ringside/parameters/%s", name);
}

int rs_param_read(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	param_path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

int rs_param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd;

	param_path(name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}
