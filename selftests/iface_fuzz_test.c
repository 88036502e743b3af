// SPDX-License-Identifier: GPL-2.0
/*
 * A syzkaller-style fuzzer of the ioctl interface.  Threads sharing a pool
 * of /dev/ringside, VM and vCPU fds call every ioctl of ringside.h, and
 * unknown ones, with random and boundary arguments, on fds of the right
 * kind or not; meanwhile they close, dup and fork those fds, mmap run pages
 * oddly, unmap, move, protect and madvise guest memory, move and delete
 * memory slots under running guests, signal RS_RUN, and a forked child
 * sends the netlink family good and bad requests.  Guests run real-mode
 * and 64-bit programs of port and string I/O, MMIO, HLT, CPUID, MSRs and
 * hypercalls, or random bytes, under random exit routes (RS_SET_EXIT_ROUTE)
 * whose exits get any answer.
 *
 * Each call must succeed or fail with an errno of its allowlist (calls[]:
 * what kmod/ returns, as Documentation/uapi.rst says), each RS_RUN end in
 * an RS_EXIT_* reason that makes sense, and the kernel log hold no
 * warning, BUG, lockdep, KASAN, UBSAN, kmemleak, RCU stall or hung task
 * report, and its taint not change.
 *
 * RS_SEED=n seeds it (a fixed default; RS_SEED=random draws one); each
 * thread has a generator of its own derived from it.  RS_FUZZ_SECONDS
 * bounds it (default 10), RS_FUZZ_THREADS sets the threads (default 4),
 * RS_FUZZ_CALLS the calls per thread (default on VMX, unless
 * RS_FUZZ_SECONDS is given: 150, as Bochs runs the guest clock slowly).
 * Where kmemleak is (debug kernels), no object of ringside's may be left
 * unreferenced at the end.  A failure prints the seed and each thread's
 * last 64 calls.  RS_FUZZ_REPLAY=1 runs thread 0's sequence alone and logs
 * every call, to replay and bisect a failure (with RS_FUZZ_CALLS); only
 * when signals land, and so what RS_RUN answers, varies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

#include "kselftest_harness.h"
#include "rs_fuzz.h"
#include "rs_nl.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define DEFAULT_SEED	0x5eed1f0cc0ffee01ULL
#define DEFAULT_SECONDS	10
#define VMX_CALLS	150		/* per thread, by default on VMX */
#define MAX_THREADS	16
#define RING		64		/* calls remembered per thread */
#define NOBJ		64		/* fds in the pool */
#define NCHUNK		32		/* pieces of guest memory */
#define PG		4096ULL
/*
 * Guest memory lives in 2 MiB units of an arena at 16 TiB, run pages in
 * slots at 8 TiB, far below where mmap(NULL) puts anything (top-down from
 * near 128 TiB): a hole made there is never reused by the C library, so
 * a memory slot left pointing into one reaches only the arena.  Slots
 * start at 16 TiB or below 2 MiB, so no guest can reach a run page.
 */
#define UNIT		(2ULL << 20)
#define NUNIT		128
#define ARENA		((char *)(16ULL << 40))
#define ARENA_SIZE	(NUNIT * UNIT)
#define RUNS		((char *)(8ULL << 40))
#define RUN_SLOT	(4 * PG)
#define NRUN		128
#define RM_GPA		0xffff0000ULL	/* real mode: 64 KiB ending at the reset vector */
#define LM_CODE		0x10000ULL	/* 64-bit mode: page tables at 0x1000, code here */
#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

typedef unsigned __int128 errs_t;	/* a set of errnos, all below 128 */
#define E(e)		((errs_t)1 << (e))

enum { K_FREE, K_DEV, K_VM, K_VCPU, K_ANY };
static const char * const kind_name[] = { "free", "dev", "VM", "vCPU", "any" };

enum {
	C_API, C_CAP, C_CREATE_VM, C_SET_MEM, C_CREATE_VCPU, C_IOEVENTFD,
	C_CREATE_LAPIC, C_SIGNAL_MSI, C_IRQFD, C_SET_ROUTE_VM, C_RUN, C_GET_REGS,
	C_SET_REGS, C_GET_SREGS, C_SET_SREGS, C_GET_MSRS, C_SET_MSRS, C_GET_FPU,
	C_SET_FPU, C_SET_CPUID, C_GET_CPUID, C_GET_LAPIC, C_SET_LAPIC, C_SET_ROUTE,
	C_GET_ROUTE, C_INJECT, C_GUEST_DEBUG,
	C_UNKNOWN, C_MMAP,
	C_OPEN, C_CLOSE, C_DUP, C_FORK, C_MUNMAP, C_MREMAP, C_MADVISE,
	C_MPROTECT, C_MMAP_MEM, C_TRUNCATE, C_RLIMIT, C_NR
};

#define VCPU_E		(E(EFAULT) | E(EINVAL))
/* RS_SET_EXIT_ROUTE, on a VM fd or a vCPU fd: both are the right kind. */
#define ROUTE_E		(E(EFAULT) | E(EINVAL) | E(EPERM) | E(EOPNOTSUPP) | E(ENOMEM))
#define ANY_E		(~(errs_t)0)	/* the fuzzer's own memory: the kernel's call */

/* Each call, the kind of fd it is for, and what it may fail with. */
static const struct call {
	const char *name;
	unsigned long cmd;
	int kind;
	errs_t errs;
} calls[C_NR] = {
	[C_API] = { "RS_GET_API_VERSION", RS_GET_API_VERSION, K_DEV, E(EINVAL) },
	[C_CAP] = { "RS_CHECK_CAPABILITY", RS_CHECK_CAPABILITY, K_DEV, E(EINVAL) },
	/* EINTR: mmu_notifier_register() with a signal pending */
	[C_CREATE_VM] = { "RS_CREATE_VM", RS_CREATE_VM, K_DEV,
			  E(EINVAL) | E(ENOMEM) | E(EBUSY) | E(EINTR) | E(EMFILE) },
	[C_SET_MEM] = { "RS_SET_MEMORY_REGION", RS_SET_MEMORY_REGION, K_VM,
			E(EINVAL) | E(EEXIST) | E(EFAULT) },
	[C_CREATE_VCPU] = { "RS_CREATE_VCPU", RS_CREATE_VCPU, K_VM,
			    E(EINVAL) | E(EEXIST) | E(ENOMEM) | E(E2BIG) | E(EMFILE) },
	[C_IOEVENTFD] = { "RS_IOEVENTFD", RS_IOEVENTFD, K_VM,
			  E(EINVAL) | E(EBADF) | E(EEXIST) | E(ENOENT) | E(ENOSPC) |
			  E(EFAULT) | E(ENOMEM) },
	[C_CREATE_LAPIC] = { "RS_CREATE_LAPIC", RS_CREATE_LAPIC, K_VM,
			     E(EINVAL) | E(EEXIST) | E(EBUSY) },
	[C_SIGNAL_MSI] = { "RS_SIGNAL_MSI", RS_SIGNAL_MSI, K_VM,
			   E(EINVAL) | E(ENXIO) | E(EFAULT) },
	[C_IRQFD] = { "RS_IRQFD", RS_IRQFD, K_VM,
		      E(EINVAL) | E(ENXIO) | E(EBADF) | E(EEXIST) | E(ENOENT) |
		      E(ENOSPC) | E(EFAULT) | E(ENOMEM) },
	[C_SET_ROUTE_VM] = { "RS_SET_EXIT_ROUTE(VM)", RS_SET_EXIT_ROUTE, K_VM, ROUTE_E },
	[C_RUN] = { "RS_RUN", RS_RUN, K_VCPU, E(EINTR) | E(EFAULT) | E(EINVAL) | E(ENOMEM) },
	[C_GET_REGS] = { "RS_GET_REGS", RS_GET_REGS, K_VCPU, E(EFAULT) },
	[C_SET_REGS] = { "RS_SET_REGS", RS_SET_REGS, K_VCPU, VCPU_E },
	[C_GET_SREGS] = { "RS_GET_SREGS", RS_GET_SREGS, K_VCPU, E(EFAULT) },
	[C_SET_SREGS] = { "RS_SET_SREGS", RS_SET_SREGS, K_VCPU, VCPU_E },
	[C_GET_MSRS] = { "RS_GET_MSRS", RS_GET_MSRS, K_VCPU, VCPU_E | E(E2BIG) | E(ENOMEM) },
	[C_SET_MSRS] = { "RS_SET_MSRS", RS_SET_MSRS, K_VCPU, VCPU_E | E(E2BIG) | E(ENOMEM) },
	[C_GET_FPU] = { "RS_GET_FPU", RS_GET_FPU, K_VCPU, E(EFAULT) | E(ENOMEM) },
	[C_SET_FPU] = { "RS_SET_FPU", RS_SET_FPU, K_VCPU, VCPU_E | E(ENOMEM) },
	[C_SET_CPUID] = { "RS_SET_CPUID", RS_SET_CPUID, K_VCPU, VCPU_E | E(E2BIG) | E(ENOMEM) },
	[C_GET_CPUID] = { "RS_GET_CPUID", RS_GET_CPUID, K_VCPU, VCPU_E | E(E2BIG) },
	[C_GET_LAPIC] = { "RS_GET_LAPIC", RS_GET_LAPIC, K_VCPU,
			  E(ENXIO) | E(EFAULT) | E(ENOMEM) },
	[C_SET_LAPIC] = { "RS_SET_LAPIC", RS_SET_LAPIC, K_VCPU,
			  VCPU_E | E(ENXIO) | E(ENOMEM) },
	[C_SET_ROUTE] = { "RS_SET_EXIT_ROUTE", RS_SET_EXIT_ROUTE, K_VCPU, ROUTE_E },
	[C_GET_ROUTE] = { "RS_GET_EXIT_ROUTE", RS_GET_EXIT_ROUTE, K_VCPU, E(EFAULT) },
	[C_INJECT] = { "RS_INJECT_EVENT", RS_INJECT_EVENT, K_VCPU, VCPU_E | E(EBUSY) },
	[C_GUEST_DEBUG] = { "RS_SET_GUEST_DEBUG", RS_SET_GUEST_DEBUG, K_VCPU, VCPU_E },
	[C_UNKNOWN] = { "ioctl(unknown)", 0, K_ANY, E(ENOTTY) },
	[C_MMAP] = { "mmap(fd)", 0, K_ANY, E(EINVAL) | E(ENODEV) | E(EPERM) | E(EOVERFLOW) },
	[C_OPEN] = { "open(/dev/ringside)", 0, K_FREE, E(EMFILE) },
	[C_CLOSE] = { "close", 0, K_FREE, 0 },
	[C_DUP] = { "dup", 0, K_ANY, E(EMFILE) },
	[C_FORK] = { "fork", 0, K_FREE, E(EAGAIN) | E(ENOMEM) },
	[C_MUNMAP] = { "munmap", 0, K_FREE, ANY_E },
	[C_MREMAP] = { "mremap", 0, K_FREE, ANY_E },
	[C_MADVISE] = { "madvise", 0, K_FREE, ANY_E },
	[C_MPROTECT] = { "mprotect", 0, K_FREE, ANY_E },
	[C_MMAP_MEM] = { "mmap(guest memory)", 0, K_FREE, ANY_E },
	[C_TRUNCATE] = { "ftruncate/fallocate", 0, K_FREE, ANY_E },
	[C_RLIMIT] = { "setrlimit(NOFILE)", 0, K_FREE, ANY_E },
};

struct obj {
	int kind, fd, refs;	/* refs: the pool's and each borrower's */
	bool open;
	bool dup2ed;		/* closed while borrowed: fd is /dev/null's now */
	unsigned int gen;	/* bumped when the fd is closed */
	unsigned int vid;	/* vCPU: the same for dups of one fd */
	struct rs_run *run;	/* vCPU: its run page */
	int run_slot;
	uint64_t slot_gpa[32], slot_size[32], slot_hva[32];	/* VM: as last set */
};

struct ent {
	unsigned long n;
	int c;
	unsigned long long a[4];
	long ret;		/* LONG_MIN while the call runs */
	int err;
};

struct thr {
	int idx;
	pthread_t tid;
	uint64_t seed;
	unsigned long n, count[C_NR], ok[C_NR];
	unsigned long runs, run_exits, eintr, exits[16], unhandled, forks, alone;
	struct ent ring[RING];
	volatile bool done;
	char *buf;		/* 64 KiB of arguments */
	char *edge;		/* a page, then an inaccessible one */
	char *ro;		/* two read-only pages, then an inaccessible one */
	int efd;		/* an eventfd for RS_IOEVENTFD */
	struct rs_sregs reset_sregs;
	bool have_reset;
};

/* In memory shared with the netlink child. */
struct nl_shared {
	volatile int stop, failed;
	unsigned long requests, msgs, events, exits;
	char msg[512];
};

static struct {
	pthread_mutex_t lock;	/* the pool, chunks, units and run slots */
	struct obj obj[NOBJ];
	struct { bool used; int unit, memfd; uint64_t size; } chunk[NCHUNK];
	bool unit_used[NUNIT], run_used[NRUN];
	unsigned int next_vid;
	int null_fd, nthreads, failures;
	uint64_t seed;
	unsigned long max_calls;
	bool replay, svm;
	sigset_t sigs;		/* SIGUSR1, SIGALRM */
	volatile bool stop;
	char fail_msg[1024];
	struct thr *thr;
	struct nl_shared *nl;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * Per vCPU (vid % 1024), to know when an RS_RUN ran alone, so that what
 * its run page says is its own.  One call at a time may own the vCPU; the
 * others count themselves under way (active), then as begun (entries),
 * before their ioctl.  The owner reads entries, then active, once it owns
 * it, and entries again when it has read the run page: another call that
 * ran meanwhile shows in one of the three.  Two counters bumped in that
 * order, and read in the other, leave no gap; a single sequence number,
 * as before, did (a call that bumped it first but entered its ioctl last
 * went unseen).
 */
static struct run_track {
	int owner;
	unsigned int active, entries;
	int routed;		/* its last RS_RUN returned RS_EXIT_ROUTED */
} runs[1024];

static uint64_t rnd_n(uint64_t n)
{
	return rs_rnd() % n;
}

static bool one_in(unsigned int n)
{
	return !rnd_n(n);
}

static void print_ent(int idx, const struct ent *e)
{
	fprintf(stderr, "#   t%d %6lu %s(%#llx, %#llx, %#llx, %#llx) = ", idx, e->n,
		calls[e->c].name, e->a[0], e->a[1], e->a[2], e->a[3]);
	if (e->ret == LONG_MIN)
		fprintf(stderr, "(running)\n");
	else if (e->ret < 0)
		fprintf(stderr, "-1 %s\n", strerrorname_np(e->err) ?: "?");
	else
		fprintf(stderr, "%#lx\n", e->ret);
}

static void print_rings(void)
{
	unsigned long n;
	int i;

	for (i = 0; i < g.nthreads; i++) {
		struct thr *t = &g.thr[i];

		fprintf(stderr, "# thread %d, its last calls of %lu:\n", i, t->n);
		for (n = t->n > RING ? t->n - RING : 0; n < t->n; n++)
			print_ent(i, &t->ring[n % RING]);
	}
}

static void __attribute__((format(printf, 2, 3))) fail(struct thr *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (__atomic_fetch_add(&g.failures, 1, __ATOMIC_SEQ_CST) == 0) {
		n = snprintf(g.fail_msg, sizeof(g.fail_msg), "thread %d, call %lu: ",
			     t->idx, t->n - 1);
		va_start(ap, fmt);
		vsnprintf(g.fail_msg + n, sizeof(g.fail_msg) - n, fmt, ap);
		va_end(ap);
	}
	g.stop = true;
}

static struct ent *log_begin(struct thr *t, int c, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct ent *e = &t->ring[t->n % RING];

	*e = (struct ent){ .n = t->n++, .c = c, .a = { a0, a1, a2 }, .ret = LONG_MIN };
	t->count[c]++;
	return e;
}

/*
 * A result against the call's allowlist.  A fd of the wrong kind answers
 * ENOTTY; so does one closed meanwhile, which is /dev/null's by then.
 */
static void check(struct thr *t, struct ent *e, long r, int err, struct obj *o, unsigned int gen)
{
	const struct call *c = &calls[e->c];
	errs_t ok = c->errs;

	e->err = r < 0 ? err : 0;
	e->ret = r;
	if (g.replay)
		print_ent(t->idx, e);
	if (r >= 0) {
		t->ok[e->c]++;
		if (e->c == C_UNKNOWN)
			fail(t, "ioctl %#llx on a %s fd succeeded", e->a[1], kind_name[o->kind]);
		return;
	}
	if (o && c->kind != K_ANY && c->kind != K_FREE && o->kind != c->kind &&
	    !(c->cmd == RS_SET_EXIT_ROUTE && (o->kind == K_VM || o->kind == K_VCPU)))
		ok = E(ENOTTY);
	if (o && READ_ONCE(o->gen) != gen)
		ok |= E(ENOTTY);
	if (err >= 128 || !(ok & E(err)))
		fail(t, "%s on a %s fd (%d) failed with %s, not in its allowlist", c->name,
		     o ? kind_name[o->kind] : "-", o ? o->fd : -1, strerrorname_np(err) ?: "?");
}

/* Log a call, make it (errno right after), check it, evaluate to its result. */
#define CALL(t, c, o, gen, a0, a1, a2, call) ({				\
	struct ent *__e = log_begin(t, c, a0, a1, a2);			\
	long __r = (long)(call);					\
									\
	check(t, __e, __r, errno, o, gen);				\
	__r;								\
})

#define IOCTL(t, c, o, gen, arg) \
	CALL(t, c, o, gen, (o)->fd, calls[c].cmd, (uint64_t)(arg), \
	     ioctl((o)->fd, calls[c].cmd, (uint64_t)(arg)))

/* Whether @o is still the fd of the kind @c is for. */
static bool sure(struct obj *o, unsigned int gen, int c)
{
	return o->kind == calls[c].kind && READ_ONCE(o->gen) == gen;
}

/* The pool, chunks, units and run slots: all with g.lock held. */
static int take(bool *used, int n)
{
	int i, k = rnd_n(n);

	for (i = 0; i < n; i++, k = (k + 1) % n) {
		if (!used[k]) {
			used[k] = true;
			return k;
		}
	}
	return -1;
}

static void reserve(void *p, uint64_t size)
{
	mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

static void unit_free(int u)
{
	reserve(ARENA + u * UNIT, UNIT);
	g.unit_used[u] = false;
}

static void run_free(int i)
{
	reserve(RUNS + i * RUN_SLOT, RUN_SLOT);
	g.run_used[i] = false;
}

/* A new fd in the pool, with a reference for the caller; NULL if full. */
static struct obj *obj_add(int kind, int fd, unsigned int vid)
{
	int i, n = 0;

	for (i = 0; i < NOBJ; i++)
		n += g.obj[i].open && g.obj[i].kind == kind;
	if (n >= (kind == K_VM ? 8 : kind == K_VCPU ? 16 : 4))
		return NULL;
	for (i = 0; i < NOBJ; i++) {
		struct obj *o = &g.obj[i];

		if (o->kind == K_FREE) {
			*o = (struct obj){ .kind = kind, .fd = fd, .open = true,
					   .gen = o->gen, .refs = 2, .vid = vid };
			return o;
		}
	}
	return NULL;
}

static void obj_put_locked(struct obj *o)
{
	if (--o->refs)
		return;
	if (o->open || o->dup2ed)
		close(o->fd);
	if (o->run)
		run_free(o->run_slot);
	o->run = NULL;
	o->kind = K_FREE;
}

static void obj_put(struct obj *o)
{
	pthread_mutex_lock(&g.lock);
	obj_put_locked(o);
	pthread_mutex_unlock(&g.lock);
}

/* An open fd of @kind (now and then of any kind), with a reference. */
static struct obj *borrow(int kind, unsigned int *gen)
{
	uint64_t r = rs_rnd();
	struct obj *o = NULL;
	int idx[NOBJ], n = 0, i;

	if (!(r % 16))
		kind = K_ANY;
	pthread_mutex_lock(&g.lock);
	for (i = 0; i < NOBJ; i++)
		if (g.obj[i].open && (kind == K_ANY || g.obj[i].kind == kind))
			idx[n++] = i;
	if (n) {
		o = &g.obj[idx[(r >> 8) % n]];
		o->refs++;
		*gen = o->gen;
	}
	pthread_mutex_unlock(&g.lock);
	return o;
}

/* With g.lock held: a new vCPU fd's run page. */
static void map_run(struct thr *t, struct obj *o)
{
	int i = take(g.run_used, NRUN);
	void *p;

	if (i < 0)
		return;
	p = mmap(RUNS + i * RUN_SLOT, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, o->fd, 0);
	if (p == MAP_FAILED) {
		fail(t, "mmap of a new vCPU fd's run page: %s", strerrorname_np(errno));
		run_free(i);
		return;
	}
	o->run = p;
	o->run_slot = i;
}

/*
 * Guest code.  Real mode starts at the reset vector (CS base 0xffff0000,
 * IP 0xfff0), which jumps to IP 0; 64-bit mode at LM_CODE, with 0-4 GiB
 * identity-mapped by 2 MiB pages.  Where no slot is, accesses are MMIO.
 */
struct snip {
	uint8_t len, b[17];
};

static const struct snip rm_snips[] = {
	{ 4, { 0xba, 0xf8, 0x03, 0xee } },		/* mov dx, 0x3f8; out dx, al */
	{ 1, { 0xec } },				/* in al, dx */
	{ 1, { 0xf4 } },				/* hlt */
	{ 4, { 0x8b, 0x06, 0x00, 0x10 } },		/* mov ax, [0x1000] */
	{ 4, { 0x89, 0x06, 0x00, 0x20 } },		/* mov [0x2000], ax */
	{ 2, { 0x0f, 0xa2 } },				/* cpuid */
	{ 2, { 0x0f, 0x32 } },				/* rdmsr */
	{ 3, { 0x0f, 0x01, 0xd9 } },			/* vmmcall */
	{ 3, { 0x0f, 0x01, 0xc1 } },			/* vmcall */
	{ 2, { 0xfb, 0xf4 } },				/* sti; hlt */
	{ 5, { 0xb9, 0x04, 0x00, 0xf3, 0x6e } },	/* mov cx, 4; rep outsb */
	{ 5, { 0xb9, 0x03, 0x00, 0xf3, 0x6c } },	/* mov cx, 3; rep insb */
	{ 6, { 0x0f, 0x20, 0xc0, 0x0f, 0x22, 0xc0 } },	/* mov eax, cr0; mov cr0, eax */
	{ 2, { 0x0f, 0x09 } },				/* wbinvd */
	{ 1, { 0xcc } },				/* int3 */
};

static const struct snip lm_snips[] = {
	{ 5, { 0x66, 0xba, 0xf8, 0x03, 0xee } },	/* mov dx, 0x3f8; out dx, al */
	{ 1, { 0xec } },				/* in al, dx */
	{ 1, { 0xf4 } },				/* hlt */
	{ 12, { 0x48, 0xb8, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0x8b, 0x00 } },	/* mov eax, [0xc0000000] */
	{ 12, { 0x48, 0xb8, 0, 0x10, 0, 0xc0, 0, 0, 0, 0, 0x89, 0x00 } }, /* mov [0xc0001000], eax */
	{ 12, { 0x48, 0xb8, 0, 0, 0x20, 0, 0, 0, 0, 0, 0x88, 0x00 } },	/* mov [0x200000], al */
	{ 2, { 0x0f, 0xa2 } },				/* cpuid */
	{ 2, { 0x0f, 0x32 } },				/* rdmsr */
	{ 3, { 0x0f, 0x01, 0xd9 } },			/* vmmcall */
	{ 3, { 0x0f, 0x01, 0xc1 } },			/* vmcall */
	{ 2, { 0xfb, 0xf4 } },				/* sti; hlt */
	/* mov rcx, 5; mov rsi, 0x10000; rep outsb */
	{ 16, { 0x48, 0xc7, 0xc1, 5, 0, 0, 0, 0x48, 0xc7, 0xc6, 0, 0, 1, 0, 0xf3, 0x6e } },
	/* mov rcx, 3; mov rdi, 0x100000; rep insb */
	{ 16, { 0x48, 0xc7, 0xc1, 3, 0, 0, 0, 0x48, 0xc7, 0xc7, 0, 0, 0x10, 0, 0xf3, 0x6c } },
	{ 6, { 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8 } },	/* mov rax, cr3; mov cr3, rax */
	{ 2, { 0x0f, 0x31 } },				/* rdtsc */
};

enum { G_RM, G_LM, G_RANDOM };

/* Random snippets, then a jump back to the first; or jmp $, which only a signal stops. */
static void gen_prog(uint8_t *p, bool rm)
{
	unsigned int k = 2 + rnd_n(10);
	size_t len = 0;
	int32_t rel;

	if (one_in(16)) {
		memcpy(p, "\xeb\xfe", 2);
		return;
	}
	while (k--) {
		const struct snip *s = rm ? &rm_snips[rnd_n(ARRAY_LEN(rm_snips))] :
				       &lm_snips[rnd_n(ARRAY_LEN(lm_snips))];

		memcpy(p + len, s->b, s->len);
		len += s->len;
	}
	p[len] = 0xe9;					/* jmp rel16 or rel32 */
	rel = -(int32_t)(len + (rm ? 3 : 5));
	memcpy(p + len + 1, &rel, rm ? 2 : 4);
}

static void plant(int kind, uint8_t *p, uint64_t size)
{
	uint64_t i, *pt = (uint64_t *)p;

	if (size < (kind == G_RM ? 0x10000 : 2 * LM_CODE))
		kind = G_RANDOM;
	switch (kind) {
	case G_RM:
		gen_prog(p, true);
		memcpy(p + 0xfff0, "\xe9\x0d\x00", 3);		/* jmp 0 */
		break;
	case G_LM:
		pt[0x1000 / 8] = 0x2000 | 3;
		for (i = 0; i < 4; i++)
			pt[0x2000 / 8 + i] = (0x3000 + i * PG) | 3;
		for (i = 0; i < 2048; i++)
			pt[0x3000 / 8 + i] = (i << 21) | 0x83;
		gen_prog(p + LM_CODE, false);
		break;
	default:
		for (i = 0; i < size && i < 0x10000; i += 8)
			pt[i / 8] = rs_rnd();
		if (size >= 2 * LM_CODE && one_in(2))
			gen_prog(p + LM_CODE, one_in(2));
	}
}

/*
 * Fresh guest memory in the arena, holding a program; NULL if none is
 * free.  Anonymous memory, private or shared, or a memfd's pages.
 */
static void *new_chunk(struct thr *t, int kind, uint64_t size)
{
	int flags = (one_in(4) ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED;
	int i, c = -1, u, fd = -1;
	long p = -1;

	if (one_in(6)) {
		fd = memfd_create("guest", MFD_CLOEXEC);
		if (fd >= 0 && !ftruncate(fd, size))
			flags = MAP_SHARED | MAP_FIXED;
	}

	pthread_mutex_lock(&g.lock);
	for (i = 0; i < NCHUNK && c < 0; i++)
		if (!g.chunk[i].used)
			c = i;
	u = c < 0 ? -1 : take(g.unit_used, NUNIT);
	if (u >= 0) {
		p = CALL(t, C_MMAP_MEM, NULL, 0, (uint64_t)ARENA + u * UNIT, size, flags,
			 mmap(ARENA + u * UNIT, size, PROT_READ | PROT_WRITE, flags,
			      flags & MAP_ANONYMOUS ? -1 : fd, 0));
		if (p < 0) {
			unit_free(u);
		} else {
			plant(kind, (uint8_t *)p, size);
			g.chunk[c].used = true;
			g.chunk[c].unit = u;
			g.chunk[c].size = size;
			g.chunk[c].memfd = flags & MAP_ANONYMOUS ? -1 : fd;
		}
	}
	pthread_mutex_unlock(&g.lock);
	if (fd >= 0 && (p < 0 || flags & MAP_ANONYMOUS))
		close(fd);
	return p < 0 ? NULL : (void *)p;
}

/* A user pointer for an ioctl: mostly @good, else a bad one. */
static uint64_t pick_ptr(struct thr *t, void *good, size_t size)
{
	switch (rnd_n(24)) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ULL;			/* the kernel's */
	case 2:
		return 0x0000800000000000ULL;			/* non-canonical */
	case 3:
		return (uint64_t)t->edge + PG - size / 2;	/* runs into no access */
	case 4:
		return (uint64_t)t->ro;				/* read-only */
	case 5:
		return (uint64_t)ARENA + (rnd_n(ARENA_SIZE) & ~7ULL);	/* guest memory, a hole */
	case 6:
		return (uint64_t)good + 1;			/* misaligned */
	}
	return (uint64_t)good;
}

static uint64_t pick_gpa(uint64_t size)
{
	static const uint64_t gpa[] = {
		0, 0x1000, 0xa0000, 0x100000, 0x200000, 0xc0000000, RM_GPA, 1ULL << 32,
	};

	if (one_in(8))
		return (1ULL << 48) - size;
	return one_in(8) ? rs_rnd() & 0xfffff000ULL : gpa[rnd_n(ARRAY_LEN(gpa))];
}

static bool set_mem(struct thr *t, struct obj *o, unsigned int gen, uint32_t slot,
		    uint64_t gpa, uint64_t size, uint64_t hva, uint32_t flags)
{
	struct rs_memory_region *r = (void *)t->buf;

	*r = (struct rs_memory_region){ .slot = slot, .flags = flags,
		.guest_phys_addr = gpa, .size = size, .userspace_addr = hva };
	if (one_in(32))
		r->reserved[rnd_n(4)] = rs_rnd();
	if (IOCTL(t, C_SET_MEM, o, gen, one_in(32) ? pick_ptr(t, r, sizeof(*r)) : (uint64_t)r))
		return false;
	if (slot < 32 && o->kind == K_VM) {
		o->slot_gpa[slot] = gpa;
		o->slot_size[slot] = size;
		o->slot_hva[slot] = hva;
	}
	return true;
}

static void add_guest_mem(struct thr *t, struct obj *o, unsigned int gen, int kind, uint32_t slot)
{
	uint64_t size = kind == G_RM ? 0x10000 : kind == G_LM ? UNIT : PG << rnd_n(10);
	uint64_t gpa = kind == G_RM ? RM_GPA : kind == G_LM ? 0 : pick_gpa(size);
	void *p;

	if (slot < 32 && o->slot_size[slot] && one_in(2))
		set_mem(t, o, gen, slot, 0, 0, 0, 0);		/* delete it first */
	p = new_chunk(t, kind, size);
	if (p)
		set_mem(t, o, gen, slot, gpa, size, (uint64_t)p, one_in(8) ? RS_MEM_READONLY : 0);
}

/*
 * Memory slots: new guests, deletions, moves, overlaps, boundaries.  User
 * addresses are in the arena, just past it, low, or not user addresses.
 */
static void op_set_mem(struct thr *t)
{
	static const uint64_t sizes[] = { 0, PG, 0x800, 1ULL << 48, 1ULL << 63, ~0xfffULL, 1ULL << 40 };
	uint32_t slot = one_in(4) ? rnd_n(32) : rnd_n(4);
	uint64_t gpa, size, hva;
	unsigned int gen;
	struct obj *o = borrow(K_VM, &gen);

	if (!o)
		return;
	switch (rnd_n(8)) {
	case 0: case 1: case 2:
		add_guest_mem(t, o, gen, rnd_n(3), slot);
		break;
	case 3:
		set_mem(t, o, gen, one_in(8) ? 32 + rnd_n(4) : slot, 0, 0, 0, 0);
		break;
	case 4:				/* the same memory at another address */
		size = o->slot_size[slot];
		hva = o->slot_hva[slot];
		gpa = pick_gpa(size);
		if (size && set_mem(t, o, gen, slot, 0, 0, 0, 0))
			set_mem(t, o, gen, slot, gpa, size, hva, 0);
		break;
	case 5:				/* over another slot */
		set_mem(t, o, gen, rnd_n(32), o->slot_gpa[slot] + PG * rnd_n(2), PG,
			(uint64_t)ARENA + rnd_n(NUNIT) * UNIT, 0);
		break;
	default:
		size = one_in(2) ? sizes[rnd_n(ARRAY_LEN(sizes))] : PG << rnd_n(10);
		switch (rnd_n(6)) {
		case 0:
			hva = 0xffff888000000000ULL;
			break;
		case 1:
			hva = 0x0123456789abc000ULL;		/* non-canonical */
			break;
		case 2:
			hva = (uint64_t)ARENA + 0x10;		/* misaligned */
			break;
		case 3:				/* past the arena: never mapped */
			hva = (uint64_t)ARENA + ARENA_SIZE + rnd_n(1 << 20) * PG;
			break;
		case 4:				/* low, small */
			hva = rnd_n(16) * PG;
			size &= 0xfffff;
			break;
		default:			/* guest memory or holes */
			hva = (uint64_t)ARENA + rnd_n(ARENA_SIZE / PG) * PG;
			if (size < ARENA_SIZE && size > (uint64_t)ARENA + ARENA_SIZE - hva)
				size = (uint64_t)ARENA + ARENA_SIZE - hva;
		}
		gpa = one_in(4) ? rs_fuzz_pick(0) : pick_gpa(size);
		set_mem(t, o, gen, one_in(8) ? rs_fuzz_pick(slot) : slot, gpa, size, hva,
			one_in(8) ? rs_fuzz_pick(0) : 0);
	}
	obj_put(o);
}

static void set_seg(struct rs_segment *s, uint16_t sel, uint16_t attr, uint32_t limit)
{
	*s = (struct rs_segment){ .selector = sel, .attr = attr, .limit = limit };
}

/*
 * QEMU 7.2's #VMEXIT restores the host's CR0 before its CR4 and EFER, and
 * cpu_x86_update_cr0() returns early, leaving the guest's CR0, when the
 * guest's EFER.LME is set with CR0.PG and CR4.PAE clear (a legal state):
 * the test VM's CPU then runs on without paging, dead to interrupts and
 * NMIs (Documentation/testing.rst).  Under SVM such states keep LME clear;
 * RS_SET_MSRS never sets it.
 */
static void qemu_safe_sregs(struct rs_sregs *s)
{
	if (g.svm && !(s->cr0 & X86_CR0_PG) && !(s->cr4 & X86_CR4_PAE))
		s->efer &= ~EFER_LME;
}

static void qemu_safe_msrs(struct rs_msr_entry *e, unsigned int n)
{
	while (g.svm && n--)
		if (e[n].index == MSR_EFER)
			e[n].data &= ~EFER_LME;
}

/* The vCPU to 64-bit mode at LM_CODE (as lib/x86.c sets it up), or back to reset. */
static void set_state(struct thr *t, struct obj *o, unsigned int gen, bool lm)
{
	struct rs_sregs *s = (void *)t->buf;
	struct rs_regs *r = (void *)(t->buf + 1024);

	memset(r, 0, sizeof(*r));
	r->rflags = 2;
	if (!lm && t->have_reset) {
		*s = t->reset_sregs;
		r->rip = 0xfff0;
	} else {
		memset(s, 0, sizeof(*s));
		if (IOCTL(t, C_GET_SREGS, o, gen, s))
			return;
		set_seg(&s->cs, 0x08, 0xa9b, 0xffffffff);
		set_seg(&s->ds, 0x10, 0xc93, 0xffffffff);
		s->es = s->fs = s->gs = s->ss = s->ds;
		set_seg(&s->tr, 0x18, 0x8b, 0x67);
		set_seg(&s->ldt, 0, 0, 0);
		s->gdt.limit = s->idt.limit = 0;	/* an exception shuts down */
		s->cr0 = 0x80010033;			/* PG, WP, NE, ET, MP, PE */
		s->cr3 = 0x1000;
		s->cr4 = 0x620;				/* OSXMMEXCPT, OSFXSR, PAE */
		s->efer = 0x500;			/* LMA, LME */
		s->cr2 = s->cr8 = 0;
		r->rip = LM_CODE;
		r->rsp = UNIT - 16;
	}
	IOCTL(t, C_SET_SREGS, o, gen, s);
	IOCTL(t, C_SET_REGS, o, gen, r);
}

static struct obj *create_vcpu(struct thr *t, struct obj *vm, unsigned int gen, uint64_t id,
			       unsigned int *ngen)
{
	long fd = IOCTL(t, C_CREATE_VCPU, vm, gen, id);
	struct obj *o;

	if (fd < 0) {
		if (id >= 64 && sure(vm, gen, C_CREATE_VCPU) && errno != EINVAL)
			fail(t, "RS_CREATE_VCPU(%#llx) did not fail with EINVAL", (unsigned long long)id);
		return NULL;
	}
	pthread_mutex_lock(&g.lock);
	o = obj_add(K_VCPU, fd, g.next_vid++);
	if (o) {
		map_run(t, o);
		*ngen = o->gen;
	} else {
		close(fd);
	}
	pthread_mutex_unlock(&g.lock);
	if (o && !t->have_reset && !ioctl(fd, RS_GET_SREGS, &t->reset_sregs))
		t->have_reset = true;
	return o;
}

static void op_create_vcpu(struct thr *t)
{
	static const uint64_t ids[] = { 63, 64, 0xffffffff, 1ULL << 32, ~0ULL };
	uint64_t id = one_in(8) ? ids[rnd_n(ARRAY_LEN(ids))] : rnd_n(4);
	unsigned int gen, ogen;
	bool lm = one_in(2);
	struct obj *vm = borrow(K_VM, &gen), *o;

	if (!vm)
		return;
	o = create_vcpu(t, vm, gen, id, &ogen);
	if (o) {
		set_state(t, o, ogen, lm);
		obj_put(o);
	}
	obj_put(vm);
}

/*
 * RS_IOEVENTFD: registrations where the guests write (their serial port,
 * MMIO) and elsewhere, of any length and flags, with the thread's eventfd
 * or another fd; deassigns of them; bad pointers and reserved bytes.
 */
static void op_ioeventfd(struct thr *t)
{
	static const uint64_t addrs[] = { 0x3f8, 0xc0000000, 0xffff, 0xfff0, ~0ULL - 3 };
	static const uint32_t lens[] = { 1, 2, 4, 8, 0, 3, 16 };
	struct rs_ioeventfd *a = (void *)t->buf;
	unsigned int gen, agen;
	struct obj *o = borrow(K_VM, &gen), *any;

	if (!o)
		return;
	*a = (struct rs_ioeventfd){
		.addr = one_in(4) ? rs_fuzz_pick(0) : addrs[rnd_n(ARRAY_LEN(addrs))],
		.len = one_in(8) ? rs_rnd() : lens[rnd_n(one_in(4) ? ARRAY_LEN(lens) : 4)],
		.fd = t->efd,
		.flags = one_in(16) ? rs_rnd() : rnd_n(8),
		.datamatch = one_in(2) ? rnd_n(4) : rs_fuzz_pick(0),
	};
	if (one_in(8)) {		/* some other fd, or none */
		any = borrow(K_ANY, &agen);
		a->fd = any ? any->fd : -1;
		if (any)
			obj_put(any);
	}
	if (one_in(32))
		a->reserved[rnd_n(5)] = rs_rnd();
	IOCTL(t, C_IOEVENTFD, o, gen, one_in(32) ? pick_ptr(t, a, sizeof(*a)) : (uint64_t)a);
	obj_put(o);
}

/* A VM; mostly with real-mode and 64-bit guest code and a vCPU to run it. */
/*
 * The in-kernel APIC's VM calls: RS_CREATE_LAPIC (on a VM whose vCPUs
 * exist: EBUSY), MSIs of any data to any destination, irqfds.
 */
static void op_lapic(struct thr *t)
{
	struct rs_msi *msi = (void *)t->buf;
	struct rs_irqfd *fd = (void *)t->buf;
	unsigned int gen, c = C_CREATE_LAPIC + rnd_n(3);
	struct obj *o = borrow(K_VM, &gen);
	uint64_t arg = (uint64_t)t->buf;

	if (!o)
		return;
	memset(t->buf, 0, 64);
	if (c == C_CREATE_LAPIC) {
		arg = one_in(8) ? rs_rnd() : 0;
	} else if (c == C_SIGNAL_MSI) {
		msi->address = one_in(8) ? rs_fuzz_pick(0) : 0xfee00000 | rnd_n(256) << 12 | rnd_n(2) << 2;
		msi->data = one_in(8) ? rs_rnd() : (0x20 + rnd_n(224)) | rnd_n(8) << 8 | rnd_n(4) << 14;
		msi->flags = one_in(32);
		msi->reserved[0] = one_in(32);
		arg = one_in(16) ? pick_ptr(t, msi, sizeof(*msi)) : arg;
	} else {
		fd->fd = one_in(8) ? (int)rnd_n(64) - 1 : t->efd;
		fd->flags = one_in(16) ? rs_rnd() : rnd_n(2);
		fd->msi_address = 0xfee00000 | rnd_n(4) << 12;
		fd->msi_data = one_in(8) ? rs_rnd() : 0x20 + rnd_n(224);
		fd->reserved[0] = one_in(32);
		arg = one_in(16) ? pick_ptr(t, fd, sizeof(*fd)) : arg;
	}
	IOCTL(t, c, o, gen, arg);
	obj_put(o);
}

static void op_create_vm(struct thr *t)
{
	uint64_t arg = one_in(16) ? rs_rnd() | 1 : 0;
	bool populate = !one_in(3), lm = one_in(2);
	unsigned int gen, vgen = 0, ogen;
	struct obj *dev = borrow(K_DEV, &gen), *vm, *o;
	long fd;

	if (!dev)
		return;
	fd = IOCTL(t, C_CREATE_VM, dev, gen, arg);
	if (sure(dev, gen, C_CREATE_VM) && (arg ? fd >= 0 : fd < 0 && errno == EINVAL))
		fail(t, "RS_CREATE_VM(%#llx): %s", (unsigned long long)arg, fd >= 0 ? "a VM" : "EINVAL");
	obj_put(dev);
	if (fd < 0)
		return;
	pthread_mutex_lock(&g.lock);
	vm = obj_add(K_VM, fd, 0);
	if (vm)
		vgen = vm->gen;
	else
		close(fd);
	pthread_mutex_unlock(&g.lock);
	if (!vm)
		return;
	if (one_in(3))
		IOCTL(t, C_CREATE_LAPIC, vm, vgen, 0);
	if (populate) {
		add_guest_mem(t, vm, vgen, G_LM, 0);
		add_guest_mem(t, vm, vgen, G_RM, 1);
		o = create_vcpu(t, vm, vgen, 0, &ogen);
		if (o) {
			set_state(t, o, ogen, lm);
			obj_put(o);
		}
	}
	obj_put(vm);
}

/*
 * A routed exit's answer: any action, with results; an injected event now
 * and then invalid, and an unknown action, both of which fail RS_RUN with
 * EINVAL (the event waits for a better answer).
 */
static void answer_routed(struct rs_run *run)
{
	unsigned int i;

	run->routed.action = one_in(32) ? 4 + rnd_n(1000) : rnd_n(4);
	for (i = 0; i < 4; i++)
		run->routed.results[i] = rs_fuzz_pick(0);
	if (run->routed.action != RS_ROUTE_INJECT)
		return;
	if (one_in(8)) {
		rs_fuzz_event(&run->routed.inject);
		return;
	}
	/* #UD, or #GP with its error code, or an NMI */
	memset(&run->routed.inject, 0, sizeof(run->routed.inject));
	run->routed.inject.type = one_in(8) ? RS_EVENT_NMI : RS_EVENT_EXCEPTION;
	run->routed.inject.vector = one_in(2) ? 6 : 13;
	if (run->routed.inject.type == RS_EVENT_EXCEPTION &&
	    run->routed.inject.vector == 13)
		run->routed.inject.flags = RS_EVENT_HAS_ERROR_CODE;
}

/*
 * Finish the last exit as user space would: data for IN and MMIO reads, a
 * return value, an answer to a routed exit (@routed: one waits, even if an
 * RS_RUN that refused an answer left another exit reason).
 */
static void complete_exit(struct rs_run *run, bool routed)
{
	uint64_t v = rs_rnd(), off = run->io.data_offset;
	uint64_t len = (uint64_t)run->io.size * run->io.count;

	if (run->exit_reason == RS_EXIT_IO && run->io.direction == RS_IO_IN &&
	    off >= sizeof(*run) && off <= PG && len <= PG - off)
		memset((char *)run + off, (int)v, len);
	else if (run->exit_reason == RS_EXIT_MMIO)
		memcpy(run->mmio.data, &v, 8);
	else if (run->exit_reason == RS_EXIT_HYPERCALL)
		run->hypercall.ret = v;
	else if (routed)
		answer_routed(run);
}

/* What an exit reports must make sense. */
static const char *bad_exit(struct rs_run *run)
{
	uint64_t off = run->io.data_offset, len = (uint64_t)run->io.size * run->io.count;

	if (run->exit_reason == RS_EXIT_IO &&
	    (run->io.direction > RS_IO_OUT || !run->io.count || off < sizeof(*run) ||
	     off > PG || len > PG - off || (run->io.size != 1 && run->io.size != 2 &&
					    run->io.size != 4)))
		return "an IO exit's data is not in the run page";
	if (run->exit_reason == RS_EXIT_MMIO && (!run->mmio.len || run->mmio.len > 8))
		return "an MMIO exit's length is not 1-8";
	if (run->exit_reason == RS_EXIT_INTERNAL_ERROR &&
	    (run->internal.suberror < RS_INTERNAL_UNHANDLED_EXIT ||
	     run->internal.suberror > RS_INTERNAL_DELIVERY || run->internal.ndata > 8))
		return "an internal error's suberror or ndata is unknown";
	if (run->exit_reason == RS_EXIT_ROUTED &&
	    (run->routed.event < RS_ROUTED_EXCEPTION || run->routed.event > RS_ROUTED_IO_OUT ||
	     (run->routed.flags & ~RS_ROUTED_HAS_ERROR_CODE) || run->routed.insn_len > 15))
		return "a routed exit's event, flags or instruction length is unknown";
	return NULL;
}

/*
 * For the open finding of Documentation/testing.rst: what the run page
 * says now, and how many RS_RUN calls of the vCPU began since or are
 * under way, to tell a kernel that wrote NONE from one that another call
 * of the vCPU overtook.
 */
static const char *run_now(char *buf, size_t size, struct rs_run *run, unsigned int vid,
			   unsigned int begun, unsigned int busy)
{
	snprintf(buf, size, " (the run page now says %s; vCPU %u: %u RS_RUN begun since, %u under way)",
		 rs_exit_reason_str(READ_ONCE(run->exit_reason)), vid, begun, busy);
	return buf;
}

static void op_run(struct thr *t)
{
	unsigned int gen, i, n = 1 + rnd_n(8);
	struct obj *o = borrow(K_VCPU, &gen);

	for (i = 0; o && i < n && !g.stop; i++) {
		struct run_track *rt = &runs[o->vid % 1024];
		int unowned = 0;
		bool owner = __atomic_compare_exchange_n(&rt->owner, &unowned, 1, false,
							 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		unsigned int entries = 0;
		bool alone = false;
		bool imm = one_in(16), strict;
		uint64_t arg = one_in(64) ? rs_rnd() | 1 : 0;
		struct rs_run *run = o->run;
		uint32_t reason = 0;
		const char *why;
		char now[120];
		struct ent *e;
		long r;
		int err;
		/* Completing it may be an MMIO exit too: a write, CMPS's second read. */
		bool mmio_read = run && run->exit_reason == RS_EXIT_MMIO && !run->mmio.is_write;
		/* A routed exit's bad answer fails RS_RUN with EINVAL. */
		bool routed = run && (run->exit_reason == RS_EXIT_ROUTED ||
				      __atomic_load_n(&rt->routed, __ATOMIC_SEQ_CST));

		if (owner) {
			entries = __atomic_load_n(&rt->entries, __ATOMIC_SEQ_CST);
			alone = !__atomic_load_n(&rt->active, __ATOMIC_SEQ_CST);
		} else {
			__atomic_add_fetch(&rt->active, 1, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&rt->entries, 1, __ATOMIC_SEQ_CST);
		}
		if (run) {
			complete_exit(run, routed);
			run->immediate_exit = imm;
			run->request_interrupt_window = one_in(8);
		}
		e = log_begin(t, C_RUN, o->fd, arg, imm);
		if (g.replay)		/* signals only here, the rest stays as it was */
			pthread_sigmask(SIG_UNBLOCK, &g.sigs, NULL);
		r = ioctl(o->fd, RS_RUN, arg);
		err = errno;
		if (g.replay)
			pthread_sigmask(SIG_BLOCK, &g.sigs, NULL);
		if (run)
			e->a[3] = reason = READ_ONCE(run->exit_reason);
		if (!r)
			__atomic_store_n(&rt->routed, reason == RS_EXIT_ROUTED, __ATOMIC_SEQ_CST);
		check(t, e, r, err, o, gen);
		/* Nobody else ran this vCPU meanwhile, and the fd is still it. */
		strict = run && sure(o, gen, C_RUN) && alone &&
			 __atomic_load_n(&rt->entries, __ATOMIC_SEQ_CST) == entries;
		if (owner)
			__atomic_store_n(&rt->owner, 0, __ATOMIC_SEQ_CST);
		else
			__atomic_sub_fetch(&rt->active, 1, __ATOMIC_SEQ_CST);
		t->alone += strict;
		t->runs++;
		if (reason > RS_EXIT_DEBUG)
			fail(t, "RS_RUN: exit reason %u is none of RS_EXIT_*", reason);
		/*
		 * EINVAL without a routed exit to answer, where no other
		 * thread ran the vCPU meanwhile: one that did may have left
		 * a routed exit after this thread looked (its answer then is
		 * whatever the page holds).
		 */
		if (sure(o, gen, C_RUN) &&
		    (arg ? !(r < 0 && err == EINVAL) :
			   r < 0 && err == EINVAL && !routed && strict))
			fail(t, "RS_RUN(%#llx): %s", (unsigned long long)arg, r ? strerrorname_np(err) : "0");
		/*
		 * Completing an exit may make another before immediate_exit
		 * is looked at: an MMIO read's write, or the default of a
		 * routed event (RS_EXIT_IO, HLT...), as KVM's
		 * complete_userspace_io() does.
		 */
		if (strict && !r && (reason == RS_EXIT_NONE || reason == RS_EXIT_INTR ||
				     (imm && reason != RS_EXIT_INTERNAL_ERROR && !routed &&
				      !(mmio_read && reason == RS_EXIT_MMIO))))
			fail(t, "RS_RUN returned 0 with exit reason %s%s%s", rs_exit_reason_str(reason),
			     imm ? " and immediate_exit set" : "",
			     run_now(now, sizeof(now), run, o->vid,
				     READ_ONCE(rt->entries) - entries, READ_ONCE(rt->active)));
		if (strict && r < 0 && err == EINTR && reason != RS_EXIT_INTR)
			fail(t, "RS_RUN failed with EINTR, exit reason %s%s", rs_exit_reason_str(reason),
			     run_now(now, sizeof(now), run, o->vid,
				     READ_ONCE(rt->entries) - entries, READ_ONCE(rt->active)));
		if (strict && !r && (why = bad_exit(run)))
			fail(t, "RS_RUN: %s", why);
		if (!r) {
			t->run_exits++;
			t->exits[reason & 15]++;
			t->unhandled += reason == RS_EXIT_INTERNAL_ERROR &&
					run->internal.suberror == RS_INTERNAL_UNHANDLED_EXIT;
		}
		t->eintr += r < 0 && err == EINTR;
		if (run)
			run->immediate_exit = 0;
		if ((r && err != EINTR) || reason == RS_EXIT_SHUTDOWN ||
		    reason == RS_EXIT_FAIL_ENTRY || reason == RS_EXIT_INTERNAL_ERROR) {
			if (!one_in(4))		/* start over */
				set_state(t, o, gen, one_in(2));
			break;
		}
	}
	if (o)
		obj_put(o);
}

static const uint32_t msrs[] = {
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100, 0xc0000102,
	0xc0000103, 0x174, 0x176, 0x277, 0x10, 0x1d9, 0x1a0, 0x2ff, 0x1b, 0x48,
	0x49, 0x10b, 0x8b, 0xfe, 0x179, 0xc0010015, 0xc001001f, 0xc0010117,
	0xc0010114, 0x3a, 0x480, 0x6e0, 0xe7, 0x12345678,
};

/* Vectors a route may name: 0-19 but NMI, #MC, 9 and 15. */
#define ROUTE_VECTORS	(0xfffffU & ~((1U << 2) | (1U << 9) | (1U << 15) | (1U << 18)))

/*
 * An exit route: the guests' events (their MSRs, CPUID leaves, ports,
 * exceptions, CRs and DRs) or none; one in eight with one thing the
 * kernel refuses.
 */
static void fuzz_route(struct rs_exit_route *rt)
{
	static const uint32_t leaves[] = { 0, 1, 7, 0xd, 0x40000000, 0x80000000, 0x80000001 };
	static const uint32_t ports[] = { 0x3f8, 0x3f9, 0x80, 0x1000, 0, 0xffff };
	struct rs_route_ranges *rr[] = { &rt->msr_read, &rt->msr_write, &rt->cpuid, &rt->ports };
	struct rs_route_ranges *r;
	unsigned int i, k;
	uint32_t first;

	memset(rt, 0, sizeof(*rt));
	if (one_in(4))
		return;				/* routes nothing */
	rt->exceptions = (uint32_t)rs_rnd() & ROUTE_VECTORS;
	rt->cr_read = (uint32_t)rs_rnd() & ((1U << 3) | (1U << 8));
	rt->cr_write = (uint32_t)rs_rnd() & 0x119;
	rt->dr_read = (uint32_t)rs_rnd() & 0xff;
	rt->dr_write = (uint32_t)rs_rnd() & 0xff;
	rt->insns = (uint32_t)rs_rnd() & 0xff;
	for (k = 0; k < ARRAY_LEN(rr); k++) {
		r = rr[k];
		r->nr = rnd_n(3);
		for (i = 0; i < r->nr; i++) {
			first = k < 2 ? msrs[rnd_n(ARRAY_LEN(msrs))] :
				k == 2 ? leaves[rnd_n(ARRAY_LEN(leaves))] :
				ports[rnd_n(ARRAY_LEN(ports))];
			r->range[i].first = first;
			r->range[i].last = first + rnd_n(16);
			if (k == 3 && r->range[i].last > 0xffff)
				r->range[i].last = 0xffff;
		}
	}
	if (!one_in(8))
		return;
	r = rr[rnd_n(ARRAY_LEN(rr))];
	switch (rnd_n(8)) {
	case 0:
		rt->exceptions |= 1U << rnd_n(32);	/* NMI, #MC or reserved, or fine */
		break;
	case 1:
		rt->cr_read |= 1U << rnd_n(32);
		break;
	case 2:
		rt->cr_write |= 1U << rnd_n(32);
		break;
	case 3:
		rt->dr_write |= 1U << (8 + rnd_n(24));
		break;
	case 4:
		r->nr = RS_ROUTE_MAX_RANGES + 1 + rnd_n(4);
		break;
	case 5:
		r->range[rnd_n(RS_ROUTE_MAX_RANGES)].last = rs_rnd();
		break;
	case 6:
		r->pad = 1;
		break;
	default:
		rt->reserved[rnd_n(8)] = 1ULL << rnd_n(64);
	}
}

/* What RS_GET_EXIT_ROUTE returns passed RS_SET_EXIT_ROUTE's checks. */
static bool route_valid(const struct rs_exit_route *rt)
{
	const struct rs_route_ranges *rr[] = { &rt->msr_read, &rt->msr_write, &rt->cpuid, &rt->ports };
	unsigned int i, k;

	if (rt->flags || rt->pad || (rt->exceptions & ~ROUTE_VECTORS) ||
	    (rt->cr_read & ~((1U << 3) | (1U << 8))) || (rt->cr_write & ~0x119U) ||
	    ((rt->dr_read | rt->dr_write | rt->insns) & ~0xffU))
		return false;
	for (i = 0; i < 8; i++)
		if (rt->reserved[i])
			return false;
	for (k = 0; k < ARRAY_LEN(rr); k++) {
		if (rr[k]->nr > RS_ROUTE_MAX_RANGES || rr[k]->pad)
			return false;
		for (i = 0; i < RS_ROUTE_MAX_RANGES; i++)
			if (i < rr[k]->nr ? rr[k]->range[i].first > rr[k]->range[i].last :
					    rr[k]->range[i].first || rr[k]->range[i].last)
				return false;
	}
	return true;
}

/* RS_SET_EXIT_ROUTE on a VM fd: every vCPU's, those created later too. */
static void op_route_vm(struct thr *t)
{
	struct rs_exit_route *rt = (void *)t->buf;
	unsigned int gen;
	struct obj *o = borrow(K_VM, &gen);

	if (!o)
		return;
	fuzz_route(rt);
	IOCTL(t, C_SET_ROUTE_VM, o, gen, one_in(16) ? pick_ptr(t, rt, sizeof(*rt)) : (uint64_t)rt);
	obj_put(o);
}

/* The register, MSR, FPU, CPUID, event and guest debug ioctls, from a good state or not. */
static void op_vcpu(struct thr *t)
{
	static const uint32_t counts[] = { 0, 1, 2, 255, 256, 257, 0x10000, 0xffffffff };
	int c = C_GET_REGS + rnd_n(C_GUEST_DEBUG - C_GET_REGS + 1);
	char *b = t->buf;
	struct rs_msrs *m = (void *)b;
	struct rs_cpuid *cp = (void *)b;
	struct rs_fpu *fpu = (void *)(b + 64);
	struct rs_msr_entry *me = (void *)(b + 64);
	struct rs_cpuid_entry *ce = (void *)(b + 64);
	struct rs_event *ev = (void *)b;
	struct rs_lapic_state *ls = (void *)b;
	struct rs_exit_route *rt = (void *)b;
	struct rs_guest_debug *dbg = (void *)b;
	uint64_t arg = (uint64_t)b, v;
	unsigned int gen, i, n;
	struct obj *o = borrow(K_VCPU, &gen);
	long r;

	if (!o)
		return;
	memset(b, 0, 16 << 10);
	switch (c) {
	case C_GET_REGS: case C_GET_SREGS: case C_GET_FPU:
		arg = pick_ptr(t, b, c == C_GET_FPU ? sizeof(*fpu) : 256);
		break;
	case C_SET_REGS:
		IOCTL(t, C_GET_REGS, o, gen, b);
		rs_fuzz_mutate_regs((void *)b, UNIT);
		((struct rs_regs *)b)->flags = one_in(32);
		arg = pick_ptr(t, b, 256);
		break;
	case C_SET_SREGS:
		IOCTL(t, C_GET_SREGS, o, gen, b);
		rs_fuzz_mutate_sregs((void *)b, UNIT);
		qemu_safe_sregs((void *)b);
		((struct rs_sregs *)b)->reserved[0] = one_in(32);
		arg = pick_ptr(t, b, 256);
		break;
	case C_GET_MSRS: case C_SET_MSRS:
		m->nmsrs = one_in(4) ? counts[rnd_n(ARRAY_LEN(counts))] : 1 + rnd_n(8);
		m->flags = one_in(32);
		m->reserved[0] = one_in(32);
		for (i = 0; i < m->nmsrs && i < 256; i++) {
			me[i].index = one_in(8) ? (uint32_t)rs_rnd() : msrs[rnd_n(ARRAY_LEN(msrs))];
			me[i].reserved = one_in(64);
			me[i].data = rs_fuzz_pick(0);
		}
		qemu_safe_msrs(me, m->nmsrs < 256 ? m->nmsrs : 256);
		m->entries = pick_ptr(t, me, m->nmsrs * 16ULL);
		arg = one_in(16) ? pick_ptr(t, m, sizeof(*m)) : arg;
		break;
	case C_SET_FPU:		/* MXCSR, XSTATE_BV or XCOMP_BV, or any byte */
		IOCTL(t, C_GET_FPU, o, gen, fpu);
		for (n = rnd_n(4); n--;) {
			v = rs_fuzz_pick(0);
			i = rnd_n(4);
			memcpy(fpu->xsave + (i == 3 ? rnd_n(1024) : i == 0 ? 24 : 504 + 8 * i), &v,
			       i == 3 ? 1 : i == 0 ? 4 : 8);
		}
		fpu->flags = one_in(32);
		fpu->reserved[rnd_n(15)] = one_in(32);
		arg = pick_ptr(t, fpu, sizeof(*fpu));
		break;
	case C_GET_CPUID: case C_SET_CPUID:
		cp->nent = 256;
		cp->entries = (uint64_t)ce;
		if (c == C_SET_CPUID && !IOCTL(t, C_GET_CPUID, o, gen, cp)) {
			for (n = cp->nent ? rnd_n(4) : 0; n--;)
				((uint32_t *)ce)[rnd_n(cp->nent * 10)] ^= 1U << rnd_n(32);
			if (one_in(4))
				cp->nent = rnd_n(cp->nent + 1);
		}
		if (one_in(4))
			cp->nent = counts[rnd_n(ARRAY_LEN(counts))];
		cp->flags = one_in(32);
		cp->entries = pick_ptr(t, ce, (uint64_t)cp->nent * sizeof(*ce));
		arg = one_in(16) ? pick_ptr(t, cp, sizeof(*cp)) : arg;
		break;
	case C_GET_LAPIC:
		arg = pick_ptr(t, b, sizeof(*ls));
		break;
	case C_SET_LAPIC:	/* a real state, some bytes changed */
		IOCTL(t, C_GET_LAPIC, o, gen, ls);
		for (n = rnd_n(6); n--;)
			ls->regs[rnd_n(sizeof(ls->regs))] ^= 1U << rnd_n(8);
		ls->mp_state = one_in(8) ? rs_rnd() : rnd_n(3);
		ls->flags = one_in(32);
		ls->reserved[rnd_n(7)] = one_in(32);
		arg = pick_ptr(t, ls, sizeof(*ls));
		break;
	case C_SET_ROUTE:
		fuzz_route(rt);
		arg = one_in(16) ? pick_ptr(t, rt, sizeof(*rt)) : arg;
		break;
	case C_GET_ROUTE:
		memset(rt, 0xa5, sizeof(*rt));
		arg = one_in(16) ? pick_ptr(t, rt, sizeof(*rt)) : arg;
		break;
	case C_INJECT:
		rs_fuzz_event(ev);
		ev->flags |= one_in(16) ? rs_rnd() : 0;
		ev->reserved[0] = one_in(32);
		arg = one_in(16) ? pick_ptr(t, ev, sizeof(*ev)) : arg;
		break;
	case C_GUEST_DEBUG:	/* steps, breakpoints anywhere, bad bits */
		dbg->flags = one_in(4) ? 0 : rnd_n(one_in(16) ? 16 : 8);
		for (i = 0; i < 4 && (dbg->flags & RS_GUEST_DEBUG_HW_BP); i++)
			dbg->dr[i] = one_in(8) ? rs_fuzz_pick(0) : rnd_n(1 << 30);
		if (dbg->flags & RS_GUEST_DEBUG_HW_BP)
			dbg->dr7 = one_in(8) ? rs_fuzz_pick(0) :
				   (uint32_t)rs_rnd() & 0xffff03ff & ~0x22220000U;
		dbg->pad = one_in(32);
		dbg->reserved[rnd_n(8)] = one_in(32);
		arg = one_in(16) ? pick_ptr(t, dbg, sizeof(*dbg)) : arg;
		break;
	}
	r = IOCTL(t, c, o, gen, arg);
	if ((c == C_GET_MSRS || c == C_SET_MSRS) && arg == (uint64_t)b && sure(o, gen, c) &&
	    (r > (long)m->nmsrs || (m->nmsrs > 256 && !m->flags && !m->reserved[0] &&
				     !(r < 0 && errno == E2BIG))))
		fail(t, "%s of %u entries returned %ld", calls[c].name, m->nmsrs, r);
	if (c == C_GET_ROUTE && arg == (uint64_t)b && sure(o, gen, c) && !r &&
	    !route_valid(rt))
		fail(t, "RS_GET_EXIT_ROUTE returned a route RS_SET_EXIT_ROUTE refuses");
	if (c == C_GET_CPUID && arg == (uint64_t)b && sure(o, gen, c) &&
	    (!r || errno == E2BIG) && cp->nent > 256)
		fail(t, "RS_GET_CPUID: nent %u", cp->nent);
	obj_put(o);
}

/* Ioctl numbers no fd knows, on any fd: ringside's magic, others, wrong sizes. */
static void op_unknown(struct thr *t)
{
	const struct call *k = &calls[rnd_n(C_UNKNOWN)];
	unsigned long cmd;
	unsigned int gen, i;
	struct obj *o = borrow(K_ANY, &gen);

	if (!o)
		return;
	switch (rnd_n(3)) {
	case 0:
		cmd = _IOC(_IOC_DIR(k->cmd), RS_IO, _IOC_NR(k->cmd),
			   (_IOC_SIZE(k->cmd) + 1 + rnd_n(64)) & _IOC_SIZEMASK);
		break;
	case 1:
		cmd = _IOC(rnd_n(4), RS_IO, rnd_n(256), rnd_n(1 << 14));
		break;
	default:		/* but not the VFS's own: types 'f', 'X', 'T', 0x94, 0 */
		do {
			cmd = (uint32_t)rs_rnd();
		} while (strchr("fXT\x94", _IOC_TYPE(cmd)));
	}
	for (i = 0; i < C_UNKNOWN; i++)
		if (cmd == calls[i].cmd)
			cmd ^= 1UL << _IOC_SIZESHIFT;
	CALL(t, C_UNKNOWN, o, gen, o->fd, cmd, 0, ioctl(o->fd, cmd, pick_ptr(t, t->buf, 64)));
	obj_put(o);
}

/* mmap of any fd with odd offsets, lengths and protections. */
static void op_mmap(struct thr *t)
{
	static const uint64_t lens[] = { 1, PG + 1, 2 * PG, 0, 100 };
	static const int64_t offs[] = { PG, 1, 2 * PG, -(int64_t)PG, 1LL << 40 };
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_NONE };
	uint64_t len = one_in(3) ? lens[rnd_n(ARRAY_LEN(lens))] : PG;
	int64_t off = one_in(3) ? offs[rnd_n(ARRAY_LEN(offs))] : 0;
	int prot = prots[rnd_n(ARRAY_LEN(prots))], flags = one_in(3) ? MAP_PRIVATE : MAP_SHARED;
	bool grow = one_in(2);
	unsigned int gen;
	struct obj *o = borrow(K_VCPU, &gen);
	char *p, *at;
	int i;

	if (!o)
		return;
	pthread_mutex_lock(&g.lock);
	i = take(g.run_used, NRUN);
	at = RUNS + i * RUN_SLOT;
	if (i >= 0) {
		p = (char *)CALL(t, C_MMAP, o, gen, o->fd, len, off,
				 mmap(at, len, prot, flags | MAP_FIXED, o->fd, off));
		if (sure(o, gen, C_RUN) && !(prot & PROT_EXEC) &&
		    (p == MAP_FAILED) != (off || !len || len > PG))
			fail(t, "mmap of %#llx bytes at %#llx of a vCPU fd: %s", (unsigned long long)len,
			     (unsigned long long)off, p == MAP_FAILED ? "failed" : "mapped");
		if (p != MAP_FAILED && (prot & PROT_READ) && !off)
			t->ring[(t->n - 1) % RING].a[3] = READ_ONCE(((struct rs_run *)p)->exit_reason);
		if (p != MAP_FAILED && grow)	/* nothing to see in the new page */
			mremap(p, len, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 2 * PG);
		run_free(i);
	}
	pthread_mutex_unlock(&g.lock);
	obj_put(o);
}

/*
 * close() of any fd, borrowed or not.  A borrowed number goes to
 * /dev/null, which drops the ringside file as close() does, and is closed
 * with the last reference: meanwhile it cannot reach another object.
 */
static void op_close(struct thr *t)
{
	uint64_t r = rs_rnd();
	int idx[NOBJ], n = 0, i, ndev = 0;
	struct obj *o;

	pthread_mutex_lock(&g.lock);
	for (i = 0; i < NOBJ; i++) {
		if (g.obj[i].open)
			idx[n++] = i;
		ndev += g.obj[i].open && g.obj[i].kind == K_DEV;
	}
	o = n ? &g.obj[idx[r % n]] : NULL;
	if (o && (o->kind != K_DEV || ndev > 1)) {
		o->open = false;
		o->gen++;
		o->dup2ed = o->refs > 1;
		CALL(t, C_CLOSE, NULL, 0, o->fd, o->kind, o->dup2ed,
		     o->dup2ed ? dup2(g.null_fd, o->fd) : close(o->fd));
		obj_put_locked(o);
	}
	pthread_mutex_unlock(&g.lock);
}

static void op_dup(struct thr *t)
{
	unsigned int gen;
	struct obj *o = borrow(K_ANY, &gen), *d = NULL;
	int fd;

	if (!o)
		return;
	fd = CALL(t, C_DUP, o, gen, o->fd, 0, 0, dup(o->fd));
	pthread_mutex_lock(&g.lock);
	if (fd >= 0 && READ_ONCE(o->gen) == gen)
		d = obj_add(o->kind, fd, o->vid);
	if (d && d->kind == K_VCPU)
		map_run(t, d);
	if (d)
		obj_put_locked(d);
	else if (fd >= 0)
		close(fd);
	obj_put_locked(o);
	pthread_mutex_unlock(&g.lock);
}

/* The dev fd's own calls; opening more; creating with no fd left (EMFILE). */
static void op_dev(struct thr *t)
{
	static const uint64_t caps[] = { 0xffffffff, 1ULL << 32, ~0ULL, 0x80000000 };
	uint64_t arg = one_in(4) ? rs_fuzz_pick(0) : 0;
	struct rlimit old, lim;
	unsigned int gen, vgen;
	struct obj *o, *vm;
	long r;

	if (one_in(16)) {
		pthread_mutex_lock(&g.lock);
		r = CALL(t, C_OPEN, NULL, 0, 0, 0, 0, open(RS_DEV_PATH, O_RDWR | O_CLOEXEC));
		o = r >= 0 ? obj_add(K_DEV, r, 0) : NULL;
		if (o)
			obj_put_locked(o);
		else if (r >= 0)
			close(r);
		pthread_mutex_unlock(&g.lock);
		return;
	}
	o = borrow(K_DEV, &gen);
	if (!o)
		return;
	switch (rnd_n(8)) {
	case 0:		/* every fd below the limit is taken */
		vm = borrow(K_VM, &vgen);
		pthread_mutex_lock(&g.lock);
		getrlimit(RLIMIT_NOFILE, &old);
		lim = old;
		r = dup(2);
		lim.rlim_cur = r > 0 ? r : old.rlim_cur;
		close(r);
		CALL(t, C_RLIMIT, NULL, 0, lim.rlim_cur, 0, 0, setrlimit(RLIMIT_NOFILE, &lim));
		r = vm && one_in(2) ? IOCTL(t, C_CREATE_VCPU, vm, vgen, rnd_n(64)) :
				      IOCTL(t, C_CREATE_VM, o, gen, 0);
		setrlimit(RLIMIT_NOFILE, &old);
		pthread_mutex_unlock(&g.lock);
		if (r >= 0)
			close(r);
		if (vm)
			obj_put(vm);
		break;
	case 1: case 2: case 3:
		r = IOCTL(t, C_API, o, gen, arg);
		if (sure(o, gen, C_API) && (arg ? !(r < 0 && errno == EINVAL) : r != RS_API_VERSION))
			fail(t, "RS_GET_API_VERSION(%#llx) returned %ld", (unsigned long long)arg, r);
		break;
	default:
		arg = one_in(4) ? caps[rnd_n(ARRAY_LEN(caps))] : rnd_n(16);
		r = IOCTL(t, C_CAP, o, gen, arg);
		if (sure(o, gen, C_CAP) && (arg > 0xffffffff) != (r < 0))
			fail(t, "RS_CHECK_CAPABILITY(%#llx) returned %ld", (unsigned long long)arg, r);
	}
	obj_put(o);
}

/* Guest memory changes under running guests: all with g.lock held. */
static void op_mem(struct thr *t)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_FREE, MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED,
		MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTFORK, MADV_DOFORK,
		MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_MERGEABLE, MADV_REMOVE,
		MADV_POPULATE_WRITE,
	};
	uint64_t r1 = rs_rnd(), r2 = rs_rnd(), r3 = rs_rnd(), size, off, len;
	int idx[NCHUNK], n = 0, i, c, op = rnd_n(8), nu, a;
	char *p;
	long ret;

	pthread_mutex_lock(&g.lock);
	for (i = 0; i < NCHUNK; i++)
		if (g.chunk[i].used)
			idx[n++] = i;
	if (!n)
		goto out;
	c = idx[r1 % n];
	p = ARENA + g.chunk[c].unit * UNIT;
	size = g.chunk[c].size;
	off = r2 % (size / PG) * PG;
	len = (1 + r3 % ((size - off) / PG)) * PG;
	switch (op) {
	case 0:
		CALL(t, C_MUNMAP, NULL, 0, (uint64_t)p + off, len, 0, munmap(p + off, len));
		break;
	case 1:
		a = advice[r3 % ARRAY_LEN(advice)];
		CALL(t, C_MADVISE, NULL, 0, (uint64_t)p + off, len, a, madvise(p + off, len, a));
		break;
	case 2:
		a = r3 % 3 ? PROT_READ : r3 % 2 ? PROT_NONE : PROT_READ | PROT_WRITE;
		CALL(t, C_MPROTECT, NULL, 0, (uint64_t)p + off, len, a, mprotect(p + off, len, a));
		break;
	case 3:			/* move it to another unit */
		nu = take(g.unit_used, NUNIT);
		if (nu < 0)
			break;
		ret = CALL(t, C_MREMAP, NULL, 0, (uint64_t)p, size, (uint64_t)ARENA + nu * UNIT,
			   mremap(p, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, ARENA + nu * UNIT));
		unit_free(ret < 0 ? nu : g.chunk[c].unit);
		if (ret >= 0)
			g.chunk[c].unit = nu;
		break;
	case 4:			/* shrink or grow in place */
		len = PG << (r3 % 10);
		if (len > size)
			munmap(p + size, len - size);	/* the unit's reservation */
		if (CALL(t, C_MREMAP, NULL, 0, (uint64_t)p, size, len, mremap(p, size, len, 0)) >= 0)
			g.chunk[c].size = len;
		break;
	case 5:			/* new memory, a new program */
		if (CALL(t, C_MMAP_MEM, NULL, 0, (uint64_t)p, size, 0,
			 mmap(p, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			      MAP_NORESERVE | MAP_FIXED, -1, 0)) >= 0)
			plant(r3 % 3, (uint8_t *)p, size);
		break;
	case 6:			/* the memfd shrinks, grows or loses pages */
		i = g.chunk[c].memfd;
		if (i < 0)
			break;
		if (r3 & 1)
			CALL(t, C_TRUNCATE, NULL, 0, i, off, 0, ftruncate(i, off));
		else
			CALL(t, C_TRUNCATE, NULL, 0, i, off, len,
			     fallocate(i, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len));
		break;
	default:		/* gone for good */
		CALL(t, C_MUNMAP, NULL, 0, (uint64_t)p, UNIT, 0, munmap(p, UNIT));
		unit_free(g.chunk[c].unit);
		if (g.chunk[c].memfd >= 0)
			close(g.chunk[c].memfd);
		g.chunk[c].used = false;
	}
out:
	pthread_mutex_unlock(&g.lock);
}

static void __attribute__((format(printf, 2, 3))) child_say(int *bad, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	msg[n++] = '\n';
	*bad += write(2, msg, n) > 0;
}

/*
 * A forked child: its copies of the parent's VM and vCPU fds answer EIO
 * to everything; /dev/ringside serves it, and its own VM goes with its
 * exit.  No lock, no allocation: other threads of the parent held them.
 */
static void __attribute__((noreturn)) child_main(int *fd, int *kind, int n)
{
	unsigned int k = 1 + rnd_n(6);
	uint64_t buf[600] = { 0 };
	int bad = 0, vm, vcpu, i, c;
	long r;

	alarm(5);
	while (n && k--) {
		i = rnd_n(n);
		c = C_SET_MEM + rnd_n(C_GUEST_DEBUG - C_SET_MEM + 1);
		if (kind[i] == K_VM || kind[i] == K_VCPU) {
			r = ioctl(fd[i], calls[c].cmd, buf);
			if (r != -1 || errno != EIO)
				child_say(&bad, "# fork child: %s on a %s fd: %ld %s, not EIO",
					  calls[c].name, kind_name[kind[i]], r, strerrorname_np(errno));
		} else if (kind[i] == K_DEV && one_in(2)) {
			r = ioctl(fd[i], RS_GET_API_VERSION, 0);
			if (r != RS_API_VERSION)
				child_say(&bad, "# fork child: RS_GET_API_VERSION: %ld", r);
		} else if (kind[i] == K_DEV) {
			vm = ioctl(fd[i], RS_CREATE_VM, 0);
			if (vm < 0 && !(calls[C_CREATE_VM].errs & E(errno)))
				child_say(&bad, "# fork child: RS_CREATE_VM: %s", strerrorname_np(errno));
			vcpu = vm < 0 ? -1 : ioctl(vm, RS_CREATE_VCPU, 0);
			if (vm >= 0 && vcpu < 0)
				child_say(&bad, "# fork child: RS_CREATE_VCPU: %s", strerrorname_np(errno));
			r = vcpu < 0 ? 0 : ioctl(vcpu, RS_RUN, 0);
			if (r && !(calls[C_RUN].errs & E(errno)))
				child_say(&bad, "# fork child: RS_RUN: %s", strerrorname_np(errno));
			if (one_in(2))
				close(vm);
		}
		if (one_in(3))
			munmap(ARENA + rnd_n(NUNIT) * UNIT, UNIT);
		if (one_in(3)) {
			i = rnd_n(n);
			close(fd[i]);
			kind[i] = K_FREE;
		}
	}
	_exit(bad ? 1 : 0);
}

static void op_fork(struct thr *t)
{
	int fd[NOBJ], kind[NOBJ], n = 0, i, status = 0;
	uint64_t seed = rs_rnd();
	struct ent *e;
	pid_t pid;

	pthread_mutex_lock(&g.lock);
	for (i = 0; i < NOBJ; i++) {
		if (g.obj[i].open) {
			fd[n] = g.obj[i].fd;
			kind[n++] = g.obj[i].kind;
		}
	}
	e = log_begin(t, C_FORK, seed, n, 0);
	pid = fork();
	if (!pid) {
		rs_rng_seed(seed);
		child_main(fd, kind, n);
	}
	check(t, e, pid, errno, NULL, 0);
	pthread_mutex_unlock(&g.lock);
	if (pid < 0)
		return;
	t->forks++;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(t, "the forked child (seed %#llx) failed: status %#x",
		     (unsigned long long)seed, status);
}

static const struct {
	void (*fn)(struct thr *t);
	unsigned int weight;
} ops[] = {
	{ op_dev, 4 }, { op_create_vm, 3 }, { op_set_mem, 10 }, { op_create_vcpu, 4 },
	{ op_ioeventfd, 3 }, { op_lapic, 3 }, { op_route_vm, 2 },
	{ op_run, 30 }, { op_vcpu, 25 }, { op_unknown, 3 }, { op_mmap, 2 },
	{ op_close, 3 }, { op_dup, 2 }, { op_fork, 1 }, { op_mem, 8 },
};

static void *worker(void *arg)
{
	struct thr *t = arg;
	unsigned int total = 0, i, w, weight[ARRAY_LEN(ops)];

	if (g.replay)
		pthread_sigmask(SIG_BLOCK, &g.sigs, NULL);
	/* Each thread a mix of its own: one closes more, another runs more. */
	rs_rng_seed(t->seed);
	for (i = 0; i < ARRAY_LEN(ops); i++)
		total += weight[i] = ops[i].weight * (1 + rnd_n(3));
	while (!g.stop && (!g.max_calls || t->n < g.max_calls)) {
		/*
		 * Each operation draws from a seed of its own, so that what
		 * one did (a run cut short by a signal) does not change what
		 * the next ones do.
		 */
		t->seed = t->seed * 6364136223846793005ULL + 1442695040888963407ULL;
		rs_rng_seed(t->seed ^ t->seed >> 29);
		w = rnd_n(total);
		for (i = 0; w >= weight[i]; i++)
			w -= weight[i];
		ops[i].fn(t);
	}
	t->done = true;
	return NULL;
}

/* The netlink child: VM ids its replies named, and the highest exit counts. */
struct nl_state {
	uint32_t ids[32];
	unsigned int nids;
	bool bad;
	struct { uint32_t id; uint64_t exits; } seen[256];
	uint64_t retired;
};

static void nl_collect(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_state *s = arg;
	struct rs_nl_vm v;
	typeof(s->seen[0]) *e;

	if (!rs_nl_parse_vm(nlh, &v)) {
		s->bad = true;
		return;
	}
	g.nl->msgs++;
	s->ids[s->nids++ % ARRAY_LEN(s->ids)] = v.id;
	if (!v.has_stats || v.has_vcpu)
		return;
	e = &s->seen[v.id % ARRAY_LEN(s->seen)];
	if (e->id != v.id) {
		s->retired += e->exits;
		*e = (typeof(*e)){ .id = v.id };
	}
	e->exits = v.exits > e->exits ? v.exits : e->exits;
}

/* A request into @m, good or bad; returns the errnos it may fail with. */
static errs_t nl_request(struct rs_nl *nl, struct nl_state *s, struct rs_nl_msg *m,
			 char *desc, size_t size)
{
	uint8_t cmd = one_in(2) ? RS_NL_CMD_GET_VM : RS_NL_CMD_GET_STATS;
	uint32_t id = s->nids && !one_in(4) ? s->ids[rnd_n(s->nids < 32 ? s->nids : 32)] :
		      rs_fuzz_pick(0);
	int k = rnd_n(10), i;
	bool dump = k < 2 || (k >= 5 && one_in(2));
	uint64_t junk[2] = { rs_rnd(), rs_rnd() };
	errs_t ok = E(ENOENT);

	rs_nl_msg_init(m, nl, dump ? NLM_F_DUMP : 0, cmd);
	if (k > 1 || one_in(2))
		rs_nl_put_u32(m, RS_NL_A_VM_ID, id);
	switch (k) {
	case 0:			/* dumps, of every VM or one */
		ok = 0;
		break;
	case 1:			/* with PER_VCPU (GET_VM takes none) */
		rs_nl_put(m, RS_NL_A_PER_VCPU, NULL, 0);
		ok = E(EINVAL);
		break;
	case 2:
		if (cmd == RS_NL_CMD_GET_STATS && one_in(2))
			rs_nl_put_u32(m, RS_NL_A_VCPU_ID, one_in(4) ? rs_fuzz_pick(0) : rnd_n(4));
		break;
	case 3:			/* PER_VCPU is for dumps */
		rs_nl_put(m, RS_NL_A_PER_VCPU, NULL, 0);
		ok = E(EINVAL);
		break;
	case 4:			/* a dump takes no vCPU id */
		m->nlh.nlmsg_flags |= NLM_F_DUMP;
		rs_nl_put_u32(m, RS_NL_A_VCPU_ID, 0);
		ok = E(EINVAL);
		break;
	case 5: case 6:		/* junk attributes; ERANGE: a flag with a payload */
		for (i = 1 + rnd_n(3); i--;)
			rs_nl_put(m, rnd_n(24) | (one_in(8) ? NLA_F_NESTED : 0), junk, rnd_n(13));
		ok |= E(EINVAL) | E(ERANGE);
		break;
	case 7:
		((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->reserved = 1 + rnd_n(0xffff);
		ok = E(EINVAL);
		break;
	case 8:			/* no such command */
		do {
			cmd = rs_rnd();
		} while (cmd == RS_NL_CMD_GET_VM || cmd == RS_NL_CMD_GET_STATS);
		((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->cmd = cmd;
		ok = E(EOPNOTSUPP);
		break;
	default:		/* a VM id of 1 or 8 bytes */
		rs_nl_msg_init(m, nl, dump ? NLM_F_DUMP : 0, cmd);
		rs_nl_put(m, RS_NL_A_VM_ID, junk, 1 + rnd_n(2) * 7);
		ok = E(EINVAL);
	}
	snprintf(desc, size, "kind %d, cmd %u, %s, VM %u, %u bytes", k, cmd,
		 dump ? "dump" : "do", id, m->nlh.nlmsg_len);
	return ok;
}

static void __attribute__((noreturn)) nl_child(uint64_t seed)
{
	static struct nl_state s;
	struct timeval tv = { .tv_sec = 10 };
	struct rs_nl nl, ev;
	struct rs_nl_msg m;
	char desc[128], buf[8192];
	bool events;
	unsigned int i;
	errs_t ok;
	int r;

	rs_rng_seed(seed);
	r = rs_nl_open(&nl);
	if (r) {
		snprintf(g.nl->msg, sizeof(g.nl->msg), "netlink: %s", strerrorname_np(-r));
		g.nl->failed = 1;
		_exit(1);
	}
	setsockopt(nl.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	events = !rs_nl_open(&ev) && !rs_nl_subscribe(&ev);	/* sampled exits */
	while (!g.nl->stop) {
		ok = nl_request(&nl, &s, &m, desc, sizeof(desc));
		s.bad = false;
		r = rs_nl_transact(&nl, &m, nl_collect, &s);
		g.nl->requests++;
		if ((r && (-r >= 128 || !(ok & E(-r)))) || s.bad) {
			snprintf(g.nl->msg, sizeof(g.nl->msg), "netlink request (%s): %s%s",
				 desc, r ? strerrorname_np(-r) ?: "?" : "ok", s.bad ? ", bad reply" : "");
			g.nl->failed = 1;
			break;
		}
		while (events && recv(ev.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			g.nl->events++;
		g.nl->exits = s.retired;
		for (i = 0; i < ARRAY_LEN(s.seen); i++)
			g.nl->exits += s.seen[i].exits;
	}
	_exit(g.nl->failed);
}

static void on_signal(int sig)
{
}

/* The fuzzer itself crashed: say where, and what the threads did. */
static void on_crash(int sig, siginfo_t *si, void *uc)
{
	fprintf(stderr, "# signal %d at %#llx, address %p; RS_SEED=%#llx\n", sig,
		((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP], si->si_addr,
		(unsigned long long)g.seed);
	print_rings();
}

static unsigned long sum(size_t off)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < g.nthreads; i++)
		n += *(unsigned long *)((char *)&g.thr[i] + off);
	return n;
}

#define SUM(field)	sum(offsetof(struct thr, field))

TEST(iface_fuzz)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval tick = { { 0, 20000 }, { 0, 20000 } };
	const char *env, *splat;
	struct timespec start, now;
	int i, kmsg, status, seconds, ndone;
	unsigned long tainted;
	double secs;
	pid_t nl_pid, parent;
	size_t len;
	char *log;
	void *p;

	RS_REQUIRE_VM();
	g.seed = rs_fuzz_env_seed(DEFAULT_SEED);
	env = getenv("RS_FUZZ_SECONDS");
	seconds = env ? atoi(env) : DEFAULT_SECONDS;
	env = getenv("RS_FUZZ_THREADS");
	g.nthreads = env ? atoi(env) : 4;
	/* Bochs runs the VMX test VM's clock far slower than the wall's: count calls there. */
	env = getenv("RS_FUZZ_CALLS");
	g.max_calls = env ? strtoul(env, NULL, 0) :
		      !getenv("RS_FUZZ_SECONDS") && rs_check_cap(RS_CAP_VMX) ? VMX_CALLS : 0;
	g.svm = rs_check_cap(RS_CAP_SVM) == 1;
	env = getenv("RS_FUZZ_REPLAY");
	g.replay = env && atoi(env);
	if (g.replay)
		g.nthreads = 1;
	if (g.nthreads < 1 || g.nthreads > MAX_THREADS)
		g.nthreads = 4;
	TH_LOG("RS_SEED=%#llx RS_FUZZ_SECONDS=%d RS_FUZZ_THREADS=%d%s",
	       (unsigned long long)g.seed, seconds, g.nthreads, g.replay ? " RS_FUZZ_REPLAY=1" : "");

	tainted = rs_kernel_tainted();
	kmsg = rs_kmsg_open();
	ASSERT_LE(0, kmsg);
	if (rs_kmemleak_present())
		rs_kmemleak_clear();
	p = mmap(ARENA, ARENA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(ARENA, p) TH_LOG("the arena: %s", strerror(errno));
	p = mmap(RUNS, NRUN * RUN_SLOT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(RUNS, p) TH_LOG("the run pages: %s", strerror(errno));
	g.obj[0] = (struct obj){ .kind = K_DEV, .open = true, .refs = 1, .fd = rs_open_dev() };
	g.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, g.null_fd);

	/* No SA_RESTART: a signal ends RS_RUN with EINTR. */
	sigemptyset(&g.sigs);
	sigaddset(&g.sigs, SIGUSR1);
	sigaddset(&g.sigs, SIGALRM);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);

	g.nl = mmap(NULL, sizeof(*g.nl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g.nl);
	parent = getpid();
	nl_pid = fork();
	ASSERT_LE(0, nl_pid);
	if (!nl_pid) {
		/*
		 * It holds the fuzzer's fds, /dev/ringside among them: if an
		 * assertion ends the test, it must not outlive it and keep
		 * the module busy for the tests after.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		nl_child(g.seed ^ 0x6e6c6e6c6e6c6e6cULL);
	}

	g.thr = calloc(g.nthreads, sizeof(*g.thr));
	ASSERT_NE(NULL, g.thr);
	/* Before any worker runs: one may lower RLIMIT_NOFILE for a while. */
	for (i = 0; i < g.nthreads; i++) {
		g.thr[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, g.thr[i].efd);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < g.nthreads; i++) {
		struct thr *t = &g.thr[i];
		/* At a fixed address, so that replays log the same arguments. */
		char *m = mmap(ARENA - (i + 1) * 32 * PG, 24 * PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		ASSERT_EQ(ARENA - (i + 1) * 32 * PG, m);
		t->idx = i;
		t->seed = g.seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
		t->buf = m;
		t->edge = m + 16 * PG;
		t->ro = m + 19 * PG;
		mprotect(t->edge + PG, PG, PROT_NONE);
		mprotect(t->ro, 2 * PG, PROT_READ);
		mprotect(t->ro + 2 * PG, PG, PROT_NONE);
		ASSERT_EQ(0, pthread_create(&t->tid, NULL, worker, t));
	}
	setitimer(ITIMER_REAL, &tick, NULL);

	/* Signal the threads, in RS_RUN or not, until time is up, then until they stop. */
	for (;;) {
		struct timespec pause = { 0, (2000000 + rand() % 6000000) / g.nthreads };

		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9;
		if (secs >= seconds)
			g.stop = true;
		if (g.nl->failed && !g.stop)
			fail(&g.thr[0], "%s", g.nl->msg);
		for (i = ndone = 0; i < g.nthreads; i++)
			ndone += g.thr[i].done;
		if (ndone == g.nthreads)
			break;
		if (secs > seconds + 60) {
			print_rings();
			ASSERT_TRUE(false) TH_LOG("RS_SEED=%#llx: threads still busy 60 s after the end",
						  (unsigned long long)g.seed);
		}
		pthread_kill(g.thr[rand() % g.nthreads].tid, SIGUSR1);
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < g.nthreads; i++)
		pthread_join(g.thr[i].tid, NULL);
	tick = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &tick, NULL);
	g.nl->stop = 1;
	while (waitpid(nl_pid, &status, 0) < 0 && errno == EINTR)
		;
	if (g.nl->failed)
		fail(&g.thr[0], "%s", g.nl->msg);
	for (i = 0; i < NOBJ; i++)
		if (g.obj[i].open)
			close(g.obj[i].fd);
	munmap(ARENA, ARENA_SIZE);
	munmap(RUNS, NRUN * RUN_SLOT);

	TH_LOG("%lu calls in %.1f s (%.0f/s) on %d threads, %lu forked children",
	       SUM(n), secs, SUM(n) / secs, g.nthreads, SUM(forks));
	for (i = 0; i < C_NR; i++)
		TH_LOG("  %-22s %8lu calls, %8lu succeeded", calls[i].name,
		       SUM(count[i]), SUM(ok[i]));
	TH_LOG("RS_RUN: %lu calls, %lu returned an exit, %lu EINTR, %lu ran alone (checked strictly); exits:",
	       SUM(runs), SUM(run_exits), SUM(eintr), SUM(alone));
	for (i = RS_EXIT_IO; i <= RS_EXIT_DEBUG; i++)
		TH_LOG("  %-14s %lu", rs_exit_reason_str(i), SUM(exits[i]));
	TH_LOG("  (of the internal errors, %lu unhandled exits)", SUM(unhandled));
	TH_LOG("netlink child: %lu requests, %lu messages, %lu sampled exits; the module counted %lu exits",
	       g.nl->requests, g.nl->msgs, g.nl->events, g.nl->exits);
	if (g.failures) {
		print_rings();
		TH_LOG("%d failures, the first: %s", g.failures, g.fail_msg);
	}
	EXPECT_EQ(0, g.failures) TH_LOG("RS_SEED=%#llx", (unsigned long long)g.seed);

	/* Debug kernels: no object of ringside's may be left unreferenced. */
	log = rs_kmemleak_present() ? rs_kmemleak_scan() : NULL;
	splat = log ? strstr(log, "ringside") : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("RS_SEED=%#llx: kmemleak:\n%.2000s", (unsigned long long)g.seed, log);
	free(log);
	log = rs_kmsg_read(kmsg);
	splat = log ? rs_kmsg_find_splat(log, &len) : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("RS_SEED=%#llx: kernel log: %.*s",
				      (unsigned long long)g.seed, (int)len, splat);
	free(log);
	close(kmsg);
	EXPECT_EQ(tainted, rs_kernel_tainted());
}

/* The harness's timeout must cover RS_FUZZ_SECONDS. */
static void __attribute__((constructor)) fuzz_timeout(void)
{
	const char *env = getenv("RS_FUZZ_SECONDS");

	_iface_fuzz_object.timeout = (env ? atoi(env) : DEFAULT_SECONDS) + 180;
}

TEST_HARNESS_MAIN
