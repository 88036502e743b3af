// SPDX-License-Identifier: GPL-2.0
/*
 * The arch-neutral halves of the exit handlers: both backends decode the
 * hardware's exit information and call these to fill the run page for user
 * space, or to finish what user space answered on the next RS_RUN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/processor-flags.h>

#include "rs.h"
#include "trace.h"

/*
 * A nested page fault (SVM NPF, VMX EPT violation): map the page or exit
 * for MMIO (mmu.c), and tell the ringside_npf tracepoint which it was.
 */
int rs_exit_npf(struct rs_vcpu *vcpu, u64 gpa, bool write, bool fetch)
{
	int r = rs_mmu_fault(vcpu, gpa, write, fetch);

	trace_ringside_npf(vcpu, gpa, write, fetch,
			   r < 0 ? RS_NPF_ERROR :
			   r == RS_EXIT_USER ? RS_NPF_MMIO : RS_NPF_MAPPED);
	return r;
}

/* A single IN or OUT of size bytes through RAX; the backend skipped it. */
int rs_exit_io(struct rs_vcpu *vcpu, u16 port, u8 size, bool in)
{
	struct rs_run *run = vcpu->run;

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

/* HLT wakes at once for an interrupt already waiting for IF (STI; HLT). */
int rs_exit_hlt(struct rs_vcpu *vcpu)
{
	u64 rip, rflags;

	rs_ops->get_rip_rflags(vcpu, &rip, &rflags);
	if (vcpu->extint_pending && (rflags & X86_EFLAGS_IF))
		return 0;
	vcpu->run->exit_reason = RS_EXIT_HLT;
	return RS_EXIT_USER;
}

int rs_exit_shutdown(struct rs_vcpu *vcpu)
{
	vcpu->run->exit_reason = RS_EXIT_SHUTDOWN;
	return RS_EXIT_USER;
}

/* VMMCALL/VMCALL at CPL 0: RAX is the number, RBX-RSI the arguments. */
int rs_exit_hypercall(struct rs_vcpu *vcpu)
{
	struct rs_run *run = vcpu->run;

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
 * Returns RS_EXIT_USER if that failed and the run page says why.
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
		rs_complete_mmio_read(vcpu);
		break;
	case RS_PENDING_PIO_STRING_IN:
		if (rs_string_io_step(vcpu, RS_RDI))
			return rs_exit_emulation_failed(vcpu, 0, 0);
		break;
	case RS_PENDING_NONE:
		break;
	}
	return 0;
}
