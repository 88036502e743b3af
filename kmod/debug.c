// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debug: a debugger's hold on a vCPU (RS_SET_GUEST_DEBUG,
 * Documentation/guest-debug.rst), which the guest does not see.
 *
 * Single-step: each RS_RUN runs one instruction, or delivers one event and
 * stops before its handler's first instruction, and returns RS_EXIT_DEBUG
 * with DR6.BS.  Where the instruction runs in the guest, the backend
 * stops it there: VMX with the monitor trap flag (SDM vol. 3C, 25.5.2),
 * SVM with RFLAGS.TF and the #DB intercept (svm.c).  Where the core
 * carries it out, rs_skip_instruction() requests RS_REQ_STEP, and the
 * RS_RUN loop stops before the next entry, as KVM's
 * kvm_skip_emulated_instruction() does.
 *
 * Hardware breakpoints: the debugger's DR0-3 and DR7 are the hardware's
 * while the guest runs.  The guest's own are kept here, and every MOV DR
 * exits (rs_debug_route()) to reach them (cr.c); DR6 stays the guest's.
 * A #DB whose DR6 names one of the debugger's enabled breakpoints is the
 * debugger's (rs_debug_db()); any other #DB is the guest's.
 */
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>

#include "rs.h"

#define RS_GUEST_DEBUG_FLAGS	(RS_GUEST_DEBUG_SINGLESTEP | \
				 RS_GUEST_DEBUG_HW_BP | RS_GUEST_DEBUG_BLOCK_IRQ)
/*
 * DR7 bits a debugger may set: L0-G3, LE, GE and the R/W and LEN fields
 * (SDM vol. 3A, 18.2.4); not GD, which would make its own MOV DR fault,
 * nor the reserved bits 10-12, 14, 15 and 32-63.
 */
#define RS_DEBUG_DR7_BITS	0xffff03ffULL

/* The R/W field of breakpoint @i: 0 instruction, 1 write, 2 I/O, 3 access. */
static u32 rs_dr7_rw(u64 dr7, int i)
{
	return (dr7 >> (16 + 4 * i)) & 3;
}

static u32 rs_dr7_len(u64 dr7, int i)
{
	return (dr7 >> (18 + 4 * i)) & 3;
}

static bool rs_dr7_enabled(u64 dr7, int i)
{
	return dr7 & (3 << (2 * i));
}

static int rs_guest_debug_check(const struct rs_guest_debug *dbg)
{
	int i;

	if ((dbg->flags & ~RS_GUEST_DEBUG_FLAGS) || dbg->pad ||
	    memchr_inv(dbg->reserved, 0, sizeof(dbg->reserved)))
		return -EINVAL;
	if (!(dbg->flags & RS_GUEST_DEBUG_HW_BP))
		return dbg->dr7 || memchr_inv(dbg->dr, 0, sizeof(dbg->dr)) ?
		       -EINVAL : 0;
	if (dbg->dr7 & ~RS_DEBUG_DR7_BITS)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		/* MOV to DR0-3 takes any value; a host CPU's breakpoint not. */
		if (!__is_canonical_address(dbg->dr[i], 48))
			return -EINVAL;
		if (!rs_dr7_enabled(dbg->dr7, i))
			continue;
		/* I/O breakpoints need CR4.DE; LEN of an execute one is 00b. */
		if (rs_dr7_rw(dbg->dr7, i) == 2 ||
		    (rs_dr7_rw(dbg->dr7, i) == 0 && rs_dr7_len(dbg->dr7, i)))
			return -EINVAL;
	}
	return 0;
}

long rs_vcpu_set_guest_debug(struct rs_vcpu *vcpu, const void __user *argp)
{
	struct rs_guest_debug_state *d = &vcpu->debug;
	struct rs_guest_debug dbg;
	bool had_bp, has_bp;
	int i, r;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	r = rs_guest_debug_check(&dbg);
	if (r)
		return r;
	if (dbg.flags & ~rs_ops->guest_debug)
		return -EOPNOTSUPP;

	had_bp = d->flags & RS_GUEST_DEBUG_HW_BP;
	has_bp = dbg.flags & RS_GUEST_DEBUG_HW_BP;
	/* The guest's own go aside, to come back when the debugger lets go. */
	if (has_bp && !had_bp) {
		for (i = 0; i < 4; i++)
			d->guest_dr[i] = rs_ops->get_dr(vcpu, i);
		d->guest_dr7 = rs_ops->get_dr(vcpu, 7);
	}
	if (has_bp) {
		for (i = 0; i < 4; i++)
			rs_ops->set_dr(vcpu, i, dbg.dr[i]);
		rs_ops->set_dr(vcpu, 7, dbg.dr7 | RS_RESET_DR7);
	} else if (had_bp) {
		for (i = 0; i < 4; i++)
			rs_ops->set_dr(vcpu, i, d->guest_dr[i]);
		rs_ops->set_dr(vcpu, 7, d->guest_dr7);
	}

	d->flags = dbg.flags;
	d->bp_hit = 0;
	d->bp_insn = 0;
	for (i = 0; has_bp && i < 4; i++) {
		if (!rs_dr7_enabled(dbg.dr7, i))
			continue;
		d->bp_hit |= BIT(i);
		if (!rs_dr7_rw(dbg.dr7, i))
			d->bp_insn |= BIT(i);
	}
	clear_bit(RS_REQ_STEP, &vcpu->requests);
	rs_route_apply(vcpu);
	if (rs_ops->set_guest_debug)
		rs_ops->set_guest_debug(vcpu);
	return 0;
}

/*
 * What must exit for the debugger, added to the route (route.c): every
 * MOV DR while it has the breakpoints; while it steps, on a backend that
 * steps with TF, every exception, so that one the instruction raises is
 * delivered at an entry, and the step stops at its handler as the
 * monitor trap flag stops it (svm.c).
 */
void rs_debug_route(struct rs_vcpu *vcpu, struct rs_exit_route *hw)
{
	if (vcpu->debug.flags & RS_GUEST_DEBUG_HW_BP) {
		hw->dr_read |= GENMASK(7, 0);
		hw->dr_write |= GENMASK(7, 0);
	}
	if ((vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP) &&
	    rs_ops->step_with_tf)
		hw->exceptions |= RS_ROUTE_VECTORS;
}

/* The guest's DR0-3 or DR7 (@dr), wherever they are now; DR6 is always its own. */
u64 rs_debug_get_dr(struct rs_vcpu *vcpu, int dr)
{
	if (vcpu->debug.flags & RS_GUEST_DEBUG_HW_BP) {
		if (dr < 4)
			return vcpu->debug.guest_dr[dr];
		if (dr == 7)
			return vcpu->debug.guest_dr7;
	}
	return rs_ops->get_dr(vcpu, dr);
}

void rs_debug_set_dr(struct rs_vcpu *vcpu, int dr, u64 val)
{
	if (vcpu->debug.flags & RS_GUEST_DEBUG_HW_BP) {
		if (dr < 4) {
			vcpu->debug.guest_dr[dr] = val;
			return;
		}
		if (dr == 7) {
			vcpu->debug.guest_dr7 = val;
			return;
		}
	}
	rs_ops->set_dr(vcpu, dr, val);
}

/*
 * INIT (SDM vol. 3A, table 10-1): DR0-3 0, DR6 FFFF0FF0H, DR7 400H, the
 * guest's; the debugger's stay in the hardware.
 */
void rs_debug_reset_drs(struct rs_vcpu *vcpu)
{
	int i;

	for (i = 0; i < 4; i++)
		rs_debug_set_dr(vcpu, i, 0);
	rs_debug_set_dr(vcpu, 6, RS_RESET_DR6);
	rs_debug_set_dr(vcpu, 7, RS_RESET_DR7);
}

/*
 * A #DB exited with @dr6, the bits it set (B0-B3, BD, BS); @step says the
 * backend's own single step (SVM's TF) was armed for the entry.  Returns
 * the bits that are the debugger's, for rs_debug_exit(); 0: the #DB is
 * the guest's.  B0-B3 can be set for breakpoints that DR7 does not enable
 * (SDM vol. 3A, 18.2.3): only enabled ones count.
 */
u64 rs_debug_db(struct rs_vcpu *vcpu, u64 dr6, bool step)
{
	u64 bits = dr6 & vcpu->debug.bp_hit;

	if (step && (vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP))
		bits |= dr6 & DR_STEP;
	return bits;
}

/*
 * Stop for the debugger: RS_EXIT_DEBUG with @bits (DR_STEP, B0-B3).  An
 * instruction breakpoint is a fault, before the instruction: RFLAGS.RF
 * lets the next entry run it without hitting it again (SDM vol. 3A,
 * 18.3.1.1), as the IRET of a debugger's #DB handler would.
 */
int rs_debug_exit(struct rs_vcpu *vcpu, u64 bits)
{
	struct rs_run *run = vcpu->run;
	struct rs_sregs s;
	u64 rip, rflags, pc;
	int i;

	clear_bit(RS_REQ_STEP, &vcpu->requests);
	rs_call(get_rip_rflags)(vcpu, &rip, &rflags);
	rs_ops->get_sregs(vcpu, &s);
	/* The linear address: CS base counts outside 64-bit mode only. */
	pc = (s.efer & EFER_LMA) && (s.cs.attr & RS_SEG_L) ?
	     rip : (u32)(s.cs.base + rip);
	/*
	 * A step that ends on an instruction breakpoint ends at it: the
	 * breakpoint is reported with the step, and does not stop the next
	 * RS_RUN again.  Which of the two the CPU reports first differs (a
	 * monitor trap flag exit comes before the breakpoint's fault, and
	 * QEMU's TCG sets B0-B3 with BS), so the core decides.
	 */
	if (bits & DR_STEP) {
		bits &= ~(u64)vcpu->debug.bp_insn;
		for (i = 0; i < 4; i++)
			if ((vcpu->debug.bp_insn & BIT(i)) &&
			    rs_ops->get_dr(vcpu, i) == pc)
				bits |= BIT(i);
	}
	if (bits & vcpu->debug.bp_insn) {
		rflags |= X86_EFLAGS_RF;
		rs_call(set_rip_rflags)(vcpu, rip, rflags, false);
	}
	memset(&run->debug, 0, sizeof(run->debug));
	run->exit_reason = RS_EXIT_DEBUG;
	run->debug.dr6 = DR6_RESERVED | bits;
	run->debug.pc = pc;
	run->debug.exception = X86_TRAP_DB;
	return RS_EXIT_USER;
}
