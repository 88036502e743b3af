// SPDX-License-Identifier: GPL-2.0
/*
 * Exit handling that is the same on both backends.
 *
 * Each backend has one table, indexed by the hardware's exit code, with one
 * row per exit (struct rs_exit_row): a handler and the name its statistics
 * are kept under.  Where an exit means the same on AMD and Intel, the row
 * points straight at a handler here or in cpuid.c, msr.c or cr.c, as KVM's
 * tables point at kvm_emulate_*(); a backend handler only decodes what its
 * hardware reports and calls the arch-neutral half below.
 *
 * The contract of every handler, int handle(struct rs_vcpu *vcpu):
 * - It returns 0 to enter the guest again, RS_EXIT_USER once vcpu->run
 *   says why user space must act (exit_reason and its union member), or a
 *   negative errno that ends RS_RUN.
 * - RIP: a handler that carries out the instruction that exited moves RIP
 *   past it with rs_skip_instruction(vcpu, len), len being the
 *   instruction's architectural length (the backend prefers the length
 *   its hardware reports, and clears an STI/MOV SS interrupt shadow).  A
 *   handler that raises a fault instead (rs_inject_gp(), rs_inject_ud())
 *   leaves RIP on the instruction, as the fault would.  An exit for an
 *   event (an interrupt, an NMI, a window) does not move RIP.
 * - Work user space finishes on the next RS_RUN is noted in vcpu->pending
 *   (rs_complete_user_exit()); the instruction was already skipped.
 * - The backend counted and traced the exit before calling it (stats.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>
#include <asm/processor-flags.h>

#include "rs.h"
#include "trace.h"

/*
 * Number the buckets of @t's rows: one per distinct name, after OTHER and
 * INVALID, in the order the names first appear.  At module load.
 */
int rs_exit_table_init(struct rs_exit_table *t)
{
	unsigned int code, i;

	t->names[RS_STAT_OTHER] = "OTHER";
	t->names[RS_STAT_INVALID] = "INVALID";
	t->nr_names = 2;
	for (code = 0; code < t->nr_rows; code++) {
		struct rs_exit_row *row = &t->rows[code];

		if (!row->handle)
			continue;
		for (i = 0; i < t->nr_names; i++)
			if (!strcmp(t->names[i], row->name))
				break;
		if (i == t->nr_names) {
			if (WARN_ON(i == RS_MAX_EXIT_STATS))
				return -E2BIG;
			t->names[t->nr_names++] = row->name;
		}
		row->stat = i;
	}
	return 0;
}

/*
 * A machine check while the guest ran is the host's: ringside intercepts
 * #MC, and its handler decides (it may kill the VM's owner or panic); the
 * guest never sees it.  The backend calls this with IRQs off right after
 * the exit, on a frame that says "user mode", as KVM's kvm_machine_check()
 * does: the guest's code was not the kernel's.
 */
void rs_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	lockdep_assert_irqs_disabled();
	do_machine_check(&regs);
#endif
}

/* Contributory exceptions (SDM vol. 3A, 6.15, table 6-4). */
#define RS_EXC_CONTRIBUTORY	(BIT(X86_TRAP_DE) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP))

/*
 * The exception @vector came while the CPU delivered the exception
 * @first: a double fault, a triple fault, or @vector alone (SDM vol. 3A,
 * 6.15 "Exception and Interrupt Reference", interrupt 8, tables 6-4 and
 * 6-5), as KVM's kvm_multiple_exception() decides.  A benign pair is
 * handled serially: @first's instruction runs again and raises it again.
 */
static int rs_exception_merge(struct rs_vcpu *vcpu, u8 first, u8 *vector)
{
	bool contributory = BIT(*vector) & RS_EXC_CONTRIBUTORY;

	if (first == X86_TRAP_DF && (contributory || *vector == X86_TRAP_PF)) {
		vcpu->run->exit_reason = RS_EXIT_SHUTDOWN;
		return RS_EXIT_USER;
	}
	if (((BIT(first) & RS_EXC_CONTRIBUTORY) && contributory) ||
	    (first == X86_TRAP_PF && (contributory || *vector == X86_TRAP_PF)))
		*vector = X86_TRAP_DF;
	return 0;
}

/*
 * An exception that exited goes on into the guest, as if nothing had
 * happened.  #DB and #AC always exit, so that a guest cannot keep a host
 * CPU in their delivery with interrupts shut out (CVE-2015-5307: an #AC
 * whose delivery raises #AC; CVE-2015-8104: a #DB whose delivery hits a
 * data breakpoint, over and over on one IST stack), as KVM does; the
 * others exit only while routed.  The backend set DR6 for a #DB, and the
 * CR2 of a #PF is set here, since no exit sets it.  #BP and #OF (INT3 and
 * INTO, @len bytes) are traps: RIP moves past their instruction first.
 *
 * ev->interrupted is the exception whose delivery raised it
 * (RS_EVENT_INFO_*, 0 for none), which the backend did not inject again:
 * the two make a double fault where they do not go serially
 * (rs_exception_merge()); an interrupted NMI is pending again already
 * (rs_exit_exception()).  An external interrupt never gets
 * here: the backend put it back to pending when the exit came
 * (vmx_reinject(), svm_reinject()), and it follows the same way.
 */
static int rs_exception_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	u32 type = (ev->interrupted >> RS_EVENT_INFO_TYPE_SHIFT) & 7;
	bool has_error = ev->has_error;
	u8 vector = ev->index;
	u32 error = ev->error_code;
	int r;

	if (ev->interrupted & RS_EVENT_INFO_VALID) {
		if (type == RS_EVENT_EXCEPTION) {
			r = rs_exception_merge(vcpu, ev->interrupted & 0xff,
					       &vector);
			if (r)
				return r;
			if (vector == X86_TRAP_DF) {
				has_error = true;
				error = 0;
			}
		}
	}
	if (ev->len)
		rs_call(skip_instruction)(vcpu, ev->len);
	if (vector == X86_TRAP_PF)
		rs_ops->set_cr2(vcpu, ev->value);
	return rs_queue_event(vcpu, RS_EVENT_EXCEPTION, vector, has_error,
			      error);
}

/*
 * The guest raised exception @vector (pushing @error if @has_error), with
 * @value its CR2 (#PF) or DR6 (#DB) and @len the length of INT3 or INTO.
 */
int rs_exit_exception(struct rs_vcpu *vcpu, u8 vector, bool has_error,
		      u32 error, u64 value, u8 len, u32 interrupted)
{
	u32 type = (interrupted >> RS_EVENT_INFO_TYPE_SHIFT) & 7;
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_EXCEPTION,
		.index = vector,
		.value = value,
		.error_code = has_error ? error : 0,
		.has_error = has_error,
		.len = len,
		.interrupted = interrupted,
		.def = rs_exception_default,
	};

	/* An NMI comes after it, whoever answers it and however. */
	if ((interrupted & RS_EVENT_INFO_VALID) && type == RS_EVENT_NMI) {
		vcpu->nmi_pending = true;
		ev.interrupted = 0;
	}
	return rs_exit_event(vcpu, ev);
}

/*
 * The core carried out an instruction that the guest single-steps (TF set
 * when it began): the #DB trap that the CPU raises after it, with DR6.BS
 * (SDM vol. 3A, 18.3.1.4), as KVM's kvm_skip_emulated_instruction() does.
 * Instructions that set TF (POPF, IRET) run in the guest, so the step
 * never comes one instruction early.  An event already queued goes
 * first; the step is dropped, as for any trap that an exception replaces.
 */
void rs_single_step(struct rs_vcpu *vcpu)
{
	if (rs_queue_event(vcpu, RS_EVENT_EXCEPTION, X86_TRAP_DB, false, 0))
		return;
	rs_ops->set_dr6_step(vcpu);
}

/* A host interrupt, NMI, SMI or #MC exited the guest: the host took it. */
int rs_exit_nop(struct rs_vcpu *vcpu)
{
	return 0;
}

/*
 * An instruction of a CPU feature the guest's CPU does not have (SVM and
 * VMX instructions, MONITOR/MWAIT, RDTSCP...): #UD, as that CPU raises.
 */
int rs_exit_ud(struct rs_vcpu *vcpu)
{
	rs_inject_ud(vcpu);
	return 0;
}

/*
 * An instruction the guest's CPU refuses with #GP(0): RDPMC, since the
 * guest has no performance counters (its CPUID hides them; reading the
 * host's live counters would leak what the host and other guests do).
 */
int rs_exit_gp(struct rs_vcpu *vcpu)
{
	rs_inject_gp(vcpu);
	return 0;
}

/* An instruction that does nothing here: skipped, @len bytes. */
static int rs_skip_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

static int rs_exit_insn(struct rs_vcpu *vcpu, u32 event, u8 len,
			int (*def)(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev))
{
	struct rs_exit_ev ev = { .event = event, .len = len, .def = def };

	return rs_exit_event(vcpu, ev);
}

/*
 * INVD and WBINVD (2 bytes each): INVD would drop the host's dirty cache
 * lines, WBINVD would flush every cache of the host at a guest's will.  A
 * guest without assigned devices needs neither: both are no-ops, as in KVM.
 */
int rs_exit_invd(struct rs_vcpu *vcpu)
{
	return rs_exit_insn(vcpu, RS_ROUTED_INVD, 2, rs_skip_default);
}

int rs_exit_wbinvd(struct rs_vcpu *vcpu)
{
	return rs_exit_insn(vcpu, RS_ROUTED_WBINVD, 2, rs_skip_default);
}

/* PAUSE (F3 90) exits only while routed; it waits for nothing here. */
int rs_exit_pause(struct rs_vcpu *vcpu)
{
	return rs_exit_insn(vcpu, RS_ROUTED_PAUSE, 2, rs_skip_default);
}

/*
 * RDTSC (2 bytes) exits only while routed (RDTSCP's exit on VMX needs it
 * too): the guest's TSC, as the TSC offset the backend programs makes it.
 */
static int rs_rdtsc_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	u64 tsc;

	/* The guest's TSC, with the offset its own TSC writes gave it. */
	if (rs_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc))
		tsc = rdtsc() - vcpu->vm->tsc_base;

	vcpu->gpr[RS_RAX] = (u32)tsc;
	vcpu->gpr[RS_RDX] = tsc >> 32;
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

int rs_exit_rdtsc(struct rs_vcpu *vcpu)
{
	return rs_exit_insn(vcpu, RS_ROUTED_RDTSC, 2, rs_rdtsc_default);
}

/* RDTSCP (3 bytes): the guest's CPU has none (cpuid.c), so #UD. */
static int rs_ud_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	rs_inject_ud(vcpu);
	return 0;
}

int rs_exit_rdtscp(struct rs_vcpu *vcpu)
{
	return rs_exit_insn(vcpu, RS_ROUTED_RDTSCP, 3, rs_ud_default);
}

/*
 * INVLPG of @gva, @len bytes long, exits only while routed: the vCPU
 * forgets all its translations (a new ASID or VPID flush), which covers
 * the one page the instruction names.
 */
static int rs_invlpg_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	set_bit(RS_REQ_TLB_FLUSH, &vcpu->requests);
	rs_skip_instruction(vcpu, ev->len);
	return 0;
}

int rs_exit_invlpg(struct rs_vcpu *vcpu, u64 gva, u8 len)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_INVLPG,
		.value = gva,
		.len = len,
		.def = rs_invlpg_default,
	};

	return rs_exit_event(vcpu, ev);
}

/*
 * A nested page fault (SVM NPF, VMX EPT violation): map the page (mmu.c),
 * or, outside RAM, emulate the instruction whose operand it is, and tell
 * the ringside_npf tracepoint which it was.  Only an operand can be
 * emulated: an access of the CPU's own that met no RAM has nothing to
 * hand to user space, and stops the guest with what it was:
 * - @vectoring (RS_EVENT_INFO_*, the interrupted event as SVM's EXITINTINFO
 *   and VMX's IDT-vectoring information give it): delivering an event,
 *   through an IDT, GDT, TSS or stack outside RAM.  The instruction at
 *   RIP has nothing to do with it (KVM's KVM_INTERNAL_ERROR_DELIVERY_EV).
 * - @walk: walking the guest's page tables.
 */
int rs_exit_npf(struct rs_vcpu *vcpu, u64 gpa, bool write, bool fetch,
		bool walk, u32 vectoring)
{
	struct rs_run *run = vcpu->run;
	u64 rip, rflags;
	int r = rs_mmu_fault(vcpu, gpa, write, fetch);

	/* The host's page tables and struct pages went through the L1D. */
	vcpu->l1d_flush_owed = true;
	trace_ringside_npf(vcpu, gpa, write, fetch,
			   r < 0 ? RS_NPF_ERROR :
			   r == RS_MMU_NOT_RAM ? RS_NPF_MMIO : RS_NPF_MAPPED);
	if (r != RS_MMU_NOT_RAM)
		return r;
	if (!(vectoring & RS_EVENT_INFO_VALID) && !walk)
		return rs_exit_mmio(vcpu, gpa, write);

	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (!(vectoring & RS_EVENT_INFO_VALID))
		return rs_exit_emulation_failed(vcpu, gpa, rip);
	run->exit_reason = RS_EXIT_INTERNAL_ERROR;
	run->internal.suberror = RS_INTERNAL_DELIVERY;
	run->internal.ndata = 3;
	run->internal.data[0] = gpa;
	run->internal.data[1] = vectoring;
	run->internal.data[2] = rip;
	return RS_EXIT_USER;
}

static __always_inline int rs_io_default(struct rs_vcpu *vcpu,
					 const struct rs_exit_ev *ev)
{
	struct rs_run *run = vcpu->run;
	u16 port = ev->index;
	u8 size = ev->subindex;
	bool in = ev->event == RS_ROUTED_IO_IN;

	/* as any skipped instruction: the shadow ends, a single step traps */
	rs_skip_instruction(vcpu, ev->len);
	if (!in && rs_ioeventfd_write(vcpu->vm, true, port, size,
				      &vcpu->gpr[RS_RAX]))
		return 0;
	run->exit_reason = RS_EXIT_IO;
	run->io.direction = in ? RS_IO_IN : RS_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = RS_IO_DATA_OFFSET;
	if (in) {
		vcpu->pending = RS_PENDING_PIO_IN;
		vcpu->pending_size = size;
	} else {
		memcpy(rs_io_data(vcpu), &vcpu->gpr[RS_RAX], size);
	}
	return RS_EXIT_USER;
}

/*
 * A single IN or OUT of @size bytes through RAX, @len bytes long (the
 * backend's hardware reports the next RIP or the length).
 */
int rs_exit_io(struct rs_vcpu *vcpu, u16 port, u8 size, bool in, u8 len)
{
	struct rs_exit_ev ev = {
		.event = in ? RS_ROUTED_IO_IN : RS_ROUTED_IO_OUT,
		.index = port,
		.subindex = size,
		.len = len,
		.def = rs_io_default,
	};

	if (!in)
		ev.value = vcpu->gpr[RS_RAX] & GENMASK_ULL(size * 8 - 1, 0);
	return rs_exit_event(vcpu, ev);
}

/*
 * HLT: user space waits for the next interrupt, unless one already waits
 * for IF (STI; HLT), which wakes the guest at once.  With the APIC in the
 * kernel, the vCPU waits there (rs_lapic_service()).
 */
static __always_inline int rs_hlt_default(struct rs_vcpu *vcpu,
					  const struct rs_exit_ev *ev)
{
	u64 rip, rflags;

	rs_skip_instruction(vcpu, ev->len);
	if (vcpu->lapic)
		return rs_lapic_halt(vcpu);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	if (vcpu->extint_pending && (rflags & X86_EFLAGS_IF))
		return 0;
	vcpu->run->exit_reason = RS_EXIT_HLT;
	return RS_EXIT_USER;
}

int rs_exit_hlt(struct rs_vcpu *vcpu)
{
	return rs_exit_insn(vcpu, RS_ROUTED_HLT, 1, rs_hlt_default);
}

int rs_exit_shutdown(struct rs_vcpu *vcpu)
{
	vcpu->run->exit_reason = RS_EXIT_SHUTDOWN;
	return RS_EXIT_USER;
}

/*
 * VMMCALL/VMCALL (3 bytes) is ringside's hypercall at CPL 0, with RAX the
 * number and RBX-RSI the arguments; elsewhere it is #UD.
 */
static int rs_hypercall_default(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev)
{
	struct rs_run *run = vcpu->run;

	rs_skip_instruction(vcpu, ev->len);
	run->exit_reason = RS_EXIT_HYPERCALL;
	run->hypercall.nr = vcpu->gpr[RS_RAX];
	run->hypercall.args[0] = vcpu->gpr[RS_RBX];
	run->hypercall.args[1] = vcpu->gpr[RS_RCX];
	run->hypercall.args[2] = vcpu->gpr[RS_RDX];
	run->hypercall.args[3] = vcpu->gpr[RS_RSI];
	run->hypercall.ret = RS_HYPERCALL_UNKNOWN;
	vcpu->pending = RS_PENDING_HYPERCALL;
	return RS_EXIT_USER;
}

/* An exit hook may answer it first (hooks.c); user space cannot route it. */
int rs_exit_hypercall(struct rs_vcpu *vcpu)
{
	struct rs_exit_ev ev = {
		.event = RS_ROUTED_HYPERCALL,
		.value = vcpu->gpr[RS_RAX],
		.len = 3,
		.def = rs_hypercall_default,
	};

	if (rs_call(get_cpl)(vcpu)) {
		rs_inject_ud(vcpu);
		return 0;
	}
	return rs_exit_event(vcpu, ev);
}

int rs_exit_irq_window(struct rs_vcpu *vcpu)
{
	vcpu->run->exit_reason = RS_EXIT_IRQ_WINDOW;
	return RS_EXIT_USER;
}

/* An exit ringside does not handle: user space sees the raw code. */
int rs_exit_unhandled(struct rs_vcpu *vcpu, u64 code)
{
	struct rs_run *run = vcpu->run;

	pr_warn_ratelimited("vCPU %u: unhandled exit %#llx\n", vcpu->id, code);
	run->exit_reason = RS_EXIT_INTERNAL_ERROR;
	run->internal.suberror = RS_INTERNAL_UNHANDLED_EXIT;
	run->internal.ndata = 1;
	run->internal.data[0] = code;
	return RS_EXIT_USER;
}

/* An instruction ringside could not fetch, decode or carry out. */
int rs_exit_emulation_failed(struct rs_vcpu *vcpu, u64 gpa, u64 rip)
{
	struct rs_run *run = vcpu->run;

	run->exit_reason = RS_EXIT_INTERNAL_ERROR;
	run->internal.suberror = RS_INTERNAL_EMULATION;
	run->internal.ndata = 2;
	run->internal.data[0] = gpa;
	run->internal.data[1] = rip;
	return RS_EXIT_USER;
}

/*
 * The exit returned a state that cannot be the guest's (svm.c): it is
 * gone, and the next entry starts from RESET.
 */
int rs_exit_lost_state(struct rs_vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;

	pr_warn_ratelimited("vCPU %u: the processor saved the host's state as the guest's; the guest's is lost\n",
			    vcpu->id);
	run->exit_reason = RS_EXIT_INTERNAL_ERROR;
	run->internal.suberror = RS_INTERNAL_LOST_STATE;
	run->internal.ndata = 0;
	return RS_EXIT_USER;
}

int rs_exit_fail_entry(struct rs_vcpu *vcpu, u64 reason, u64 qual)
{
	struct rs_run *run = vcpu->run;

	run->exit_reason = RS_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_reason = reason;
	run->fail_entry.qualification = qual;
	return RS_EXIT_USER;
}

/*
 * Finish, at the next RS_RUN, what the last exit left to user space.
 * Returns RS_EXIT_USER if that failed and the run page says why, or if
 * finishing made another exit (the store of a read-modify-write to MMIO).
 */
int rs_complete_user_exit(struct rs_vcpu *vcpu)
{
	enum rs_pending pending = vcpu->pending;
	u64 *rax = &vcpu->gpr[RS_RAX];
	u32 data = 0;

	vcpu->pending = RS_PENDING_NONE;
	switch (pending) {
	case RS_PENDING_PIO_IN:
		memcpy(&data, rs_io_data(vcpu), vcpu->pending_size);
		if (vcpu->pending_size == 4)	/* IN EAX zero-extends */
			*rax = data;
		else if (vcpu->pending_size == 2)
			*rax = (*rax & ~0xffffULL) | (u16)data;
		else
			*rax = (*rax & ~0xffULL) | (u8)data;
		break;
	case RS_PENDING_HYPERCALL:
		*rax = vcpu->run->hypercall.ret;
		break;
	case RS_PENDING_MMIO_READ:
		return rs_complete_mmio_read(vcpu);
	case RS_PENDING_MMIO_WRITE:
		return rs_complete_mmio_write(vcpu);
	case RS_PENDING_ROUTED:
		return rs_route_complete(vcpu);
	case RS_PENDING_PIO_STRING_IN:	/* 1: a fault for the guest */
		if (rs_string_io_step(vcpu, RS_RDI) < 0)
			return rs_exit_emulation_failed(vcpu, 0, 0);
		break;
	case RS_PENDING_NONE:
		break;
	}
	return 0;
}
