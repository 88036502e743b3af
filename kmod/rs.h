/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringside core: what the core and the SVM/VMX backends share.
 *
 * The core (main.c, vm.c, vcpu.c, mmu.c, exits.c, the emulator of
 * emulate.h, cpuid.c, msr.c, cr.c) validates user input and owns the objects; a backend enters
 * the guest and handles each exit through a table indexed by the
 * hardware's exit code, whose rows point at the core's shared handlers
 * wherever the exit means the same on both vendors.  Nothing above struct rs_arch_ops
 * knows a VMCB offset or a VMCS field.
 */
#ifndef RINGSIDE_RS_H
#define RINGSIDE_RS_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/refcount.h>
#include <linux/mmu_notifier.h>
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/static_call.h>
#include <linux/jump_label.h>
#include <linux/uidgid.h>
#include <asm/fpu/api.h>
#include <asm/debugreg.h>
#include <asm/hw_breakpoint.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <linux/ringside.h>

#define RS_NR_MEMSLOTS		32
#define RS_MAX_VCPUS		64
#define RS_MAX_CPUID		256
#define RS_MAX_MSRS		256
/* Exit statistics per vCPU: a backend names at most this many (stats.c). */
#define RS_MAX_EXIT_STATS	48

struct rs_vm;
struct rs_vcpu;
struct rs_cr_state;
struct rs_exit_table;
struct rs_lapic;

/* One backend: AMD SVM (svm.c) or Intel VMX (vmx.c). */
struct rs_arch_ops {
	const char *name;
	u32 cap;		/* RS_CAP_SVM or RS_CAP_VMX */
	u64 hw_features;	/* RS_HW_* found at probe time */

	/* Module load and unload: per-CPU memory the backend needs. */
	int (*setup)(void);
	void (*unsetup)(void);

	/*
	 * Turn virtualization on or off on this CPU, with IRQs off.  Enable
	 * fails with -EBUSY where another hypervisor already has it on.
	 */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);

	/* Page table entry bits of the nested page table format. */
	u64 npt_table;		/* a non-leaf entry */
	u64 npt_leaf_ro;	/* a read-only, executable 4 KiB page */
	u64 npt_leaf_w;		/* added for a writable page */
	u64 npt_present;	/* any of these bits: the entry is present */

	/*
	 * The core allocates vcpu_size zeroed bytes of backend state at
	 * vcpu->arch, in the vCPU's own allocation; create sets up the rest,
	 * free undoes it.
	 */
	size_t vcpu_size;
	int (*vcpu_create)(struct rs_vcpu *vcpu);
	void (*vcpu_free)(struct rs_vcpu *vcpu);

	/*
	 * Enter the guest once (preemption and IRQs are enabled on entry and
	 * return) and handle the exit: 0 to enter again, RS_EXIT_USER when
	 * vcpu->run says why user space must act, or a negative errno.
	 */
	int (*vcpu_run)(struct rs_vcpu *vcpu);

	/* Guest state the core moves to and from user space. */
	void (*get_rip_rflags)(struct rs_vcpu *vcpu, u64 *rip, u64 *rflags);
	/*
	 * @done: the core carried out an instruction (or an iteration of
	 * one) for the guest, which ends the STI or MOV SS shadow it ran in.
	 */
	void (*set_rip_rflags)(struct rs_vcpu *vcpu, u64 rip, u64 rflags,
			       bool done);
	void (*get_sregs)(struct rs_vcpu *vcpu, struct rs_sregs *sregs);
	/* The core checked the state (rs_sregs_valid()). */
	int (*set_sregs)(struct rs_vcpu *vcpu, const struct rs_sregs *sregs);
	/*
	 * CR0, CR3, CR4 and EFER as the guest sees them, for the rules in
	 * cr.c; set commits what they allowed, with the PDPTEs that PAE
	 * paging loaded anew (NULL: they stay).
	 */
	void (*get_cr_state)(struct rs_vcpu *vcpu, struct rs_cr_state *st);
	void (*set_cr_state)(struct rs_vcpu *vcpu, const struct rs_cr_state *st,
			     const u64 *pdptes);
	/*
	 * MSRs held in the VMCB/VMCS; -ENOENT: not one of these.  The core
	 * checked the value (msr.c) and handles EFER itself (cr.c).
	 */
	int (*get_msr)(struct rs_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct rs_vcpu *vcpu, u32 index, u64 data);

	/*
	 * Deliver the NMI or exception @info (RS_EVENT_INFO_*, which the
	 * core built and checked) at the next entry, pushing @error if it
	 * says so.  -EBUSY if one is already queued.
	 */
	int (*queue_event)(struct rs_vcpu *vcpu, u32 info, u32 error);
	/* The CR2 of a #PF the core queues (neither CPU sets it on entry). */
	void (*set_cr2)(struct rs_vcpu *vcpu, u64 cr2);
	int (*get_cpl)(struct rs_vcpu *vcpu);
	/* IF set and no interrupt shadow: an interrupt can be delivered. */
	bool (*interrupt_allowed)(struct rs_vcpu *vcpu);
	/*
	 * The guest blocks NMIs (it runs its NMI handler, before the IRET),
	 * or an NMI is on its way in: a second one can only be latched.
	 */
	bool (*nmi_blocked)(struct rs_vcpu *vcpu);
	/*
	 * Skip the instruction that exited, len bytes long; returns whether
	 * the guest single-steps it (RFLAGS.TF).
	 */
	bool (*skip_instruction)(struct rs_vcpu *vcpu, unsigned int len);
	/* DR6 as a single-step #DB leaves it: BS set, B0-B3 clear. */
	void (*set_dr6_step)(struct rs_vcpu *vcpu);

	/*
	 * Exit routing (route.c): make the events vcpu->route names exit,
	 * and the ones the backend only intercepts for them stop exiting;
	 * called from the vCPU's own ioctls, outside the guest.
	 */
	void (*set_route)(struct rs_vcpu *vcpu);
	/*
	 * The exit being handled as the hardware reported it, for
	 * run->routed: SVM EXITCODE, EXITINFO1, EXITINFO2; VMX exit reason,
	 * qualification, interruption or instruction information; and the
	 * length of the instruction that exited where the hardware says
	 * (else 0: the handler's own count stands).
	 */
	void (*get_exit_raw)(struct rs_vcpu *vcpu, u64 *code, u64 info[2],
			     u8 *len);
	/*
	 * The guest's DR0-3, DR6 or DR7 (@dr), wherever the backend keeps
	 * them now, for a routed MOV DR's default (cr.c), which gives set_dr
	 * values with DR6's and DR7's fixed bits as the architecture has them.
	 */
	u64 (*get_dr)(struct rs_vcpu *vcpu, int dr);
	void (*set_dr)(struct rs_vcpu *vcpu, int dr, u64 val);
	/* The TPR (CR8, 0-15) where user space has the APIC: the backend's. */
	void (*set_cr8)(struct rs_vcpu *vcpu, u64 val);

	/*
	 * Guest debug (debug.c): the RS_GUEST_DEBUG_* flags the backend can
	 * do; whether it steps with TF, so that every exception must exit
	 * while the debugger steps (rs_debug_route()); and set_guest_debug,
	 * if the backend has more
	 * to do once the core has taken vcpu->debug and the route, from the
	 * vCPU's own ioctls.
	 */
	u32 guest_debug;
	bool step_with_tf;
	void (*set_guest_debug)(struct rs_vcpu *vcpu);

	/* The backend's exits: handlers, and names for the statistics. */
	struct rs_exit_table *exits;
};

/*
 * One row of a backend's exit table, indexed by the hardware's exit code
 * (svm_exits[], vmx_exits[]): the handler (exits.c says what it returns and
 * leaves behind), and the name the exit is counted, traced and reported
 * under (stats.h, Documentation/netlink.rst).  Rows with the same name
 * share one statistics bucket; rs_exit_table_init() numbers the names at
 * module load.  An exit code without a row is counted as OTHER and ends in
 * rs_exit_unhandled().
 */
struct rs_exit_row {
	int (*handle)(struct rs_vcpu *vcpu);
	const char *name;
	u8 stat;		/* the bucket: set by rs_exit_table_init() */
};

struct rs_exit_table {
	struct rs_exit_row *rows;
	unsigned int nr_rows;
	/* Bucket names, indexed by vcpu->exit_stat: OTHER, INVALID, rows'. */
	const char *names[RS_MAX_EXIT_STATS];
	unsigned int nr_names;
};

/* The two buckets every backend has. */
#define RS_STAT_OTHER		0	/* an exit code without a row */
#define RS_STAT_INVALID		1	/* VM entry failed: no guest ran */

/* CR0, CR3, CR4, EFER and CS.L: what the rules of cr.c look at. */
struct rs_cr_state {
	u64 cr0, cr3, cr4, efer;
	bool cs_l;
};

#define RS_NR_PDPTES		4

/*
 * A CPUID feature bit of the guest, in leaf @leaf (subleaf 0), register
 * @reg (CPUID_EAX...CPUID_EDX), bit @bit: rs_guest_has() reads it from the
 * vCPU's CPUID table.
 */
struct rs_cpuid_bit {
	u32 leaf;
	u8 reg;
	u8 bit;
};

#define RS_CPUID_BIT(l, r, b)	((struct rs_cpuid_bit){ .leaf = (l), .reg = (r), .bit = (b) })
#define RS_CPUID_PCID		RS_CPUID_BIT(1, CPUID_ECX, 17)
#define RS_CPUID_X2APIC		RS_CPUID_BIT(1, CPUID_ECX, 21)
#define RS_CPUID_TSC_DEADLINE	RS_CPUID_BIT(1, CPUID_ECX, 24)
#define RS_CPUID_XSAVE		RS_CPUID_BIT(1, CPUID_ECX, 26)
#define RS_CPUID_FSGSBASE	RS_CPUID_BIT(7, CPUID_EBX, 0)
#define RS_CPUID_SMEP		RS_CPUID_BIT(7, CPUID_EBX, 7)
#define RS_CPUID_SMAP		RS_CPUID_BIT(7, CPUID_EBX, 20)
#define RS_CPUID_UMIP		RS_CPUID_BIT(7, CPUID_ECX, 2)
#define RS_CPUID_LA57		RS_CPUID_BIT(7, CPUID_ECX, 16)
#define RS_CPUID_NX		RS_CPUID_BIT(0x80000001, CPUID_EDX, 20)
#define RS_CPUID_FFXSR		RS_CPUID_BIT(0x80000001, CPUID_EDX, 25)
#define RS_CPUID_LM		RS_CPUID_BIT(0x80000001, CPUID_EDX, 29)
/* Speculation controls, Intel's (leaf 7) and AMD's (80000008H EBX). */
#define RS_CPUID_SPEC_CTRL	RS_CPUID_BIT(7, CPUID_EDX, 26)	/* IBRS, IBPB */
#define RS_CPUID_INTEL_STIBP	RS_CPUID_BIT(7, CPUID_EDX, 27)
#define RS_CPUID_FLUSH_L1D	RS_CPUID_BIT(7, CPUID_EDX, 28)
#define RS_CPUID_INTEL_SSBD	RS_CPUID_BIT(7, CPUID_EDX, 31)
#define RS_CPUID_AMD_IBPB	RS_CPUID_BIT(0x80000008, CPUID_EBX, 12)
#define RS_CPUID_AMD_IBRS	RS_CPUID_BIT(0x80000008, CPUID_EBX, 14)
#define RS_CPUID_AMD_STIBP	RS_CPUID_BIT(0x80000008, CPUID_EBX, 15)
#define RS_CPUID_AMD_SSBD	RS_CPUID_BIT(0x80000008, CPUID_EBX, 24)

/*
 * The state after RESET that is not in struct rs_sregs (rs_reset_sregs()
 * has the rest): SDM vol. 3A, 9.1.1 "Processor State After Reset", table
 * 9-1; APM vol. 2, 14.1.3 "Processor Initialization State".
 */
#define RS_RESET_RIP		0xfff0
#define RS_RESET_RFLAGS		X86_EFLAGS_FIXED
#define RS_RESET_DR6		0xffff0ff0ULL
#define RS_RESET_DR7		0x400ULL	/* bit 10 reads 1 */
#define RS_RESET_PAT		0x0007040600070406ULL

/* Exceptions that push an error code (SDM vol. 3A, table 6-1). */
#define RS_EXC_ERROR_CODES	(BIT(8) | GENMASK(14, 10) | BIT(17) | \
				 BIT(21) | BIT(29) | BIT(30))
/*
 * Exception vectors a route may name (route.c), and that exit while a
 * debugger steps with TF (debug.c): #DE-#XM but NMI, #MC, 9 and 15.
 */
#define RS_ROUTE_VECTORS	(GENMASK(19, 0) & ~(BIT(2) | BIT(9) | \
				 BIT(15) | BIT(18)))

/* DR6.BD and DR7.GD: a MOV DR under general detect (SDM vol. 3A, 18.2). */
#define RS_DR6_BD		BIT(13)
#define RS_DR7_GD		BIT(13)
/*
 * What a MOV to DR6 or DR7 can change (SDM vol. 3A, 18.2.3 "Debug Status
 * Register (DR6)", 18.2.4 "Debug Control Register (DR7)"), as KVM's
 * DR6_VOLATILE and DR7_VOLATILE: the other bits read as DR6_RESERVED says
 * (RTM and bus-lock bits 1: the guest's CPU has neither) and as DR7 bit
 * 10, 1, and bits 12, 14 and 15, 0.
 */
#define RS_DR6_VOLATILE		(DR_TRAP_BITS | RS_DR6_BD | DR_STEP | DR_SWITCH)
#define RS_DR7_VOLATILE		0xffff2bffULL
/* Segment attributes after RESET: present, accessed. */
#define RS_SEG_RESET_DATA	(RS_SEG_P | RS_SEG_S | 0x3)	/* read/write */
#define RS_SEG_RESET_CODE	(RS_SEG_P | RS_SEG_S | 0xb)	/* exec/read */
#define RS_SEG_RESET_LDT	(RS_SEG_P | 0x2)
#define RS_SEG_RESET_TSS	(RS_SEG_P | 0xb)		/* busy 32-bit TSS */

#define RS_EXIT_USER		1

/* A guest-physical range backed by the VM owner's memory. */
struct rs_memslot {
	u64 gfn;
	u64 npages;		/* 0: the slot is free */
	unsigned long uaddr;
	u32 flags;		/* RS_MEM_* */
	bool deleting;		/* zapped meanwhile: no faults (mmu.c) */
};

struct rs_vm {
	refcount_t refs;		/* the VM fd and each vCPU fd */
	struct mm_struct *mm;		/* whose memory the guest uses */
	struct mmu_notifier mn;
	struct mutex lock;		/* slots, vCPU creation */

	/*
	 * mmu_lock protects the slots and the nested page table.  A fault
	 * reads mmu_seq, looks the page up without the lock, and maps it
	 * only if no invalidation started or ran meanwhile.
	 */
	spinlock_t mmu_lock;
	unsigned long mmu_seq;
	long mmu_invalidating;
	struct rs_memslot slots[RS_NR_MEMSLOTS];
	u64 *npt_root;
	cpumask_var_t kick_mask;

	struct rs_vcpu *vcpus[RS_MAX_VCPUS];
	unsigned int nr_vcpus;
	u64 tsc_base;			/* host TSC when the guest's read 0 */
	u64 spec_id;			/* never reused: rs_spec_enter() */

	bool lapic;			/* RS_CREATE_LAPIC: each vCPU has one */
	/* RS_SET_EXIT_ROUTE on the VM: every vCPU's, under lock; or NULL */
	struct rs_exit_route *route;

	/* RS_IOEVENTFD (ioeventfd.c): an RCU list, written under lock */
	struct list_head ioeventfds;
	unsigned int nr_ioeventfds;
	/* RS_IRQFD (irqfd.c): under lock */
	struct list_head irqfds;
	unsigned int nr_irqfds;

	/* Observability (stats.c, netlink.c): the VM's id and creator. */
	u32 id;				/* in rs_vms; 0 until registered */
	kuid_t owner_uid;		/* creator's euid: may read the VM */
	struct pid *owner_pid;		/* creator's thread group */
	char owner_comm[TASK_COMM_LEN];
	u64 created_ns;			/* ktime_get_ns() at creation */
	/* Sampled exit events: at most event_rate per second (netlink.c). */
	spinlock_t ev_lock;		/* ev_window, ev_sent */
	unsigned long ev_window;	/* jiffies: this second's start */
	unsigned int ev_sent;		/* events sent in it */
};

/*
 * Exit statistics of one vCPU (stats.h): only the vCPU's own thread writes
 * them, without locks or atomics; readers (netlink.c) take each counter
 * with READ_ONCE().  Times are TSC cycles.
 */
struct rs_exit_stat {
	u64 count;
	u64 cycles;		/* from the exit to the next entry or RS_RUN's end */
};

/* RS_RUN's returns by run->exit_reason, RS_EXIT_NONE to RS_EXIT_ROUTED. */
#define RS_NR_USER_EXITS	(RS_EXIT_ROUTED + 1)

struct rs_vcpu_stats {
	u64 guest_cycles;	/* from just before entry to just after exit */
	u64 l1d_flushes;	/* rs_l1d_flush() */
	struct rs_exit_stat exits[RS_MAX_EXIT_STATS];
	/* cycles: from RS_RUN's return to the next RS_RUN, in user space */
	struct rs_exit_stat user[RS_NR_USER_EXITS];
	/* The histograms of their times, as RS_NL_REASON_HIST has them */
	u64 exit_hist[RS_MAX_EXIT_STATS][RS_NL_HIST_BUCKETS];
	u64 user_hist[RS_NR_USER_EXITS][RS_NL_HIST_BUCKETS];
};

/* vcpu->mode: whether a TLB flush request must kick the vCPU out. */
enum { RS_OUTSIDE_GUEST, RS_IN_GUEST };

/* vcpu->requests bits, checked before each entry. */
#define RS_REQ_TLB_FLUSH	0
/* lapic.c: something for the APIC to look at; an INIT; a SIPI */
#define RS_REQ_EVENT		1
#define RS_REQ_INIT		2
#define RS_REQ_SIPI		3
/* route.c: the VM's exit routing changed (RS_SET_EXIT_ROUTE on the VM) */
#define RS_REQ_ROUTE		4
/* hooks.c: a module registered or unregistered an exit hook */
#define RS_REQ_HOOKS		5
/* debug.c: the core finished an instruction that a debugger steps */
#define RS_REQ_STEP		6
/* The requests that call an entry off (rs_vcpu_enter_prepare()). */
#define RS_REQ_KICKS		(BIT(RS_REQ_EVENT) | BIT(RS_REQ_INIT) | \
				 BIT(RS_REQ_SIPI) | BIT(RS_REQ_ROUTE) | \
				 BIT(RS_REQ_HOOKS))

/* General registers in the order of the ModRM/REX encoding. */
enum {
	RS_RAX, RS_RCX, RS_RDX, RS_RBX, RS_RSP, RS_RBP, RS_RSI, RS_RDI,
	RS_R8, RS_R9, RS_R10, RS_R11, RS_R12, RS_R13, RS_R14, RS_R15,
	RS_NR_GPRS
};

/* What a user-space exit left for the next RS_RUN to finish. */
enum rs_pending {
	RS_PENDING_NONE,
	RS_PENDING_PIO_IN,	/* copy run data to RAX */
	RS_PENDING_MMIO_READ,	/* copy run->mmio.data to a register */
	RS_PENDING_MMIO_WRITE,	/* go on with a store's next part */
	RS_PENDING_HYPERCALL,	/* copy run->hypercall.ret to RAX */
	RS_PENDING_PIO_STRING_IN, /* copy run data to ES:RDI */
	RS_PENDING_ROUTED,	/* carry out user space's answer (route.c) */
};

/*
 * An event the guest caused, decoded by the exit's handler: it goes to
 * user space if the vCPU routes it (RS_EXIT_ROUTED), else to @def, which
 * carries it out as ringside always does (rs_exit_event()).  @def runs
 * later, at the next RS_RUN, if user space answers RS_ROUTE_DEFAULT: so
 * nothing before rs_exit_event() may change the guest's state.
 */
struct rs_exit_ev {
	u32 event;		/* RS_ROUTED_* */
	u32 index;		/* as run->routed.index */
	u32 subindex;
	u64 value;
	u32 error_code;
	bool has_error;
	u8 len;			/* the instruction's length; 0 for a fault */
	u8 reg;			/* MOV CR/DR: the general register */
	/* an exception: the event whose delivery raised it (RS_EVENT_INFO_*) */
	u32 interrupted;
	int (*def)(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev);
};

/* What an instruction that touched MMIO does with its memory operand. */
enum rs_alu {
	RS_ALU_MOV,		/* a load or a store (MOVBE: byte-swapped) */
	/* in the order of their opcodes 00-3F and 80-83 /0-/7 */
	RS_ALU_ADD, RS_ALU_OR, RS_ALU_ADC, RS_ALU_SBB,
	RS_ALU_AND, RS_ALU_SUB, RS_ALU_XOR, RS_ALU_CMP,
	/* C0/C1 and D0-D3 /0-/7; /6 is SHL again */
	RS_ALU_ROL, RS_ALU_ROR, RS_ALU_RCL, RS_ALU_RCR,
	RS_ALU_SHL, RS_ALU_SHR, RS_ALU_SAL, RS_ALU_SAR,
	/* 0F BA /4-/7 */
	RS_ALU_BT, RS_ALU_BTS, RS_ALU_BTR, RS_ALU_BTC,
	RS_ALU_TEST, RS_ALU_NOT, RS_ALU_NEG, RS_ALU_INC, RS_ALU_DEC,
	RS_ALU_XCHG, RS_ALU_XADD, RS_ALU_CMPXCHG, RS_ALU_CMPXCHG8B,
	RS_ALU_CMPXCHG16B,
	RS_ALU_SETCC,		/* a store of the condition in imm */
	RS_ALU_CMOV,		/* ...a load if the condition in imm holds */
	RS_ALU_BSF, RS_ALU_BSR, RS_ALU_IMUL,	/* reg op= mem (or imm) */
	RS_ALU_MUL1, RS_ALU_IMUL1,		/* rDX:rAX = rAX * mem */
	RS_ALU_DIV, RS_ALU_IDIV,		/* rDX:rAX / mem */
	RS_ALU_SHLD, RS_ALU_SHRD,		/* mem, reg, imm8 or CL */
	RS_ALU_PUSH, RS_ALU_POP,		/* between mem and the stack */
};

/* A decoded instruction whose memory operand is MMIO (emulate.c). */
struct rs_insn {
	unsigned int len;
	unsigned int size;	/* bytes accessed */
	enum rs_alu alu;
	bool write;		/* a MOV store */
	bool mem_dst;		/* the operation writes its result to memory */
	bool reg_dst;		/* the register is the first operand (02-3B) */
	bool sign;		/* MOVSX */
	bool reg8_legacy;	/* an 8-bit register without REX: AH-BH */
	bool has_imm;		/* the source is an immediate, not a register */
	bool src_cl;		/* ...or CL (shifts and rotates) */
	bool bswap;		/* MOVBE */
	bool bit_reg;		/* BT* with a register bit offset */
	bool moffs;		/* A0-A3: the address follows the opcode */
	bool split;		/* moves in parts, as a vector access does */
	int reg;		/* the register operand */
	unsigned int dst_size;	/* register size for loads */
	u64 imm;		/* sign-extended to 64 bits */
	u64 gpa;
	u64 rip;		/* where it is, for a fault it raises */
	/* one element of a string instruction (rs_mmio_string()) */
	u8 string;		/* MOVS A4, CMPS A6, STOS AA, LODS AC, SCAS AE */
	u8 rep;			/* its F2 or F3 prefix */
	u8 seg;			/* its segment override prefix */
	u8 step;		/* 0: source next, 1: destination, 2: both read */
	u64 addr_mask;		/* of the address size */
	u64 next_rip;
	u64 str_la[2];		/* the source's and the destination's... */
	u64 str_pages[2][2];	/* ...and their one or two pages */
	u64 val[2];		/* read from the source and the destination */
	/* an SSE or AVX access, or a split one (rs_mmio_parts()) */
	u8 vec;			/* RS_VEC_* */
	u8 done;		/* bytes moved so far */
	u8 part;		/* bytes of the access with user space */
	u8 modrm;		/* where the ModRM byte (or moffs) is */
	u8 rex;			/* REX, or VEX's R, X, B and W as REX */
	u8 vvvv;		/* VEX.vvvv's register (0 without VEX) */
	u8 addr_bytes;		/* the address size */
	u64 la;			/* the operand's linear address */
	u64 page_gpa[2];	/* of its one or two pages */
	u8 data[32];
};

#define RS_VEC			BIT(0)	/* an SSE or AVX move */
#define RS_VEC_VEX		BIT(1)	/* VEX: a load zeroes the bits above it */
#define RS_VEC_MMX		BIT(2)	/* an MMX register, not XMM */
#define RS_VEC_HALF		BIT(3)	/* MOVLPS etc.: half of the XMM register */
#define RS_VEC_HIGH		BIT(4)	/* MOVHPS etc.: its bits 127:64 */

/* The part of an INS/OUTS that this exit moves (string_io.c). */
struct rs_pending_string {
	u64 count;
	u64 mask;		/* of the address size */
	u64 next_rip;
	u8 size;
	u8 seg;			/* OUTS: the source's segment prefix */
	bool rep;
};

/*
 * RS_SET_GUEST_DEBUG's state (debug.c): its flags; the debugger's enabled
 * breakpoints (DR6 bits B0-B3) and which of them are instruction
 * breakpoints; and the guest's own DR0-3 and DR7 while the debugger has
 * the hardware's.
 */
struct rs_guest_debug_state {
	u32 flags;
	u8 bp_hit;
	u8 bp_insn;
	u64 guest_dr[4];
	u64 guest_dr7;
};

struct rs_vcpu {
	struct rs_vm *vm;
	u32 id;
	struct rs_run *run;
	struct mutex lock;		/* one ioctl at a time */

	int mode;			/* RS_IN_GUEST while in guest mode */
	int cpu;			/* where it last ran */
	unsigned long requests;

	u64 gpr[RS_NR_GPRS];
	u64 dr[4];			/* guest DR0-3 */
	u64 xcr0;
	u32 pkru;
	/*
	 * The guest's SPEC_CTRL, loaded around the entry where it differs
	 * from the host's (svm_entry.S, vmx_entry.S).  Writes always exit,
	 * so it is never read back.
	 */
	u64 spec_ctrl;
	u64 vm_spec_id;			/* vm->spec_id, without the pointer */
	/*
	 * User space set registers, MSRs or an event since the last entry
	 * that passed the hardware's checks: the backend keeps what a failed
	 * entry may overwrite (svm_vcpu_run()).
	 */
	bool state_from_user;
	/* An L1D flush is owed before the next VMX entry (spec.c). */
	bool l1d_flush_owed;
	unsigned long l1d_switches;	/* context switches at the last flush */
	struct fpu_guest fpu;

	enum rs_pending pending;
	u8 pending_size;		/* of a port read */
	struct rs_insn pending_insn;
	struct rs_pending_string pending_string;

	/* An injected external interrupt waiting for the guest's IF. */
	bool extint_pending;
	u8 extint_vector;
	/*
	 * An injected NMI waiting until the guest does not block NMIs: it is
	 * in no NMI handler (one IRET after the last NMI), no MOV SS/STI
	 * shadow, no other event being injected.  The backend delivers it
	 * first, before an external interrupt.
	 */
	bool nmi_pending;

	struct rs_cpuid_entry *cpuid;
	u32 cpuid_nent;

	struct rs_lapic *lapic;		/* NULL: user space has the APIC */

	/*
	 * Exit routing (route.c): what RS_SET_EXIT_ROUTE asked for; what
	 * must exit for it and for the exit hooks (hooks.c), which the
	 * backend's set_route looks at (its ranges are route's: MSRs through
	 * rs_route_msr()); whether any of that asks for anything; and the
	 * routed event user space answers.
	 */
	struct rs_exit_route route;
	struct rs_exit_route route_hw;
	bool routing;
	struct rs_exit_ev routed_ev;

	/* A debugger's hold on the vCPU (debug.c). */
	struct rs_guest_debug_state debug;

	/* MSRs the core emulates. */
	u64 msr_misc_enable;
	u64 msr_mtrr_def_type;
	u64 msr_tsc_aux;
	u64 msr_apic_base;	/* the guest's view only: see msr.c */

	/*
	 * Stamped by the backend around each guest entry (stats.h): the TSC
	 * just before entry and just after the exit (rs_stats_tsc(), 0 while
	 * counting is off), and the exit's index in its row (struct rs_exit_row).  The
	 * core clears exit_tsc before each vcpu_run: still 0 after it means
	 * the backend did not enter the guest.
	 */
	u64 entry_tsc;
	u64 exit_tsc;
	u16 exit_stat;
	/* The core's: the last exit, whose handling time is still running. */
	bool stats_open;
	u16 stats_open_stat;
	u64 stats_open_tsc;
	/* ...and the last return to user space, whose time is user space's */
	u8 user_open;			/* its RS_EXIT_* + 1; 0: none */
	u64 user_open_tsc;
	/* Exits until the next netlink event sample (netlink.c). */
	u32 ev_countdown;
	u32 ev_drawn;			/* what the last countdown started at */
	u32 ev_mean;			/* of the random countdowns */
	u64 ev_last_ns;			/* when the last one ran out */

	struct rs_vcpu_stats stats ____cacheline_aligned;

	/* The backend's state, rs_ops->vcpu_size bytes: no pointer to chase. */
	u8 arch[] ____cacheline_aligned;
};

extern const struct rs_arch_ops *rs_ops;

/*
 * The ops every exit calls are static calls, patched into direct calls
 * once the backend is known (main.c), as KVM does for kvm_x86_ops: an
 * indirect call costs a retpoline on hosts that mitigate Spectre v2 that
 * way.  The rest go through rs_ops.
 */
DECLARE_STATIC_CALL(rs_op_vcpu_run, *rs_ops->vcpu_run);
DECLARE_STATIC_CALL(rs_op_get_rip_rflags, *rs_ops->get_rip_rflags);
DECLARE_STATIC_CALL(rs_op_set_rip_rflags, *rs_ops->set_rip_rflags);
DECLARE_STATIC_CALL(rs_op_interrupt_allowed, *rs_ops->interrupt_allowed);
DECLARE_STATIC_CALL(rs_op_get_cpl, *rs_ops->get_cpl);
DECLARE_STATIC_CALL(rs_op_skip_instruction, *rs_ops->skip_instruction);
#define rs_call(func)		static_call(rs_op_##func)
extern bool rs_rebooting;
/* Whether SVM/VMX is turned on, on this CPU (main.c). */
DECLARE_PER_CPU(bool, rs_hw_on);

const struct rs_arch_ops *svm_probe(void);
const struct rs_arch_ops *vmx_probe(void);

int rs_hardware_get(void);
void rs_hardware_put(void);

/* vm.c */
long rs_create_vm(void);
void rs_vm_put(struct rs_vm *vm);
void rs_vm_flush_tlbs(struct rs_vm *vm);

/* spec.c */
extern u32 rs_mitigations;
extern u64 rs_spec_ctrl_bits;
DECLARE_PER_CPU(u64, rs_last_vm);
DECLARE_STATIC_KEY_FALSE(rs_l1d_flush_key);
int rs_spec_init(bool vmx);
void rs_spec_cleanup(void);
u64 rs_spec_new_vm(void);
void rs_l1d_flush(struct rs_vcpu *vcpu);

/*
 * Called with IRQs off before an entry: a CPU that last ran another VM's
 * vCPU first drops what that guest taught its branch predictors, as KVM
 * does when it loads a vCPU (indirect_branch_prediction_barrier() is an
 * IBPB where the host uses IBPB).  A VM's own vCPUs share their guest.
 */
static __always_inline void rs_spec_enter(struct rs_vcpu *vcpu)
{
	if (unlikely(__this_cpu_read(rs_last_vm) != vcpu->vm_spec_id)) {
		__this_cpu_write(rs_last_vm, vcpu->vm_spec_id);
		indirect_branch_prediction_barrier();
	}
}

/* vcpu.c */
int rs_create_vcpu(struct rs_vm *vm, unsigned long id);
void rs_vcpu_free(struct rs_vcpu *vcpu);
bool rs_vcpu_enter_prepare(struct rs_vcpu *vcpu);
void rs_load_guest_dr0_3(struct rs_vcpu *vcpu);
void rs_save_guest_dr0_3(struct rs_vcpu *vcpu);

/* mmu.c */
int rs_mmu_init(struct rs_vm *vm);
void rs_mmu_destroy(struct rs_vm *vm);
int rs_mmu_set_region(struct rs_vm *vm, const struct rs_memory_region *r);
#define RS_MMU_NOT_RAM		1
int rs_mmu_fault(struct rs_vcpu *vcpu, u64 gpa, bool write, bool fetch);
int rs_read_guest(struct rs_vm *vm, u64 gpa, void *data, unsigned int len);
int rs_write_guest(struct rs_vm *vm, u64 gpa, const void *data,
		   unsigned int len);

/*
 * exits.c, cpuid.c, msr.c, cr.c: exit handlers written once for both
 * backends, which point their tables at them (exits.c states the contract).
 */
int rs_exit_nop(struct rs_vcpu *vcpu);
int rs_exit_ud(struct rs_vcpu *vcpu);
int rs_exit_hlt(struct rs_vcpu *vcpu);
int rs_exit_gp(struct rs_vcpu *vcpu);
int rs_exit_invd(struct rs_vcpu *vcpu);
int rs_exit_wbinvd(struct rs_vcpu *vcpu);
int rs_exit_rdtsc(struct rs_vcpu *vcpu);
int rs_exit_rdtscp(struct rs_vcpu *vcpu);
int rs_exit_pause(struct rs_vcpu *vcpu);
int rs_exit_shutdown(struct rs_vcpu *vcpu);
int rs_exit_hypercall(struct rs_vcpu *vcpu);
int rs_exit_cpuid(struct rs_vcpu *vcpu);
int rs_exit_rdmsr(struct rs_vcpu *vcpu);
int rs_exit_wrmsr(struct rs_vcpu *vcpu);
int rs_exit_xsetbv(struct rs_vcpu *vcpu);
int rs_exit_exception(struct rs_vcpu *vcpu, u8 vector, bool has_error,
		      u32 error, u64 value, u8 len, u32 interrupted);

/* exits.c: the arch-neutral halves of exits a backend decodes first */
int rs_exit_npf(struct rs_vcpu *vcpu, u64 gpa, bool write, bool fetch,
		bool walk, u32 vectoring);
int rs_exit_io(struct rs_vcpu *vcpu, u16 port, u8 size, bool in, u8 len);
int rs_exit_invlpg(struct rs_vcpu *vcpu, u64 gva, u8 len);
int rs_exit_irq_window(struct rs_vcpu *vcpu);
int rs_exit_unhandled(struct rs_vcpu *vcpu, u64 code);
int rs_exit_fail_entry(struct rs_vcpu *vcpu, u64 reason, u64 qual);
int rs_exit_emulation_failed(struct rs_vcpu *vcpu, u64 gpa, u64 rip);
int rs_emulate_pushf(struct rs_vcpu *vcpu);
int rs_exit_lost_state(struct rs_vcpu *vcpu);
int rs_complete_user_exit(struct rs_vcpu *vcpu);
int rs_exit_table_init(struct rs_exit_table *t);
void rs_machine_check(void);

/* The row for exit @code; a code without one has no handler. */
static inline const struct rs_exit_row *
rs_exit_row(const struct rs_exit_table *t, u32 code)
{
	static const struct rs_exit_row none = { .stat = RS_STAT_OTHER };

	return code < t->nr_rows && t->rows[code].handle ? &t->rows[code] : &none;
}

/* Run @row's handler for exit @code, or report the exit as unhandled. */
static inline int rs_exit_dispatch(struct rs_vcpu *vcpu,
				   const struct rs_exit_row *row, u64 code)
{
	return row->handle ? row->handle(vcpu) : rs_exit_unhandled(vcpu, code);
}

/* cr.c: control registers, EFER, XCR0, the reset state */
bool rs_cr4_valid(struct rs_vcpu *vcpu, u64 cr4);
bool rs_pae_paging(u64 cr0, u64 cr4, u64 efer);
int rs_load_pdptes(struct rs_vcpu *vcpu, u64 cr3, u64 *pdpte);
int rs_emulate_mov_to_cr(struct rs_vcpu *vcpu, int cr, int reg,
			 unsigned int len);
int rs_emulate_lmsw(struct rs_vcpu *vcpu, u16 msw, unsigned int len);
int rs_emulate_clts(struct rs_vcpu *vcpu, unsigned int len);
int rs_exit_cr_read(struct rs_vcpu *vcpu, int cr, int reg, u8 len);
int rs_exit_dr(struct rs_vcpu *vcpu, int dr, int reg, bool write, u8 len);
int rs_set_efer(struct rs_vcpu *vcpu, u64 efer, bool host_initiated);
void rs_reset_sregs(struct rs_sregs *s);
bool rs_sregs_valid(struct rs_vcpu *vcpu, const struct rs_sregs *s);

/* ioeventfd.c: guest writes that signal an eventfd, without an exit */
#define RS_MAX_IOEVENTFDS	256
long rs_vm_ioeventfd(struct rs_vm *vm, const void __user *argp);
bool __rs_ioeventfd_write(struct rs_vm *vm, bool pio, u64 addr,
			  unsigned int len, const void *data);
void rs_ioeventfd_free_all(struct rs_vm *vm);

/* irqfd.c: eventfds whose signal is an MSI, without user space */
#define RS_MAX_IRQFDS		256
long rs_vm_irqfd(struct rs_vm *vm, const void __user *argp);
void rs_irqfd_free_all(struct rs_vm *vm);

/* Did @len bytes of @data written at @addr signal an eventfd? */
static inline bool rs_ioeventfd_write(struct rs_vm *vm, bool pio, u64 addr,
				      unsigned int len, const void *data)
{
	return READ_ONCE(vm->nr_ioeventfds) &&
	       __rs_ioeventfd_write(vm, pio, addr, len, data);
}

/* lapic.c: the local APIC in the kernel (RS_CREATE_LAPIC) */
enum rs_lapic_wait { RS_LAPIC_NONE, RS_LAPIC_WINDOW, RS_LAPIC_TPR };
int rs_vm_create_lapic(struct rs_vm *vm);
long rs_vm_signal_msi(struct rs_vm *vm, const void __user *argp);
bool rs_msi_valid(u64 address, u32 data);
int rs_msi_deliver(struct rs_vm *vm, u64 address, u32 data);
int rs_lapic_create(struct rs_vcpu *vcpu);
void rs_lapic_free(struct rs_vcpu *vcpu);
long rs_get_lapic(struct rs_vcpu *vcpu, void __user *argp);
long rs_set_lapic(struct rs_vcpu *vcpu, void __user *argp);
void rs_vcpu_kick(struct rs_vcpu *vcpu);
void rs_vcpu_poke(struct rs_vcpu *vcpu);
int rs_lapic_service(struct rs_vcpu *vcpu);
enum rs_lapic_wait rs_lapic_inject(struct rs_vcpu *vcpu, bool allowed);
int rs_lapic_halt(struct rs_vcpu *vcpu);
bool rs_lapic_mmio(struct rs_vcpu *vcpu, u64 gpa, unsigned int len,
		   bool write, void *data);
int rs_lapic_rdmsr(struct rs_vcpu *vcpu, u32 index, u64 *data);
int rs_lapic_wrmsr(struct rs_vcpu *vcpu, u32 index, u64 data);
int rs_lapic_get_deadline(struct rs_vcpu *vcpu, u64 *data);
int rs_lapic_set_deadline(struct rs_vcpu *vcpu, u64 data);
int rs_lapic_set_base(struct rs_vcpu *vcpu, u64 data, bool host_initiated);
u8 rs_lapic_cr8(struct rs_vcpu *vcpu);
void rs_lapic_set_cr8(struct rs_vcpu *vcpu, u8 cr8);

/* The emulator (emulate.h): MMIO in emulate.c, string I/O in string_io.c */
int rs_exit_mmio(struct rs_vcpu *vcpu, u64 gpa, bool write);
int rs_complete_mmio_read(struct rs_vcpu *vcpu);
int rs_complete_mmio_write(struct rs_vcpu *vcpu);
int rs_exit_string_io(struct rs_vcpu *vcpu, u16 port, u8 size, bool in,
		      bool rep, unsigned int addr_bytes, u8 seg, u64 next_rip);
int rs_string_io_step(struct rs_vcpu *vcpu, int index_reg);
/* The instructions that write CR0 or CR4 (decode.c). */
enum rs_cr_write { RS_CR_WRITE_MOV, RS_CR_WRITE_LMSW, RS_CR_WRITE_CLTS };
int rs_decode_cr_write(struct rs_vcpu *vcpu, enum rs_cr_write *insn, int *reg,
		       unsigned int *len);
/* MOV CR/DR and INVLPG, for a backend whose exit does not decode them */
int rs_decode_mov_crdr(struct rs_vcpu *vcpu, u8 op, int *num, int *reg,
		       unsigned int *len);
int rs_decode_invlpg(struct rs_vcpu *vcpu, u64 *la, unsigned int *len);

/* Port data follows struct rs_run in the run page. */
#define RS_IO_DATA_OFFSET	ALIGN(sizeof(struct rs_run), 64)

static inline void *rs_io_data(struct rs_vcpu *vcpu)
{
	return (void *)vcpu->run + RS_IO_DATA_OFFSET;
}

/* cpuid.c */
int rs_cpuid_init(struct rs_vcpu *vcpu);
u32 rs_cpuid_signature(struct rs_vcpu *vcpu);
long rs_set_cpuid(struct rs_vcpu *vcpu, struct rs_cpuid __user *argp);
long rs_get_cpuid(struct rs_vcpu *vcpu, struct rs_cpuid __user *argp);
bool rs_guest_has(struct rs_vcpu *vcpu, struct rs_cpuid_bit f);

/* msr.c */
u64 rs_apic_base_reset(u32 vcpu_id);
int rs_get_msr(struct rs_vcpu *vcpu, u32 index, u64 *data);
int rs_set_msr(struct rs_vcpu *vcpu, u32 index, u64 data,
	       bool host_initiated);

#define X86_UD_VECTOR		6
#define X86_GP_VECTOR		13

/*
 * An event to inject, in the format SVM's EVENTINJ field (APM vol. 2, 15.20
 * "Event Injection") and VMX's VM-entry interruption-information field (SDM
 * vol. 3C, 24.8.3 "VM-Entry Controls for Event Injection") share: the
 * vector in bits 7:0, the type (RS_EVENT_*) in 10:8, "push an error code"
 * in 11, valid in 31.
 */
#define RS_EVENT_INFO_TYPE_SHIFT	8
#define RS_EVENT_INFO_HAS_ERROR		BIT(11)
#define RS_EVENT_INFO_VALID		BIT(31)

/* vcpu.c */
bool rs_unqueue_event(struct rs_vcpu *vcpu, u32 type, u8 vector);
int rs_queue_event(struct rs_vcpu *vcpu, u32 type, u8 vector, bool has_error,
		   u32 error);

static inline void rs_inject_ud(struct rs_vcpu *vcpu)
{
	rs_queue_event(vcpu, RS_EVENT_EXCEPTION, X86_UD_VECTOR, false, 0);
}

static inline void rs_inject_gp(struct rs_vcpu *vcpu)
{
	rs_queue_event(vcpu, RS_EVENT_EXCEPTION, X86_GP_VECTOR, true, 0);
}

/* exits.c */
void rs_single_step(struct rs_vcpu *vcpu);

/* route.c: exit routing to user space (RS_SET_EXIT_ROUTE) */
long rs_vcpu_set_route(struct rs_vcpu *vcpu, const void __user *argp);
void rs_route_apply(struct rs_vcpu *vcpu);

/* debug.c */
long rs_vcpu_set_guest_debug(struct rs_vcpu *vcpu, const void __user *argp);
void rs_debug_route(struct rs_vcpu *vcpu, struct rs_exit_route *hw);
u64 rs_debug_get_dr(struct rs_vcpu *vcpu, int dr);
void rs_debug_set_dr(struct rs_vcpu *vcpu, int dr, u64 val);
void rs_debug_reset_drs(struct rs_vcpu *vcpu);
u64 rs_debug_db(struct rs_vcpu *vcpu, u64 dr6, bool step);
int rs_debug_exit(struct rs_vcpu *vcpu, u64 bits);
long rs_vcpu_get_route(struct rs_vcpu *vcpu, void __user *argp);
long rs_vm_set_route(struct rs_vm *vm, const void __user *argp);
void rs_route_reload(struct rs_vcpu *vcpu);
int rs_route_event(struct rs_vcpu *vcpu, const struct rs_exit_ev ev);
int rs_route_complete(struct rs_vcpu *vcpu);
int rs_inject_checked(struct rs_vcpu *vcpu, const struct rs_event *ev);
int rs_route_check(const struct rs_exit_route *rt);
bool rs_routes(const struct rs_exit_route *rt, const struct rs_exit_ev *ev);
int rs_route_answer(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev,
		    u32 action, const u64 *results, const struct rs_event *inject);

/* hooks.c: exit hooks of other modules (ringside_hook.h) */
extern unsigned int rs_hooks_nr;
bool rs_hooks_handle(struct rs_vcpu *vcpu, const struct rs_exit_ev *ev, int *r);
void rs_hooks_route(struct rs_exit_route *hw);
bool rs_hooks_msr(u32 msr, bool write);
void rs_hooks_exit(void);
bool rs_route_msr(const struct rs_vcpu *vcpu, u32 msr, bool write);

/*
 * The event @ev happened (struct rs_exit_ev): user space's if the vCPU
 * routes it, else ringside's.  The test costs one byte while nothing is
 * routed; @ev goes by value, so that where the default is inlined the
 * compiler keeps its fields in registers and builds no struct.
 */
static __always_inline int rs_exit_event(struct rs_vcpu *vcpu,
					 const struct rs_exit_ev ev)
{
	if (unlikely(vcpu->routing))
		return rs_route_event(vcpu, ev);
	return ev.def(vcpu, &ev);
}

/*
 * Move RIP past the instruction that exited, @len bytes long, which the
 * core carried out: a guest that single-steps gets its trap (exits.c).
 */
static inline void rs_skip_instruction(struct rs_vcpu *vcpu, unsigned int len)
{
	if (unlikely(rs_call(skip_instruction)(vcpu, len)))
		rs_single_step(vcpu);
	/* A debugger's step ends here, before the next entry (debug.c). */
	if (unlikely(vcpu->debug.flags & RS_GUEST_DEBUG_SINGLESTEP))
		set_bit(RS_REQ_STEP, &vcpu->requests);
}

/* No interrupt or NMI goes in while the debugger steps with BLOCK_IRQ. */
static inline bool rs_debug_blocks_irqs(const struct rs_vcpu *vcpu)
{
	return unlikely((vcpu->debug.flags & (RS_GUEST_DEBUG_SINGLESTEP |
					      RS_GUEST_DEBUG_BLOCK_IRQ)) ==
			(RS_GUEST_DEBUG_SINGLESTEP | RS_GUEST_DEBUG_BLOCK_IRQ));
}

/*
 * Called with IRQs off right after the exit, once the backend saved the
 * guest's debug registers.  An exit leaves DR7 at 400H (VMX) or as it was
 * at entry, which rs_load_guest_dr0_3() cleared: the host's breakpoints, if
 * it has any armed, come back before anything else runs, as KVM does.
 */
static __always_inline void rs_vcpu_exit_done(struct rs_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	/*
	 * VMSCAPE: the guest may have trained predictors that the host's
	 * user space (the VMM) would use; the host flushes them with an IBPB
	 * when this CPU next returns to user space, if it mitigates that.
	 */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	WRITE_ONCE(vcpu->mode, RS_OUTSIDE_GUEST);
}

#endif /* RINGSIDE_RS_H */
