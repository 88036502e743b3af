// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile user: random and boundary values through RS_SET_SREGS,
 * RS_SET_REGS, RS_SET_MSRS and RS_INJECT_EVENT, over random guest memory,
 * then RS_RUN.  Each call answers success or a clear errno, each run ends
 * in a known exit reason or a clear errno, an entry the hardware refuses
 * leaves the state user space set untouched, and the host's log holds no
 * warning, BUG, lockup or stall and its taint does not change.
 *
 * Seeded: RS_SEED=n in the environment replays a run (the seed is logged;
 * a fixed default, RS_SEED=random draws one); RS_FUZZ_SECONDS bounds it
 * (default 15), as do 2000 iterations (250 on VMX); RS_FUZZ_VERBOSE=n
 * numbers the iterations and logs each state from iteration n on.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rs_fuzz.h"
#include "rs_sys.h"
#include "rs_test.h"
#include "rs_util.h"

#define RAM_SIZE	(2ULL << 20)
#define NR_VCPUS	2
#define MAX_ITERS	2000
#define RUNS_PER_ITER	16

/* What the vCPU held when the last RS_RUN began. */
static struct rs_sregs set_s;
static struct rs_regs set_r;

static void set_msrs(struct __test_metadata *_metadata, struct rs_vcpu *vcpu)
{
	struct rs_msr_entry e[4];
	struct rs_msrs m = { .entries = (uint64_t)e };
	int r;

	m.nmsrs = rs_fuzz_msrs(e, 4);
	r = ioctl(vcpu->fd, RS_SET_MSRS, &m);
	EXPECT_TRUE(r >= 0 && r <= (int)m.nmsrs)
		TH_LOG("RS_SET_MSRS: %d (%s)", r, r < 0 ? strerror(errno) : "");
}

static void inject(struct __test_metadata *_metadata, struct rs_vcpu *vcpu)
{
	struct rs_event ev;

	rs_fuzz_event(&ev);
	if (ioctl(vcpu->fd, RS_INJECT_EVENT, &ev))
		EXPECT_TRUE(errno == EINVAL || errno == EBUSY)
			TH_LOG("RS_INJECT_EVENT: %s", strerror(errno));
}

static void on_alarm(int sig)
{
}

/* The state that was set before an entry the hardware refused. */
static void log_state(struct __test_metadata *_metadata, struct rs_vcpu *vcpu)
{
	static unsigned int logged;
	struct rs_run *run = vcpu->run;
	struct rs_sregs s = set_s;
	struct rs_regs r = set_r;

	if (logged++ >= 3 && !getenv("RS_FUZZ_VERBOSE"))
		return;
	TH_LOG("fail_entry %#llx/%#llx",
	       (unsigned long long)run->fail_entry.hardware_reason,
	       (unsigned long long)run->fail_entry.qualification);
	TH_LOG("  cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx rip %#llx rflags %#llx",
	       (unsigned long long)s.cr0, (unsigned long long)s.cr3,
	       (unsigned long long)s.cr4, (unsigned long long)s.efer,
	       (unsigned long long)r.rip, (unsigned long long)r.rflags);
	TH_LOG("  cs %#x/%#llx/%#x/%#x ss %#x/%#llx/%#x/%#x tr %#x/%#llx/%#x/%#x ldt %#x/%#x gdt %#llx/%#x idt %#llx/%#x",
	       s.cs.selector, (unsigned long long)s.cs.base, s.cs.limit, s.cs.attr,
	       s.ss.selector, (unsigned long long)s.ss.base, s.ss.limit, s.ss.attr,
	       s.tr.selector, (unsigned long long)s.tr.base, s.tr.limit, s.tr.attr,
	       s.ldt.selector, s.ldt.attr, (unsigned long long)s.gdt.base,
	       s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);
	TH_LOG("  ds %#x/%#x es %#x/%#x fs %#x/%#x gs %#x/%#x",
	       s.ds.selector, s.ds.attr, s.es.selector, s.es.attr,
	       s.fs.selector, s.fs.attr, s.gs.selector, s.gs.attr);
}

static size_t diff_at(const void *a, const void *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && ((const char *)a)[i] == ((const char *)b)[i]; i++)
		;
	return i;
}

/* Run until the guest needs something we won't give, or a signal. */
static void run(struct __test_metadata *_metadata, struct rs_vcpu *vcpu,
		unsigned long *reasons)
{
	unsigned int i;

	for (i = 0; i < RUNS_PER_ITER; i++) {
		struct rs_run *run = vcpu->run;
		bool completes;
		uint32_t reason;
		int r;

		/* RS_RUN first finishes an IN, an MMIO read or a hypercall. */
		completes = (run->exit_reason == RS_EXIT_IO &&
			     run->io.direction == RS_IO_IN) ||
			    (run->exit_reason == RS_EXIT_MMIO && !run->mmio.is_write) ||
			    run->exit_reason == RS_EXIT_HYPERCALL;
		rs_vcpu_sregs_get(vcpu, &set_s);
		rs_vcpu_regs_get(vcpu, &set_r);
		r = ioctl(vcpu->fd, RS_RUN, 0);
		reason = vcpu->run->exit_reason;

		if (r) {
			EXPECT_TRUE(errno == EINTR || errno == EFAULT ||
				    errno == EIO || errno == ENOMEM)
				TH_LOG("RS_RUN: %s", strerror(errno));
			return;
		}
		EXPECT_TRUE(reason >= RS_EXIT_IO && reason <= RS_EXIT_INTERNAL_ERROR)
			TH_LOG("exit reason %u", reason);
		if (reason < 16)
			reasons[reason]++;
		/*
		 * An entry the hardware refused ran nothing: the vCPU holds
		 * exactly what user space set (SVM's save area is undefined
		 * after VMEXIT_INVALID; QEMU fills it with the host's state).
		 */
		if (reason == RS_EXIT_FAIL_ENTRY && !completes) {
			struct rs_sregs s;
			struct rs_regs r;

			rs_vcpu_sregs_get(vcpu, &s);
			rs_vcpu_regs_get(vcpu, &r);
			log_state(_metadata, vcpu);
			EXPECT_EQ(0, memcmp(&s, &set_s, sizeof(s)))
				TH_LOG("sregs differ at byte %zu", diff_at(&s, &set_s, sizeof(s)));
			EXPECT_EQ(0, memcmp(&r, &set_r, sizeof(r)))
				TH_LOG("regs differ at byte %zu", diff_at(&r, &set_r, sizeof(r)));
		}
		if (reason == RS_EXIT_SHUTDOWN || reason == RS_EXIT_FAIL_ENTRY ||
		    reason == RS_EXIT_INTERNAL_ERROR)
			return;
	}
}

TEST(random_states_run)
{
	unsigned long tainted, reasons[16] = { 0 }, einval = 0, iters, max_iters;
	struct itimerval tick = { { 0, 50000 }, { 0, 50000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	sigset_t alrm;
	struct rs_vcpu *vcpu[NR_VCPUS];
	const char *env, *splat, *verbose;
	uint64_t seed, *ram;
	struct rs_vm *vm = NULL;
	time_t deadline;
	size_t len, i;
	char *log;
	int kmsg;

	RS_REQUIRE_VM();
	/*
	 * A fixed seed by default, so that make check is reproducible (this
	 * one fails two entries in the SVM test VM); RS_SEED=random for a new
	 * one.  QEMU 7.2's TCG itself crashes or
	 * hangs on some states (RS_SEED=1 near iteration 1840).
	 */
	seed = rs_fuzz_env_seed(0x422c5810f4adc0bfULL);
	rs_rng_seed(seed);
	verbose = getenv("RS_FUZZ_VERBOSE");
	env = getenv("RS_FUZZ_SECONDS");
	deadline = time(NULL) + (env ? atoi(env) : 15);
	/* Bochs runs the VMX test VM at a tenth of QEMU's pace. */
	max_iters = rs_check_cap(RS_CAP_VMX) ? MAX_ITERS / 8 : MAX_ITERS;
	TH_LOG("RS_SEED=%#llx", (unsigned long long)seed);

	tainted = rs_kernel_tainted();
	kmsg = rs_kmsg_open();
	ASSERT_LE(0, kmsg);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &tick, NULL));

	for (iters = 0; iters < max_iters && time(NULL) < deadline; iters++) {
		struct rs_vcpu *v;
		struct rs_sregs s;
		struct rs_regs r;

		/*
		 * A fresh VM now and then: creation and teardown too, with
		 * the timer's signal held off (creation may answer EINTR).
		 */
		if (!(iters % 50)) {
			sigprocmask(SIG_BLOCK, &alrm, NULL);
			if (vm)
				rs_vm_free(vm);
			vm = rs_vm_create_bare();
			ram = rs_vm_add_region(vm, 0, 0, 0, RAM_SIZE);
			for (i = 0; i < RAM_SIZE / 8; i++)
				ram[i] = rs_rnd();
			for (i = 0; i < NR_VCPUS; i++)
				vcpu[i] = rs_vcpu_create_bare(vm, i);
			sigprocmask(SIG_UNBLOCK, &alrm, NULL);
		}
		v = vcpu[rs_rnd() % NR_VCPUS];

		rs_vcpu_sregs_get(v, &s);
		rs_fuzz_mutate_sregs(&s, RAM_SIZE);
		if (ioctl(v->fd, RS_SET_SREGS, &s)) {
			EXPECT_EQ(EINVAL, errno) TH_LOG("RS_SET_SREGS: %s", strerror(errno));
			einval++;
		}
		rs_vcpu_regs_get(v, &r);
		rs_fuzz_mutate_regs(&r, RAM_SIZE);
		if (ioctl(v->fd, RS_SET_REGS, &r)) {
			EXPECT_EQ(EINVAL, errno) TH_LOG("RS_SET_REGS: %s", strerror(errno));
			einval++;
		}
		if (rs_rnd() & 1)
			set_msrs(_metadata, v);
		if (!(rs_rnd() % 4))
			inject(_metadata, v);
		if (verbose) {
			rs_vcpu_sregs_get(v, &set_s);
			rs_vcpu_regs_get(v, &set_r);
			fprintf(stderr, "iteration %lu vcpu %u\n", iters, v->id);
			if (iters >= strtoul(verbose, NULL, 0))
				log_state(_metadata, v);
		}
		run(_metadata, v, reasons);
		if (!_metadata->passed) {
			TH_LOG("RS_SEED=%#llx, iteration %lu", (unsigned long long)seed, iters);
			break;
		}
	}
	tick = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &tick, NULL);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	rs_vm_free(vm);

	TH_LOG("%lu iterations, %lu refused; exits: io %lu mmio %lu hlt %lu shutdown %lu fail_entry %lu internal %lu",
	       iters, einval, reasons[RS_EXIT_IO], reasons[RS_EXIT_MMIO],
	       reasons[RS_EXIT_HLT], reasons[RS_EXIT_SHUTDOWN],
	       reasons[RS_EXIT_FAIL_ENTRY], reasons[RS_EXIT_INTERNAL_ERROR]);
	log = rs_kmsg_read(kmsg);
	splat = log ? rs_kmsg_find_splat(log, &len) : NULL;
	EXPECT_EQ(NULL, splat) TH_LOG("RS_SEED=%#llx: kernel log: %.*s",
				      (unsigned long long)seed, (int)len, splat);
	free(log);
	close(kmsg);
	EXPECT_EQ(tainted, rs_kernel_tainted());
}

TEST_HARNESS_MAIN
