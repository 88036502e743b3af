// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a gdb stub, "run --gdb PORT" (issue 14, section 3).
 *
 * gdb's remote serial protocol (gdb manual, appendix "GDB Remote Serial
 * Protocol") over TCP on 127.0.0.1, one connection at a time, all-stop:
 * when gdb has the guest, every vCPU waits outside RS_RUN (vm_pause()).
 * Each vCPU is a thread, ids 1 to N.  What is here:
 *
 *   framing      $payload#cs, acknowledgments and QStartNoAckMode,
 *                run-length decoding of what comes in, '}' escapes of
 *                binary data (X, qXfer), Ctrl-C (0x03) while running
 *   queries      qSupported, qXfer:features:read:target.xml (gdbregs.c:
 *                i386 or i386:x86-64, chosen when gdb connects), qAttached,
 *                qfThreadInfo/qsThreadInfo, qC, qThreadExtraInfo, T, Hg/Hc
 *   registers    g/G, p/P: RS_GET_REGS, RS_GET_SREGS, RS_GET_FPU and their
 *                SETs, written through at once
 *   memory       m, M, X by guest virtual address, through the guest's page
 *                tables (gva.c); E14 where nothing is mapped; the stub's
 *                INT3s are hidden from reads and kept under writes
 *   running      c, C, s, S, vCont? and vCont;c/C/s/S, ?, k, vKill, D
 *   breakpoints  Z0/z0: INT3 (0xCC) in guest memory, found by its
 *                guest-physical address, and #BP routed to the launcher
 *                (RS_SET_EXIT_ROUTE, vector 3): gdbstub_routed_bp() stops
 *                for one of the stub's, and lets the guest have its own
 *   hardware     Z1/z1 (instruction) and Z2/Z3/Z4 (write, read, access
 *                watchpoints) in DR0-3 (RS_SET_GUEST_DEBUG's HW_BP), the
 *                same on every vCPU
 *
 * The module does what user space could not without the guest seeing it
 * (TF shows in PUSHF and in every interrupt frame; a guest that uses
 * DR0-3 itself would lose them): RS_SET_GUEST_DEBUG on a vCPU fd
 * (uapi/linux/ringside.h, Documentation/guest-debug.rst), which --gdb
 * needs (RS_CAP_GUEST_DEBUG, checked in gdbstub_start()).
 *
 * Single-step ('s', 'S', vCont's s and S): SINGLESTEP | BLOCK_IRQ on the
 * stepped vCPU, and only that vCPU runs (resume_one()), the others staying
 * paused as QEMU's stub keeps them: in all-stop gdb's "vCont;s:1;c" lets
 * the others run, but need not wait for them, and gdb steps over a
 * breakpoint with every breakpoint taken out, which another vCPU running
 * meanwhile would miss.  RS_RUN runs one instruction (or delivers one
 * event) and returns RS_EXIT_DEBUG with DR6.BS; no interrupt is injected
 * meanwhile, so that "stepi" does not land in the timer's handler.
 *
 * Hardware breakpoints: a Z1 takes one debug register (R/W 00, LEN 00); a
 * watchpoint takes as many as it needs for [ADDR, ADDR + LEN) in naturally
 * aligned pieces of 1, 2, 4 or 8 bytes (8 in long mode only: LEN 10b is
 * not defined outside it on AMD), an error reply when the four are taken.
 * x86 has no read-only watchpoint: Z3 watches reads and writes (R/W 11b),
 * as gdbserver does, and gdb tells a read from a write by the value.  A
 * hit returns RS_EXIT_DEBUG with its B0-B3 bit in DR6: an instruction
 * breakpoint stops before the instruction (the module sets RFLAGS.RF so
 * that the next RS_RUN runs it, SDM vol. 3A, 18.3.1.1), a watchpoint
 * after the access.  gdb hears SIGTRAP with "hwbreak:;" (if it said
 * hwbreak+) or "watch:ADDR;", "rwatch:ADDR;", "awatch:ADDR;" with the
 * address it gave.  gdb goes on from a breakpoint by taking it out,
 * stepping, and putting it back.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdbstub.h"
#include "gva.h"
#include "util.h"
#include "vm.h"

/* gdb's signal numbers (include/gdb/signals.def). */
#define GDB_SIGINT	2
#define GDB_SIGTRAP	5

#define INT3		0xcc
#define EFER_LMA	(1ULL << 10)
#define CR0_PE		1ULL

/* DR6 and DR7 (SDM vol. 3B, 18.2.3 and 18.2.4). */
#define DR6_BS		(1ULL << 14)
#define DR7_G(i)	(2ULL << (2 * (i)))
#define DR7_RW(i, rw)	((uint64_t)(rw) << (16 + 4 * (i)))
#define DR7_LEN(i, len)	((uint64_t)(len) << (18 + 4 * (i)))
#define DR_SLOTS	4

/* The types of gdb's Z and z packets. */
enum {
	Z_SW,		/* software breakpoint */
	Z_HW,		/* hardware breakpoint */
	Z_WRITE,	/* watchpoints */
	Z_READ,
	Z_ACCESS,
};

/* One of gdb's software breakpoints: INT3 at gpa, where addr mapped. */
struct gdb_bp {
	uint64_t addr;
	uint64_t gpa;
	uint8_t orig;		/* the guest's byte under the INT3 */
};

/*
 * A debug register the stub took for gdb's Z1-Z4 of @type at @addr, @len
 * (a watchpoint may take several): @size bytes at @dr.
 */
struct gdb_hw_slot {
	bool used;
	uint8_t type;
	uint64_t addr, len;
	uint64_t dr;
	unsigned int size;
};

enum gdb_stop_why {
	STOP_SIGNAL,		/* Ctrl-C, the end of a step */
	STOP_SWBREAK,		/* one of the stub's INT3s */
	STOP_HWBREAK,		/* a Z1 */
	STOP_WATCH,		/* a Z2-Z4 at watch_addr */
};

struct gdb_stop {
	unsigned int cpu;
	int sig;
	enum gdb_stop_why why;
	uint8_t watch_type;
	uint64_t watch_addr;
};

struct gdbstub {
	struct vm *vm;
	unsigned int nr_cpus;
	const struct gdb_target_ops *ops;
	void *target;
	enum gdb_layout prefer;		/* outside long mode */
	enum gdb_layout layout;		/* the connection's */

	int quit_fd;			/* eventfd: the run is over */
	int event_fd;			/* eventfd: a stop was asked for */
	int end_status, end_sig;	/* how the run ended, for "W"/"X" */

	/* With vCPU threads: under lock. */
	pthread_mutex_t lock;
	bool running;			/* resumed for gdb, no stop taken yet */
	bool stop_requested;		/* the first request since the resume */
	struct gdb_stop stop;		/* the last stop, as gdb heard it */
	struct gdb_bp *bps;
	unsigned int nr_bps, max_bps;
	struct gdb_hw_slot hw[DR_SLOTS];

	/* The connection: the stub's thread only. */
	int fd;
	bool no_ack;
	bool session_end;
	bool killed;
	bool quit;
	bool peer_swbreak;		/* gdb's qSupported said swbreak+ */
	bool peer_hwbreak;		/* and hwbreak+ */
	int step_cpu;			/* the vCPU being stepped, or -1 */
	int c_cpu;			/* Hc: what 's' steps; -1: g_cpu */
	unsigned int g_cpu;		/* Hg: registers and memory */
	struct gdb_rx rx;
	uint8_t in[4096];
	size_t in_pos, in_len;
	char reply[GDB_PACKET_SIZE + 1];
	uint8_t mem[GDB_PACKET_SIZE / 2];	/* m, M */
	char frame[GDB_PACKET_SIZE + 8];	/* the last sent, for '-' */
	size_t frame_len;
	struct gdb_cpu_state *cpus;	/* read while stopped */
	bool *have_cpu;
};

/* --- Sending ------------------------------------------------------- */

/* MSG_NOSIGNAL: a gdb that went away is a hang-up, not SIGPIPE. */
static void send_raw(struct gdbstub *g, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len && !g->session_end) {
		n = send(g->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g->session_end = true;
			return;
		}
		p += n;
		len -= n;
	}
}

static void send_packet(struct gdbstub *g, const char *data, size_t len)
{
	g->frame_len = gdb_frame(g->frame, sizeof(g->frame), data, len);
	send_raw(g, g->frame, g->frame_len);
}

static void reply_str(struct gdbstub *g, const char *s)
{
	send_packet(g, s, strlen(s));
}

static void reply_fmt(struct gdbstub *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply_fmt(struct gdbstub *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->reply, sizeof(g->reply), fmt, ap);
	va_end(ap);
	send_packet(g, g->reply, MIN((size_t)n, sizeof(g->reply) - 1));
}

/* gdb's errno-style errors: E14 is EFAULT, what it expects for memory. */
#define E_FAULT		"E14"
#define E_INVAL		"E16"
#define E_BADTHREAD	"E01"
#define E_IO		"E05"

/* A hex number at *@s, moving past it; -1 if there is none. */
static int parse_num(const char **s, uint64_t *v)
{
	const char *p = *s;
	int d, n = 0;

	*v = 0;
	while ((d = gdb_hexval(*p)) >= 0) {
		if (++n > 16)
			return -1;
		*v = *v << 4 | d;
		p++;
	}
	if (!n)
		return -1;
	*s = p;
	return 0;
}

/* "ADDR,LEN" and the character after it. */
static int parse_addr_len(const char **s, uint64_t *addr, uint64_t *len)
{
	if (parse_num(s, addr) < 0 || **s != ',')
		return -1;
	(*s)++;
	return parse_num(s, len);
}

/*
 * A thread id: -1 all, 0 any, else a vCPU's id + 1 ("pPID.TID" taken
 * too, though qSupported says multiprocess-).  Returns 0 and @tid.
 */
static int parse_tid(const char **s, int64_t *tid)
{
	uint64_t v;

	if (**s == 'p') {
		(*s)++;
		if (parse_num(s, &v) < 0 && **s != '-')
			return -1;
		if (**s != '.') {
			*tid = -1;
			return 0;
		}
		(*s)++;
	}
	if ((*s)[0] == '-' && (*s)[1] == '1') {
		*s += 2;
		*tid = -1;
		return 0;
	}
	if (parse_num(s, &v) < 0 || v > UINT32_MAX)
		return -1;
	*tid = v;
	return 0;
}

/* --- Stopping and going on ---------------------------------------- */

static void forget_state(struct gdbstub *g)
{
	memset(g->have_cpu, 0, g->nr_cpus * sizeof(*g->have_cpu));
}

static struct gdb_cpu_state *cpu_state(struct gdbstub *g, unsigned int cpu)
{
	if (cpu >= g->nr_cpus)
		return NULL;
	if (!g->have_cpu[cpu]) {
		memset(&g->cpus[cpu], 0, sizeof(g->cpus[cpu]));
		if (g->ops->get_state(g->target, cpu, &g->cpus[cpu]) < 0)
			return NULL;
		g->have_cpu[cpu] = true;
	}
	return &g->cpus[cpu];
}

/* Write what @dirty says changed; on failure read it all again. */
static int cpu_commit(struct gdbstub *g, unsigned int cpu, unsigned int dirty)
{
	struct gdb_cpu_state *s = &g->cpus[cpu];
	int r = 0;

	if ((dirty & GDB_DIRTY_REGS) &&
	    g->ops->set_regs(g->target, cpu, &s->regs) < 0)
		r = -1;
	if (!r && (dirty & GDB_DIRTY_SREGS) &&
	    g->ops->set_sregs(g->target, cpu, &s->sregs) < 0)
		r = -1;
	if (!r && (dirty & GDB_DIRTY_FPU) &&
	    g->ops->set_fpu(g->target, cpu, &s->fpu) < 0)
		r = -1;
	if (r)
		g->have_cpu[cpu] = false;
	return r;
}

static void request_stop(struct gdbstub *g, const struct gdb_stop *stop)
{
	const uint64_t one = 1;

	pthread_mutex_lock(&g->lock);
	if (g->running && !g->stop_requested) {
		g->stop_requested = true;
		g->stop = *stop;
		g->ops->pause(g->target);
		if (write(g->event_fd, &one, sizeof(one)) < 0)
			pr_perror("gdb: eventfd");
	}
	pthread_mutex_unlock(&g->lock);
}

void gdbstub_request_stop(struct gdbstub *g, unsigned int cpu, int sig,
			  bool swbreak)
{
	struct gdb_stop stop = {
		.cpu = cpu,
		.sig = sig,
		.why = swbreak ? STOP_SWBREAK : STOP_SIGNAL,
	};

	request_stop(g, &stop);
}

/*
 * Which of the stub's debug registers hit: a watchpoint's before a
 * breakpoint's, as gdb can only hear of one.
 */
int gdbstub_debug_exit(struct gdbstub *g, unsigned int cpu, uint64_t dr6)
{
	struct gdb_stop stop = { .cpu = cpu, .sig = GDB_SIGTRAP };
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < DR_SLOTS; i++) {
		const struct gdb_hw_slot *h = &g->hw[i];

		if (!(dr6 & (1ULL << i)) || !h->used)
			continue;
		if (h->type == Z_HW) {
			stop.why = STOP_HWBREAK;
			continue;
		}
		stop.why = STOP_WATCH;
		stop.watch_type = h->type;
		stop.watch_addr = h->addr;
		break;
	}
	pthread_mutex_unlock(&g->lock);
	if (stop.why == STOP_SIGNAL && !(dr6 & DR6_BS))
		return 0;
	request_stop(g, &stop);
	return 1;
}

/* Stop the VM for gdb, outside any request (connecting, leaving). */
static void pause_now(struct gdbstub *g)
{
	pthread_mutex_lock(&g->lock);
	g->running = false;
	g->stop_requested = true;
	pthread_mutex_unlock(&g->lock);
	g->ops->pause(g->target);
	g->ops->wait_paused(g->target);
	forget_state(g);
}

/* What RS_SET_GUEST_DEBUG gets: the hardware breakpoints, and a step. */
static void debug_regs(struct gdbstub *g, struct rs_guest_debug *d, bool step)
{
	/* R/W and LEN by type and size (SDM vol. 3B, 18.2.4). */
	static const uint8_t rw[] = {
		[Z_HW] = 0, [Z_WRITE] = 1, [Z_READ] = 3, [Z_ACCESS] = 3,
	};
	static const uint8_t len[] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
	unsigned int i;

	memset(d, 0, sizeof(*d));
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < DR_SLOTS; i++) {
		const struct gdb_hw_slot *h = &g->hw[i];

		if (!h->used)
			continue;
		d->dr[i] = h->dr;
		d->dr7 |= DR7_G(i) | DR7_RW(i, rw[h->type]) |
			  DR7_LEN(i, len[h->size]);
	}
	pthread_mutex_unlock(&g->lock);
	if (d->dr7)
		d->flags |= RS_GUEST_DEBUG_HW_BP;
	if (step)
		d->flags |= RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_BLOCK_IRQ;
}

static int set_debug(struct gdbstub *g, unsigned int cpu, bool step)
{
	struct rs_guest_debug d;

	debug_regs(g, &d, step);
	return g->ops->set_debug(g->target, cpu, &d);
}

/* The hardware breakpoints to every vCPU: -1 if one refused them. */
static int hw_apply(struct gdbstub *g)
{
	unsigned int cpu;
	int r = 0;

	for (cpu = 0; cpu < g->nr_cpus; cpu++)
		if (set_debug(g, cpu, false) < 0)
			r = -1;
	return r;
}

/*
 * Let every vCPU go on, or with @step_cpu >= 0 step that one alone: the
 * others wait, as QEMU's stub has them (top of the file).
 */
static int resume(struct gdbstub *g, int step_cpu)
{
	if (step_cpu >= 0 && set_debug(g, step_cpu, true) < 0)
		return -1;
	g->step_cpu = step_cpu;
	forget_state(g);
	pthread_mutex_lock(&g->lock);
	g->running = true;
	g->stop_requested = false;
	pthread_mutex_unlock(&g->lock);
	if (step_cpu >= 0)
		g->ops->resume_one(g->target, step_cpu);
	else
		g->ops->resume(g->target);
	return 0;
}

static void send_stop_reply(struct gdbstub *g)
{
	static const char *const watch[] = {
		[Z_WRITE] = "watch", [Z_READ] = "rwatch", [Z_ACCESS] = "awatch",
	};
	const struct gdb_stop *s = &g->stop;
	const char *why = "";

	if (s->why == STOP_WATCH) {
		reply_fmt(g, "T%02xthread:%x;%s:%" PRIx64 ";", s->sig,
			  s->cpu + 1, watch[s->watch_type], s->watch_addr);
		return;
	}
	/* Only to a gdb that asked: without, it would not know them. */
	if (s->why == STOP_SWBREAK && g->peer_swbreak)
		why = "swbreak:;";
	else if (s->why == STOP_HWBREAK && g->peer_hwbreak)
		why = "hwbreak:;";
	reply_fmt(g, "T%02xthread:%x;%s", s->sig, s->cpu + 1, why);
}

/* A stop request came (event_fd): wait for every vCPU, tell gdb. */
static void take_stop(struct gdbstub *g)
{
	uint64_t n;

	g->ops->wait_paused(g->target);
	if (read(g->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		pr_perror("gdb: eventfd");
	pthread_mutex_lock(&g->lock);
	g->running = false;
	pthread_mutex_unlock(&g->lock);
	/* Should this fail, the vCPU's next RS_RUN is a step again. */
	if (g->step_cpu >= 0 && set_debug(g, g->step_cpu, false) < 0)
		pr_err("gdb: vCPU %d stays in single-step", g->step_cpu);
	g->step_cpu = -1;
	forget_state(g);
	g->g_cpu = g->stop.cpu;
	send_stop_reply(g);
}

/* --- Memory -------------------------------------------------------- */

static int cpu_mmu(struct gdbstub *g, struct gva_mmu *mmu)
{
	struct gdb_cpu_state *s = cpu_state(g, g->g_cpu);

	if (!s)
		return -1;
	gva_mmu_from_sregs(mmu, &s->sregs);
	return 0;
}

/* The breakpoint at @addr, if it is still where it was put. */
static bool bp_in_place(struct gdbstub *g, const struct gva_mmu *mmu,
			const struct gdb_bp *bp)
{
	uint64_t gpa, size;

	return gva_translate(g->vm, mmu, bp->addr, &gpa, &size) == 0 &&
	       gpa == bp->gpa;
}

static void mem_read(struct gdbstub *g, const char *args)
{
	uint8_t *buf = g->mem;
	struct gva_mmu mmu;
	uint64_t addr, len;
	unsigned int i;
	size_t n;

	if (parse_addr_len(&args, &addr, &len) < 0 || *args) {
		reply_str(g, E_INVAL);
		return;
	}
	if (cpu_mmu(g, &mmu) < 0) {
		reply_str(g, E_IO);
		return;
	}
	len = MIN(len, sizeof(g->mem));
	n = gva_read(g->vm, &mmu, addr, buf, len);
	if (!n && len) {
		reply_str(g, E_FAULT);
		return;
	}
	/* gdb sees the guest's bytes, not the stub's INT3s. */
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->nr_bps; i++) {
		struct gdb_bp *bp = &g->bps[i];

		if (bp->addr - addr < n && bp_in_place(g, &mmu, bp))
			buf[bp->addr - addr] = bp->orig;
	}
	pthread_mutex_unlock(&g->lock);
	gdb_put_hex(g->reply, buf, n);
	send_packet(g, g->reply, 2 * n);
}

/* Write, keeping the stub's INT3s in place over what gdb wrote. */
static int mem_write(struct gdbstub *g, uint64_t addr, uint8_t *data,
		     size_t len)
{
	struct gva_mmu mmu;
	unsigned int i;
	int r;

	if (cpu_mmu(g, &mmu) < 0)
		return -1;
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->nr_bps; i++) {
		struct gdb_bp *bp = &g->bps[i];

		if (bp->addr - addr < len && bp_in_place(g, &mmu, bp)) {
			uint8_t b = data[bp->addr - addr];

			data[bp->addr - addr] = INT3;
			bp->orig = b;
		}
	}
	r = gva_write(g->vm, &mmu, addr, data, len);
	pthread_mutex_unlock(&g->lock);
	return r;
}

/* M addr,len:hex */
static void mem_write_hex(struct gdbstub *g, const char *args)
{
	uint8_t *buf = g->mem;
	uint64_t addr, len;

	if (parse_addr_len(&args, &addr, &len) < 0 || *args++ != ':' ||
	    len > sizeof(g->mem) || strlen(args) != 2 * len ||
	    gdb_get_hex(args, buf, len) < 0) {
		reply_str(g, E_INVAL);
		return;
	}
	reply_str(g, mem_write(g, addr, buf, len) < 0 ? E_FAULT : "OK");
}

/* X addr,len:binary -- the binary escaped, and maybe with NULs. */
static void mem_write_bin(struct gdbstub *g, char *pkt, size_t pkt_len)
{
	const char *args = pkt + 1;
	uint64_t addr, len;
	ssize_t n;
	char *data;

	if (parse_addr_len(&args, &addr, &len) < 0 || *args != ':') {
		reply_str(g, E_INVAL);
		return;
	}
	data = (char *)args + 1;
	n = gdb_unescape(data, pkt_len - (data - pkt));
	if (n < 0 || (uint64_t)n != len) {
		reply_str(g, E_INVAL);
		return;
	}
	/* "X addr,0:" is gdb asking whether X works. */
	if (!len) {
		reply_str(g, "OK");
		return;
	}
	reply_str(g, mem_write(g, addr, (uint8_t *)data, len) < 0 ?
		  E_FAULT : "OK");
}

/* --- Breakpoints --------------------------------------------------- */

static struct gdb_bp *bp_find(struct gdbstub *g, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < g->nr_bps; i++)
		if (g->bps[i].addr == addr)
			return &g->bps[i];
	return NULL;
}

/* Put the guest's byte back, unless something else wrote over the INT3. */
static void bp_restore(struct gdbstub *g, const struct gdb_bp *bp)
{
	uint8_t *p = vm_guest_ptr(g->vm, bp->gpa, 1);

	if (p && *p == INT3)
		*p = bp->orig;
}

static const char *bp_insert(struct gdbstub *g, uint64_t addr)
{
	struct gva_mmu mmu;
	uint64_t gpa, size;
	const char *r = "OK";
	uint8_t *p;

	if (cpu_mmu(g, &mmu) < 0)
		return E_IO;
	if (gva_translate(g->vm, &mmu, addr, &gpa, &size) < 0)
		return E_FAULT;
	p = vm_guest_ptr(g->vm, gpa, 1);
	if (!p)
		return E_FAULT;
	pthread_mutex_lock(&g->lock);
	if (bp_find(g, addr))
		goto out;
	if (g->nr_bps == g->max_bps) {
		unsigned int max = g->max_bps ? 2 * g->max_bps : 16;
		struct gdb_bp *bps = realloc(g->bps, max * sizeof(*bps));

		if (!bps) {
			r = "E12";	/* ENOMEM */
			goto out;
		}
		g->bps = bps;
		g->max_bps = max;
	}
	g->bps[g->nr_bps++] = (struct gdb_bp){ addr, gpa, *p };
	*p = INT3;
out:
	pthread_mutex_unlock(&g->lock);
	return r;
}

static const char *bp_remove(struct gdbstub *g, uint64_t addr)
{
	struct gdb_bp *bp;

	pthread_mutex_lock(&g->lock);
	bp = bp_find(g, addr);
	if (bp) {
		bp_restore(g, bp);
		*bp = g->bps[--g->nr_bps];
	}
	pthread_mutex_unlock(&g->lock);
	return bp ? "OK" : E_BADTHREAD;
}

static void bp_remove_all(struct gdbstub *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->nr_bps)
		bp_restore(g, &g->bps[--g->nr_bps]);
	pthread_mutex_unlock(&g->lock);
}

unsigned int gdbstub_nr_breakpoints(struct gdbstub *g)
{
	unsigned int n;

	pthread_mutex_lock(&g->lock);
	n = g->nr_bps;
	pthread_mutex_unlock(&g->lock);
	return n;
}

unsigned int gdbstub_nr_hw_slots(struct gdbstub *g)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < DR_SLOTS; i++)
		n += g->hw[i].used;
	pthread_mutex_unlock(&g->lock);
	return n;
}

/* The most a debug register watches at @addr, of @left bytes. */
static unsigned int hw_piece(uint64_t addr, uint64_t left, unsigned int max)
{
	unsigned int size;

	for (size = max; size > 1; size /= 2)
		if (size <= left && !(addr & (size - 1)))
			break;
	return size;
}

static bool hw_match(const struct gdb_hw_slot *h, unsigned int type,
		     uint64_t addr, uint64_t len)
{
	return h->used && h->type == type && h->addr == addr && h->len == len;
}

/* g->hw back to @old, on every vCPU again. */
static void hw_restore(struct gdbstub *g, const struct gdb_hw_slot *old)
{
	pthread_mutex_lock(&g->lock);
	memcpy(g->hw, old, sizeof(g->hw));
	pthread_mutex_unlock(&g->lock);
	hw_apply(g);
}

/*
 * Z1 at @addr (@len: gdb's kind, 1); Z2-Z4 over [@addr, @addr + @len), in
 * as many debug registers as that takes (top of the file).
 */
static const char *hw_insert(struct gdbstub *g, unsigned int type,
			     uint64_t addr, uint64_t len)
{
	struct gdb_hw_slot old[DR_SLOTS];
	struct gdb_cpu_state *s = cpu_state(g, g->g_cpu);
	uint64_t at = addr, end = addr + (type == Z_HW ? 1 : len);
	unsigned int i = 0, size, max;
	const char *r = "OK";

	if (!s)
		return E_IO;
	if (!len || end < addr)
		return E_INVAL;
	max = s->sregs.efer & EFER_LMA ? 8 : 4;
	pthread_mutex_lock(&g->lock);
	memcpy(old, g->hw, sizeof(old));
	for (i = 0; i < DR_SLOTS; i++)
		if (hw_match(&g->hw[i], type, addr, len))
			goto out;	/* gdb's again: it is there */
	for (i = 0; at < end; i++) {
		if (i == DR_SLOTS) {
			memcpy(g->hw, old, sizeof(old));
			r = "E28";	/* ENOSPC */
			goto out;
		}
		if (g->hw[i].used)
			continue;
		size = type == Z_HW ? 1 : hw_piece(at, end - at, max);
		g->hw[i] = (struct gdb_hw_slot){
			.used = true, .type = type, .addr = addr, .len = len,
			.dr = at, .size = size,
		};
		at += size;
	}
	pthread_mutex_unlock(&g->lock);
	/* A non-canonical address, say: the module says EINVAL. */
	if (hw_apply(g) < 0) {
		hw_restore(g, old);
		return E_INVAL;
	}
	return r;
out:
	pthread_mutex_unlock(&g->lock);
	return r;
}

static const char *hw_remove(struct gdbstub *g, unsigned int type,
			     uint64_t addr, uint64_t len)
{
	bool found = false;
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < DR_SLOTS; i++) {
		if (hw_match(&g->hw[i], type, addr, len)) {
			g->hw[i].used = false;
			found = true;
		}
	}
	pthread_mutex_unlock(&g->lock);
	if (!found)
		return E_BADTHREAD;
	return hw_apply(g) < 0 ? E_IO : "OK";
}

/* Take every hardware breakpoint out, and any step, from every vCPU. */
static void hw_remove_all(struct gdbstub *g)
{
	bool any = g->step_cpu >= 0;
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < DR_SLOTS; i++) {
		any |= g->hw[i].used;
		g->hw[i].used = false;
	}
	pthread_mutex_unlock(&g->lock);
	g->step_cpu = -1;
	if (any)
		hw_apply(g);
}

/* Z/z TYPE,ADDR,KIND: 0 software breakpoints, 1-4 debug registers. */
static void cmd_breakpoint(struct gdbstub *g, const char *pkt)
{
	const char *args = pkt + 1;
	uint64_t type, addr, kind;
	bool insert = pkt[0] == 'Z';

	if (parse_num(&args, &type) < 0 || *args++ != ',' ||
	    parse_addr_len(&args, &addr, &kind) < 0) {
		reply_str(g, E_INVAL);
		return;
	}
	if (type == Z_SW)
		reply_str(g, insert ? bp_insert(g, addr) : bp_remove(g, addr));
	else if (type <= Z_ACCESS)
		reply_str(g, insert ? hw_insert(g, type, addr, kind) :
			  hw_remove(g, type, addr, kind));
	else
		reply_str(g, "");
}

/*
 * Is there one of the stub's INT3s at @gpa: 1; -1 if there was one that
 * gdb removed since (the byte is not INT3 any more); 0 otherwise.
 */
int gdbstub_bp_at(struct gdbstub *g, uint64_t gpa)
{
	unsigned int i;
	uint8_t *p;
	int r = 0;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->nr_bps && !r; i++)
		r = g->bps[i].gpa == gpa;
	p = vm_guest_ptr(g->vm, gpa, 1);
	if (!r && p && *p != INT3)
		r = -1;
	pthread_mutex_unlock(&g->lock);
	return r;
}

/* --- Registers ----------------------------------------------------- */

static void cmd_read_regs(struct gdbstub *g)
{
	struct gdb_cpu_state *s = cpu_state(g, g->g_cpu);
	unsigned int i, size, o = 0;
	uint8_t buf[16];

	if (!s) {
		reply_str(g, E_IO);
		return;
	}
	for (i = 0; i < gdb_nr_regs(g->layout); i++) {
		size = gdb_reg_size(g->layout, i);
		if (gdb_reg_get(g->layout, s, i, buf))
			gdb_put_hex(g->reply + o, buf, size);
		else
			memset(g->reply + o, 'x', 2 * size);
		o += 2 * size;
	}
	send_packet(g, g->reply, o);
}

static void cmd_write_regs(struct gdbstub *g, const char *hex)
{
	struct gdb_cpu_state *s = cpu_state(g, g->g_cpu);
	unsigned int i, size, dirty = 0;
	size_t len = strlen(hex);
	uint8_t buf[16];

	if (!s) {
		reply_str(g, E_IO);
		return;
	}
	/* gdb may send fewer than all: the rest stay. */
	for (i = 0; i < gdb_nr_regs(g->layout); i++) {
		size = gdb_reg_size(g->layout, i);
		if (len < 2 * size)
			break;
		/* 'x': a register gdb does not have to give. */
		if (gdb_get_hex(hex, buf, size) == 0)
			dirty |= gdb_reg_set(g->layout, s, i, buf);
		hex += 2 * size;
		len -= 2 * size;
	}
	reply_str(g, cpu_commit(g, g->g_cpu, dirty) < 0 ? E_INVAL : "OK");
}

static void cmd_read_reg(struct gdbstub *g, const char *args)
{
	struct gdb_cpu_state *s = cpu_state(g, g->g_cpu);
	uint64_t n;
	unsigned int size;
	uint8_t buf[16];

	if (parse_num(&args, &n) < 0 || *args || n >= gdb_nr_regs(g->layout)) {
		reply_str(g, E_INVAL);
		return;
	}
	if (!s) {
		reply_str(g, E_IO);
		return;
	}
	size = gdb_reg_size(g->layout, n);
	if (gdb_reg_get(g->layout, s, n, buf))
		gdb_put_hex(g->reply, buf, size);
	else
		memset(g->reply, 'x', 2 * size);
	send_packet(g, g->reply, 2 * size);
}

static void cmd_write_reg(struct gdbstub *g, const char *args)
{
	struct gdb_cpu_state *s = cpu_state(g, g->g_cpu);
	unsigned int size, dirty;
	uint8_t buf[16];
	uint64_t n;

	if (parse_num(&args, &n) < 0 || *args++ != '=' ||
	    n >= gdb_nr_regs(g->layout)) {
		reply_str(g, E_INVAL);
		return;
	}
	size = gdb_reg_size(g->layout, n);
	if (strlen(args) != 2 * size || gdb_get_hex(args, buf, size) < 0) {
		reply_str(g, E_INVAL);
		return;
	}
	if (!s) {
		reply_str(g, E_IO);
		return;
	}
	dirty = gdb_reg_set(g->layout, s, n, buf);
	reply_str(g, !dirty || cpu_commit(g, g->g_cpu, dirty) < 0 ?
		  E_INVAL : "OK");
}

/* --- Threads ------------------------------------------------------- */

static bool tid_valid(struct gdbstub *g, int64_t tid)
{
	return tid >= 1 && tid <= g->nr_cpus;
}

/* Hg (registers, memory) and Hc (the thread 's' steps; 'c' runs all). */
static void cmd_set_thread(struct gdbstub *g, const char *pkt)
{
	const char *args = pkt + 2;
	int64_t tid;

	if ((pkt[1] != 'g' && pkt[1] != 'c') || parse_tid(&args, &tid) < 0 ||
	    *args || (tid > 0 && !tid_valid(g, tid))) {
		reply_str(g, E_BADTHREAD);
		return;
	}
	if (pkt[1] == 'g' && tid > 0)
		g->g_cpu = tid - 1;
	if (pkt[1] == 'c')
		g->c_cpu = tid > 0 ? tid - 1 : -1;
	reply_str(g, "OK");
}

static void cmd_thread_alive(struct gdbstub *g, const char *args)
{
	int64_t tid;

	reply_str(g, parse_tid(&args, &tid) == 0 && !*args &&
		  tid_valid(g, tid) ? "OK" : E_BADTHREAD);
}

static const char *cpu_mode(const struct rs_sregs *s)
{
	if (!(s->cr0 & CR0_PE))
		return "real mode";
	if (s->efer & EFER_LMA)
		return s->cs.attr & RS_SEG_L ? "64-bit mode" :
		       "compatibility mode";
	return "protected mode";
}

static void cmd_thread_info(struct gdbstub *g, const char *args)
{
	struct gdb_cpu_state *s;
	char text[64];
	int64_t tid;
	int n;

	if (parse_tid(&args, &tid) < 0 || *args || !tid_valid(g, tid)) {
		reply_str(g, E_BADTHREAD);
		return;
	}
	s = cpu_state(g, tid - 1);
	n = snprintf(text, sizeof(text), "vCPU %u, %s", (unsigned int)tid - 1,
		     s ? cpu_mode(&s->sregs) : "state unknown");
	gdb_put_hex(g->reply, (const uint8_t *)text, n);
	send_packet(g, g->reply, 2 * n);
}

static void cmd_thread_list(struct gdbstub *g)
{
	unsigned int i, o = 1;

	g->reply[0] = 'm';
	for (i = 0; i < g->nr_cpus; i++)
		o += snprintf(g->reply + o, sizeof(g->reply) - o, "%s%x",
			      i ? "," : "", i + 1);
	send_packet(g, g->reply, o);
}

/* --- Queries ------------------------------------------------------- */

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void cmd_xfer_features(struct gdbstub *g, const char *args)
{
	const char *xml = gdb_target_xml(g->layout);
	size_t size = strlen(xml), used, n;
	uint64_t off, len;

	if (strncmp(args, "target.xml:", 11)) {
		reply_str(g, "E00");
		return;
	}
	args += 11;
	if (parse_addr_len(&args, &off, &len) < 0 || *args) {
		reply_str(g, E_INVAL);
		return;
	}
	if (off >= size) {
		reply_str(g, "l");
		return;
	}
	len = MIN(len, size - off);
	n = gdb_escape(g->reply + 1, MIN(len, sizeof(g->reply) - 2),
		       xml + off, len, &used);
	g->reply[0] = off + used == size ? 'l' : 'm';
	send_packet(g, g->reply, n + 1);
}

static void cmd_query(struct gdbstub *g, const char *pkt)
{
	if (!strncmp(pkt, "qSupported", 10)) {
		g->peer_swbreak = strstr(pkt, "swbreak+") != NULL;
		g->peer_hwbreak = strstr(pkt, "hwbreak+") != NULL;
		reply_fmt(g, "PacketSize=%x;qXfer:features:read+;"
			  "QStartNoAckMode+;multiprocess-;swbreak+;hwbreak+;"
			  "vContSupported+", GDB_PACKET_SIZE);
	} else if (!strncmp(pkt, "qXfer:features:read:", 20)) {
		cmd_xfer_features(g, pkt + 20);
	} else if (!strcmp(pkt, "qfThreadInfo")) {
		cmd_thread_list(g);
	} else if (!strcmp(pkt, "qsThreadInfo")) {
		reply_str(g, "l");
	} else if (!strcmp(pkt, "qC")) {
		reply_fmt(g, "QC%x", g->g_cpu + 1);
	} else if (!strncmp(pkt, "qThreadExtraInfo,", 17)) {
		cmd_thread_info(g, pkt + 17);
	} else if (!strncmp(pkt, "qAttached", 9)) {
		/* To an existing VM: "quit" detaches rather than kills. */
		reply_str(g, "1");
	} else if (!strncmp(pkt, "qSymbol", 7)) {
		reply_str(g, "OK");
	} else {
		reply_str(g, "");
	}
}

/* --- Running ------------------------------------------------------- */

/* c/C [addr] and s/S [addr]: all go on, or Hc's thread steps alone. */
static void cmd_resume(struct gdbstub *g, const char *pkt)
{
	bool step = pkt[0] == 's' || pkt[0] == 'S';
	const char *args = pkt + 1;
	struct gdb_cpu_state *s;
	unsigned int cpu = g->c_cpu >= 0 ? (unsigned int)g->c_cpu : g->g_cpu;
	uint64_t v;

	/* C and S: a signal, which a machine has nowhere to deliver. */
	if ((pkt[0] == 'C' || pkt[0] == 'S') &&
	    (parse_num(&args, &v) < 0 || (*args && *args++ != ';'))) {
		reply_str(g, E_INVAL);
		return;
	}
	if (*args) {
		s = cpu_state(g, cpu);
		if (parse_num(&args, &v) < 0 || *args || !s) {
			reply_str(g, E_INVAL);
			return;
		}
		s->regs.rip = v;
		if (cpu_commit(g, cpu, GDB_DIRTY_REGS) < 0) {
			reply_str(g, E_INVAL);
			return;
		}
	}
	if (resume(g, step ? (int)cpu : -1) < 0)
		reply_str(g, E_IO);
}

/*
 * vCont;ACTION[:TID];...: c and C run every vCPU; s and S step the first
 * thread they name (no thread: Hg's), alone (top of the file).
 */
static void cmd_vcont(struct gdbstub *g, const char *args)
{
	int step_cpu = -1;
	int64_t tid;
	uint64_t sig;
	char action;

	while (*args == ';') {
		action = args[1];
		args += 2;
		if (action == 'C' || action == 'S') {
			if (parse_num(&args, &sig) < 0) {
				reply_str(g, E_INVAL);
				return;
			}
		} else if (action != 'c' && action != 's') {
			reply_str(g, "");	/* t, r: not in all-stop */
			return;
		}
		tid = -1;
		if (*args == ':') {
			args++;
			if (parse_tid(&args, &tid) < 0 ||
			    (tid > 0 && !tid_valid(g, tid))) {
				reply_str(g, E_BADTHREAD);
				return;
			}
		}
		/* The first action for a thread is its own. */
		if ((action == 's' || action == 'S') && step_cpu < 0)
			step_cpu = tid > 0 ? tid - 1 : (int)g->g_cpu;
	}
	if (*args) {
		reply_str(g, E_INVAL);
		return;
	}
	if (resume(g, step_cpu) < 0)
		reply_str(g, E_IO);
}

static void cmd_v(struct gdbstub *g, const char *pkt)
{
	if (!strcmp(pkt, "vCont?")) {
		reply_str(g, "vCont;c;C;s;S");
	} else if (!strncmp(pkt, "vCont;", 6)) {
		cmd_vcont(g, pkt + 5);
	} else if (!strncmp(pkt, "vKill", 5)) {
		reply_str(g, "OK");
		g->ops->kill(g->target);
		g->killed = g->session_end = true;
	} else {
		reply_str(g, "");	/* vMustReplyEmpty and the unknown */
	}
}

/* --- Dispatch ------------------------------------------------------ */

static void handle_packet(struct gdbstub *g, char *pkt, size_t len)
{
	switch (pkt[0]) {
	case '?':
		send_stop_reply(g);
		break;
	case 'g':
		cmd_read_regs(g);
		break;
	case 'G':
		cmd_write_regs(g, pkt + 1);
		break;
	case 'p':
		cmd_read_reg(g, pkt + 1);
		break;
	case 'P':
		cmd_write_reg(g, pkt + 1);
		break;
	case 'm':
		mem_read(g, pkt + 1);
		break;
	case 'M':
		mem_write_hex(g, pkt + 1);
		break;
	case 'X':
		mem_write_bin(g, pkt, len);
		break;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		cmd_resume(g, pkt);
		break;
	case 'H':
		cmd_set_thread(g, pkt);
		break;
	case 'T':
		cmd_thread_alive(g, pkt + 1);
		break;
	case 'Z':
	case 'z':
		cmd_breakpoint(g, pkt);
		break;
	case 'q':
		cmd_query(g, pkt);
		break;
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			reply_str(g, "OK");
			g->no_ack = true;
		} else {
			reply_str(g, "");
		}
		break;
	case 'v':
		cmd_v(g, pkt);
		break;
	case 'k':
		/* No reply: gdb does not wait for one. */
		g->ops->kill(g->target);
		g->killed = g->session_end = true;
		break;
	case 'D':
		reply_str(g, "OK");
		g->session_end = true;
		break;
	default:
		reply_str(g, "");
		break;
	}
}

/* --- The session --------------------------------------------------- */

enum wake { WAKE_INPUT, WAKE_STOP, WAKE_QUIT, WAKE_HUP };

/* Wait for bytes from gdb, a stop request (while running), or the end. */
static enum wake wait_event(struct gdbstub *g)
{
	struct pollfd p[3] = {
		{ .fd = g->fd, .events = POLLIN },
		{ .fd = g->quit_fd, .events = POLLIN },
		{ .fd = g->event_fd, .events = POLLIN },
	};
	ssize_t n;

	if (g->in_pos < g->in_len)
		return WAKE_INPUT;
	for (;;) {
		if (poll(p, g->running ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return WAKE_HUP;
		}
		if (p[1].revents)
			return WAKE_QUIT;
		if (g->running && p[2].revents)
			return WAKE_STOP;
		if (!p[0].revents)
			continue;
		n = read(g->fd, g->in, sizeof(g->in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return WAKE_HUP;
		g->in_pos = 0;
		g->in_len = n;
		return WAKE_INPUT;
	}
}

static void take_input(struct gdbstub *g)
{
	while (g->in_pos < g->in_len && !g->session_end) {
		switch (gdb_rx_byte(&g->rx, g->in[g->in_pos++])) {
		case GDB_RX_PACKET:
			if (!g->no_ack)
				send_raw(g, "+", 1);
			/* All-stop: gdb asks nothing while the guest runs. */
			if (g->running)
				reply_str(g, "E10");	/* EBUSY */
			else
				handle_packet(g, g->rx.buf, g->rx.len);
			break;
		case GDB_RX_BAD:
			if (!g->no_ack)
				send_raw(g, "-", 1);
			break;
		case GDB_RX_NACK:
			if (!g->no_ack && g->frame_len)
				send_raw(g, g->frame, g->frame_len);
			break;
		case GDB_RX_INTERRUPT:
			if (g->running)
				gdbstub_request_stop(g, g->stop.cpu,
						     GDB_SIGINT, false);
			break;
		case GDB_RX_ACK:
		case GDB_RX_NONE:
			break;
		}
	}
}

/*
 * x86-64 for a vCPU 0 in long mode (gdb cannot take a narrower layout
 * of it), else what the kernel's symbols want.  gdb takes the layout
 * once, when it connects.
 */
static enum gdb_layout pick_layout(struct gdbstub *g)
{
	struct gdb_cpu_state *s = cpu_state(g, 0);

	if (s && (s->sregs.efer & EFER_LMA))
		return GDB_LAYOUT_X86_64;
	return g->prefer;
}

/* gdb left: nothing of the stub stays in the guest, which goes on. */
static void leave(struct gdbstub *g)
{
	if (g->quit || g->killed) {
		bp_remove_all(g);
		return;
	}
	if (g->running)
		pause_now(g);
	hw_remove_all(g);
	bp_remove_all(g);
	forget_state(g);
	/* Nobody to tell of a stop: none is taken until gdb comes back. */
	pthread_mutex_lock(&g->lock);
	g->running = false;
	g->stop_requested = true;
	pthread_mutex_unlock(&g->lock);
	g->ops->resume(g->target);
}

void gdbstub_serve(struct gdbstub *g, int fd)
{
	g->fd = fd;
	g->no_ack = g->session_end = g->killed = false;
	g->in_pos = g->in_len = 0;
	g->frame_len = 0;
	g->peer_swbreak = g->peer_hwbreak = false;
	g->step_cpu = -1;
	gdb_rx_init(&g->rx);

	/* gdb finds the guest stopped, on vCPU 0. */
	pause_now(g);
	g->stop = (struct gdb_stop){ .cpu = 0, .sig = GDB_SIGTRAP };
	g->g_cpu = 0;
	g->c_cpu = -1;
	g->layout = pick_layout(g);

	while (!g->session_end) {
		switch (wait_event(g)) {
		case WAKE_INPUT:
			take_input(g);
			break;
		case WAKE_STOP:
			take_stop(g);
			break;
		case WAKE_QUIT:
			/* A gdb waiting for the guest hears how it ended. */
			if (g->running && g->end_sig)
				reply_fmt(g, "X%02x", g->end_sig & 0xff);
			else if (g->running)
				reply_fmt(g, "W%02x", g->end_status & 0xff);
			g->quit = g->session_end = true;
			break;
		case WAKE_HUP:
			g->session_end = true;
			break;
		}
	}
	leave(g);
}

void gdbstub_end(struct gdbstub *g, int status, int sig)
{
	const uint64_t one = 1;

	g->end_status = status;
	g->end_sig = sig;
	if (write(g->quit_fd, &one, sizeof(one)) < 0)
		pr_perror("gdb: eventfd");
}

int gdbstub_end_fd(struct gdbstub *g)
{
	return g->quit_fd;
}

struct gdbstub *gdbstub_create(struct vm *vm, unsigned int nr_cpus,
			       const struct gdb_target_ops *ops, void *target,
			       enum gdb_layout layout)
{
	struct gdbstub *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->vm = vm;
	g->nr_cpus = nr_cpus;
	g->ops = ops;
	g->target = target;
	g->prefer = layout;
	g->fd = -1;
	g->stop_requested = true;
	g->step_cpu = -1;
	g->c_cpu = -1;
	pthread_mutex_init(&g->lock, NULL);
	g->cpus = calloc(nr_cpus, sizeof(*g->cpus));
	g->have_cpu = calloc(nr_cpus, sizeof(*g->have_cpu));
	g->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!g->cpus || !g->have_cpu || g->quit_fd < 0 || g->event_fd < 0) {
		gdbstub_free(g);
		return NULL;
	}
	return g;
}

void gdbstub_free(struct gdbstub *g)
{
	if (!g)
		return;
	if (g->quit_fd >= 0)
		close(g->quit_fd);
	if (g->event_fd >= 0)
		close(g->event_fd);
	pthread_mutex_destroy(&g->lock);
	free(g->bps);
	free(g->cpus);
	free(g->have_cpu);
	free(g);
}

