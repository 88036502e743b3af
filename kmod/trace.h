/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside's tracepoints, in /sys/kernel/tracing/events/ringside/ and for
 * perf (Documentation/netlink.rst): guest entry and exit, event injection
 * and nested page faults.  Each costs a patched-out jump while disabled.
 * trace.c instantiates them (CREATE_TRACE_POINTS); other files include
 * this header and call trace_ringside_*().
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ringside

#if !defined(RINGSIDE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define RINGSIDE_TRACE_H

#include <linux/tracepoint.h>

#include "rs.h"

/* Just before the backend enters the guest, IRQs off. */
TRACE_EVENT(ringside_entry,
	    TP_PROTO(const struct rs_vcpu *vcpu, u64 rip),
	    TP_ARGS(vcpu, rip),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->vm = vcpu->vm->id;
			   __entry->vcpu = vcpu->id;
			   __entry->rip = rip;),
	    TP_printk("vm %u vcpu %u rip 0x%llx",
		      __entry->vm, __entry->vcpu, __entry->rip)
);

/*
 * Each exit, before its handler runs: the backend's name for it (as in the
 * statistics), the raw exit code (SVM EXITCODE, VMX basic exit reason),
 * RIP and the exit information (SVM EXITINFO1/2, VMX qualification and
 * guest-physical address).
 */
TRACE_EVENT(ringside_exit,
	    TP_PROTO(const struct rs_vcpu *vcpu, const char *reason, u64 code,
		     u64 rip, u64 info1, u64 info2),
	    TP_ARGS(vcpu, reason, code, rip, info1, info2),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __string(reason, reason)
			     __field(u64, code)
			     __field(u64, rip)
			     __field(u64, info1)
			     __field(u64, info2)),
	    TP_fast_assign(__entry->vm = vcpu->vm->id;
			   __entry->vcpu = vcpu->id;
			   __assign_str(reason, reason);
			   __entry->code = code;
			   __entry->rip = rip;
			   __entry->info1 = info1;
			   __entry->info2 = info2;),
	    TP_printk("vm %u vcpu %u reason %s code 0x%llx rip 0x%llx info 0x%llx 0x%llx",
		      __entry->vm, __entry->vcpu, __get_str(reason),
		      __entry->code, __entry->rip, __entry->info1,
		      __entry->info2)
);

/*
 * An event queued for delivery at the next entry: type is RS_EVENT_*;
 * reinjected when an exit interrupted its delivery and it goes again.
 */
TRACE_EVENT(ringside_inject,
	    TP_PROTO(const struct rs_vcpu *vcpu, u32 type, u8 vector,
		     bool has_error, u32 error, bool reinjected),
	    TP_ARGS(vcpu, type, vector, has_error, error, reinjected),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __field(u32, type)
			     __field(u32, error)
			     __field(u8, vector)
			     __field(bool, has_error)
			     __field(bool, reinjected)),
	    TP_fast_assign(__entry->vm = vcpu->vm->id;
			   __entry->vcpu = vcpu->id;
			   __entry->type = type;
			   __entry->error = error;
			   __entry->vector = vector;
			   __entry->has_error = has_error;
			   __entry->reinjected = reinjected;),
	    TP_printk("vm %u vcpu %u %s vector %u error %s0x%x%s",
		      __entry->vm, __entry->vcpu,
		      __print_symbolic(__entry->type,
				       { RS_EVENT_EXTINT, "extint" },
				       { RS_EVENT_NMI, "nmi" },
				       { RS_EVENT_EXCEPTION, "exception" }),
		      __entry->vector, __entry->has_error ? "" : "none ",
		      __entry->error, __entry->reinjected ? " reinjected" : "")
);

/* What rs_exit_npf() made of a nested page fault. */
#define RS_NPF_MAPPED		0	/* a page of a slot is mapped */
#define RS_NPF_MMIO		1	/* outside the slots: MMIO */
#define RS_NPF_ERROR		2	/* the fault failed (errno) */

TRACE_EVENT(ringside_npf,
	    TP_PROTO(const struct rs_vcpu *vcpu, u64 gpa, bool write,
		     bool fetch, int result),
	    TP_ARGS(vcpu, gpa, write, fetch, result),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u32, vcpu)
			     __field(u64, gpa)
			     __field(bool, write)
			     __field(bool, fetch)
			     __field(u8, result)),
	    TP_fast_assign(__entry->vm = vcpu->vm->id;
			   __entry->vcpu = vcpu->id;
			   __entry->gpa = gpa;
			   __entry->write = write;
			   __entry->fetch = fetch;
			   __entry->result = result;),
	    TP_printk("vm %u vcpu %u gpa 0x%llx %s %s",
		      __entry->vm, __entry->vcpu, __entry->gpa,
		      __entry->fetch ? "fetch" :
		      __entry->write ? "write" : "read",
		      __print_symbolic(__entry->result,
				       { RS_NPF_MAPPED, "mapped" },
				       { RS_NPF_MMIO, "mmio" },
				       { RS_NPF_ERROR, "error" }))
);

/*
 * A zap of the nested page table ended (mmu.c): @npages guest pages from
 * @gfn asked for, the leaf entries and tables it removed, how often it let
 * go of mmu_lock, and the longest it held it.
 */
TRACE_EVENT(ringside_npt_zap,
	    TP_PROTO(const struct rs_vm *vm, u64 gfn, u64 npages,
		     unsigned long leaves, unsigned long tables,
		     unsigned long yields, u64 max_hold_ns),
	    TP_ARGS(vm, gfn, npages, leaves, tables, yields, max_hold_ns),
	    TP_STRUCT__entry(__field(u32, vm)
			     __field(u64, gfn)
			     __field(u64, npages)
			     __field(unsigned long, leaves)
			     __field(unsigned long, tables)
			     __field(unsigned long, yields)
			     __field(u64, max_hold_ns)),
	    TP_fast_assign(__entry->vm = vm->id;
			   __entry->gfn = gfn;
			   __entry->npages = npages;
			   __entry->leaves = leaves;
			   __entry->tables = tables;
			   __entry->yields = yields;
			   __entry->max_hold_ns = max_hold_ns;),
	    TP_printk("vm %u gfn 0x%llx npages %llu leaves %lu tables %lu yields %lu max_hold_ns %llu",
		      __entry->vm, __entry->gfn, __entry->npages,
		      __entry->leaves, __entry->tables, __entry->yields,
		      __entry->max_hold_ns)
);

#endif /* RINGSIDE_TRACE_H */

/* An out-of-tree module: define_trace.h finds this file next to trace.c. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
