// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: "run --gdb PORT" (gdbstub.h).  The gdb stub
 * (gdbstub.c) on a TCP port of 127.0.0.1, one connection at a time for
 * the whole run, driving the launcher's vCPU threads: vm_pause() and
 * vm_resume() stop and start them, the register ioctls read and write
 * them while they wait, RS_SET_GUEST_DEBUG steps them and sets their
 * debug registers.  And the vCPU threads' side of software breakpoints: a
 * routed #BP at one of the stub's INT3s stops the VM.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdbstub.h"
#include "gva.h"
#include "hv.h"
#include "util.h"
#include "vm.h"

#define GDB_SIGTRAP	5
#define X86_RFLAGS_TF	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* The listener and its stub. */
struct gdb_server {
	struct vm *vm;
	struct gdbstub *g;
	int listen_fd;
	pthread_t thread;
};

static void vm_target_pause(void *t)
{
	vm_pause(t);
}

static void vm_target_wait_paused(void *t)
{
	vm_pause_wait(t);
}

static void vm_target_resume(void *t)
{
	vm_resume(t);
}

static void vm_target_resume_one(void *t, unsigned int cpu)
{
	vm_resume_one(t, cpu);
}

/* 'k' ends the run as Ctrl-A x does: status 0. */
static void vm_target_kill(void *t)
{
	vm_request_stop(t, STATUS_POWEROFF);
}

static int vm_target_get_state(void *t, unsigned int cpu,
			       struct gdb_cpu_state *s)
{
	struct vcpu *vcpu = &((struct vm *)t)->vcpus[cpu];

	if (hv_ioctl(vcpu->fd, RS_GET_REGS, &s->regs) < 0 ||
	    hv_ioctl(vcpu->fd, RS_GET_SREGS, &s->sregs) < 0) {
		pr_perror("gdb: vCPU %u: RS_GET_REGS/SREGS", cpu);
		return -1;
	}
	s->have_fpu = hv_ioctl(vcpu->fd, RS_GET_FPU, &s->fpu) == 0;
	return 0;
}

static int vm_target_set(void *t, unsigned int cpu, unsigned long request,
			 const void *arg, const char *name)
{
	struct vcpu *vcpu = &((struct vm *)t)->vcpus[cpu];

	if (hv_ioctl(vcpu->fd, request, arg) == 0)
		return 0;
	/* Not pr_perror: gdb asked for it, and hears E16. */
	fprintf(stderr, "ringside: gdb: vCPU %u: %s: %s\n", cpu, name,
		strerror(errno));
	return -1;
}

static int vm_target_set_regs(void *t, unsigned int cpu,
			      const struct rs_regs *r)
{
	return vm_target_set(t, cpu, RS_SET_REGS, r, "RS_SET_REGS");
}

static int vm_target_set_sregs(void *t, unsigned int cpu,
			       const struct rs_sregs *s)
{
	return vm_target_set(t, cpu, RS_SET_SREGS, s, "RS_SET_SREGS");
}

static int vm_target_set_fpu(void *t, unsigned int cpu,
			     const struct rs_fpu *f)
{
	return vm_target_set(t, cpu, RS_SET_FPU, f, "RS_SET_FPU");
}

/* The vCPU's thread is paused: it reads gdb_step when it goes on. */
static int vm_target_set_debug(void *t, unsigned int cpu,
			       const struct rs_guest_debug *d)
{
	struct vcpu *vcpu = &((struct vm *)t)->vcpus[cpu];

	if (vm_target_set(t, cpu, RS_SET_GUEST_DEBUG, d,
			  "RS_SET_GUEST_DEBUG") < 0)
		return -1;
	vcpu->gdb_step = d->flags & RS_GUEST_DEBUG_SINGLESTEP;
	return 0;
}

static const struct gdb_target_ops vm_target = {
	.pause = vm_target_pause,
	.wait_paused = vm_target_wait_paused,
	.resume = vm_target_resume,
	.resume_one = vm_target_resume_one,
	.kill = vm_target_kill,
	.get_state = vm_target_get_state,
	.set_regs = vm_target_set_regs,
	.set_sregs = vm_target_set_sregs,
	.set_fpu = vm_target_set_fpu,
	.set_debug = vm_target_set_debug,
};

static void *listener(void *arg)
{
	struct gdb_server *s = arg;
	struct pollfd p[2] = {
		{ .fd = s->listen_fd, .events = POLLIN },
		{ .fd = gdbstub_end_fd(s->g), .events = POLLIN },
	};
	int fd, one = 1;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_perror("gdb: poll");
			break;
		}
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		gdbstub_serve(s->g, fd);
		close(fd);
	}
	return NULL;
}

static int listen_on(struct gdb_server *s, int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int one = 1;

	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0) {
		pr_perror("--gdb: socket");
		return -1;
	}
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s->listen_fd, 1) < 0 ||
	    getsockname(s->listen_fd, (struct sockaddr *)&sin, &len) < 0) {
		pr_perror("--gdb %d: 127.0.0.1:%d", port, port);
		return -1;
	}
	return ntohs(sin.sin_port);
}

static void server_free(struct gdb_server *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	gdbstub_free(s->g);
	free(s);
}

/*
 * Single-step and hardware breakpoints are the module's: gdb steps over
 * every breakpoint it continues from, so without them there is little to
 * do.
 */
static int check_guest_debug(struct vm *vm)
{
	const int need = RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_HW_BP |
			 RS_GUEST_DEBUG_BLOCK_IRQ;
	int cap = hv_ioctl(vm->dev_fd, RS_CHECK_CAPABILITY, RS_CAP_GUEST_DEBUG);

	if (cap < 0) {
		pr_perror("RS_CHECK_CAPABILITY(GUEST_DEBUG)");
		return -1;
	}
	if ((cap & need) != need) {
		pr_err("--gdb: the ringside module cannot single-step a guest or "
		       "set its debug registers (RS_CAP_GUEST_DEBUG is %#x, "
		       "not %#x: a module older than the launcher?)", cap, need);
		return -1;
	}
	return 0;
}

int gdbstub_start(struct vm *vm, const struct gdbstub_options *o,
		  struct gdb_server **sp)
{
	struct gdb_server *s;
	sigset_t all, old;
	int port, err;

	if (check_guest_debug(vm) < 0)
		return STATUS_HV_FAILURE;
	s = calloc(1, sizeof(*s));
	if (!s) {
		pr_perror("--gdb");
		return STATUS_HV_FAILURE;
	}
	s->vm = vm;
	s->listen_fd = -1;
	s->g = gdbstub_create(vm, vm->nr_vcpus, &vm_target, vm, o->layout);
	if (!s->g) {
		pr_perror("--gdb");
		server_free(s);
		return STATUS_HV_FAILURE;
	}
	port = listen_on(s, o->port);
	if (port < 0) {
		server_free(s);
		return STATUS_USAGE;
	}
	/* Before the vCPU threads: they ask vm->gdb about every #BP. */
	vm->gdb = s->g;
	if (o->wait)
		vm_pause(vm);
	/* Signals are for the main thread and the vCPU threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, listener, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		pr_perror("--gdb: thread");
		vm->gdb = NULL;
		server_free(s);
		return STATUS_HV_FAILURE;
	}
	fprintf(stderr, "ringside: gdb: %s on 127.0.0.1:%d (gdb: target "
		"remote 127.0.0.1:%d)\n", o->wait ? "waiting" : "listening",
		port, port);
	*sp = s;
	return 0;
}

void gdbstub_stop(struct gdb_server *s, int status, int sig)
{
	if (!s)
		return;
	gdbstub_end(s->g, status, sig);
	pthread_join(s->thread, NULL);
	s->vm->gdb = NULL;
	server_free(s);
}

/*
 * Where the vCPU's INT3 was: CS.base + RIP, 32 bits wide outside 64-bit
 * code (SDM vol. 3A, 3.4.4: in 64-bit mode CS's base is 0).
 */
static uint64_t linear_pc(const struct rs_regs *r, const struct rs_sregs *s)
{
	if ((s->efer & EFER_LMA) && (s->cs.attr & RS_SEG_L))
		return r->rip;
	return (s->cs.base + r->rip) & 0xffffffff;
}

/*
 * RIP back onto the INT3, nothing delivered: answer "skip" (RIP past it),
 * let RS_RUN carry that out without entering the guest, and put RIP (and
 * a TF that the skip would have made a #DB trap of) back.
 */
static int bp_rewind(struct vcpu *vcpu, const struct rs_regs *at)
{
	struct rs_regs r = *at;

	if (at->rflags & X86_RFLAGS_TF) {
		r.rflags &= ~X86_RFLAGS_TF;
		if (hv_ioctl(vcpu->fd, RS_SET_REGS, &r) < 0)
			goto fail;
	}
	vcpu->run->routed.action = RS_ROUTE_SKIP;
	if (vcpu_settle(vcpu) < 0)
		return -1;
	if (hv_ioctl(vcpu->fd, RS_SET_REGS, at) < 0)
		goto fail;
	return 0;
fail:
	pr_perror("vCPU %u: RS_SET_REGS", vcpu->id);
	return -1;
}

int gdbstub_routed_bp(struct gdbstub *g, struct vcpu *vcpu)
{
	struct rs_sregs sregs;
	struct rs_regs regs;
	struct gva_mmu mmu;
	uint64_t gpa, size;
	int bp;

	/* Only a one-byte INT3 can be the stub's (not INT 3, CD 03). */
	if (vcpu->run->routed.insn_len != 1)
		return 0;
	if (hv_ioctl(vcpu->fd, RS_GET_REGS, &regs) < 0 ||
	    hv_ioctl(vcpu->fd, RS_GET_SREGS, &sregs) < 0) {
		pr_perror("vCPU %u: RS_GET_REGS/SREGS", vcpu->id);
		return -1;
	}
	gva_mmu_from_sregs(&mmu, &sregs);
	if (gva_translate(vcpu->vm, &mmu, linear_pc(&regs, &sregs), &gpa,
			  &size) < 0)
		return 0;
	/*
	 * -1: not there any more, gdb removed it between the INT3 and now
	 * (or another vCPU rewrote the code).  The instruction there runs.
	 */
	bp = gdbstub_bp_at(g, gpa);
	if (!bp)
		return 0;
	if (bp_rewind(vcpu, &regs) < 0)
		return -1;
	/*
	 * If the VM is stopping for something else, this breakpoint is hit
	 * again after it goes on: RIP is on it still.
	 */
	if (bp > 0)
		gdbstub_request_stop(g, vcpu->id, GDB_SIGTRAP, true);
	return 1;
}
