/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringside: a hypervisor in a loadable module.
 *
 * The ioctl interface: /dev/ringside -> VM fd -> vCPU fd.  Every structure
 * has a flags field and reserved space; both must be zero unless a flag is
 * documented, or the ioctl fails with -EINVAL.  Structures only ever grow at
 * their end.  Documentation/uapi.rst describes every ioctl and its errors.
 */
#ifndef _UAPI_LINUX_RINGSIDE_H
#define _UAPI_LINUX_RINGSIDE_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

#define RS_API_VERSION		1
#define RS_IO			0xB8

/* Capabilities, the argument of RS_CHECK_CAPABILITY (unknown ones answer 0). */
#define RS_CAP_SVM		1	/* 1: the backend is AMD SVM */
#define RS_CAP_VMX		2	/* 1: the backend is Intel VMX */
#define RS_CAP_NESTED_PAGING	3	/* 1: NPT or EPT (always, required) */
#define RS_CAP_NR_MEMSLOTS	4	/* number of memory slots per VM */
#define RS_CAP_MAX_VCPUS	5	/* vCPUs per VM */
#define RS_CAP_RUN_SIZE		6	/* bytes to mmap on a vCPU fd */
#define RS_CAP_HW_FEATURES	7	/* mask of RS_HW_* below */
#define RS_CAP_READONLY_MEM	8	/* 1: RS_MEM_READONLY works */
#define RS_CAP_MAX_CPUID	9	/* entries RS_SET_CPUID takes */
#define RS_CAP_XSAVE_SIZE	10	/* sizeof(struct rs_fpu) the module uses */
#define RS_CAP_MITIGATIONS	11	/* mask of RS_MITIGATE_* below */
#define RS_CAP_IOEVENTFD	12	/* RS_IOEVENTFD registrations per VM */
#define RS_CAP_LAPIC		13	/* 1: RS_CREATE_LAPIC and what it brings */
#define RS_CAP_IRQFD		14	/* RS_IRQFD registrations per VM */
#define RS_CAP_EXIT_ROUTE	15	/* 1: RS_SET_EXIT_ROUTE and RS_EXIT_ROUTED */
#define RS_CAP_GUEST_DEBUG	16	/* RS_GUEST_DEBUG_* that RS_SET_GUEST_DEBUG takes */

/*
 * RS_CAP_HW_FEATURES: optional hardware features ringside found and uses.
 * The ioctl returns an int, so these stay below bit 31.
 */
#define RS_HW_NRIPS		_BITULL(0)	/* SVM: next RIP saved on exit */
#define RS_HW_VMCB_CLEAN	_BITULL(1)	/* SVM: VMCB clean bits */
#define RS_HW_DECODE_ASSISTS	_BITULL(2)	/* SVM: decode assists */
#define RS_HW_FLUSH_BY_ASID	_BITULL(3)	/* SVM: TLB flush by ASID */
#define RS_HW_VPID		_BITULL(8)	/* VMX: VPID */
#define RS_HW_UNRESTRICTED	_BITULL(9)	/* VMX: unrestricted guest */
#define RS_HW_TRUE_CTLS		_BITULL(10)	/* VMX: TRUE capability MSRs */
#define RS_HW_MTF		_BITULL(11)	/* VMX: the monitor trap flag */

/*
 * RS_CAP_MITIGATIONS: what ringside does around guest entries and exits
 * because the host kernel mitigates a speculation bug (its choice, as
 * /sys/devices/system/cpu/vulnerabilities shows it).
 */
#define RS_MITIGATE_RSB_FILL	_BITULL(0)	/* RSB filled after each exit */
#define RS_MITIGATE_UNTRAIN_RET	_BITULL(1)	/* SVM: RET untrained (Retbleed, SRSO) */
#define RS_MITIGATE_IBPB_EXIT	_BITULL(2)	/* SVM: IBPB after each exit (SRSO) */
#define RS_MITIGATE_VERW	_BITULL(3)	/* CPU buffers cleared before entry */
#define RS_MITIGATE_SPEC_CTRL	_BITULL(4)	/* the guest's own SPEC_CTRL */
#define RS_MITIGATE_L1D_FLUSH	_BITULL(5)	/* VMX: L1D flushed before entry (L1TF) */
#define RS_MITIGATE_L1D_ALWAYS	_BITULL(6)	/* ... before every entry, host work or not */
#define RS_MITIGATE_BHB_CLEAR	_BITULL(7)	/* VMX: branch history cleared after exit */
#define RS_MITIGATE_IBPB_VM	_BITULL(8)	/* IBPB when a CPU switches VMs */
#define RS_MITIGATE_IBPB_USER	_BITULL(9)	/* IBPB before user space (VMSCAPE) */
#define RS_MITIGATE_DIV0	_BITULL(10)	/* SVM: divider cleared before entry */

/* /dev/ringside */
#define RS_GET_API_VERSION	_IO(RS_IO, 0x00)	/* arg: 0 */
#define RS_CHECK_CAPABILITY	_IO(RS_IO, 0x01)	/* arg: RS_CAP_* */
#define RS_CREATE_VM		_IO(RS_IO, 0x02)	/* arg: 0; returns a VM fd */

/* VM fd */
#define RS_MEM_READONLY		_BITUL(0)

struct rs_memory_region {
	__u32 slot;
	__u32 flags;			/* RS_MEM_* */
	__u64 guest_phys_addr;		/* page aligned */
	__u64 size;			/* page aligned; 0 deletes the slot */
	__u64 userspace_addr;		/* page aligned */
	__u64 reserved[4];
};

#define RS_SET_MEMORY_REGION	_IOW(RS_IO, 0x10, struct rs_memory_region)
#define RS_CREATE_VCPU		_IO(RS_IO, 0x11)	/* arg: vCPU id; returns a vCPU fd */

/*
 * A guest write of len bytes to addr (a port with RS_IOEVENTFD_PIO, else
 * a guest-physical address outside RAM), and with RS_IOEVENTFD_DATAMATCH
 * only of the value datamatch, signals the eventfd fd in the kernel: the
 * guest goes on without an exit.  RS_IOEVENTFD_DEASSIGN removes the
 * registration with the same addr, len, flags, datamatch and eventfd.
 */
#define RS_IOEVENTFD_PIO	_BITUL(0)
#define RS_IOEVENTFD_DATAMATCH	_BITUL(1)
#define RS_IOEVENTFD_DEASSIGN	_BITUL(2)

struct rs_ioeventfd {
	__u64 addr;
	__u64 datamatch;		/* with RS_IOEVENTFD_DATAMATCH */
	__u32 len;			/* 1, 2, 4 or 8 (a port: 1, 2 or 4) */
	__s32 fd;			/* an eventfd */
	__u32 flags;			/* RS_IOEVENTFD_* */
	__u32 reserved[5];
};

#define RS_IOEVENTFD		_IOW(RS_IO, 0x12, struct rs_ioeventfd)

/*
 * RS_CREATE_LAPIC, before the first vCPU: each vCPU of the VM gets a local
 * APIC in the kernel (Documentation/lapic.rst), xAPIC at IA32_APIC_BASE
 * and x2APIC (MSRs 800H-8FFH), with its timer, IPIs, INIT and SIPI; HLT
 * waits in the kernel; APs (vCPUs without IA32_APIC_BASE.BSP) start in
 * wait-for-SIPI.  The PIC, the I/O APIC and the devices stay in user
 * space, which delivers their interrupts with RS_SIGNAL_MSI.
 */
#define RS_CREATE_LAPIC		_IO(RS_IO, 0x13)	/* arg: 0 */

/*
 * An MSI as a device writes it (SDM vol. 3A, 11.11 "Message Signalled
 * Interrupts"): address 0xfeeXXXXX with the destination ID in bits 19:12,
 * destination mode (1: logical) in bit 2, and for an x2APIC destination
 * (interrupt remapping's) its bits 31:8 in address bits 63:40, as KVM's
 * KVM_CAP_X2APIC_API has them; data with the vector in bits
 * 7:0, the delivery mode in 10:8 (fixed, lowest priority, NMI, INIT; not
 * SMI, SIPI or ExtINT), level in 14 and trigger mode (1: level) in 15.  A
 * level-triggered vector's EOI exits with RS_EXIT_EOI.  RS_SIGNAL_MSI
 * returns how many local APICs took it (0: none matched or accepted it).
 */
struct rs_msi {
	__u64 address;
	__u32 data;
	__u32 flags;			/* 0 */
	__u64 reserved[2];
};

#define RS_SIGNAL_MSI		_IOW(RS_IO, 0x14, struct rs_msi)

/*
 * With RS_CREATE_LAPIC: each signal of the eventfd fd delivers the MSI
 * (msi_address, msi_data as in struct rs_msi; edge-triggered) in the
 * kernel, without a vCPU thread.  RS_IRQFD_DEASSIGN removes the eventfd's
 * registration.
 */
#define RS_IRQFD_DEASSIGN	_BITUL(0)

struct rs_irqfd {
	__s32 fd;			/* an eventfd */
	__u32 flags;			/* RS_IRQFD_* */
	__u64 msi_address;
	__u32 msi_data;
	__u32 pad;
	__u64 reserved[2];
};

#define RS_IRQFD		_IOW(RS_IO, 0x15, struct rs_irqfd)

/*
 * Exit routing (Documentation/exit-routing.rst): the events a vCPU's
 * guest causes that RS_RUN hands to user space as RS_EXIT_ROUTED instead
 * of handling them in the kernel.  RS_SET_EXIT_ROUTE on a vCPU fd sets the
 * vCPU's; on a VM fd it sets every vCPU's, those created later included.
 * An empty struct (all zero) routes nothing.  Refused: a vector the host
 * keeps (NMI 2, #MC 18: EPERM), a reserved one (9, 15, above 19: EINVAL),
 * an event the hardware cannot make exit (EOPNOTSUPP: reads of CR0 and
 * CR4, which VMX serves from its read shadows).
 */
#define RS_ROUTE_RDTSC		_BITUL(0)
#define RS_ROUTE_RDTSCP		_BITUL(1)
#define RS_ROUTE_INVLPG		_BITUL(2)
#define RS_ROUTE_HLT		_BITUL(3)
#define RS_ROUTE_PAUSE		_BITUL(4)
#define RS_ROUTE_INVD		_BITUL(5)
#define RS_ROUTE_WBINVD		_BITUL(6)
#define RS_ROUTE_XSETBV		_BITUL(7)

#define RS_ROUTE_MAX_RANGES	8

/* Inclusive ranges of MSR indexes, CPUID leaves (EAX) or ports. */
struct rs_route_ranges {
	__u32 nr;			/* ranges used, at most RS_ROUTE_MAX_RANGES */
	__u32 pad;
	struct {
		__u32 first;
		__u32 last;		/* >= first */
	} range[RS_ROUTE_MAX_RANGES];
};

struct rs_exit_route {
	__u32 flags;			/* 0 */
	__u32 exceptions;		/* bit n: vector n */
	__u32 cr_read;			/* bit n: MOV from CRn (3, 8) */
	__u32 cr_write;			/* bit n: writes of CRn (0, 3, 4, 8) */
	__u32 dr_read;			/* bit n: MOV from DRn (0-7) */
	__u32 dr_write;			/* bit n: MOV to DRn (0-7) */
	__u32 insns;			/* RS_ROUTE_* */
	__u32 pad;
	struct rs_route_ranges msr_read;	/* RDMSR */
	struct rs_route_ranges msr_write;	/* WRMSR */
	struct rs_route_ranges cpuid;
	struct rs_route_ranges ports;	/* IN and OUT (not INS/OUTS) */
	__u64 reserved[8];
};

#define RS_SET_EXIT_ROUTE	_IOW(RS_IO, 0x16, struct rs_exit_route)

/* vCPU fd */
struct rs_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
	__u64 flags;
	__u64 reserved[3];
};

/*
 * attr packs the descriptor's attribute bits as AMD's VMCB does (APM vol. 2,
 * 15.5.1): type[3:0], S[4], DPL[6:5], P[7], AVL[8], L[9], D/B[10], G[11].
 * A segment with P clear is unusable.  limit is in bytes, already scaled by
 * G (0xffffffff for a flat 4 GiB segment with G set), as the CPU holds it.
 */
struct rs_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 attr;
};

#define RS_SEG_TYPE(a)		((a) & 0xf)
#define RS_SEG_S		_BITUL(4)
#define RS_SEG_DPL(d)		((d) << 5)
#define RS_SEG_P		_BITUL(7)
#define RS_SEG_AVL		_BITUL(8)
#define RS_SEG_L		_BITUL(9)
#define RS_SEG_DB		_BITUL(10)
#define RS_SEG_G		_BITUL(11)

struct rs_dtable {
	__u64 base;
	__u32 limit;
	__u32 pad;			/* zero */
};

struct rs_sregs {
	struct rs_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct rs_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 flags;
	__u64 reserved[7];
};

struct rs_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/* Returns the number of entries done; it stops at the first it cannot do. */
struct rs_msrs {
	__u32 nmsrs;			/* at most 256 */
	__u32 flags;
	__u64 entries;			/* user pointer to struct rs_msr_entry[nmsrs] */
	__u64 reserved[2];
};

/* The FPU, SSE and AVX state in the standard (uncompacted) XSAVE format. */
struct rs_fpu {
	__u32 flags;
	__u32 reserved[15];
	__u8 xsave[4096];
};

#define RS_CPUID_INDEXED	_BITUL(0)	/* entry applies to this index only */

struct rs_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;			/* RS_CPUID_INDEXED */
	__u32 eax, ebx, ecx, edx;
	__u32 reserved[3];
};

struct rs_cpuid {
	__u32 nent;			/* at most RS_CAP_MAX_CPUID */
	__u32 flags;
	__u64 entries;			/* user pointer to struct rs_cpuid_entry[nent] */
	__u64 reserved[2];
};

#define RS_EVENT_EXTINT		0	/* external interrupt, when IF allows */
#define RS_EVENT_NMI		2
#define RS_EVENT_EXCEPTION	3

#define RS_EVENT_HAS_ERROR_CODE	_BITUL(0)

struct rs_event {
	__u32 type;			/* RS_EVENT_* */
	__u32 vector;			/* 0-255; 0-31 for exceptions */
	__u32 error_code;
	__u32 flags;			/* RS_EVENT_HAS_ERROR_CODE */
	__u64 reserved[2];
};

#define RS_RUN			_IO(RS_IO, 0x20)
#define RS_GET_REGS		_IOR(RS_IO, 0x21, struct rs_regs)
#define RS_SET_REGS		_IOW(RS_IO, 0x22, struct rs_regs)
#define RS_GET_SREGS		_IOR(RS_IO, 0x23, struct rs_sregs)
#define RS_SET_SREGS		_IOW(RS_IO, 0x24, struct rs_sregs)
#define RS_GET_MSRS		_IOWR(RS_IO, 0x25, struct rs_msrs)
#define RS_SET_MSRS		_IOW(RS_IO, 0x26, struct rs_msrs)
#define RS_GET_FPU		_IOR(RS_IO, 0x27, struct rs_fpu)
#define RS_SET_FPU		_IOW(RS_IO, 0x28, struct rs_fpu)
#define RS_SET_CPUID		_IOW(RS_IO, 0x29, struct rs_cpuid)
#define RS_GET_CPUID		_IOWR(RS_IO, 0x2a, struct rs_cpuid)
#define RS_INJECT_EVENT		_IOW(RS_IO, 0x2b, struct rs_event)

/*
 * The whole state of a vCPU's in-kernel local APIC (RS_CREATE_LAPIC): its
 * registers as the xAPIC page lays them out (offset 20H the ID, in x2APIC
 * mode the 32-bit x2APIC ID; 390H the current count as it counts now; ISR,
 * TMR and IRR as they are), and whether the vCPU runs, halted, or waits
 * for SIPI.  IA32_APIC_BASE and IA32_TSC_DEADLINE are MSRs (RS_GET_MSRS):
 * set IA32_APIC_BASE before RS_SET_LAPIC.
 */
#define RS_MP_RUNNABLE		0
#define RS_MP_HALTED		1	/* in HLT until an interrupt */
#define RS_MP_WAIT_SIPI		2	/* after INIT, an AP until SIPI */

struct rs_lapic_state {
	__u8 regs[1024];
	__u32 mp_state;			/* RS_MP_* */
	__u32 flags;			/* 0 */
	__u64 reserved[7];
};

#define RS_GET_LAPIC		_IOR(RS_IO, 0x2c, struct rs_lapic_state)
#define RS_SET_LAPIC		_IOW(RS_IO, 0x2d, struct rs_lapic_state)
/* The vCPU's exit routing (RS_SET_EXIT_ROUTE), as the kernel holds it. */
#define RS_GET_EXIT_ROUTE	_IOR(RS_IO, 0x2e, struct rs_exit_route)

/*
 * A debugger's hold on a vCPU, which the guest does not see
 * (Documentation/guest-debug.rst).  SINGLESTEP: each RS_RUN runs one
 * instruction, or delivers one event, and returns RS_EXIT_DEBUG with
 * DR6.BS.  HW_BP: dr[] and dr7 are the hardware's breakpoints while the
 * guest runs; the guest's own debug registers are kept aside and its MOV
 * DR reaches them.  BLOCK_IRQ: no interrupt or NMI is delivered while
 * stepping.  flags 0 lets go.  EINVAL: an unknown flag, pad or reserved
 * not 0, dr[] or dr7 not 0 without HW_BP, a non-canonical dr[], dr7 with
 * GD, bits 10-15 or 32-63, an I/O breakpoint (R/W 10b), or an instruction
 * breakpoint (R/W 00b) whose LEN is not 00b.
 */
#define RS_GUEST_DEBUG_SINGLESTEP	_BITUL(0)
#define RS_GUEST_DEBUG_HW_BP		_BITUL(1)
#define RS_GUEST_DEBUG_BLOCK_IRQ	_BITUL(2)

struct rs_guest_debug {
	__u32 flags;			/* RS_GUEST_DEBUG_* */
	__u32 pad;
	__u64 dr[4];			/* linear addresses */
	__u64 dr7;			/* their enables, R/W and LEN bits */
	__u64 reserved[8];
};

#define RS_SET_GUEST_DEBUG	_IOW(RS_IO, 0x2f, struct rs_guest_debug)

/* Why RS_RUN returned: struct rs_run.exit_reason. */
#define RS_EXIT_NONE		0
#define RS_EXIT_IO		1	/* port I/O: run->io */
#define RS_EXIT_MMIO		2	/* access outside memory: run->mmio */
#define RS_EXIT_HLT		3	/* RIP is past the HLT */
#define RS_EXIT_SHUTDOWN	4	/* triple fault */
#define RS_EXIT_IRQ_WINDOW	5	/* the guest can take an interrupt */
#define RS_EXIT_HYPERCALL	6	/* run->hypercall */
#define RS_EXIT_INTR		7	/* RS_RUN failed with EINTR: signal or immediate_exit */
#define RS_EXIT_FAIL_ENTRY	8	/* run->fail_entry */
#define RS_EXIT_INTERNAL_ERROR	9	/* run->internal */
#define RS_EXIT_EOI		10	/* run->eoi: a level-triggered EOI */
#define RS_EXIT_ROUTED		11	/* run->routed: an event RS_SET_EXIT_ROUTE routes */
#define RS_EXIT_DEBUG		12	/* run->debug: RS_SET_GUEST_DEBUG's step or breakpoint */

/* run->routed.event: what the guest did. */
#define RS_ROUTED_EXCEPTION	1	/* index: vector; error_code; value: CR2 (#PF), DR6 (#DB) */
#define RS_ROUTED_CR_READ	2	/* index: CR number */
#define RS_ROUTED_CR_WRITE	3	/* index: CR number; value: the new value */
#define RS_ROUTED_DR_READ	4	/* index: DR number */
#define RS_ROUTED_DR_WRITE	5	/* index: DR number; value */
#define RS_ROUTED_MSR_READ	6	/* index: MSR */
#define RS_ROUTED_MSR_WRITE	7	/* index: MSR; value: EDX:EAX */
#define RS_ROUTED_CPUID		8	/* index: EAX; subindex: ECX */
#define RS_ROUTED_RDTSC		9
#define RS_ROUTED_RDTSCP	10
#define RS_ROUTED_INVLPG	11	/* value: the linear address */
#define RS_ROUTED_HLT		12
#define RS_ROUTED_PAUSE		13
#define RS_ROUTED_INVD		14
#define RS_ROUTED_WBINVD	15
#define RS_ROUTED_XSETBV	16	/* index: XCR (ECX); value: EDX:EAX */
#define RS_ROUTED_IO_IN		17	/* index: port; subindex: size */
#define RS_ROUTED_IO_OUT	18	/* index: port; subindex: size; value */
#define RS_ROUTED_HYPERCALL	19	/* exit hooks only: value: RAX */

#define RS_ROUTED_HAS_ERROR_CODE	_BITUL(0)	/* error_code is valid */

/* run->routed.action: user space's answer, read by the next RS_RUN. */
#define RS_ROUTE_DEFAULT	0	/* the kernel handles it, as if not routed */
#define RS_ROUTE_SKIP		1	/* not carried out; RIP += insn_len */
#define RS_ROUTE_EMULATE	2	/* results[] to its destination; RIP += insn_len */
#define RS_ROUTE_INJECT		3	/* inject instead; RIP stays */

/* run->hypercall.ret as RS_RUN leaves it: user space did not answer. */
#define RS_HYPERCALL_UNKNOWN	(~0ULL)

#define RS_IO_IN		0
#define RS_IO_OUT		1

#define RS_INTERNAL_UNHANDLED_EXIT	1	/* data[0]: raw exit code */
#define RS_INTERNAL_EMULATION		2	/* an access ringside can't decode */
#define RS_INTERNAL_LOST_STATE		3	/* the exit lost the guest's state */
#define RS_INTERNAL_DELIVERY		4	/* an event's delivery met MMIO */

/* The page at offset 0 of a vCPU fd, RS_CAP_RUN_SIZE bytes. */
struct rs_run {
	/* in: set by user space before RS_RUN */
	__u8 request_interrupt_window;
	__u8 immediate_exit;
	__u8 pad1[6];

	/* out: set by RS_RUN */
	__u32 exit_reason;		/* RS_EXIT_* */
	__u8 ready_for_interrupt;	/* RFLAGS.IF set, no shadow, none queued */
	__u8 if_flag;
	__u16 pad2;
	__u64 flags;
	__u64 reserved[4];

	union {
		/* RS_EXIT_IO: count items of size bytes at data_offset in this page */
		struct {
			__u8 direction;		/* RS_IO_IN, RS_IO_OUT */
			__u8 size;		/* 1, 2 or 4 */
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		/* RS_EXIT_MMIO: for reads, fill data before the next RS_RUN */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		/* RS_EXIT_HYPERCALL: VMMCALL/VMCALL at CPL 0; ret goes to RAX */
		struct {
			__u64 nr;		/* RAX */
			__u64 args[4];		/* RBX, RCX, RDX, RSI */
			__u64 ret;
		} hypercall;
		/* RS_EXIT_FAIL_ENTRY: VMEXIT_INVALID, or VMX basic reason/error */
		struct {
			__u64 hardware_reason;
			__u64 qualification;
		} fail_entry;
		/*
		 * RS_EXIT_EOI: the guest EOIed a vector that RS_SIGNAL_MSI
		 * delivered level-triggered; the I/O APIC may send it again.
		 */
		struct {
			__u8 vector;
		} eoi;
		/*
		 * RS_EXIT_ROUTED: out, the event decoded (index, subindex,
		 * value as RS_ROUTED_* says) and the backend's raw exit
		 * (SVM: EXITCODE, EXITINFO1, EXITINFO2; VMX: exit reason,
		 * qualification, and the interruption information for an
		 * exception, else the instruction information).  In, the
		 * answer: action, and for RS_ROUTE_EMULATE the results the
		 * instruction returns (CR or DR read: results[0] to the
		 * register; RDMSR, RDTSC: results[0] to EDX:EAX; RDTSCP: also
		 * results[1] to ECX; CPUID: results[0-3] to EAX, EBX, ECX,
		 * EDX; IN: results[0] to AL, AX or EAX), for
		 * RS_ROUTE_INJECT the event, checked as RS_INJECT_EVENT's.
		 */
		struct {
			__u32 event;		/* RS_ROUTED_* */
			__u32 flags;		/* RS_ROUTED_HAS_ERROR_CODE */
			__u32 index;
			__u32 subindex;
			__u64 value;
			__u32 error_code;
			__u32 insn_len;		/* 0: none to skip (a fault) */
			__u64 hw_code;
			__u64 hw_info[2];
			/* in: the answer */
			__u32 action;		/* RS_ROUTE_DEFAULT... */
			__u32 pad;
			__u64 results[4];
			struct rs_event inject;
		} routed;
		/*
		 * RS_EXIT_DEBUG: dr6 has BS after a step and B0-B3 for the
		 * breakpoints of rs_guest_debug.dr[] that hit; pc is the
		 * linear address (CS base + RIP) of the next instruction.  An
		 * instruction breakpoint stops before the instruction, with
		 * RFLAGS.RF set so that the next RS_RUN runs it; a data
		 * breakpoint stops after it.
		 */
		struct {
			__u64 dr6;
			__u64 pc;
			__u32 exception;	/* 1: #DB */
			__u32 pad;
		} debug;
		/* RS_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;		/* RS_INTERNAL_* */
			__u32 ndata;
			__u64 data[8];
		} internal;
		__u8 pad_union[256];
	};
};

/*
 * The generic netlink family RS_NL_FAMILY_NAME (Documentation/netlink.rst):
 * the VMs, their exit statistics, and a multicast group of sampled exit
 * events.  Its id is dynamic: resolve the name with the nlctrl family.
 * Requests are validated strictly: an attribute a command does not take,
 * one of the wrong type or length, or a non-zero genlmsghdr.reserved fails
 * with EINVAL.  A VM the caller may not see (neither root -- CAP_SYS_ADMIN
 * or CAP_NET_ADMIN in the initial user namespace -- nor the VM creator's
 * effective uid) is left out of dumps and answers ENOENT, as an unknown id
 * does.  Numbers only ever get added at the end of each list.
 */
#define RS_NL_FAMILY_NAME	"ringside"
#define RS_NL_FAMILY_VERSION	1
/* Sampled exit events, RS_NL_CMD_EXIT_EVENT; joining needs CAP_NET_ADMIN. */
#define RS_NL_MCGRP_EVENTS	"events"

/* genlmsghdr.cmd */
enum rs_nl_cmd {
	RS_NL_CMD_UNSPEC,
	/* do: RS_NL_A_VM_ID; dump: every VM the caller may see */
	RS_NL_CMD_GET_VM,
	/*
	 * do: RS_NL_A_VM_ID, and RS_NL_A_VCPU_ID for one vCPU's statistics
	 * instead of the VM's; dump: one message per VM, plus one per vCPU
	 * (with RS_NL_A_VCPU_ID) if the request has RS_NL_A_PER_VCPU.
	 */
	RS_NL_CMD_GET_STATS,
	/* Multicast only: one sampled exit */
	RS_NL_CMD_EXIT_EVENT,
	__RS_NL_CMD_MAX
};

#define RS_NL_CMD_MAX		(__RS_NL_CMD_MAX - 1)

/* Attributes of every command and reply. */
enum rs_nl_attr {
	RS_NL_A_UNSPEC,
	RS_NL_A_PAD,			/* aligns the __u64 attributes */
	RS_NL_A_VM_ID,			/* __u32: 1 and up */
	RS_NL_A_VM_PID,			/* __u32: creator's tgid, reader's pid ns */
	RS_NL_A_VM_UID,			/* __u32: creator's euid, reader's user ns */
	RS_NL_A_VM_COMM,		/* string: creator's thread name */
	RS_NL_A_VM_VCPUS,		/* __u32: vCPUs created */
	RS_NL_A_VM_MEMORY,		/* __u64: bytes in memory slots */
	RS_NL_A_VM_UPTIME_NS,		/* __u64: since RS_CREATE_VM */
	RS_NL_A_BACKEND,		/* string: "svm" or "vmx" */
	RS_NL_A_VCPU_ID,		/* __u32 */
	RS_NL_A_PER_VCPU,		/* flag: GET_STATS dump of each vCPU too */
	RS_NL_A_STATS,			/* nested: RS_NL_STATS_* */
	RS_NL_A_EXIT_NAME,		/* string: the reason's statistics name */
	RS_NL_A_EXIT_CODE,		/* __u64: SVM EXITCODE, VMX exit reason */
	RS_NL_A_EXIT_RIP,		/* __u64: guest RIP at the exit */
	RS_NL_A_EXIT_INFO1,		/* __u64: EXITINFO1, VMX qualification */
	RS_NL_A_EXIT_INFO2,		/* __u64: EXITINFO2, VMX guest-physical */
	RS_NL_A_TIMESTAMP_NS,		/* __u64: CLOCK_MONOTONIC of the event */
	__RS_NL_A_MAX
};

#define RS_NL_A_MAX		(__RS_NL_A_MAX - 1)

/*
 * RS_NL_A_STATS: a vCPU's counters, or their sums over the VM's vCPUs.
 * Times are both in nanoseconds and in the host's TSC cycles.
 */
enum rs_nl_stats_attr {
	RS_NL_STATS_UNSPEC,
	RS_NL_STATS_PAD,
	RS_NL_STATS_ENABLED,		/* __u8: 1 if counting is on */
	RS_NL_STATS_TSC_KHZ,		/* __u32: TSC cycles per millisecond */
	RS_NL_STATS_EXITS,		/* __u64: every exit, named or not */
	RS_NL_STATS_GUEST_NS,		/* __u64: time in guest mode */
	RS_NL_STATS_GUEST_CYCLES,	/* __u64 */
	RS_NL_STATS_HANDLE_NS,		/* __u64: time handling exits in the kernel */
	RS_NL_STATS_HANDLE_CYCLES,	/* __u64 */
	RS_NL_STATS_REASON,		/* nested RS_NL_REASON_*: one per reason seen */
	RS_NL_STATS_L1D_FLUSHES,	/* __u64: L1D flushes before entry (L1TF) */
	/*
	 * nested RS_NL_REASON_*, one per RS_EXIT_* seen: RS_RUN's returns
	 * to user space ("IO", "MMIO", "INTR"...), and the time from each
	 * until the next RS_RUN of the vCPU
	 */
	RS_NL_STATS_USER,
	__RS_NL_STATS_MAX
};

#define RS_NL_STATS_MAX		(__RS_NL_STATS_MAX - 1)

/* RS_NL_STATS_REASON: the exits of one reason (the backend's names). */
enum rs_nl_reason_attr {
	RS_NL_REASON_UNSPEC,
	RS_NL_REASON_PAD,
	RS_NL_REASON_NAME,		/* string: "CPUID", "IOIO", "NPF"... */
	RS_NL_REASON_COUNT,		/* __u64: exits */
	RS_NL_REASON_NS,		/* __u64: time handling them */
	RS_NL_REASON_CYCLES,		/* __u64 */
	/*
	 * binary, __u64[]: how many of them took 0 cycles (index 0), or
	 * [2^(k-1), 2^k) cycles (index k), the last bucket also more;
	 * indexes from RS_NL_REASON_HIST_FIRST to the last one not zero
	 */
	RS_NL_REASON_HIST,
	RS_NL_REASON_HIST_FIRST,	/* __u8: the index of HIST's first */
	__RS_NL_REASON_MAX
};

#define RS_NL_REASON_MAX	(__RS_NL_REASON_MAX - 1)
/* Buckets of RS_NL_REASON_HIST: 0 cycles, then powers of two up to 2^30. */
#define RS_NL_HIST_BUCKETS	32

#endif /* _UAPI_LINUX_RINGSIDE_H */
