// SPDX-License-Identifier: GPL-2.0
/*
 * ringside launcher: a vCPU thread.  It runs RS_RUN in a loop and hands
 * each exit to a handler named after it (exit_handlers[], indexed by the
 * RS_EXIT_* reason), the way the module dispatches hardware exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gdbstub.h"
#include "irq.h"
#include "lapic.h"
#include "hv.h"
#include "route.h"
#include "util.h"
#include "vm.h"

#define X86_RFLAGS_IF	(1ULL << 9)

/* An exit handler returns 0 to enter the guest again, -1 to end the loop. */
typedef int (*exit_handler_t)(struct vcpu *vcpu);

void vcpu_wake(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	vcpu->woken = true;
	pthread_cond_broadcast(&vm->wake);
	pthread_mutex_unlock(&vm->lock);
}

/* vm->lock held: wait out a vm_pause(), counted as parked meanwhile. */
static void vcpu_park_locked(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!vcpu_held(vcpu) || vm->stopping)
		return;
	vcpu->parked = true;
	pthread_cond_broadcast(&vm->parked_cond);
	while (vcpu_held(vcpu) && !vm->stopping)
		pthread_cond_wait(&vm->wake, &vm->lock);
	vcpu->parked = false;
}

static void vcpu_park(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->vm->lock);
	vcpu_park_locked(vcpu);
	pthread_mutex_unlock(&vcpu->vm->lock);
}

/*
 * A vCPU waiting here (halted, or for its SIPI) has no exit left to carry
 * out: it parks where it is, and its caller looks at what it waits for
 * again.
 */
void vcpu_wait(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	while (!vm->stopping && !vcpu->woken && !vcpu_held(vcpu))
		pthread_cond_wait(&vm->wake, &vm->lock);
	vcpu->woken = false;
	vcpu_park_locked(vcpu);
	pthread_mutex_unlock(&vm->lock);
}

static void dump_segment(const char *name, const struct rs_segment *s)
{
	fprintf(stderr, "  %-3s sel=%04x base=%016llx limit=%08x attr=%04x\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->attr);
}

void vcpu_dump(struct vcpu *vcpu)
{
	struct rs_sregs sr;
	struct rs_regs r;

	if (hv_ioctl(vcpu->fd, RS_GET_REGS, &r) < 0) {
		pr_perror("vCPU %u: RS_GET_REGS", vcpu->id);
		return;
	}
	fprintf(stderr,
		"  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
		"  rsi=%016llx rdi=%016llx rsp=%016llx rbp=%016llx\n"
		"  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n"
		"  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n"
		"  rip=%016llx rflags=%016llx\n",
		r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
		r.rip, r.rflags);

	if (hv_ioctl(vcpu->fd, RS_GET_SREGS, &sr) < 0) {
		pr_perror("vCPU %u: RS_GET_SREGS", vcpu->id);
		return;
	}
	dump_segment("cs", &sr.cs);
	dump_segment("ds", &sr.ds);
	dump_segment("es", &sr.es);
	dump_segment("fs", &sr.fs);
	dump_segment("gs", &sr.gs);
	dump_segment("ss", &sr.ss);
	dump_segment("tr", &sr.tr);
	dump_segment("ldt", &sr.ldt);
	fprintf(stderr,
		"  gdt base=%016llx limit=%04x  idt base=%016llx limit=%04x\n"
		"  cr0=%016llx cr2=%016llx cr3=%016llx\n"
		"  cr4=%016llx cr8=%016llx efer=%016llx\n",
		sr.gdt.base, sr.gdt.limit, sr.idt.base, sr.idt.limit,
		sr.cr0, sr.cr2, sr.cr3, sr.cr4, sr.cr8, sr.efer);
}

/* Something the launcher cannot go on from: say it, dump, status 6. */
static int vcpu_fail(struct vcpu *vcpu)
{
	vcpu_dump(vcpu);
	vm_request_stop(vcpu->vm, STATUS_HV_FAILURE);
	return -1;
}

/*
 * Port I/O: count items of size bytes at data_offset in the run page, all
 * to the same port (a REP INS/OUTS string is several items).
 */
static int handle_io(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	unsigned int size = run->io.size, i;
	uint64_t bytes = (uint64_t)run->io.count * size;
	uint8_t *data;

	if ((size != 1 && size != 2 && size != 4) ||
	    run->io.data_offset > vcpu->vm->run_size ||
	    bytes > vcpu->vm->run_size - run->io.data_offset) {
		pr_err("vCPU %u: bad I/O exit: port %#x size %u count %u "
		       "offset %#llx", vcpu->id, run->io.port, size,
		       run->io.count, (unsigned long long)run->io.data_offset);
		return vcpu_fail(vcpu);
	}
	data = (uint8_t *)run + run->io.data_offset;
	for (i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == RS_IO_OUT)
			iobus_write(&vcpu->vm->pio, run->io.port, size, data);
		else
			iobus_read(&vcpu->vm->pio, run->io.port, size, data);
	}
	return 0;
}

/* MMIO: reads are answered in mmio.data before the next RS_RUN. */
static int handle_mmio(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	unsigned int len = run->mmio.len;

	if (len < 1 || len > sizeof(run->mmio.data)) {
		pr_err("vCPU %u: bad MMIO exit: %#llx len %u", vcpu->id,
		       (unsigned long long)run->mmio.phys_addr, len);
		return vcpu_fail(vcpu);
	}
	if (run->mmio.is_write)
		iobus_write(&vcpu->vm->mmio, run->mmio.phys_addr, len,
			    run->mmio.data);
	else
		iobus_read(&vcpu->vm->mmio, run->mmio.phys_addr, len,
			   run->mmio.data);
	return 0;
}

/*
 * HLT: the vCPU sleeps until an interrupt it can take arrives (the
 * controllers kick it), as a CPU does; a HLT does not power off.  With IF
 * clear only an NMI or INIT would wake it, which a guest's other CPUs do
 * not send to one they stopped: it idles until the run ends (power off,
 * reset, debug exit, a signal).  When that is the boot processor, the
 * guest has stopped (Linux's "halt", or a panic): say so once.  gdb
 * stepping it blocks interrupts, which would never come: the next RS_RUN
 * ends the step past the HLT, as if one had.
 */
static int handle_hlt(struct vcpu *vcpu)
{
	struct rs_regs regs;

	if (vcpu->gdb_step)
		return 0;

	if (!vcpu->run->if_flag && vcpu->id != 0) {
		while (!vm_stopping(vcpu->vm))
			vcpu_wait(vcpu);
		return 0;
	}
	if (!vcpu->run->if_flag) {
		if (hv_ioctl(vcpu->fd, RS_GET_REGS, &regs) < 0) {
			pr_perror("vCPU %u: RS_GET_REGS", vcpu->id);
			vm_request_stop(vcpu->vm, STATUS_HV_FAILURE);
			return -1;
		}
		if (!vcpu->told_halted)
			pr_err("vCPU %u halted with interrupts disabled at rip "
			       "%#llx: the guest has stopped (Ctrl-A x or a "
			       "signal ends the run)", vcpu->id,
			       (unsigned long long)regs.rip);
		vcpu->told_halted = true;
		while (!vm_stopping(vcpu->vm))
			vcpu_wait(vcpu);
		return 0;
	}
	while (!vm_stopping(vcpu->vm) && !irq_pending(vcpu))
		vcpu_wait(vcpu);
	return 0;
}

/* The module's APIC EOIed a level-triggered vector: the I/O APIC hears it. */
static int handle_eoi(struct vcpu *vcpu)
{
	irq_eoi(vcpu->vm, vcpu->run->eoi.vector);
	return 0;
}

static int handle_shutdown(struct vcpu *vcpu)
{
	pr_err("vCPU %u: triple fault: the guest crashed", vcpu->id);
	vcpu_dump(vcpu);
	vm_request_stop(vcpu->vm, STATUS_GUEST_CRASH);
	return -1;
}

/* The guest can take an interrupt: the loop injects it before RS_RUN. */
static int handle_irq_window(struct vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}

/* No hypercalls are defined: answer the guest "no such call", all ones. */
static int handle_hypercall(struct vcpu *vcpu)
{
	vcpu->run->hypercall.ret = ~0ULL;
	return 0;
}

/* A signal or immediate_exit: the loop checks whether the run is ending. */
static int handle_intr(struct vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}

static int handle_fail_entry(struct vcpu *vcpu)
{
	pr_err("vCPU %u: the hardware refused to enter the guest: reason "
	       "%#llx qualification %#llx", vcpu->id,
	       (unsigned long long)vcpu->run->fail_entry.hardware_reason,
	       (unsigned long long)vcpu->run->fail_entry.qualification);
	return vcpu_fail(vcpu);
}

static const char *internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case RS_INTERNAL_UNHANDLED_EXIT:
		return "unhandled exit";
	case RS_INTERNAL_EMULATION:
		return "an access ringside cannot decode";
	case RS_INTERNAL_LOST_STATE:
		return "the processor's exit lost the guest's state (an emulator defect)";
	case RS_INTERNAL_DELIVERY:
		return "an interrupt or exception met no RAM in its delivery";
	}
	return "unknown";
}

static int handle_internal_error(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	uint32_t i, n = MIN(run->internal.ndata, ARRAY_SIZE(run->internal.data));

	pr_err("vCPU %u: internal error %u (%s)", vcpu->id,
	       run->internal.suberror, internal_error_name(run->internal.suberror));
	if (run->internal.suberror == RS_INTERNAL_EMULATION && n == 5 &&
	    run->internal.data[4] <= 16) {
		const uint8_t *b = (const uint8_t *)&run->internal.data[2];

		fprintf(stderr, "  at guest-physical %#llx, rip %#llx; instruction:",
			(unsigned long long)run->internal.data[0],
			(unsigned long long)run->internal.data[1]);
		for (i = 0; i < run->internal.data[4]; i++)
			fprintf(stderr, " %02x", b[i]);
		fputc('\n', stderr);
		return vcpu_fail(vcpu);
	}
	if (run->internal.suberror == RS_INTERNAL_DELIVERY && n == 3) {
		pr_err("  at guest-physical %#llx, rip %#llx: vector %llu, type %llu%s",
		       (unsigned long long)run->internal.data[0],
		       (unsigned long long)run->internal.data[2],
		       (unsigned long long)run->internal.data[1] & 0xff,
		       (unsigned long long)(run->internal.data[1] >> 8) & 7,
		       run->internal.data[1] & (1U << 11) ? ", with an error code" : "");
		return vcpu_fail(vcpu);
	}
	for (i = 0; i < n; i++)
		fprintf(stderr, "  data[%u]=%#llx\n", i,
			(unsigned long long)run->internal.data[i]);
	return vcpu_fail(vcpu);
}

/*
 * A routed #BP may be an INT3 of gdb's (gdbstub.c), which the stub
 * answers; the rest is --route's (route.c).
 */
static int handle_routed_event(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	int r;

	if (vcpu->vm->gdb && run->routed.event == RS_ROUTED_EXCEPTION &&
	    run->routed.index == 3) {
		r = gdbstub_routed_bp(vcpu->vm->gdb, vcpu);
		if (r < 0)
			return vcpu_fail(vcpu);
		if (r)
			return 0;
	}
	return handle_routed(vcpu);
}

/* RS_SET_GUEST_DEBUG's step or breakpoint: gdb's (gdbstub.c). */
static int handle_debug(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;

	if (vcpu->vm->gdb) {
		gdbstub_debug_exit(vcpu->vm->gdb, vcpu->id, run->debug.dr6);
		return 0;
	}
	pr_err("vCPU %u: a debug exit without a debugger: DR6 %#llx at %#llx",
	       vcpu->id, (unsigned long long)run->debug.dr6,
	       (unsigned long long)run->debug.pc);
	return vcpu_fail(vcpu);
}

static const exit_handler_t exit_handlers[] = {
	[RS_EXIT_IO]		 = handle_io,
	[RS_EXIT_MMIO]		 = handle_mmio,
	[RS_EXIT_HLT]		 = handle_hlt,
	[RS_EXIT_SHUTDOWN]	 = handle_shutdown,
	[RS_EXIT_IRQ_WINDOW]	 = handle_irq_window,
	[RS_EXIT_HYPERCALL]	 = handle_hypercall,
	[RS_EXIT_INTR]		 = handle_intr,
	[RS_EXIT_FAIL_ENTRY]	 = handle_fail_entry,
	[RS_EXIT_INTERNAL_ERROR] = handle_internal_error,
	[RS_EXIT_EOI]		 = handle_eoi,
	[RS_EXIT_ROUTED]	 = handle_routed_event,
	[RS_EXIT_DEBUG]		 = handle_debug,
};

static int vcpu_handle_exit(struct vcpu *vcpu)
{
	uint32_t reason = vcpu->run->exit_reason;

	if (reason < ARRAY_SIZE(exit_handlers) && exit_handlers[reason])
		return exit_handlers[reason](vcpu);
	pr_err("vCPU %u: unknown exit reason %u", vcpu->id, reason);
	return vcpu_fail(vcpu);
}

static int inject_extint(struct vcpu *vcpu, int vector)
{
	struct rs_event ev = { .type = RS_EVENT_EXTINT, .vector = vector };

	if (hv_ioctl(vcpu->fd, RS_INJECT_EVENT, &ev) == 0)
		return 0;
	pr_perror("vCPU %u: RS_INJECT_EVENT vector %d", vcpu->id, vector);
	return -1;
}

/*
 * Before each RS_RUN: an interrupt for this vCPU is acknowledged and
 * injected if the guest can take it now (the module delivers it at
 * entry), otherwise the module is asked to come back as soon as it can
 * (RS_EXIT_IRQ_WINDOW).  ready_for_interrupt is what the last RS_RUN said;
 * after an injection another one has to wait for the next window.
 */
static int vcpu_prepare_interrupts(struct vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;
	struct rs_event nmi = { .type = RS_EVENT_NMI, .vector = 2 };
	int vector;

	/* gdb steps it (BLOCK_IRQ): they wait, and no window is asked for. */
	if (vcpu->gdb_step) {
		run->request_interrupt_window = 0;
		return 0;
	}
	/* An NMI while one is queued merges with it, as on a CPU. */
	if (irq_take_nmi(vcpu) && hv_ioctl(vcpu->fd, RS_INJECT_EVENT, &nmi) < 0 &&
	    errno != EBUSY) {
		pr_perror("vCPU %u: RS_INJECT_EVENT NMI", vcpu->id);
		return -1;
	}
	run->request_interrupt_window = 0;
	if (!irq_pending(vcpu))
		return 0;
	if (!run->ready_for_interrupt) {
		run->request_interrupt_window = 1;
		return 0;
	}
	vector = irq_ack(vcpu);
	if (vector >= 0) {
		if (inject_extint(vcpu, vector) < 0)
			return -1;
		run->ready_for_interrupt = 0;
	}
	/* More waiting: come back when the guest can take the next. */
	run->request_interrupt_window = irq_pending(vcpu);
	return 0;
}

int vcpu_settle(struct vcpu *vcpu)
{
	for (;;) {
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (hv_ioctl(vcpu->fd, RS_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				return 0;
			pr_perror("vCPU %u: RS_RUN", vcpu->id);
			vm_request_stop(vcpu->vm, STATUS_HV_FAILURE);
			return -1;
		}
		/* Carrying it out made another exit (an MMIO store's). */
		if (vcpu_handle_exit(vcpu) < 0)
			return -1;
	}
}

static void vcpu_run_loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct rs_run *run = vcpu->run;

	while (!vm_stopping(vm)) {
		/* See vcpu_kick(): clear, then look, then enter. */
		__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (vm_stopping(vm))
			break;
		/*
		 * vm_pause(): what a debugger reads must be the state after
		 * the last exit, not before the module carried it out.
		 */
		if (vcpu_held(vcpu)) {
			if (vcpu_settle(vcpu) < 0)
				return;
			vcpu_park(vcpu);
			continue;
		}
		if (vcpu_prepare_interrupts(vcpu) < 0) {
			vcpu_fail(vcpu);
			return;
		}
		__atomic_store_n(&vcpu->in_run, 1, __ATOMIC_SEQ_CST);
		if (hv_ioctl(vcpu->fd, RS_RUN, 0) < 0) {
			__atomic_store_n(&vcpu->in_run, 0, __ATOMIC_SEQ_CST);
			if (errno == EINTR || errno == EAGAIN)
				continue;
			pr_perror("vCPU %u: RS_RUN", vcpu->id);
			vm_request_stop(vm, STATUS_HV_FAILURE);
			return;
		}
		__atomic_store_n(&vcpu->in_run, 0, __ATOMIC_SEQ_CST);
		if (vcpu_handle_exit(vcpu) < 0)
			return;
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	lapic_set_self(vcpu);

	/*
	 * Only the boot processor starts at the kernel's entry.  The others
	 * wait for INIT and SIPI from the boot processor's local APIC, then
	 * start in real mode at the SIPI's vector << 12 (SDM vol. 3A, 8.4.4):
	 * here with the launcher's APIC; with the module's, inside RS_RUN,
	 * which returns only for a kick until then.
	 */
	if (vcpu->id != 0 && vcpu->lapic) {
		int vector = lapic_wait_sipi(vcpu);

		if (vector < 0)
			return NULL;
		if (vcpu_enter_sipi(vcpu, vector) < 0) {
			vm_request_stop(vcpu->vm, STATUS_HV_FAILURE);
			return NULL;
		}
	}
	vcpu_run_loop(vcpu);
	return NULL;
}
